"""Who may open and send which catalogue page (/manage/catalogues/): the district's catalogues
are read by every signed-in member of staff and edited by the superuser only (403 for everyone
else, the township administrator included, before the form is read); a village's matter
settings are read by its cadres and supervision committee and set by its township (404 for a
village out of sight). The village's own settings stay with its cadres: the township
administrator gets a 403 on the points and accounts pages."""

import pytest

from grids.models import Tag
from petitions.models import CalendarDay, ClockLimit, MatterCategory, TimeLimit, VillageMatterSettings
from tests.catalogue_fixtures import CATALOGUE_PAGE_PERSONAS
from tests.matrix import Case, matrix_params, page_login, page_problems, page_send, run_matrix

PERSONAS = CATALOGUE_PAGE_PERSONAS


def row(default, **statuses):
    """Every persona `default`, anonymous sent to log in, then `statuses`."""
    result = dict.fromkeys(PERSONAS, default)
    result["anonymous"] = 302
    result.update(statuses)
    return result


READ = row(200)
EDIT_GET = row(403, admin=200)
# An empty form: the superuser gets it back with its errors (400), anyone else the 403 page
# before the form is read. What a valid form saves is tested in tests/petitions/test_catalogues.py.
EDIT_POST = row(403, admin=400)
FINANCE_READERS = ("cadre", "supervisor", "other_cadre", "official", "leader", "other_official", "admin")
# Who reads a village's matter settings (its own village's when none is asked for).
SETTINGS_READERS = {"cadre", "supervisor", "other_cadre", "official", "leader", "other_official", "township_admin"}
SETTINGS_OF_ANY = row(403, admin=200, **dict.fromkeys(SETTINGS_READERS, 200))
SETTINGS_OF_QIXING = {**SETTINGS_OF_ANY, "other_cadre": 404, "other_official": 404}
SETTINGS_OF_LIWAN = {
    **SETTINGS_OF_ANY,
    **dict.fromkeys(("cadre", "supervisor", "other_cadre", "official", "leader", "township_admin"), 404),
}
# The township sets it (an empty form: 400); the village's cadre and committee read it only.
SETTINGS_SET_QIXING = {
    **SETTINGS_OF_QIXING,
    **dict.fromkeys(("official", "leader", "township_admin", "admin"), 400),
    "cadre": 403,
    "supervisor": 403,
}

