"""The village compact (村规民约): versions adopted by a 村事 whose villagers' meeting vote carried
(never the representatives' meeting), then filed (备案) or returned by the township; articles
frozen from the proposal on; one version in force per village."""

import datetime
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone

from governance import law
from governance.errors import Conflict, Forbidden, Refused
from governance.models import Notification
from petitions import compact as c
from petitions import services as s
from petitions.models import CompactStatus, CompactVersion, MatterEvent, State
from petitions.selectors import matters_waiting_for
from tests.api.matter_states import database_state
from tests.petitions.compacts import ARTICLES, adopted, draft, in_force, proposed, publish, vote


def _post(client, user, matter, action, data):
    client.force_authenticate(user)
    return client.post(f"/api/v1/matters/{matter.pk}/{action}/", data, format="json")


def _notes(user, words):
    return list(Notification.objects.filter(user=user, title__contains=words).values_list("title", "body"))


# ---------------------------------------------------------------- drafting


def test_a_new_version_starts_as_a_copy_of_the_articles_in_force(mw):
    first = in_force(mw)
    second = c.compact_version_draft(village=mw.qixing, actor=mw.users.cadre)
    assert (first.number, second.number, second.status) == (1, 2, CompactStatus.DRAFT)
    copied = list(second.articles.values_list("number", "title", "text"))
    assert copied == list(first.articles.values_list("number", "title", "text")) and len(copied) == len(ARTICLES)
    with pytest.raises(Conflict) as twice:
        c.compact_version_draft(village=mw.qixing, actor=mw.users.cadre)
    assert twice.value.code == "compact_in_progress"


def test_only_the_villages_cadres_draft_its_compact(mw):
    for user in (mw.users.official, mw.users.other_cadre, mw.users.grid1, mw.users.supervisor):
        with pytest.raises(Forbidden):
            c.compact_version_draft(village=mw.qixing, actor=user)
    assert not CompactVersion.objects.exists()


def test_a_draft_edits_removes_and_reorders_its_articles(mw):
    version = draft(mw)
    first, second, third = version.articles.order_by("number")
    c.compact_article_move(article=third, actor=mw.users.cadre, up=True)
    c.compact_article_move(article=first, actor=mw.users.cadre, up=True)  # already first: nothing moves
    assert list(version.articles.values_list("title", flat=True)) == ["环境卫生", "孝老爱亲", "邻里和睦"]
    c.compact_article_remove(article=first, actor=mw.users.cadre)
    assert list(version.articles.values_list("number", "title")) == [(1, "孝老爱亲"), (2, "邻里和睦")]
    c.compact_article_edit(article=second, actor=mw.users.cadre, title="邻里守望", text="守望相助。")
    assert version.articles.get(pk=second.pk).text == "守望相助。"
    with pytest.raises(Refused):
        c.compact_article_add(version=version, actor=mw.users.cadre, text="  ")


def test_article_numbers_are_unique_within_a_version(mw):
    version = draft(mw)
    with pytest.raises(IntegrityError):
        version.articles.create(number=1, text="重复的条号")


def test_one_version_in_force_per_village_is_kept_by_the_database(mw):
    first = in_force(mw)
    with pytest.raises(IntegrityError):
        CompactVersion.objects.create(
            township=mw.weituo, village=mw.qixing, number=9, title="x", status="in_force", created_by=mw.users.cadre
        )
    assert first.status == CompactStatus.IN_FORCE


# ---------------------------------------------------------------- proposing and voting


def test_proposing_records_and_classifies_a_village_matter_and_freezes_the_articles(mw):
    version = draft(mw)
    version = c.compact_version_propose(version=version, actor=mw.users.cadre)
    matter = version.matter
    assert (version.status, matter.kind, matter.state) == (CompactStatus.PROPOSED, "village", State.CLASSIFIED)
    assert matter.category == mw.categories.village_rules and matter.village_id == mw.qixing.pk
    assert matter.source == "proposal"  # the cadres' own proposal, not a resident's walk-in
    article = version.articles.first()
    for change in (
        lambda: c.compact_article_edit(article=article, actor=mw.users.cadre, text="改"),
        lambda: c.compact_article_add(version=version, actor=mw.users.cadre, text="加"),
        lambda: c.compact_article_remove(article=article, actor=mw.users.cadre),
        lambda: c.compact_article_move(article=article, actor=mw.users.cadre, up=False),
        lambda: c.compact_version_propose(version=version, actor=mw.users.cadre),
    ):
        with pytest.raises(Conflict) as frozen:
            change()
        assert frozen.value.code == "compact_frozen"
    assert version.articles.get(pk=article.pk).text == article.text


