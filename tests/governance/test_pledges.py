"""Pledges (提诺·亮诺·践诺·评诺) through the services, the sweep and the pages."""

import datetime
import io

import pytest
import time_machine
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from governance import pledges as p
from governance.models import Notification, Pledge, PledgeEvent, PledgePhoto, PledgeStatus
from governance.roles import Role
from tests.factories import assign, make_user
from tests.matrix import PAGE_PERSONAS, Case, matrix_params, page_login, page_problems, page_send, run_matrix
from tests.pledge_fixtures import content, jpeg

pytestmark = pytest.mark.django_db


def test_the_whole_cycle_through_the_services(plw):
    u = plw.users
    pledge = plw.own()
    assert pledge.status == PledgeStatus.SUBMITTED
    assert pledge.pledger_user == u.cadre and pledge.pledger_initials
    pledge = p.pledge_return(pledge=pledge, actor=u.official, reason="目标不具体")
    assert pledge.status == PledgeStatus.RETURNED and pledge.review_note == "目标不具体"
    pledge = p.pledge_resubmit(pledge=pledge, actor=u.cadre, title="每月走访独居老人23户")
    assert pledge.status == PledgeStatus.SUBMITTED and pledge.title == "每月走访独居老人23户"
    pledge = p.pledge_approve(pledge=pledge, actor=u.official, note="同意")
    assert pledge.status == PledgeStatus.PUBLISHED and pledge.published_at and pledge.reviewed_by == u.official
    line = p.pledge_progress(pledge=pledge, actor=u.cadre, note="走访12户", photos=[jpeg()])
    assert line.photos.count() == 1
    pledge = p.pledge_complete(pledge=pledge, actor=u.cadre, note="全部走访", photos=[jpeg(), jpeg("b.jpg")])
    assert pledge.status == PledgeStatus.DONE and pledge.completed_at
    pledge = p.pledge_rate(
        pledge=pledge,
        actor=u.official,
        held_on=timezone.localdate(),
        raters=20,
        satisfied=15,
        basically_satisfied=3,
        unsatisfied=2,
    )
    assert pledge.status == PledgeStatus.CLOSED and pledge.satisfaction_rate == 90
    actions = list(PledgeEvent.objects.filter(pledge=pledge).values_list("action", flat=True))
    assert actions == ["propose", "return", "resubmit", "approve", "progress", "complete", "rate"]
    assert PledgePhoto.objects.filter(pledge=pledge).count() == 3


def test_a_residents_pledge_is_carried_out_by_a_village_cadre(plw):
    u = plw.users
    pledge = plw.residents()
    assert pledge.pledger_resident == plw.member and pledge.pledger_user is None
    assert pledge.pledger_title == "党员"  # in the site's language, whoever recorded it
    name_letters = plw.member.name_initials.upper()
    assert pledge.pledger_initials == ".".join(name_letters) + "."
    p.pledge_approve(pledge=pledge, actor=u.official)
    p.pledge_progress(pledge=pledge, actor=u.cadre, note="院坝会宣讲")
    with pytest.raises(p.PledgePermissionError):
        p.pledge_progress(pledge=pledge, actor=u.grid1, note="不是我的")


def test_the_pledger_cannot_approve_their_own_pledge(plw):
    pledge = plw.own(actor=plw.users.cadre)
    with pytest.raises(p.PledgePermissionError) as refused:
        p.pledge_approve(pledge=pledge, actor=plw.users.cadre)
    assert refused.value.code == "own_pledge"
    assert Pledge.objects.get(pk=pledge.pk).status == PledgeStatus.SUBMITTED


def test_who_recorded_a_residents_pledge_does_not_review_it(plw):
    pledge = plw.residents()
    with pytest.raises(p.PledgePermissionError):
        p.pledge_return(pledge=pledge, actor=plw.users.cadre, reason="x")
    assert p.pledge_approve(pledge=pledge, actor=plw.users.leader).status == PledgeStatus.PUBLISHED


def test_a_grid_workers_pledge_is_reviewed_by_the_village_cadre(plw):
    pledge = plw.own(actor=plw.users.grid1)
    assert p.next_actions(plw.users.cadre, pledge) == ["approve", "return"]
    assert p.pledge_approve(pledge=pledge, actor=plw.users.cadre).status == PledgeStatus.PUBLISHED


