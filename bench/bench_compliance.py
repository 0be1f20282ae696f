"""The compliance engine: the batch evaluator on a day's proposed contacts, the scalar p99, the linter.

- Batch: 1,000,000 attempts of one run day (CN, US, US-NY, UK, EU; every channel; a few third parties,
  holds, agreed windows; 30% without a time zone, derived from the phone) against about 5 contacts per
  account over the last two weeks (debtors with two accounts share their history). The baseline is a
  plain Polars scan of the same data: each attempt joined with its debtor's contact count and a filter.
- Scalar: p50/p99 of `evaluate` on attempts drawn from the same data (with histories, without messages),
  and with a message linted.
- Linter: messages per second over the labelled corpus (half violations) and over compliant reminders.

Run: `.venv/bin/python -m bench.bench_compliance [--scale S]`.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import polars as pl

from recoup.core.compliance import (
    ATTEMPT_SCHEMA,
    HISTORY_SCHEMA,
    default_linter,
    evaluate,
    evaluate_batch,
    load_rulebooks,
    parse_attempt,
)
from recoup.core.schema import UTC_INSTANT

ATTEMPTS_AT_SCALE_1 = 1_000_000
CONTACTS_PER_ACCOUNT = 5
SEED = 20260302
RUN_DAY = datetime(2026, 3, 2, tzinfo=UTC)
CORPUS = Path(__file__).resolve().parents[1] / "tests/unit/core/compliance/linter_corpus.jsonl"
T = TypeVar("T")

# share, zones, phone prefix, a typical UTC offset (hours) to schedule local times with
JURISDICTIONS = {
    "CN": (0.60, ["Asia/Shanghai"], "+86138", 8),
    "US": (
        0.20,
        ["America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"],
        "+1212",
        -6,
    ),
    "US-NY": (0.05, ["America/New_York"], "+1718", -5),
    "UK": (0.08, ["Europe/London"], "+4477", 0),
    "EU": (0.07, ["Europe/Paris", "Europe/Berlin", "Europe/Madrid"], "+3361", 1),
}
CHANNELS = (["call", "sms", "email", "im", "letter", "visit"], [0.40, 0.35, 0.10, 0.10, 0.03, 0.02])
RECIPIENTS = (["debtor", "guarantor", "emergency", "family"], [0.95, 0.02, 0.02, 0.01])
FLAGS = (["", "dispute", "cease", "vulnerable", "attorney"], [0.95, 0.02, 0.01, 0.01, 0.01])
OUTCOMES = ["no_answer", "busy", "voicemail", "conversation", "delivered", "read", "failed"]


def _timed(action: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


def generate(n: int, seed: int = SEED) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A run day's attempts and their debtors' recent contacts (the frames of ``evaluate_batch``)."""
    rng = np.random.default_rng(seed)
    codes = list(JURISDICTIONS)
    jurisdiction = rng.choice(codes, size=n, p=[JURISDICTIONS[c][0] for c in codes])
    zone_pick = rng.integers(0, 1_000, size=n)
    zones = np.empty(n, dtype=object)
    prefix = np.empty(n, dtype=object)
    for code, (_, names, phone_prefix, _) in JURISDICTIONS.items():
        mine = jurisdiction == code
        zones[mine] = np.array(names, dtype=object)[zone_pick[mine] % len(names)]
        prefix[mine] = phone_prefix
    zones = zones.astype(str)
    prefix = prefix.astype(str)
    digits = rng.integers(10_000_000, 99_999_999, size=n).astype(str)
    phone = np.char.add(prefix, digits)
    given_zone = rng.random(n) < 0.7
    debtor = np.arange(n) - (rng.random(n) < 0.1)  # one in ten debtors has the account before too
    # The strategy schedules most contacts inside the debtor's day; some land anywhere (a stress share).
    offset_hours = np.zeros(n)
    for code in codes:
        offset_hours[jurisdiction == code] = JURISDICTIONS[code][3]
    local_us = np.where(
        rng.random(n) < 0.85,
        rng.integers(9 * 3_600_000_000, 20 * 3_600_000_000, size=n),
        rng.integers(0, 86_400_000_000, size=n),
    )
    at_us = int(RUN_DAY.timestamp() * 1e6) + local_us - (offset_hours * 3_600_000_000).astype(np.int64)
    consent = {
        f"consent_{c}": pl.Series(rng.random(n) < 0.95).set(pl.Series(rng.random(n) < 0.5), None)
        for c in ("call", "sms", "email", "im")
    }
    attempts = pl.DataFrame(
        {
            "attempt_id": np.char.add("a", np.arange(n).astype(str)),
            "account_key": np.arange(n, dtype=np.int64),
            "debtor_id": np.char.add("d", debtor.astype(str)),
            "debtor_key": debtor.astype(np.int64),
            "jurisdiction": jurisdiction,
            "channel": rng.choice(CHANNELS[0], size=n, p=CHANNELS[1]),
            "at": pl.Series(at_us).cast(UTC_INSTANT),
            "recipient": rng.choice(RECIPIENTS[0], size=n, p=RECIPIENTS[1]),
            "timezones": pl.Series(zones).set(pl.Series(~given_zone), None),
            "phone": phone,
            "flags": rng.choice(FLAGS[0], size=n, p=FLAGS[1]),
            "validation_notice_sent_at": pl.Series(at_us - 10 * 86_400_000_000)
            .cast(UTC_INSTANT)
            .set(pl.Series(rng.random(n) >= 0.9), None),
            "agreed_windows": pl.Series(["18:00-20:30"] * n).set(pl.Series(rng.random(n) >= 0.02), None),
            **consent,
        }
    )
    m = n * CONTACTS_PER_ACCOUNT
    owner = rng.integers(0, n, size=m)
    history = pl.DataFrame(
        {
            "account_key": owner.astype(np.int64),
            "debtor_id": np.char.add("d", debtor[owner].astype(str)),
            "debtor_key": debtor[owner].astype(np.int64),
            "channel": rng.choice(["call", "sms", "email", "im"], size=m, p=[0.55, 0.3, 0.1, 0.05]),
            "at": pl.Series(at_us[owner] - rng.integers(3_600_000_000, 14 * 86_400_000_000, size=m)).cast(
                UTC_INSTANT
            ),
            "direction": rng.choice(["outbound", "inbound"], size=m, p=[0.9, 0.1]),
            "outcome": rng.choice(OUTCOMES, size=m),
            "recipient": rng.choice(["debtor", "emergency"], size=m, p=[0.97, 0.03]),
        }
    )
    return attempts.cast({k: v for k, v in ATTEMPT_SCHEMA.items() if k in attempts.columns}), history.cast(
        {k: v for k, v in HISTORY_SCHEMA.items() if k in history.columns}
    )


