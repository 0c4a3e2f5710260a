"""Test results (the newest N per connection) and batch results (kept for a TTL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cts_tui.errors import NotFoundError
from cts_tui.models import BatchResult, ErrorKind, TestResult
from cts_tui.store import ConnectionStore

from .helpers import SECRET, raw_bytes


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def result(connection_id: str, n: int, success: bool = True) -> TestResult:
    return TestResult(
        connection_id=connection_id,
        success=success,
        balance=float(n),
        log=[f"[t{n}] Starting test..."],
        duration_ms=n,
        tested_at=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=n),
    )


async def test_only_the_newest_results_are_kept_per_connection(store, make_connection):
    a = await store.add(make_connection())
    b = await store.add(make_connection())
    for n in range(5):
        await store.record_test(result(a.id, n))
    await store.record_test(result(b.id, 100))
    assert store.results_kept == 3
    assert [r.duration_ms for r in await store.test_results(a.id)] == [4, 3, 2]
    assert [r.duration_ms for r in await store.test_results(a.id, limit=1)] == [4]
    assert [r.duration_ms for r in await store.test_results(b.id)] == [100]


async def test_result_round_trips(store, make_connection):
    a = await store.add(make_connection())
    failed = result(a.id, 7, success=False).model_copy(
        update={"error_kind": ErrorKind.AUTH, "error": "API key invalid", "balances": {"USDT": 1.5}}
    )
    await store.record_test(failed)
    assert await store.test_results(a.id) == [failed]


async def test_results_are_scrubbed_of_secrets(store, db_path, make_connection):
    a = await store.add(make_connection())
    secret = a.api_secret.get_secret_value()
    leaky = result(a.id, 1, success=False).model_copy(
        update={"error": f"signature for {secret} rejected", "log": [f"[t] sent secret={secret}"]}
    )
    await store.record_test(leaky)
    [kept] = await store.test_results(a.id)
    assert secret not in kept.error and secret not in kept.log[0]
    assert SECRET.encode() not in raw_bytes(db_path)


async def test_result_for_unknown_connection_is_refused(store):
    with pytest.raises(NotFoundError):
        await store.record_test(result("ghost", 1))


async def test_batch_results_expire_and_are_purged(db_path, make_connection):
    clock = Clock()
    async with await ConnectionStore.open(db_path, clock=clock) as store:
        a = await store.add(make_connection())
        short = BatchResult.of({a.id: result(a.id, 1)}, duration_ms=12)
        long = BatchResult.of({a.id: result(a.id, 2)}, duration_ms=34)
        await store.save_batch(short, ttl_s=60)
        await store.save_batch(long, ttl_s=3600)
        assert await store.get_batch(short.batch_id) == short

        clock.now += 61
        assert await store.get_batch(short.batch_id) is None  # expired reads as gone at once
        assert await store.get_batch(long.batch_id) == long
        assert await store.purge_expired() == 1
        assert await store.purge_expired() == 0

        clock.now += 3600
        another = BatchResult.of({}, duration_ms=0)
        await store.save_batch(another, ttl_s=10)  # saving purges what expired meanwhile
        assert await store.purge_expired() == 0
        assert await store.get_batch(another.batch_id) == another
        assert await store.get_batch("unknown") is None


async def test_expired_batches_are_purged_on_open(db_path):
    clock = Clock()
    async with await ConnectionStore.open(db_path, clock=clock) as store:
        await store.save_batch(BatchResult.of({}, duration_ms=0), ttl_s=5)
    clock.now += 6
    async with await ConnectionStore.open(db_path, clock=clock) as store:
        assert await store.purge_expired() == 0
        count = await store._db.execute_fetchall("SELECT count(*) FROM batch_results")
        assert count[0][0] == 0
