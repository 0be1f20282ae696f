"""Work queue: the allowed window of 1,000,000 queued calls and their order per creditor.

- windows: ``contact_windows`` for calls in China, the US, the UK and the EU, most with a stored zone and a
  tenth with none (zones derived from the phone number, as the evaluator derives them);
- order: ``work_queue`` (value, then the window that closes first, per creditor and channel);
- windows + order together, against one plain Polars sort of the same frame by creditor and value: the
  ratio says what the windows and the per-queue priorities cost over the cheapest possible ordering.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import date, datetime
from typing import Any

import numpy as np
import polars as pl

from recoup.core.compliance import load_rulebooks
from recoup.core.compliance.windows import contact_windows
from recoup.core.schema import UTC_INSTANT
from recoup.core.strategy.workqueue import work_queue

RUN_DATE = date(2026, 3, 2)
CALLS = 1_000_000
PLACES = [  # jurisdiction, stored zone, a phone number there, UTC offset on RUN_DATE (hours), share
    ("CN", "Asia/Shanghai", "+8613800138000", 8, 0.55),
    ("CN", "Asia/Urumqi", "+8613800138001", 6, 0.05),
    ("US", "America/New_York", "+12125550100", -5, 0.12),
    ("US", "America/Chicago", "+13125557777", -6, 0.06),
    ("US", "America/Los_Angeles", "+13105550102", -8, 0.07),
    ("UK", "Europe/London", "+442079460958", 0, 0.10),
    ("EU", "Europe/Paris", "+33142685300", 1, 0.05),
]


def synthetic_calls(n: int, seed: int = 42) -> pl.DataFrame:
    """A day's queued calls at 09:00-19:00 on the debtors' clocks, as the daily run spreads them (no I/O,
    seeded)."""
    rng = np.random.default_rng(seed)
    place = rng.choice(len(PLACES), n, p=[share for *_, share in PLACES])
    column = lambda index: np.array([p[index] for p in PLACES])[place]  # noqa: E731
    zone = pl.Series(column(1)).set(pl.Series(rng.random(n) < 0.1), None)
    midnight = datetime.combine(RUN_DATE, datetime.min.time())
    return pl.DataFrame(
        {
            "account_key": np.arange(n),
            "creditor_id": pl.Series(rng.integers(0, 5, n)).cast(pl.String).str.replace(r"^", "bank-"),
            "channel": np.full(n, "call"),
            "jurisdiction": column(0),
            "timezones": zone,
            "phone": column(2),
            "minute": rng.integers(9 * 60, 19 * 60, n) - column(3) * 60,
            "value": rng.lognormal(8, 1.5, n).astype(np.int64),
        }
    ).select(
        pl.exclude("minute"),
        run_date=pl.lit(RUN_DATE),
        scheduled_at=(pl.lit(midnight) + pl.duration(minutes=pl.col("minute")))
        .dt.replace_time_zone("UTC")
        .cast(UTC_INSTANT),
    )


def _timed(work: Any) -> tuple[Any, float, float]:
    started, cpu = time.perf_counter(), time.process_time()
    result = work()
    return result, time.perf_counter() - started, time.process_time() - cpu


def _row(
    name: str, n: int, seconds: float, baseline: str, ratio: float | None, target: str, cpu: float
) -> dict[str, Any]:
    return {
        "benchmark": name,
        "n": n,
        "seconds": seconds,
        "rate_per_s": n / seconds if seconds else None,
        "baseline": baseline,
        "ratio": ratio,
        "target": target,
        "cpu_seconds": cpu,
    }


def run(scale: float = 1.0) -> list[dict[str, Any]]:
    n = max(int(CALLS * scale), 1_000)
    calls = synthetic_calls(n)
    books = load_rulebooks()
    windowed, windows_s, windows_cpu = _timed(lambda: contact_windows(calls, books))
    queue, order_s, order_cpu = _timed(lambda: work_queue(windowed))
    _, sort_s, sort_cpu = _timed(
        lambda: calls.sort(["creditor_id", "value", "account_key"], descending=[False, True, False])
    )
    missing = int(windowed["window_start"].null_count())
    inside = queue.filter(
        (pl.col("window_start") <= pl.col("scheduled_at")) & (pl.col("scheduled_at") < pl.col("window_end"))
    ).height
    total, total_cpu = windows_s + order_s, windows_cpu + order_cpu
    load = os.getloadavg()[0]
    return [
        _row("work queue: windows (distinct keys, joined back)", n, windows_s,
             f"plain Polars sort {sort_s:.3f} s", windows_s / sort_s,
             f"{missing:,} without a window that day; cpu {windows_cpu:.2f} s", windows_cpu),
        _row("work queue: order per creditor (value, closing window)", n, order_s,
             f"plain Polars sort {sort_s:.3f} s", order_s / sort_s,
             f"{inside:,} scheduled inside their window; cpu {order_cpu:.2f} s", order_cpu),
        _row("work queue: windows + order", n, total,
             f"plain Polars sort {sort_s:.3f} s", total / sort_s,
             f"cpu {total_cpu:.2f} s (sort cpu {sort_cpu:.2f} s); load {load:.1f}", total_cpu),
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    from bench.__main__ import _print

    _print(run(args.scale))


if __name__ == "__main__":
    main()
