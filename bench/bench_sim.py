"""The simulator: generate 1,000,000 accounts, answer 200,000 actions, write the placement file.

Each row carries a baseline measured in the same run on the same data, so ratios stay meaningful on a
busy machine:
- generate: Polars reading the same accounts back from CSV (all columns as text) - "as cheap as reading
  the placement file it stands for";
- respond: a Polars join of the day's actions to the accounts, the lookup any answer needs;
- quiet day (no actions: promises due, self-cure over every account): one hashed uniform per account;
- write accounts.csv: Polars writing the typed frame to CSV, without the contract's text formatting.
Run: `.venv/bin/python -m bench.bench_sim [--scale S]`.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import polars as pl

from recoup.sim.actions import simple_actions
from recoup.sim.behaviour import DebtorBehaviour
from recoup.sim.draws import Purpose, uniforms
from recoup.sim.files import write_accounts
from recoup.sim.portfolio import generate_portfolio

ACCOUNTS_AT_SCALE_1 = 1_000_000
ACTIONS_AT_SCALE_1 = 200_000
SEED = 20260302
DAY = date(2026, 3, 2)
T = TypeVar("T")


def _timed(action: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


def _row(
    name: str, n: int, seconds: float, baseline: str, baseline_seconds: float, target: str
) -> dict[str, Any]:
    return {
        "benchmark": name,
        "n": n,
        "seconds": round(seconds, 3),
        "rate_per_s": round(n / seconds) if seconds else None,
        "baseline": f"{baseline} ({baseline_seconds:.3f} s)",
        "ratio": round(seconds / baseline_seconds, 2) if baseline_seconds else None,
        "target": target,
    }


def _day_actions(accounts: pl.DataFrame, n_actions: int) -> pl.DataFrame:
    """A realistic mix: SMS in the morning, calls in the evening, some offers, on distinct accounts."""
    rng = np.random.default_rng(SEED)
    chosen = accounts[
        np.sort(rng.choice(accounts.height, size=min(n_actions, accounts.height), replace=False))
    ]
    thirds = np.array_split(np.arange(chosen.height), 3)
    return pl.concat(
        [
            simple_actions(chosen[thirds[0]], DAY, "sms", local_hour=10),
            simple_actions(chosen[thirds[1]], DAY, "call", local_hour=19),
            simple_actions(
                chosen[thirds[2]], DAY, "offer", channel="im", local_hour=20, offer_kind="installment",
                offer_share=0.8, offer_installments=6,
            ),
        ]
    )  # fmt: skip


def run(scale: float = 1.0) -> list[dict[str, Any]]:
    n_accounts = max(int(ACCOUNTS_AT_SCALE_1 * scale), 1_000)
    n_actions = max(int(ACTIONS_AT_SCALE_1 * scale), 200)
    rows = []
    portfolio, generate_s = _timed(lambda: generate_portfolio(n_accounts, seed=SEED, as_of=DAY))
    with tempfile.TemporaryDirectory() as folder:
        csv_path = Path(folder) / "accounts.csv"
        _, write_s = _timed(lambda: write_accounts(portfolio.accounts, csv_path))
        _, read_s = _timed(lambda: pl.read_csv(csv_path, infer_schema=False))
        _, plain_write_s = _timed(lambda: portfolio.accounts.write_csv(Path(folder) / "plain.csv"))
    rows.append(
        _row(
            "sim.generate", n_accounts, generate_s, "Polars read_csv of the same accounts", read_s,
            "1,000,000 accounts in a few seconds",
        )
    )  # fmt: skip

    actions = _day_actions(portfolio.accounts, n_actions)
    behaviour = DebtorBehaviour(portfolio, SEED)
    events, respond_s = _timed(lambda: behaviour.respond(DAY, actions))
    keys = portfolio.accounts.select("account_id", "creditor_id")
    _, join_s = _timed(lambda: actions.join(keys, on=["account_id", "creditor_id"], how="left"))
    rows.append(
        _row(
            "sim.respond", actions.height, respond_s, "Polars join of the actions to the accounts", join_s,
            f"{n_actions:,} actions on {n_accounts:,} accounts well within a daily run ({events.height:,} events)",
        )
    )  # fmt: skip

    _, quiet_s = _timed(lambda: behaviour.respond(DAY + timedelta(days=1), actions.head(0)))
    _, hash_s = _timed(lambda: uniforms(SEED, 1, Purpose.SELF_CURE, np.arange(n_accounts)))
    rows.append(
        _row(
            "sim.quiet_day", n_accounts, quiet_s, "one hashed uniform per account", hash_s,
            "a day without actions costs a fraction of a second",
        )
    )  # fmt: skip
    rows.append(
        _row(
            "sim.write_accounts_csv", n_accounts, write_s, "Polars write_csv of the typed frame", plain_write_s,
            "contract text (decimal money, ISO dates) at close to raw write speed",
        )
    )  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0)
    for row in run(parser.parse_args().scale):
        print(
            f"{row['benchmark']:<24} n={row['n']:>10,} {row['seconds']:>8.3f} s {row['rate_per_s'] or 0:>12,}/s"
            f"  ratio {row['ratio']:>6} vs {row['baseline']}  [{row['target']}]"
        )


if __name__ == "__main__":
    main()
