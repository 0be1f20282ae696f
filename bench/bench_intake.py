"""Read and validate a placement file: 1,000,000 generated account rows, 33 columns, as CSV.

The baseline is Polars' own `read_csv` of the same file with every column as String, measured in the
same run: the ratio says what encoding detection, row numbering, ragged-row proof, stripping and
validation cost on top of a bare parse. Run: `.venv/bin/python -m bench.bench_intake [--scale S]`.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import polars as pl

from recoup.adapters.files.readers import read_table
from recoup.core.intake.accounts import validate_accounts
from recoup.sim.files import accounts_text
from recoup.sim.portfolio import generate_portfolio

ROWS_AT_SCALE_1 = 1_000_000
SEED = 20260302
T = TypeVar("T")


def _timed(action: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


def _placement_file(n: int, directory: Path) -> tuple[Path, Path]:
    """The generated accounts as a UTF-8 CSV of 33 columns (the contract's 32 and one extra that becomes
    an attribute), plus the same file in GBK (the few European letters GBK lacks become '?')."""
    portfolio = generate_portfolio(n, seed=SEED, as_of=date(2026, 3, 2))
    text = accounts_text(portfolio.accounts).with_columns(
        pl.format("branch-{}", pl.int_range(pl.len()) % 97).alias("branch")
    )
    utf8 = directory / "accounts.csv"
    text.write_csv(utf8)
    gbk = directory / "accounts_gbk.csv"
    gbk.write_bytes(utf8.read_text(encoding="utf-8").encode("gbk", errors="replace"))
    return utf8, gbk


def _row(
    name: str, n: int, seconds: float, baseline: str, baseline_seconds: float, target: str
) -> dict[str, Any]:
    return {
        "benchmark": name,
        "n": n,
        "seconds": round(seconds, 3),
        "rate_per_s": round(n / seconds) if seconds else None,
        "baseline": baseline,
        "ratio": round(seconds / baseline_seconds, 2) if baseline_seconds else None,
        "target": target,
    }


def run(scale: float = 1.0) -> list[dict[str, Any]]:
    n = max(int(ROWS_AT_SCALE_1 * scale), 1)
    with tempfile.TemporaryDirectory(prefix="recoup-bench-intake-") as folder:
        utf8, gbk = _placement_file(n, Path(folder))
        bare, bare_seconds = _timed(lambda: pl.read_csv(utf8, infer_schema=False))
        table, read_seconds = _timed(lambda: read_table(utf8))
        result, validate_seconds = _timed(lambda: validate_accounts(table.frame, file=table.file))
        if result.rejects.height or result.valid.height != n or bare.width != table.frame.width - 1:
            raise RuntimeError(f"the generated file did not validate cleanly: {result.messages()[:3]}")
        baseline = "polars read_csv (all String)"
        rows = [
            _row(baseline, n, bare_seconds, baseline, bare_seconds, "reference"),
            _row(
                "read_table CSV UTF-8",
                n,
                read_seconds,
                baseline,
                bare_seconds,
                "about 2 s for 1M rows x 33 columns",
            ),
        ]
        gbk_table, gbk_seconds = _timed(lambda: read_table(gbk))
        if gbk_table.encoding != "gb18030" or gbk_table.frame.shape != table.frame.shape:
            raise RuntimeError("the GBK file read differently from the UTF-8 one")
        rows.append(
            _row(
                "read_table CSV GBK",
                n,
                gbk_seconds,
                baseline,
                bare_seconds,
                "decode in memory, then as UTF-8",
            )
        )
        rows += [
            _row("validate_accounts", n, validate_seconds, baseline, bare_seconds, "columnar, no row loop"),
            _row(
                "read + validate accounts",
                n,
                read_seconds + validate_seconds,
                baseline,
                bare_seconds,
                "seconds for a million-row placement",
            ),
        ]
        return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    from bench.__main__ import _print

    _print(run(args.scale))


if __name__ == "__main__":
    main()