CASES = [
    Case("GET", "/manage/catalogues/", READ),
    Case("GET", "/manage/catalogues/categories/", READ),
    Case("GET", "/manage/catalogues/categories/new/", EDIT_GET),
    Case("POST", "/manage/catalogues/categories/new/", EDIT_POST),
    Case("GET", "/manage/catalogues/categories/{used_category}/", EDIT_GET),
    Case("POST", "/manage/catalogues/categories/{used_category}/", EDIT_POST),
    Case("POST", "/manage/catalogues/categories/{unused_category}/delete/", EDIT_POST),
    # A category in use is not deleted: its page comes back with the reason (409).
    Case("POST", "/manage/catalogues/categories/{used_category}/delete/", row(403, admin=409)),
    Case("GET", "/manage/catalogues/time-limits/", READ),
    Case("GET", "/manage/catalogues/time-limits/new/", EDIT_GET),
    Case("POST", "/manage/catalogues/time-limits/new/", EDIT_POST),
    Case("GET", "/manage/catalogues/time-limits/{limit}/", EDIT_GET),
    Case("POST", "/manage/catalogues/time-limits/{limit}/", EDIT_POST),
    Case("POST", "/manage/catalogues/time-limits/{limit}/delete/", EDIT_POST),
    Case("GET", "/manage/catalogues/clock-limits/", READ),
    Case("GET", "/manage/catalogues/clock-limits/village_acceptance/", EDIT_GET),
    Case("POST", "/manage/catalogues/clock-limits/sign_off/", EDIT_POST),
    Case("GET", "/manage/catalogues/clock-limits/no_such_clock/", row(404)),
    Case("GET", "/manage/catalogues/calendar/", READ),
    Case("GET", "/manage/catalogues/calendar/?year={next_year}", READ),
    Case("POST", "/manage/catalogues/calendar/new/", EDIT_POST),
    Case("POST", "/manage/catalogues/calendar/{day}/delete/", EDIT_POST),
    Case("GET", "/manage/catalogues/tags/", READ),
    Case("GET", "/manage/catalogues/tags/new/", EDIT_GET),
    Case("POST", "/manage/catalogues/tags/new/", EDIT_POST),
    Case("GET", "/manage/catalogues/tags/{used_tag}/", EDIT_GET),
    Case("POST", "/manage/catalogues/tags/{used_tag}/", EDIT_POST),
    Case("POST", "/manage/catalogues/tags/{unused_tag}/delete/", EDIT_POST),
    Case("POST", "/manage/catalogues/tags/{used_tag}/delete/", row(403, admin=409)),
    Case("GET", "/manage/catalogues/matter-settings/", SETTINGS_OF_ANY),
    Case("GET", "/manage/catalogues/matter-settings/?village={qixing}", SETTINGS_OF_QIXING),
    Case("GET", "/manage/catalogues/matter-settings/?village={liwan}", SETTINGS_OF_LIWAN),
    Case("POST", "/manage/catalogues/matter-settings/?village={qixing}", SETTINGS_SET_QIXING),
    # The village's own settings stay with its cadres: the township administrator gains none of them.
    Case("GET", "/points/settings/?village={qixing}", row(403, cadre=200, admin=200, other_cadre=404)),
    Case("POST", "/points/settings/?village={qixing}", row(403, cadre=400, admin=400, other_cadre=404)),
    Case("GET", "/points/rules/new/?village={qixing}", row(403, cadre=200, admin=200, other_cadre=404)),
    Case("GET", "/points/items/", row(403, cadre=200, clerk=200, other_cadre=200, admin=200)),
    Case("POST", "/points/items/new/", row(403, cadre=400, clerk=400, other_cadre=400, admin=400)),
    Case("GET", "/finance/", row(403, **dict.fromkeys(FINANCE_READERS, 200))),
]

# Every page name of the catalogues: namespace this file covers (tests/pages checks the union).
COVERED_URL_NAMES = {
    "overview",
    "category-list",
    "category-create",
    "category-update",
    "category-delete",
    "time-limit-list",
    "time-limit-create",
    "time-limit-update",
    "time-limit-delete",
    "clock-limit-list",
    "clock-limit-update",
    "calendar",
    "calendar-day-create",
    "calendar-day-delete",
    "tag-list",
    "tag-create",
    "tag-update",
    "tag-delete",
    "matter-settings",
}


def _ids(cw) -> dict:
    c = cw.catalogue
    return {
        "used_category": c.used_category.pk,
        "unused_category": c.unused_category.pk,
        "limit": c.limit.pk,
        "day": c.day.pk,
        "used_tag": c.used_tag.pk,
        "unused_tag": c.unused_tag.pk,
        "next_year": c.next_year,
        "qixing": cw.qixing.pk,
        "liwan": cw.liwan.pk,
    }


def catalogue_state():
    """Every catalogue row: what a refused request must leave untouched."""
    return (
        list(MatterCategory.objects.order_by("pk").values_list()),
        list(TimeLimit.objects.order_by("pk").values_list()),
        list(ClockLimit.objects.order_by("pk").values_list()),
        list(CalendarDay.objects.order_by("pk").values_list()),
        list(Tag.objects.order_by("pk").values_list()),
        list(VillageMatterSettings.objects.order_by("pk").values_list()),
    )


@pytest.mark.parametrize("case", matrix_params(CASES))
def test_catalogue_page_permissions(client, cw, case):
    url, data = case.resolve(_ids(cw))
    run_matrix(
        case,
        personas=PERSONAS,
        login=page_login(client, cw.users),
        send=page_send(client, case.method, url, data),
        snapshot=catalogue_state,
        checks=[page_problems],
    )


def test_the_page_names_are_all_covered():
    from governance.page_urls import catalogue_patterns

    assert {p.name for p in catalogue_patterns[0]} == COVERED_URL_NAMES
