"""Champion/challenger: stable arm assignment, the readout with confidence intervals, and promotion.

Assignment is a pure function of (experiment seed, creditor_id, account_id): the same account is in the
same arm on every run, on every machine, whatever else is in the batch. The key is the UTF-8 text
``seed + US + creditor_id + US + account_id`` (US = the unit separator, 0x1F); its hash is

    h = splitmix64(length in bytes); then per 8-byte little-endian word w (zero-padded): h = splitmix64(h ^ w)

and the arm is the one whose cumulative weight (parts of 10,000) first exceeds ((h >> 32) x 10,000) >> 32.
The words are cut by Polars and mixed by NumPy for the whole column at once; `arm_of` runs the same code
on one row.

The holdout arm gets no collection action (only what the law requires, which in Recoup's actions is
nothing). The readout compares arms on per-account outcomes with normal-approximation intervals; the
promotion of a challenger is an explicit act that returns the new configuration and a record for the
audit chain.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from statistics import NormalDist
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import polars as pl

from recoup.core.errors import Conflict, ValidationError
from recoup.core.strategy.paths import Playbook

HOLDOUT: Final = "holdout"
EXPERIMENT_ID: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")
CHAMPION: Final = "champion"
PARTS: Final = 10_000
_SEPARATOR: Final = "\x1f"
_GOLDEN: Final = np.uint64(0x9E3779B97F4A7C15)
_MIX1: Final = np.uint64(0xBF58476D1CE4E5B9)
_MIX2: Final = np.uint64(0x94D049BB133111EB)

U64 = npt.NDArray[np.uint64]


@dataclass(frozen=True, slots=True)
class Arm:
    name: str  # "champion", "challenger-1", ..., "holdout"
    weight: int  # parts of 10,000
    playbook: Playbook | None = None  # None: the champion's playbooks (per creditor)


@dataclass(frozen=True, slots=True)
class Experiment:
    id: str
    seed: str
    arms: tuple[Arm, ...]

    def __post_init__(self) -> None:
        if not EXPERIMENT_ID.fullmatch(self.id):
            raise ValidationError(
                f"experiment id {self.id!r}: 1 to 64 letters, digits, '_', '-', '.' or ':', "
                "starting with a letter or digit",
                field="id",
            )
        names = [arm.name for arm in self.arms]
        if len(set(names)) != len(names):
            raise ValidationError(f"experiment {self.id}: arm names repeat: {names}", field="arms")
        if CHAMPION not in names:
            raise ValidationError(f"experiment {self.id}: no {CHAMPION!r} arm", field="arms")
        if any(arm.weight < 0 for arm in self.arms) or sum(arm.weight for arm in self.arms) != PARTS:
            raise ValidationError(
                f"experiment {self.id}: arm weights must be non-negative and sum to {PARTS}", field="arms"
            )
        if any(arm.name == HOLDOUT and arm.playbook is not None for arm in self.arms):
            raise ValidationError(f"experiment {self.id}: the holdout arm has no playbook", field="arms")
        if any(arm.name == CHAMPION and arm.playbook is not None for arm in self.arms):
            raise ValidationError(
                f"experiment {self.id}: the champion arm uses the champion playbooks; promote to change them",
                field="arms",
            )

    def arm(self, name: str) -> Arm:
        for arm in self.arms:
            if arm.name == name:
                return arm
        raise ValidationError(f"experiment {self.id} has no arm {name!r}", field="arm")


def _splitmix(values: U64) -> U64:
    z = values + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


def stable_hash(seed: str, creditor_id: pl.Series, account_id: pl.Series) -> U64:
    """The 64-bit hash of (seed, creditor_id, account_id) per row (see the module docstring)."""
    key = pl.concat_str([pl.lit(seed), pl.lit(_SEPARATOR), pl.col("c"), pl.lit(_SEPARATOR), pl.col("a")])
    frame = pl.DataFrame({"c": creditor_id.cast(pl.String), "a": account_id.cast(pl.String)}).select(
        size=key.str.len_bytes().cast(pl.UInt64),
        padded=pl.concat_str([key, pl.lit("\x00" * 8)]).cast(pl.Binary),
    )
    if frame.height == 0:
        return np.zeros(0, dtype=np.uint64)
    if frame.get_column("size").null_count():
        raise ValidationError(
            "creditor_id and account_id are required for arm assignment", field="account_id"
        )
    size = frame.get_column("size").to_numpy()
    words = int(-(-int(size.max()) // 8))
    # Rows shorter than the longest have no word j past their end: null there, masked out below.
    chunks = frame.select(
        [
            pl.col("padded")
            .bin.slice(8 * j, 8)
            .bin.reinterpret(dtype=pl.UInt64, endianness="little")
            .fill_null(0)
            .alias(str(j))
            for j in range(words)
        ]
    )
    hashed = _splitmix(size.astype(np.uint64))
    with np.errstate(over="ignore"):
        for j in range(words):
            mixed = _splitmix(hashed ^ chunks.get_column(str(j)).to_numpy().astype(np.uint64))
            hashed = np.where(np.uint64(8 * j) < size, mixed, hashed)
    return hashed.astype(np.uint64)


def _arm_index(hashed: U64, weights: Sequence[int]) -> npt.NDArray[np.intp]:
    bucket = ((hashed >> np.uint64(32)) * np.uint64(PARTS)) >> np.uint64(32)
    edges = np.cumsum(np.asarray(weights, dtype=np.uint64))
    return np.searchsorted(edges, bucket, side="right")


def assign_arms(frame: pl.DataFrame, experiment: Experiment | None) -> pl.Series:
    """The arm (``variant``) of every row of ``frame`` (columns creditor_id, account_id)."""
    if experiment is None:
        return pl.Series("variant", [CHAMPION] * frame.height, dtype=pl.String)
    hashed = stable_hash(experiment.seed, frame.get_column("creditor_id"), frame.get_column("account_id"))
    names = pl.Series("variant", [arm.name for arm in experiment.arms], dtype=pl.String)
    return names.gather(_arm_index(hashed, [arm.weight for arm in experiment.arms]))


def arm_of(experiment: Experiment | None, creditor_id: str, account_id: str) -> str:
    """The arm of one account (the same code as `assign_arms`, on one row)."""
    one = pl.DataFrame({"creditor_id": [creditor_id], "account_id": [account_id]})
    return str(assign_arms(one, experiment).item())


# --- readout -----------------------------------------------------------------------------------------

# Per-account outcomes the readout compares; money as minor units of `currency`.
OUTCOME_SCHEMA: Final[dict[str, pl.DataType]] = {
    "variant": pl.String(),
    "currency": pl.String(),
    "recovered": pl.Int64(),
    "cost": pl.Int64(),
    "cured": pl.Boolean(),
    "complaints": pl.Int64(),
}
METRICS: Final = ("recovered", "net", "cost", "cured", "complaints")


@dataclass(frozen=True, slots=True)
class Readout:
    """``arms``: per (currency, variant, metric) n, mean and CI; ``differences``: arm minus baseline."""

    arms: pl.DataFrame
    differences: pl.DataFrame
    confidence: float


def _metric_columns(outcomes: pl.DataFrame) -> pl.DataFrame:
    return outcomes.select(
        pl.col("currency").fill_null(""),
        pl.col("variant"),
        recovered=pl.col("recovered").fill_null(0).cast(pl.Float64),
        net=(pl.col("recovered").fill_null(0) - pl.col("cost").fill_null(0)).cast(pl.Float64),
        cost=pl.col("cost").fill_null(0).cast(pl.Float64),
        cured=pl.col("cured").fill_null(False).cast(pl.Float64),
        complaints=pl.col("complaints").fill_null(0).cast(pl.Float64),
    )


def readout(outcomes: pl.DataFrame, *, confidence: float = 0.95) -> Readout:
    """Recovered, net of cost, cost, cure rate and complaints per account, per arm and currency, with CIs.

    Intervals are the normal approximation on per-account outcomes (mean +- z x sd / sqrt(n)); a
    difference uses sqrt(var_a / n_a + var_b / n_b). Differences are every arm against ``holdout`` and
    every challenger against ``champion``, within one currency. Means of money are statistics in minor
    units (floats); totals stay integers.
    """
    z = NormalDist().inv_cdf(0.5 + confidence / 2.0)
    long = _metric_columns(outcomes).unpivot(
        index=["currency", "variant"], on=list(METRICS), variable_name="metric", value_name="value"
    )
    arms = (
        long.group_by("currency", "variant", "metric")
        .agg(n=pl.len(), total=pl.col("value").sum(), mean=pl.col("value").mean(), var=pl.col("value").var())
        .with_columns(var=pl.col("var").fill_null(0.0))
        .with_columns(half=z * (pl.col("var") / pl.col("n")).sqrt())
        .with_columns(lo=pl.col("mean") - pl.col("half"), hi=pl.col("mean") + pl.col("half"))
        .sort("currency", "variant", "metric")
    )
    differences = _differences(arms, z)
    total_is_integer = pl.col("metric") != "cured"
    arms_out = arms.select(
        "currency",
        "variant",
        "metric",
        "n",
        total=pl.when(total_is_integer).then(pl.col("total").round().cast(pl.Int64)),
        mean="mean",
        lo="lo",
        hi="hi",
    )
    return Readout(arms=arms_out, differences=differences, confidence=confidence)


def _differences(arms: pl.DataFrame, z: float) -> pl.DataFrame:
    base = arms.select("currency", "metric", baseline="variant", n_b="n", mean_b="mean", var_b="var").filter(
        pl.col("baseline").is_in([HOLDOUT, CHAMPION])
    )
    pairs = arms.join(base, on=["currency", "metric"], how="inner").filter(
        (pl.col("variant") != pl.col("baseline"))
        & ((pl.col("baseline") == HOLDOUT) | (pl.col("variant") != HOLDOUT))
    )
    se = (pl.col("var") / pl.col("n") + pl.col("var_b") / pl.col("n_b")).sqrt()
    return (
        pairs.with_columns(difference=pl.col("mean") - pl.col("mean_b"), half=z * se)
        .select(
            "currency",
            "variant",
            "baseline",
            "metric",
            "difference",
            lo=pl.col("difference") - pl.col("half"),
            hi=pl.col("difference") + pl.col("half"),
        )
        .sort("currency", "variant", "baseline", "metric")
    )


# --- promotion ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PromotionRecord:
    """What the lead appends to the audit chain when a challenger becomes the champion."""

    experiment_id: str
    arm: str
    creditor_id: str
    previous: str | None  # label of the champion playbook replaced, if any
    promoted: str
    approved_by: str
    at: datetime
    reason: str
    evidence: tuple[dict[str, Any], ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {
            "event": "strategy.promoted",
            "experiment_id": self.experiment_id,
            "arm": self.arm,
            "creditor_id": self.creditor_id,
            "previous": self.previous,
            "promoted": self.promoted,
            "approved_by": self.approved_by,
            "at": self.at.isoformat(),
            "reason": self.reason,
            "evidence": list(self.evidence),
        }


@dataclass(frozen=True, slots=True)
class Promotion:
    champions: dict[str, Playbook]  # the new champion playbooks by creditor ("*" default)
    experiment: Experiment  # the promoted arm now runs the champion playbooks; no account changes arm
    record: PromotionRecord


def promote(
    experiment: Experiment,
    arm: str,
    champions: Mapping[str, Playbook],
    result: Readout,
    *,
    approved_by: str,
    at: datetime,
    reason: str,
    metric: str = "net",
    require_significant: bool = True,
) -> Promotion:
    """Make challenger ``arm``'s playbook the champion for its creditor: an explicit, recorded act.

    Refused (Conflict) unless, when ``require_significant``, the challenger beats the champion on
    ``metric`` with the readout's whole confidence interval above zero in every currency it was measured
    in. The returned experiment keeps the arm where it was, now on the champion playbooks: arms are
    ranges of one hash, so removing one would move the accounts of the arms after it.
    """
    if not approved_by.strip():
        raise ValidationError("a promotion needs the name of who approved it", field="approved_by")
    if at.tzinfo is None:
        raise ValidationError("the promotion time must carry a time zone", field="at")
    challenger = experiment.arm(arm)
    if challenger.playbook is None or arm in (CHAMPION, HOLDOUT):
        raise ValidationError(f"arm {arm!r} has no challenger playbook to promote", field="arm")
    evidence = result.differences.filter((pl.col("variant") == arm) & (pl.col("baseline") == CHAMPION))
    decisive = evidence.filter(pl.col("metric") == metric)
    if require_significant and (decisive.height == 0 or decisive.get_column("lo").min() <= 0):  # type: ignore[operator]
        raise Conflict(
            f"{arm} does not beat the champion on {metric} with confidence {result.confidence:.0%}"
        )
    playbook = challenger.playbook
    previous = champions.get(playbook.creditor_id)
    new_champions = {**champions, playbook.creditor_id: playbook}
    arms = tuple(replace(a, playbook=None) if a.name == arm else a for a in experiment.arms)
    record = PromotionRecord(
        experiment_id=experiment.id,
        arm=arm,
        creditor_id=playbook.creditor_id,
        previous=previous.label if previous is not None else None,
        promoted=playbook.label,
        approved_by=approved_by,
        at=at,
        reason=reason,
        evidence=tuple(evidence.to_dicts()),
    )
    return Promotion(new_champions, replace(experiment, arms=arms), record)


# --- storage form ------------------------------------------------------------------------------------


def arms_record(experiment: Experiment) -> list[dict[str, Any]]:
    """The arms as stored: name, weight and the label of the arm's playbook (null: champion, holdout)."""
    return [
        {"name": a.name, "weight": a.weight, "playbook": a.playbook.label if a.playbook else None}
        for a in experiment.arms
    ]


