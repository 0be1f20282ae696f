from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_array, vstack

from recoup.core.errors import ValidationError
from recoup.core.schema import CANDIDATE_SCHEMA, conform
from recoup.core.strategy.optimiser import Capacities, choose, solve

OPTIONS = [
    ("call", "call"),
    ("visit", "visit"),
    ("legal_review", None),
    ("sms", "sms"),
    ("email", "email"),
    ("letter", "letter"),
    ("offer", "call"),
    ("offer", "sms"),
]
MESSAGES = ["sms", "email", "im", "letter"]

candidate = st.tuples(
    st.integers(0, 11),  # account
    st.sampled_from(OPTIONS),
    st.integers(-20, 100),  # value
    st.integers(0, 30),  # cost
    st.sampled_from(["champion", "champion", "champion", "holdout"]),
)
capacity = st.one_of(st.none(), st.integers(0, 6))


def _frame(rows: list[tuple[int, tuple[str, str | None], int, int, str]]) -> pl.DataFrame:
    data = [
        {
            "account_key": a,
            "action": act,
            "channel": ch,
            "value": float(v),
            "cost": c,
            "variant": var,
            "template_id": f"t{i}",
            "offer_kind": "installment" if act == "offer" else "none",
        }
        for i, (a, (act, ch), v, c, var) in enumerate(rows)
    ]
    return conform(pl.DataFrame(data, schema_overrides={"channel": pl.String}), CANDIDATE_SCHEMA)


def _masks(frame: pl.DataFrame) -> dict[str, np.ndarray]:
    channel = frame.get_column("channel").fill_null("").to_numpy()
    action = frame.get_column("action").to_numpy()
    return {
        "calls": (channel == "call") & (action != "legal_review"),
        "visits": (channel == "visit") | (action == "visit"),
        "legal_reviews": action == "legal_review",
        "message_budget": np.isin(channel, MESSAGES) & (action != "legal_review"),
    }


def optimum(frame: pl.DataFrame, caps: Capacities, debtors: pl.DataFrame | None = None) -> float:
    """The true optimum by HiGHS over the whole problem, holdout and non-positive candidates excluded."""
    frame = frame.filter((pl.col("value") > 0) & (pl.col("variant") != "holdout"))
    n = frame.height
    if n == 0:
        return 0.0
    keys = frame if debtors is None else frame.join(debtors, on="account_key", how="left")
    group_col = "account_key" if debtors is None else "debtor_id"
    _, group = np.unique(keys.get_column(group_col).cast(pl.String).to_numpy(), return_inverse=True)
    rows = [coo_array((np.ones(n), (group, np.arange(n))), shape=(group.max() + 1, n))]
    upper = [np.ones(group.max() + 1)]
    weights = {"calls": 1.0, "visits": 1.0, "legal_reviews": 1.0}
    cost = frame.get_column("cost").to_numpy().astype(float)
    for name, mask in _masks(frame).items():
        limit = getattr(caps, name)
        if limit is not None:
            row = mask * (cost if name == "message_budget" else weights[name])
            rows.append(coo_array(row.astype(float)[None, :]))
            upper.append(np.array([limit]))
    result = milp(
        -frame.get_column("value").to_numpy(),
        constraints=LinearConstraint(vstack(rows).tocsr(), -np.inf, np.concatenate(upper)),
        integrality=np.ones(n),
        bounds=Bounds(0, 1),
    )
    return float(-result.fun)


def assert_feasible(chosen: pl.DataFrame, caps: Capacities) -> None:
    assert chosen.get_column("account_key").n_unique() == chosen.height
    assert (chosen.get_column("variant") != "holdout").all()
    assert (chosen.get_column("value") > 0).all()
    masks = _masks(chosen)
    for name in ("calls", "visits", "legal_reviews"):
        limit = getattr(caps, name)
        if limit is not None:
            assert int(masks[name].sum()) <= limit
    if caps.message_budget is not None:
        assert int(chosen.get_column("cost").to_numpy()[masks["message_budget"]].sum()) <= caps.message_budget


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(candidate, max_size=40), calls=capacity, visits=capacity, legal=capacity)
def test_the_optimiser_is_optimal_against_highs(
    rows: list, calls: int | None, visits: int | None, legal: int | None
) -> None:
    frame = _frame(rows)
    caps = Capacities(calls=calls, visits=visits, legal_reviews=legal)
    decision = solve(frame, caps)
    assert_feasible(decision.chosen, caps)
    assert decision.method == "exact"
    assert decision.objective == pytest.approx(optimum(frame, caps), abs=1e-6)
    assert decision.chosen.get_column("value").sum() == pytest.approx(decision.objective)


