"""Per-channel rate limits: a token bucket that makes the sender wait rather than break a provider's cap.

The clock and the sleep are parameters, so a test drives the bucket with a fake clock and never waits.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class TokenBucket:
    """``rate`` tokens a second, at most ``burst`` saved up. `acquire(n)` returns the seconds it waited."""

    rate: float
    burst: float
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _tokens: float = field(init=False)
    _at: float = field(init=False)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if self.rate <= 0 or self.burst <= 0:
            raise ValueError("rate and burst must be positive")
        self._tokens = self.burst
        self._at = self.clock()

    def _refill(self) -> None:
        now = self.clock()
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
        self._at = now

    def acquire(self, tokens: float = 1.0) -> float:
        """Take ``tokens`` (a batch may take more than ``burst``: it then waits for the difference)."""
        waited = 0.0
        with self._lock:
            self._refill()
            self._tokens -= tokens
            if self._tokens < 0:
                waited = -self._tokens / self.rate
                self.sleep(waited)
                self._refill()
        return waited


class Unlimited:
    """No limit (a channel whose provider sets none, and benchmarks)."""

    def acquire(self, tokens: float = 1.0) -> float:
        return 0.0


RateLimit = TokenBucket | Unlimited


def limit_for(rate_per_second: float | None, burst: float | None = None) -> RateLimit:
    if rate_per_second is None or rate_per_second <= 0:
        return Unlimited()
    return TokenBucket(rate_per_second, burst if burst is not None else max(rate_per_second, 1.0))
