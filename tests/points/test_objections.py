"""Objections during the 公示: anyone objects (online by the line's public reference, or staff
for a resident); a pending objection holds the entry until a village cadre other than the
objector and the proposer rules on it, on the record.

Personas of the points world (tests/points/conftest.py): grid1 proposes for q1 (七星村 grid 1),
cadre and cadre2 decide; the objection window is three days.
"""

import datetime
import re

import pytest
from django.core.cache import cache

from governance.models import IdempotencyRecord, Notification
from points import services as s
from points.models import Award, AwardStatus, EntryKind, Objection, ObjectionRuling, Rule
from points.policy import PointsPermissionError, PointsStateError
from points.selectors import public_notice
from tests.pages.conftest import form_token

URL = "/api/v1/points"


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()
    yield
    cache.clear()


def _object_online(pw, award, **extra):
    return s.objection_raise(award=award, reason="他家那天没去", now=pw.now - datetime.timedelta(days=3), **extra)


def test_an_online_objection_holds_the_entry_and_tells_the_villages_cadres(pw):
    award = pw.propose(days_ago=4)
    before = Notification.objects.filter(user=pw.users.cadre2).count()
    objection = _object_online(pw, award, contact_name="王五", contact_phone="158 0000 1234")
    assert objection.raised_online and objection.raised_by is None and objection.contact_phone == "15800001234"
    assert Notification.objects.filter(user=pw.users.cadre2).count() == before + 1
    with pytest.raises(PointsStateError) as held:
        s.award_approve(award=award, actor=pw.users.cadre)
    assert held.value.code == "objection_pending"
    award.refresh_from_db()
    assert award.status == AwardStatus.PENDING and not hasattr(award, "entry")


def test_a_dismissed_objection_lets_the_entry_be_approved_once_its_window_closes(pw):
    award = pw.propose()  # in its window
    objection = s.objection_raise(award=award, actor=pw.users.grid1, reason="不是这一户")
    s.objection_rule(objection=objection, actor=pw.users.cadre, upheld=False, note="核实无误")
    with pytest.raises(PointsStateError) as early:
        s.award_approve(award=award, actor=pw.users.cadre)
    assert early.value.code == "objection_window_open"
    Award.objects.filter(pk=award.pk).update(objection_until=pw.now - datetime.timedelta(minutes=1))
    approved = s.award_approve(award=Award.objects.get(pk=award.pk), actor=pw.users.cadre)
    assert approved.status == AwardStatus.APPROVED and approved.entry.kind == EntryKind.EARN
    objection.refresh_from_db()
    assert (objection.ruling, objection.ruled_by, objection.ruling_note) == (
        ObjectionRuling.DISMISSED,
        pw.users.cadre,
        "核实无误",
    )


def test_an_upheld_objection_rejects_the_entry_with_the_note(pw):
    award = pw.propose()
    objection = s.objection_raise(award=award, actor=pw.users.helper, reason="那天是别家")
    s.objection_rule(objection=objection, actor=pw.users.cadre2, upheld=True, note="核实确系登记错户")
    award.refresh_from_db()
    assert award.status == AwardStatus.REJECTED and award.decided_by == pw.users.cadre2
    assert "核实确系登记错户" in award.decision_note


def test_neither_the_objector_nor_the_proposer_rules_and_a_ruling_is_given_once(pw):
    rule = Rule.objects.create(
        village=pw.qixing, category="civility", name="村干部评议", points=3, proposer_roles=["village_cadre"]
    )
    award = pw.propose(actor=pw.users.cadre, rule=rule)  # cadre proposed, cadre2 objected: nobody left but admin
    objection = s.objection_raise(award=award, actor=pw.users.cadre2, reason="没有到会")
    for actor in (pw.users.cadre2, pw.users.cadre, pw.users.grid1, pw.users.other_cadre):
        with pytest.raises(PointsPermissionError):
            s.objection_rule(objection=objection, actor=actor, upheld=False, note="x")
    assert Objection.objects.get(pk=objection.pk).ruling == ObjectionRuling.PENDING


def test_objections_are_refused_after_the_window_and_for_staff_who_do_not_see_the_household(pw):
    award = pw.propose(days_ago=4)
    with pytest.raises(PointsStateError) as late:
        s.objection_raise(award=award, reason="晚了")
    assert late.value.code == "objection_window_closed"
    fresh = pw.propose()
    with pytest.raises(PointsPermissionError):
        s.objection_raise(award=fresh, actor=pw.users.grid2, reason="不是这一户")
    assert not Objection.objects.exists()


