"""A Redis cache that falls back to the process's own memory while Redis is unreachable.

The cache holds login and throttle counters. Shared across worker processes through Redis
they hold; a Redis outage must still never take a login or a page down, so every call that
fails to reach Redis is answered by a local in-memory cache instead (counters then hold per
process until Redis is back), and Redis is not tried again for a few seconds, so that each
request does not wait for a connection timeout.
"""

import logging
import time

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 10.0

# The calls that reach Redis; the base class builds the others (get_or_set, decr, ...) on these.
REDIS_CALLS = ("add", "get", "set", "touch", "delete", "get_many", "has_key", "incr", "set_many", "delete_many")


def _redis_or_local(name):
    def call(self, *args, **kwargs):
        return self._call(name, *args, **kwargs)

    call.__name__, call.__qualname__ = name, f"FallbackRedisCache.{name}"
    return call


class FallbackRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._local = LocMemCache(f"redis-fallback-{id(self)}", params)
        self._down_until = 0.0

    def _call(self, name, *args, **kwargs):
        if time.monotonic() >= self._down_until:
            try:
                if name == "_clear_prefix":
                    return self._clear_prefix()
                return getattr(super(), name)(*args, **kwargs)
            except RedisError as error:
                self._down_until = time.monotonic() + RETRY_AFTER_SECONDS
                logger.warning("Redis cache unreachable (%s); using the local cache for a while.", error)
        return getattr(self._local, "clear" if name == "_clear_prefix" else name)(*args, **kwargs)

    def clear(self):
        return self._call("_clear_prefix")

    def _clear_prefix(self):
        # Only this cache's keys: the Redis database may also hold Celery's queues.
        if not self.key_prefix:
            return super().clear()
        client = self._cache.get_client(None, write=True)
        for key in client.scan_iter(match=f"{self.key_prefix}:*", count=500):
            client.delete(key)
        return True


for _name in REDIS_CALLS:
    setattr(FallbackRedisCache, _name, _redis_or_local(_name))
