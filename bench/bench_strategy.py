"""Strategy: deciding a day for 1,000,000 accounts (scores given), and the optimiser against HiGHS.

- propose: segments, arms (an experiment with a holdout and a challenger), paths, offers and uplift for
  every account;
- choose: the optimiser under 20,000 calls, 1,000 visits and 500 legal reviews; then again with a
  binding message budget (the Lagrangian path);
- decide a day = propose + choose, target <= 20 s, against the baseline ladder's propose + its
  per-action top-k cut in the same run;
- fitting the uplift from 30 matured days of stored history (4 treated exposures per account, a 5 %
  holdout, one payment per account), against one Polars group_by over the same rows;
- the optimiser against HiGHS (scipy linprog, dual simplex: exact here, the constraint matrix is totally
  unimodular) on the same candidates of a smaller portfolio: the ratio is to the solver's own time, and
  the objectives must agree.
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import replace
from datetime import date
from typing import Any

import numpy as np
import polars as pl
from scipy.optimize import linprog
from scipy.sparse import coo_array, vstack

from recoup.core.accounts import bucket_expr
from recoup.core.schema import DECISION_INPUT_SCHEMA, conform
from recoup.core.strategy import baseline
from recoup.core.strategy.default import default_config, propose
from recoup.core.strategy.experiments import Arm, Experiment
from recoup.core.strategy.optimiser import Capacities, solve
from recoup.core.strategy.paths import default_playbook
from recoup.core.strategy.uplift import EXPOSURE_SCHEMA, fit_uplift, uplift_history

RUN_DATE = date(2026, 3, 2)
ACCOUNTS = 1_000_000
HIGHS_ACCOUNTS = 50_000
TARGET_SECONDS = 20.0


def synthetic_inputs(n: int, seed: int = 42) -> pl.DataFrame:
    """A day's DECISION_INPUT rows with scores given (no I/O, seeded)."""
    rng = np.random.default_rng(seed)
    balance = rng.lognormal(10.5, 1.2, n).astype(np.int64) + 1_000
    income = pl.Series(rng.integers(200_000, 3_000_000, n)).set(pl.Series(rng.random(n) < 0.4), None)
    since = pl.Series(rng.integers(0, 30, n)).set(pl.Series(rng.random(n) < 0.3), None)
    keys = pl.int_range(0, n, eager=True)
    flags = np.array(["", "", "", "", "", "", "", "", "vulnerable", "dispute", "complaint", "cease"])
    frame = pl.DataFrame(
        {
            "account_key": keys,
            "account_id": keys.cast(pl.String).str.zfill(9),
            "creditor_id": pl.Series(rng.integers(0, 5, n)).cast(pl.String).str.replace(r"^", "bank-"),
            "debtor_id": (keys // 2).cast(pl.String),
            "debtor_type": rng.choice(
                np.array(["individual", "individual", "individual", "sme", "enterprise"]), n
            ),
            "product": rng.choice(np.array(["credit_card", "consumer_loan", "sme_loan"]), n),
            "currency": np.full(n, "CNY"),
            "jurisdiction": np.full(n, "CN"),
            "language": np.full(n, "zh"),
            "principal": balance,
            "balance": balance,
            "dpd": rng.integers(1, 400, n),
            "flags": rng.choice(flags, n),
            "opted_out": rng.choice(np.array(["", "", "", "", "sms", "email;im"]), n),
            "consent_sms": rng.random(n) > 0.05,
            "consent_email": rng.random(n) > 0.05,
            "consent_im": rng.random(n) > 0.3,
            "consent_call": rng.random(n) > 0.05,
            "has_phone": rng.random(n) > 0.05,
            "has_email": rng.random(n) > 0.3,
            "has_im": rng.random(n) > 0.5,
            "has_address": rng.random(n) > 0.2,
            "income_monthly": income,
            "ability_score": rng.beta(2, 2, n),
            "willingness_score": rng.beta(2, 2, n),
            "days_since_last_contact": since,
            "contacts_7d": rng.integers(0, 6, n),
            "open_promise": rng.random(n) < 0.1,
            "broken_promises_60d": rng.integers(0, 3, n),
            "on_plan": rng.random(n) < 0.05,
        }
    ).with_columns(bucket=bucket_expr(pl.col("dpd")), interest=pl.lit(0), fees=pl.lit(0))
    return conform(frame, DECISION_INPUT_SCHEMA)


def _experiment() -> Experiment:
    challenger = replace(default_playbook(), name="challenger", version=2)
    return Experiment(
        "bench",
        "seed",
        (Arm("champion", 7_000), Arm("challenger-1", 2_000, challenger), Arm("holdout", 1_000)),
    )


class _Clock:
    """Wall and CPU seconds of each step: on a shared machine the CPU time is the steadier measure."""

    def __init__(self) -> None:
        self.cpu: dict[str, float] = {}

    def timed(self, name: str, work: Any) -> tuple[Any, float]:
        started, cpu = time.perf_counter(), time.process_time()
        result = work()
        self.cpu[name] = time.process_time() - cpu
        return result, time.perf_counter() - started


def _highs(candidates: pl.DataFrame, caps: Capacities) -> tuple[float, float]:
    """The same count-capacity problem handed to HiGHS whole; returns (objective, seconds incl. building)."""
    started = time.perf_counter()
    frame = candidates.filter((pl.col("value") > 0) & (pl.col("variant") != "holdout"))
    n = frame.height
    _, group = np.unique(frame.get_column("account_key").to_numpy(), return_inverse=True)
    channel = frame.get_column("channel").fill_null("").to_numpy()
    action = frame.get_column("action").to_numpy()
    masks = [
        ((channel == "call") & (action != "legal_review"), caps.calls),
        ((channel == "visit") | (action == "visit"), caps.visits),
        (action == "legal_review", caps.legal_reviews),
    ]
    rows = [coo_array((np.ones(n), (group, np.arange(n))), shape=(int(group.max()) + 1, n))]
    upper = [np.ones(int(group.max()) + 1)]
    for mask, cap in masks:
        rows.append(coo_array(mask.astype(float)[None, :]))
        upper.append(np.array([cap], dtype=float))
    result = linprog(
        -frame.get_column("value").to_numpy(),
        A_ub=vstack(rows).tocsr(),
        b_ub=np.concatenate(upper),
        bounds=(0, 1),
        method="highs-ds",
    )
    return float(-result.fun), time.perf_counter() - started


def _history(n: int, seed: int = 11) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Stored exposures of 30 matured days for ``n`` accounts (treated actions and a 5 % holdout once)
    and their payments: what the daily run fits the uplift from."""
    rng = np.random.default_rng(seed)
    treated = 4 * n
    holdout = n // 20
    rows = treated + holdout
    segments = np.array(
        ["able_willing", "able_unwilling", "unable_willing", "unable_unwilling", "vulnerable"]
    )
    actions = np.array(["sms", "im", "email", "call", "offer", "letter"])
    action = rng.choice(actions, rows).astype(object)
    action[treated:] = None
    exposures = pl.DataFrame(
        {
            "account_key": rng.integers(0, n, rows),
            "run_date": np.datetime64("2026-10-01") + rng.integers(0, 30, rows).astype("timedelta64[D]"),
            "segment": rng.choice(segments, rows),
            "variant": np.where(np.arange(rows) < treated, "champion", "holdout"),
            "action": pl.Series(action, dtype=pl.String),
            "offer_kind": pl.Series(np.where(action == "offer", "settlement", "none"), dtype=pl.String),
            "balance": rng.lognormal(10.5, 1.2, rows).astype(np.int64) + 1_000,
            "ability_score": rng.random(rows),
        },
        schema=EXPOSURE_SCHEMA,
    )
    payments = pl.DataFrame(
        {
            "account_key": rng.integers(0, n, n),
            "local_date": np.datetime64("2026-10-01") + rng.integers(0, 60, n).astype("timedelta64[D]"),
            "amount": rng.integers(1_000, 500_000, n),
        }
    )
    return exposures, payments


def _fit(exposures: pl.DataFrame, payments: pl.DataFrame) -> int:
    model = fit_uplift(uplift_history(exposures, payments, date(2026, 12, 31)))
    return model.uplifts.height


def _floor(exposures: pl.DataFrame) -> int:
    """One Polars pass over the same rows: the aggregation every fit must at least do."""
    return exposures.group_by("segment", "action").agg(pl.col("balance").sum()).height


def _row(
    name: str, n: int, seconds: float, baseline_name: str, ratio: float, target: str, cpu: float
) -> dict[str, Any]:
    return {
        "cpu_seconds": cpu,
        "benchmark": name,
        "n": n,
        "seconds": seconds,
        "rate_per_s": n / seconds if seconds else None,
        "baseline": baseline_name,
        "ratio": ratio,
        "target": target,
    }


def run(scale: float = 1.0) -> list[dict[str, Any]]:
    n = max(int(ACCOUNTS * scale), 1_000)
    inputs = synthetic_inputs(n)
    config = default_config(_experiment())
    caps = Capacities(
        calls=int(20_000 * scale) or 1, visits=int(1_000 * scale) or 1, legal_reviews=int(500 * scale) or 1
    )
    clock = _Clock()
    candidates, propose_s = clock.timed("propose", lambda: propose(inputs, RUN_DATE, config))
    decision, choose_s = clock.timed("choose", lambda: solve(candidates, caps))
    messages = decision.chosen.filter(pl.col("channel").is_in(["sms", "email", "im", "letter"]))
    budget = int(messages.get_column("cost").sum() // 2)
    budgeted, budget_s = clock.timed(
        "budget", lambda: solve(candidates, replace(caps, message_budget=budget))
    )
    day, day_cpu = propose_s + choose_s, clock.cpu["propose"] + clock.cpu["choose"]

    ladder_caps = {
        "call": caps.calls or 0,
        "visit": caps.visits or 0,
        "legal_review": caps.legal_reviews or 0,
    }
    ladder = baseline.BaselineConfig()
    _, ladder_s = clock.timed(
        "ladder", lambda: baseline.within_capacity(baseline.propose(inputs, RUN_DATE, ladder), ladder_caps)
    )

    small = synthetic_inputs(max(int(HIGHS_ACCOUNTS * scale), 500), seed=7)
    small_candidates = propose(small, RUN_DATE, config)
    ours, ours_s = clock.timed("ours", lambda: solve(small_candidates, caps))
    (highs_objective, highs_s), _ = clock.timed("highs", lambda: _highs(small_candidates, caps))
    if abs(ours.objective - highs_objective) > 1e-6 * max(1.0, abs(highs_objective)):
        raise AssertionError(f"optimiser {ours.objective} != HiGHS {highs_objective}")

    exposures, payments = _history(n)
    _, fit_s = clock.timed("fit", lambda: _fit(exposures, payments))
    _, floor_s = clock.timed("floor", lambda: _floor(exposures))

    gap = budgeted.gap / budgeted.upper_bound if budgeted.upper_bound else 0.0
    load = os.getloadavg()[0]
    cpu = clock.cpu
    return [
        _row("strategy: propose (segments, arms, paths, offers, uplift)", n, propose_s,
             f"decide-day total {day:.2f} s", propose_s / day,
             f"{candidates.height:,} candidates; cpu {cpu['propose']:.1f} s", cpu["propose"]),
        _row("strategy: choose, 3 capacities (exact)", n, choose_s,
             f"decide-day total {day:.2f} s", choose_s / day,
             f"{decision.cycles} cycles, {decision.chosen.height:,} chosen; cpu {cpu['choose']:.1f} s", cpu["choose"]),
        _row("strategy: choose + binding message budget (Lagrangian)", n, budget_s,
             f"exact choose {choose_s:.2f} s", budget_s / choose_s,
             f"certified gap {gap:.1e}; cpu {cpu['budget']:.1f} s", cpu["budget"]),
        _row("strategy: decide a day (propose + choose)", n, day,
             f"baseline ladder {ladder_s:.2f} s", day / ladder_s,
             f"<= {TARGET_SECONDS:.0f} s; cpu {day_cpu:.1f} s; load {load:.1f}", day_cpu),
        _row("strategy: fit uplift from stored history", exposures.height, fit_s,
             f"one Polars group_by {floor_s:.2f} s", fit_s / floor_s,
             f"{payments.height:,} payments joined; cpu {cpu['fit']:.1f} s", cpu["fit"]),
        _row("strategy: choose vs HiGHS on the same candidates", small.height, ours_s,
             f"HiGHS {highs_s:.2f} s", ours_s / highs_s,
             f"same objective, {small_candidates.height:,} candidates", cpu["ours"]),
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    from bench.__main__ import _print

    _print(run(args.scale))


if __name__ == "__main__":
    main()