def experiment_from_record(
    experiment_id: str, seed: str, arms: Sequence[Mapping[str, Any]], playbooks: Mapping[str, Playbook]
) -> Experiment:
    """Rebuild a stored experiment; ``playbooks`` maps labels (``name@vN``) to the challengers' playbooks."""
    built = []
    for arm in arms:
        label = arm.get("playbook")
        if label is not None and label not in playbooks:
            raise ValidationError(
                f"experiment {experiment_id}: arm {arm.get('name')!r} names playbook {label!r}, "
                "which is not loaded",
                field="arms",
            )
        built.append(Arm(str(arm["name"]), int(arm["weight"]), playbooks[label] if label else None))
    return Experiment(experiment_id, seed, tuple(built))


def holdout_experiment(
    experiment_id: str, seed: str, holdout: int, challengers: Sequence[tuple[Playbook, int]] = ()
) -> Experiment:
    """An experiment of the champion, challengers ``challenger-1..n`` with their weights, and a holdout of
    ``holdout`` parts of 10,000; the champion gets what is left."""
    taken = holdout + sum(weight for _, weight in challengers)
    if holdout < 0 or taken > PARTS:
        raise ValidationError(
            f"experiment {experiment_id}: holdout and challengers take {taken} of {PARTS} parts; "
            "at most all of them",
            field="arms",
        )
    arms = [Arm(CHAMPION, PARTS - taken)]
    arms += [Arm(f"challenger-{i}", weight, book) for i, (book, weight) in enumerate(challengers, 1)]
    if holdout:
        arms.append(Arm(HOLDOUT, holdout))
    return Experiment(experiment_id, seed, tuple(arms))


