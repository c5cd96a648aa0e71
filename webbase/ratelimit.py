"""In-memory sliding-window rate limits (logins, sign-ups, token redemption).

``RateLimiter.hit(key)`` either records the attempt or raises 429 ``rate_limited`` with a
``Retry-After`` header. By default state lives in this process (memory is bounded: idle keys are
dropped, and past ``max_keys`` the least recently used key is forgotten). Given a ``HitStore``
(``webbase.pg.PgHitStore``), the counts live in the shared database instead, so several processes
behind a load balancer enforce one limit; the store is then timed by the wall clock, which processes share.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Protocol

from aiohttp import web

from webbase.problems import Problem


class HitStore(Protocol):
    """Shared counts for a limiter (one per database, used by every process)."""

    def record_hit(self, key: str, *, now: float, window: float, limit: int) -> float | None:
        """Atomically drop ``key``'s hits older than ``now - window``; if fewer than ``limit`` remain,
        record one at ``now`` and return None, else return the oldest remaining hit's time."""
        ...

    def forget(self, key: str) -> None: ...


def _too_many(retry_after: int) -> Problem:
    return Problem(429, f"Too many attempts; try again in {retry_after} seconds.", code="rate_limited",
                   extra={"retryAfter": retry_after}, headers={"Retry-After": str(retry_after)})


class RateLimiter:
    """At most ``limit`` hits per key in any ``window_seconds``."""

    def __init__(self, limit: int, window_seconds: float, *, max_keys: int = 100_000,
                 clock: Callable[[], float] | None = None, store: HitStore | None = None,
                 scope: str = "") -> None:
        if limit < 1 or window_seconds <= 0:
            raise ValueError("a rate limit needs limit >= 1 and a positive window")
        self.limit = limit
        self.window = window_seconds
        self.max_keys = max_keys
        self.store = store
        self.scope = scope  # keeps two limiters' keys apart in one shared store
        self._clock = clock or (time.time if store is not None else time.monotonic)
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()

    def hit(self, key: str) -> None:
        """Count one attempt for ``key``; raise a 429 Problem when the window is already full."""
        now = self._clock()
        if self.store is not None:
            oldest = self.store.record_hit(f"{self.scope}|{key}", now=now, window=self.window, limit=self.limit)
            if oldest is not None:
                raise _too_many(max(1, math.ceil(oldest + self.window - now)))
            return
        hits = self._hits.get(key)
        if hits is None:
            hits = self._hits[key] = deque()
        self._hits.move_to_end(key)
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            raise _too_many(max(1, math.ceil(hits[0] + self.window - now)))
        hits.append(now)
        while len(self._hits) > self.max_keys:
            self._hits.popitem(last=False)

    def reset(self, key: str) -> None:
        """Forget ``key`` (for example after a successful login)."""
        if self.store is not None:
            self.store.forget(f"{self.scope}|{key}")
        self._hits.pop(key, None)


def client_key(request: web.Request, *, scope: str = "") -> str:
    """A limiter key for the client's address (behind a proxy, servers pass their own key instead)."""
    return f"{scope}:{request.remote or 'unknown'}"
