"""Visits (走访) on a phone in Chromium, with the network cut and restored.

The grid worker of grid 1 logs a visit, logs two more offline, sees them waiting and, back
online, all three arrive exactly once. A login that expired keeps the queue until the next
login; a visit the server refuses is shown with its reason and can be fixed; without a
service worker (WeChat on iPhone) the open form still queues and sends. Screenshots of
each state go to test-artifacts/.
"""

import datetime
import io
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext, override
from PIL import Image
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from grids.models import Grid, Household
from grids.visits.models import Visit
from tests.browser.conftest import DESKTOP, PASSWORD, PHONE, check_layout, screenshot

pytestmark = pytest.mark.browser

OUTBOX = "#outbox"


@pytest.fixture
def world_target(target):
    if target.world is None:
        pytest.skip("counts the visits in the test world's database")
    return target


# Installing the worker and filling its cache takes a few requests to the live server;
# on a loaded CI machine (tests in parallel on two cores) that can take longer than the
# default wait.
SW_TIMEOUT = 45_000


def _until(page, condition: str, tries: int = 3) -> None:
    """Wait for `condition` (polled on a timer: animation frames, the default, may not come to a
    page in the background); if it does not come, open the page again, as a grid worker
    reopening the app would, and wait once more."""
    for attempt in range(tries):
        try:
            page.wait_for_function(condition, polling=200, timeout=SW_TIMEOUT // tries)
            return
        except PlaywrightTimeoutError:
            if attempt == tries - 1:
                raise
            page.reload()


def wait_for_service_worker(page) -> None:
    """Until the service worker controls the page and keeps the form and the list.

    On a loaded machine a step can be lost: an install whose static files did not all arrive
    drops the worker (the page installs it again), and a page that was loading while the
    worker activated, or while a new version of it took over, is not claimed until it is
    opened again."""
    _until(
        page,
        """async () => {
            const registration = await navigator.serviceWorker.getRegistration("/visits/");
            return registration && registration.active && registration.active.state === "activated";
        }""",
    )
    _until(page, "() => !!navigator.serviceWorker.controller")
    _until(
        page,
        """async () => {
            const cache = await caches.open("cunzhi-visits-pages");
            return !!(await cache.match("/visits/new/")) && !!(await cache.match("/visits/"));
        }""",
    )


def save_visit(page) -> None:
    page.locator("form[data-visit-form] button[type=submit]").click()


def visits_of(user, since=None):
    visits = Visit.objects.filter(author=user)
    if since is not None:
        visits = visits.filter(received_at__gte=since)
    return list(visits.order_by("received_at", "id"))


@pytest.fixture
def phone(browser, world_target):
    """phone(service_workers=...) -> a phone logged in as grid 1; open_page's context, with
    the service worker allowed or blocked (as in WeChat on iPhone)."""
    contexts = []

    def open_phone(*, service_workers="allow"):
        context = browser.new_context(
            viewport=PHONE,
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            locale="zh-CN",
            base_url=world_target.base_url,
            service_workers=service_workers,
        )
        contexts.append(context)
        context.set_default_timeout(10_000)
        page = context.new_page()
        page.goto("/accounts/login/")
        page.fill("#id_username", world_target.grid1)
        page.fill("#id_password", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
        return page

    yield open_phone
    for context in contexts:
        context.close()


@pytest.fixture(params=["personas", "demo"])
def cast(request, live_server, transactional_db):
    """Who logs the visits: the test world's grid worker of grid 1 with its two households,
    or the demo's own qixing_grid1 on the seeded demo (12 households, a season of visits)."""
    if request.param == "personas":
        target = request.getfixturevalue("world_target")
        world = target.world
        return SimpleNamespace(
            open=request.getfixturevalue("open_page"),
            user=world.users.grid1,
            first=world.households.q1,
            second=world.households.q1b,
            grid=world.q1,
            households=2,
            shots=True,
        )
    open_demo = request.getfixturevalue("demo_site")
    user = get_user_model().objects.get(username="qixing_grid1")
    grid = Grid.objects.get(village__name="七星村", number=1)
    first, second = Household.objects.filter(grid=grid).order_by("number")[:2]
    return SimpleNamespace(
        open=open_demo,
        user=user,
        first=first,
        second=second,
        grid=grid,
        households=grid.households.count(),
        shots=False,
    )


def test_grid_worker_logs_three_visits_two_offline_and_all_arrive_once(cast):
    grid1, first, second = cast.user, cast.first, cast.second
    since = timezone.now()
    page = cast.open(PHONE, grid1.username, phone=True)
    context = page.context

    # The nav leads to the households to visit, neediest first; the phone keeps the pages.
    page.locator(".site-nav a[href='/visits/']").click()
    expect(page.locator("h1")).to_be_visible()
    expect(page.locator("[data-todo-list] [data-household]")).to_have_count(cast.households)
    wait_for_service_worker(page)
    check_layout(page, cast.shots and "phone-visits-todo")

    # 1. Online: one tap on the household, taps for who and what, saved and sent.
    page.locator(f"a[href='/visits/new/?household={first.pk}']").click()
    expect(page.locator("[data-place-name]")).to_have_text(first.head_name)
    page.locator("#id_met_0").check()  # the head of household
    page.fill("#id_notes", "老人身体还好，药快吃完了。")
    check_layout(page, cast.shots and "phone-visit-form")
    save_visit(page)
    page.wait_for_url("**/visits/")
    expect(page.locator(".visit-flash .message")).to_be_visible()
    assert [v.household for v in visits_of(grid1, since)] == [first]

    # 2. The network is cut: the list and the form still open; two visits wait on the phone.
    cut = timezone.now()
    context.set_offline(True)
    page.locator(f"a[href='/visits/new/?household={second.pk}']").click()
    expect(page.locator("[data-place-name]")).to_have_text(second.head_name)
    # The form came from the phone's copy (made before the cut), not from the server.
    rendered = datetime.datetime.fromisoformat(page.locator(OUTBOX).get_attribute("data-rendered-at"))
    assert rendered < cut
    expect(page.locator("#id_household")).to_have_value(str(second.pk))
    page.locator("#id_met_3").check()  # nobody was home
    page.locator("#id_result_2").check()  # needs another visit
    page.fill("#id_notes", "家中无人，改日再来。")
    save_visit(page)
    page.wait_for_url("**/visits/")
    expect(page.locator(OUTBOX)).to_have_attribute("data-waiting", "1")
    expect(page.locator(f"[data-household='{second.pk}'] .chip.waiting")).to_be_visible()

    page.locator(f"a[href='/visits/new/?grid={cast.grid.pk}']").click()
    expect(page.locator("#id_method_3")).to_be_checked()  # walked the grid
    expect(page.locator("#field-met")).to_be_hidden()
    page.fill("#id_notes", "巡查网格，路灯有一盏不亮。")
    save_visit(page)
    page.wait_for_url("**/visits/")
    outbox = page.locator(OUTBOX)
    expect(outbox).to_have_attribute("data-waiting", "2")
    expect(outbox).to_have_attribute("data-state", "offline")
    expect(outbox.locator(".outbox-item.waiting")).to_have_count(2)
    expect(outbox.locator("[data-outbox-summary]")).to_contain_text("2")
    check_layout(page, cast.shots and "phone-visits-outbox-waiting-offline")
    assert len(visits_of(grid1, since)) == 1

    # 3. Back online: the waiting visits are sent on their own, once.
    context.set_offline(False)
    expect(outbox).to_have_attribute("data-waiting", "0", timeout=30_000)
    expect(outbox).to_have_attribute("data-state", "idle")
    check_layout(page, cast.shots and "phone-visits-outbox-all-sent")
    visits = visits_of(grid1, since)
    assert len(visits) == 3
    assert [(v.household, v.method) for v in visits] == [(first, "home"), (second, "home"), (None, "grid")]
    assert visits[1].met == "nobody" and visits[1].result == "follow_up"
    assert visits[2].grid == cast.grid and visits[2].notes == "巡查网格，路灯有一盏不亮。"
    assert len({v.client_uuid for v in visits}) == 3

    # Opening the app again sends nothing twice.
    page.reload()
    expect(page.locator(OUTBOX)).to_have_attribute("data-waiting", "0")
    assert len(visits_of(grid1, since)) == 3

    # The log shows them, newest first.
    page.goto("/visits/log/")
    expect(page.locator(".visit-card").first).to_be_visible()
    check_layout(page, cast.shots and "phone-visits-log")


def test_an_expired_login_keeps_the_queue_and_sends_after_the_next_login(phone, world_target):
    world = world_target.world
    q1, grid1 = world.households.q1, world.users.grid1
    page = phone()
    page.goto(f"/visits/new/?household={q1.pk}")
    expect(page.locator("[data-place-name]")).to_have_text("张三")

    page.context.clear_cookies()  # the session expired while the form was open
    page.fill("#id_notes", "登录过期时记录的走访。")
    save_visit(page)
    outbox = page.locator(OUTBOX)
    expect(outbox).to_have_attribute("data-state", "login")
    expect(outbox).to_have_attribute("data-waiting", "1")
    login = outbox.locator("[data-outbox-login]")
    expect(login).to_be_visible()
    expect(page.locator(".visit-flash .message")).to_be_visible()
    check_layout(page, "phone-visits-outbox-login-expired")
    assert visits_of(grid1) == []

    # Logging in again (the link comes back to this page) sends what waited.
    login.click()
    page.wait_for_url("**/accounts/login/**")
    page.fill("#id_username", world_target.grid1)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/visits/new/**")
    expect(page.locator(OUTBOX)).to_have_attribute("data-waiting", "0", timeout=30_000)
    visits = visits_of(grid1)
    assert [(v.household, v.notes) for v in visits] == [(q1, "登录过期时记录的走访。")]


def test_a_refused_visit_shows_the_reason_and_can_be_fixed(phone, world_target):
    world = world_target.world
    q1, grid1 = world.households.q1, world.users.grid1
    page = phone()
    page.goto("/visits/")
    wait_for_service_worker(page)
    page.goto(f"/visits/new/?household={q1.pk}")

    # Offline, with the date mistyped as tomorrow: nothing can check it until it is sent.
    page.context.set_offline(True)
    tomorrow = datetime.datetime.now() + datetime.timedelta(days=1)
    page.fill("#id_visited_at", tomorrow.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_notes", "日期填错了。")
    save_visit(page)
    page.wait_for_url("**/visits/")
    outbox = page.locator(OUTBOX)
    expect(outbox).to_have_attribute("data-waiting", "1")
    page.context.set_offline(False)

    expect(outbox).to_have_attribute("data-rejected", "1", timeout=30_000)
    with override("zh-hans"):
        reason = gettext("The visit time is in the future. Check the date and the clock of your phone.")
    item = outbox.locator(".outbox-item.rejected")
    expect(item.locator(".reason")).to_contain_text(reason)
    check_layout(page, "phone-visits-outbox-refused")
    page.set_viewport_size(DESKTOP)
    screenshot(page, "desktop-visits-outbox-refused")
    page.set_viewport_size(PHONE)
    assert visits_of(grid1) == []

    # Fix: the form comes back with the reason next to the time; corrected, it is sent.
    item.locator("[data-outbox-fix]").click()
    expect(page.locator("#field-visited_at .errorlist")).to_contain_text(reason)
    expect(page.locator("#id_notes")).to_have_value("日期填错了。")
    check_layout(page, "phone-visit-form-fixing")
    page.fill("#id_visited_at", timezone.localtime().strftime("%Y-%m-%dT%H:%M"))
    save_visit(page)
    page.wait_for_url("**/visits/")
    expect(page.locator(OUTBOX)).to_have_attribute("data-rejected", "0")
    expect(page.locator(OUTBOX)).to_have_attribute("data-waiting", "0")
    assert [(v.household, v.notes) for v in visits_of(grid1)] == [(q1, "日期填错了。")]


def test_without_a_service_worker_the_open_form_queues_and_sends(phone, world_target):
    world = world_target.world
    hh, grid1 = world.households, world.users.grid1
    page = phone(service_workers="block")
    page.goto(f"/visits/new/?household={hh.q1.pk}")
    assert page.evaluate("() => !navigator.serviceWorker || !navigator.serviceWorker.controller")

    page.context.set_offline(True)
    page.fill("#id_notes", "第一户")
    save_visit(page)
    # No kept copy of the list to go to: the form stays, empty again, for the next household.
    expect(page.locator(OUTBOX)).to_have_attribute("data-waiting", "1")
    expect(page.locator("#id_notes")).to_have_value("")
    expect(page.locator(".visit-flash .message")).to_be_visible()
    page.locator("details.change-place summary").click()
    page.select_option("#id_household", str(hh.q1b.pk))
    expect(page.locator("[data-place-name]")).to_have_text("李四")
    page.fill("#id_notes", "第二户")
    save_visit(page)
    expect(page.locator(OUTBOX)).to_have_attribute("data-waiting", "2")
    check_layout(page, "phone-visit-form-no-service-worker-offline")
    assert visits_of(grid1) == []

    page.context.set_offline(False)
    expect(page.locator(OUTBOX)).to_have_attribute("data-waiting", "0", timeout=30_000)
    assert [(v.household, v.notes) for v in visits_of(grid1)] == [(hh.q1, "第一户"), (hh.q1b, "第二户")]


def test_visit_pages_at_a_desk(open_page, world_target):
    world = world_target.world
    page = open_page(DESKTOP, world_target.cadre)
    page.goto("/visits/")
    expect(page.locator("[data-todo-list] [data-household]")).to_have_count(3)
    check_layout(page, "desktop-visits-todo-cadre")
    page.goto(f"/visits/new/?household={world.households.q2.pk}")
    expect(page.locator("[data-place-name]")).to_have_text("王五")
    check_layout(page, "desktop-visit-form")
    page.goto(f"/visits/new/?grid={world.q1.pk}")
    page.locator("#id_method_2").check()  # walked the courtyard
    expect(page.locator("#id_courtyard")).to_be_visible()
    check_layout(page, "desktop-visit-form-courtyard-walk")
    page.goto("/visits/log/")
    check_layout(page, "desktop-visits-log")

    # The English words are longer: the form still fits a phone.
    phone = open_page(PHONE, world_target.grid1, phone=True)
    phone.goto(f"/visits/new/?household={world.households.q1.pk}")
    with phone.expect_navigation():
        phone.locator(".lang-form button").click()
    expect(phone.locator("html")).to_have_attribute("lang", "en")
    check_layout(phone, "phone-visit-form-en")
    phone.goto("/visits/")
    check_layout(phone, "phone-visits-todo-en")


def test_visits_wait_for_their_author_when_another_account_logs_in(phone, world_target):
    world = world_target.world
    page = phone()
    page.goto(f"/visits/new/?household={world.households.q1.pk}")

    # Someone else logs in on the same phone, in another tab, while this form is open.
    other = page.context.new_page()
    other.goto("/visits/")
    wait_for_service_worker(other)
    with other.expect_navigation():
        other.locator(".logout-form button").click()
    # Logging out forgets the pages kept for offline use; the waiting visits are not touched.
    assert not other.evaluate("() => caches.has('cunzhi-visits-pages')")
    other.goto("/accounts/login/")
    other.fill("#id_username", world_target.grid2)
    other.fill("#id_password", PASSWORD)
    other.click("main button[type=submit]")
    other.wait_for_url(lambda url: "/accounts/login/" not in url)

    page.fill("#id_notes", "网格员一的走访。")
    save_visit(page)
    outbox = page.locator(OUTBOX)
    expect(outbox).to_have_attribute("data-state", "other-session")
    expect(outbox).to_have_attribute("data-waiting", "1")
    assert not Visit.objects.exists()

    # The other account's pages neither send it nor show its details, only that it waits.
    other.goto("/visits/")
    expect(other.locator(OUTBOX)).to_have_attribute("data-waiting", "0")
    expect(other.locator(f"{OUTBOX} [data-outbox-summary]")).to_contain_text("1")
    expect(other.locator(f"{OUTBOX} .outbox-item")).to_have_count(0)
    assert not Visit.objects.exists()


def test_a_photo_taken_offline_is_made_smaller_and_arrives_once_with_its_visit(phone, world_target, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    q1, grid1 = world_target.world.households.q1, world_target.world.users.grid1
    page = phone()
    page.goto("/visits/")
    wait_for_service_worker(page)
    page.goto(f"/visits/new/?household={q1.pk}")

    page.context.set_offline(True)
    picture = io.BytesIO()
    Image.new("RGB", (3000, 2000), (90, 140, 60)).save(picture, format="PNG")
    page.set_input_files(
        "#id_photos", files=[{"name": "屋顶.png", "mimeType": "image/png", "buffer": picture.getvalue()}]
    )
    page.fill("#id_notes", "屋顶漏雨，拍了照片。")
    save_visit(page)
    page.wait_for_url("**/visits/")
    expect(page.locator(OUTBOX)).to_have_attribute("data-waiting", "1")

    page.context.set_offline(False)
    expect(page.locator(OUTBOX)).to_have_attribute("data-waiting", "0", timeout=30_000)
    (visit,) = visits_of(grid1)
    (photo,) = visit.photos.all()
    assert (photo.width, photo.height) == (1600, 1067)  # made smaller on the phone, before sending
    page.reload()
    expect(page.locator(OUTBOX)).to_have_attribute("data-waiting", "0")
    assert visit.photos.count() == 1
    page.goto(f"/visits/{visit.pk}/")
    expect(page.locator(".photo-list img")).to_have_count(1)
    check_layout(page, "phone-visit-detail-photo")


def test_an_official_reading_the_log_gets_no_service_worker_and_no_refusals(phone, world_target):
    """The worker warms up the form and the to-visit list, both 403 for a township official: it
    is installed only for the roles that log visits, and one left on the phone by a grid
    worker is removed when an official opens the log."""
    page = phone()
    page.goto("/visits/")
    wait_for_service_worker(page)
    with page.expect_navigation():
        page.locator(".logout-form button").click()
    page.goto("/accounts/login/")
    page.fill("#id_username", world_target.official)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)

    refused = []
    page.context.on("response", lambda r: refused.append(r.url) if r.status == 403 else None)
    page.goto("/visits/log/")
    expect(page.locator("h1")).to_be_visible()
    page.wait_for_function("""async () => !(await navigator.serviceWorker.getRegistration("/visits/"))""", polling=200)
    page.reload()
    page.wait_for_timeout(1_000)  # what a worker would fetch on its own after the page opened
    assert page.evaluate("""async () => !(await navigator.serviceWorker.getRegistration("/visits/"))""")
    assert refused == []
