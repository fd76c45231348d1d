"""The matters' catalogues in pages (/manage/catalogues/): the superuser edits them, with clear
errors and nothing half-written; a category in use is deactivated, not deleted; changes are on
record with their actor; a changed time limit leaves the deadlines already set alone; a village's
matter settings are set by its township."""

import datetime
import uuid

import pytest
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext

from governance.errors import Conflict, Forbidden, Refused
from governance.history import history_of
from petitions import calendar
from petitions import catalogue_services as catalogues
from petitions import services as s
from petitions.models import (
    CalendarDay,
    ClockLimit,
    Kind,
    MatterCategory,
    Source,
    TimeLimit,
    VillageAffairsVerifiers,
    VillageMatterSettings,
)


def token() -> str:
    return str(uuid.uuid4())


def days_message() -> str:
    return gettext("Give a number of working days from 1 to %(max)d.") % {"max": 365}


def submit(cw, category=None):
    return s.matter_submit(
        actor=cw.users.grid1,
        title="路灯不亮",
        description="村口路灯坏了",
        grid=cw.q1,
        source=Source.VISIT,
        submitter_name="张三",
        category=category,
    )


# ---------------------------------------------------------------- categories


def test_superuser_adds_a_category_in_the_page_and_its_history_names_them(cw, client):
    client.force_login(cw.users.admin)
    answer = client.post(
        "/manage/catalogues/categories/new/",
        {
            "form_token": token(),
            "name": "山林防火",
            "code": "forest_fire",
            "default_kind": Kind.VILLAGE,
            "decision_rule": "members_meeting",
            "order": 5,
            "is_active": "on",
        },
    )
    assert answer.status_code == 302
    category = MatterCategory.objects.get(code="forest_fire")
    assert (category.name, category.default_kind, category.decision_rule, category.order) == (
        "山林防火",
        Kind.VILLAGE,
        "members_meeting",
        5,
    )
    page = client.get(f"/history/matter-category/{category.pk}/")
    assert page.status_code == 200
    created = page.context["changes"][0]
    assert created.actor == cw.users.admin.first_name and created.action == gettext("created")
    # Every member of staff reads the catalogue and the category's history, the township
    # administrator too.
    client.force_login(cw.users.township_admin)
    assert "山林防火" in client.get("/manage/catalogues/categories/").content.decode()
    assert client.get(f"/history/matter-category/{category.pk}/").status_code == 200


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("code", "neighbour_dispute", "Another category already has the code “%(code)s”."),
        ("name", "邻里纠纷", "Another category is already named “%(name)s”."),
        ("code", "邻里", "Use only letters, digits, - and _ in the code."),
    ],
)
def test_a_duplicate_or_malformed_category_is_refused_next_to_its_field(cw, client, field, value, message):
    client.force_login(cw.users.admin)
    data = {"form_token": token(), "name": "新类别", "code": "new_one", "default_kind": Kind.CIVIL}
    data["decision_rule"], data["order"] = "simple", 1
    data[field] = value
    before = list(MatterCategory.objects.values_list())
    answer = client.post("/manage/catalogues/categories/new/", data)
    assert answer.status_code == 400
    expected = gettext(message) % {"code": value, "name": value}
    assert answer.context["form"].errors[field] == [expected]
    assert list(MatterCategory.objects.values_list()) == before


def test_a_category_in_use_is_deactivated_not_deleted(cw, client):
    used = cw.catalogue.used_category
    client.force_login(cw.users.admin)
    page = client.post(f"/manage/catalogues/categories/{used.pk}/delete/", {"delete-form_token": token()})
    assert page.status_code == 409
    message = gettext(
        "“%(name)s” is named by %(count)d records (matters or resolutions): it cannot be deleted. "
        "Deactivate it instead: it is no longer offered, and the records keep it."
    ) % {"name": used.name, "count": 1}
    assert message in [str(m) for m in page.context["messages"]]
    assert MatterCategory.objects.filter(pk=used.pk).exists()
    with pytest.raises(Conflict) as refused:
        catalogues.category_delete(actor=cw.users.admin, category=used)
    assert refused.value.code == "category_in_use"
    # Deactivated in its page (the box unticked): kept by its matter, no longer offered.
    data = {"form_token": token(), "name": used.name, "code": used.code, "default_kind": used.default_kind}
    data.update(decision_rule=used.decision_rule, order=used.order)
    assert client.post(f"/manage/catalogues/categories/{used.pk}/", data).status_code == 302
    used.refresh_from_db()
    assert used.is_active is False and used.matters.count() == 1
    assert (gettext("active"), gettext("yes"), gettext("no")) in history_of(used)[0].fields
    offered = client.get("/api/v1/matter-categories/").json()
    assert used.code not in [c["code"] for c in offered]