def test_a_version_is_proposed_on_an_open_compact_matter_of_its_village_not_yet_voted_on(mw):
    version = draft(mw)
    other_village = mw.staff_matter(grid=mw.h1, actor=mw.users.other_cadre, title="化龙村规民约")
    s.matter_classify(
        matter=other_village, actor=mw.users.other_cadre, kind="village", category=mw.categories.village_rules
    )
    project = mw.staff_matter(actor=mw.users.cadre, title="村道硬化")
    s.matter_classify(matter=project, actor=mw.users.cadre, kind="village", category=mw.categories.village_project)
    for wrong in (other_village, project):
        with pytest.raises(Refused) as refused:
            c.compact_version_propose(version=version, actor=mw.users.cadre, matter=wrong)
        assert refused.value.code == "not_a_compact_matter"
    mine = mw.staff_matter(actor=mw.users.cadre, title="修订村规民约")
    s.matter_classify(matter=mine, actor=mw.users.cadre, kind="village", category=mw.categories.village_rules)
    version = c.compact_version_propose(version=version, actor=mw.users.cadre, matter=mine)
    assert (version.matter, version.status) == (mine, CompactStatus.PROPOSED)


def test_a_compact_adopted_by_a_representatives_meeting_vote_is_refused(mw, api_client):
    version, matter = proposed(mw)
    before = database_state()
    today = timezone.localdate().isoformat()
    counts = {"body": "representatives_meeting", "entitled": 45, "present": 40, "in_favour": 40, "against": 0}
    step = {"kind": "step", "step": 5, "held_on": today, "summary": "村民代表会议表决村规民约", "abstain": 0}
    refused = _post(api_client, mw.users.cadre, matter, "deliberate", {**step, **counts})
    assert refused.status_code == 400 and refused.json()["code"] == "compact_needs_villagers_meeting"
    assert database_state() == before
    version.refresh_from_db()
    assert (version.status, version.adopted_on) == (CompactStatus.PROPOSED, None)


def test_a_compact_adopted_by_the_villagers_meeting_waits_for_filing(mw, api_client):
    version, matter = proposed(mw)
    vote(mw, matter, in_favour=30)  # failed: no quorum of votes in favour
    version.refresh_from_db()
    assert version.status == CompactStatus.PROPOSED
    vote(mw, matter)
    version.refresh_from_db()
    assert version.status == CompactStatus.PROPOSED  # not before the resolution is published (step 6)
    publish(mw, matter)
    version.refresh_from_db()
    assert (version.status, version.adopted_on) == (CompactStatus.AWAITING_FILING, timezone.localdate())
    waiting = _post(api_client, mw.users.cadre, matter, "handle", {"handler": mw.users.cadre.pk})
    assert (waiting.status_code, waiting.json()["code"]) == (409, "awaiting_township_filing")
    assert _notes(mw.users.official, matter.title) and matter in matters_waiting_for(mw.users.official)
    assert matter not in matters_waiting_for(mw.users.other_official)


# ---------------------------------------------------------------- 备案 by the township


