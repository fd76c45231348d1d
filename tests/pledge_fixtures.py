"""The pledges' fixture: the world (tests/conftest.py), a party member of 七星村 grid 1, and
makers for pledges in each status of the cycle (governance.pledges)."""

import datetime
import io
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from governance import pledges as p
from grids.models import Tag


def jpeg(name="photo.jpg") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, format="JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def content(**overrides) -> dict:
    today = timezone.localdate()
    data = {
        "title": "每月走访独居老人",
        "description": "每逢十进院子、入屋子，走访独居老人。",
        "period_label": "年度",
        "period_start": today - datetime.timedelta(days=30),
        "period_end": today + datetime.timedelta(days=300),
        "due_on": today + datetime.timedelta(days=90),
    }
    data.update(overrides)
    return data


@pytest.fixture
def plw(world):
    """The world, its party member (党员) in 七星村 grid 1, and pledge makers."""
    party, _created = Tag.objects.get_or_create(code="party_member", defaults={"name": "党员"})
    member = world.households.q1b.members.order_by("id").first()
    member.tags.add(party)
    u = world.users

    def own(actor=None, village=None, **overrides):
        """A staff pledge (the cadre's by default), submitted."""
        return p.pledge_propose(
            actor=actor or u.cadre,
            village=village or world.qixing,
            pledger_title="村党支部书记",
            **content(**overrides),
        )

    def residents(**overrides):
        """The party member's pledge, recorded by the cadre, submitted."""
        return p.pledge_propose(actor=u.cadre, village=world.qixing, resident=member, **content(**overrides))

    def published(pledge=None):
        pledge = pledge or own()
        return p.pledge_approve(pledge=pledge, actor=u.official)

    def done(pledge=None):
        pledge = published(pledge)
        return p.pledge_complete(pledge=pledge, actor=pledge.pledger_user or u.cadre, note="完成")

    return SimpleNamespace(**vars(world), member=member, own=own, residents=residents, published=published, done=done)
