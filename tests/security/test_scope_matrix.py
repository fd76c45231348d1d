"""Keep it closed: the scope matrix (tests/scope_matrix.py) over the seeded demo.

Every API endpoint and page with an object id, as every demo account and anonymous: an
object out of the account's scope is never a 2xx; a list returns only ids in scope; a page
links only to objects in scope; unsafe methods on an out-of-scope object are refused and
change nothing. CUNZHI_SCOPE_FULL=1 (make fuzz) probes every object instead of a sample.
"""

import hashlib
import time

import pytest
from django.apps import apps
from django.core.cache import cache
from django.test import Client

from tests import scope_matrix as sm

MIN_PROBES = 5000
# The accounts are shared out among this many tests, so that parallel workers run them side
# by side; together they probe every account, as one test would.
SHARDS = 4
REFUSED = {401, 403, 404, 405}
PAGE_REFUSED = REFUSED | {302}
UNSAFE = ("post", "put", "patch", "delete")


def _client(user):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _label(user):
    return user.username if user is not None else "anonymous"


def test_every_id_route_names_its_model():
    """A new page with an object id must be added to PAGE_MODELS (and so to the matrix)."""
    found, unmapped = sm.routes()
    assert unmapped == []
    assert len([r for r in found if not r.list_]) >= 40


@pytest.mark.parametrize("shard", range(SHARDS))
def test_scope_matrix_reads(demo, shard):
    started = time.monotonic()
    found, _ = sm.routes()
    leaks, errors, probes = [], [], 0
    for user in sm.demo_accounts()[shard::SHARDS]:
        oracle = sm.Oracle(user)
        client = _client(user)
        label = _label(user)
        for route in found:
            cache.clear()  # throttle counters
            allowed = oracle.allowed_ids(route.model)
            if route.list_:
                probes += _check_list(client, route, allowed, label, leaks, errors)
                continue
            every = set(route.model.objects.values_list("pk", flat=True))
            rng = sm.rng_for(label, route.path)
            outside = every if allowed is None else every - allowed
            outside = set() if allowed is None else outside
            inside = every if allowed is None else every & allowed
            picks = [(pk, False) for pk in sm.sample(outside, sm.PER_ROUTE, rng)]
            picks += [(pk, True) for pk in sm.sample(inside, sm.IN_SCOPE_PER_ROUTE, rng)]
            for pk, in_scope in picks:
                url = route.path.format(pk=pk)
                response = client.get(url)
                probes += 1
                status = response.status_code
                if status >= 500:
                    errors.append(f"{label} GET {url}: {status}")
                elif not in_scope and status not in (REFUSED if route.api else PAGE_REFUSED):
                    leaks.append(f"{label} GET {url}: {status} ({route.model.__name__} {pk} out of scope)")
                elif status == 200 and not route.api and "html" in response.get("Content-Type", ""):
                    _check_links(response, oracle, label, url, leaks)
    elapsed = time.monotonic() - started
    print(f"\nscope matrix: {probes} GET probes, {len(leaks)} leaks, {len(errors)} 5xx, {elapsed:.1f}s")
    assert leaks == [], "\n".join(leaks[:50])
    assert errors == [], "\n".join(errors[:50])
    assert probes >= (MIN_PROBES // SHARDS if not sm.FULL else 0)


def _check_list(client, route, allowed, label, leaks, errors) -> int:
    url, pages, probes = f"{route.path}?page_size=200", 0, 0
    while url and (sm.FULL or pages < 3):
        response = client.get(url)
        probes += 1
        pages += 1
        if response.status_code >= 500:
            errors.append(f"{label} GET {url}: {response.status_code}")
            return probes
        if response.status_code != 200:
            return probes
        body = response.json()
        rows = body.get("results", body) if isinstance(body, dict) else body
        if not isinstance(rows, list):
            return probes
        ids = {row["id"] for row in rows if isinstance(row, dict) and "id" in row}
        if allowed is not None and ids - allowed:
            extra = sorted(ids - allowed)[:10]
            leaks.append(f"{label} GET {url}: {route.model.__name__} ids out of scope {extra}")
        url = body.get("next") if isinstance(body, dict) else None
    return probes


def _check_links(response, oracle, label, url, leaks):
    html = response.content.decode()
    for pattern, model in sm.PAGE_LINKS:
        allowed = oracle.allowed_ids(model)
        if allowed is None:
            continue
        linked = {int(pk) for pk in pattern.findall(html)}
        if linked - allowed:
            leaks.append(f"{label} GET {url}: links to {model.__name__} {sorted(linked - allowed)[:10]} out of scope")


def _fingerprint() -> str:
    """A digest of every row of the project's own tables."""
    digest = hashlib.sha256()
    for app in ("governance", "grids", "petitions", "points"):
        for model in apps.get_app_config(app).get_models():
            for row in model.objects.order_by("pk").values_list():
                digest.update(repr(row).encode())
    return digest.hexdigest()


@pytest.mark.parametrize("shard", range(SHARDS))
def test_scope_matrix_unsafe_methods(demo, shard):
    found, _ = sm.routes()
    before = _fingerprint()
    bad, probes = [], 0
    for user in sm.demo_accounts()[shard::SHARDS]:
        if user is not None and user.is_superuser:
            continue
        oracle = sm.Oracle(user)
        client = _client(user)
        label = _label(user)
        for route in found:
            if route.list_:
                continue
            cache.clear()
            allowed = oracle.allowed_ids(route.model)
            if allowed is None:
                continue
            outside = set(route.model.objects.values_list("pk", flat=True)) - allowed
            for pk in sm.sample(outside, sm.UNSAFE_PER_ROUTE, sm.rng_for("unsafe", label, route.path)):
                url = route.path.format(pk=pk)
                for method in UNSAFE if route.api else ("post",):
                    kwargs = {"data": {}, "content_type": "application/json"} if route.api else {"data": {}}
                    status = getattr(client, method)(url, **kwargs).status_code
                    probes += 1
                    if status not in (REFUSED if route.api else PAGE_REFUSED):
                        bad.append(f"{label} {method.upper()} {url}: {status} ({route.model.__name__} {pk})")
    print(f"\nscope matrix: {probes} unsafe probes, {len(bad)} not refused")
    assert bad == [], "\n".join(bad[:50])
    assert _fingerprint() == before, "an unsafe request on an out-of-scope object changed the database"
