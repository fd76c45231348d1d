"""The village compact's pages: the staff's /compact/ (who reads, who edits, frozen articles
409) and the public /public/<village code>/compact/ (the version in force and earlier ones,
never a draft, never a name), with flat query counts."""

import re
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from petitions import compact as c
from petitions import services as s
from petitions.models import CompactArticle, CompactStatus, CompactVersion
from tests.matrix import PAGE_PERSONAS, Case, matrix_params, page_login, page_problems, page_send, run_matrix
from tests.petitions import conftest as matter_fixtures
from tests.petitions.compacts import adopted, draft, in_force

categories, mw = matter_fixtures.categories, matter_fixtures.mw

PERSONAS = PAGE_PERSONAS
NOT_READERS = ("grid1", "grid2", "helper", "clerk", "handler", "outsider")


def _row(**statuses):
    """Unlisted personas: 404 (out of scope); those without a reading role 403; anonymous 302."""
    row = dict.fromkeys(PERSONAS, 404)
    row.update(dict.fromkeys(NOT_READERS, 403))
    row["anonymous"] = 302
    row.update(statuses)
    return row


READS_QIXING = {"cadre": 200, "supervisor": 200, "official": 200, "leader": 200, "admin": 200}
EDITS_QIXING = {**READS_QIXING, "supervisor": 403, "official": 403, "leader": 403}
FROZEN = {**EDITS_QIXING, "cadre": 409, "admin": 409}
# The POSTs are sent empty: the editors get the form back with its errors (400).
SENT_EMPTY = {**EDITS_QIXING, "cadre": 400, "admin": 400}

MATRIX = {
    ("GET", "compact-home", None): _row(**READS_QIXING, other_cadre=200, other_official=200),
    ("GET", "compact-home-qixing", None): _row(**READS_QIXING),
    ("POST", "compact-draft", None): _row(**SENT_EMPTY),
    ("GET", "compact-version", "draft"): _row(**READS_QIXING),
    ("GET", "compact-version", "in_force"): _row(**READS_QIXING),
    ("POST", "compact-version-edit", "draft"): _row(**SENT_EMPTY),
    ("POST", "compact-version-add", "draft"): _row(**SENT_EMPTY),
    ("POST", "compact-version-add", "in_force"): _row(**FROZEN),
    ("POST", "compact-version-propose", "draft"): _row(**SENT_EMPTY),
    ("POST", "compact-version-propose", "proposed"): _row(**FROZEN),
    ("POST", "compact-article-edit", "draft"): _row(**SENT_EMPTY),
    ("POST", "compact-article-edit", "in_force"): _row(**FROZEN),
    ("POST", "compact-article-edit", "proposed"): _row(**FROZEN),
    ("POST", "compact-article-remove", "draft"): _row(**SENT_EMPTY),
    ("POST", "compact-article-down", "in_force"): _row(**FROZEN),
}
COVERED_URL_NAMES = {
    "compact-home",
    "compact-draft",
    "compact-version",
    "compact-version-action",
    "compact-article-action",
}


def _version(mw, on):
    if on == "draft":
        return draft(mw)
    if on == "proposed":
        return c.compact_version_propose(version=draft(mw), actor=mw.users.cadre)
    return in_force(mw)


def _url(mw, page, on):
    if page == "compact-home":
        return "/compact/"
    if page == "compact-home-qixing":
        return f"/compact/?village={mw.qixing.pk}"
    if page == "compact-draft":
        return "/compact/new/"
    version = _version(mw, on)
    if page == "compact-version":
        return f"/compact/{version.pk}/"
    if page.startswith("compact-version-"):
        return f"/compact/{version.pk}/{page.removeprefix('compact-version-')}/"
    return f"/compact/articles/{version.articles.first().pk}/{page.removeprefix('compact-article-')}/"


CASES = [Case(method, page, row, on=on) for (method, page, on), row in MATRIX.items()]


def _snapshot():
    return (
        list(CompactVersion.objects.order_by("pk").values_list("pk", "status", "title", "matter_id")),
        list(CompactArticle.objects.order_by("pk").values_list("pk", "number", "title", "text")),
    )


@pytest.mark.parametrize("case", matrix_params(CASES))
def test_compact_page_permissions(client, mw, case):
    url = _url(mw, case.url, case.on)
    data = {"draft-village": mw.qixing.pk} if case.url == "compact-draft" else None
    # An empty POST: the allowed get the page back with the form's errors; nobody writes.
    run_matrix(
        case,
        personas=list(case.expected),
        login=page_login(client, mw.users),
        send=page_send(client, case.method, url, data),
        snapshot=_snapshot,
        writes_nothing=True,
        checks=[page_problems],
    )


