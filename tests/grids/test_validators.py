"""Birth dates: not in the future, not more than 130 years back (form, API, ID numbers)."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from grids.models import Resident
from grids.validators import validate_birth_date

TODAY = datetime.date(2026, 3, 1)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (datetime.date(1800, 1, 1), "birth_date_too_early"),
        (datetime.date(1895, 2, 28), "birth_date_too_early"),
        (datetime.date(2026, 3, 2), "future_birth_date"),
        (datetime.date(2099, 1, 1), "future_birth_date"),
    ],
)
def test_implausible_birth_dates_are_refused(value, code):
    with pytest.raises(ValidationError) as refused:
        validate_birth_date(value, today=TODAY)
    assert refused.value.code == code


@pytest.mark.parametrize("value", [None, datetime.date(1896, 3, 1), datetime.date(1950, 6, 1), TODAY])
def test_plausible_birth_dates_pass(value):
    validate_birth_date(value, today=TODAY)


def test_on_29_february_the_limit_is_28_february():
    validate_birth_date(datetime.date(1898, 2, 28), today=datetime.date(2028, 2, 29))
    with pytest.raises(ValidationError):
        validate_birth_date(datetime.date(1898, 2, 27), today=datetime.date(2028, 2, 29))


@pytest.mark.parametrize("birth_date", ["1800-01-01", "2099-01-01", "tomorrow"])
def test_the_api_refuses_an_implausible_birth_date(world, as_user, birth_date):
    if birth_date == "tomorrow":
        birth_date = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    payload = {
        "household": world.households.q1.pk,
        "name": "张小明",
        "relation_to_head": "grandchild",
        "gender": "male",
        "birth_date": birth_date,
    }
    before = Resident.objects.count()

    response = as_user(world.users.grid1).post("/api/v1/residents/", payload, format="json")

    assert response.status_code == 400 and "birth_date" in response.json()
    assert Resident.objects.count() == before


def test_the_api_refuses_a_birth_date_changed_to_1800(world, as_user):
    resident = world.households.q1.members.get(relation_to_head="head")

    response = as_user(world.users.grid1).patch(
        f"/api/v1/residents/{resident.pk}/", {"birth_date": "1800-01-01"}, format="json"
    )

    assert response.status_code == 400 and "birth_date" in response.json()


def test_the_resident_form_refuses_an_implausible_birth_date(db):
    from grids.forms import ResidentForm

    form = ResidentForm(data={"birth_date": "1800-01-01"})
    form.is_valid()
    assert "birth_date" in form.errors


def test_the_resident_form_offers_only_accepted_birth_dates(db):
    from grids.forms import ResidentForm
    from grids.validators import birth_date_bounds

    earliest, today = birth_date_bounds()
    html = str(ResidentForm()["birth_date"])
    assert f'min="{earliest.isoformat()}"' in html and f'max="{today.isoformat()}"' in html
