"""The village's public board (/public/<village code>/): no login, what the village does in the
open, and nothing that names a resident."""

import datetime
import decimal
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from governance import finance, public_board
from governance.public_board import STEP_OF_STATE
from grids.models import Resident
from grids.public import name_pattern, public_text
from petitions import services as s
from petitions.models import Matter, MatterEvent, State
from tests.api.matter_states import civil

PHONE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
ID_NUMBER = re.compile(r"(?<![0-9])[1-9][0-9]{16}[0-9Xx](?![0-9])")


def _page(client, village):
    return client.get(reverse("board:village", args=[village.code]))


def test_public_text_masks_names_phones_and_id_numbers():
    names = name_pattern(["张三", "欧阳娜娜"])
    text = "张三（13812345678）与欧阳娜娜，身份证500117199001011234，座机023-42812345"
    cleaned = public_text(text, names)
    assert cleaned == "张某（138****5678）与欧某某某，身份证5001**********1234，座机023-****"
    assert public_text("", names) == "" and public_text("路灯", None) == "路灯"


def test_board_is_open_without_login_and_unknown_village_is_404(world, client):
    response = _page(client, world.qixing)
    assert response.status_code == 200
    assert "七星村" in response.content.decode()
    assert response["Cache-Control"] == "public, max-age=60"
    assert client.get("/public/no-such-village/").status_code == 404


def test_a_signed_in_users_view_of_a_public_page_is_kept_by_no_shared_cache(world, client):
    client.force_login(world.users.cadre)
    code = world.qixing.code
    public = ("/public/", f"/public/{code}/", f"/public/points/{code}/", f"/public/{code}/compact/")
    for url in (*public, f"/public/{code}/new/", f"/public/{code}/board-poster/", "/", "/api/v1/matters/"):
        response = client.get(url)
        assert response.status_code == 200 and response["Cache-Control"] == "private, no-cache", url


def _carried_village_matter(mw, title):
    u = mw.users
    today = timezone.localdate()
    matter = mw.staff_matter(title=title, actor=u.cadre, submitter_name="李四", submitter_phone="13900001234")
    s.matter_classify(matter=matter, actor=u.cadre, kind="village", category=mw.categories.village_project)
    for n in (1, 2, 3, 4):
        party = {"entitled": 30, "present": 25} if n == 4 else {}
        s.matter_deliberate(
            matter=matter, actor=u.cadre, kind="step", step=n, held_on=today, summary=f"第{n}步", **party
        )
    s.matter_deliberate(
        matter=matter,
        actor=u.cadre,
        kind="step",
        step=5,
        held_on=today,
        summary="代表会议表决",
        body="representatives_meeting",
        entitled=45,
        present=40,
        in_favour=37,
        against=2,
        abstain=1,
    )
    s.matter_deliberate(
        matter=matter,
        actor=u.cadre,
        kind="step",
        step=6,
        held_on=today,
        summary="决议：李四负责组织施工，电话13900001234",
    )
    return matter


def test_decisions_show_their_vote_and_resolution_without_names(mw, client):
    Resident.objects.filter(household=mw.households.q1b).update(name="李四")
    _carried_village_matter(mw, "李四家门口修路方案")
    body = _page(client, mw.qixing).content.decode()
    assert "李某家门口修路方案" in body
    for figure in ("45", "40", "37"):
        assert f"<dd>{figure}</dd>" in body
    assert "李某负责组织施工" in body
    assert "李四" not in body and "13900001234" not in body


def test_matters_progress_shows_kind_step_and_deadline_but_not_the_submitter(mw, client):
    matter = mw.staff_matter(title="路灯不亮")
    s.matter_classify(matter=matter, actor=mw.users.cadre, kind="civil", category=mw.categories.environment)
    body = _page(client, mw.qixing).content.decode()
    assert "路灯不亮" in body and "15800009119" not in body and "张三" not in body
    matter.refresh_from_db()
    assert matter.deadline.astimezone(timezone.get_current_timezone()).strftime("%Y-%m-%d") in body
    assert "路灯不亮" not in _page(client, mw.hualong).content.decode()


def _english_page(client, village) -> str:
    return client.get(reverse("board:village", args=[village.code]), HTTP_ACCEPT_LANGUAGE="en").content.decode()


def _rows(mw) -> dict:
    progress = public_board.matters_progress(mw.qixing, public_board.Masks(mw.qixing), timezone.now())
    return {row["title"]: row for row in progress["open"] + progress["closed"]}


