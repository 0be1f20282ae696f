from __future__ import annotations

import pytest

from recoup.adapters.channels.ratelimit import TokenBucket, Unlimited, limit_for


class Clock:
    """A clock that moves only when the bucket sleeps (or the test advances it)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_a_burst_passes_then_the_rate_holds() -> None:
    clock = Clock()
    bucket = TokenBucket(rate=10, burst=5, clock=clock, sleep=clock.sleep)
    waits = [bucket.acquire() for _ in range(15)]
    assert waits[:5] == [0.0] * 5
    assert all(w == pytest.approx(0.1) for w in waits[5:])
    assert clock.now == pytest.approx(1.0)  # 15 tokens at 10/s with 5 saved up


def test_idle_time_refills_up_to_the_burst() -> None:
    clock = Clock()
    bucket = TokenBucket(rate=100, burst=50, clock=clock, sleep=clock.sleep)
    bucket.acquire(50)
    clock.now += 100.0
    assert bucket.acquire(50) == 0.0
    assert bucket.acquire(100) == pytest.approx(1.0)


def test_limits_from_settings() -> None:
    assert isinstance(limit_for(None), Unlimited)
    assert isinstance(limit_for(0), Unlimited)
    assert isinstance(limit_for(20), TokenBucket)
    with pytest.raises(ValueError):
        TokenBucket(rate=0, burst=1)