def test_an_unused_category_is_deleted_with_its_own_time_limits_on_record(cw, client):
    unused = cw.catalogue.unused_category
    limit = TimeLimit.objects.create(kind=Kind.GOVERNMENT, category=unused, working_days=12)
    client.force_login(cw.users.admin)
    answer = client.post(f"/manage/catalogues/categories/{unused.pk}/delete/", {"delete-form_token": token()})
    assert answer.status_code == 302
    assert not MatterCategory.objects.filter(pk=unused.pk).exists()
    assert not TimeLimit.objects.filter(pk=limit.pk).exists()
    assert history_of(limit)[0].action == gettext("deleted")
    assert history_of(unused)[0].action == gettext("deleted")


def test_the_category_page_warns_that_a_new_decision_rule_calls_for_a_new_vote(cw, client):
    project = cw.categories.village_project
    matter = submit(cw, category=project)
    s.matter_classify(matter=matter, actor=cw.users.cadre, kind=Kind.VILLAGE, category=project)
    client.force_login(cw.users.admin)
    page = client.get(f"/manage/catalogues/categories/{project.pk}/")
    assert page.context["open_village_matters"] == 1


def test_nobody_but_the_superuser_writes_a_category_through_the_service(cw):
    for user in (cw.users.township_admin, cw.users.official, cw.users.cadre):
        with pytest.raises(Forbidden):
            catalogues.category_create(actor=user, code="x", name="某类", default_kind=Kind.CIVIL)
        with pytest.raises(Forbidden):
            catalogues.category_update(actor=user, category=cw.catalogue.unused_category, name="改名")
    assert not MatterCategory.objects.filter(code="x").exists()


# ---------------------------------------------------------------- time limits and clocks


@pytest.mark.parametrize("days", [0, 366, -1])
def test_a_time_limit_of_zero_or_over_a_year_is_refused(cw, client, days):
    client.force_login(cw.users.admin)
    before = list(TimeLimit.objects.values_list())
    answer = client.post(
        "/manage/catalogues/time-limits/new/",
        {"form_token": token(), "stage": "handling", "kind": Kind.GOVERNMENT, "working_days": days},
    )
    assert answer.status_code == 400
    assert answer.context["form"].errors["working_days"] == [days_message()]
    with pytest.raises(Refused) as refused:
        catalogues.time_limit_create(actor=cw.users.admin, kind=Kind.GOVERNMENT, category=None, working_days=days)
    assert (refused.value.code, refused.value.field, str(refused.value.message)) == (
        "out_of_range",
        "working_days",
        days_message(),
    )
    assert list(TimeLimit.objects.values_list()) == before


def test_a_second_limit_for_the_same_kind_and_category_is_refused(cw, client):
    client.force_login(cw.users.admin)
    answer = client.post(
        "/manage/catalogues/time-limits/new/",
        {"form_token": token(), "stage": "handling", "kind": Kind.CIVIL, "working_days": 5},
    )
    assert answer.status_code == 400
    assert answer.context["form"].errors["category"] == [
        gettext("This stage, kind and category already have a time limit: change that one.")
    ]
    assert TimeLimit.objects.get(kind=Kind.CIVIL, category=None).working_days == 7


