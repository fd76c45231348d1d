import datetime

import pytest
from django.utils import timezone

from grids.campaigns.library import GAS
from grids.campaigns.services import campaign_create, campaign_start


@pytest.fixture
def safety(db):
    from petitions.models import Kind, MatterCategory

    return MatterCategory.objects.create(code="public_security", name="社会治安", default_kind=Kind.GOVERNMENT)


@pytest.fixture
def make_campaign(world):
    """A draft of the township's gas campaign for 七星村 (any field may be changed)."""

    def make(*, actor=None, start=False, **fields):
        today = timezone.localdate()
        values = {
            "township": world.weituo,
            "title": "燃气安全排查",
            "starts_on": today,
            "due_on": today + datetime.timedelta(days=20),
            "villages": [world.qixing],
            "form": GAS.form,
            "form_source": "template:gas_safety",
            **fields,
        }
        campaign = campaign_create(actor=actor or world.users.official, **values)
        if start:
            campaign = campaign_start(campaign=campaign, actor=actor or world.users.official)
        return campaign

    return make


@pytest.fixture
def english():
    """The messages in English, as the assertions read them (the site's language is Chinese)."""
    from django.utils import translation

    with translation.override("en"):
        yield
