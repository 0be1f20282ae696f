from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from recoup.core.strategy.segments import (
    HOLD,
    SEGMENTS,
    VULNERABLE,
    SegmentRules,
    assign_segments,
    segment_of,
)

FLAGS = ["dispute", "cease", "bankrupt", "deceased", "attorney", "vulnerable", "complaint", "military"]
scores = st.one_of(st.none(), st.floats(0.0, 1.0))
accounts = st.fixed_dictionaries(
    {
        "ability_score": scores,
        "willingness_score": scores,
        "flags": st.one_of(st.none(), st.lists(st.sampled_from(FLAGS), unique=True).map(";".join)),
        "balance": st.integers(-1_000, 10**10),
        "currency": st.sampled_from(["CNY", "USD", "JPY", "XXX"]),
        "status": st.sampled_from(["active", "active", "recalled", "paid"]),
    }
)


def _frame(rows: list[dict[str, object]]) -> pl.DataFrame:
    schema = {
        "ability_score": pl.Float64,
        "willingness_score": pl.Float64,
        "flags": pl.String,
        "balance": pl.Int64,
        "currency": pl.String,
        "status": pl.String,
    }
    return pl.DataFrame(rows, schema=schema)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(accounts, min_size=1, max_size=30), ability=st.floats(0.05, 0.95), band=st.integers(1, 50)
)
def test_scalar_and_batch_segments_agree(rows: list[dict[str, object]], ability: float, band: int) -> None:
    rules = SegmentRules(ability_threshold=ability, medium_from_major=band, large_from_major=band * 10)
    batch = assign_segments(_frame(rows), rules)
    for row, (segment, reason, band_name) in zip(
        rows, batch.select("segment", "hold_reason", "balance_band").rows(), strict=True
    ):
        one = segment_of(
            ability=row["ability_score"],  # type: ignore[arg-type]
            willingness=row["willingness_score"],  # type: ignore[arg-type]
            flags=row["flags"],  # type: ignore[arg-type]
            balance=row["balance"],  # type: ignore[arg-type]
            currency=row["currency"],  # type: ignore[arg-type]
            status=row["status"],  # type: ignore[arg-type]
            rules=rules,
        )
        assert (one.name, one.hold_reason, one.balance_band) == (segment, reason, band_name)
        assert segment in SEGMENTS


def test_holds_come_before_vulnerability_and_the_grid() -> None:
    common = {"ability": 0.9, "willingness": 0.9, "balance": 100_00, "currency": "CNY"}
    assert segment_of(flags="vulnerable;dispute", **common).name == HOLD  # type: ignore[arg-type]
    assert segment_of(flags="dispute", **common).hold_reason == "dispute"  # type: ignore[arg-type]
    assert segment_of(flags="vulnerable;complaint", **common).name == VULNERABLE  # type: ignore[arg-type]
    assert segment_of(flags=None, status="recalled", **common).hold_reason == "recalled"  # type: ignore[arg-type]
    assert (
        segment_of(flags=None, ability=0.9, willingness=0.9, balance=0, currency="CNY").hold_reason == "paid"
    )


def test_grid_cells_and_unknown_scores() -> None:
    def cell(ability: float | None, willingness: float | None) -> str:
        return segment_of(ability=ability, willingness=willingness, flags="", balance=1, currency="CNY").name

    assert cell(0.5, 0.5) == "able_willing"
    assert cell(0.7, 0.2) == "able_unwilling"
    assert cell(0.2, 0.7) == "unable_willing"
    assert cell(0.1, 0.1) == "unable_unwilling"
    # Without a score the gentler reading: unknown ability is unable, unknown willingness is willing.
    assert cell(None, None) == "unable_willing"


def test_balance_bands_follow_the_currency_exponent() -> None:
    rules = SegmentRules()
    assert (
        segment_of(ability=1, willingness=1, flags="", balance=999_99, currency="CNY").balance_band == "small"
    )
    assert (
        segment_of(ability=1, willingness=1, flags="", balance=1_000_00, currency="CNY").balance_band
        == "medium"
    )
    assert segment_of(
        ability=1, willingness=1, flags="", balance=10_000, currency="JPY", rules=rules
    ).balance_band == ("large")
    assert segment_of(ability=1, willingness=1, flags="", balance=10, currency="XXX").balance_band is None
