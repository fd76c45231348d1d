"""The staff pages of matters: who may open and post what, forms, intake, the matter page,
and query counts that stay flat.

Matters live in 七星村 (grid 1 unless said otherwise). Out of scope answers 404, in scope but
not allowed 403, an action illegal in the matter's state 409 (the matter's page with a
message), bad input 200 with the errors next to the fields; nothing is written in any of them.
"""

import datetime
import re
import uuid

import pytest
from django.utils import timezone

from governance.models import IdempotencyRecord
from petitions import services as s
from petitions.models import (
    Deliberation,
    Kind,
    Matter,
    MatterEvent,
    Rating,
    State,
    VillageAffairsVerifiers,
    VillageMatterSettings,
)
from tests.api.matter_states import village, village_voted
from tests.factories import forget_boards
from tests.matrix import Case, matrix_params, page_login, page_problems, page_send, run_matrix
from tests.pages.conftest import field_block
from tests.petitions import conftest as matter_fixtures

# The matters fixtures (the world plus a grid leader, a second 司法所 member, categories).
categories, mw = matter_fixtures.categories, matter_fixtures.mw
TODAY = timezone.localdate()  # the app's day (Asia/Shanghai), not the machine's
PERSONAS = [
    "anonymous",
    "grid1",
    "grid2",
    "leader1",
    "cadre",
    "supervisor",
    "other_cadre",
    "official",
    "leader",
    "other_official",
    "handler",
    "handler2",
]


def token(html: str, prefix: str) -> str:
    match = re.search(rf'name="{re.escape(prefix)}-form_token" value="([0-9a-f-]{{36}})"', html)
    assert match, f"no {prefix} form in the page"
    return match.group(1)


def act(client, matter, action, data=None, *, prefix=None, extra=None):
    """Post one action's form as the page renders it: its fields under its prefix, its token."""
    prefix = prefix or action
    html = client.get(f"/matters/{matter.pk}/").content.decode()
    payload = {f"{prefix}-form_token": token(html, prefix)}
    payload.update({f"{prefix}-{k}": v for k, v in (data or {}).items()})
    payload.update(extra or {})
    return client.post(f"/matters/{matter.pk}/{action}/", payload)


def events(matter):
    return list(MatterEvent.objects.filter(matter=matter).values_list("action", flat=True))


# ---------------------------------------------------------------- matters in every state


def _civil(mw, state):
    u = mw.users
    matter = mw.staff_matter()
    if state == State.SUBMITTED:
        return matter
    s.matter_classify(matter=matter, actor=u.cadre, kind=Kind.CIVIL, category=mw.categories.environment)
    if state == State.CLASSIFIED:
        return matter
    s.matter_deliberate(matter=matter, actor=u.grid1, kind="meeting", held_on=TODAY, summary="院坝会")
    if state == State.DELIBERATING:
        return matter
    s.matter_handle(matter=matter, actor=u.grid1, handler=u.grid1)
    if state == State.HANDLING:
        return matter
    s.matter_report(matter=matter, actor=u.grid1, result="修好了")
    if state == State.VERIFYING:
        return matter
    s.matter_verify(matter=matter, actor=u.cadre, passed=True)
    return matter


def _government(mw, state=State.HANDLING):
    """A public matter of 七星村 (no grid), classified 政事, reviewed and sent to 司法所."""
    u = mw.users
    matter = mw.public_matter()
    s.matter_classify(matter=matter, actor=u.cadre, kind=Kind.GOVERNMENT, category=mw.categories.legal_aid)
    if state == State.CLASSIFIED:
        return matter
    s.matter_deliberate(matter=matter, actor=u.official, kind="review", held_on=TODAY, summary="受理，转司法所")
    if state == State.DELIBERATING:
        return matter
    s.matter_handle(matter=matter, actor=u.official, department=mw.sifasuo)
    return matter


def _village(mw, steps=4):
    u = mw.users
    matter = mw.staff_matter(title="风貌改造续建方案", actor=u.cadre)
    s.matter_classify(matter=matter, actor=u.cadre, kind=Kind.VILLAGE, category=mw.categories.village_project)
    for step in range(1, steps + 1):
        party = {"entitled": 30, "present": 25} if step == 4 else {}
        s.matter_deliberate(
            matter=matter, actor=u.cadre, kind="step", step=step, held_on=TODAY, summary=f"第{step}步", **party
        )
    return matter


def _vote(mw, matter, present, in_favour, entitled=100):
    return s.matter_deliberate(
        matter=matter,
        actor=mw.users.cadre,
        kind="step",
        step=5,
        held_on=TODAY,
        summary=f"村民会议表决：到会{present}人，赞成{in_favour}人",  # each vote its own minutes
        body="villagers_meeting",
        announced_on=TODAY - datetime.timedelta(days=10),
        entitled=entitled,
        present=present,
        in_favour=in_favour,
        against=present - in_favour,
        abstain=0,
    )


# ---------------------------------------------------------------- the permission matrix


def _row(*bases, **statuses):
    """Statuses by persona; unlisted personas get 404 (out of scope), anonymous 302."""
    row = dict.fromkeys(PERSONAS, 404)
    row["anonymous"] = 302
    for base in bases:
        row.update(base)
    row.update(statuses)
    return row


EVERYONE = {p: 200 for p in PERSONAS if p != "anonymous"}
SEES_Q1 = {"grid1": 200, "leader1": 200, "cadre": 200, "official": 200, "leader": 200}
SEES_GOV = {"cadre": 200, "official": 200, "leader": 200, "handler": 200, "handler2": 200}
# A 村事 of 七星村 grid 1 (no household): its grid and village, 七星村's supervision committee
# (村务监督委员会), the township.
SEES_VILLAGE = {**SEES_Q1, "supervisor": 200}