def _plain_scan(attempts: pl.DataFrame, history: pl.DataFrame) -> pl.DataFrame:
    """One pass over the same data: each attempt with its debtor's contact count and latest contact."""
    counts = history.group_by("debtor_key").agg(pl.len().alias("contacts"), pl.col("at").max().alias("last"))
    return attempts.join(counts, on="debtor_key", how="left").filter(
        pl.col("contacts").is_null() | (pl.col("contacts") < 20) | (pl.col("last") < pl.col("at"))
    )


def _scalar_objects(attempts: pl.DataFrame, history: pl.DataFrame, k: int) -> list[dict[str, Any]]:
    sample = attempts.head(k)
    contacts = history.join(sample.select("debtor_id"), on="debtor_id", how="semi")
    by_debtor: dict[str, list[dict[str, Any]]] = {}
    for row in contacts.iter_rows(named=True):
        by_debtor.setdefault(row["debtor_id"], []).append(
            {
                "channel": row["channel"],
                "at": row["at"].isoformat(),
                "direction": row["direction"],
                "outcome": row["outcome"],
                "recipient": row["recipient"],
            }
        )
    objects = []
    for row in sample.iter_rows(named=True):
        objects.append(
            {
                "id": row["attempt_id"],
                "jurisdiction": row["jurisdiction"],
                "channel": row["channel"],
                "at": row["at"].isoformat(),
                "recipient": row["recipient"],
                "account": {
                    "account_id": str(row["account_key"]),
                    "debtor_id": row["debtor_id"],
                    "timezones": [row["timezones"]] if row["timezones"] else [],
                    "phone": row["phone"],
                    "flags": [row["flags"]] if row["flags"] else [],
                },
                "history": by_debtor.get(row["debtor_id"], []),
            }
        )
    return objects


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = np.array(samples)
    return float(np.percentile(ordered, 50)), float(np.percentile(ordered, 99))


