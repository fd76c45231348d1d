"""What the attack on campaigns answered door to door and offline tried (issue 20, session 20):
answers linked to visits (someone else's, another household's, a replay under another visit),
the batch answered by every role of the world, client UUIDs reused across tasks and campaigns,
malformed and oversized batches, photo tokens, concurrent batches on real threads; what the
visit form and the visit to-do reveal to each role; campaign words that are markup; and making
a campaign with places of another township. Every refusal leaves the database as it was."""

import datetime
import json
import re
import threading
import uuid

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from governance.models import Role
from grids.campaigns import services
from grids.campaigns.models import AnswerPhoto, Campaign, Task
from grids.visits.models import Visit
from grids.visits.services import visit_record
from petitions.models import Matter
from tests.campaigns import conftest as campaign_fixtures
from tests.factories import assign
from tests.pledge_fixtures import jpeg

pytestmark = pytest.mark.django_db
make_campaign, safety = campaign_fixtures.make_campaign, campaign_fixtures.safety

BATCH = "/api/v1/campaign-tasks/batch/"
QUESTIONS = [
    {"name": "uses_gas", "kind": "yes_no", "label": "是否使用燃气", "required": True},
    {"name": "note", "kind": "text", "label": "备注"},
    {"name": "photo", "kind": "photo", "label": "照片"},
]


def _state():
    return (
        list(Campaign.objects.order_by("pk").values_list("pk", "state", "title", "township", "village", "task_count")),
        list(
            Task.objects.order_by("pk").values_list(
                "pk", "state", "client_uuid", "fingerprint", "answers", "answered_by", "visit"
            )
        ),
        list(AnswerPhoto.objects.order_by("pk").values_list("pk", "token", "task", "uploaded_by")),
        Matter.objects.count(),
        Visit.objects.count(),
    )


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _task(campaign, household) -> Task:
    return Task.objects.get(campaign=campaign, household=household, follows=None)


def _visit(user, household=None, **place) -> Visit:
    method = Visit.Method.HOME if household else Visit.Method.GRID
    return visit_record(
        author=user, client_uuid=uuid.uuid4(), visited_at=timezone.now(), method=method, household=household, **place
    )[0]


def _item(task, key=None, answers=None, **extra) -> dict:
    return {"task": task.pk, "client_uuid": str(key or uuid.uuid4()), "answers": answers or {"uses_gas": "no"}, **extra}


def _batch(client, *items):
    response = client.post(BATCH, {"answers": list(items)}, format="json")
    assert response.status_code == 200, response.content
    return response.json()["results"]


def _json_script(page: str, element_id: str):
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', page, re.S)
    return json.loads(match.group(1)) if match else None


@pytest.fixture
def plain(world, make_campaign):
    """A started township campaign over every household of 渭沱镇 (七星村 and 化龙村)."""
    return make_campaign(start=True, form=QUESTIONS, form_source="api", villages=[])


# ---------------------------------------------------------------- answers linked to visits


def test_an_answer_linked_to_someone_elses_visit_is_a_400_and_writes_nothing(world, plain):
    household = world.households.q1
    theirs = _visit(world.users.grid1, household)
    task = _task(plain, household)
    before = _state()
    cadre = _client(world.users.cadre)
    [row] = _batch(cadre, _item(task, visit=theirs.pk))
    assert row["status"] == 400 and "visit" in row["errors"]
    body = {"client_uuid": str(uuid.uuid4()), "answers": {"uses_gas": "no"}, "visit": theirs.pk}
    response = cadre.post(f"/api/v1/campaign-tasks/{task.pk}/answer/", body, format="json")
    assert response.status_code == 400 and "visit" in response.json()
    assert _state() == before


def test_an_answer_linked_to_a_visit_of_another_household_is_a_400(world, plain):
    grid1 = _client(world.users.grid1)
    other_household = _visit(world.users.grid1, world.households.q1b)
    walk = _visit(world.users.grid1, grid=world.q1)  # a visit of the grid, of no household
    task = _task(plain, world.households.q1)
    before = _state()
    rows = _batch(grid1, _item(task, visit=other_household.pk), _item(task, visit=walk.pk))
    assert [row["status"] for row in rows] == [400, 400]
    assert all("visit" in row["errors"] for row in rows)
    assert _state() == before


