"""Browser tests: Debian's Chromium driven by Playwright against the live server.

They run against pytest-django's live_server and the `world` fixture. Set
CUNZHI_BROWSER_BASE_URL (e.g. http://127.0.0.1:8000 after `make run`) to drive a running
demo instead, with the seed_demo accounts (qixing_grid1, qixing_grid2, qixing_cadre).
"""

import os
from pathlib import Path
from types import SimpleNamespace

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.demo_snapshot import load_demo

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run
# inside one unless told it is safe (the test, not a coroutine, owns the connection).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1366, "height": 900}
PASSWORD = os.environ.get("CUNZHI_BROWSER_PASSWORD", "demo12345")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM):
        reason = f"{CHROMIUM} is missing: apt-get install -y --no-install-recommends chromium fonts-noto-cjk"
        print(f"\nSKIP browser tests: {reason}")
        pytest.skip(reason)
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture
def target(live_server, world):
    """Where the pages are and who logs in: the live server with `world`, or a running demo."""
    external = os.environ.get("CUNZHI_BROWSER_BASE_URL")
    if external:
        return SimpleNamespace(
            base_url=external.rstrip("/"),
            grid1="qixing_grid1",
            grid2="qixing_grid2",
            cadre="qixing_cadre",
            official="weituo_official",
            world=None,
        )
    return SimpleNamespace(
        base_url=live_server.url,
        grid1=world.users.grid1.username,
        grid2=world.users.grid2.username,
        cadre=world.users.cadre.username,
        official=world.users.official.username,
        world=world,
    )


class _Opener:
    """open_as(viewport, username, phone=) -> a logged-in page in its own browser context;
    close() closes every context it opened."""

    def __init__(self, browser, base_url: str, timeout: int):
        self.browser, self.base_url, self.timeout, self.contexts = browser, base_url, timeout, []

    def __call__(self, viewport, username, *, phone=False):
        context = self.browser.new_context(
            viewport=viewport,
            device_scale_factor=2 if phone else 1,
            is_mobile=phone,
            has_touch=phone,
            locale="zh-CN",
            base_url=self.base_url,
        )
        context.set_default_timeout(self.timeout)
        self.contexts.append(context)
        page = context.new_page()
        page.goto("/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def open_page(browser, target):
    """open_page(viewport, username) -> a logged-in Playwright page in its own context."""
    opener = _Opener(browser, target.base_url, 10_000)
    yield opener
    opener.close()


@pytest.fixture
def demo_site(live_server, transactional_db, browser):
    """The live server on the seeded demo (seed_demo), and open_as(viewport, username, phone=)
    for its own accounts (qixing_grid1, qixing_cadre, qixing_clerk ...), like open_page."""
    load_demo()
    opener = _Opener(browser, live_server.url, 15_000)
    yield opener
    opener.close()


def screenshot(page, name: str) -> Path:
    """The whole page as test-artifacts/<name>.png. Chromium now and then refuses a capture
    under load ("Unable to capture screenshot", CI of session 21, a page it had just laid
    out): it is asked once more before the test fails."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    try:
        page.screenshot(path=str(path), full_page=True)
    except PlaywrightError as error:
        if "Unable to capture screenshot" not in str(error):
            raise
        page.wait_for_timeout(500)
        page.screenshot(path=str(path), full_page=True)
    return path


LAYOUT_PROBLEMS = """
() => {
  const problems = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > window.innerWidth + 1) {
    problems.push(`page is ${doc.scrollWidth}px wide in a ${window.innerWidth}px window`);
  }
  const body = parseFloat(getComputedStyle(document.body).fontSize);
  if (body < 16) problems.push(`body text is ${body}px`);
  const targets = document.querySelectorAll(
    'main a.button, main button, main table a, .breadcrumbs a, .site-nav a, .site-header button, '
    + 'main input:not([type=hidden]):not([type=checkbox]):not([type=radio]), main select, .choices label'
  );
  for (const el of targets) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;  // not shown
    const label = (el.textContent || el.name || '').trim();
    if (box.height < 44) problems.push(`${el.tagName} "${label}" is ${box.height}px tall`);
  }
  // Checkboxes and radios are at least 24 px, in a label that is a 44 px tap row.
  for (const el of document.querySelectorAll('main input[type=checkbox], main input[type=radio]')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;  // not shown
    if (box.width < 24 || box.height < 24) problems.push(`${el.type} "${el.name}" is ${box.width}x${box.height}px`);
    const label = el.closest('label');
    if (label && label.getBoundingClientRect().height < 44) {
      problems.push(`the label of ${el.type} "${el.name}" is ${label.getBoundingClientRect().height}px tall`);
    }
  }
  // The header's items stay on one line each (a long user name is cut short instead).
  for (const el of document.querySelectorAll('.site-header .bar > *')) {
    if (el.getBoundingClientRect().height > 56) problems.push(`header item ${el.className} wraps`);
  }
  // Nothing may reach into main's side padding (tables scroll inside their own box).
  const main = document.querySelector('main');
  const limit = main.getBoundingClientRect().right - parseFloat(getComputedStyle(main).paddingRight);
  for (const el of main.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.width && box.right > limit + 1 && !el.closest('.table-wrap')) {
      problems.push(`${el.tagName}.${el.className} sticks out to ${Math.round(box.right)}px (limit ${limit}px)`);
      break;
    }
  }
  return problems;
}
"""


def layout_problems(page) -> list[str]:
    """Overflow, small text and small touch targets on the page as rendered."""
    return page.evaluate(LAYOUT_PROBLEMS)


def check_layout(page, name: str | None) -> None:
    """The page, loaded, fits the screen (layout_problems); with a name it is also kept as a
    screenshot (test-artifacts/<name>.png) to look at."""
    page.wait_for_load_state()
    assert layout_problems(page) == [], name
    if name:
        screenshot(page, name)


def send(page, button) -> None:
    """Press a form's button and land on the page it leads to."""
    with page.expect_navigation():
        button.click()


def send_ok(page, button) -> None:
    """Press a form's button and land on the next page with a success message."""
    send(page, button)
    expect(page.locator(".message.success")).to_be_visible()
