"""Every role's main pages under the site's Content-Security-Policy, in Chromium: no
violation, no console error, no inline script, no inline handler and no inline style."""

import re
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import DESKTOP, PASSWORD, PHONE

pytestmark = pytest.mark.browser

WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile || ""}:${e.lineNumber || ""}`);
});
"""

INLINE = """
() => {
  const found = [];
  for (const s of document.querySelectorAll("script:not([src])")) {
    const type = (s.type || "").toLowerCase();
    if (!type || type.includes("javascript") || type === "module") found.push("inline <script>");
  }
  for (const el of document.querySelectorAll("*")) {
    for (const a of el.attributes) {
      if (a.name.startsWith("on")) found.push(`${el.tagName} ${a.name}=`);
    }
    // A chart's own elements get their size from ECharts through the CSSOM (el.style), which
    // the policy allows; the templates themselves carry no style attribute.
    if (el.hasAttribute("style") && el.closest("body") && !el.closest(".chart")) found.push(`${el.tagName} style=`);
  }
  if (document.querySelector("style")) found.push("<style> element");
  return found;
}
"""

DETAIL = re.compile(r"^/(matters|households|points/accounts|points/entries|points/boards|visits)/\d+/$")


def _watch(context, problems):
    context.add_init_script(WATCH)

    def on_console(message):
        if message.type == "error":
            problems.append(f"console: {message.text}")

    return on_console


# Loaded, and no htmx request in flight (a fragment fetched on load is checked with its page).
# Not "networkidle": that waits half a second after the last request, on every page.
SETTLED = "() => document.readyState === 'complete' && !document.querySelector('.htmx-request')"


def _check(page, url, problems):
    page.goto(url)
    page.wait_for_function(SETTLED)
    where = urlsplit(page.url).path
    for violation in page.evaluate("window.__csp || []"):
        problems.append(f"{where}: CSP {violation}")
    for inline in page.evaluate(INLINE):
        problems.append(f"{where}: {inline}")


def _pages_of(page) -> list[str]:
    """The navigation's pages, and the first detail page linked from each."""
    return page.eval_on_selector_all(".site-nav a", "links => links.map(a => a.getAttribute('href'))")


def _first_details(page) -> list[str]:
    hrefs = page.eval_on_selector_all("main a[href]", "links => links.map(a => a.getAttribute('href'))")
    seen, details = set(), []
    for href in hrefs:
        match = DETAIL.match(href or "")
        if match and match.group(1) not in seen:
            seen.add(match.group(1))
            details.append(href)
    return details


def _tour(page, extra, problems):
    page.on("console", _watch(page.context, problems))
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    visited = set()
    queue = ["/", *_pages_of(page), *extra]
    for url in queue:
        if url in visited or url.startswith("/admin/"):
            continue
        visited.add(url)
        _check(page, url, problems)
        queue.extend(detail for detail in _first_details(page) if detail not in visited)
    return visited


ROLES = [
    ("qixing_grid1", PHONE, ["/visits/new/", "/visits/log/", "/matters/new/", "/points/entries/new/"]),
    ("qixing_cadre", DESKTOP, ["/visits/compliance/", "/matters/", "/points/boards/", "/points/rules/"]),
    ("weituo_official", DESKTOP, ["/matters/", "/households/"]),
    ("weituo_sifasuo", DESKTOP, ["/matters/"]),
    ("qixing_clerk", PHONE, ["/points/shop/", "/points/items/"]),
    ("qixing_supervisor", PHONE, ["/matters/", "/matters/waiting/"]),
]


@pytest.mark.parametrize(("username", "viewport", "extra"), ROLES, ids=[role[0] for role in ROLES])
def test_every_roles_main_pages_keep_to_the_content_security_policy(demo_site, username, viewport, extra):
    """One role per test, so that parallel workers share the roles out."""
    problems: list[str] = []
    page = demo_site(viewport, username, phone=viewport is PHONE)
    toured = _tour(page, extra, problems)
    assert len(toured) >= 4, toured
    assert problems == [], "\n".join(problems)


def test_signed_out_pages_keep_to_the_content_security_policy(demo_site, browser, live_server):
    problems: list[str] = []
    # Signed out: the login page (with its CAPTCHA-free form), the public board and its pages.
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    page = context.new_page()
    page.on("console", _watch(context, problems))
    for url in ["/accounts/login/", "/public/", "/public/matters/demo-jinshan-road/"]:
        _check(page, url, problems)
    village = page.goto("/public/").url and page.eval_on_selector(
        "main a[href$='/new/']", "a => a.getAttribute('href')"
    )
    _check(page, village, problems)
    _check(page, village.replace("/new/", "/poster/"), problems)
    # A failed login re-renders the form under the same policy.
    page.goto("/accounts/login/")
    page.fill("#id_username", "qixing_grid1")
    page.fill("#id_password", PASSWORD + "-wrong")
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    page.wait_for_function(SETTLED)
    problems.extend(f"login: CSP {v}" for v in page.evaluate("window.__csp || []"))
    context.close()

    assert problems == [], "\n".join(problems)