def test_an_answer_linked_to_a_visit_from_before_the_campaign_is_a_400(world, plain):
    """An answer belongs to a visit of the campaign: an old visit of the household is not one."""
    household = world.households.q1
    old = visit_record(
        author=world.users.grid1,
        client_uuid=uuid.uuid4(),
        visited_at=plain.started_at - datetime.timedelta(days=3),
        method=Visit.Method.HOME,
        household=household,
    )[0]
    task = _task(plain, household)
    before = _state()
    [row] = _batch(_client(world.users.grid1), _item(task, visit=old.pk))
    assert row["status"] == 400 and row["errors"]["visit"] == ["走访时间早于本次排查开始。"], row
    assert _state() == before
    recent = _visit(world.users.grid1, household)
    assert _batch(_client(world.users.grid1), _item(task, visit=recent.pk))[0]["status"] == 201


@pytest.mark.parametrize("visit", ["1", [1], {"id": 1}, True, 1.5, 10**30, -1, 0])
def test_a_visit_id_that_is_not_one_of_the_callers_visits_is_a_400(world, plain, visit):
    assert not Visit.objects.exists()  # so "1" and 1.5 name no visit of grid1's
    task = _task(plain, world.households.q1)
    before = _state()
    [row] = _batch(_client(world.users.grid1), _item(task, visit=visit))
    assert row["status"] == 400 and "visit" in row["errors"], row
    assert _state() == before


def test_a_replay_under_another_visit_is_a_409_and_keeps_the_first_link(world, plain):
    grid1 = _client(world.users.grid1)
    first, second = _visit(world.users.grid1, world.households.q1), _visit(world.users.grid1, world.households.q1)
    task, key = _task(plain, world.households.q1), uuid.uuid4()
    assert _batch(grid1, _item(task, key, visit=first.pk))[0]["status"] == 201
    before = _state()
    rows = _batch(grid1, _item(task, key, visit=second.pk), _item(task, key), _item(task, key, visit=first.pk))
    assert [row["status"] for row in rows] == [409, 409, 200]
    assert rows[0]["errors"]["code"] == "answer_uuid_reused"
    assert _state() == before
    assert Task.objects.get(pk=task.pk).visit_id == first.pk


# ---------------------------------------------------------------- the batch, by every role


@pytest.fixture
def everywhere(world, plain, make_campaign):
    """The township campaign of 渭沱镇 and one of 小沔镇: a task in each of the five households."""
    xiaomian = make_campaign(
        start=True, actor=world.users.other_official, township=world.xiaomian, villages=[], form=QUESTIONS,
        form_source="api", title="小沔镇排查",
    )  # fmt: skip
    return {name: _task(xiaomian if name == "l1" else plain, household)
            for name, household in vars(world.households).items()}  # fmt: skip


# Who answers which household's task through the batch: 201 answered; 404 a task the caller does
# not read; 403 read but not visited (the whole request: the role visits nobody).
BATCH_MATRIX = {
    "grid1": {"q1": 201, "q1b": 201, "q2": 404, "h1": 404, "l1": 404},
    "grid2": {"q1": 404, "q1b": 404, "q2": 201, "h1": 404, "l1": 404},
    "helper": {"q1": 201, "q1b": 404, "q2": 404, "h1": 404, "l1": 404},
    "cadre": {"q1": 201, "q1b": 201, "q2": 201, "h1": 404, "l1": 404},
    "other_cadre": {"q1": 404, "q1b": 404, "q2": 404, "h1": 201, "l1": 404},
    "admin": {"q1": 201, "q1b": 201, "q2": 201, "h1": 201, "l1": 201},
    **dict.fromkeys(("clerk", "supervisor", "official", "leader", "other_official", "handler", "outsider"), 403),
}


