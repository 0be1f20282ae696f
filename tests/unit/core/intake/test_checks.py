from __future__ import annotations

import polars as pl

from recoup.core.intake.checks import (
    REJECT_SCHEMA,
    Check,
    Parsed,
    duplicate_key,
    evaluate,
    format_rejects,
    missing_columns,
    prepare,
    typed_frame,
)
from recoup.core.intake.common import boolean, date


def test_format_rejects_names_file_row_and_column() -> None:
    rejects = pl.DataFrame(
        [
            {"row": None, "column": "principal", "reason": "required column is missing"},
            {"row": 7, "column": "principal", "reason": "'12.345' has 3 decimals; CNY has 2"},
            {"row": 9, "column": None, "reason": "something about the whole row"},
        ],
        schema=REJECT_SCHEMA,
    )
    assert format_rejects(rejects, "accounts.csv") == [
        "accounts.csv, column principal: required column is missing",
        "accounts.csv, row 7, column principal: '12.345' has 3 decimals; CNY has 2",
        "accounts.csv, row 9: something about the whole row",
    ]


def test_several_problems_in_one_row_give_several_lines_in_column_order() -> None:
    frame = pl.DataFrame({"row": [2, 3], "b": ["x", "2026-01-01"], "a": ["maybe", "true"]})
    typed, rejects = evaluate(frame, {"a": boolean("a"), "b": date("b")}, column_order=["b", "a"])
    assert typed["row"].to_list() == [3]
    assert rejects.rows() == [
        (2, "b", "'x' is not a date (YYYY-MM-DD)"),
        (2, "a", "'maybe' is not true or false"),
    ]


def test_a_clean_frame_has_no_rejects_and_keeps_every_row() -> None:
    frame = pl.DataFrame({"row": [2, 3], "a": ["true", "FALSE"]})
    typed, rejects = evaluate(frame, {"a": boolean("a")}, column_order=["a"])
    assert typed.rows() == [(True, 2), (False, 3)]
    assert rejects.schema == pl.Schema(REJECT_SCHEMA)
    assert rejects.is_empty()


def test_helpers_are_computed_once_even_when_shared() -> None:
    shared = (pl.col("a").str.to_uppercase().alias("__shared"),)
    first = Parsed(pl.col("__shared"), helpers=(shared,))
    second = Parsed(pl.col("__shared").str.len_chars(), helpers=(shared,))
    frame = pl.DataFrame({"row": [2], "a": ["x"]})
    typed, _ = evaluate(frame, {"one": first, "two": second}, column_order=["a"])
    assert typed.rows() == [("X", 1, 2)]


def test_messages_may_use_whole_frame_helpers() -> None:
    frame = prepare(pl.DataFrame({"k": ["a", "b", "a", "a"]}), ["k"])
    _, rejects = evaluate(frame, {}, column_order=["k"], rules=[duplicate_key(("k",), column="k")])
    assert rejects.rows() == [
        (4, "k", "duplicate k: row 2 has the same one"),
        (5, "k", "duplicate k: row 2 has the same one"),
    ]


def test_prepare_numbers_rows_and_turns_empty_cells_into_nulls() -> None:
    frame = prepare(pl.DataFrame({"a": ["x", ""]}), ["a", "b"])
    assert frame.select("row", "a", "b").rows() == [(2, "x", None), (3, None, None)]


def test_missing_columns_and_typed_frames() -> None:
    assert missing_columns(pl.DataFrame({"a": ["x"]}), ["a", "b"]).rows() == [
        (None, "b", "required column is missing")
    ]
    typed = typed_frame(pl.DataFrame({"a": ["1"], "row": [2]}), {"a": pl.String(), "b": pl.Int64()}, "row")
    assert typed.schema == pl.Schema({"a": pl.String(), "b": pl.Int64(), "row": pl.Int64()})


def test_one_reason_per_column_the_first_that_applies() -> None:
    frame = pl.DataFrame({"row": [2], "a": ["zz"]})
    first = Check("a", pl.lit(True), pl.lit("first"))
    second = Check("a", pl.lit(True), pl.lit("second"))
    _, rejects = evaluate(frame, {"a": Parsed(pl.col("a"), [first, second])}, column_order=["a"])
    assert rejects.rows() == [(2, "a", "first")]
