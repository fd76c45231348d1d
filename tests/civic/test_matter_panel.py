"""The matter page names its 三治 origin (governance.panels, governance/civic/matter_panels.py):
the 民情恳谈会 a concern was raised at, and the mediations that settle it; only for a reader of
the civic books, and in a constant number of queries."""

import pytest

from governance.civic import councils as c
from tests.civic.council_fixtures import cw  # noqa: F401

pytestmark = pytest.mark.django_db


def _concern(cw):  # noqa: F811
    meeting = cw.held()
    return c.concern_raise(
        meeting=meeting,
        actor=cw.users.cadre,
        raised_by="王大爷",
        title="路灯不亮",
        description="三组路灯坏了",
        grid=cw.q1,
    )


def test_a_matter_raised_at_a_meeting_links_back_to_it(cw, client):  # noqa: F811
    concern = _concern(cw)
    client.force_login(cw.users.cadre)
    body = client.get(f"/matters/{concern.matter_id}/").content.decode()
    assert f'href="/civic/councils/meetings/{concern.meeting_id}/"' in body


def test_a_reader_of_matters_only_sees_no_civic_section(cw, client):  # noqa: F811
    concern = _concern(cw)
    client.force_login(cw.users.supervisor)  # reads the village's 村事, not the civic books
    response = client.get(f"/matters/{concern.matter_id}/")
    assert f"/civic/councils/meetings/{concern.meeting_id}/" not in response.content.decode()


def test_the_section_costs_the_same_queries_with_more_meetings(cw, client, django_assert_num_queries):  # noqa: F811
    concern = _concern(cw)
    client.force_login(cw.users.cadre)
    url = f"/matters/{concern.matter_id}/"
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as before:
        client.get(url)
    for _ in range(3):
        cw.plan(kind="coordination", matter=concern.matter, parties=["甲", "乙"])
    with django_assert_num_queries(len(before.captured_queries)):
        client.get(url)