@pytest.mark.parametrize("who", BATCH_MATRIX)
def test_the_batch_answers_exactly_the_households_the_caller_visits(world, everywhere, who):
    expected = BATCH_MATRIX[who]
    items = [_item(task) for task in everywhere.values()]
    before = _state()
    response = _client(getattr(world.users, who)).post(BATCH, {"answers": items}, format="json")
    if expected == 403:
        assert response.status_code == 403, response.content
        assert _state() == before
        return
    rows = response.json()["results"]
    assert dict(zip(everywhere, [row["status"] for row in rows], strict=True)) == expected
    done = {name for name, code in expected.items() if code == 201}
    assert {name for name, task in everywhere.items() if Task.objects.get(pk=task.pk).state == "done"} == done
    # A refused row names nothing of the household it could not reach.
    for name, row in zip(everywhere, rows, strict=True):
        if row["status"] != 201:
            assert getattr(world.households, name).head_name not in json.dumps(row, ensure_ascii=False)


def test_the_staff_sent_down_answer_only_their_villages_households(sent, everywhere):
    """The township official sent down to 七星村 (包村) reads 化龙村 as an official but does not
    visit it: 七星村's households answered, 化龙村's a 403, 小沔镇's unseen."""
    rows = _batch(_client(sent.users.official), *[_item(task) for task in everywhere.values()])
    assert dict(zip(everywhere, [row["status"] for row in rows], strict=True)) == {
        "q1": 201, "q1b": 201, "q2": 201, "h1": 403, "l1": 404,
    }  # fmt: skip
    assert Task.objects.get(pk=everywhere["h1"].pk).state == Task.State.OPEN


# ---------------------------------------------------------------- client UUIDs across tasks and campaigns


def test_a_client_uuid_reused_on_another_campaigns_task_is_a_409(world, plain, make_campaign):
    other = make_campaign(start=True, form=QUESTIONS, form_source="api", title="第二次排查")
    grid1, key = _client(world.users.grid1), uuid.uuid4()
    assert _batch(grid1, _item(_task(plain, world.households.q1), key))[0]["status"] == 201
    before = _state()
    rows = _batch(grid1, _item(_task(other, world.households.q1), key), _item(_task(other, world.households.q1b), key))
    assert [(row["status"], row["errors"]["code"]) for row in rows] == [(409, "answer_uuid_reused")] * 2
    assert _state() == before


def test_another_users_uuid_in_a_batch_reveals_nothing_of_their_answer(world, plain):
    key = uuid.uuid4()
    secret = {"uses_gas": "no", "note": "秘密"}
    _batch(_client(world.users.grid1), _item(_task(plain, world.households.q1), key, secret))
    before = _state()
    [row] = _batch(_client(world.users.grid2), _item(_task(plain, world.households.q2), key))
    assert row["status"] == 409 and "秘密" not in json.dumps(row, ensure_ascii=False)
    assert _state() == before


# ---------------------------------------------------------------- malformed and oversized batches


def test_two_hundred_answers_of_one_task_store_one(world, plain):
    task = _task(plain, world.households.q1)
    items = [_item(task, answers={"uses_gas": "no", "note": "长" * 2000}) for _ in range(200)]
    rows = _batch(_client(world.users.grid1), *items)
    assert [row["status"] for row in rows] == [201] + [409] * 199
    assert {row["errors"]["code"] for row in rows[1:]} == {"task_done"}
    assert Task.objects.filter(campaign=plain, state=Task.State.DONE).count() == 1


