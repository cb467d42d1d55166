"""One request budget per integration key, shared by every web process.

The budget is a fixed window counted in the cache, one counter per key and window. On
Redis each request increments it with one atomic INCR, so however many workers serve a
key they draw on one budget, and a request costs the same at any rate (DRF's default
keeps a list of every request in the window and rewrites it each time). A fixed window
lets a key send up to twice its rate across a boundary; for a budget that stops a
runaway integration, that is a fair price for one counter.
"""

import logging

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError
from rest_framework.throttling import SimpleRateThrottle

from appeals.models import Integration

logger = logging.getLogger(__name__)

DEFAULT_RATE = "1200/minute"
CACHE_ERRORS = (RedisError, OSError)


class IntegrationRateThrottle(SimpleRateThrottle):
    scope = "integration"

    def get_rate(self):
        # Read at request time rather than import time so a changed setting applies.
        rates = settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {})
        return rates.get(self.scope, DEFAULT_RATE)

    def get_cache_key(self, request, view):
        if not isinstance(request.auth, Integration):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True

        self.now = self.timer()
        window = int(self.now // self.duration)
        self.window_ends_at = (window + 1) * self.duration

        # The database is the system of record and the throttle only guards it, so a
        # cache outage must not stop intake.
        try:
            used = self.count_request(f"{key}:{window}")
        except CACHE_ERRORS as error:
            logger.warning(
                "Integration %s: request not throttled, the cache is unreachable (%s)",
                request.auth.pk,
                error.__class__.__name__,
            )
            return True

        return used <= self.num_requests

    def count_request(self, counter: str) -> int:
        # The proxy `cache` is not an instance of its backend's class; the backend is.
        backend = caches[DEFAULT_CACHE_ALIAS]
        if isinstance(backend, RedisCache):
            return self._count_on_redis(backend, counter)

        if backend.add(counter, 1, timeout=self.duration):
            return 1
        try:
            return backend.incr(counter)
        except ValueError:
            # Evicted between the two calls: this request starts the count again.
            backend.add(counter, 1, timeout=self.duration)
            return 1

    def _count_on_redis(self, backend: RedisCache, counter: str) -> int:
        # One round trip, where the cache API takes three (add, then incr, which asks
        # whether the key exists first). Every request renews the expiry; with the
        # window in the key's name, that only keeps a finished window a little longer.
        key = backend.make_and_validate_key(counter)
        client = backend._cache.get_client(key, write=True)
        with client.pipeline(transaction=False) as pipeline:
            used, _ = pipeline.incr(key).expire(key, self.duration).execute()
        return used

    def wait(self):
        return self.window_ends_at - self.now
