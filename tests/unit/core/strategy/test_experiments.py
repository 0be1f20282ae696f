from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recoup.core.errors import Conflict, ValidationError
from recoup.core.strategy.experiments import (
    HOLDOUT,
    OUTCOME_SCHEMA,
    Arm,
    Experiment,
    account_outcomes,
    arm_of,
    arms_record,
    assign_arms,
    experiment_from_record,
    holdout_experiment,
    promote,
    readout,
    stable_hash,
)
from recoup.core.strategy.paths import default_playbook

MASK = 2**64 - 1
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PINNED_ARMS = ["champion"] * 10 + ["holdout", "challenger-1", "champion", "champion", "holdout"]
PINNED_ARMS += ["challenger-1", "challenger-1", "champion", "champion", "champion"]


def _mix(z: int) -> int:
    z = (z + 0x9E3779B97F4A7C15) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def reference_hash(seed: str, creditor: str, account: str) -> int:
    """The documented hash, written independently in plain Python integers."""
    data = f"{seed}\x1f{creditor}\x1f{account}".encode()
    value = _mix(len(data))
    padded = data + b"\x00" * (-len(data) % 8)
    for start in range(0, len(padded), 8):
        value = _mix(value ^ int.from_bytes(padded[start : start + 8], "little"))
    return value


def _experiment(seed: str = "2026-q1", holdout: int = 1_000, challenger: int = 2_000) -> Experiment:
    challenger_book = replace(default_playbook(), name="challenger", version=2)
    return Experiment(
        "exp-1",
        seed,
        (
            Arm("champion", 10_000 - holdout - challenger),
            Arm("challenger-1", challenger, challenger_book),
            Arm("holdout", holdout),
        ),
    )


text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


@settings(max_examples=100, deadline=None)
@given(seed=text, keys=st.lists(st.tuples(text, text), min_size=1, max_size=20))
def test_the_hash_is_the_documented_function(seed: str, keys: list[tuple[str, str]]) -> None:
    hashed = stable_hash(seed, pl.Series([c for c, _ in keys]), pl.Series([a for _, a in keys]))
    assert [int(h) for h in hashed] == [reference_hash(seed, c, a) for c, a in keys]


def test_pinned_values_guard_against_an_accidental_change() -> None:
    """Changing the hash would move live accounts between arms mid-experiment: these values must not move."""
    assert (
        int(stable_hash("seed", pl.Series(["bank-1"]), pl.Series(["ACC-00001"]))[0]) == 18433809308925017988
    )
    arms = [arm_of(_experiment(), "bank-1", f"ACC-{i:05d}") for i in range(20)]
    assert arms == PINNED_ARMS


@settings(max_examples=50, deadline=None)
@given(keys=st.lists(st.tuples(text, text), min_size=1, max_size=30), seed=text)
def test_an_account_gets_the_same_arm_alone_or_in_any_batch(keys: list[tuple[str, str]], seed: str) -> None:
    experiment = _experiment(seed)
    frame = pl.DataFrame({"creditor_id": [c for c, _ in keys], "account_id": [a for _, a in keys]})
    batch = assign_arms(frame, experiment).to_list()
    reversed_batch = assign_arms(frame.reverse(), experiment).to_list()[::-1]
    assert batch == reversed_batch == [arm_of(experiment, c, a) for c, a in keys]


def test_arms_get_their_share_and_seeds_reshuffle() -> None:
    n = 200_000
    frame = pl.DataFrame({"creditor_id": ["bank-1"] * n, "account_id": [f"A{i}" for i in range(n)]})
    arms = assign_arms(frame, _experiment()).value_counts().sort("variant")
    shares = dict(zip(arms.get_column("variant"), arms.get_column("count"), strict=True))
    for name, expected in (("champion", 0.7), ("challenger-1", 0.2), ("holdout", 0.1)):
        # Binomial sd at n=200,000 is at most 0.0011: five of them is a generous bound.
        assert abs(shares[name] / n - expected) < 0.006
    other = assign_arms(frame, _experiment(seed="2026-q2"))
    same = (assign_arms(frame, _experiment()) == other).mean()
    assert 0.45 < same < 0.60  # independent draws agree with probability .7^2 + .2^2 + .1^2 = 0.54


def test_no_experiment_means_everyone_is_champion() -> None:
    frame = pl.DataFrame({"creditor_id": ["b"], "account_id": ["a"]})
    assert assign_arms(frame, None).to_list() == ["champion"]