@pytest.mark.parametrize(
    "item",
    [
        {"client_uuid": "K", "answers": "uses_gas=no"},
        {"client_uuid": "K", "answers": ["uses_gas", "no"]},
        {"client_uuid": "K", "answers": 7},
        {"client_uuid": "K", "answers": None},
        {"client_uuid": "K"},
        {"answers": {"uses_gas": "no"}},
        {"client_uuid": "x" * 100_000, "answers": {"uses_gas": "no"}},
        {"client_uuid": ["K"], "answers": {"uses_gas": "no"}},
        {"client_uuid": "K", "answers": {"uses_gas": {"$ne": "yes"}}},
        {"client_uuid": "K", "answers": {"uses_gas": "no", "note": [[[[{"a": [1]}]]]]}},
        {"client_uuid": "K", "answers": {"uses_gas": "no", "note": "长" * 100_000}},
        {"client_uuid": "K", "answers": {"uses_gas": "no", "x" * 10_000: "y"}},
        {"client_uuid": "K", "answers": {"uses_gas": "no"}, "answered_at": "yesterday"},
        {"client_uuid": "K", "answers": {"uses_gas": "no"}, "answered_at": {"$gt": 1}},
    ],
)
def test_a_malformed_item_is_a_400_of_its_own_and_writes_nothing(world, plain, item):
    task = _task(plain, world.households.q1)
    item = {"task": task.pk, **{k: str(uuid.uuid4()) if v == "K" else v for k, v in item.items()}}
    before = _state()
    [row] = _batch(_client(world.users.grid1), item)
    assert row["status"] == 400, row
    assert _state() == before


@pytest.mark.parametrize("task", [True, "1", 1.0, None, [1], {"id": 1}, 10**30, -1])
def test_a_task_that_is_not_a_task_id_is_a_404_and_answers_nothing(world, plain, task):
    """`true` is not task 1 (a bool is an int to Python), nor is "1", 1.0 or a list."""
    if not Task.objects.filter(pk=1).exists():  # task 1 is there to be answered by mistake
        Task.objects.filter(pk=_task(plain, world.households.q1).pk).update(id=1)
    before = _state()
    [row] = _batch(_client(world.users.admin), {"task": task, "client_uuid": str(uuid.uuid4()), "answers": {}})
    assert row["status"] == 404, row
    assert _state() == before


@pytest.mark.parametrize(
    "body",
    [
        {"answers": [{"task": 1}] * 201},
        {"answers": [[1]]},
        {"answers": ["x"]},
        {"answers": None},
        {"answers": {"task": 1}},
    ],
    ids=["201 items", "a list item", "a text item", "null", "an object"],
)
def test_a_malformed_batch_is_a_400_and_writes_nothing(world, plain, body):
    before = _state()
    response = _client(world.users.grid1).post(BATCH, body, format="json")
    assert response.status_code == 400, response.content
    assert _state() == before


def test_json_nested_too_deep_is_a_400(world, plain):
    before = _state()
    deep = b'{"answers": [' + b"[" * 50_000 + b"]" * 50_000 + b"]}"
    response = _client(world.users.grid1).post(BATCH, deep, content_type="application/json")
    assert response.status_code == 400
    assert _state() == before


# ---------------------------------------------------------------- photos


def _photo(client, key=None) -> str:
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    response = client.post("/api/v1/campaign-photos/", {"image": jpeg()}, format="multipart", **headers)
    assert response.status_code == 201, response.content
    return response.json()["token"]


def test_another_users_photo_token_in_a_batch_is_a_400_and_stays_theirs(world, plain):
    token = _photo(_client(world.users.grid2))
    visit = _visit(world.users.grid1, world.households.q1)
    before = _state()
    [row] = _batch(
        _client(world.users.grid1),
        _item(_task(plain, world.households.q1), answers={"uses_gas": "no", "photo": token}, visit=visit.pk),
    )
    assert row["status"] == 400 and "photo" in row["errors"]
    assert _state() == before


def test_one_photo_token_named_by_two_answers_of_a_batch_goes_to_the_first(world, plain):
    grid1 = _client(world.users.grid1)
    token = _photo(grid1)
    first, second = _task(plain, world.households.q1), _task(plain, world.households.q1b)
    rows = _batch(
        grid1,
        _item(first, answers={"uses_gas": "no", "photo": token}),
        _item(second, answers={"uses_gas": "no", "photo": token}),
    )
    assert [row["status"] for row in rows] == [201, 400]
    assert AnswerPhoto.objects.get(token=token).task_id == first.pk
    assert Task.objects.get(pk=second.pk).state == Task.State.OPEN