def test_a_changed_time_limit_leaves_the_deadlines_already_set(cw, client):
    """The clock takes its limit when it starts and keeps it; a matter classified afterwards
    takes the new one (petitions.deadlines.start_clock)."""
    environment = cw.categories.environment
    before = s.matter_classify(matter=submit(cw), actor=cw.users.cadre, kind=Kind.CIVIL, category=environment)
    assert before.time_limit_days == 7
    deadline = before.deadline
    client.force_login(cw.users.admin)
    limit = cw.catalogue.limit
    answer = client.post(
        f"/manage/catalogues/time-limits/{limit.pk}/",
        {"form_token": token(), "stage": "handling", "kind": Kind.CIVIL, "working_days": 20},
    )
    assert answer.status_code == 302
    before.refresh_from_db()
    assert (before.time_limit_days, before.deadline) == (7, deadline)
    after = s.matter_classify(matter=submit(cw), actor=cw.users.cadre, kind=Kind.CIVIL, category=environment)
    start = timezone.localtime(after.clock_started_at).date()
    assert after.time_limit_days == 20
    assert timezone.localtime(after.deadline).date() == calendar.add_working_days(start, 20)
    change = history_of(limit)[0]
    assert change.actor == cw.users.admin.first_name
    assert (gettext("working days"), "7", "20") in change.fields


def test_a_clock_limit_is_set_within_a_year(cw, client):
    client.force_login(cw.users.admin)
    url = "/manage/catalogues/clock-limits/village_acceptance/"
    assert client.post(url, {"form_token": token(), "working_days": 400}).status_code == 400
    assert not ClockLimit.objects.filter(clock="village_acceptance").exists()
    assert client.post(url, {"form_token": token(), "working_days": 5}).status_code == 302
    limit = ClockLimit.objects.get(clock="village_acceptance")
    assert limit.working_days == 5 and history_of(limit)[0].actor == cw.users.admin.first_name


# ---------------------------------------------------------------- the calendar


def test_a_make_up_working_day_is_added_once_and_taken_out(cw, client):
    year = cw.catalogue.next_year
    saturday = datetime.date(year, 10, 10)
    while saturday.weekday() != 5:
        saturday += datetime.timedelta(days=1)
    client.force_login(cw.users.admin)
    data = {"form_token": token(), "date": saturday.isoformat(), "status": "workday", "name": "国庆节调休"}
    assert client.post("/manage/catalogues/calendar/new/", data).status_code == 302
    assert calendar.is_workday(saturday)
    day = CalendarDay.objects.get(date=saturday)
    assert history_of(day)[0].actor == cw.users.admin.first_name
    again = client.post("/manage/catalogues/calendar/new/", {**data, "form_token": token(), "status": "holiday"})
    assert again.status_code == 400
    assert again.context["form"].errors["date"] == [
        gettext("%(date)s is already in the calendar (%(what)s): remove it first to change it.")
        % {"date": saturday.isoformat(), "what": gettext("working day")}
    ]
    assert CalendarDay.objects.get(date=saturday).is_workday
    page = client.get(f"/manage/catalogues/calendar/?year={year}")
    assert page.status_code == 200 and f'id="day-{saturday.isoformat()}"' in page.content.decode()
    gone = client.post(f"/manage/catalogues/calendar/{day.pk}/delete/", {"delete-form_token": token()})
    assert gone.status_code == 302
    assert not CalendarDay.objects.filter(date=saturday).exists()
    assert history_of(day)[0].action == gettext("deleted")


def test_a_calendar_day_far_ahead_or_long_ago_is_refused(cw):
    today = timezone.localdate()
    for day in (datetime.date(today.year + 3, 1, 1), datetime.date(today.year - 11, 1, 1)):
        with pytest.raises(Refused) as refused:
            catalogues.calendar_day_add(actor=cw.users.admin, date=day, is_workday=False)
        assert (refused.value.code, refused.value.field) == ("out_of_range", "date")


# ---------------------------------------------------------------- a village's matter settings