def test_the_pledger_does_not_record_their_own_rating(plw):
    pledge = plw.done(plw.own(actor=plw.users.grid1))
    with pytest.raises(p.PledgePermissionError):
        p.pledge_rate(
            pledge=pledge,
            actor=plw.users.grid1,
            held_on=timezone.localdate(),
            raters=1,
            satisfied=1,
            basically_satisfied=0,
            unsatisfied=0,
        )


def test_roles_outside_the_village_may_not_review_or_propose(plw):
    u = plw.users
    pledge = plw.own()
    for outsider in (u.other_cadre, u.other_official, u.grid1, u.clerk, u.supervisor, u.handler):
        with pytest.raises(p.PledgePermissionError):
            p.pledge_approve(pledge=pledge, actor=outsider)
    for refused in (u.clerk, u.supervisor, u.official, u.other_cadre):
        with pytest.raises(p.PledgePermissionError):
            p.pledge_propose(actor=refused, village=plw.qixing, **content())
    with pytest.raises(p.PledgePermissionError):  # a grid worker records no resident's pledge
        p.pledge_propose(actor=u.grid1, village=plw.qixing, resident=plw.member, **content())


def test_approving_twice_is_a_conflict(plw):
    pledge = plw.published()
    with pytest.raises(p.PledgeStateError):
        p.pledge_approve(pledge=pledge, actor=plw.users.leader)


def test_progress_on_a_returned_pledge_is_a_conflict(plw):
    pledge = p.pledge_return(pledge=plw.own(), actor=plw.users.official, reason="再具体些")
    with pytest.raises(p.PledgeStateError):
        p.pledge_progress(pledge=pledge, actor=plw.users.cadre, note="x")
    assert not pledge.progress.exists()


def test_rating_before_done_is_a_conflict_and_figures_must_add_up(plw):
    u = plw.users
    pledge = plw.published()
    figures = {"held_on": timezone.localdate(), "raters": 10, "satisfied": 5, "basically_satisfied": 2}
    with pytest.raises(p.PledgeStateError):
        p.pledge_rate(pledge=pledge, actor=u.official, unsatisfied=3, **figures)
    pledge = p.pledge_complete(pledge=pledge, actor=u.cadre, note="完成")
    with pytest.raises(ValidationError) as invalid:
        p.pledge_rate(pledge=pledge, actor=u.official, unsatisfied=1, **figures)
    assert "raters" in invalid.value.error_dict
    assert Pledge.objects.get(pk=pledge.pk).status == PledgeStatus.DONE


def test_dates_are_checked(plw):
    today = timezone.localdate()
    with pytest.raises(ValidationError) as past:
        plw.own(due_on=today - datetime.timedelta(days=1))
    assert "due_on" in past.value.error_dict
    with pytest.raises(ValidationError) as outside:
        plw.own(due_on=today + datetime.timedelta(days=400))
    assert "due_on" in outside.value.error_dict
    with pytest.raises(ValidationError) as blank:
        plw.own(title="  ")
    assert "title" in blank.value.error_dict
    assert not Pledge.objects.exists()


def test_the_overdue_sweep_flags_once_and_tells_the_pledger_and_the_cadres(plw):
    u = plw.users
    today = timezone.localdate()
    with time_machine.travel(timezone.now(), tick=False):
        late = plw.published(plw.own(actor=u.grid1, due_on=today + datetime.timedelta(days=2)))
        done = plw.done(plw.own(actor=u.grid2, due_on=today + datetime.timedelta(days=2)))
        on_time = plw.published(plw.own(due_on=today + datetime.timedelta(days=20)))
    later = timezone.now() + datetime.timedelta(days=4)
    with time_machine.travel(later, tick=False):
        before = Notification.objects.count()
        assert p.pledges_flag_overdue() == 1
        assert p.pledges_flag_overdue() == 0
        call_command("flag_overdue_pledges", stdout=io.StringIO())
        with translation.override(settings.LANGUAGE_CODE):  # notifications are written in the site's language
            title = translation.gettext("A pledge is overdue")
        told = set(Notification.objects.filter(title=title).values_list("user_id", flat=True))
    assert Notification.objects.count() - before == 2
    assert told == {u.grid1.pk, u.cadre.pk}
    late.refresh_from_db(), done.refresh_from_db(), on_time.refresh_from_db()
    assert late.is_overdue and late.overdue_at and not done.is_overdue and not on_time.is_overdue
    assert PledgeEvent.objects.filter(pledge=late, action="overdue").count() == 1