def test_a_photos_idempotency_key_is_the_uploaders_own(world):
    """The phone's key ("answer-photo:<answer uuid>:<question>") sent by another user uploads
    their own photo: it never hands back the first uploader's token."""
    key = f"answer-photo:{uuid.uuid4()}:photo"
    mine = _photo(_client(world.users.grid1), key)
    assert _photo(_client(world.users.grid1), key) == mine  # a resend: the same photo, once
    theirs = _photo(_client(world.users.grid2), key)
    assert theirs != mine
    assert AnswerPhoto.objects.get(token=theirs).uploaded_by == world.users.grid2
    assert AnswerPhoto.objects.count() == 2


# ---------------------------------------------------------------- races on real threads


def _at_once(*targets):
    results, errors = [], []
    barrier = threading.Barrier(len(targets))

    def run(target):
        try:
            barrier.wait()
            results.append(target())
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


@pytest.mark.django_db(transaction=True)
def test_the_same_batch_posted_twice_at_once_stores_each_answer_once(world, make_campaign):
    """A phone that sent its outbox twice (two tabs, a retry while the first was under way)."""
    campaign = make_campaign(start=True, form=QUESTIONS, form_source="api")
    visit = _visit(world.users.grid1, world.households.q1)
    items = [
        _item(_task(campaign, world.households.q1), visit=visit.pk),
        _item(_task(campaign, world.households.q1b), answers={"uses_gas": "yes"}),
    ]

    def post():
        response = _client(world.users.grid1).post(BATCH, {"answers": items}, format="json")
        return response.status_code, [row["status"] for row in response.json()["results"]]

    results, errors = _at_once(post, post, post)
    assert errors == [] and [code for code, _rows in results] == [200, 200, 200]
    # Each answer stored by one send, found by the others (never a 409 of its own UUID).
    for index in range(2):
        assert sorted(rows[index] for _code, rows in results) == [200, 200, 201]
    done = Task.objects.filter(campaign=campaign, state=Task.State.DONE)
    assert sorted(done.values_list("household_id", "visit_id")) == sorted(
        [(world.households.q1.pk, visit.pk), (world.households.q1b.pk, None)]
    )
    assert Matter.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_two_answers_naming_one_photo_at_once_claim_it_once(world, make_campaign):
    campaign = make_campaign(start=True, form=QUESTIONS, form_source="api")
    token = _photo(_client(world.users.grid1))
    first, second = _task(campaign, world.households.q1), _task(campaign, world.households.q1b)

    def answer(task):
        return lambda: services.task_answer(
            actor=world.users.grid1, task=task, client_uuid=uuid.uuid4(), answers={"uses_gas": "no", "photo": token}
        )

    results, errors = _at_once(answer(first), answer(second))
    assert len(results) == 1 and len(errors) == 1, errors
    winner = results[0][0]
    assert AnswerPhoto.objects.get(token=token).task_id == winner.pk
    assert Task.objects.filter(campaign=campaign, state=Task.State.DONE).count() == 1


# ---------------------------------------------------------------- what the visit pages reveal


@pytest.fixture
def three_places(world, make_campaign):
    """A campaign of 七星村 (the township's), one of 化龙村 (its cadre's), one of 小沔镇."""
    make_campaign(start=True, title="七星燃气排查", form=QUESTIONS, form_source="api")
    make_campaign(
        start=True, actor=world.users.other_cadre, village=world.hualong, villages=[], title="化龙秘密排查",
        form=[{**QUESTIONS[0], "label": "化龙专问"}], form_source="api",
    )  # fmt: skip
    make_campaign(
        start=True, actor=world.users.other_official, township=world.xiaomian, villages=[], title="小沔秘密排查",
        form=[{**QUESTIONS[0], "label": "小沔专问"}], form_source="api",
    )  # fmt: skip
    make_campaign(title="草稿排查", form=QUESTIONS, form_source="api")  # a draft: on no page
    return world


