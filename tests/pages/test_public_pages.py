"""The public board (/public/): a resident without an account submits, follows and evaluates a matter."""

import re
import threading

import pytest
import segno
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from governance.models import Role
from petitions import public_views
from petitions import services as s
from petitions.models import Kind, Matter, MatterEvent, Rating, State
from tests.factories import assign, make_user
from tests.pages.conftest import field_block, form_token
from tests.petitions import conftest as matter_fixtures
from tests.petitions.compacts import in_force

# The matters fixtures of tests/petitions/conftest.py (the world, categories, and makers).
categories = matter_fixtures.categories
mw = matter_fixtures.mw

TODAY = timezone.localdate()  # the app's day (Asia/Shanghai), not the machine's
FORM = "/public/500117101001/new/"  # 七星村


@pytest.fixture(autouse=True)
def _fresh_throttles():
    """Submission counters live in the process-local cache; each test starts with none."""
    cache.clear()
    yield
    cache.clear()


def _data(client, **extra):
    data = {
        "form_token": form_token(client.get(FORM).content.decode()),
        "title": "路灯不亮",
        "description": "村口桥头的路灯坏了一个月",
        "grid": "",
        "submitter_name": "马大姐",
        "submitter_phone": "159 0000 1111",
    }
    data.update(extra)
    return data


def _code(response) -> str:
    match = re.search(r"/public/matters/([A-Za-z0-9_-]+)/submitted/$", response["Location"])
    assert match, response["Location"]
    return match.group(1)


def test_board_lists_townships_and_villages_and_the_code_lookup(client, world):
    response = client.get("/public/")
    assert response.status_code == 200
    html = response.content.decode()
    for name in ("渭沱镇", "小沔镇", "七星村", "化龙村", "李湾村"):
        assert name in html
    assert 'href="/public/500117101001/new/"' in html
    assert 'action="/public/matters/"' in html
    # Two townships: both shown open, so each village's board link is in sight.
    assert html.count('<details class="township" open>') == 2
    assert 'href="/public/500117101001/"' in html


def test_resident_submits_anonymously_and_gets_a_tracking_code(client, world):
    response = client.get(FORM)
    assert response.status_code == 200
    html = response.content.decode()
    assert "七星村" in html and "第一网格" in html and 'name="submitter_phone"' in html

    response = client.post(FORM, _data(client, grid=world.q1.pk))
    assert response.status_code == 302
    code = _code(response)
    matter = Matter.objects.get()
    assert matter.tracking_code == code
    assert (matter.village, matter.grid, matter.source) == (world.qixing, world.q1, "public_form")
    assert matter.submitter_phone == "15900001111" and matter.created_by is None
    event = MatterEvent.objects.get(matter=matter)
    assert event.action == "submit" and event.actor is None

    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="tracking-code">' in html
    assert "".join(re.findall(r"<span>([A-Za-z0-9_-]{1,4})</span>", html.split('id="tracking-code">')[1])[:4]) == code
    assert f'href="/public/matters/{code}/"' in html
    assert '<meta name="robots" content="noindex">' in html
    assert page["X-Robots-Tag"].startswith("noindex")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", ""),
        ("description", "   "),
        ("submitter_name", ""),
        ("submitter_phone", ""),
        ("submitter_phone", "12345"),
        ("submitter_phone", "25800001111"),
    ],
)
def test_bad_input_is_shown_next_to_the_field_and_nothing_is_written(client, world, field, value):
    response = client.post(FORM, _data(client, **{field: value}))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="errorlist"' in field_block(html, field)
    assert 'class="form-errors"' in html
    assert not Matter.objects.exists() and not MatterEvent.objects.exists()
    if field != "title":  # what the resident typed is kept
        assert "路灯不亮" in html


def test_grid_of_another_village_is_refused(client, world):
    response = client.post(FORM, _data(client, grid=world.h1.pk))
    assert response.status_code == 200
    assert 'class="errorlist"' in field_block(response.content.decode(), "grid")
    assert not Matter.objects.exists()


