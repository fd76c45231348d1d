"""Every public page of the demo, reached without logging in, names no resident and shows no phone
or ID number: the board of each village and every page it links to, the points pages, and each
matter's page by its tracking code."""

import re
from collections import deque
from html import unescape
from urllib.parse import urldefrag, urlparse

from django.conf import settings

from grids.models import Resident
from petitions.models import Matter

PHONE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
ID_NUMBER = re.compile(r"(?<![0-9])[1-9][0-9]{16}[0-9Xx](?![0-9])")
LINK = re.compile(r'href="([^"]+)"')
MAX_PAGES = 400


def _text(html: str) -> str:
    """What a reader sees (and what a crawler reads): the page without its tags, scripts and styles."""
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return unescape(re.sub(r"<[^>]+>", " ", html))


def _public_links(html: str):
    for href in LINK.findall(html):
        url, _fragment = urldefrag(unescape(href))
        parsed = urlparse(url)
        if parsed.netloc and parsed.netloc not in ("testserver", "127.0.0.1"):
            continue
        path = parsed.path
        if path.startswith("/public/") and not path.endswith((".xlsx", ".jpg", ".png", ".svg")):
            yield path + (f"?{parsed.query}" if parsed.query else "")


def test_no_public_page_of_the_demo_names_a_resident_or_shows_a_phone_or_id_number(demo, client):
    names = {name for name in Resident.objects.values_list("name", flat=True) if len(name) >= 2}
    names_pattern = re.compile("|".join(re.escape(name) for name in sorted(names, key=len, reverse=True)))
    codes = list(Matter.objects.values_list("tracking_code", flat=True))
    queue = deque(["/public/", *(f"/public/matters/{code}/" for code in codes)])
    seen, problems = set(), []
    for language in (settings.LANGUAGE_CODE, "en"):
        client.cookies["django_language"] = language
        queue.extend(["/public/"])
        seen_in_language = set()
        while queue and len(seen) < MAX_PAGES:
            path = queue.popleft()
            if (language, path) in seen_in_language:
                continue
            seen_in_language.add((language, path))
            seen.add(path)
            response = client.get(path)
            assert response.status_code in (200, 302, 404), (path, response.status_code)
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            html = response.content.decode()
            text = _text(html)
            for pattern, what in ((PHONE, "phone"), (ID_NUMBER, "ID number"), (names_pattern, "name")):
                found = pattern.search(text)
                if found:
                    problems.append((path, what, found.group(0)))
            queue.extend(link for link in _public_links(html) if (language, link) not in seen_in_language)
    assert not problems, problems[:10]
    boards = {path for path in seen if re.fullmatch(r"/public/[0-9]+/", path)}
    assert len(boards) >= 5  # every demo village's board was read
    assert any(path.startswith("/public/points/") for path in seen)