def test_a_matter_shows_an_accepted_date_only_once_it_is_accepted(mw, client):
    mw.staff_matter(title="等待受理的事")
    accepted = mw.staff_matter(title="已受理的事")
    s.matter_classify(matter=accepted, actor=mw.users.cadre, kind="civil", category=mw.categories.environment)
    rows = _rows(mw)
    assert rows["等待受理的事"]["accepted"] is None and rows["等待受理的事"]["state"] == State.SUBMITTED
    assert rows["已受理的事"]["accepted"] == MatterEvent.objects.get(matter=accepted, action="classify").created_at
    body = _english_page(client, mw.qixing)
    card = body[body.index("等待受理的事") : body.index("</li>", body.index("等待受理的事"))]
    assert "waiting to be accepted" in card and "accepted 20" not in card
    card = body[body.index("已受理的事") : body.index("</li>", body.index("已受理的事"))]
    assert "accepted 20" in card and "waiting to be accepted" not in card


def test_only_a_closed_matter_is_said_to_be_done_within_its_deadline(mw, client):
    for state in (State.HANDLING, State.VERIFYING, State.EVALUATING):
        matter = civil(mw, state)
        Matter.objects.filter(pk=matter.pk).update(title=f"事项 {state}")
    closed = civil(mw, State.EVALUATING)
    s.matter_evaluate(matter=closed, actor=None, rating="satisfied")
    Matter.objects.filter(pk=closed.pk).update(title="已办结的事")
    rows = _rows(mw)
    assert rows[f"事项 {State.HANDLING}"]["on_time"] == "in_time"
    assert rows[f"事项 {State.VERIFYING}"]["on_time"] == "reported_in_time"
    assert rows[f"事项 {State.EVALUATING}"]["on_time"] == "reported_in_time"
    assert rows["已办结的事"]["on_time"] == "done_in_time"
    assert rows[f"事项 {State.EVALUATING}"]["step"] != str(STEP_OF_STATE[State.EVALUATING][1])  # no "your"
    body = _english_page(client, mw.qixing)
    assert body.count("done within its deadline") == 1 and body.count("result reported within its deadline") == 2
    assert "Your evaluation" not in body


def _posted(world, item="鱼塘承包费"):
    start, _end = finance.period_bounds("quarter", timezone.localdate())
    statement = finance.finance_statement_create(
        user=world.users.cadre, village=world.qixing, period="quarter", day=start - datetime.timedelta(days=1)
    )
    finance.finance_line_add(
        user=world.users.cadre,
        statement=statement,
        line=finance.LineInput(
            direction="income", occurred_on=statement.period_start, item=item, amount=decimal.Decimal("12000")
        ),
    )
    return statement


def test_accounts_appear_once_posted_with_names_taken_out(world, client):
    Resident.objects.filter(household=world.households.q1).update(name="张三")
    statement = _posted(world, item="张三 鱼塘承包费")
    assert "鱼塘承包费" not in _page(client, world.qixing).content.decode()
    finance.finance_statement_post(user=world.users.cadre, statement=statement)
    body = _page(client, world.qixing).content.decode()
    assert "张某 鱼塘承包费" in body and "12000.00" in body and "张三" not in body


def test_board_queries_stay_flat_as_the_village_grows(mw, client):
    _carried_village_matter(mw, "项目")
    finance.finance_statement_post(user=mw.users.cadre, statement=_posted(mw))
    _page(client, mw.qixing)
    with CaptureQueriesContext(connection) as few:
        _page(client, mw.qixing)
    for n in range(3):
        _carried_village_matter(mw, f"项目{n}")
        mw.staff_matter(title=f"事项{n}")
    with CaptureQueriesContext(connection) as more:
        _page(client, mw.qixing)
    assert len(more) == len(few)


def test_poster_carries_the_boards_address(world, client):
    response = client.get(reverse("board:poster", args=[world.qixing.code]))
    assert response.status_code == 200
    assert f"/public/{world.qixing.code}/" in response.content.decode() and "<svg" in response.content.decode()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_public_index_links_each_village_board(world, client, language):
    client.cookies["django_language"] = language
    body = client.get(reverse("public:board")).content.decode()
    assert reverse("board:village", args=[world.qixing.code]) in body


def test_board_shows_the_compact_in_force_with_its_articles(mw, client):
    from petitions.compact import compact_in_force
    from tests.petitions.compacts import in_force

    version = in_force(mw)
    assert compact_in_force(mw.qixing).pk == version.pk
    body = _page(client, mw.qixing).content.decode()
    assert version.title in body
    assert all(article.text in body for article in version.articles.all())
    assert reverse("public:compact", args=[mw.qixing.code]) in body


