"""The first load of each visit page stays under 200 KB on the wire: a grid worker opening it
on a phone with an empty cache, on the seeded demo as qixing_grid1. Counted: every response
the browser receives for it, as DevTools counts them (encoded body and headers): the page's
own (document, styles, scripts, images, API calls) and its service worker's (installing the
worker, its copy of the static files, the pages and list it keeps for offline use).

Bytes, not time: the figure does not depend on how loaded the machine is.
"""

import pytest

from tests.browser.conftest import PHONE
from tests.browser.test_visits import wait_for_service_worker

pytestmark = pytest.mark.browser

FIRST_LOAD_LIMIT = 200 * 1024
VISIT_PAGES = ("/visits/", "/visits/new/", "/visits/log/")


def first_load(page, url: str) -> tuple[int, list[tuple[str, int]]]:
    """The bytes received for opening `url` with an empty cache (until its worker has kept
    the pages for offline use and the network is quiet), and per response."""
    received = []

    def finished(request):
        sizes = request.sizes()
        size = max(sizes["responseBodySize"], 0) + max(sizes["responseHeadersSize"], 0)
        worker = " (worker)" if request.service_worker else ""
        received.append((request.url.split("/", 3)[-1] + worker, size))

    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.clearBrowserCache")  # the login page's styles and scripts
    cdp.detach()
    page.context.on("requestfinished", finished)
    page.goto(url, wait_until="networkidle")
    wait_for_service_worker(page)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(1_000)
    page.context.remove_listener("requestfinished", finished)
    return sum(size for _, size in received), received


def test_each_visit_page_loads_under_200_kb_the_first_time(demo_site):
    report = {}
    for url in VISIT_PAGES:
        # Each page in a new browser: no cache, and no worker installed by another page.
        page = demo_site(PHONE, "qixing_grid1", phone=True)
        total, received = first_load(page, url)
        report[url] = total
        print(f"\n{url}: {total} bytes", *(f"\n  {size:>7} {address}" for address, size in received))
    assert {url: total for url, total in report.items() if total >= FIRST_LOAD_LIMIT} == {}, report
