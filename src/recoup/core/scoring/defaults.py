"""Built-in expert scorecards: what the daily run scores with until a trained model is promoted.

They are judgement, not estimates: points a collections manager would agree with (an unemployed debtor
whose debt is two years of income is less able to pay; three broken promises in sixty days mean less
willing), on the same points scale as trained scorecards (20 points double the odds; 487 points are
even odds). Their probabilities are not calibrated against any data, which is why every decision records
the model version that scored it (``builtin-ability-v1``, ``builtin-willingness-v2``) and why training
and promoting a model on the portfolio's own history should follow as soon as it has some.
"""

from __future__ import annotations

from typing import Final

from recoup.core.scoring.calibration import IDENTITY
from recoup.core.scoring.scorecard import DEFAULT_OFFSET, Characteristic, ScorecardTable
from recoup.core.scoring.scorer import CalibratedScorer

BUILTIN_VERSIONS: Final = {"ability": "builtin-ability-v1", "willingness": "builtin-willingness-v2"}


def _numeric(
    feature: str, splits: tuple[float, ...], points: tuple[float, ...], missing: float
) -> Characteristic:
    """Bins [-inf, s0), [s0, s1), ..., [s_last, inf) with their points, then missing (and unused unknown)."""
    if len(points) != len(splits) + 1:
        raise ValueError(f"{feature}: {len(splits)} splits need {len(splits) + 1} points")
    size = len(points) + 2
    return Characteristic(
        feature=feature,
        categorical=False,
        splits=splits,
        groups=(),
        points=(*points, missing, 0.0),
        woe=(0.0,) * size,
        goods=(0,) * size,
        bads=(0,) * size,
    )


def _categorical(feature: str, points: dict[str, float], missing: float, unknown: float) -> Characteristic:
    size = len(points) + 2
    return Characteristic(
        feature=feature,
        categorical=True,
        splits=(),
        groups=tuple((category,) for category in points),
        points=(*points.values(), missing, unknown),
        woe=(0.0,) * size,
        goods=(0,) * size,
        bads=(0,) * size,
    )


ABILITY_TABLE: Final = ScorecardTable(
    characteristics=(
        _numeric("debt_to_income", (0.25, 0.5, 1.0, 2.0), (25, 10, 0, -15, -30), missing=-5),
        _categorical(
            "employment_status",
            {
                "employed": 15,
                "self_employed": 5,
                "retired": 0,
                "student": -10,
                "unemployed": -30,
                "unknown": -5,
            },
            missing=-5,
            unknown=-5,
        ),
        _categorical("debtor_type", {"individual": 0, "sme": -5, "enterprise": 5}, missing=0, unknown=0),
        _numeric("dpd", (31, 91, 181, 361), (20, 10, 0, -10, -20), missing=0),
        _numeric("paid_share", (0.05, 0.2, 0.5), (0, 10, 20, 25), missing=0),
        _numeric("promises_kept", (1, 3), (0, 10, 20), missing=0),
        _numeric("promises_broken", (1, 3), (0, -10, -20), missing=0),
        _numeric("days_since_last_payment", (31, 91, 366), (20, 10, 0, -10), missing=-10),
    ),
    base_points=DEFAULT_OFFSET,
)

WILLINGNESS_TABLE: Final = ScorecardTable(
    characteristics=(
        _numeric("broken_promises_60d", (1, 2, 3), (0, -20, -35, -50), missing=0),
        _numeric("promise_kept_rate", (0.34, 0.67), (-20, 0, 20), missing=0),
        # No payment on record is not evidence of unwillingness: fresh placements start neutral.
        _numeric("days_since_last_payment", (31, 91, 181), (35, 15, 0, -10), missing=0),
        _numeric("payments_90d", (1, 3), (0, 10, 20), missing=0),
        _numeric("dpd", (31, 91, 181), (20, 5, -5, -15), missing=0),
        _numeric("call_rpc_rate", (0.05, 0.2), (-15, 0, 10), missing=0),
        _numeric("contacts_inbound", (1, 3), (0, 15, 25), missing=0),
        _numeric("dispute_open", (0.5,), (0, -40), missing=0),
        _numeric("complaints_count", (1,), (0, -15), missing=0),
        _numeric("wrong_party_count", (1,), (0, -10), missing=0),
    ),
    base_points=DEFAULT_OFFSET,  # even odds: an account with no history is neither willing nor unwilling
)


def builtin_scorer(kind: str) -> CalibratedScorer:
    """The expert scorecard for ``kind`` (ability or willingness), with an identity calibration."""
    tables = {"ability": ABILITY_TABLE, "willingness": WILLINGNESS_TABLE}
    if kind not in tables:
        raise ValueError(f"unknown score kind {kind!r}; choose ability or willingness")
    return CalibratedScorer(tables[kind], IDENTITY)