# The households whose tasks the visit form and the to-do carry, per role (None: no such page).
PAGE_MATRIX = {
    "grid1": {"q1", "q1b"},
    "grid2": {"q2"},
    "helper": {"q1"},
    "cadre": {"q1", "q1b", "q2"},
    "other_cadre": {"h1"},
    **dict.fromkeys(("clerk", "supervisor", "official", "leader", "other_official", "handler", "outsider")),
}
TITLES = {"q1": "七星燃气排查", "q1b": "七星燃气排查", "q2": "七星燃气排查", "h1": "化龙秘密排查", "l1": "小沔秘密排查"}


@pytest.mark.parametrize("who", PAGE_MATRIX)
def test_the_visit_pages_carry_only_the_callers_households_and_campaigns(three_places, client, who):
    world = three_places
    expected = PAGE_MATRIX[who]
    client.force_login(getattr(world.users, who))
    form, todo = client.get("/visits/new/"), client.get("/visits/")
    if expected is None:
        assert (form.status_code, todo.status_code) == (403, 403)
        return
    form, todo = form.content.decode(), todo.content.decode()
    ids = {str(getattr(world.households, name).pk): name for name in TITLES}
    tasks = _json_script(form, "visit-campaigns")["tasks"]
    assert {ids[pk] for pk in tasks} == expected
    assert {ids[pk] for pk in _json_script(todo, "todo-campaigns")} == expected
    shown = {TITLES[name] for name in expected}
    for title in set(TITLES.values()) | {"草稿排查"}:
        assert (title in form, title in todo) == ((title in shown,) * 2), title
    for label, title in (("化龙专问", "化龙秘密排查"), ("小沔专问", "小沔秘密排查")):
        assert (label in form) == (title in shown)


def test_the_staff_sent_down_see_their_villages_campaigns_on_the_visit_pages(sent, three_places, client):
    """The official sent down to 七星村 visits 七星村: its campaign, not 化龙村's (which the
    official reads as the township's) nor 小沔镇's."""
    client.force_login(sent.users.official)
    form, todo = client.get("/visits/new/").content.decode(), client.get("/visits/").content.decode()
    households = {sent.households.q1.pk, sent.households.q1b.pk, sent.households.q2.pk}
    assert set(_json_script(form, "visit-campaigns")["tasks"]) == {str(pk) for pk in households}
    assert set(_json_script(todo, "todo-campaigns")) == {str(pk) for pk in households}
    for page in (form, todo):
        assert "七星燃气排查" in page and "化龙秘密排查" not in page and "小沔秘密排查" not in page


def test_a_closed_campaign_leaves_the_visit_pages(world, plain, client):
    services.campaign_close(campaign=plain, actor=world.users.official)
    client.force_login(world.users.grid1)
    for url in ("/visits/new/", "/visits/"):
        page = client.get(url).content.decode()
        assert "visit-campaigns" not in page and "todo-campaigns" not in page
    before = _state()
    [row] = _batch(_client(world.users.grid1), _item(_task(plain, world.households.q1)))
    assert row["status"] == 409 and row["errors"]["code"] == "campaign_not_started"
    assert _state() == before


# ---------------------------------------------------------------- markup in a campaign's words


MARKUP = '</script><script>alert("x")</script><img src=x onerror=alert(1)>'


def test_markup_in_a_campaigns_words_stays_text_on_every_page(world, make_campaign, client):
    questions = [
        {"name": "kind", "kind": "select_one", "label": MARKUP, "hint": MARKUP, "required": True,
         "choices": [['"><svg/onload=alert(2)>', MARKUP], ["b", "乙"]]},
        {"name": "note", "kind": "text", "label": MARKUP, "relevant": "${kind} = 'b'"},
    ]  # fmt: skip
    campaign = make_campaign(start=True, title=f"排查{MARKUP}"[:100], form=questions, form_source="api")
    task = _task(campaign, world.households.q1)
    client.force_login(world.users.grid1)
    pages = {
        url: client.get(url).content.decode()
        for url in ("/visits/new/", "/visits/", "/campaigns/tasks/", f"/campaigns/tasks/{task.pk}/")
    }
    for url, page in pages.items():
        assert "<script>alert" not in page and "<img src=x" not in page and "<svg/onload" not in page, url
        assert "&lt;script&gt;alert" in page or "\\u003Cscript\\u003Ealert" in page, url
    # The JSON blocks give the words back as they were typed, for textContent.
    assert _json_script(pages["/visits/"], "todo-campaigns") == {
        str(world.households.q1.pk): [campaign.title],
        str(world.households.q1b.pk): [campaign.title],
    }


