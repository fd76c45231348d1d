"""Issue 13's work-order actions attacked as a malicious or clumsy user would: every new
action through the API, the pages and the public tracking-code endpoints, by the wrong
people, with bad input, twice, and at once. A refusal answers 404 (out of scope), 403 (role),
409 (state) or 400 (input) and leaves the database exactly as it was.

The matters come from tests/api/matter_states.py: a 民事 of 七星村 grid 1 handled by grid 1's
worker and verified by the cadre; a 政事 from the public form reviewed by the township and
assigned to 司法所; a 村事 handled by the cadre and verified by the township official.
"""

import datetime
import threading

import pytest
from django.db import connection, connections
from django.utils import timezone
from rest_framework.test import APIClient

from governance.errors import DomainError
from petitions import services as s
from petitions.models import ExtensionRequest, Kind, Matter, MatterEvent, State
from tests.api.matter_states import civil, database_state, government, village

TODAY = datetime.date.today()


def url(matter, action):
    return f"/api/v1/matters/{matter.pk}/{action}/"


def public_url(matter, action=""):
    return f"/api/v1/public/matters/{matter.tracking_code}/" + (f"{action}/" if action else "")


def fresh(matter):
    return Matter.objects.get(pk=matter.pk)


def events(matter, action=None):
    rows = MatterEvent.objects.filter(matter=matter)
    return rows.filter(action=action).count() if action else rows.count()


@pytest.fixture
def post(as_user):
    """post(user, matter, action, body) through the API, as `user`."""

    def send(user, matter, action, body=None, **headers):
        return as_user(user).post(url(matter, action), body or {}, format="json", **headers)

    return send


def refused(response, status, code=None):
    assert response.status_code == status, response.content
    if code:
        assert response.json()["code"] == code, response.json()


# ---------------------------------------------------------------- self-dealing on the clock


def test_township_official_may_not_pause_the_clock_of_a_government_matter_it_owns(mw, post):
    """Before it is assigned, a 政事's clock is its owner's (the township official): the owner
    asks for more time like anyone else; the leader, above it, may pause it."""
    u = mw.users
    matter = mw.public_matter()
    s.matter_classify(matter=matter, actor=u.cadre, kind=Kind.GOVERNMENT, category=mw.categories.legal_aid)
    before = database_state()
    refused(post(u.official, matter, "pause", {"reason": "等材料"}), 403, "pause_needs_approval")
    assert database_state() == before and fresh(matter).paused_at is None
    assert post(u.leader, matter, "pause", {"reason": "等上级意见"}).status_code == 200


def test_village_cadre_may_not_pause_a_civil_matter_it_handles(mw, post):
    u = mw.users
    matter = mw.staff_matter(household=mw.households.q1)
    s.matter_classify(matter=matter, actor=u.cadre, kind=Kind.CIVIL, category=mw.categories.environment)
    s.matter_deliberate(matter=matter, actor=u.grid1, kind="meeting", held_on=TODAY, summary="院坝会")
    s.matter_handle(matter=matter, actor=u.grid1, handler=u.cadre)
    refused(post(u.cadre, matter, "pause", {"reason": "自己暂停"}), 403, "pause_needs_approval")
    refused(post(u.grid1, matter, "pause", {"reason": "网格员暂停"}), 403)
    assert fresh(matter).paused_at is None


def test_handler_may_not_decide_its_own_extension_nor_the_supervisor_any(mw, post):
    u = mw.users
    matter = village(mw, State.HANDLING)
    wanted = (fresh(matter).deadline + datetime.timedelta(days=5)).isoformat()
    assert post(u.cadre, matter, "request_extension", {"deadline": wanted, "reason": "雨季施工"}).status_code == 200
    before = database_state()
    refused(post(u.cadre, matter, "decide_extension", {"approve": True, "reason": "自批"}), 403)
    refused(post(u.supervisor, matter, "decide_extension", {"approve": True, "reason": "监委会批"}), 403)
    refused(post(u.supervisor, matter, "pause", {"reason": "监委会暂停"}), 403)
    refused(post(u.other_cadre, matter, "decide_extension", {"approve": True, "reason": "外村"}), 404)
    refused(post(u.other_official, matter, "decide_extension", {"approve": True, "reason": "外镇"}), 404)
    refused(post(u.clerk, matter, "decide_extension", {"approve": True, "reason": "超市"}), 404)
    assert database_state() == before
    assert post(u.official, matter, "decide_extension", {"approve": True, "reason": "属实"}).status_code == 200


# ---------------------------------------------------------------- self-dealing on the review


def _review_asked_by(mw, post, matter, asker):
    body = {"reason": "路灯又坏了", "method": "phone"}
    response = post(asker, matter, "request_review", body)
    assert response.status_code == 200, response.content
    return fresh(matter)


def test_who_asked_for_the_review_on_the_residents_behalf_may_not_decide_it(mw, post):
    u = mw.users
    matter = _review_asked_by(mw, post, civil(mw, State.EVALUATING), u.official)
    before = database_state()
    refused(post(u.official, matter, "decide_review", {"upheld": True, "reason": "维持"}), 403)
    assert database_state() == before
    assert post(u.leader, matter, "decide_review", {"upheld": True, "reason": "维持"}).status_code == 200


def test_who_recorded_the_unsatisfied_answer_may_not_decide_the_review_it_opened(mw, post):
    u = mw.users
    matter = civil(mw, State.EVALUATING)
    body = {"rating": "unsatisfied", "comment": "没修好", "method": "visit"}
    assert post(u.official, matter, "evaluate", body).status_code == 200
    assert fresh(matter).state == State.REVIEWING
    refused(post(u.official, matter, "decide_review", {"upheld": True, "reason": "维持"}), 403)
    assert fresh(matter).state == State.REVIEWING


def test_the_committee_asks_for_the_review_of_a_village_matter_and_the_township_decides_it(mw, post):
    """A 村事's review goes to the township; the committee (村务监督委员会) may ask for it on the
    resident's behalf but never decides it, and the township leader who asked may not either."""
    u = mw.users
    matter = _review_asked_by(mw, post, village(mw, State.EVALUATING), u.supervisor)
    before = database_state()
    refused(post(u.supervisor, matter, "decide_review", {"upheld": True, "reason": "维持"}), 403)
    refused(post(u.cadre, matter, "decide_review", {"upheld": True, "reason": "维持"}), 403)  # handled it
    assert database_state() == before
    assert post(u.leader, matter, "decide_review", {"upheld": False, "reason": "重办"}).status_code == 200
    assert fresh(matter).state == State.HANDLING and events(matter, "decide_review") == 1
