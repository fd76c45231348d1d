"""Duplicates are suggested from similar words, and the same minutes recorded twice are asked
about first (issue 14, item 7 c and d)."""

import re

import pytest
from django.db import connection
from django.utils import timezone

from governance.models import IdempotencyRecord
from petitions import services as s
from petitions.models import Deliberation, Kind, MatterEvent, State
from tests.pages.conftest import field_block

TODAY = timezone.localdate()  # the app's day (Asia/Shanghai), not the machine's
MINUTES = "院坝会：大家同意更换楼道路灯，\n费用由村集体承担。"


def titles(rows) -> list[str]:
    return [m.title for m in rows]


# ---------------------------------------------------------------- 7 c: similar words


def test_this_database_makes_trigrams_of_chinese(db):
    """pg_trgm splits Chinese only where LC_CTYPE classifies CJK as letters (C.UTF-8 does, "C"
    does not): the suggestions below rely on it, and fall back to the old rule without it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT cardinality(show_trgm('村口路灯')), current_setting('lc_ctype')")
        trigrams, ctype = cursor.fetchone()
    assert trigrams > 0, f"LC_CTYPE {ctype} makes no trigrams of Chinese"


def test_a_similar_open_matter_of_the_village_is_suggested_and_an_unrelated_one_is_not(mw):
    lamp = mw.staff_matter(title="路灯不亮", description="楼道路灯停电不亮，出行不便")
    mw.staff_matter(title="低保申请咨询", description="家中老人生病，想申请低保")
    other_grid = mw.staff_matter(grid=mw.q2, title="路灯又坏了", description="村口那盏路灯晚上不亮")
    other_village = mw.staff_matter(
        grid=mw.h1, actor=mw.users.other_cadre, title="路灯不亮", description="楼道路灯停电不亮，出行不便"
    )
    new = mw.staff_matter(title="路灯又坏了", description="同一处路灯，晚上漆黑")

    found = s.possible_duplicates(new)

    # Same village, any grid and no category needed; 化龙村's identical matter never.
    assert titles(found) == ["路灯又坏了", "路灯不亮"]
    assert found[0].pk == other_grid.pk and found[1].pk == lamp.pk
    assert other_village.pk not in [m.pk for m in found]
    assert all(m.similarity >= s.DUPLICATE_THRESHOLD for m in found)


def test_the_same_category_lifts_a_weaker_likeness_and_closed_matters_are_not_offered(mw):
    env = mw.categories.environment
    ditch = mw.staff_matter(title="河沟垃圾堆积", description="河沟里垃圾很多，发臭", category=env)
    done = mw.staff_matter(title="河沟又有垃圾", description="河沟里又堆满了垃圾", category=env)
    s.matter_withdraw(matter=done, actor=mw.users.grid1, reason="已清理")
    new = mw.staff_matter(title="河沟又有垃圾", description="河沟里又堆满了垃圾")

    assert s.possible_duplicates(new) == []  # 0.29 alone: below the threshold
    found = s.possible_duplicates(new, env)
    assert [m.pk for m in found] == [ditch.pk]
    assert s.DUPLICATE_THRESHOLD - s.DUPLICATE_CATEGORY_BONUS <= found[0].similarity < s.DUPLICATE_THRESHOLD


def test_at_most_five_are_suggested_the_most_alike_first(mw):
    for n in range(7):
        mw.staff_matter(title=f"路灯不亮{n}号", description="楼道路灯不亮")
    exact = mw.staff_matter(title="三组路灯不亮", description="三组路灯不亮")
    new = mw.staff_matter(title="三组路灯不亮", description="三组路灯不亮")

    found = s.possible_duplicates(new)

    assert len(found) == s.DUPLICATES_SHOWN and found[0].pk == exact.pk
    assert [m.similarity for m in found] == sorted((m.similarity for m in found), reverse=True)


def test_the_api_offers_similar_matters_the_caller_sees_with_their_similarity(mw, api_client):
    first = mw.staff_matter(title="路灯不亮", description="楼道路灯停电不亮，出行不便")
    mw.staff_matter(grid=mw.h1, actor=mw.users.other_cadre, title="路灯不亮", description="楼道路灯停电不亮")
    api_client.force_authenticate(mw.users.grid1)
    payload = {"title": "路灯又坏了", "description": "同一处路灯", "grid": mw.q1.pk, "source": "visit"}

    response = api_client.post("/api/v1/matters/", {**payload, "submitter_name": "李四"}, format="json")

    assert response.status_code == 201, response.json()
    [offered] = response.json()["possible_duplicates"]
    assert offered["id"] == first.pk and 0.3 <= offered["similarity"] <= 1


def test_the_intake_page_suggests_from_the_words_typed_as_information(mw, client):
    first = mw.staff_matter(title="路灯不亮", description="楼道路灯停电不亮，出行不便")
    client.force_login(mw.users.grid1)

    html = client.get(
        "/matters/new/duplicates/", {"grid": mw.q1.pk, "title": "路灯又坏了", "description": ""}
    ).content.decode()
    assert 'class="panel duplicates" role="status"' in html and f"/matters/{first.pk}/" in html
    assert re.search(r"\d+% alike|\d+%", html) and "error" not in html
    assert (
        "路灯不亮"
        not in client.get("/matters/new/duplicates/", {"grid": mw.q1.pk, "title": "低保申请"}).content.decode()
    )

    form = client.get("/matters/new/").content.decode()
    assert 'hx-include="#id_title, #id_description, #id_grid, #id_category"' in form


# ---------------------------------------------------------------- 7 d: the same minutes twice


def _meeting_matter(mw):
    matter = mw.staff_matter()
    s.matter_classify(matter=matter, actor=mw.users.cadre, kind=Kind.CIVIL, category=mw.categories.environment)
    s.matter_deliberate(matter=matter, actor=mw.users.grid1, kind="meeting", held_on=TODAY, summary=MINUTES)
    return matter


def test_the_same_minutes_are_refused_by_the_service_unless_confirmed(mw):
    matter = _meeting_matter(mw)
    first = matter.deliberations.get()
    spaced = "  院坝会：大家同意更换楼道路灯， 费用由村集体承担。 "

    with pytest.raises(s.DuplicateDeliberation) as refused:
        s.matter_deliberate(matter=matter, actor=mw.users.grid1, kind="meeting", held_on=TODAY, summary=spaced)
    assert refused.value.code == "duplicate_deliberation" and refused.value.record == first
    assert matter.deliberations.count() == 1

    s.matter_deliberate(matter=matter, actor=mw.users.grid1, kind="meeting", held_on=TODAY, summary="另一次：已修好")
    again = s.matter_deliberate(
        matter=matter, actor=mw.users.grid1, kind="meeting", held_on=TODAY, summary=spaced, confirm_duplicate=True
    )
    assert matter.deliberations.count() == 3
    event = MatterEvent.objects.get(matter=matter, action="deliberate", payload__record=again.pk)
    assert event.payload["same_minutes_as"] == first.pk


def test_the_api_answers_409_duplicate_deliberation_then_records_with_confirm(mw, api_client):
    matter = _meeting_matter(mw)
    api_client.force_authenticate(mw.users.grid1)
    url = f"/api/v1/matters/{matter.pk}/deliberate/"
    payload = {"kind": "meeting", "held_on": TODAY.isoformat(), "summary": MINUTES.replace("\n", "")}

    refused = api_client.post(url, payload, format="json", HTTP_IDEMPOTENCY_KEY="minutes-1")
    assert refused.status_code == 409
    body = refused.json()
    assert body["code"] == "duplicate_deliberation" and body["record"] == matter.deliberations.get().pk
    assert not IdempotencyRecord.objects.exists()  # a refusal is not kept under the key

    done = api_client.post(url, {**payload, "confirm_duplicate": True}, format="json", HTTP_IDEMPOTENCY_KEY="minutes-2")
    replay = api_client.post(
        url, {**payload, "confirm_duplicate": True}, format="json", HTTP_IDEMPOTENCY_KEY="minutes-2"
    )
    assert (done.status_code, replay.status_code) == (200, 200)
    assert Deliberation.objects.filter(matter=matter).count() == 2


def _post_meeting(client, matter, token, data):
    payload = {"record": "meeting", "meeting-form_token": token}
    payload.update({f"meeting-{k}": v for k, v in data.items()})
    return client.post(f"/matters/{matter.pk}/deliberate/", payload)


def _token(html):
    return re.search(r'name="meeting-form_token" value="([0-9a-f-]{36})"', html).group(1)


def test_the_page_asks_before_saving_the_same_minutes_and_keeps_what_was_typed(mw, client):
    matter = _meeting_matter(mw)
    client.force_login(mw.users.grid1)
    token = _token(client.get(f"/matters/{matter.pk}/").content.decode())
    typed = {"held_on": TODAY.isoformat(), "summary": MINUTES, "attendees": "张三、李四"}

    asked = _post_meeting(client, matter, token, typed)

    assert asked.status_code == 200 and matter.deliberations.count() == 1
    html = asked.content.decode()
    assert 'id="same-minutes"' in html and 'id="form-errors"' not in html
    assert 'type="checkbox" name="meeting-confirm_duplicate"' in field_block(html, "meeting-confirm_duplicate")
    assert "张三、李四" in field_block(html, "meeting-attendees")
    assert "费用由村集体承担" in field_block(html, "meeting-summary")
    assert f'value="{TODAY.isoformat()}"' in field_block(html, "meeting-held_on")
    assert _token(html) == token  # the same form: nothing was claimed

    unticked = _post_meeting(client, matter, token, typed)
    assert unticked.status_code == 200 and matter.deliberations.count() == 1

    saved = _post_meeting(client, matter, token, {**typed, "confirm_duplicate": "on"})
    resent = _post_meeting(client, matter, token, {**typed, "confirm_duplicate": "on"})
    assert saved.status_code == 302 and resent.status_code == 302
    assert matter.deliberations.count() == 2  # the double tap of the confirmed form saves once
    matter.refresh_from_db()
    assert matter.state == State.DELIBERATING


def test_a_fresh_meeting_form_does_not_ask(mw, client):
    matter = _meeting_matter(mw)
    client.force_login(mw.users.grid1)
    html = client.get(f"/matters/{matter.pk}/").content.decode()
    assert 'id="same-minutes"' not in html and 'type="checkbox" name="meeting-confirm_duplicate"' not in html