def test_the_api_records_an_objection_once_per_idempotency_key_and_rules_on_it(pw, as_user):
    award = pw.propose()
    staff = as_user(pw.users.leader1)
    payload = {"award": award.pk, "reason": "群众反映不实", "contact_name": "赵六", "contact_phone": "15800001234"}
    first = staff.post(f"{URL}/objections/", payload, format="json", HTTP_IDEMPOTENCY_KEY="obj-1")
    again = staff.post(f"{URL}/objections/", payload, format="json", HTTP_IDEMPOTENCY_KEY="obj-1")
    assert first.status_code == 201 and again.status_code == 201 and first.json()["id"] == again.json()["id"]
    body = first.json()
    assert body["contact_phone"] == "158****1234" and body["contact_name"] == "赵*" and body["ruling"] == "pending"
    assert Objection.objects.count() == 1
    cadre = as_user(pw.users.cadre)
    Award.objects.filter(pk=award.pk).update(objection_until=pw.now - datetime.timedelta(minutes=1))
    held = cadre.post(f"{URL}/awards/{award.pk}/approve/", {}, format="json")
    assert held.status_code == 409 and held.json()["code"] == "objection_pending"
    no_note = cadre.post(f"{URL}/objections/{body['id']}/rule/", {"upheld": False}, format="json")
    assert no_note.status_code == 400 and "note" in no_note.json()
    ruled = cadre.post(f"{URL}/objections/{body['id']}/rule/", {"upheld": False, "note": "核实无误"}, format="json")
    assert ruled.status_code == 200 and ruled.json()["ruling"] == "dismissed"
    twice = cadre.post(f"{URL}/objections/{body['id']}/rule/", {"upheld": True, "note": "再议"}, format="json")
    assert twice.status_code == 409 and twice.json()["code"] == "already_ruled"
    assert cadre.post(f"{URL}/awards/{award.pk}/approve/", {}, format="json").status_code == 200


def test_the_public_notice_line_carries_its_reference_and_an_object_link(client, pw):
    award = pw.propose()
    page = client.get(f"/public/points/{pw.qixing.code}/").content.decode()
    assert award.public_code in page
    assert f"/public/points/{pw.qixing.code}/objections/new/?ref={award.public_code}" in page


def test_the_notice_marks_an_entry_an_objection_holds_until_the_village_rules(client, pw):
    free = pw.propose()
    held_open = pw.propose(account=pw.acc.q1b)
    s.objection_raise(award=held_open, actor=pw.users.grid1, reason="不是这一户")
    held_closed = pw.propose(days_ago=4)  # its window closed while the objection waits
    objection = _object_online(pw, held_closed)
    pw.propose(account=pw.acc.q2, actor=pw.users.grid2, days_ago=4)  # window closed, nothing holds it: off the notice
    rows = {row["ref"]: row for row in public_notice(pw.qixing, now=pw.now)}
    assert {ref: (row["held"], row["open"]) for ref, row in rows.items()} == {
        free.public_code: (False, True),
        held_open.public_code: (True, True),
        held_closed.public_code: (True, False),
    }
    page = client.get(f"/public/points/{pw.qixing.code}/").content.decode()
    assert page.count('class="held-mark"') == 2
    assert f"?ref={held_open.public_code}" in page and f"?ref={held_closed.public_code}" not in page
    s.objection_rule(objection=objection, actor=pw.users.cadre, upheld=False, note="核实无误")
    assert held_closed.public_code not in [row["ref"] for row in public_notice(pw.qixing, now=pw.now)]


def test_a_reference_read_off_a_printed_notice_is_typed_in_as_it_comes(client, pw):
    award = pw.propose()
    base = f"/public/points/{pw.qixing.code}/objections/new/"
    assert base in client.get(f"/public/points/{pw.qixing.code}/").content.decode()  # the box, from the board
    code = award.public_code
    # Lower case, no dash, a space, full-width letters: the same entry's form.
    typed = code.lower().replace("-", " ")
    wide = "".join(chr(ord(ch) + 0xFEE0) for ch in code.replace("-", ""))
    for ref in (typed, wide):
        page = client.get(base, {"ref": ref})
        assert page.status_code == 200 and 'name="reason"' in page.content.decode(), ref
        assert f'name="ref" value="{code}"' in page.content.decode()