def test_the_township_files_the_new_version_and_the_old_one_is_superseded(mw, api_client):
    first = in_force(mw)
    second = c.compact_version_draft(village=mw.qixing, actor=mw.users.cadre)
    c.compact_article_add(version=second, actor=mw.users.cadre, title="红白喜事简办", text="婚事宴席不超过 15 桌。")
    second = c.compact_version_propose(version=second, actor=mw.users.cadre)
    matter = second.matter
    for n in (1, 2, 3, 4):
        party = {"entitled": 30, "present": 25} if n == 4 else {}
        s.matter_deliberate(
            matter=matter,
            actor=mw.users.cadre,
            kind="step",
            step=n,
            held_on=timezone.localdate(),
            summary=f"{n}",
            **party,
        )
    vote(mw, matter)
    publish(mw, matter)

    filed = _post(api_client, mw.users.official, matter, "record_filing", {"filed": True, "reason": "镇民政办"})
    assert filed.status_code == 200 and filed.json()["filed_on"] == timezone.localdate().isoformat()
    first.refresh_from_db()
    second.refresh_from_db()
    assert (second.status, second.filed_on, second.filed_by, second.in_force_from) == (
        CompactStatus.IN_FORCE,
        timezone.localdate(),
        mw.users.official,
        timezone.localdate(),
    )
    assert (first.status, first.superseded_on) == (CompactStatus.SUPERSEDED, timezone.localdate())
    assert c.compact_in_force(mw.qixing) == second
    assert _notes(mw.users.cadre, matter.title)
    assert _post(api_client, mw.users.cadre, matter, "handle", {"handler": mw.users.cadre.pk}).status_code == 200
    # An in-force or superseded version's articles never change.
    for version in (first, second):
        with pytest.raises(Conflict):
            c.compact_article_edit(article=version.articles.first(), actor=mw.users.cadre, text="改")


def test_a_filing_is_not_in_the_future_nor_before_the_vote(mw, api_client):
    version, matter = adopted(mw)
    before = database_state()
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    yesterday = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    for day in (tomorrow, yesterday):
        response = _post(api_client, mw.users.official, matter, "record_filing", {"filed": True, "filed_on": day})
        assert response.status_code == 400 and "filed_on" in response.json()
    assert database_state() == before


def test_a_returned_compact_is_not_in_force_the_village_is_told_and_may_amend_it_and_vote_again(mw, api_client):
    version, matter = adopted(mw)
    no_reason = _post(api_client, mw.users.official, matter, "record_filing", {"filed": False, "reason": " "})
    assert no_reason.status_code == 400 and "reason" in no_reason.json()

    returned = _post(api_client, mw.users.leader, matter, "record_filing", {"filed": False, "reason": "第二条表述不清"})
    assert returned.status_code == 200 and returned.json()["filing_returned_at"]
    version.refresh_from_db()
    assert (version.status, version.return_reason, version.returned_by) == (
        CompactStatus.RETURNED,
        "第二条表述不清",
        mw.users.leader,
    )
    assert c.compact_in_force(mw.qixing) is None
    assert any(body == "第二条表述不清" for _title, body in _notes(mw.users.cadre, matter.title))
    event = MatterEvent.objects.filter(matter=matter, action="record_filing").get()
    assert event.payload == {"filed": False, "reason": "第二条表述不清"}
    # Returned: the township cannot decide again without a new vote; handling waits.
    assert _post(api_client, mw.users.official, matter, "record_filing", {"filed": True}).status_code == 409
    waiting = _post(api_client, mw.users.cadre, matter, "handle", {"handler": mw.users.cadre.pk})
    assert (waiting.status_code, waiting.json()["code"]) == (409, "awaiting_township_filing")
    assert matter not in matters_waiting_for(mw.users.official)

    # The village amends it; the new vote freezes it again; once its resolution is published
    # again (the first one was for the returned text) it waits for filing.
    article = version.articles.get(number=2)
    c.compact_article_edit(
        article=article, actor=mw.users.cadre, title="邻里和睦", text="邻里纠纷先协商，再请调解员调解。"
    )
    vote(mw, matter)
    version.refresh_from_db()
    assert version.status == CompactStatus.PROPOSED
    assert _post(api_client, mw.users.official, matter, "record_filing", {"filed": True}).status_code == 409
    publish(mw, matter)
    version.refresh_from_db()
    assert version.status == CompactStatus.AWAITING_FILING
    with pytest.raises(Conflict):
        c.compact_article_edit(article=article, actor=mw.users.cadre, text="再改")
    assert _post(api_client, mw.users.official, matter, "record_filing", {"filed": True}).status_code == 200
    version.refresh_from_db()
    assert version.status == CompactStatus.IN_FORCE