def test_board_shows_published_pledges_by_title_and_initials_only(demo, client):
    from governance.models import Pledge

    published = Pledge.objects.filter(village__code="500117101001", published_at__isnull=False)
    assert published.exists()
    body = client.get("/public/500117101001/").content.decode()
    for pledge in published:
        assert pledge.title in body
        assert pledge.pledger_initials in body
    unpublished = Pledge.objects.filter(village__code="500117101001", published_at__isnull=True)
    assert all(p.title not in body for p in unpublished)


def test_compact_pages_and_board_take_names_phones_and_id_numbers_out_of_articles(mw, client):
    from tests.petitions.compacts import in_force

    Resident.objects.filter(household=mw.households.q1b).update(name="丁福福")
    version = in_force(mw)
    article = version.articles.first()
    type(article).objects.filter(pk=article.pk).update(
        text="表彰丁福福同志（电话13912345678，身份证500117199001011234）"
    )
    for url in (
        reverse("public:compact", args=[mw.qixing.code]),
        reverse("public:compact-version", args=[mw.qixing.code, version.number]),
        reverse("board:village", args=[mw.qixing.code]),
    ):
        body = client.get(url).content.decode()
        assert "表彰丁某某同志" in body, url
        assert "丁福福" not in body and "13912345678" not in body and "500117199001011234" not in body


def test_board_masks_names_and_numbers_however_they_are_typed(mw, client):
    Resident.objects.filter(household=mw.households.q1b).update(name="李四")
    _carried_village_matter(mw, "李 四家门口修路，电话＋86 １３９ ０００１ ２３４５，身份证5001 1719 9001 0112 34")
    body = _page(client, mw.qixing).content.decode()
    assert "李某家门口修路，电话139****2345，身份证5001**********1234" in body
    assert "李 四" not in body and "０００１" not in body and "9001 0112" not in body
    for figure in ("45", "40", "37"):
        assert f"<dd>{figure}</dd>" in body


def test_pledges_on_the_board_say_a_grid_for_the_name_of_a_small_grid(plw, client):
    from governance import pledges
    from grids.selectors import PUBLIC_GRID_MIN_HOUSEHOLDS
    from tests.factories import make_household
    from tests.pledge_fixtures import content

    for _n in range(PUBLIC_GRID_MIN_HOUSEHOLDS - plw.q2.households.count()):
        make_household(plw.q2, members=1)
    proposed = pledges.pledge_propose(
        actor=plw.users.cadre,
        village=plw.qixing,
        pledger_title="第一网格网格长",
        **content(
            title="第一网格路灯全亮", description="走访第 一\u200b网格张三家，再到第二网格", period_label="第一网格年度"
        ),
    )
    pledge = plw.published(proposed)
    pledges.pledge_progress(pledge=pledge, actor=plw.users.cadre, note="第一网格已修3盏")
    body = _page(client, plw.qixing).content.decode()
    assert "第一网格" not in body and "张三" not in body
    assert "某网格路灯全亮" in body and "走访某网格张某家，再到第二网格" in body
    assert "某网格网格长" in body and "某网格年度" in body and "某网格已修3盏" in body


def test_every_text_on_the_board_says_a_grid_for_the_name_of_a_small_grid(mw, client):
    """Not only the pledges: a matter's title, a resolution, the accounts and the compact too."""
    import decimal

    from governance import finance
    from grids.selectors import PUBLIC_GRID_MIN_HOUSEHOLDS
    from tests.factories import make_household
    from tests.petitions.compacts import in_force

    for _n in range(PUBLIC_GRID_MIN_HOUSEHOLDS - mw.q2.households.count()):
        make_household(mw.q2, members=1)
    _carried_village_matter(mw, "第一网格修路，第二网格也修")
    mw.staff_matter(title="第一网格路灯不亮")
    day = finance.period_bounds("quarter", timezone.localdate())[0] - datetime.timedelta(days=1)
    statement = finance.finance_statement_create(user=mw.users.cadre, village=mw.qixing, period="quarter", day=day)
    line = finance.LineInput(
        direction="expense", occurred_on=statement.period_start, item="第一网格水渠", amount=decimal.Decimal("100")
    )
    finance.finance_line_add(user=mw.users.cadre, statement=statement, line=line)
    finance.finance_statement_post(user=mw.users.cadre, statement=statement)
    in_force(mw, articles=[("第一网格公约", "第一网格的院坝由第一网格的住户轮流打扫。")])
    body = _page(client, mw.qixing).content.decode()
    assert "第一网格" not in body
    assert "某网格修路，第二网格也修" in body and "某网格路灯不亮" in body and "某网格水渠" in body
    assert "某网格的院坝由某网格的住户轮流打扫" in body