def test_double_submit_creates_one_matter(client, world):
    data = _data(client)
    first = client.post(FORM, data)
    second = client.post(FORM, data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Matter.objects.count() == 1 and MatterEvent.objects.count() == 1
    # A fresh form is a new matter.
    client.post(FORM, _data(client, title="垃圾没人清"))
    assert Matter.objects.count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_double_submit_creates_one_matter(world):
    """Two posts of one form at the same moment (a double tap on a slow line): one matter."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locking; run with DATABASE_URL=postgres://...")
    from django.test import Client

    data = _data(Client())
    barrier = threading.Barrier(2)
    locations = []

    def send():
        try:
            barrier.wait()
            locations.append(Client().post(FORM, data)["Location"])
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(locations) == 2 and locations[0] == locations[1]
    assert Matter.objects.count() == 1 and MatterEvent.objects.count() == 1


def test_a_corrected_resend_of_the_same_form_is_saved_once(client, world):
    data = _data(client, submitter_phone="123")
    assert client.post(FORM, data).status_code == 200
    data["submitter_phone"] = "15900001111"
    assert client.post(FORM, data).status_code == 302
    assert client.post(FORM, data).status_code == 302
    assert Matter.objects.count() == 1


def test_submissions_are_throttled_per_address_with_a_friendly_message(client, world, monkeypatch):
    monkeypatch.setattr(public_views, "SUBMISSIONS_PER_HOUR", 3)
    for n in range(3):
        assert client.post(FORM, _data(client, title=f"事项{n}")).status_code == 302
    data = _data(client, title="第四件")
    response = client.post(FORM, data)
    assert response.status_code == 429
    html = response.content.decode()
    assert 'class="form-errors"' in html and "第四件" in html
    assert Matter.objects.count() == 3
    # Another address is not affected.
    other = client.post(FORM, data, REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 302 and Matter.objects.count() == 4


def test_unknown_village_is_404(client, world):
    assert client.get("/public/999/new/").status_code == 404
    assert client.get("/public/999/poster/").status_code == 404


def _public_html(client, matter) -> str:
    response = client.get(f"/public/matters/{matter.tracking_code}/")
    assert response.status_code == 200
    return response.content.decode()


def _assert_no_personal_data(html, mw, matter):
    assert matter.submitter_name not in html
    assert matter.submitter_phone not in html and matter.submitter_phone_masked not in html
    users = mw.users
    for user in vars(users).values():
        assert user.username not in html, user.username
        # (The persona "司法所" is named after its department, which the page may name.)
        if user.first_name and user.first_name != mw.sifasuo.name:
            assert user.first_name not in html, user.first_name


def test_status_page_shows_progress_but_no_personal_data(client, mw):
    u = mw.users
    matter = mw.public_matter(grid=mw.q1)
    html = _public_html(client, matter)
    assert matter.title in html and "七星村" in html and "渭沱镇" in html
    assert '<meta name="robots" content="noindex">' in html
    assert 'aria-current="step"' in html
    _assert_no_personal_data(html, mw, matter)

    s.matter_classify(matter=matter, actor=u.cadre, kind=Kind.GOVERNMENT, category=mw.categories.legal_aid)
    html = _public_html(client, matter)
    assert "法律援助" in html
    _assert_no_personal_data(html, mw, matter)

    s.matter_deliberate(matter=matter, actor=u.official, kind="review", held_on=TODAY, summary="渭沱镇干部受理")
    s.matter_handle(matter=matter, actor=u.official, department=mw.sifasuo)
    html = _public_html(client, matter)
    assert "司法所" in html  # the department, an office: no person
    assert "渭沱镇干部受理" not in html  # minutes are internal
    _assert_no_personal_data(html, mw, matter)

    s.matter_report(matter=matter, actor=u.handler2, result="司法所调解，双方达成补偿协议")
    s.matter_verify(matter=matter, actor=u.official, passed=True)
    html = _public_html(client, matter)
    assert "双方达成补偿协议" in html
    assert 'action="/public/matters/' in html and 'name="rating"' in html
    _assert_no_personal_data(html, mw, matter)


def test_resident_id_numbers_never_appear(client, mw):
    matter = mw.staff_matter(household=mw.households.q1)
    html = _public_html(client, matter)
    for resident in mw.households.q1.members.all():
        assert resident.name not in html
        assert resident.id_number_masked not in html
        assert resident.phone not in html


def _to_evaluating(mw, matter):
    u = mw.users
    s.matter_classify(matter=matter, actor=u.cadre, kind=Kind.CIVIL, category=mw.categories.environment)
    s.matter_deliberate(matter=matter, actor=u.grid1, kind="meeting", held_on=TODAY, summary="院坝会")
    s.matter_handle(matter=matter, actor=u.grid1, handler=u.grid1)
    s.matter_report(matter=matter, actor=u.grid1, result="已修好路灯")
    s.matter_verify(matter=matter, actor=u.cadre, passed=True)
    matter.refresh_from_db()
    assert matter.state == State.EVALUATING
    return matter


def test_resident_evaluates_by_code_and_the_matter_closes(client, mw):
    matter = _to_evaluating(mw, mw.public_matter(grid=mw.q1))
    url = f"/public/matters/{matter.tracking_code}/evaluate/"
    response = client.post(url, {"rating": Rating.SATISFIED, "comment": ""})
    assert response.status_code == 302 and response["Location"] == f"/public/matters/{matter.tracking_code}/"
    matter.refresh_from_db()
    assert matter.state == State.CLOSED and matter.rating == Rating.SATISFIED
    event = matter.events.get(action="evaluate")
    assert event.actor is None and event.actor_label == "submitter"
    html = _public_html(client, matter)
    assert 'name="rating"' not in html and 'class="end-note closed"' in html
    _assert_no_personal_data(html, mw, matter)
    # A second answer (a double tap) changes nothing.
    again = client.post(url, {"rating": Rating.UNSATISFIED, "comment": "不行"})
    assert again.status_code == 302
    matter.refresh_from_db()
    assert matter.state == State.CLOSED and matter.events.filter(action="evaluate").count() == 1


def test_unsatisfied_needs_a_comment_and_goes_up_for_review(client, mw):
    matter = _to_evaluating(mw, mw.public_matter(grid=mw.q1))
    url = f"/public/matters/{matter.tracking_code}/evaluate/"
    response = client.post(url, {"rating": Rating.UNSATISFIED, "comment": " "})
    assert response.status_code == 200
    assert 'class="errorlist"' in field_block(response.content.decode(), "comment")
    matter.refresh_from_db()
    assert matter.state == State.EVALUATING and not matter.events.filter(action="evaluate").exists()

    client.post(url, {"rating": Rating.UNSATISFIED, "comment": "灯又坏了"})
    matter.refresh_from_db()
    # Not reopened at the same level: one level up for a review (复查).
    assert matter.state == State.REVIEWING and matter.reopen_count == 0
    assert matter.events.get(action="evaluate").actor is None


def test_evaluation_is_refused_before_the_matter_is_handled(client, mw):
    matter = mw.public_matter()
    response = client.post(f"/public/matters/{matter.tracking_code}/evaluate/", {"rating": Rating.SATISFIED})
    assert response.status_code == 302
    matter.refresh_from_db()
    assert matter.state == State.SUBMITTED and matter.events.count() == 1


def test_resident_withdraws_by_code_after_confirming(client, mw):
    matter = mw.public_matter()
    url = f"/public/matters/{matter.tracking_code}/withdraw/"
    assert f'href="{url}"' in _public_html(client, matter)
    confirm = client.get(url)
    assert confirm.status_code == 200 and 'method="post"' in confirm.content.decode()
    matter.refresh_from_db()
    assert matter.state == State.SUBMITTED  # the GET only asks

    response = client.post(url, {"reason": "已经自己解决了"})
    assert response.status_code == 302
    matter.refresh_from_db()
    assert matter.state == State.WITHDRAWN
    event = matter.events.get(action="withdraw")
    assert event.actor is None and event.payload == {"reason": "已经自己解决了"}
    html = _public_html(client, matter)
    assert f'href="{url}"' not in html and "stopped" in html


def test_withdraw_is_refused_once_handling_has_started(client, mw):
    matter = _to_evaluating(mw, mw.public_matter(grid=mw.q1))
    url = f"/public/matters/{matter.tracking_code}/withdraw/"
    assert client.get(url).status_code == 302
    assert client.post(url, {"reason": ""}).status_code == 302
    matter.refresh_from_db()
    assert matter.state == State.EVALUATING and not matter.events.filter(action="withdraw").exists()


def test_rejection_reason_is_shown(client, mw):
    matter = mw.public_matter()
    s.matter_reject(matter=matter, actor=mw.users.cadre, reason="不属于本村管辖范围")
    html = _public_html(client, matter)
    assert "不属于本村管辖范围" in html
    _assert_no_personal_data(html, mw, matter)


def test_unknown_code_is_a_friendly_404_that_reveals_nothing(client, mw):
    mw.public_matter()
    for url in (
        "/public/matters/not-a-real-code-x/",
        "/public/matters/not-a-real-code-x/submitted/",
        "/public/matters/not-a-real-code-x/withdraw/",
    ):
        response = client.get(url)
        assert response.status_code == 404
        html = response.content.decode()
        assert "petitions/public/find.html" in {t.name for t in response.templates}
        assert '<meta name="robots" content="noindex">' in html
        main = html.split('<main id="main">', 1)[1]
        assert "土地纠纷" not in main and "not-a-real-code-x" not in main
    assert client.post("/public/matters/nope/evaluate/", {"rating": "satisfied"}).status_code == 404


def test_code_lookup_finds_the_matter(client, mw):
    matter = mw.public_matter()
    code = matter.tracking_code
    response = client.get("/public/matters/", {"code": f" {code[:8]} {code[8:]} "})
    assert response.status_code == 302 and response["Location"] == f"/public/matters/{code}/"
    unknown = client.get("/public/matters/", {"code": "doesnotexist0000"})
    assert unknown.status_code == 404
    assert 'class="errorlist"' in field_block(unknown.content.decode(), "code")
    assert client.get("/public/matters/", {"code": ""}).status_code == 200


def test_code_lookup_forgives_a_phone_keyboard_changing_the_case(client, mw):
    matter = mw.public_matter()
    typed = matter.tracking_code.swapcase()
    response = client.get("/public/matters/", {"code": typed})
    assert response.status_code == 302 and response["Location"] == f"/public/matters/{matter.tracking_code}/"
    # Only the look-up form forgives it; the page address is exact.
    if typed != matter.tracking_code:
        assert client.get(f"/public/matters/{typed}/").status_code == 404


def test_poster_holds_a_qr_code_of_the_village_form(client, world):
    response = client.get("/public/500117101001/poster/")
    assert response.status_code == 200
    html = response.content.decode()
    form_url = "http://testserver/public/500117101001/new/"
    assert "七星村" in html and form_url in html
    assert '<svg viewBox="0 0 ' in html
    # The SVG is the QR code of exactly this address: segno draws the same modules for it.
    expected = re.search(r'd="([^"]+)"', segno.make(form_url, error="m").svg_inline()).group(1)
    drawn = re.search(r'<svg viewBox="[^"]+" class="qr">.*?d="([^"]+)"', html, re.S).group(1)
    assert drawn == expected
    assert "http" not in html.split("<svg", 1)[1].split("</svg>", 1)[0].replace(form_url, "")


def test_a_logged_in_staff_member_sees_the_same_public_pages(client, mw):
    staff = make_user("t_public_viewer", name="村干部甲")
    assign(staff, Role.VILLAGE_CADRE, mw.qixing)
    client.force_login(staff)
    matter = mw.public_matter()
    assert client.get(f"/public/matters/{matter.tracking_code}/").status_code == 200
    assert client.get("/public/").status_code == 200


# Every page under /public/, open to anyone without logging in. (tests/pages/test_permissions.py
# may count these names as covered.)
PUBLIC_PAGES = {
    "board": ("GET", "/public/"),
    "matter-find": ("GET", "/public/matters/?code={code}"),
    "matter-status": ("GET", "/public/matters/{code}/"),
    "matter-submitted": ("GET", "/public/matters/{code}/submitted/"),
    "matter-evaluate": ("POST", "/public/matters/{code}/evaluate/"),
    "matter-withdraw": ("GET", "/public/matters/{code}/withdraw/"),
    "matter-review": ("POST", "/public/matters/{code}/review/"),
    "matter-create": ("GET", FORM),
    "poster": ("GET", "/public/500117101001/poster/"),
    "compact": ("GET", "/public/500117101001/compact/"),
    "compact-version": ("GET", "/public/500117101001/compact/v1/"),
    "sms-unsubscribe": ("GET", "/public/sms/unsubscribe/{token}/"),
}


def test_every_public_page_is_open_without_login(client, mw):
    from petitions.public_urls import urlpatterns

    assert {pattern.name for pattern in urlpatterns} == set(PUBLIC_PAGES)
    matter = mw.public_matter(sms_consent="用短信告诉我办理进展")
    code, token = matter.tracking_code, matter.sms_subscription.token
    in_force(mw)  # 七星村's compact, version 1
    for method, url in PUBLIC_PAGES.values():
        url = url.format(code=code, token=token)
        response = client.get(url) if method == "GET" else client.post(url, {})
        assert response.status_code in (200, 302), url
        assert not response.get("Location", "").startswith("/accounts/login/"), url


def test_a_description_longer_than_the_limit_is_refused_on_the_page(client, world):
    from governance.limits import TEXT_LONG

    response = client.post(FORM, _data(client, description="长" * (TEXT_LONG + 1)))

    assert response.status_code == 200 and "description" in response.context["form"].errors
    assert not Matter.objects.exists()
    assert client.post(FORM, _data(client, description="长" * TEXT_LONG)).status_code == 302
