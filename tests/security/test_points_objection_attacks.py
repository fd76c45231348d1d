"""Attacks on the public objection form (/public/points/<village>/objections/new/?ref=): a
flood from one address is throttled, a made-up or another village's reference is a 404, an
entry past its 公示 is refused and nothing is saved, and no page echoes personal data.

The points world (tests/points/conftest.py): grid1 proposes for 张三's household (q1) of 七星村.
"""

import pytest
from django.core.cache import cache

from petitions import public_views as intake
from points.models import Objection
from tests.pages.conftest import form_token
from tests.points import conftest as points_fixtures

# The points world of tests/points/conftest.py.
pw = points_fixtures.pw


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()
    yield
    cache.clear()


def _url(pw, award, village=None):
    return f"/public/points/{(village or pw.qixing).code}/objections/new/?ref={award.public_code}"


def _send(client, url, **extra):
    data = {"form_token": form_token(client.get(url).content.decode()), "reason": "那天他家没去", **extra}
    return client.post(url, data)


def test_objections_from_one_address_are_throttled(client, pw, monkeypatch):
    monkeypatch.setattr(intake, "SUBMISSIONS_PER_HOUR", 2)
    award = pw.propose()
    url = _url(pw, award)
    # Different words each time: the same words twice are refused on their own (objection_already_made).
    assert _send(client, url, reason="那天他家没去").status_code == 302
    assert _send(client, url, reason="那天我在场，他家没人").status_code == 302
    flooded = _send(client, url, reason="再说一次")
    assert flooded.status_code == 429 and 'class="form-errors"' in flooded.content.decode()
    assert Objection.objects.count() == 2
    # Another address is not affected.
    other = client.post(
        url, {"form_token": form_token(client.get(url).content.decode()), "reason": "x"}, REMOTE_ADDR="10.0.0.9"
    )
    assert other.status_code == 302 and Objection.objects.count() == 3


def test_an_unknown_or_another_villages_reference_is_404_with_the_box_to_type_it_again(client, pw):
    award = pw.propose()
    base = f"/public/points/{pw.qixing.code}/objections/new/"
    for ref in ("ZZZZ-ZZZZ", "x" * 200, "' OR 1=1 --"):
        for response in (client.get(base, {"ref": ref}), client.post(base + f"?ref={ref}", {"reason": "x"})):
            page = response.content.decode()
            assert response.status_code == 404, ref
            assert 'name="ref"' in page and 'class="errorlist"' in page and 'name="reason"' not in page
    # No reference: the box to type one in, from a printed notice.
    empty = client.get(base)
    assert empty.status_code == 200 and 'name="ref"' in empty.content.decode()
    assert 'class="errorlist"' not in empty.content.decode()
    assert client.get(_url(pw, award, village=pw.hualong)).status_code == 404
    assert client.get(f"/public/points/000/objections/new/?ref={award.public_code}").status_code == 404
    assert not Objection.objects.exists()


def test_an_entry_past_its_window_is_refused_and_nothing_is_saved(client, pw):
    late = pw.propose(days_ago=4)
    url = _url(pw, late)
    page = client.get(url)
    assert page.status_code == 409 and 'name="reason"' not in page.content.decode()
    refused = client.post(url, {"form_token": "00000000-0000-0000-0000-000000000000", "reason": "晚了"})
    assert refused.status_code == 409
    decided = pw.approved()
    assert client.post(_url(pw, decided), {"reason": "x"}).status_code == 409
    assert not Objection.objects.exists()


def test_no_page_of_the_objection_echoes_personal_data(client, pw):
    award = pw.propose(note="入户核实 13800001111")
    household = pw.households.q1
    secrets = [household.head_name, household.number, household.phone, "13800001111", "入户核实"]
    secrets += [pw.users.grid1.get_full_name(), pw.users.grid1.username]
    for member in household.members.all():
        secrets += [member.name, member.phone]
    url = _url(pw, award)
    form = client.get(url)
    assert form["X-Robots-Tag"] == "noindex, nofollow"
    sent = client.get(_send(client, url, contact_name="赵六", contact_phone="15800001234")["Location"])
    bad = client.post(url, {"form_token": form_token(client.get(url).content.decode()), "reason": ""})
    assert bad.status_code == 400
    for response in (form, sent, bad):
        html = response.content.decode()
        leaked = [secret for secret in secrets if secret and secret in html]
        assert leaked == []
    assert "15800001234" not in sent.content.decode() and "赵六" not in sent.content.decode()
