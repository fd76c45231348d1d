"""The points world: the personas' world plus village settings, catalogues, shops and makers.

七星村 (q1, q1b in grid 1, q2 in grid 2): starting balance 100, spendable above 80, benefit
floor 60, a three-day objection window. A second 七星村 cadre (cadre2) checks what the first
proposes; leader1 leads grid 1. Every household already has its passbook: household_create
opens it.
"""

import datetime
import io
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from governance.models import Role
from points import services as s
from points.models import Item, Rule, VillagePointsSettings
from tests.factories import assign, make_user

GRID = ["grid_worker", "grid_leader", "courtyard_helper"]


def photo(name="evidence.jpg", *, with_gps=False) -> SimpleUploadedFile:
    from PIL import Image

    image = Image.new("RGB", (64, 48), (200, 40, 40))
    out = io.BytesIO()
    exif = Image.Exif()
    if with_gps:
        exif[0x010F] = "PhoneMaker"  # Make
        exif[0x8825] = {1: "N", 2: (29.0, 58.0, 0.0)}  # GPSInfo
    image.save(out, format="JPEG", exif=exif)
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def _rules(village, prefix=""):
    def rule(name, points, cap=None, period="none", roles=None, evidence=False):
        return Rule.objects.create(
            village=village,
            category="public_good" if points > 0 else "law",
            name=prefix + name,
            points=points,
            cap_count=cap,
            cap_period=period,
            proposer_roles=roles or GRID,
            requires_evidence=evidence,
        )

    return SimpleNamespace(
        meeting=rule("按时参加村民会议", 1, 2, "month"),
        late=rule("参加村民会议迟到", -1, 2, "month"),
        volunteer=rule("志愿服务", 5, 4, "month"),
        tidy=rule("清家六齐·房前屋后清扫整洁", 2, 1, "month"),
        family=rule("评为最美家庭", 50, 1, "year", roles=["village_cadre", "grid_leader"], evidence=True),
        breach=rule("违反村规民约", -10),
        major=rule("重大违规", -150),
    )


@pytest.fixture
def pw(world, settings, tmp_path):
    from tests.fixture_snapshot import snapshotted

    settings.MEDIA_ROOT = tmp_path
    u = world.users

    def rows():
        """Built once per test process and copied in after (tests.fixture_snapshot)."""
        cadre2 = make_user("t_cadre2", name="七星村副书记")
        assign(cadre2, Role.VILLAGE_CADRE, world.qixing)
        leader1 = None
        if not hasattr(u, "leader1"):  # the matters fixture (mw) makes the same grid leader
            leader1 = make_user("t_leader1", name="网格长")
            assign(leader1, Role.GRID_LEADER, world.q1)
        for village in (world.qixing, world.hualong, world.liwan):
            VillagePointsSettings.objects.create(
                village=village,
                starting_balance=100,
                redeem_threshold=80,
                benefit_floor=60,
                objection_days=3,
                black_list_consequence="取消当年评先评优资格",
            )
        rules, hualong_rules = _rules(world.qixing), _rules(world.hualong, "化龙")
        items = SimpleNamespace(
            soap=Item.objects.create(village=world.qixing, name="香皂", unit="块", price=10, stock=50),
            oil=Item.objects.create(village=world.qixing, name="食用油", unit="桶", price=60, stock=2),
            hualong_soap=Item.objects.create(village=world.hualong, name="香皂", unit="块", price=10, stock=50),
        )
        return cadre2, leader1, rules, hualong_rules, items

    # Keyed by whether mw came first (its leader1 is then in the database already).
    u.cadre2, leader1, world.rules, world.hualong_rules, world.items = snapshotted(
        "pw+leader1" if hasattr(u, "leader1") else "pw", rows
    )
    if leader1 is not None:
        u.leader1 = leader1
    hh = world.households
    world.acc = SimpleNamespace(
        q1=hh.q1.points_account, q1b=hh.q1b.points_account, q2=hh.q2.points_account, h1=hh.h1.points_account
    )
    world.now = timezone.now()
    world.today = timezone.localdate()

    def propose(account=None, rule=None, *, actor=None, days_ago=0, **extra):
        """A proposal made `days_ago` days ago (4 or more: its objection window has closed)."""
        extra.setdefault("note", "入户核实")
        return s.award_propose(
            actor=actor or u.grid1,
            account=account or world.acc.q1,
            rule=rule or world.rules.volunteer,
            now=world.now - datetime.timedelta(days=days_ago),
            **extra,
        )

    def approved(account=None, rule=None, **extra):
        award = propose(account, rule, days_ago=4, **extra)
        return s.award_approve(award=award, actor=u.cadre)

    world.propose = propose
    world.approved = approved
    world.photo = photo
    return world


@pytest.fixture
def as_user():
    """A separate API client per call (the shared `as_user` re-logs one client in)."""
    from rest_framework.test import APIClient

    def login(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return login