# --- outcomes ----------------------------------------------------------------------------------------


def account_outcomes(
    accounts: pl.DataFrame,
    payments: pl.DataFrame,
    actions: pl.DataFrame,
    complaints: pl.DataFrame,
    experiment: Experiment,
) -> pl.DataFrame:
    """One OUTCOME_SCHEMA row per account (intent to treat: every account in ``accounts`` is in its arm,
    treated or not).

    ``accounts``: account_key, creditor_id, account_id, currency, balance (now); ``payments``:
    account_key, amount; ``actions``: account_key, cost; ``complaints``: account_key. The caller limits
    payments, actions and complaints to the experiment's dates. Cured: nothing left to pay.
    """
    recovered = payments.group_by("account_key").agg(recovered=pl.col("amount").sum())
    cost = actions.group_by("account_key").agg(cost=pl.col("cost").fill_null(0).sum())
    complained = complaints.group_by("account_key").agg(complaints=pl.len().cast(pl.Int64))
    return (
        accounts.with_columns(variant=assign_arms(accounts, experiment))
        .join(recovered, on="account_key", how="left")
        .join(cost, on="account_key", how="left")
        .join(complained, on="account_key", how="left")
        .select(
            "variant",
            "currency",
            recovered=pl.col("recovered").fill_null(0).cast(pl.Int64),
            cost=pl.col("cost").fill_null(0).cast(pl.Int64),
            cured=pl.col("balance") <= 0,
            complaints=pl.col("complaints").fill_null(0).cast(pl.Int64),
        )
    )
