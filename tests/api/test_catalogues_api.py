"""The district catalogues' API: /api/v1/matter-categories/, /api/v1/time-limits/,
/api/v1/calendar-days/, /api/v1/tags/ (read by everyone signed in, written by the superuser;
the township administrator and every other role get a 403 before the body is read) and the
read-only /api/v1/clock-limits/. A row in use is a 409, bad input a 400 on the field with its
code, and nothing is half-written."""

import pytest
from django.utils.translation import gettext

from grids.models import Tag
from petitions.models import CalendarDay, ClockLimit, MatterCategory, TimeLimit
from tests.catalogue_fixtures import CATALOGUE_API_PERSONAS
from tests.matrix import Case, api_expect, api_login, api_problems, api_send, matrix_params, run_matrix

PERSONAS = CATALOGUE_API_PERSONAS


def expect(default, **overrides):
    return {**api_expect(default), "township_admin": default, **overrides}


READ = expect(200)
CREATE = expect(403, admin=201)
WRITE = expect(403, admin=200)
DELETE = expect(403, admin=204)
IN_USE = expect(403, admin=409)
BAD = expect(403, admin=400)

CATEGORY = {"code": "forest_fire", "name": "山林防火", "default_kind": "village", "decision_rule": "members_meeting"}
TAG = {"code": "left_behind_child", "name": "留守儿童", "is_key_group": True, "visit_every_days": 30}

CASES = [
    Case("GET", "/api/v1/matter-categories/", READ),
    Case("GET", "/api/v1/matter-categories/?include_inactive=true", READ),
    Case("GET", "/api/v1/matter-categories/{used_category}/", READ),
    Case("POST", "/api/v1/matter-categories/", CREATE, CATEGORY),
    Case("POST", "/api/v1/matter-categories/", BAD, {**CATEGORY, "code": "neighbour_dispute"}, note="duplicate"),
    Case("PATCH", "/api/v1/matter-categories/{used_category}/", WRITE, {"is_active": False}),
    Case("PUT", "/api/v1/matter-categories/{unused_category}/", WRITE, {**CATEGORY, "order": 3}),
    Case("DELETE", "/api/v1/matter-categories/{unused_category}/", DELETE),
    Case("DELETE", "/api/v1/matter-categories/{used_category}/", IN_USE),
    Case("DELETE", "/api/v1/matter-categories/999999/", expect(403, admin=404), note="missing"),
    Case("GET", "/api/v1/time-limits/", READ),
    Case("POST", "/api/v1/time-limits/", CREATE, {"kind": "government", "working_days": 15}),
    Case("POST", "/api/v1/time-limits/", BAD, {"kind": "government", "working_days": 0}, note="zero"),
    Case("POST", "/api/v1/time-limits/", BAD, {"kind": "civil", "working_days": 3}, note="duplicate"),
    Case("PATCH", "/api/v1/time-limits/{limit}/", WRITE, {"working_days": 9}),
    Case("PATCH", "/api/v1/time-limits/{limit}/", BAD, {"working_days": 366}, note="over a year"),
    Case("DELETE", "/api/v1/time-limits/{limit}/", DELETE),
    Case("GET", "/api/v1/clock-limits/", READ),
    Case("POST", "/api/v1/clock-limits/", expect(405), {"clock": "sign_off", "working_days": 2}),
    Case("GET", "/api/v1/calendar-days/?year={next_year}", READ),
    Case("POST", "/api/v1/calendar-days/", CREATE, {"date": "{next_date}", "is_workday": True, "name": "调休"}),
    Case("POST", "/api/v1/calendar-days/", BAD, {"date": "{day_date}", "is_workday": True}, note="twice"),
    Case("PATCH", "/api/v1/calendar-days/{day}/", expect(403, admin=405), {"is_workday": True}),
    Case("DELETE", "/api/v1/calendar-days/{day}/", DELETE),
    Case("GET", "/api/v1/tags/", READ),
    Case("POST", "/api/v1/tags/", CREATE, TAG),
    Case("POST", "/api/v1/tags/", BAD, {**TAG, "visit_every_days": 0}, note="target zero"),
    Case("PATCH", "/api/v1/tags/{used_tag}/", WRITE, {"visit_every_days": 14}),
    Case("DELETE", "/api/v1/tags/{unused_tag}/", DELETE),
    Case("DELETE", "/api/v1/tags/{used_tag}/", IN_USE),
]


def _ids(cw) -> dict:
    c = cw.catalogue
    return {
        "used_category": c.used_category.pk,
        "unused_category": c.unused_category.pk,
        "limit": c.limit.pk,
        "day": c.day.pk,
        "day_date": c.day.date.isoformat(),
        "next_year": c.next_year,
        "next_date": f"{c.next_year}-10-10",
        "used_tag": c.used_tag.pk,
        "unused_tag": c.unused_tag.pk,
    }