def test_compact_matrix_covers_every_compact_page():
    from petitions.compact_urls import urlpatterns

    assert {p.name for p in urlpatterns} == COVERED_URL_NAMES


def test_a_cadre_drafts_edits_reorders_and_proposes_a_version_in_pages(client, mw):
    first = in_force(mw)
    client.force_login(mw.users.cadre)
    home = client.get("/compact/")
    assert home.status_code == 200 and "孝老爱亲" in home.content.decode()
    token = re.search(r'name="draft-form_token" value="([0-9a-f-]{36})"', home.content.decode()).group(1)
    drafted = client.post("/compact/new/", {"draft-form_token": token, "draft-village": mw.qixing.pk})
    version = CompactVersion.objects.get(village=mw.qixing, number=2)
    assert drafted.status_code == 302 and drafted["Location"] == f"/compact/{version.pk}/"
    again = client.post("/compact/new/", {"draft-form_token": token, "draft-village": mw.qixing.pk})
    assert again.status_code == 302 and CompactVersion.objects.count() == 2  # the same form sent twice

    no_text = client.post(f"/compact/{version.pk}/add/", {"add-form_token": str(uuid.uuid4()), "add-title": "红白喜事"})
    assert no_text.status_code == 400 and "has-error" in no_text.content.decode()
    assert 'value="红白喜事"' in no_text.content.decode()  # what was typed stays
    added = client.post(
        f"/compact/{version.pk}/add/",
        {"add-form_token": str(uuid.uuid4()), "add-title": "红白喜事简办", "add-text": "婚事宴席不超过 15 桌。"},
    )
    assert added.status_code == 302
    new = version.articles.get(title="红白喜事简办")
    assert (
        client.post(f"/compact/articles/{new.pk}/up/", {f"s{new.pk}-form_token": str(uuid.uuid4())}).status_code == 302
    )
    assert list(version.articles.values_list("title", flat=True))[-2:] == ["红白喜事简办", "孝老爱亲"]
    removed = version.articles.get(title="环境卫生")
    client.post(f"/compact/articles/{removed.pk}/remove/", {f"s{removed.pk}-form_token": str(uuid.uuid4())})
    assert list(version.articles.values_list("number", flat=True)) == [1, 2, 3]

    proposed = client.post(f"/compact/{version.pk}/propose/", {"propose-form_token": str(uuid.uuid4())})
    version.refresh_from_db()
    assert proposed.status_code == 302 and version.status == CompactStatus.PROPOSED
    matter_page = client.get(f"/matters/{version.matter_id}/").content.decode()
    assert f'href="/compact/{version.pk}/"' in matter_page
    frozen = client.post(
        f"/compact/articles/{new.pk}/edit/",
        {f"a{new.pk}-form_token": str(uuid.uuid4()), f"a{new.pk}-text": "改了"},
    )
    assert frozen.status_code == 409 and version.articles.get(pk=new.pk).text == "婚事宴席不超过 15 桌。"
    assert first.articles.count() == 3


def test_the_township_files_the_compact_on_the_matter_page(client, mw):
    version, matter = adopted(mw)
    client.force_login(mw.users.official)
    page = client.get(f"/matters/{matter.pk}/").content.decode()
    assert 'id="action-record_filing"' in page
    # The filing's panel speaks of filing (备案), not of an approval (审批: the land adjustment's).
    panel = re.search(r'id="action-record_filing".*?</details>', page, re.S).group(0)
    assert "审批" not in panel and "approv" not in panel.lower()
    token = re.search(r'name="record_filing-form_token" value="([0-9a-f-]{36})"', page).group(1)
    missing = client.post(
        f"/matters/{matter.pk}/record_filing/", {"record_filing-form_token": token, "record_filing-filed": "no"}
    )
    assert missing.status_code == 200 and "has-error" in missing.content.decode()
    returned = client.post(
        f"/matters/{matter.pk}/record_filing/",
        {"record_filing-form_token": token, "record_filing-filed": "no", "record_filing-reason": "第三条须修改"},
    )
    assert returned.status_code == 302
    version.refresh_from_db()
    assert (version.status, version.return_reason) == (CompactStatus.RETURNED, "第三条须修改")
    client.force_login(mw.users.cadre)
    assert "第三条须修改" in client.get(f"/compact/{version.pk}/").content.decode()
    # Each version's link is a full tap target (.card-link: 44 px high).
    assert f'<a class="card-link" href="/compact/{version.pk}/">' in client.get("/compact/").content.decode()


