from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from recoup.core.errors import ValidationError
from recoup.core.intake.checks import Parsed, evaluate
from recoup.core.intake.common import (
    boolean,
    date,
    flag_list,
    instant,
    integer,
    money,
    phone_list,
    text,
    timezone,
)
from recoup.core.money import CURRENCY_EXPONENTS, format_minor, parse_minor

CURRENCIES = sorted(CURRENCY_EXPONENTS)


def run(values: list[str | None], parsed: Parsed, **extra: list[str | None]) -> tuple[list, list[str]]:
    """Validate one column ``value`` (plus ``extra`` columns); return (typed values of all rows with
    None where rejected, reasons by row)."""
    frame = pl.DataFrame(
        {"value": values, **extra}, schema={"value": pl.String, **dict.fromkeys(extra, pl.String)}
    )
    frame = frame.with_row_index("row", offset=2).with_columns(pl.col("row").cast(pl.Int64))
    typed, rejects = evaluate(frame, {"value": parsed}, column_order=["value"])
    by_row = dict(zip(typed["row"].to_list(), typed["value"].to_list(), strict=True))
    reasons = dict(zip(rejects["row"].to_list(), rejects["reason"].to_list(), strict=True))
    return [by_row.get(row) for row in frame["row"]], [reasons.get(row, "") for row in frame["row"]]


def money_of(texts: list[str], currency: str, *, allow_negative: bool = False) -> tuple[list, list[str]]:
    return run(
        texts,
        money("value", "currency", allow_negative=allow_negative),
        currency=[currency] * len(texts),
    )


# --- money --------------------------------------------------------------------------------------


@given(st.sampled_from(CURRENCIES), st.integers(min_value=0, max_value=10**15 - 1))
def test_money_text_round_trips_through_format_minor_for_every_exponent(currency: str, minor: int) -> None:
    values, reasons = money_of([format_minor(minor, currency)], currency)
    assert reasons == [""]
    assert values == [minor]


@given(st.sampled_from(CURRENCIES), st.text(alphabet="0123456789.-+e, x", max_size=12))
def test_batch_money_agrees_with_the_scalar_parser(currency: str, value: str) -> None:
    """Same verdict and amount as `parse_minor` on any short text (within the batch's 15-digit cap)."""
    values, reasons = money_of([value], currency)
    try:
        expected = parse_minor(value, currency)
    except ValidationError:
        expected = None
    if value == "" or value != value.strip():
        return  # the reader strips and turns empty cells into nulls before validation
    assert values == [expected]
    assert (reasons == [""]) == (expected is not None)


def test_money_reasons_name_the_problem() -> None:
    _, reasons = money_of(["12.345", "-1", "1e3", "1,234.00", "abc", "9" * 16, "1.", "9" * 25], "CNY")
    assert reasons == [
        "'12.345' has 3 decimals; CNY has 2",
        "'-1' is negative",
        "'1e3' is not a decimal amount (scientific notation is not accepted)",
        "'1,234.00' is not a decimal amount (no thousands separators)",
        "'abc' is not a decimal amount (write digits with an optional '.' and decimals, e.g. 1234.50)",
        f"'{'9' * 16}' is too large",
        "'1.' is not a decimal amount (write digits with an optional '.' and decimals, e.g. 1234.50)",
        f"'{'9' * 25}' is too large",
    ]


def test_money_uses_each_rows_currency_exponent() -> None:
    frame_values = ["1234", "1234.5", "1234.50"]
    values, reasons = run(frame_values, money("value", "currency"), currency=["JPY", "CNY", "USD"])
    assert values == [1234, 123450, 123450]
    _, reasons = run(["12.5"], money("value", "currency"), currency=["JPY"])
    assert reasons == ["'12.5' has 1 decimals; JPY has 0"]


def test_money_is_not_judged_when_the_currency_is_unknown() -> None:
    values, reasons = run(["abc"], money("value", "currency"), currency=["XYZ"])
    assert (values, reasons) == ([None], [""])  # typed null, no amount reason: the currency is reported


def test_negative_money_only_where_allowed() -> None:
    values, reasons = money_of(["-12.50", "-0.00"], "CNY", allow_negative=True)
    assert values == [-1250, 0]
    _, reasons = money_of(["-0.00"], "CNY")
    assert reasons == [""]


def test_unicode_digits_are_not_money() -> None:
    _, reasons = money_of(["１２３"], "CNY")
    assert reasons[0].startswith("'１２３' is not a decimal amount")


# --- dates and instants -------------------------------------------------------------------------


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2199, 12, 31)))
def test_every_real_date_parses(day: dt.date) -> None:
    assert run([day.isoformat()], date("value")) == ([day], [""])


def test_impossible_and_malformed_dates_are_refused() -> None:
    _, reasons = run(["2026-02-30", "2026-2-3", "2026/02/03", "1800-01-01", "20260203"], date("value"))
    assert reasons == [
        "'2026-02-30' is not a real calendar date",
        "'2026-2-3' is not a date (YYYY-MM-DD)",
        "'2026/02/03' is not a date (YYYY-MM-DD)",
        "'1800-01-01' is outside 1900-01-01..2199-12-31",
        "'20260203' is not a date (YYYY-MM-DD)",
    ]


def instants(values: list[str | None]) -> tuple[list, list, list[str]]:
    parsed = instant("value")
    frame = pl.DataFrame({"value": values}, schema={"value": pl.String}).with_row_index("row", offset=2)
    frame = frame.with_columns(pl.col("row").cast(pl.Int64))
    typed, rejects = evaluate(
        frame,
        {"value": parsed.utc, "offset": Parsed(parsed.offset_minutes)},
        column_order=["value"],
    )
    reasons = dict(zip(rejects["row"].to_list(), rejects["reason"].to_list(), strict=True))
    utc = dict(zip(typed["row"].to_list(), typed["value"].to_list(), strict=True))
    offsets = dict(zip(typed["row"].to_list(), typed["offset"].to_list(), strict=True))
    rows = frame["row"].to_list()
    return [utc.get(r) for r in rows], [offsets.get(r) for r in rows], [reasons.get(r, "") for r in rows]