def test_the_overdue_command_takes_a_moment(plw):
    pledge = plw.published(plw.own(due_on=timezone.localdate() + datetime.timedelta(days=3)))
    moment = (timezone.localtime() + datetime.timedelta(days=5)).isoformat()
    out = io.StringIO()
    call_command("flag_overdue_pledges", "--now", moment, stdout=out)
    assert "flagged=1" in out.getvalue()
    pledge.refresh_from_db()
    assert pledge.is_overdue


def test_who_recorded_or_completed_a_residents_pledge_does_not_record_its_rating(plw):
    u = plw.users
    second = make_user("t_cadre2", name="七星村第二干部")
    assign(second, Role.VILLAGE_CADRE, plw.qixing)
    pledge = plw.published(plw.residents())  # recorded by u.cadre for the resident
    p.pledge_complete(pledge=pledge, actor=second, note="完成")  # another cadre of the village, for the resident
    figures = {"held_on": timezone.localdate(), "raters": 2, "satisfied": 2, "basically_satisfied": 0, "unsatisfied": 0}
    for actor in (u.cadre, second):  # recorded it; recorded it done
        assert "rate" not in p.next_actions(actor, pledge)
        with pytest.raises(p.PledgePermissionError) as refused:
            p.pledge_rate(pledge=pledge, actor=actor, **figures)
        assert refused.value.code == "own_pledge"
    pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.DONE and pledge.completed_by == second
    assert p.pledge_rate(pledge=pledge, actor=u.official, **figures).status == PledgeStatus.CLOSED


def test_pledges_public_shows_titles_and_initials_never_names_or_phones(plw):
    u = plw.users
    resident_pledge = plw.done(plw.residents(title="清家六齐"))
    p.pledge_rate(
        pledge=resident_pledge,
        actor=u.official,
        held_on=timezone.localdate(),
        raters=4,
        satisfied=3,
        basically_satisfied=1,
        unsatisfied=0,
    )
    staff = plw.published(plw.own(title="走访"))
    p.pledge_progress(pledge=staff, actor=u.cadre, note="走访5户")
    plw.own(title="还在审诺")  # not published: not on the board
    with CaptureQueriesContext(connection) as queries:
        rows = p.pledges_public(plw.qixing)
    assert len(queries) == 2
    assert {row["title"] for row in rows} == {"清家六齐", "走访"}
    text = repr(rows)
    for secret in (plw.member.name, plw.member.phone, plw.member.id_number_masked, u.cadre.first_name, "t_cadre"):
        assert secret and secret not in text
    rated = next(row for row in rows if row["title"] == "清家六齐")
    assert rated["rating"]["satisfaction_rate"] == 100 and rated["pledger_initials"].endswith(".")
    walked = next(row for row in rows if row["title"] == "走访")
    assert walked["progress"][0]["text"] == "走访5户" and walked["rating"] is None
    assert "photos" not in text


def test_initials_use_the_last_word_of_a_staff_name():
    assert p.initials("七星村 陈书记") == "C.S.J."
    assert p.initials("张三") == "Z.S."
    assert p.initials("") == "—"


# ---------------------------------------------------------------- pages


def _token(response, prefix=""):
    form = response.context["forms"][prefix] if prefix else response.context["form"]
    return str(form.initial["form_token"])


def test_the_cycle_through_the_pages(plw, client):
    u = plw.users
    today = timezone.localdate()
    client.force_login(u.grid1)
    page = client.get("/pledges/new/")
    assert page.status_code == 200
    data = {
        "village": plw.qixing.pk,
        "pledger_title": "网格员",
        "title": "逢十走访困难户",
        "description": "每逢十走访",
        "period_label": "年度",
        "period_start": today.isoformat(),
        "period_end": (today + datetime.timedelta(days=200)).isoformat(),
        "due_on": (today + datetime.timedelta(days=100)).isoformat(),
        "form_token": _token(page),
    }
    created = client.post("/pledges/new/", data)
    assert created.status_code == 302
    again = client.post("/pledges/new/", data)  # a double tap
    assert again.status_code == 302 and Pledge.objects.count() == 1
    pledge = Pledge.objects.get()
    detail = f"/pledges/{pledge.pk}/"
    assert client.get(detail).context["forms"] == {}  # no self-review
    client.force_login(u.cadre)
    page = client.get(detail)
    assert set(page.context["forms"]) == {"approve", "return"}
    assert client.post(f"{detail}approve/", {"approve-form_token": _token(page, "approve")}).status_code == 302
    pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.PUBLISHED
    client.force_login(u.grid1)
    page = client.get(detail)
    response = client.post(
        f"{detail}progress/",
        {"progress-form_token": _token(page, "progress"), "progress-note": "走访3户", "progress-photos": [jpeg()]},
    )
    assert response.status_code == 302
    assert PledgePhoto.objects.filter(pledge=pledge).count() == 1
    photo = PledgePhoto.objects.get()
    assert client.get(f"/pledge-photos/{photo.pk}/").status_code == 200
    client.force_login(u.other_cadre)
    assert client.get(f"/pledge-photos/{photo.pk}/").status_code == 404


