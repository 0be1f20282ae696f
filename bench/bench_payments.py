"""Payment reconciliation: 1,000,000 payment rows matched against 1,000,000 accounts (target <= 10 s).

The file is realistic: most rows clean in the usual layout, 1 % of references already booked, and a few
hundred rows of each problem (unknown account, other currency, bad amount, repeated reference, times in
other ISO layouts that take the general parser). Measured in the same run:
- baseline: a bare Polars join of the payments to the accounts on account_id (what any matching costs);
- the columnar core (`recoup.core.reconciliation.reconcile`);
- a plain Python loop doing the same per row (dict lookups, `parse_minor`, `datetime.fromisoformat`) on
  a sample, for scale (its dictionaries are built beforehand, untimed);
- the whole use case on SQLite (read accounts, find stored references, book the events, keep the
  exceptions) at a tenth of the size.
Ratios are time per row relative to the baseline's. Run: `.venv/bin/python -m bench.bench_payments`.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import polars as pl

from recoup.adapters.db.bulk import insert_frame
from recoup.adapters.db.engine import connect
from recoup.adapters.db.migrate import migrate
from recoup.core.errors import ValidationError
from recoup.core.money import parse_minor
from recoup.core.reconciliation import reconcile
from recoup.services.payments import reconcile_payment_file

ROWS_AT_SCALE_1 = 1_000_000
LOOP_SAMPLE = 50_000
SEED = 20260302
NOW = datetime(2026, 4, 1, tzinfo=UTC)
T = TypeVar("T")


def _timed(action: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


def accounts_frame(n: int) -> pl.DataFrame:
    index = pl.int_range(pl.len(), dtype=pl.Int64)
    return pl.DataFrame({"i": np.arange(n)}).select(
        account_id=pl.format("A{}", index.cast(pl.String).str.pad_start(8, "0")),
        creditor_id=pl.when(index % 5 == 0).then(pl.lit("SHOP")).otherwise(pl.lit("BANK")),
        currency=pl.when(index % 50 == 0).then(pl.lit("USD")).otherwise(pl.lit("CNY")),
        account_key=index + 1,
    )


def payment_file(n: int, accounts: int, seed: int = SEED) -> pl.DataFrame:
    """Payment rows as text, with a few hundred of each problem mixed in at random places."""
    rng = np.random.default_rng(seed)
    drawn = pl.DataFrame(
        {
            "account": rng.integers(0, accounts, n),
            "minor": rng.integers(1, 5_000_000, n),
            "second": rng.integers(0, 28 * 86_400, n),
        }
    )
    start = datetime(2026, 3, 1)
    frame = drawn.select(
        i=pl.int_range(pl.len()),
        payment_reference=pl.format("PAY{}", pl.int_range(pl.len())),
        account_id=pl.format("A{}", pl.col("account").cast(pl.String).str.pad_start(8, "0")),
        amount=pl.format(
            "{}.{}", pl.col("minor") // 100, (pl.col("minor") % 100).cast(pl.String).str.pad_start(2, "0")
        ),
        currency=pl.when(pl.col("account") % 50 == 0).then(pl.lit("USD")).otherwise(pl.lit("CNY")),
        paid_at=(pl.lit(start) + pl.duration(seconds=pl.col("second"))).dt.strftime(
            "%Y-%m-%dT%H:%M:%S+08:00"
        ),
    )
    problems = max(n // 2_000, 1)

    def picked() -> pl.Expr:
        return pl.col("i").is_in(pl.Series(rng.choice(n, problems, replace=False)).implode())

    return frame.with_columns(
        account_id=pl.when(picked()).then(pl.lit("UNKNOWN")).otherwise("account_id"),
        currency=pl.when(picked()).then(pl.lit("EUR")).otherwise("currency"),
        amount=pl.when(picked()).then(pl.lit("1,000.00")).otherwise("amount"),
        payment_reference=pl.when(picked()).then(pl.lit("PAY0")).otherwise("payment_reference"),
        paid_at=pl.when(picked())
        .then(pl.col("paid_at").str.replace("T", " ").str.replace(r"\+08:00$", "+0800"))
        .otherwise("paid_at"),
    ).drop("i")


def stored_references(n: int) -> pl.DataFrame:
    return pl.DataFrame({"n": range(0, n, 100)}).select(
        event_id=pl.format("PAY{}", pl.col("n")), type=pl.lit("payment")
    )


def loop_lookups(
    accounts: pl.DataFrame, stored: pl.DataFrame
) -> tuple[dict[str, list[tuple[int, str]]], set[str]]:
    """What a per-row loop looks things up in (built once, not timed with the loop)."""
    by_id: dict[str, list[tuple[int, str]]] = {}
    for account_id, _creditor, currency, key in accounts.iter_rows():
        by_id.setdefault(account_id, []).append((key, currency))
    return by_id, set(stored.get_column("event_id").to_list())


def python_loop(raw: pl.DataFrame, by_id: dict[str, list[tuple[int, str]]], booked: set[str]) -> int:
    """The same judgement row by row, for scale (no reasons, no output frames)."""
    seen: set[str] = set()
    matched = 0
    for reference, account_id, amount, currency, paid_at in raw.iter_rows():
        if reference in booked or reference in seen:
            continue
        seen.add(reference)
        found = by_id.get(account_id, [])
        if len(found) != 1 or found[0][1] != currency:
            continue
        try:
            value = parse_minor(amount, currency)
            at = datetime.fromisoformat(paid_at)
        except (ValidationError, ValueError):
            continue
        if value > 0 and at.tzinfo is not None and at <= NOW:
            matched += 1
    return matched


def _row(name: str, n: int, seconds: float, baseline: str, per_row: float, target: str) -> dict[str, Any]:
    return {
        "benchmark": name,
        "n": n,
        "seconds": round(seconds, 3),
        "rate_per_s": round(n / seconds) if seconds else None,
        "baseline": baseline,
        "ratio": round((seconds / n) / per_row, 2) if per_row else None,
        "target": target,
    }


def _service(n: int) -> tuple[float, int]:
    """The whole use case on SQLite: n accounts stored, a file of n payments booked."""
    with tempfile.TemporaryDirectory(prefix="recoup-bench-payments-") as folder:
        db = connect(f"sqlite:///{Path(folder) / 'bench.db'}")
        migrate(db)
        accounts = accounts_frame(n)
        rows = accounts.rename({"account_key": "key"}).with_columns(
            debtor_id=pl.col("account_id"),
            debtor_type=pl.lit("individual"),
            debtor_name=pl.lit("张三"),
            principal=pl.lit(1_000_000),
            interest=pl.lit(0),
            fees=pl.lit(0),
            due_on=pl.lit(date(2026, 1, 1)),
            jurisdiction=pl.lit("CN"),
            flags=pl.lit(""),
            status=pl.lit("active"),
            credit=pl.lit(0),
            collected=pl.lit(0),
            placed_on=pl.lit(date(2026, 2, 1)),
            placed_balance=pl.lit(1_000_000),
            opted_out=pl.lit(""),
        )
        with db.engine.begin() as connection:
            insert_frame(connection, db, "accounts", rows)
        raw = payment_file(n, n, seed=SEED + 1)
        started = time.perf_counter()
        with db.engine.begin() as connection:
            report = reconcile_payment_file(
                connection, db, raw, file="bank.csv", sha256="0" * 64, now=NOW, partial=True
            )
        seconds = time.perf_counter() - started
        db.dispose()
        return seconds, report.booked


def run(scale: float = 1.0) -> list[dict[str, Any]]:
    n = max(int(ROWS_AT_SCALE_1 * scale), 1_000)
    accounts = accounts_frame(n)
    raw = payment_file(n, n)
    stored = stored_references(n)
    _, join_seconds = _timed(lambda: raw.join(accounts, on="account_id", how="left"))
    result, seconds = _timed(
        lambda: reconcile(raw, accounts=accounts, stored=stored, file="bank.csv", now=NOW)
    )
    if result.matched.height + result.exceptions.height != n:
        raise RuntimeError("reconciliation lost or duplicated rows")
    sample = raw.head(min(LOOP_SAMPLE, n))
    by_id, booked = loop_lookups(accounts, stored)
    _, loop_seconds = _timed(lambda: python_loop(sample, by_id, booked))
    service_n = max(n // 10, 1_000)
    service_seconds, booked = _service(service_n)
    if booked == 0:
        raise RuntimeError("the service booked nothing")
    baseline = "polars join payments->accounts"
    per_row = join_seconds / n
    counts = result.counts()
    return [
        _row(baseline, n, join_seconds, baseline, per_row, "reference"),
        _row(
            f"reconcile (core, columnar; {counts['matched']} matched, {n - counts['matched']} exceptions)",
            n,
            seconds,
            baseline,
            per_row,
            "<= 10 s at 1,000,000",
        ),
        _row("python loop per row (sample)", sample.height, loop_seconds, baseline, per_row, "for scale"),
        _row(
            "reconcile_payment_file on SQLite (book + keep exceptions)",
            service_n,
            service_seconds,
            baseline,
            per_row,
            "info",
        ),
    ]


if __name__ == "__main__":
    from bench.__main__ import main

    raise SystemExit(main(["--only", "payments", *sys.argv[1:]]))
