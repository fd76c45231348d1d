"""The queue says what each one does next in the work order: a department signs for (签收) its
matter before it reports, and the level above finds an extension request waiting for its
decision (延期审批), while the one who asked does not."""

import datetime
import zoneinfo
from types import SimpleNamespace

import pytest
import time_machine

from petitions import services as s
from petitions.models import ExtensionRequest, Kind
from petitions.selectors import matters_waiting_for
from petitions.views import waiting_queue

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 3, 4, 10, 0, tzinfo=SHANGHAI)  # a Wednesday


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _with_sifasuo(mw):
    """A 政事 reviewed by the township and assigned to 司法所."""
    u = mw.users
    matter = mw.public_matter()
    s.matter_classify(matter=matter, actor=u.cadre, kind=Kind.GOVERNMENT, category=mw.categories.legal_aid)
    s.matter_deliberate(matter=matter, actor=u.official, kind="review", held_on=NOW.date(), summary="转司法所")
    return s.matter_handle(matter=matter, actor=u.official, department=mw.sifasuo)


def _turn(user, matter):
    request = SimpleNamespace(user=user)  # a new request each time: its queue is read afresh
    return {m.pk: m.your_turn for m in waiting_queue(request)}.get(matter.pk)


def test_a_department_signs_for_its_matter_first_then_reports_it(mw):
    matter = _with_sifasuo(mw)
    assert _turn(mw.users.handler, matter)[0] == "sign"
    s.matter_sign(matter=matter, actor=mw.users.handler)
    assert _turn(mw.users.handler, matter)[0] == "report"


def test_the_level_above_finds_the_extension_in_its_queue_and_the_requester_does_not(mw):
    u = mw.users
    matter = _with_sifasuo(mw)
    assert not matters_waiting_for(u.official).filter(pk=matter.pk).exists()
    s.matter_request_extension(
        matter=matter, actor=u.handler, deadline=matter.deadline + datetime.timedelta(days=7), reason="等当事人返乡"
    )
    assert _turn(u.official, matter)[0] == "decide_extension"
    assert _turn(u.leader, matter)[0] == "decide_extension"
    assert _turn(u.handler, matter)[0] == "sign"  # its own request is not its to decide
    assert not matters_waiting_for(u.other_official).filter(pk=matter.pk).exists()
    assert not matters_waiting_for(u.cadre).filter(pk=matter.pk).exists()


def test_the_matter_page_shows_the_waiting_extension_and_offers_no_second_request(mw, client):
    u = mw.users
    matter = _with_sifasuo(mw)
    s.matter_request_extension(
        matter=matter, actor=u.handler, deadline=matter.deadline + datetime.timedelta(days=7), reason="等当事人返乡"
    )
    client.force_login(u.handler)
    page = client.get(f"/matters/{matter.pk}/").content.decode()
    assert 'id="extension-pending"' in page
    assert 'id="action-request_extension"' not in page
    assert page.index('id="action-sign"') < page.index('id="action-report"')


def test_a_matter_sent_back_drops_its_extension_request_and_waits_to_be_assigned_again(mw):
    u = mw.users
    matter = _with_sifasuo(mw)
    request = s.matter_request_extension(
        matter=matter, actor=u.handler, deadline=matter.deadline + datetime.timedelta(days=7), reason="等当事人返乡"
    )
    matter = s.matter_send_back(matter=matter, actor=u.handler, reason="欠薪应由人社所办理")
    request.refresh_from_db()
    assert matter.pending_extension_id is None
    assert request.status == ExtensionRequest.Status.REFUSED and request.decision_reason == "欠薪应由人社所办理"
    assert _turn(u.official, matter)[0] == "deliberate"  # to assign again, not a moot extension
    # The next department may ask for its own time.
    matter = s.matter_handle(matter=matter, actor=u.official, department=mw.sifasuo)
    s.matter_request_extension(
        matter=matter, actor=u.handler, deadline=matter.deadline + datetime.timedelta(days=7), reason="再等一周"
    )