def test_a_form_with_a_bad_date_says_so_next_to_the_field(plw, client):
    client.force_login(plw.users.cadre)
    page = client.get("/pledges/new/")
    today = timezone.localdate()
    response = client.post(
        "/pledges/new/",
        {
            "village": plw.qixing.pk,
            "title": "x",
            "description": "y",
            "period_label": "年度",
            "period_start": today.isoformat(),
            "period_end": (today + datetime.timedelta(days=10)).isoformat(),
            "due_on": (today + datetime.timedelta(days=40)).isoformat(),
            "form_token": _token(page),
        },
    )
    assert response.status_code == 400
    assert "due_on" in response.context["form"].errors
    assert response.context["form"]["title"].value() == "x"


def test_the_lists_status_filter_is_not_the_registers_residence_status(plw, client):
    """The filter's label once shared its msgid with the register's 居住状态 (a resident's
    residence), so the pledge list asked for a pledge's "residence status"."""
    client.force_login(plw.users.cadre)
    with translation.override("zh-hans"):
        label = client.get("/pledges/", HTTP_ACCEPT_LANGUAGE="zh-hans").context["form"]["status"].label
        assert str(label) == "状态"


def test_a_refused_page_action_answers_409_or_403(plw, client):
    pledge = plw.published()
    client.force_login(plw.users.leader)
    assert client.post(f"/pledges/{pledge.pk}/approve/", {"approve-note": ""}).status_code == 409
    client.force_login(plw.users.grid1)
    assert client.post(f"/pledges/{pledge.pk}/progress/", {"progress-note": "x"}).status_code == 403
    client.force_login(plw.users.other_cadre)
    assert client.get(f"/pledges/{pledge.pk}/").status_code == 404
    assert not pledge.progress.exists()


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("cadre", 200),
        ("grid1", 200),
        ("supervisor", 200),
        ("official", 200),
        ("clerk", 403),
        ("outsider", 200),
    ],
)
def test_the_list_page_by_role(plw, client, persona, status):
    plw.own()
    client.force_login(getattr(plw.users, persona))
    response = client.get("/pledges/")
    assert response.status_code == status
    if persona == "outsider":
        assert response.context["rows"] == []


def test_the_list_shows_each_rows_next_action_and_filters(plw, client):
    plw.own(title="等审")
    plw.published(plw.own(title="已亮诺"))
    client.force_login(plw.users.official)
    response = client.get("/pledges/")
    labels = {row.title: row.next_label for row in response.context["rows"]}
    assert labels["等审"] is not None and labels["已亮诺"] is None
    filtered = client.get("/pledges/", {"status": "published"})
    assert [row.title for row in filtered.context["rows"]] == ["已亮诺"]
    # Pledges sit under the 村务 tab, with the accounts and the compact.
    assert 'href="/affairs/"' in client.get("/").content.decode()
    assert 'href="/pledges/"' in client.get("/affairs/").content.decode()


def test_the_list_page_costs_the_same_queries_for_more_rows(plw, client):
    client.force_login(plw.users.official)
    plw.residents()
    plw.own()
    client.get("/pledges/")

    def measure():
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/pledges/").status_code == 200
        return len(queries)

    few = measure()
    for _ in range(4):
        plw.residents()
        plw.published(plw.own(actor=plw.users.grid1))
    assert measure() == few


# ---------------------------------------------------------------- the pages' permission matrix

PAGE_READERS = ("grid1", "grid2", "helper", "cadre", "supervisor", "official", "leader", "admin")


def _page_row(default, **statuses):
    row = dict.fromkeys(PAGE_PERSONAS, default)
    row["anonymous"] = 302
    row.update(statuses)
    return row