def _row(
    name: str, n: int, seconds: float, baseline: str, baseline_seconds: float | None, target: str
) -> dict[str, Any]:
    return {
        "benchmark": name,
        "n": n,
        "seconds": round(seconds, 6 if n == 1 else 3),
        "rate_per_s": round(n / seconds) if seconds else None,
        "baseline": baseline,
        "ratio": round(seconds / baseline_seconds, 2) if baseline_seconds else None,
        "target": target,
    }


def run(scale: float = 1.0) -> list[dict[str, Any]]:
    n = max(int(ATTEMPTS_AT_SCALE_1 * scale), 10)
    rulebooks = load_rulebooks()
    attempts, history = generate(n)
    scan, scan_seconds = _timed(lambda: _plain_scan(attempts, history))
    decided, batch_seconds = _timed(lambda: evaluate_batch(attempts, history, rulebooks))
    if decided.height != n or scan.height == 0:
        raise RuntimeError("the batch evaluator lost rows")
    blocked = decided.filter(~pl.col("allowed")).height
    baseline = "plain Polars scan (join + filter)"
    load = os.getloadavg()[0]
    rows = [
        _row(baseline, n, scan_seconds, baseline, scan_seconds, "reference"),
        _row(
            f"evaluate_batch ({blocked * 100 // n}% blocked, {history.height:,} contacts, load {load:.1f})",
            n,
            batch_seconds,
            baseline,
            scan_seconds,
            ">= 500,000 attempts/s",
        ),
    ]

    objects = _scalar_objects(attempts, history, 5_000)
    parsed = [parse_attempt(obj) for obj in objects]
    for attempt in parsed[:50]:
        evaluate(attempt, rulebooks)  # warm caches (zones, rulebook lookups)
    rows += _latency_rows("scalar evaluate", [lambda a=a: evaluate(a, rulebooks) for a in parsed])
    texts = [json.loads(line)["text"] for line in CORPUS.read_text(encoding="utf-8").splitlines()]
    with_message = [
        parse_attempt({**obj, "channel": "sms", "message": {"language": "zh", "text": texts[i % len(texts)]}})
        for i, obj in enumerate(objects)
    ]
    rows += _latency_rows(
        "scalar evaluate with message", [lambda a=a: evaluate(a, rulebooks) for a in with_message]
    )

    linter = default_linter()
    # Distinct texts, as rendered messages are (a name, an amount, a reference): no cache helps.
    count = max(int(50_000 * scale), len(texts))
    messages = [f"{texts[i % len(texts)]} Ref. {i:06d}" for i in range(count)]
    cpu_started = time.thread_time()
    _, lint_seconds = _timed(lambda: [linter.lint(text) for text in messages])
    lint_cpu = time.thread_time() - cpu_started
    _, fold_seconds = _timed(lambda: [text.lower() for text in messages])
    name = "linter, labelled corpus (half violations)"
    rows.append(
        _row(
            f"{name}, wall clock",
            len(messages),
            lint_seconds,
            "str.lower",
            fold_seconds,
            ">= 20,000 messages/s",
        )
    )
    rows.append(_row(f"{name}, thread CPU time", len(messages), lint_cpu, "", None, ">= 20,000 messages/s"))
    return rows


def _latency_rows(name: str, calls: list[Callable[[], object]]) -> list[dict[str, Any]]:
    """p50 and p99 by wall clock (includes the OS preempting us on a busy machine) and by thread CPU time."""
    wall, cpu = [], []
    for call in calls:
        started, cpu_started = time.perf_counter(), time.thread_time()
        call()
        cpu.append(time.thread_time() - cpu_started)
        wall.append(time.perf_counter() - started)
    wall_p50, wall_p99 = _percentiles(wall)
    _, cpu_p99 = _percentiles(cpu)
    return [
        _row(f"{name} p50 = {wall_p50 * 1e6:.0f} us, wall clock", 1, wall_p50, "", None, "-"),
        _row(
            f"{name} p99 = {wall_p99 * 1e6:.0f} us, wall clock", 1, wall_p99, "", None, "<= 200 microseconds"
        ),
        _row(
            f"{name} p99 = {cpu_p99 * 1e6:.0f} us, thread CPU time",
            1,
            cpu_p99,
            "",
            None,
            "<= 200 microseconds",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    from bench.__main__ import _print

    _print(run(args.scale))


if __name__ == "__main__":
    main()