def test_after_a_return_the_matter_page_offers_the_new_vote_and_no_resolution_before_it(mw, client):
    version, matter = adopted(mw)
    s.matter_record_filing(matter=matter, actor=mw.users.official, filed=False, reason="第二条表述不清")
    client.force_login(mw.users.cadre)
    page = client.get(f"/matters/{matter.pk}/").content.decode()
    # The vote is the step due again (its form offered), not a page where every step shows done.
    assert 'name="step" value="5"' in page
    assert 'name="step" value="6"' not in page
    assert 'value="representatives_meeting"' not in page  # a compact's vote: the villagers' meeting only
    assert "vote-replaced" in page  # the returned vote is marked, not shown as standing
    assert "镇街已退回：等待村里重新表决" in page
    before = database_state()
    with pytest.raises(ValidationError) as refused:
        publish(mw, matter)
    assert "step" in refused.value.message_dict and database_state() == before
    vote(mw, matter)
    publish(mw, matter)
    version.refresh_from_db()
    assert version.status == CompactStatus.AWAITING_FILING
    s.matter_record_filing(matter=matter, actor=mw.users.official, filed=True)
    decided = client.get(f"/matters/{matter.pk}/").content.decode()
    # Filed: only step 7 is left; a 院坝会 record is offered aside, not as "your turn".
    assert "已议定：等待村干部指定实施人（第七步）" in decided
    turn = decided.split('class="next-panel', 1)[1].split("</div>", 1)[0]
    assert "院坝会" not in turn and "#action-handle" in turn


def test_only_the_matters_township_files_it(mw, api_client):
    version, matter = adopted(mw)
    before = database_state()
    cadre = _post(api_client, mw.users.cadre, matter, "record_filing", {"filed": True})
    assert (cadre.status_code, cadre.json()["code"]) == (403, "permission_denied")
    assert _post(api_client, mw.users.supervisor, matter, "record_filing", {"filed": True}).status_code == 403
    assert _post(api_client, mw.users.other_official, matter, "record_filing", {"filed": True}).status_code == 404
    assert database_state() == before
    version.refresh_from_db()
    assert version.status == CompactStatus.AWAITING_FILING


def test_a_compact_not_awaiting_filing_cannot_be_filed(mw, api_client):
    version, matter = proposed(mw)
    assert _post(api_client, mw.users.official, matter, "record_filing", {"filed": True}).status_code == 409
    vote(mw, matter)  # carried, not yet published
    assert _post(api_client, mw.users.official, matter, "record_filing", {"filed": True}).status_code == 409
    version.refresh_from_db()
    assert version.status == CompactStatus.PROPOSED


def test_compact_in_force_reads_the_version_with_its_articles_in_two_queries(mw, django_assert_num_queries):
    in_force(mw)
    with django_assert_num_queries(2):
        version = c.compact_in_force(mw.qixing)
        titles = [a.title for a in version.articles.all()]
    assert titles == [t for t, _text in ARTICLES]
    assert c.compact_in_force(mw.hualong) is None


def test_articles_that_would_withhold_what_the_law_protects_are_flagged_for_the_township(mw, client):
    """An article may regulate 宅基地 or 集体收益 (no flag); one that takes them away as a sanction
    is flagged on the version's page and on the matter's page where the township files it."""
    articles = [
        *ARTICLES,
        ("宅基地", "宅基地申请须经村民代表会议讨论后公示。"),
        ("奖惩", "拒不履行者，取消其当年集体 分紅资格，停发低保。"),
    ]
    version, matter = adopted(mw, articles=articles)
    flags = c.law_flags(version)
    assert [f["number"] for f in flags] == [5]
    assert "集体分红" in flags[0]["what"] and "低保" in flags[0]["what"]
    client.force_login(mw.users.official)
    page = client.get(f"/matters/{matter.pk}/").content.decode()
    assert 'id="compact-law"' in page and "#article-5" in page and "#article-4" not in page
    client.force_login(mw.users.cadre)
    assert 'id="compact-law"' in client.get(f"/compact/{version.pk}/").content.decode()
    # The lawful articles alone have no warning.
    lawful = [SimpleNamespace(number=n, title=t, text=x) for n, (t, x) in enumerate(articles[:-1], start=1)]
    assert law.compact_flags(lawful) == []