def test_instants_become_utc_and_keep_their_offset() -> None:
    utc, offsets, reasons = instants(
        [
            "2026-03-02T09:15:00+08:00",
            "2026-03-02 09:15Z",
            "2026-03-02T09:15:00.123456789-05:30",
            "2026-03-02T09:15:00+0545",
            "2026-03-02T00:15:00+01",
        ]
    )
    assert reasons == [""] * 5
    assert utc == [
        dt.datetime(2026, 3, 2, 1, 15, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 2, 9, 15, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 2, 14, 45, 0, 123456, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 2, 3, 30, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 1, 23, 15, tzinfo=dt.UTC),
    ]
    assert offsets == [480, 0, -330, 345, 60]


@given(
    st.datetimes(min_value=dt.datetime(1950, 1, 1), max_value=dt.datetime(2150, 1, 1)),
    st.integers(min_value=-14 * 60, max_value=14 * 60),
)
def test_any_instant_with_an_offset_round_trips(local: dt.datetime, offset: int) -> None:
    zone = dt.timezone(dt.timedelta(minutes=offset))
    moment = local.replace(tzinfo=zone)
    utc, offsets, reasons = instants([moment.isoformat()])
    assert reasons == [""]
    assert utc == [moment.astimezone(dt.UTC)]
    assert offsets == [offset]


def test_instants_without_an_offset_or_impossible_are_refused() -> None:
    _, _, reasons = instants(
        [
            "2026-03-02T09:15:00",
            "2026-02-30T09:15:00+08:00",
            "2026-03-02T24:00:00Z",
            "yesterday",
            "2026-03-02T09:15+15:00",
        ]
    )
    assert reasons == [
        "'2026-03-02T09:15:00' has no UTC offset (add one, e.g. +08:00 or Z)",
        "'2026-02-30T09:15:00+08:00' is not a real date and time",
        "'2026-03-02T24:00:00Z' is not a real date and time",
        "'yesterday' is not an ISO 8601 date-time such as 2026-03-02T09:15:00+08:00",
        "'2026-03-02T09:15+15:00' has an impossible UTC offset",
    ]


# --- small kinds --------------------------------------------------------------------------------


def test_booleans_are_true_or_false_in_any_case() -> None:
    values, reasons = run(["true", "FALSE", "True", "yes", "1"], boolean("value"))
    assert values[:3] == [True, False, True]
    assert reasons[3:] == ["'yes' is not true or false", "'1' is not true or false"]


def test_flags_are_sorted_deduplicated_and_checked() -> None:
    values, reasons = run(
        ["cease; dispute;dispute", "vulnerable；complaint", ";;", "rich;cease"],
        flag_list("value", ("cease", "dispute", "vulnerable", "complaint")),
    )
    assert values[:3] == ["cease;dispute", "complaint;vulnerable", None]
    assert reasons[3] == "unknown flag 'rich' (accepted: cease, dispute, vulnerable, complaint)"


def test_phone_lists_keep_order_with_separators_normalised() -> None:
    values, reasons = run(
        ["+86 138 0013 8000 ;； 13900139000;", "call me", "123", " ; "], phone_list("value")
    )
    assert values[0] == "+86 138 0013 8000;13900139000"
    assert (values[3], reasons[3]) == (None, "")
    assert reasons[1:3] == [
        "'call me' is not a ';'-separated list of phone numbers",
        "'123' is not a ';'-separated list of phone numbers",
    ]


def test_text_limits_length_and_control_characters() -> None:
    _, reasons = run(["ok", "x" * 11, "a\x07b", "two\nlines", "bidi\u202eevil"], text("value", max_chars=10))
    assert reasons == [
        "",
        "is 11 characters long; the limit is 10",
        "contains control characters (it must be a single line)",
        "contains control characters (it must be a single line)",
        "contains control characters (it must be a single line)",
    ]
    _, reasons = run(
        ["line one\nline two\twith tab", "bell\x07"], text("value", max_chars=100, multiline=True)
    )
    assert reasons == ["", "contains control characters (only tab and newline are allowed)"]


def test_integers_are_whole_and_in_range() -> None:
    values, reasons = run(["42", "-1", "4.5", "151"], integer("value", low=0, high=150))
    assert values[0] == 42
    assert reasons[1:] == [
        "'-1' is not a whole number",
        "'4.5' is not a whole number",
        "'151' is outside 0..150",
    ]


def test_time_zones_are_iana_names() -> None:
    names = ["Asia/Shanghai", "America/New_York", "Mars/Olympus", "+08:00", "UTC"]
    series = pl.Series(names)
    _, reasons = run(names, timezone("value", series))
    assert [bool(reason) for reason in reasons] == [False, False, True, True, False]


def test_a_shown_value_is_cut_and_masked() -> None:
    _, reasons = run(["x" * 50 + "\x01"], date("value"))
    assert reasons == ["'" + "x" * 40 + "…' is not a date (YYYY-MM-DD)"]


@pytest.mark.parametrize("currency", CURRENCIES)
def test_format_and_parse_agree_on_negative_amounts(currency: str) -> None:
    text_value = format_minor(-12345, currency)
    values, reasons = money_of([text_value], currency, allow_negative=True)
    assert (values, reasons) == ([-12345], [""])