@pytest.mark.parametrize(
    ("arms", "message"),
    [
        ((Arm("champion", 5_000), Arm("holdout", 4_000)), "sum to 10000"),
        ((Arm("challenger-1", 10_000),), "no 'champion' arm"),
        ((Arm("champion", 5_000), Arm("champion", 5_000)), "repeat"),
        ((Arm("champion", 5_000), Arm("holdout", 5_000, default_playbook())), "holdout arm has no playbook"),
    ],
)
def test_experiment_definitions_are_validated(arms: tuple[Arm, ...], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Experiment("e", "s", arms)


def _outcomes(rows: dict[str, list[tuple[int, int, bool, int]]]) -> pl.DataFrame:
    data = [
        {"variant": variant, "currency": "CNY", "recovered": r, "cost": c, "cured": cured, "complaints": k}
        for variant, items in rows.items()
        for r, c, cured, k in items
    ]
    return pl.DataFrame(data, schema=OUTCOME_SCHEMA)


def test_readout_means_intervals_and_differences_by_hand() -> None:
    result = readout(
        _outcomes(
            {
                "holdout": [(0, 0, False, 0), (100, 0, True, 0)],
                "champion": [(100, 10, True, 0), (300, 10, True, 1)],
            }
        )
    )
    row = result.arms.filter((pl.col("variant") == "champion") & (pl.col("metric") == "recovered")).row(
        0, named=True
    )
    z = 1.959963984540054
    assert row["n"] == 2 and row["total"] == 400 and row["mean"] == 200
    assert row["hi"] - row["mean"] == pytest.approx(z * math.sqrt(20_000 / 2))
    diff = result.differences.filter(
        (pl.col("variant") == "champion")
        & (pl.col("baseline") == "holdout")
        & (pl.col("metric") == "recovered")
    ).row(0, named=True)
    assert diff["difference"] == 150
    assert diff["hi"] - diff["difference"] == pytest.approx(z * math.sqrt(20_000 / 2 + 5_000 / 2))
    cure = result.arms.filter((pl.col("variant") == "holdout") & (pl.col("metric") == "cured")).row(
        0, named=True
    )
    assert cure["mean"] == 0.5 and cure["total"] is None
    net = result.differences.filter(
        (pl.col("variant") == "champion") & (pl.col("baseline") == "holdout") & (pl.col("metric") == "net")
    ).item(0, "difference")
    assert net == 140


def _significant_outcomes() -> pl.DataFrame:
    return _outcomes(
        {
            "holdout": [(0, 0, False, 0), (10, 0, False, 0)] * 50,
            "champion": [(100, 10, True, 0), (120, 10, False, 0)] * 50,
            "challenger-1": [(300, 10, True, 0), (320, 10, True, 0)] * 50,
        }
    )


def test_promotion_is_explicit_and_returns_the_new_config_and_a_record() -> None:
    experiment = _experiment()
    champions = {"*": default_playbook()}
    at = datetime(2026, 4, 1, 9, tzinfo=UTC)
    done = promote(
        experiment,
        "challenger-1",
        champions,
        readout(_significant_outcomes()),
        approved_by="supervisor-7",
        at=at,
        reason="Q1 readout",
    )
    assert done.champions["*"].label == "challenger@v2"
    assert champions["*"].label == "default@v2"  # the input is not changed
    assert [(a.name, a.weight, a.playbook) for a in done.experiment.arms] == [
        (a.name, a.weight, None) for a in experiment.arms
    ]
    record = done.record.to_dict()
    assert record["event"] == "strategy.promoted"
    assert (record["previous"], record["promoted"], record["approved_by"]) == (
        "default@v2",
        "challenger@v2",
        "supervisor-7",
    )
    assert record["at"] == "2026-04-01T09:00:00+00:00"
    assert any(e["metric"] == "net" and e["lo"] > 0 for e in record["evidence"])


def test_promotion_is_refused_without_evidence_or_approval() -> None:
    experiment = _experiment()
    champions = {"*": default_playbook()}
    at = datetime(2026, 4, 1, tzinfo=UTC)
    weak = readout(
        _outcomes(
            {
                "champion": [(100, 0, True, 0), (0, 0, False, 0)] * 5,
                "challenger-1": [(110, 0, True, 0), (0, 0, False, 0)] * 5,
            }
        )
    )
    with pytest.raises(Conflict, match="does not beat the champion"):
        promote(experiment, "challenger-1", champions, weak, approved_by="x", at=at, reason="r")
    forced = promote(
        experiment,
        "challenger-1",
        champions,
        weak,
        approved_by="x",
        at=at,
        reason="r",
        require_significant=False,
    )
    assert forced.record.promoted == "challenger@v2"
    with pytest.raises(ValidationError, match="who approved"):
        promote(experiment, "challenger-1", champions, weak, approved_by=" ", at=at, reason="r")
    with pytest.raises(ValidationError, match="no challenger playbook"):
        promote(experiment, "holdout", champions, weak, approved_by="x", at=at, reason="r")
    with pytest.raises(ValidationError, match="time zone"):
        promote(
            experiment, "challenger-1", champions, weak, approved_by="x", at=datetime(2026, 4, 1), reason="r"
        )


# --- storage form, holdout experiments, outcomes -----------------------------------------------------


def test_an_experiment_survives_its_storage_form() -> None:
    book = replace(default_playbook(), name="bolder", version=2)
    experiment = holdout_experiment("exp-1", "s", 500, [(book, 1000)])
    stored = arms_record(experiment)
    assert stored == [
        {"name": "champion", "weight": 8500, "playbook": None},
        {"name": "challenger-1", "weight": 1000, "playbook": "bolder@v2"},
        {"name": "holdout", "weight": 500, "playbook": None},
    ]
    assert experiment_from_record("exp-1", "s", stored, {"bolder@v2": book}) == experiment
    with pytest.raises(ValidationError, match="bolder@v2"):
        experiment_from_record("exp-1", "s", stored, {})


@pytest.mark.parametrize(
    ("holdout", "challenger", "message"),
    [(-1, 0, "parts"), (9000, 1001, "parts"), (0, 0, None), (10_000, 0, None)],
)
def test_holdout_experiments_check_their_shares(holdout: int, challenger: int, message: str | None) -> None:
    challengers = [(replace(default_playbook(), name="c"), challenger)] if challenger else []
    if message is None:
        experiment = holdout_experiment("e", "s", holdout, challengers)
        assert sum(arm.weight for arm in experiment.arms) == 10_000
        assert (HOLDOUT in [a.name for a in experiment.arms]) == (holdout > 0)
    else:
        with pytest.raises(ValidationError, match=message):
            holdout_experiment("e", "s", holdout, challengers)


@pytest.mark.parametrize("bad", ["", "a b", "x'; DROP TABLE accounts; --", "-lead", "é", "x" * 65])
def test_experiment_ids_are_plain_names(bad: str) -> None:
    with pytest.raises(ValidationError, match="experiment id"):
        holdout_experiment(bad, "s", 500)


@given(
    keys=st.lists(st.tuples(st.text(max_size=6), st.text(min_size=1, max_size=10)), min_size=1, max_size=50),
    weights=st.lists(st.integers(min_value=1, max_value=2000), min_size=1, max_size=3),
    holdout=st.integers(min_value=1, max_value=3000),
    promoted=st.integers(min_value=0, max_value=2),
)
@settings(max_examples=60, deadline=None)
def test_promoting_a_challenger_moves_no_account_to_another_arm(
    keys: list[tuple[str, str]], weights: list[int], holdout: int, promoted: int
) -> None:
    books = [(replace(default_playbook(), name=f"c{i}"), w) for i, w in enumerate(weights)]
    experiment = holdout_experiment("e", "seed", holdout, books)
    arm = f"challenger-{promoted % len(weights) + 1}"
    frame = pl.DataFrame({"creditor_id": [k[0] for k in keys], "account_id": [k[1] for k in keys]})
    before = assign_arms(frame, experiment)
    result = readout(pl.DataFrame(schema=OUTCOME_SCHEMA))
    after = assign_arms(
        frame,
        promote(
            experiment, arm, {}, result, approved_by="lead", at=NOW, reason="r", require_significant=False
        ).experiment,
    )
    assert before.to_list() == after.to_list()


def test_account_outcomes_are_intent_to_treat() -> None:
    experiment = holdout_experiment("e", "s", 5000)
    accounts = pl.DataFrame(
        {
            "account_key": [1, 2, 3],
            "creditor_id": ["b", "b", "b"],
            "account_id": ["A1", "A2", "A3"],
            "currency": ["CNY", "CNY", "USD"],
            "balance": [0, 500, 1200],
        }
    )
    outcomes = account_outcomes(
        accounts,
        payments=pl.DataFrame({"account_key": [1, 1, 3], "amount": [300, 200, 50]}),
        actions=pl.DataFrame(
            {"account_key": [1, 2, 2], "cost": [5, 5, None]}, schema_overrides={"cost": pl.Int64}
        ),
        complaints=pl.DataFrame({"account_key": [2, 2]}),
        experiment=experiment,
    )
    arms = [arm_of(experiment, "b", a) for a in ("A1", "A2")] + [arm_of(experiment, "b", "A3")]
    assert outcomes.to_dicts() == [
        {"variant": arms[0], "currency": "CNY", "recovered": 500, "cost": 5, "cured": True, "complaints": 0},
        {"variant": arms[1], "currency": "CNY", "recovered": 0, "cost": 5, "cured": False, "complaints": 2},
        {"variant": arms[2], "currency": "USD", "recovered": 50, "cost": 0, "cured": False, "complaints": 0},
    ]