@settings(max_examples=80, deadline=None)
@given(
    rows=st.lists(candidate, max_size=40),
    calls=capacity,
    debtor_of=st.lists(st.integers(0, 5), min_size=12, max_size=12),
)
def test_one_action_per_debtor_is_optimal_too(rows: list, calls: int | None, debtor_of: list[int]) -> None:
    frame = _frame(rows)
    debtors = pl.DataFrame({"account_key": list(range(12)), "debtor_id": [f"D{d}" for d in debtor_of]})
    caps = Capacities(calls=calls, visits=1)
    chosen = choose(frame, caps, debtors)
    assert_feasible(chosen, caps)
    per_debtor = chosen.join(debtors, on="account_key").get_column("debtor_id")
    assert per_debtor.n_unique() == per_debtor.len()
    assert chosen.get_column("value").sum() == pytest.approx(optimum(frame, caps, debtors), abs=1e-6)


@settings(max_examples=80, deadline=None)
@given(rows=st.lists(candidate, max_size=40), calls=capacity, budget=st.integers(0, 120))
def test_the_message_budget_is_kept_within_a_certified_gap(
    rows: list, calls: int | None, budget: int
) -> None:
    frame = _frame(rows)
    caps = Capacities(calls=calls, visits=2, message_budget=budget)
    decision = solve(frame, caps)
    assert_feasible(decision.chosen, caps)
    best = optimum(frame, caps)
    assert decision.objective <= best + 1e-6
    assert best <= decision.upper_bound + 1e-6
    if decision.method == "exact":
        assert decision.objective == pytest.approx(best, abs=1e-6)


def test_a_larger_instance_matches_highs() -> None:
    rng = np.random.default_rng(11)
    n = 3_000
    rows = [
        (int(a), OPTIONS[int(o)], int(v), int(c), "champion")
        for a, o, v, c in zip(
            rng.integers(0, 1_000, n),
            rng.integers(0, len(OPTIONS), n),
            rng.integers(1, 500, n),
            rng.integers(0, 20, n),
            strict=True,
        )
    ]
    frame = _frame(rows)
    caps = Capacities(calls=60, visits=25, legal_reviews=10)
    decision = solve(frame, caps)
    assert_feasible(decision.chosen, caps)
    assert decision.objective == pytest.approx(optimum(frame, caps))


def test_the_plan_does_not_depend_on_the_order_of_the_candidates() -> None:
    rng = np.random.default_rng(2)
    rows = [
        (int(rng.integers(0, 30)), OPTIONS[int(rng.integers(0, 8))], int(rng.integers(1, 5)), 1, "champion")
        for _ in range(200)
    ]  # many equal values: ties must be broken by content, not position
    frame = _frame(rows)
    caps = Capacities(calls=4, visits=2, legal_reviews=1)
    first = choose(frame, caps)
    again = choose(frame.sample(fraction=1.0, shuffle=True, seed=5), caps)
    assert first.equals(again)


def test_nothing_worth_doing_and_holdouts_are_never_chosen() -> None:
    frame = _frame(
        [
            (0, ("sms", "sms"), 0, 0, "champion"),
            (1, ("call", "call"), 50, 0, "holdout"),
            (2, ("email", "email"), -3, 0, "champion"),
        ]
    )
    decision = solve(frame, Capacities())
    assert decision.chosen.height == 0 and decision.objective == 0.0
    assert solve(frame.clear(), Capacities(calls=3)).chosen.columns == frame.columns


def test_extra_columns_from_compliance_are_kept() -> None:
    frame = _frame([(0, ("call", "call"), 5, 1, "champion")]).with_columns(
        scheduled_at=pl.lit("2026-03-02T09:00")
    )
    assert choose(frame, Capacities(calls=1)).get_column("scheduled_at").to_list() == ["2026-03-02T09:00"]


def test_capacities_are_validated() -> None:
    with pytest.raises(ValidationError, match="calls"):
        Capacities(calls=-1)