def catalogue_state():
    return (
        list(MatterCategory.objects.order_by("pk").values_list()),
        list(TimeLimit.objects.order_by("pk").values_list()),
        list(ClockLimit.objects.order_by("pk").values_list()),
        list(CalendarDay.objects.order_by("pk").values_list()),
        list(Tag.objects.order_by("pk").values_list()),
    )


def body_problems(persona, response) -> list[str]:
    """The matrix's checks of every answer (a 204 has no body to check); a 400 names the field
    and, from a service, its code; a 409 says why, with its code."""
    if response.status_code == 204:
        return []
    problems = api_problems(persona, response)
    if response.status_code == 400 and not set(response.json()) & {"code", "working_days", "date", "visit_every_days"}:
        problems.append(f"400 without a field: {response.json()}")
    if response.status_code == 409 and response.json().get("code") not in ("category_in_use", "tag_in_use"):
        problems.append(f"409 without its code: {response.json()}")
    return problems


@pytest.mark.parametrize("case", matrix_params(CASES))
def test_catalogue_api_matrix(cw, api_client, case):
    url, data = case.resolve(_ids(cw))
    run_matrix(
        case,
        personas=PERSONAS,
        login=api_login(api_client, cw.users),
        send=api_send(api_client, case.method, url, data),
        snapshot=catalogue_state,
        checks=[body_problems],
    )


def test_bad_input_answers_on_its_field_with_its_code(cw, api_client):
    api_client.force_authenticate(cw.users.admin)
    zero = api_client.post("/api/v1/time-limits/", {"kind": "government", "working_days": 0}, format="json")
    assert zero.status_code == 400
    assert zero.json() == {
        "detail": gettext("Give a number of working days from 1 to %(max)d.") % {"max": 365},
        "code": "out_of_range",
        "working_days": [gettext("Give a number of working days from 1 to %(max)d.") % {"max": 365}],
    }
    twice = api_client.post("/api/v1/calendar-days/", {"date": cw.catalogue.day.date.isoformat(), "is_workday": True})
    assert twice.status_code == 400 and twice.json()["code"] == "duplicate" and "date" in twice.json()
    used = cw.catalogue.used_category
    in_use = api_client.delete(f"/api/v1/matter-categories/{used.pk}/")
    assert in_use.status_code == 409 and in_use.json()["code"] == "category_in_use"
    assert MatterCategory.objects.filter(pk=used.pk).exists()


def test_a_replayed_create_makes_one_category(cw, api_client):
    api_client.force_authenticate(cw.users.admin)
    headers = {"HTTP_IDEMPOTENCY_KEY": "category-forest-fire"}
    first = api_client.post("/api/v1/matter-categories/", CATEGORY, format="json", **headers)
    again = api_client.post("/api/v1/matter-categories/", CATEGORY, format="json", **headers)
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert MatterCategory.objects.filter(code="forest_fire").count() == 1


def test_the_deactivated_categories_are_listed_only_when_asked(cw, api_client):
    used = cw.catalogue.used_category
    api_client.force_authenticate(cw.users.admin)
    assert api_client.patch(f"/api/v1/matter-categories/{used.pk}/", {"is_active": False}).json()["is_active"] is False
    api_client.force_authenticate(cw.users.grid1)
    codes = [c["code"] for c in api_client.get("/api/v1/matter-categories/").json()]
    assert used.code not in codes
    every = api_client.get("/api/v1/matter-categories/?include_inactive=true").json()
    assert {"code": used.code, "is_active": False}.items() <= next(c for c in every if c["code"] == used.code).items()


def test_clock_limits_show_the_set_and_the_built_in(cw, api_client):
    api_client.force_authenticate(cw.users.township_admin)
    rows = {row["clock"]: row for row in api_client.get("/api/v1/clock-limits/").json()}
    assert rows["sign_off"] == {
        "clock": "sign_off",
        "label": str(ClockLimit.Clock.SIGN_OFF.label),
        "working_days": 1,
        "is_default": False,
    }
    assert rows["village_acceptance"]["is_default"] is True and rows["village_acceptance"]["working_days"] == 3


def test_a_write_through_the_api_is_on_record_with_its_caller(cw, api_client):
    from governance.history import history_of

    tag = cw.catalogue.used_tag
    api_client.force_authenticate(cw.users.admin)
    assert api_client.patch(f"/api/v1/tags/{tag.pk}/", {"visit_every_days": 14}, format="json").status_code == 200
    change = history_of(tag)[0]
    assert change.actor == cw.users.admin.first_name
    assert (gettext("visit at least every (days)"), "30", "14") in change.fields
    answer = api_client.get(f"/api/v1/history/tag/{tag.pk}/")
    assert answer.json()[0]["actor"] == cw.users.admin.first_name