PAGE_MATRIX = {
    # The shop clerk and a department handler read no pledges; someone with no role, an empty list.
    ("GET", "pledge-list", "/pledges/"): _page_row(200, clerk=403, handler=403),
    # 提诺: the frontline roles (a village cadre, grid and courtyard staff), in their villages.
    ("GET", "pledge-create", "/pledges/new/"): _page_row(
        403, grid1=200, grid2=200, helper=200, cadre=200, other_cadre=200, admin=200
    ),
    ("GET", "pledge-detail", "/pledges/{submitted}/"): _page_row(404, **dict.fromkeys(PAGE_READERS, 200)),
    # The cadre proposed it: not theirs to review (403); the township's form, sent empty: 400.
    ("POST", "pledge-action", "/pledges/{submitted}/approve/"): _page_row(
        404, **{**dict.fromkeys(PAGE_READERS, 403), "official": 400, "leader": 400, "admin": 400}
    ),
    ("GET", "pledge-photo", "/pledge-photos/{photo}/"): _page_row(404, **dict.fromkeys(PAGE_READERS, 200)),
}
# The page names this matrix covers (tests/pages/test_permissions.py checks every page is covered).
COVERED_URL_NAMES = {name for _method, name, _url in PAGE_MATRIX}
PAGE_CASES = [Case(method, url, row, note=name) for (method, name, url), row in PAGE_MATRIX.items()]


@pytest.mark.parametrize("case", matrix_params(PAGE_CASES))
def test_pledge_page_permissions(plw, client, case):
    published = plw.published()
    line = p.pledge_progress(pledge=published, actor=plw.users.cadre, note="走访", photos=[jpeg()])
    ids = {"submitted": plw.own().pk, "photo": line.photos.get().pk}
    url, _data = case.resolve(ids)
    before = list(Pledge.objects.order_by("pk").values_list("status", flat=True))
    run_matrix(
        case,
        personas=list(case.expected),
        login=page_login(client, plw.users),
        send=page_send(client, case.method, url),
        checks=[page_problems],
    )
    assert list(Pledge.objects.order_by("pk").values_list("status", flat=True)) == before


def test_the_demo_has_a_pledge_at_each_step_once(demo):
    call_command("seed_demo", force=True, stdout=io.StringIO())  # a second run adds nothing
    pledges = {x.title: x for x in Pledge.objects.filter(village__code="500117101001")}
    assert len(pledges) == Pledge.objects.count() == 3
    secretary = next(x for x in pledges.values() if x.pledger_title == "村党支部书记")
    assert secretary.status == PledgeStatus.PUBLISHED and secretary.progress.count() == 2
    assert secretary.reviewed_by.username == "weituo_official"
    rated = next(x for x in pledges.values() if x.status == PledgeStatus.CLOSED)
    assert rated.pledger_resident_id and rated.satisfaction_rate == 96
    overdue = next(x for x in pledges.values() if x.is_overdue)
    assert overdue.status == PledgeStatus.PUBLISHED and overdue.pledger_user.username == "qixing_grid1"
    assert PledgeEvent.objects.filter(action="overdue").count() == 1


def test_a_grid_workers_own_pledge_is_titled_as_a_grid_worker_in_the_sites_language(plw):
    from django.utils import translation

    from governance import pledges
    from tests.pledge_fixtures import content

    with translation.override("en"):
        pledge = pledges.pledge_propose(actor=plw.users.grid1, village=plw.qixing, **content())
    assert pledge.pledger_title == "网格员"


def test_a_period_long_ago_and_a_rating_before_the_period_are_refused_on_their_fields(plw):
    today = timezone.localdate()
    with pytest.raises(ValidationError) as old:
        plw.own(period_start=datetime.date(today.year - 100, 6, 1))
    assert "period_start" in old.value.message_dict
    pledge = plw.done()
    with pytest.raises(ValidationError) as early:
        p.pledge_rate(
            pledge=pledge,
            actor=plw.users.official,
            held_on=pledge.period_start - datetime.timedelta(days=1),
            raters=1,
            satisfied=1,
            basically_satisfied=0,
            unsatisfied=0,
        )
    assert "held_on" in early.value.message_dict
    pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.DONE and pledge.rated_on is None


def test_a_pledge_kept_before_its_period_started_is_rated_from_the_day_it_was_done(plw):
    today = timezone.localdate()
    early = plw.done(plw.own(actor=plw.users.grid1, period_start=today + datetime.timedelta(days=20)))
    figures = {"raters": 3, "satisfied": 3, "basically_satisfied": 0, "unsatisfied": 0}
    with pytest.raises(ValidationError) as before_done:
        p.pledge_rate(pledge=early, actor=plw.users.cadre, held_on=today - datetime.timedelta(days=1), **figures)
    assert "held_on" in before_done.value.message_dict
    rated = p.pledge_rate(pledge=early, actor=plw.users.cadre, held_on=today, **figures)
    assert rated.status == PledgeStatus.CLOSED and rated.rated_on == today
