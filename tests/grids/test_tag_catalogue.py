"""Tags and their visit targets in pages (/manage/catalogues/tags/): the superuser edits them,
a new target moves the households' due dates at once, a tag someone carries is not deleted,
and the errors are said next to the field."""

import datetime
import uuid

import pytest
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext

from governance.errors import Forbidden
from governance.history import history_of
from grids import services
from grids.models import Household, Tag
from grids.visits.services import visit_record


def token() -> str:
    return str(uuid.uuid4())


def target_message() -> str:
    return gettext("Give a number of days from 1 to %(max)d, or leave it empty for the default target.") % {"max": 365}


def test_a_new_visit_target_moves_the_due_date_of_the_households_that_carry_the_tag(cw, client):
    household = cw.households.q1  # carries 独居老人, every 30 days
    visited = timezone.localtime() - datetime.timedelta(days=3)
    visit_record(
        author=cw.users.grid1, client_uuid=uuid.uuid4(), visited_at=visited, method="home", household=household
    )
    household.refresh_from_db()
    assert household.visit_due_on == visited.date() + datetime.timedelta(days=30)
    tag = cw.catalogue.used_tag
    client.force_login(cw.users.admin)
    data = {"form_token": token(), "name": tag.name, "code": tag.code, "is_key_group": "on", "visit_every_days": 14}
    assert client.post(f"/manage/catalogues/tags/{tag.pk}/", data).status_code == 302
    household.refresh_from_db()
    assert household.visit_due_on == visited.date() + datetime.timedelta(days=14)
    # Emptied: the default target applies.
    data.update(form_token=token(), visit_every_days="")
    assert client.post(f"/manage/catalogues/tags/{tag.pk}/", data).status_code == 302
    household.refresh_from_db()
    assert household.visit_due_on == visited.date() + datetime.timedelta(days=settings.VISIT_DEFAULT_EVERY_DAYS)
    changes = history_of(tag)
    assert changes[0].actor == cw.users.admin.first_name
    assert (gettext("visit at least every (days)"), "14", "") in changes[0].fields


@pytest.mark.parametrize("every", [0, 366])
def test_a_visit_target_of_zero_or_over_a_year_is_refused(cw, client, every):
    client.force_login(cw.users.admin)
    answer = client.post(
        "/manage/catalogues/tags/new/",
        {"form_token": token(), "name": "低保户", "code": "dibao", "visit_every_days": every},
    )
    assert answer.status_code == 400
    assert answer.context["form"].errors["visit_every_days"] == [target_message()]
    assert not Tag.objects.filter(code="dibao").exists()


def test_a_duplicate_tag_name_is_refused_next_to_the_name(cw, client):
    client.force_login(cw.users.admin)
    answer = client.post("/manage/catalogues/tags/new/", {"form_token": token(), "name": "独居老人", "code": "alone2"})
    assert answer.status_code == 400
    assert answer.context["form"].errors["name"] == [
        gettext("Another tag is already named “%(name)s”.") % {"name": "独居老人"}
    ]
    assert Tag.objects.count() == 2


def test_a_tag_someone_carries_is_not_deleted_an_unused_one_is(cw, client):
    client.force_login(cw.users.admin)
    used, unused = cw.catalogue.used_tag, cw.catalogue.unused_tag
    refused = client.post(f"/manage/catalogues/tags/{used.pk}/delete/", {"delete-form_token": token()})
    assert refused.status_code == 409
    message = gettext(
        "“%(name)s” is carried by %(count)d households or residents: it cannot be deleted. "
        "Take it off them first, or rename it."
    ) % {"name": used.name, "count": 1}
    assert message in [str(m) for m in refused.context["messages"]]
    assert Household.objects.filter(tags=used).count() == 1
    assert (
        client.post(f"/manage/catalogues/tags/{unused.pk}/delete/", {"delete-form_token": token()}).status_code == 302
    )
    assert not Tag.objects.filter(pk=unused.pk).exists()
    assert history_of(unused)[0].action == gettext("deleted")


def test_the_tag_list_shows_the_default_target_and_who_carries_each(cw, client):
    client.force_login(cw.users.grid1)
    page = client.get("/manage/catalogues/tags/")
    assert page.status_code == 200 and page.context["may_edit"] is False
    rows = {tag.code: (tag.household_count, tag.resident_count) for tag in page.context["tags"]}
    assert rows == {"elderly_alone": (1, 0), "veteran": (0, 0)}
    html = page.content.decode()
    assert f"/history/tag/{cw.catalogue.used_tag.pk}/" in html and "/manage/catalogues/tags/new/" not in html


def test_nobody_but_the_superuser_writes_a_tag(cw):
    for user in (cw.users.township_admin, cw.users.cadre, cw.users.official):
        with pytest.raises(Forbidden):
            services.tag_update(actor=user, tag=cw.catalogue.used_tag, visit_every_days=7)
        with pytest.raises(Forbidden):
            services.tag_delete(actor=user, tag=cw.catalogue.unused_tag)
    assert Tag.objects.get(pk=cw.catalogue.used_tag.pk).visit_every_days == 30