MATRIX = {
    ("GET", "list", None): _row(EVERYONE),
    ("GET", "export", None): _row(EVERYONE),  # the list as .xlsx: the same rows, the same people
    ("GET", "waiting", None): _row(EVERYONE),
    ("GET", "create", None): _row(
        dict.fromkeys(PERSONAS[1:], 403), grid1=200, grid2=200, leader1=200, cadre=200, other_cadre=200
    ),
    ("GET", "duplicates", None): _row(EVERYONE),
    ("GET", "detail", "submitted"): _row(SEES_Q1),
    ("GET", "detail", "government"): _row(SEES_GOV),
    ("POST", "classify", "submitted"): _row(SEES_Q1, grid1=403, official=403, leader=403),
    ("POST", "reject", "submitted"): _row(SEES_Q1, grid1=403, official=403, leader=403),
    ("POST", "withdraw", "submitted"): _row(SEES_Q1, official=403, leader=403),
    ("POST", "deliberate", "classified"): _row(SEES_Q1, official=403, leader=403),
    ("POST", "reclassify", "classified"): _row(SEES_Q1, official=403, leader=403),
    ("POST", "handle", "deliberating"): _row(SEES_Q1, official=403, leader=403),
    ("POST", "supervise", "classified"): _row(SEES_Q1, grid1=403, leader1=403),
    ("POST", "report", "handling"): _row(SEES_Q1, cadre=403, leader1=403, official=403, leader=403),
    ("POST", "report", "government"): _row(SEES_GOV, cadre=403, official=403, leader=403),
    ("POST", "sign", "government"): _row(SEES_GOV, cadre=403, official=403, leader=403),
    ("POST", "send_back", "government"): _row(SEES_GOV, cadre=403, official=403, leader=403),
    ("POST", "verify", "verifying"): _row(SEES_Q1, grid1=403, leader1=403, official=403, leader=403),
    # 回访: someone independent of the work (the cadre verified it; grid staff no longer rate).
    ("POST", "evaluate", "evaluating"): _row(SEES_Q1, grid1=403, leader1=403, cadre=403),
    ("POST", "request_review", "evaluating"): _row(SEES_Q1, grid1=403, leader1=403, cadre=403),
    # Not the handler (grid1) nor the cadre who verified it: the township decides this one.
    ("POST", "decide_review", "reviewing"): _row(SEES_Q1, grid1=403, leader1=403, cadre=403),
    ("POST", "request_extension", "handling"): _row(SEES_Q1, cadre=403, leader1=403, official=403, leader=403),
    ("POST", "decide_extension", "extension_pending"): _row(SEES_Q1, grid1=403, leader1=403),
    # The decision rules: the township approves a land adjustment and files (备案) a compact.
    ("POST", "township_approval", "land_voted"): _row(SEES_VILLAGE, grid1=403, leader1=403, cadre=403, supervisor=403),
    ("POST", "record_filing", "compact_voted"): _row(SEES_VILLAGE, grid1=403, leader1=403, cadre=403, supervisor=403),
    ("GET", "detail", "village_verifying"): _row(SEES_VILLAGE),
    ("POST", "report", "village_handling"): _row(
        SEES_VILLAGE, grid1=403, leader1=403, supervisor=403, official=403, leader=403
    ),
    ("POST", "supervise", "village_handling"): _row(SEES_VILLAGE, grid1=403, leader1=403, cadre=403),
    ("POST", "verify", "village_verifying"): _row(SEES_VILLAGE, grid1=403, leader1=403, cadre=403),
    ("POST", "verify", "village_by_supervisors"): _row(
        SEES_VILLAGE, grid1=403, leader1=403, cadre=403, official=403, leader=403
    ),
}
PAGES = {
    "list": "/matters/",
    "export": "/matters/export.xlsx",
    "waiting": "/matters/waiting/",
    "create": "/matters/new/",
    "duplicates": "/matters/new/duplicates/",
}


def _matter(mw, state):
    if state == "government":
        return _government(mw)
    if state == "reviewing":
        matter = _civil(mw, State.EVALUATING)
        return s.matter_evaluate(matter=matter, actor=None, rating=Rating.UNSATISFIED, comment="灯又坏了")
    if state == "extension_pending":
        matter = _civil(mw, State.HANDLING)
        s.matter_request_extension(matter=matter, actor=mw.users.grid1, pause=True, reason="等材料")
        return matter
    if state == "land_voted":
        return village_voted(mw, "land_adjustment")
    if state == "compact_voted":
        return village_voted(mw, "village_rules")
    if state == "village_by_supervisors":
        VillageMatterSettings.objects.create(
            village=mw.qixing, village_affairs_verifiers=VillageAffairsVerifiers.SUPERVISORS
        )
        return village(mw, State.VERIFYING)
    if state.startswith("village_"):
        return village(mw, State(state.removeprefix("village_")))
    return _civil(mw, state)


CASES = [Case(method, page, row, on=state) for (method, page, state), row in MATRIX.items()]


def _form_errors_back(persona, response):
    """An allowed empty POST gets the matter page back with the form's errors."""
    if response.status_code != 200 or response.request["REQUEST_METHOD"] != "POST":
        return []
    html = response.content.decode()
    if "petitions/matter_detail.html" not in {t.name for t in response.templates}:
        return ["a POST answered 200 without the matter page"]
    return [] if "has-error" in html or "form-errors" in html else ["a POST answered 200 without form errors"]