def test_a_resident_objects_online_once_per_form_and_the_entry_is_held(client, pw):
    award = pw.propose()
    url = f"/public/points/{pw.qixing.code}/objections/new/?ref={award.public_code}"
    page = client.get(url).content.decode()
    data = {"form_token": form_token(page), "reason": "他家那天没去", "contact_phone": "15800001234"}
    first = client.post(url, data)
    assert first.status_code == 302 and first["Location"].endswith("/objections/sent/")
    assert client.post(url, data).status_code == 302  # a double tap
    objection = Objection.objects.get()
    assert objection.raised_online and objection.contact_phone == "15800001234"
    assert IdempotencyRecord.objects.filter(user=None, key__startswith="public-form:").count() == 1


def test_the_staff_pages_record_rule_and_show_the_objection_masked(client, pw):
    award = pw.propose()
    detail = f"/points/entries/{award.pk}/"
    client.force_login(pw.users.leader1)
    page = client.get(detail).content.decode()
    token = re.search(r'name="object-form_token" value="([0-9a-f-]{36})"', page).group(1)
    sent = client.post(
        f"{detail}object/",
        {
            "object-form_token": token,
            "object-reason": "群众反映不实",
            "object-contact_name": "赵六",
            "object-contact_phone": "15800001234",
        },
    )
    assert sent.status_code == 302
    objection = Objection.objects.get()
    client.force_login(pw.users.cadre)
    page = client.get(detail).content.decode()
    assert "158****1234" in page and "15800001234" not in page and "赵六" not in page
    queue = client.get("/points/queue/").content.decode()
    # Held entries first, above the ready ones.
    assert queue.index("objected-heading") < queue.index(f"/points/entries/{award.pk}/") < queue.index("ready-heading")
    prefix = f"rule{objection.pk}"
    token = re.search(rf'name="{prefix}-form_token" value="([0-9a-f-]{{36}})"', page).group(1)
    empty = client.post(f"/points/objections/{objection.pk}/rule/", {f"{prefix}-form_token": token})
    assert empty.status_code == 400
    ruled = client.post(
        f"/points/objections/{objection.pk}/rule/",
        {f"{prefix}-form_token": token, f"{prefix}-ruling": "upheld", f"{prefix}-note": "核实确系错户"},
    )
    assert ruled.status_code == 302
    award.refresh_from_db()
    assert award.status == AwardStatus.REJECTED


def test_one_waiting_objection_per_person_and_entry_and_never_the_same_words_twice(pw):
    """A second objection by the same member of staff, or from the same call-back number, or
    in the same words, is a 409 while the first waits; after the ruling one may object again."""
    award = pw.propose(days_ago=1)
    first = s.objection_raise(award=award, actor=pw.users.grid1, reason="不是这一户")
    for again in (
        {"actor": pw.users.grid1, "reason": "另一个理由"},
        {"actor": pw.users.helper, "reason": "不是这一户"},
    ):
        with pytest.raises(PointsStateError) as made:
            s.objection_raise(award=award, **again)
        assert made.value.code == "objection_already_made"
    s.objection_raise(award=award, reason="那天下雨没去", contact_phone="158 0000 1234")
    with pytest.raises(PointsStateError):
        s.objection_raise(award=award, reason="换个说法", contact_phone="15800001234")
    assert Objection.objects.filter(award=award).count() == 2
    s.objection_rule(objection=first, actor=pw.users.cadre2, upheld=False, note="核实无误")
    assert s.objection_raise(award=award, actor=pw.users.grid1, reason="不是这一户").pk


def _optional_marks(page: str, field: str) -> int:
    block = re.search(rf'<div class="field[^"]*" id="field-{field}">(.*?)</div>', page, re.S).group(1)
    return len(re.findall(r"选填|optional", block, re.I))


def test_an_optional_field_of_the_objection_forms_says_so_once(client, pw):
    award = pw.propose()
    page = client.get(f"/public/points/{pw.qixing.code}/objections/new/?ref={award.public_code}").content.decode()
    assert _optional_marks(page, "contact_name") == 1 and _optional_marks(page, "contact_phone") == 1
    assert _optional_marks(page, "reason") == 0
    client.force_login(pw.users.leader1)
    page = client.get(f"/points/entries/{award.pk}/").content.decode()
    assert _optional_marks(page, "object-contact_name") == 1 and _optional_marks(page, "object-contact_phone") == 1
