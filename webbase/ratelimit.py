"""In-memory sliding-window rate limits (logins, sign-ups, token redemption).

``RateLimiter.hit(key)`` either records the attempt or raises 429 ``rate_limited`` with a
``Retry-After`` header. State lives in this process; a database-backed limiter for several processes
can replace it behind the same ``hit`` method. Memory is bounded: idle keys are dropped, and past
``max_keys`` the least recently used key is forgotten.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from aiohttp import web

from webbase.problems import Problem


class RateLimiter:
    """At most ``limit`` hits per key in any ``window_seconds``."""

    def __init__(self, limit: int, window_seconds: float, *, max_keys: int = 100_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if limit < 1 or window_seconds <= 0:
            raise ValueError("a rate limit needs limit >= 1 and a positive window")
        self.limit = limit
        self.window = window_seconds
        self.max_keys = max_keys
        self._clock = clock
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()

    def hit(self, key: str) -> None:
        """Count one attempt for ``key``; raise a 429 Problem when the window is already full."""
        now = self._clock()
        hits = self._hits.get(key)
        if hits is None:
            hits = self._hits[key] = deque()
        self._hits.move_to_end(key)
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            retry_after = max(1, math.ceil(hits[0] + self.window - now))
            raise Problem(429, f"Too many attempts; try again in {retry_after} seconds.", code="rate_limited",
                          extra={"retryAfter": retry_after}, headers={"Retry-After": str(retry_after)})
        hits.append(now)
        while len(self._hits) > self.max_keys:
            self._hits.popitem(last=False)

    def reset(self, key: str) -> None:
        """Forget ``key`` (for example after a successful login)."""
        self._hits.pop(key, None)


def client_key(request: web.Request, *, scope: str = "") -> str:
    """A limiter key for the client's address (behind a proxy, servers pass their own key instead)."""
    return f"{scope}:{request.remote or 'unknown'}"
