"""A fixed-window request counter per grant per minute, in Redis or in process memory.

Redis (``CITYBRAIN_REDIS_URL``) makes the limit hold across many web processes. When Redis is
set but unreachable, counting falls back to process memory (logged) rather than stopping all
sharing: the limit then holds per process only. Windows follow ``utcnow()`` so tests can move
the clock.
"""

from __future__ import annotations

import logging
import threading
from typing import Final, Protocol

import redis

from citybrain.core.clock import utcnow
from citybrain.core.errors import DomainError
from citybrain.datahub.sharing.config import get_sharing_settings

WINDOW_SECONDS: Final = 60
KEY_PREFIX: Final = "citybrain:sharing:rate"
log = logging.getLogger(__name__)


class RateLimited(DomainError):
    status_code = 429
    default_code = "rate_limited"


class Counter(Protocol):
    def hit(self, key: str) -> int:
        """Add one to ``key`` (kept at least two windows) and return the new count."""
        ...


class MemoryCounter:
    """Counters in a dict; windows other than the newest are dropped as time moves on."""

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> int:
        window = key.rsplit(":", 1)[-1]
        with self._lock:
            if key not in self._counts:
                stale = [k for k in self._counts if k.rsplit(":", 1)[-1] < window]
                for old in stale:
                    del self._counts[old]
            self._counts[key] = self._counts.get(key, 0) + 1
            return self._counts[key]

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()


class RedisCounter:
    """``INCR`` + ``EXPIRE`` in one round trip; the key outlives its window by one window."""

    def __init__(self, url: str, *, timeout: float = 0.5, namespace: str = "") -> None:
        self._namespace = namespace  # lets several installations (or test runs) share a Redis
        self._client = redis.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout
        )
        self._fallback = MemoryCounter()

    def hit(self, key: str) -> int:
        try:
            pipe = self._client.pipeline(transaction=True)
            pipe.incr(self._namespace + key)
            pipe.expire(self._namespace + key, 2 * WINDOW_SECONDS)
            count, _ = pipe.execute()
            return int(count)
        except redis.RedisError as exc:
            log.warning("Redis 不可用，共享限流改用进程内计数: %s", exc)
            return self._fallback.hit(key)


_counters: dict[str, Counter] = {}
_counters_lock = threading.Lock()


def counter() -> Counter:
    """The counter for the configured Redis URL (one per URL, reused)."""
    url = get_sharing_settings().redis_url
    with _counters_lock:
        if url not in _counters:
            _counters[url] = RedisCounter(url) if url else MemoryCounter()
        return _counters[url]


def window_key(grant_id: int, window: int) -> str:
    # The window number is zero-padded so that string order is time order (MemoryCounter).
    return f"{KEY_PREFIX}:{grant_id}:{window:012d}"


def check(grant_id: int, limit: int, *, using: Counter | None = None) -> int:
    """Count one use of ``grant_id`` in the current minute; the count so far is returned.

    Raises ``RateLimited`` (429, ``rate_limited``) when the count passes ``limit``; the
    ``detail`` says the limit and the seconds until the window ends.
    """
    now = utcnow().timestamp()
    window = int(now // WINDOW_SECONDS)
    count = (using or counter()).hit(window_key(grant_id, window))
    if count > limit:
        retry_after = WINDOW_SECONDS - int(now % WINDOW_SECONDS)
        raise RateLimited(
            f"调用过于频繁: 每分钟最多 {limit} 次, 请 {retry_after} 秒后再试",
            detail={"limit_per_minute": limit, "retry_after_seconds": retry_after},
        )
    return count