@pytest.mark.parametrize("case", matrix_params(CASES))
def test_matter_page_permissions(client, mw, case):
    if case.on is None:
        url, snapshot = PAGES[case.url], None
    else:
        matter = _matter(mw, case.on)
        url = f"/matters/{matter.pk}/" if case.url == "detail" else f"/matters/{matter.pk}/{case.url}/"

        def snapshot():
            return len(events(matter)), Deliberation.objects.count()

    # An empty POST: allowed users get the page back with the form's errors, nobody writes.
    run_matrix(
        case,
        personas=list(case.expected),
        login=page_login(client, mw.users),
        send=page_send(client, case.method, url),
        snapshot=snapshot,
        writes_nothing=True,
        checks=[page_problems, _form_errors_back],
    )


COVERED_URL_NAMES = {f"matter-{page}" for _method, page, _state in MATRIX if page in PAGES or page == "detail"} | {
    "matter-action"
}


def test_matrix_covers_every_matter_page_and_the_required_personas():
    from petitions.urls import ACTIONS, urlpatterns

    # The photo and clock forms have their own matrix in test_matter_extra_pages.py.
    assert {p.name for p in urlpatterns} - {"matter-extra"} == COVERED_URL_NAMES
    actions = {page for _method, page, _state in MATRIX} - set(PAGES) - {"detail"}
    assert set(ACTIONS.split("|")) == actions  # every action's URL is in the matrix
    for row in MATRIX.values():
        assert {"anonymous", "grid1", "grid2", "other_cadre", "other_official", "handler"} <= set(row)


# Valid payloads, as the right actor would send them: the refused personas must write nothing.
REFUSED = [
    ("grid1", "classify", "submitted", {"kind": "civil", "category": "environment"}),
    ("official", "classify", "submitted", {"kind": "civil", "category": "environment"}),
    ("grid2", "classify", "submitted", {"kind": "civil", "category": "environment"}),
    ("other_cadre", "reject", "submitted", {"reason": "不是我们的事"}),
    ("handler", "withdraw", "submitted", {"reason": "x"}),
    ("grid2", "deliberate", "classified", {"held_on": TODAY.isoformat(), "summary": "院坝会"}),
    ("official", "deliberate", "classified", {"held_on": TODAY.isoformat(), "summary": "院坝会"}),
    ("other_official", "supervise", "classified", {"note": "快办"}),
    ("grid1", "supervise", "classified", {"note": "快办"}),
    ("cadre", "report", "handling", {"result": "代报"}),
    ("grid1", "verify", "verifying", {"passed": "yes"}),
    ("official", "verify", "verifying", {"passed": "yes"}),
    ("handler", "evaluate", "evaluating", {"rating": "satisfied"}),
    # The handler and the verifier never record the resident's rating.
    ("grid1", "evaluate", "evaluating", {"rating": "satisfied", "method": "phone"}),
    ("cadre", "evaluate", "evaluating", {"rating": "satisfied", "method": "phone"}),
    ("grid1", "decide_extension", "extension_pending", {"approve": "yes", "reason": "自己批"}),
    ("cadre", "report", "government", {"result": "代报"}),
    ("other_cadre", "report", "government", {"result": "代报"}),
    ("cadre", "sign", "government", {}),
    ("official", "sign", "government", {}),
    ("official", "send_back", "government", {"reason": "不是司法所的事"}),
    ("grid1", "send_back", "handling", {"reason": "不是我的事"}),
    ("supervisor", "report", "village_handling", {"result": "代报"}),
    ("supervisor", "verify", "submitted", {"passed": "yes"}),
    ("official", "verify", "village_by_supervisors", {"passed": "yes"}),
    ("supervisor", "supervise", "classified", {"note": "民事不归监委会"}),
    # The township files a compact (备案), not the village that adopted it.
    ("cadre", "record_filing", "compact_voted", {"filed": "yes"}),
    ("other_official", "record_filing", "compact_voted", {"filed": "no", "reason": "不是本镇的村"}),
]


@pytest.mark.parametrize(("persona", "action", "state", "data"), REFUSED)
def test_refused_action_writes_nothing(client, mw, persona, action, state, data):
    matter = _matter(mw, state)
    before = (events(matter), Deliberation.objects.count(), Matter.objects.get(pk=matter.pk).state)
    client.force_login(getattr(mw.users, persona))
    prefix = "meeting" if action == "deliberate" else action
    payload = {f"{prefix}-form_token": str(uuid.uuid4()), "record": "meeting"}
    for key, value in data.items():
        if key == "category":
            value = getattr(mw.categories, value).pk
        payload[f"{prefix}-{key}"] = value
    response = client.post(f"/matters/{matter.pk}/{action}/", payload)
    assert response.status_code in (403, 404)
    after = (events(matter), Deliberation.objects.count(), Matter.objects.get(pk=matter.pk).state)
    assert after == before
    assert not IdempotencyRecord.objects.exists()


def test_action_illegal_in_the_state_is_a_409_with_a_message(login, mw):
    matter = _civil(mw, State.CLASSIFIED)
    client = login(mw.users.cadre)
    payload = {"classify-form_token": str(uuid.uuid4()), "classify-kind": "village"}
    payload["classify-category"] = mw.categories.village_project.pk
    response = client.post(f"/matters/{matter.pk}/classify/", payload)
    assert response.status_code == 409
    html = response.content.decode()
    assert 'class="message error"' in html and matter.title in html
    matter.refresh_from_db()
    assert matter.kind == Kind.CIVIL and events(matter) == ["submit", "classify"]