def test_the_township_sets_who_verifies_a_villages_matters_and_the_cadre_reads_it(cw, client):
    client.force_login(cw.users.official)
    url = f"/manage/catalogues/matter-settings/?village={cw.qixing.pk}"
    answer = client.post(url, {"form_token": token(), "village_affairs_verifiers": VillageAffairsVerifiers.TOWNSHIP})
    assert answer.status_code == 302
    row = VillageMatterSettings.objects.get(village=cw.qixing)
    assert row.village_affairs_verifiers == VillageAffairsVerifiers.TOWNSHIP
    assert history_of(row)[0].actor == cw.users.official.first_name
    client.force_login(cw.users.cadre)
    page = client.get("/manage/catalogues/matter-settings/")
    assert page.status_code == 200 and page.context["form"] is None
    assert page.context["current"] == VillageAffairsVerifiers.TOWNSHIP.label
    refused = client.post(url, {"form_token": token(), "village_affairs_verifiers": "supervisors"})
    assert refused.status_code == 403
    row.refresh_from_db()
    assert row.village_affairs_verifiers == VillageAffairsVerifiers.TOWNSHIP
    with pytest.raises(Forbidden):
        catalogues.matter_settings_set(actor=cw.users.cadre, village=cw.qixing, village_affairs_verifiers="supervisors")


# ---------------------------------------------------------------- the overview


def test_the_overview_says_who_edits_what(cw, client):
    client.force_login(cw.users.cadre)
    page = client.get("/manage/catalogues/")
    rows = {row.catalogue.key: row for _owner, _heading, _note, group in page.context["groups"] for row in group}
    assert {"matter-categories", "time-limits", "clock-limits", "calendar", "tags", "visit-default"} <= set(rows)
    assert {"points-rules", "shop-items", "points-settings", "finance-settings", "matter-settings"} <= set(rows)
    assert [key for key, row in rows.items() if row.may_edit] == [
        "points-rules",
        "shop-items",
        "points-settings",
        "finance-settings",
    ]
    assert rows["visit-default"].value == gettext("every %(days)d days") % {"days": settings.VISIT_DEFAULT_EVERY_DAYS}
    client.force_login(cw.users.township_admin)
    rows = {
        row.catalogue.key: row
        for _owner, _heading, _note, group in client.get("/manage/catalogues/").context["groups"]
        for row in group
    }
    assert "points-rules" not in rows and "finance-settings" not in rows
    assert [key for key, row in rows.items() if row.may_edit] == ["matter-settings"]
    client.force_login(cw.users.admin)
    rows = [row for _o, _h, _n, group in client.get("/manage/catalogues/").context["groups"] for row in group]
    district = {row.catalogue.key for row in rows if row.catalogue.owner == "district"}
    assert all(row.may_edit for row in rows if row.catalogue.key in district)


# ---------------------------------------------------------------- queries


def _queries(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm up: the session, first-time caches
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


CATALOGUE_LISTS = [
    "/manage/catalogues/",
    "/manage/catalogues/categories/",
    "/manage/catalogues/time-limits/",
    "/manage/catalogues/clock-limits/",
    "/manage/catalogues/calendar/?year={year}",
    "/manage/catalogues/tags/",
    "/api/v1/matter-categories/",
    "/api/v1/time-limits/",
    "/api/v1/calendar-days/",
    "/api/v1/tags/",
]


@pytest.mark.parametrize("url", CATALOGUE_LISTS)
def test_a_catalogue_list_costs_the_same_for_three_rows_as_for_thirty(cw, client, url):
    from grids.models import Tag

    url = url.format(year=cw.catalogue.next_year)
    client.force_login(cw.users.admin)
    few = _queries(client, url)
    for n in range(30):
        category = MatterCategory.objects.create(code=f"c{n}", name=f"类别{n}", default_kind=Kind.GOVERNMENT)
        TimeLimit.objects.create(kind=Kind.GOVERNMENT, category=category, working_days=10 + n)
        if n < 28:
            CalendarDay.objects.create(date=datetime.date(cw.catalogue.next_year, 3, 1 + n), is_workday=n % 2 == 0)
        Tag.objects.create(code=f"t{n}", name=f"标签{n}", visit_every_days=30 + n)
    assert _queries(client, url) == few