# ---------------------------------------------------------------- the public pages


def _public_texts(mw):
    """Names and phones the public pages must never show."""
    users = vars(mw.users).values()
    return [u.get_full_name() for u in users if u.get_full_name()] + ["15800009119"]


def test_the_public_page_shows_the_version_in_force_and_the_earlier_ones(client, mw):
    first = in_force(mw)
    second = c.compact_version_draft(village=mw.qixing, actor=mw.users.cadre)
    c.compact_article_add(version=second, actor=mw.users.cadre, title="红白喜事简办", text="丧事办理不超过 3 天。")
    second = c.compact_version_propose(version=second, actor=mw.users.cadre)
    code = mw.qixing.code
    # Proposed: not public; the one in force still is.
    assert client.get(f"/public/{code}/compact/v2/").status_code == 404
    page = client.get(f"/public/{code}/compact/").content.decode()
    assert "孝老爱亲" in page and "丧事办理" not in page

    matter = second.matter
    for n in (1, 2, 3, 4):
        party = {"entitled": 30, "present": 25} if n == 4 else {}
        s.matter_deliberate(
            matter=matter, actor=mw.users.cadre, kind="step", step=n, held_on=mw.today, summary=f"{n}", **party
        )
    from tests.petitions.compacts import publish, vote

    vote(mw, matter)
    publish(mw, matter)
    assert client.get(f"/public/{code}/compact/v2/").status_code == 404  # awaiting filing
    s.matter_record_filing(matter=matter, actor=mw.users.official, filed=True)

    current = client.get(f"/public/{code}/compact/")
    html = current.content.decode()
    assert current.status_code == 200 and "丧事办理不超过 3 天" in html
    assert mw.today.isoformat() in html and f'href="/public/{code}/compact/v1/"' in html
    assert '<ul class="link-list">' in html  # the earlier versions' links are tap targets
    earlier = client.get(f"/public/{code}/compact/v1/").content.decode()
    assert "丧事办理" not in earlier and "孝老爱亲" in earlier and f'href="/public/{code}/compact/"' in earlier
    assert first.pk != second.pk
    for text in _public_texts(mw):
        assert text not in html and text not in earlier


def test_drafts_and_returned_versions_are_not_public(client, mw):
    version = draft(mw)
    code = mw.qixing.code
    assert client.get(f"/public/{code}/compact/v1/").status_code == 404
    assert client.get(f"/public/{code}/compact/v9/").status_code == 404
    assert client.get("/public/nowhere/compact/").status_code == 404
    empty = client.get(f"/public/{code}/compact/")
    assert empty.status_code == 200 and "环境卫生" not in empty.content.decode()
    version = c.compact_version_propose(version=version, actor=mw.users.cadre)
    assert client.get(f"/public/{code}/compact/v1/").status_code == 404
    assert client.get(f"/public/{mw.hualong.code}/compact/").status_code == 200


# ---------------------------------------------------------------- flat query counts


def _count(client, url) -> int:
    client.get(url)  # warm up
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def _more_versions(mw, n):
    for _ in range(n):
        version = c.compact_version_draft(village=mw.qixing, actor=mw.users.cadre)
        c.compact_article_add(version=version, actor=mw.users.cadre, title="新增", text="再加一条。")
        version = c.compact_version_propose(version=version, actor=mw.users.cadre)
        matter = version.matter
        for step in (1, 2, 3, 4):
            party = {"entitled": 30, "present": 25} if step == 4 else {}
            s.matter_deliberate(
                matter=matter,
                actor=mw.users.cadre,
                kind="step",
                step=step,
                held_on=mw.today,
                summary=f"{step}",
                **party,
            )
        from tests.petitions.compacts import publish, vote

        vote(mw, matter)
        publish(mw, matter)
        s.matter_record_filing(matter=matter, actor=mw.users.official, filed=True)


def test_the_compact_pages_cost_the_same_queries_for_one_version_as_for_four(client, mw):
    in_force(mw)
    client.force_login(mw.users.official)
    staff, public = f"/compact/?village={mw.qixing.pk}", f"/public/{mw.qixing.code}/compact/"
    before = (_count(client, staff), _count(client, public))
    _more_versions(mw, 3)
    assert CompactVersion.objects.filter(village=mw.qixing, status=CompactStatus.SUPERSEDED).count() == 3
    assert (_count(client, staff), _count(client, public)) == before