def test_handle_before_deliberation_is_not_offered_and_refused(login, mw):
    matter = _village(mw, steps=4)
    client = login(mw.users.cadre)
    html = client.get(f"/matters/{matter.pk}/").content.decode()
    assert "/handle/" not in html  # no form: the hint says what is missing
    response = client.post(
        f"/matters/{matter.pk}/handle/",
        {"handle-form_token": str(uuid.uuid4()), "handle-handler": mw.users.cadre.pk},
    )
    assert response.status_code == 409
    assert Matter.objects.get(pk=matter.pk).state == State.DELIBERATING


def test_unknown_action_is_not_found(login, mw):
    matter = mw.staff_matter()
    assert login(mw.users.cadre).post(f"/matters/{matter.pk}/grant/", {}).status_code == 404
    assert login(mw.users.cadre).get(f"/matters/{matter.pk}/classify/").status_code == 405


# ---------------------------------------------------------------- forms


def test_classify_form_preselects_the_categorys_kind_and_errors_keep_input(login, mw):
    matter = mw.staff_matter(category=mw.categories.neighbour_dispute)
    client = login(mw.users.cadre)
    html = client.get(f"/matters/{matter.pk}/").content.decode()
    kind = field_block(html, "classify-kind")
    assert re.search(r'value="civil"[^>]*checked', kind)
    assert f'value="{mw.categories.neighbour_dispute.pk}" selected' in field_block(html, "classify-category")

    response = client.post(
        f"/matters/{matter.pk}/classify/",
        {"classify-form_token": token(html, "classify"), "classify-category": mw.categories.legal_aid.pk},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "errorlist" in field_block(html, "classify-kind")
    assert f'value="{mw.categories.legal_aid.pk}" selected' in field_block(html, "classify-category")
    assert "data-kind-chosen" not in field_block(html, "classify-category")  # no kind was sent
    assert events(matter) == ["submit"]


def test_a_classify_form_sent_back_keeps_its_kind_from_the_category_script(login, mw):
    """matters.js preselects a category's kind only while none was chosen: a form sent back
    with a chosen kind says so, so a new category does not reset it."""
    matter = mw.staff_matter()
    client = login(mw.users.cadre)
    html = client.get(f"/matters/{matter.pk}/").content.decode()
    assert "data-kind-chosen" not in field_block(html, "classify-category")
    response = client.post(
        f"/matters/{matter.pk}/classify/",
        {"classify-form_token": token(html, "classify"), "classify-kind": "government"},
    )
    html = response.content.decode()
    assert response.status_code == 200 and "errorlist" in field_block(html, "classify-category")
    assert "data-kind-chosen" in field_block(html, "classify-category")
    assert re.search(r'value="government"[^>]*checked', field_block(html, "classify-kind"))


def test_mediation_form_errors_next_to_the_field_keep_the_minutes(login, mw):
    matter = _civil(mw, State.CLASSIFIED)
    client = login(mw.users.grid1)
    response = act(
        client,
        matter,
        "deliberate",
        {"held_on": TODAY.isoformat(), "parties": "张某", "agreed_terms": "补偿 1200 元", "summary": "老兵说法营调解"},
        prefix="mediation",
        extra={"record": "mediation"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "errorlist" in field_block(html, "mediation-parties")
    assert "老兵说法营调解" in field_block(html, "mediation-summary")
    assert "补偿 1200 元" in field_block(html, "mediation-agreed_terms")
    assert not Deliberation.objects.filter(matter=matter).exists()

    response = act(
        client,
        matter,
        "deliberate",
        {
            "held_on": TODAY.isoformat(),
            "parties": "张某、马某",
            "facts": "便道占地 8 米",
            "agreed_terms": "补偿 1200 元",
            "signed_by": "张某\n马某",
            "summary": "老兵说法营调解",
        },
        prefix="mediation",
        extra={"record": "mediation"},
    )
    assert response.status_code == 302 and response["Location"] == f"/matters/{matter.pk}/"
    record = Deliberation.objects.get(matter=matter)
    assert record.kind == "mediation" and record.parties == ["张某", "马某"] and record.signed_by == ["张某", "马某"]
    html = client.get(response["Location"]).content.decode()
    assert "补偿 1200 元" in html and "张某、马某" in html


def test_vote_form_asks_only_for_numbers_and_the_app_computes_the_result(login, mw):
    matter = _village(mw, steps=4)
    client = login(mw.users.cadre)
    html = client.get(f"/matters/{matter.pk}/").content.decode()
    assert 'name="step5-entitled"' in html and 'name="step5-present"' in html
    assert "quorum" not in " ".join(re.findall(r'name="([^"]+)"', html)).lower()
    assert "carried" not in " ".join(re.findall(r'name="([^"]+)"', html)).lower()

    vote = {
        "held_on": TODAY.isoformat(),
        "summary": "村民会议",
        "body": "villagers_meeting",
        "announced_on": (TODAY - datetime.timedelta(days=10)).isoformat(),
    }
    response = act(
        client,
        matter,
        "deliberate",
        {**vote, "entitled": 100, "present": 120, "in_favour": 60, "against": 0, "abstain": 0},
        prefix="step5",
        extra={"record": "step", "step": 5},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "errorlist" in field_block(html, "step5-present")
    assert 'value="120"' in field_block(html, "step5-present")

    # A failed vote (quorum met, 30 of 60 is not more than half) and then a carried one.
    for present, favour in ((60, 30), (60, 31)):
        response = act(
            client,
            matter,
            "deliberate",
            {
                **vote,
                "summary": f"村民会议：赞成{favour}人",  # each vote its own minutes
                "entitled": 100,
                "present": present,
                "in_favour": favour,
                "against": present - favour,
                "abstain": 0,
            },
            prefix="step5",
            extra={"record": "step", "step": 5, "step5-quorum_met": "on", "step5-carried": "on"},
        )
        assert response.status_code == 302
    votes = list(Deliberation.objects.filter(matter=matter, step=5).order_by("id"))
    assert [(v.quorum_met, v.carried) for v in votes] == [(True, False), (True, True)]
    response = client.get(f"/matters/{matter.pk}/")
    html = response.content.decode()
    assert html.count('class="vote ') == 2
    # The page shows the app's reckoning: 51 of 100 had to attend, 31 of 60 to vote for it.
    shown = [(v.quorum_needed, v.majority_needed, v.carried) for v in response.context["steps"]["votes"]]
    assert shown == [(51, 31, False), (51, 31, True)]
    assert 'name="step6-summary"' in html  # the next step is offered


def test_service_error_without_a_field_is_shown_on_top(login, mw):
    matter = _village(mw, steps=0)
    client = login(mw.users.cadre)
    html = client.get(f"/matters/{matter.pk}/").content.decode()
    response = client.post(
        f"/matters/{matter.pk}/deliberate/",
        {
            "record": "step",
            "step": 3,
            "step3-form_token": str(uuid.uuid4()),
            "step3-held_on": TODAY.isoformat(),
            "step3-summary": "两委会",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="form-errors"' in html and "两委会" in html
    assert not Deliberation.objects.filter(matter=matter).exists()
    assert token(html, "step1")  # the page still offers step 1


def test_verify_not_passed_needs_a_note_and_returns_to_handling(login, mw):
    matter = _civil(mw, State.VERIFYING)
    client = login(mw.users.cadre)
    response = act(client, matter, "verify", {"passed": "no"})
    assert response.status_code == 200
    assert "errorlist" in field_block(response.content.decode(), "verify-note")
    response = act(client, matter, "verify", {"passed": "no", "note": "还有两盏不亮"})
    assert response.status_code == 302
    assert Matter.objects.get(pk=matter.pk).state == State.HANDLING


def test_handle_deadline_in_the_past_is_refused_next_to_the_field(login, mw):
    matter = _civil(mw, State.DELIBERATING)
    client = login(mw.users.grid1)
    yesterday = (TODAY - datetime.timedelta(days=1)).isoformat()
    response = act(client, matter, "handle", {"handler": mw.users.grid1.pk, "deadline": yesterday})
    assert response.status_code == 200
    assert "errorlist" in field_block(response.content.decode(), "handle-deadline")
    assert Matter.objects.get(pk=matter.pk).state == State.DELIBERATING


def test_handler_choices_are_people_of_the_right_place(login, mw):
    matter = _civil(mw, State.DELIBERATING)
    html = login(mw.users.grid1).get(f"/matters/{matter.pk}/").content.decode()
    choices = field_block(html, "handle-handler")
    assert "网格员一" in choices and "七星村干部" in choices and "网格长" in choices
    assert "网格员二" not in choices and "化龙村干部" not in choices and "渭沱镇干部" not in choices
    assert f'value="{mw.users.grid1.pk}" selected' in choices  # a grid worker may take it himself
    other = _civil(mw, State.DELIBERATING)
    response = act(login(mw.users.grid1), other, "handle", {"handler": mw.users.other_cadre.pk})
    assert response.status_code == 200 and "errorlist" in field_block(response.content.decode(), "handle-handler")

    gov = _government(mw, State.DELIBERATING)
    html = login(mw.users.official).get(f"/matters/{gov.pk}/").content.decode()
    assert "司法所" in field_block(html, "handle-department")
    assert 'name="handle-handler"' not in html


def test_deliberation_forms_adapt_to_the_kind(login, mw):
    civil = _civil(mw, State.CLASSIFIED)
    html = login(mw.users.grid1).get(f"/matters/{civil.pk}/").content.decode()
    assert 'name="meeting-summary"' in html and 'name="mediation-parties"' in html
    assert 'name="step1-summary"' not in html and 'name="review-summary"' not in html
    village = _village(mw, steps=2)
    html = login(mw.users.cadre).get(f"/matters/{village.pk}/").content.decode()
    assert 'name="step3-summary"' in html and 'name="step3-entitled"' not in html
    assert 'name="mediation-parties"' not in html
    gov = _government(mw, State.CLASSIFIED)
    html = login(mw.users.official).get(f"/matters/{gov.pk}/").content.decode()
    assert 'name="review-summary"' in html and 'name="meeting-summary"' not in html


def test_double_submit_saves_once(login, mw):
    matter = mw.staff_matter()
    client = login(mw.users.cadre)
    html = client.get(f"/matters/{matter.pk}/").content.decode()
    payload = {
        "classify-form_token": token(html, "classify"),
        "classify-kind": "civil",
        "classify-category": mw.categories.environment.pk,
    }
    first = client.post(f"/matters/{matter.pk}/classify/", payload)
    second = client.post(f"/matters/{matter.pk}/classify/", payload)
    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"]
    assert events(matter) == ["submit", "classify"]


# ---------------------------------------------------------------- intake


def test_grid_worker_raises_a_matter_from_a_household_page(login, mw):
    household = mw.households.q1
    client = login(mw.users.grid1)
    assert f"/matters/new/?household={household.pk}" in client.get(f"/households/{household.pk}/").content.decode()
    url = f"/matters/new/?household={household.pk}"
    html = client.get(url).content.decode()
    assert 'value="张三"' in field_block(html, "submitter_name")
    response = client.post(
        url,
        {
            "form_token": re.search(r'name="form_token" value="([^"]+)"', html).group(1),
            "title": "院坝排水沟堵塞",
            "description": "下雨积水",
            "grid": mw.q1.pk,
            "household": household.pk,
            "category": mw.categories.environment.pk,
            "source": "visit",
            "submitter_name": "张三",
            "submitter_phone": "158 0000 9119",
            "on_behalf": "on",
        },
    )
    matter = Matter.objects.get(title="院坝排水沟堵塞")
    assert response.status_code == 302 and response["Location"] == f"/matters/{matter.pk}/"
    assert (matter.household, matter.grid, matter.on_behalf, matter.created_by) == (
        household,
        mw.q1,
        True,
        mw.users.grid1,
    )
    assert matter.submitter_phone == "15800009119" and events(matter) == ["submit"]


def test_intake_is_limited_to_the_users_grids(login, mw):
    client = login(mw.users.grid1)
    assert client.get(f"/matters/new/?household={mw.households.q2.pk}").status_code == 404
    html = client.get("/matters/new/").content.decode()
    response = client.post(
        "/matters/new/",
        {
            "form_token": re.search(r'name="form_token" value="([^"]+)"', html).group(1),
            "title": "越格上报",
            "description": "x",
            "grid": mw.q2.pk,
            "source": "visit",
            "submitter_name": "王五",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "errorlist" in field_block(html, "grid")
    assert 'value="越格上报"' in field_block(html, "title")
    assert not Matter.objects.filter(title="越格上报").exists()
    assert login(mw.users.official).get("/matters/new/").status_code == 403


def test_possible_duplicates_are_shown_at_intake_and_on_the_new_matter(login, mw):
    first = mw.staff_matter(title="河沟垃圾堆积", category=mw.categories.environment)
    second = mw.staff_matter(title="河沟又有垃圾", category=mw.categories.environment)
    client = login(mw.users.grid1)
    typed = {"title": "河沟垃圾", "description": "河沟又堆满垃圾", "category": mw.categories.environment.pk}
    fragment = client.get("/matters/new/duplicates/", {**typed, "grid": mw.q1.pk}, HTTP_HX_REQUEST="true")
    assert "河沟垃圾堆积" in fragment.content.decode() and "河沟又有垃圾" in fragment.content.decode()
    unrelated = client.get("/matters/new/duplicates/", {"grid": mw.q1.pk, "title": "低保申请"}).content.decode()
    assert "河沟垃圾堆积" not in unrelated

    html = login(mw.users.cadre).get(f"/matters/{second.pk}/").content.decode()
    assert 'class="panel duplicates"' in html and f"/matters/{first.pk}/" in html
    duplicate_of = field_block(html, "reject-duplicate_of")
    assert f'value="{first.pk}"' in duplicate_of
    response = act(login(mw.users.cadre), second, "reject", {"reason": "同一件事", "duplicate_of": first.pk})
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.state == State.REJECTED and second.duplicate_of == first


# ---------------------------------------------------------------- the matter page


def test_submitter_phone_is_masked_unless_the_viewer_acts_on_the_matter(login, mw):
    matter = mw.staff_matter()
    assert "15800009119" in login(mw.users.cadre).get(f"/matters/{matter.pk}/").content.decode()
    html = login(mw.users.official).get(f"/matters/{matter.pk}/").content.decode()
    assert "15800009119" not in html and "158****9119" in html
    assert matter.tracking_code not in html


def test_the_matter_page_shows_the_timeline_and_the_next_actor(login, mw):
    matter = _government(mw)
    html = login(mw.users.handler).get(f"/matters/{matter.pk}/").content.decode()
    assert html.count('class="event event-') == 4  # submit, classify, deliberate, handle
    assert "司法所" in html
    assert 'id="action-report"' in html
    assert 'name="report-result"' in html and 'name="classify-kind"' not in html
    html = login(mw.users.cadre).get(f"/matters/{matter.pk}/").content.decode()
    assert 'name="report-result"' not in html and "司法所" in html


def test_civil_journey_through_the_pages(login, mw):
    u = mw.users
    matter = mw.staff_matter(category=mw.categories.environment)
    cadre, worker = login(u.cadre), None
    assert (
        act(cadre, matter, "classify", {"kind": "civil", "category": mw.categories.environment.pk}).status_code == 302
    )
    worker = login(u.grid1)
    meeting = {"held_on": TODAY.isoformat(), "summary": "院坝会：各户出工", "attendees": "张三、李四"}
    assert act(worker, matter, "deliberate", meeting, prefix="meeting", extra={"record": "meeting"}).status_code == 302
    assert act(worker, matter, "handle", {"handler": u.grid1.pk}).status_code == 302
    assert act(worker, matter, "report", {"result": "已清通"}).status_code == 302
    cadre = login(u.cadre)
    assert act(cadre, matter, "verify", {"passed": "yes", "note": "看过了"}).status_code == 302
    # 回访 by the township: neither the worker who handled it nor the cadre who verified it.
    official = login(u.official)
    answer = {"rating": Rating.SATISFIED, "comment": "回访满意", "method": "phone"}
    assert act(official, matter, "evaluate", answer).status_code == 302
    matter.refresh_from_db()
    assert matter.state == State.CLOSED and matter.rating == Rating.SATISFIED
    assert events(matter) == ["submit", "classify", "deliberate", "handle", "report", "verify", "evaluate"]
    assert Deliberation.objects.get(matter=matter).attendees == ["张三", "李四"]


def test_village_page_shows_the_seven_steps_progress(login, mw):
    matter = _village(mw, steps=4)
    _vote(mw, matter, present=40, in_favour=40)  # no quorum
    html = login(mw.users.grid1).get(f"/matters/{matter.pk}/").content.decode()
    assert html.count('class="vstep done"') == 4
    assert 'class="vstep failed"' in html and 'class="vote failed"' in html
    _vote(mw, matter, present=60, in_favour=50)
    s.matter_deliberate(matter=matter, actor=mw.users.cadre, kind="step", step=6, held_on=TODAY, summary="公开")
    html = login(mw.users.cadre).get(f"/matters/{matter.pk}/").content.decode()
    assert html.count('class="vstep done"') == 6 and 'class="vstep current"' in html
    assert 'id="action-handle"' in html


# ---------------------------------------------------------------- lists, the queue, home


def test_lists_show_state_by_word_and_shape_and_the_next_action(login, mw):
    submitted = mw.staff_matter(title="新事项")
    civil = _civil(mw, State.VERIFYING)
    html = login(mw.users.cadre).get("/matters/").content.decode()
    assert "state-submitted" in html and 'class="shape" aria-hidden="true">○' in html
    assert f'href="/matters/{submitted.pk}/#action-classify"' in html
    assert f'href="/matters/{civil.pk}/#action-verify"' in html
    html = login(mw.users.grid1).get("/matters/").content.decode()
    assert f'href="/matters/{submitted.pk}/#action-classify"' not in html  # a grid worker does not classify


def test_list_filters_and_search(login, mw):
    mw.staff_matter(title="路灯不亮")
    _civil(mw, State.VERIFYING)
    mw.staff_matter(title="二组道路破损", grid=mw.q2, actor=mw.users.grid2)
    client = login(mw.users.cadre)
    assert client.get("/matters/?q=二组").context["page"].paginator.count == 1
    assert client.get(f"/matters/?grid={mw.q2.pk}").context["page"].paginator.count == 1
    assert client.get("/matters/?state=verifying").context["page"].paginator.count == 1
    assert client.get("/matters/?kind=unclassified").context["page"].paginator.count == 2
    assert client.get("/matters/?state=bogus&kind=civil").context["page"].paginator.count == 1
    partial = client.get("/matters/?q=路灯", HTTP_HX_REQUEST="true")
    assert [t.name for t in partial.templates][0] == "petitions/_matter_results.html"
    assert login(mw.users.grid2).get("/matters/").context["page"].paginator.count == 1


def test_waiting_lists_by_role(login, mw):
    u = mw.users
    new = mw.staff_matter(title="待分流")
    classified = _civil(mw, State.CLASSIFIED)
    gov = _government(mw, State.CLASSIFIED)
    handling = _government(mw)
    evaluating = _civil(mw, State.EVALUATING)

    def queue(user):
        response = login(user).get("/matters/waiting/")
        return {m.pk for group in response.context["groups"] for m in group["rows"]}

    # The return visit (回访) is the township's: the cadre verified it, grid staff no longer rate.
    assert {new.pk, classified.pk} <= queue(u.cadre) and evaluating.pk not in queue(u.cadre)
    assert classified.pk in queue(u.grid1) and new.pk not in queue(u.grid1) and evaluating.pk not in queue(u.grid1)
    assert queue(u.grid2) == set()
    assert queue(u.official) == {gov.pk, evaluating.pk}
    assert queue(u.handler) == {handling.pk} == queue(u.handler2)
    recorded = login(u.grid1).get("/matters/waiting/").context["recorded"]
    assert new.pk in {m.pk for m in recorded}


def test_home_shows_what_waits_for_the_user(login, mw):
    matter = mw.staff_matter(title="待分流的事")
    html = login(mw.users.cadre).get("/").content.decode()
    assert "待分流的事" in html and f"/matters/{matter.pk}/#action-classify" in html
    assert 'href="/matters/waiting/"' in html  # the menu
    gov = _government(mw)
    html = login(mw.users.handler).get("/").content.decode()
    # A department signs for (签收) a matter before it reports on it.
    assert gov.title in html and f"/matters/{gov.pk}/#action-sign" in html


# ---------------------------------------------------------------- queries stay flat


def _grow(mw, to):
    """Matters of every kind and state in 七星村 until there are `to`."""
    # In this order, the first seven give every persona a row of each list and a matter
    # waiting for them (a queue's first rows are a query only when something waits).
    makers = [
        lambda: _government(mw),
        lambda: mw.staff_matter(),
        lambda: _civil(mw, State.VERIFYING),
        lambda: _civil(mw, State.EVALUATING),
        lambda: _civil(mw, State.CLASSIFIED),
        lambda: _government(mw, State.CLASSIFIED),
        lambda: mw.staff_matter(grid=mw.q2, actor=mw.users.grid2),
    ]
    i = Matter.objects.count()
    while Matter.objects.count() < to:
        makers[i % len(makers)]()
        i += 1


LIST_URLS = ["/matters/", "/matters/waiting/", "/", "/matters/?state=open&q=路", "/matters/?kind=civil"]

# Every page starts with 1 the session, 2 the user, 3 the assignments (the scope), 4 the
# matters the user reaches beyond their places (handled elsewhere or granted: petitions.
# selectors.matters_beyond_places, read once for the request's lists) and ends
# with the navigation's counts: unread notifications, the matters waiting for the user, and
# (deciders only: the cadre) the proposals waiting. Between them:
# - the list (/matters/, filtered or not): COUNT of the grids in scope (whether to offer the
#   grid filter), COUNT of the matters (the paginator), the page of rows (the next-action
#   mark comes from the queue the nav counts); after the nav the filter's choices: the
#   categories, and the grids when there are several (cadre, township, department). A filter
#   that leaves no rows (the handler sees no civil matter, no 路) skips the page.
# - the queue (/matters/waiting/): one query per section the role has (the village cadres and
#   the township 3, with the return visits (回访) theirs now; grid staff and departments 2).
# - the home page (/): the assignments again (the cards), the cards' figures by role (places,
#   households per grid, visits and 逢十 duty), the ids of the matters waiting (which the nav
#   then counts) and the first five of them; for the village cadre and the township the
#   dashboard's aggregates besides (governance.dashboards, a fixed number: DASHBOARD_QUERIES in
#   tests/pages/test_queries.py) and the campaigns under way (2: the places the campaign roles
#   reach, one grouped count; tests/pages/test_queries.py CAMPAIGNS).
# The queue and the home page read the matters waiting in two steps (their ids, then the rows:
# petitions.selectors.matters_by_ids), and the nav counts the same ids; after the warm-up the
# ids come from the cache (petitions.queue), so no query reads them.
QUERIES = {
    "cadre": {
        "/matters/": 11,
        "/matters/waiting/": 9,
        "/": 18 + 14 + 2,
        "/matters/?state=open&q=路": 11,
        "/matters/?kind=civil": 11,
    },
    "grid1": {
        "/matters/": 9,
        "/matters/waiting/": 7,
        "/": 14 + 4,  # the grid worker's day: households due, visits since 逢十, matters recorded, campaign households
        "/matters/?state=open&q=路": 9,
        "/matters/?kind=civil": 9,
    },
    "official": {
        "/matters/": 10,
        "/matters/waiting/": 8,
        "/": 16 + 7 + 2,
        "/matters/?state=open&q=路": 10,
        "/matters/?kind=civil": 10,
    },
    "handler": {
        "/matters/": 10,
        "/matters/waiting/": 7,
        "/": 7 + 1,  # the department's queue figures (governance.homes.department_home)
        "/matters/?state=open&q=路": 9,
        "/matters/?kind=civil": 9,
    },
    "leader1": {
        "/matters/": 9,
        "/matters/waiting/": 7,
        "/": 14 + 4,  # the grid worker's day: households due, visits since 逢十, matters recorded, campaign households
        "/matters/?state=open&q=路": 9,
        "/matters/?kind=civil": 9,
    },
}


@pytest.mark.parametrize("persona", ["cadre", "grid1", "official", "handler", "leader1"])
def test_matter_lists_cost_exactly_their_queries_for_7_matters_and_for_30(
    login, mw, persona, django_assert_num_queries
):
    client = login(getattr(mw.users, persona))
    for size in (7, 30):
        _grow(mw, size)
        for url in LIST_URLS:
            client.get(url)  # warm up
            forget_boards()  # the home's boards count their own queries (the warm-up kept them)
            with django_assert_num_queries(QUERIES[persona][url]):
                assert client.get(url).status_code == 200


# A matter's page: 1 the session, 2 the user, 3 the assignments (the scope), 3b the matters
# the user reaches beyond their places (matters_beyond_places), 4 the matter (its places and
# people joined), 5 its deliberations, 6 their participants, 7 its events, 8 its
# photos (one prefetch each), and last the nav (unread notifications, and for the cadre
# proposals waiting; the matters waiting come from the cache after the warm-up: petitions.queue).
# Between them, by what the viewer may do with this village matter:
# - the cadre (it may reject it as a duplicate, and classify it): 9 the possible duplicates the
#   cadre sees (alike words, one query), 10 which of them wait for the cadre, 11 which of them
#   wait for the township's approval (a land adjustment past its vote), 12 the active categories
#   (the classify panel), 13 the category names (the timeline); after the nav, the reject form's
#   and the classify form's choices: 17 the duplicates again, 18 the active categories again;
# - the official and the grid worker (nothing to do): 9 the category names.
# The department's handler on a government matter: 9 and 10, 12 and 13, 15 and 16, 17 and 18
# the same matter's object permissions (the user's, then the groups'), looked up four times
# (one pair per check), 11 the category names, 14 the departments; then the nav.
# A reader of the civic books (the cadre, the official, the grid worker; not the handler) also
# has the 三治 section before the nav (governance/civic/matter_panels.py): whether a meeting or
# a mediation names the matter at all (none here; when one does, then the villages their roles
# reach, the meetings the matter was raised at or coordinated by, its mediations:
# tests/civic/test_matter_panel.py).
MATTER_PAGE = {"cadre": 19, "official": 12, "grid1": 12, "handler": 20}


def test_matter_page_costs_exactly_its_queries_for_3_records_and_for_30(login, mw, django_assert_num_queries):
    small, large = _village(mw, steps=0), _village(mw, steps=0)
    for matter, n in ((small, 3), (large, 30)):
        for i in range(n):
            s.matter_deliberate(matter=matter, actor=mw.users.cadre, kind="meeting", held_on=TODAY, summary=f"会{i}")
            s.matter_supervise(matter=matter, actor=mw.users.official, note=f"督办{i}")
    gov_small, gov_large = _government(mw), _government(mw)
    for i in range(27):
        s.matter_supervise(matter=gov_large, actor=mw.users.leader, note=f"督办{i}")
    for persona, matters in (
        ("cadre", (small, large)),
        ("official", (small, large)),
        ("grid1", (small, large)),
        ("handler", (gov_small, gov_large)),
    ):
        client = login(getattr(mw.users, persona))
        for matter in matters:
            client.get(f"/matters/{matter.pk}/")  # warm up
            with django_assert_num_queries(MATTER_PAGE[persona], info=persona):
                assert client.get(f"/matters/{matter.pk}/").status_code == 200
