from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from recoup.core.payment_file import (
    amount_reason,
    cells,
    currency_digits,
    time_reason,
    with_amounts,
    with_times,
)


def test_cells_number_rows_from_two_and_turn_empty_cells_into_nulls() -> None:
    frame = cells(pl.DataFrame({"amount": ["1.00", ""]}), ["amount", "currency"])
    assert frame.rows() == [(2, "1.00", None), (3, None, None)]


def test_amounts_in_minor_units_with_a_reason_for_each_refusal() -> None:
    texts = ["1234.5", "0.01", "1,000.00", "1e3", "1.001", "-5", "0", "1234567890123456", None]
    frame = with_amounts(
        cells(pl.DataFrame({"amount": texts}, schema={"amount": pl.String}), ["amount"]),
        "amount",
        currency_digits(pl.lit("CNY")),
    ).with_columns(reason=pl.when(~pl.col("__amount_ok")).then(amount_reason("amount", pl.lit("CNY"))))
    assert frame.select("__minor", "__amount_ok", "reason").rows() == [
        (123_450, True, None),
        (1, True, None),
        (None, False, "'1,000.00' is not a decimal amount (no thousands separators)"),
        (None, False, "'1e3' is not a decimal amount (scientific notation is not accepted)"),
        (None, False, "'1.001' has 3 decimals; CNY has 2"),
        (-500, False, "'-5' is negative"),
        (0, False, "'0' must be above 0"),
        (None, False, "'1234567890123456' is too large"),
        (None, False, "amount is required"),
    ]


def test_times_take_the_fast_path_or_the_general_one_and_say_why_not() -> None:
    texts = [
        "2026-03-02T09:15:00+08:00",  # fast
        "2026-03-02 09:15+0800",  # general
        "2026-03-02T09:15:00",
        "2026-02-30T09:15:00Z",
        "2026-03-02T09:15:00+15:00",
        "last Tuesday",
        None,
    ]
    frame = with_times(
        cells(pl.DataFrame({"paid_at": texts}, schema={"paid_at": pl.String}), ["paid_at"]), "paid_at"
    )
    frame = frame.with_columns(reason=pl.when(~pl.col("__time_ok")).then(time_reason("paid_at", None)))
    at = datetime(2026, 3, 2, 1, 15, tzinfo=UTC)
    assert frame.select("__utc", "__offset", "reason").rows() == [
        (at, 480, None),
        (at, 480, None),
        (None, None, "'2026-03-02T09:15:00' has no UTC offset (add one, e.g. +08:00 or Z)"),
        (None, None, "'2026-02-30T09:15:00Z' is not a real date and time"),
        (None, None, "'2026-03-02T09:15:00+15:00' has an impossible UTC offset"),
        (None, None, "'last Tuesday' is not an ISO 8601 date-time such as 2026-03-02T09:15:00+08:00"),
        (None, None, "paid_at is required"),
    ]
