"""Generations: counters in the cache that say "what this was computed from has changed".

A cached figure's key holds the generations of what it was computed from (the matters of a
township, the visits of a village, ...); a write bumps the generations it touches, so the next
reader's key is new and it computes afresh. A bump happens at once (for the transaction's own
later reads) and again when the transaction commits: a reader elsewhere that took the new
generation before the commit, and so cached what it saw then, is passed by. A generation lost
with Redis reads as 0 again: the TTL of what is cached bounds what could then be stale.
"""

import hashlib

from django.core.cache import cache
from django.db import transaction


def _incr(keys: set[str]) -> None:
    for key in keys:
        cache.add(key, 0, timeout=None)
        try:
            cache.incr(key)
        except ValueError:  # evicted between the two calls
            cache.set(key, 1, timeout=None)


def bump(*names: str) -> None:
    """What the named generations count has changed (names like "matters:t3"), now and on commit."""
    keys = {f"gen:{name}" for name in names if name}
    if keys:
        _incr(keys)
        transaction.on_commit(lambda: _incr(keys))


def stamp(names, *parts) -> str:
    """A short digest of the named generations as they are now and of `parts` (a scope, a
    language, a minute): the tail of a cache key."""
    names = list(names)
    generations = cache.get_many([f"gen:{name}" for name in names])
    values = [generations.get(f"gen:{name}", 0) for name in names]
    return hashlib.sha256(repr((names, values, parts)).encode()).hexdigest()[:32]


def cached(prefix: str, names, parts, compute, *, timeout: int):
    """`compute()`, kept under `prefix` and the stamp of `names` and `parts` for `timeout` seconds."""
    key = f"{prefix}:{stamp(names, *parts)}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout=timeout)
    return value
