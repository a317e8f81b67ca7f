"""The per-grant, per-minute limit: in process memory and in Redis (127.0.0.1:6379)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
import redis
from sharing_fixtures import REAL_COUNTER, MakeWorld
from sqlalchemy.orm import Session

from citybrain.analytics.hub import HubStore, open_hub
from citybrain.core.clock import frozen
from citybrain.core.config import get_settings
from citybrain.datahub.sharing import delivery, ratelimit, service
from citybrain.datahub.sharing.config import get_sharing_settings
from citybrain.datahub.sharing.ratelimit import MemoryCounter, RateLimited, RedisCounter

REDIS_URL = "redis://127.0.0.1:6379/0"


def _hub() -> HubStore:
    """The hub the sharing world was loaded into (the process settings')."""
    return open_hub(get_settings())


def _redis_reachable() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


def _limit_flow(session: Session, make_world: MakeWorld) -> None:
    start = datetime(2026, 5, 4, 1, 0, 0, tzinfo=UTC)
    with frozen(start) as clock:
        world = make_world("unconditional")
        outcome = service.request_share(session, **world.ask())
        assert outcome.grant is not None
        assert outcome.token is not None
        outcome.grant.rate_limit_per_minute = 2
        session.flush()
        for _ in range(2):
            delivery.deliver_rows(session, store=_hub(), token=outcome.token)
        clock.advance(seconds=59)
        with pytest.raises(RateLimited) as limited:
            delivery.deliver_rows(session, store=_hub(), token=outcome.token)
        assert limited.value.code == "rate_limited"
        assert limited.value.status_code == 429
        assert limited.value.detail == {"limit_per_minute": 2, "retry_after_seconds": 1}
        clock.advance(seconds=1)  # a new window
        assert delivery.deliver_rows(session, store=_hub(), token=outcome.token).total == 3


def test_limit_in_process_memory(session: Session, make_world: MakeWorld) -> None:
    _limit_flow(session, make_world)


def test_limit_in_redis(
    session: Session, make_world: MakeWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not _redis_reachable():
        pytest.skip("Redis 127.0.0.1:6379 unreachable")
    counter = RedisCounter(REDIS_URL, namespace=f"test:{uuid.uuid4().hex}:")
    monkeypatch.setattr(ratelimit, "counter", lambda: counter)
    _limit_flow(session, make_world)


def test_redis_is_chosen_when_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CITYBRAIN_REDIS_URL", REDIS_URL)
    get_sharing_settings.cache_clear()
    try:
        assert isinstance(REAL_COUNTER(), RedisCounter)
        monkeypatch.delenv("CITYBRAIN_REDIS_URL")
        get_sharing_settings.cache_clear()
        assert isinstance(REAL_COUNTER(), MemoryCounter)
    finally:
        get_sharing_settings.cache_clear()


def test_unreachable_redis_falls_back_to_memory() -> None:
    counter = RedisCounter("redis://127.0.0.1:1/0", timeout=0.2)
    assert [counter.hit("k:000000000001") for _ in range(3)] == [1, 2, 3]


def test_memory_counter_forgets_old_windows() -> None:
    counter = MemoryCounter()
    assert counter.hit(ratelimit.window_key(7, 100)) == 1
    assert counter.hit(ratelimit.window_key(7, 100)) == 2
    assert counter.hit(ratelimit.window_key(7, 101)) == 1
    assert ratelimit.window_key(7, 100) not in counter._counts