# ---------------------------------------------------------------- making a campaign


def _create(client, **fields):
    today = timezone.localdate()
    body = {"title": "排查", "starts_on": today.isoformat(), "due_on": (today + datetime.timedelta(days=9)).isoformat(),
            "template": "gas_safety", **fields}  # fmt: skip
    return client.post("/api/v1/campaigns/", body, format="json")


@pytest.mark.parametrize(
    ("who", "fields", "code", "field"),
    [
        ("official", {"village": "liwan"}, 400, "village"),  # a village of another township
        ("official", {"township": "xiaomian"}, 403, None),  # another township
        ("other_official", {"township": "weituo", "village": "qixing"}, 400, "village"),
        ("official", {"township": "xiaomian", "village": "qixing"}, 400, "village"),  # they disagree
        ("cadre", {"village": "hualong"}, 400, "village"),  # another village of the township
        ("cadre", {}, 403, None),  # a village cadre makes no township campaign
        ("cadre", {"township": "weituo"}, 403, None),
        ("official", {"village": "qixing", "villages": ["hualong"]}, 400, "villages"),
        ("official", {"grids": ["l1"]}, 400, "grids"),
        ("official", {"township": 10**12}, 400, "township"),
        ("official", {"township": "weituo", "retention_days": 1}, 400, "retention_days"),
    ],
)
def test_a_campaign_outside_the_organisers_places_is_refused_and_nothing_is_made(world, who, fields, code, field):
    """Refused whole: no draft is left behind by a refusal that came after it was created."""
    places = {"liwan": world.liwan.pk, "qixing": world.qixing.pk, "hualong": world.hualong.pk,
              "xiaomian": world.xiaomian.pk, "weituo": world.weituo.pk, "l1": world.l1.pk}  # fmt: skip
    fields = {
        name: [places[v] for v in value] if isinstance(value, list) else places.get(value, value)
        for name, value in fields.items()
    }
    before = _state()
    response = _create(_client(getattr(world.users, who)), **fields)
    assert response.status_code == code, response.content
    if field:
        assert field in response.json(), response.json()
    assert _state() == before


def test_an_organiser_of_two_townships_is_asked_which(world):
    assign(world.users.official, Role.TOWNSHIP_OFFICIAL, world.xiaomian)
    client = _client(world.users.official)
    before = _state()
    response = _create(client)
    assert response.status_code == 400 and "township" in response.json()
    assert _state() == before
    assert _create(client, township=world.xiaomian.pk).json()["township"] == world.xiaomian.pk


def test_a_campaign_made_without_a_township_is_the_organisers_own(world):
    response = _create(_client(world.users.official))
    assert response.status_code == 201
    assert Campaign.objects.get(pk=response.json()["id"]).township_id == world.weituo.pk
    response = _create(_client(world.users.cadre), village=world.qixing.pk)
    assert (response.json()["township"], response.json()["village"]) == (world.weituo.pk, world.qixing.pk)


# ---------------------------------------------------------------- query parameters


@pytest.mark.parametrize("value", ["²", "१", "1e3", "x", "99999999999999999999999"])
def test_a_campaign_or_place_parameter_that_is_no_id_is_never_a_500(world, plain, client, value):
    """ "²" is a digit to str.isdigit but no number to int()."""
    grid1 = _client(world.users.grid1)
    todo = grid1.get("/api/v1/campaign-tasks/", {"campaign": value})
    assert todo.status_code == 200
    client.force_login(world.users.grid1)
    assert client.get("/campaigns/tasks/", {"campaign": value}).status_code == 200
    export = _client(world.users.official).get(f"/api/v1/campaigns/{plain.pk}/export/", {"village": value})
    assert export.status_code in (200, 400)
