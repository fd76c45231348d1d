"""The admin opens for a superuser on every registered model, and the records that change only
through their services (a workflow, the ledger, an audit trail) cannot be added, changed or deleted there."""

import re

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse

from grids.models import Household, IdNumberRefusal
from grids.visits.models import Reminder, Visit
from petitions.models import Matter, MatterEvent
from points.models import Account, Award, AwardBatch, Board, Entry, Redemption
from tests.demo_snapshot import load_demo

READ_ONLY = [
    IdNumberRefusal,
    Visit,
    Reminder,
    Matter,
    MatterEvent,
    Account,
    Entry,
    Award,
    AwardBatch,
    Redemption,
    Board,
]


@pytest.fixture
def superuser_client(db, client):
    load_demo()
    user = get_user_model().objects.create_superuser("admin_test", "admin@example.com", "pw-admin-test")
    client.force_login(user)
    return client


def _url(model, action, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


def test_every_admin_page_opens_and_inline_rows_are_shown_read_only(superuser_client):
    for model in admin.site._registry:
        assert superuser_client.get(_url(model, "changelist")).status_code == 200, model
        first = model.objects.order_by("pk").first()
        if first is not None:
            assert superuser_client.get(_url(model, "change", first.pk)).status_code == 200, model
    household = Household.objects.filter(members__isnull=False).first()
    page = superuser_client.get(_url(Household, "change", household.pk)).content.decode()
    assert "-TOTAL_FORMS" in page and household.members.first().name in page
    assert not re.search(r'name="[a-z_]+-0-name"', page)  # shown, not editable
    matter = Matter.objects.filter(events__isnull=False).first()
    page = superuser_client.get(_url(Matter, "change", matter.pk)).content.decode()
    assert "-TOTAL_FORMS" in page
    assert not re.search(r'name="[a-z_]+-0-action"', page)


@pytest.mark.parametrize("model", READ_ONLY, ids=lambda m: m.__name__)
def test_read_only_records_cannot_be_added_changed_or_deleted(model):
    model_admin = admin.site._registry[model]
    assert not model_admin.has_add_permission(request=None)
    assert not model_admin.has_change_permission(request=None)
    assert not model_admin.has_delete_permission(request=None)
