"""The one throttle: parallel failures each count (SQLite and PostgreSQL), a window ends on the
clock, and share links cool down per address."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from service.clock import FakeClock
from service.throttle import (COOL_DOWN, SHARE_WINDOW, Throttle, clear_share_failures,
                              record_share_failure, share_blocked)

PARALLEL = 24


def at_once(fn, n: int = PARALLEL) -> list:
    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(lambda _: fn(), range(n)))


def test_parallel_failures_each_count_once(store):
    throttle = Throttle(store, window=60, clock=FakeClock())
    counts = at_once(lambda: throttle.fail("addr:203.0.113.7").failures)
    assert sorted(counts) == list(range(1, PARALLEL + 1))
    assert throttle.attempts("addr:203.0.113.7").failures == PARALLEL
    assert throttle.attempts("addr:203.0.113.8").failures == 0


def test_parallel_share_failures_each_count_and_block_at_the_limit(store):
    clock = FakeClock()
    started = at_once(lambda: record_share_failure(store, address="203.0.113.9", limit=PARALLEL,
                                                   clock=clock))
    assert started.count(True) == 1
    assert share_blocked(store, address="203.0.113.9", clock=clock)
    assert not share_blocked(store, address="203.0.113.10", clock=clock)


def test_a_window_ends_on_the_clock(store):
    clock = FakeClock()
    throttle = Throttle(store, window=60, clock=clock)
    for _ in range(3):
        throttle.fail("user:ana")
    clock.advance(59)
    first = throttle.attempts("user:ana")
    assert (first.failures, first.first_at, first.last_at) == (3, clock() - 59, clock() - 59)
    clock.advance(2)
    assert throttle.attempts("user:ana").failures == 0
    assert throttle.fail("user:ana").failures == 1   # a new window
    throttle.clear("user:ana")
    assert throttle.attempts("user:ana").failures == 0


def test_a_blocked_address_cools_down_and_can_be_cleared(store):
    clock = FakeClock()
    for expected in (False, False, True):
        assert record_share_failure(store, address="a", limit=3, clock=clock) is expected
    clock.advance(COOL_DOWN - 1)
    assert share_blocked(store, address="a", clock=clock)
    clock.advance(1)
    assert not share_blocked(store, address="a", clock=clock)
    record_share_failure(store, address="b", limit=3, clock=clock)
    clock.advance(SHARE_WINDOW + 1)                  # an old failure no longer counts
    assert [record_share_failure(store, address="b", limit=3, clock=clock)
            for _ in range(3)] == [False, False, True]
    clear_share_failures(store, address="b")
    assert not share_blocked(store, address="b", clock=clock)


def test_keys_are_cut_to_the_columns_length(store):
    throttle = Throttle(store, window=60, clock=FakeClock())
    long_key = "addr:" + "x" * 500
    throttle.fail(long_key)
    assert throttle.fail(long_key).failures == 2
    assert throttle.attempts(long_key).failures == 2
