from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from recoup.core.errors import ValidationError
from recoup.core.money import parse_minor
from recoup.core.reconciliation import OUTCOMES, reconcile

ACCOUNTS = pl.DataFrame(
    {
        "account_id": ["A1", "A2", "SHARED", "SHARED", "U1"],
        "creditor_id": ["BANK", "BANK", "BANK", "SHOP", "BANK"],
        "currency": ["CNY", "CNY", "CNY", "CNY", "USD"],
        "account_key": [1, 2, 3, 4, 5],
    }
)
NO_STORED = pl.DataFrame(schema={"event_id": pl.String, "type": pl.String})
NOW = datetime(2026, 3, 10, tzinfo=UTC)


def _file(*rows: tuple[str | None, ...], creditor: bool = False) -> pl.DataFrame:
    columns = ["payment_reference", "account_id", "amount", "currency", "paid_at"]
    if creditor:
        columns.append("creditor_id")
    return pl.DataFrame([list(r) for r in rows], schema=dict.fromkeys(columns, pl.String), orient="row")


def _outcomes(
    result_rows: pl.DataFrame, stored: pl.DataFrame = NO_STORED
) -> list[tuple[int, str, str | None]]:
    result = reconcile(result_rows, accounts=ACCOUNTS, stored=stored, file="bank.csv", now=NOW)
    matched = [(row, "matched", None) for row in result.matched.get_column("row").to_list()]
    exceptions = result.exceptions.select("row", "outcome", "reason").rows()
    return sorted(matched + exceptions)


def test_a_clean_payment_becomes_a_payment_event_in_utc_with_its_offset_kept() -> None:
    result = reconcile(
        _file(("P1", "A1", "120.50", "CNY", "2026-03-02T09:15:00+08:00")),
        accounts=ACCOUNTS,
        stored=NO_STORED,
        file="bank.csv",
    )
    event = result.matched.row(0, named=True)
    assert (event["event_id"], event["type"], event["amount"], event["account_key"]) == (
        "P1",
        "payment",
        12_050,
        1,
    )
    assert event["at"] == datetime(2026, 3, 2, 1, 15, tzinfo=UTC)
    assert (event["utc_offset_minutes"], event["creditor_id"], event["row"]) == (480, "BANK", 2)
    assert result.exceptions.is_empty()


def test_each_problem_gets_its_own_outcome_and_a_reason_naming_the_value() -> None:
    rows = _outcomes(
        _file(
            ("P1", "A1", "10.00", "CNY", "2026-03-02T09:00:00+08:00"),
            ("P1", "A2", "10.00", "CNY", "2026-03-02T09:00:00+08:00"),
            ("P2", "NOPE", "10.00", "CNY", "2026-03-02T09:00:00+08:00"),
            ("P3", "SHARED", "10.00", "CNY", "2026-03-02T09:00:00+08:00"),
            ("P4", "A1", "10.00", "USD", "2026-03-02T09:00:00+08:00"),
            ("P5", "A1", "10.00", "XYZ", "2026-03-02T09:00:00+08:00"),
            ("P6", "A1", "10.005", "CNY", "2026-03-02T09:00:00+08:00"),
            ("P7", "A1", "-3.00", "CNY", "2026-03-02T09:00:00+08:00"),
            ("P8", "A1", "10.00", "CNY", "2026-03-02 09:00"),
            ("P9", "A1", "10.00", "CNY", "2026-04-01T09:00:00+08:00"),
            (None, "A1", "10.00", "CNY", "2026-03-02T09:00:00+08:00"),
            ("P10", "A1", "0", "CNY", "2026-03-02T09:00:00+08:00"),
        )
    )
    assert [(row, outcome) for row, outcome, _ in rows] == [
        (2, "matched"),
        (3, "duplicate_in_file"),
        (4, "unknown_account"),
        (5, "ambiguous_account"),
        (6, "currency_mismatch"),
        (7, "unknown_currency"),
        (8, "bad_amount"),
        (9, "bad_amount"),
        (10, "bad_time"),
        (11, "bad_time"),
        (12, "bad_reference"),
        (13, "bad_amount"),
    ]
    reasons = {row: reason for row, _, reason in rows}
    assert reasons[3] == "reference 'P1' is already in row 2"
    assert reasons[4] == "unknown account 'NOPE'"
    assert "BANK, SHOP" in reasons[5]
    assert reasons[6] == "paid in USD but account 'A1' is in CNY: convert it before booking"
    assert reasons[8] == "'10.005' has 3 decimals; CNY has 2"
    assert reasons[9] == "'-3.00' is negative"
    assert "no UTC offset" in reasons[10]
    assert "in the future" in reasons[11]
    assert reasons[12] == "payment_reference is required"
    assert reasons[13] == "'0' must be above 0"


def test_creditor_id_picks_the_account_and_a_wrong_one_is_unknown() -> None:
    rows = _outcomes(
        _file(
            ("P1", "SHARED", "1.00", "CNY", "2026-03-02T09:00:00Z", "SHOP"),
            ("P2", "A1", "1.00", "CNY", "2026-03-02T09:00:00Z", "SHOP"),
            creditor=True,
        )
    )
    assert rows == [(2, "matched", None), (3, "unknown_account", "unknown account 'A1' of creditor 'SHOP'")]


def test_references_already_stored_are_reported_not_booked_twice() -> None:
    stored = pl.DataFrame({"event_id": ["P1", "C9"], "type": ["payment", "contact"]})
    rows = _outcomes(
        _file(
            ("P1", "A1", "1.00", "CNY", "2026-03-02T09:00:00Z"),
            ("C9", "A1", "1.00", "CNY", "2026-03-02T09:00:00Z"),
        ),
        stored,
    )
    assert rows == [
        (2, "duplicate_stored", "payment 'P1' is already booked (nothing to do)"),
        (3, "duplicate_stored", "'C9' is already the id of a stored contact event"),
    ]


def test_exceptions_keep_the_cells_exactly_as_the_file_had_them() -> None:
    result = reconcile(
        _file(("P1", "A1", "1,000.00", "cny ", "yesterday")),
        accounts=ACCOUNTS,
        stored=NO_STORED,
        file="bank.csv",
    )
    assert result.exceptions.select("amount", "currency", "paid_at").row(0) == (
        "1,000.00",
        "cny ",
        "yesterday",
    )
    assert result.exceptions.get_column("reason").to_list() == [
        "'1,000.00' is not a decimal amount (no thousands separators)"
    ]


def test_a_file_without_a_required_column_is_refused_naming_it() -> None:
    raw = pl.DataFrame({"payment_reference": ["P1"], "account_id": ["A1"], "amount": ["1.00"]})
    with pytest.raises(ValidationError, match="currency, paid_at"):
        reconcile(raw, accounts=ACCOUNTS, stored=NO_STORED, file="bank.csv")


cell = st.one_of(st.none(), st.sampled_from(["", " ", "x"]))
references = st.one_of(cell, st.sampled_from(["P1", "P2", "P3", "P4", "S1"]))
account_ids = st.one_of(cell, st.sampled_from(["A1", "A2", "SHARED", "U1", "NOPE"]))
amounts = st.one_of(
    cell, st.sampled_from(["1.00", "0.01", "0", "-1", "1.001", "1e3", "99999999999999999999", "12"])
)
currencies = st.one_of(cell, st.sampled_from(["CNY", "USD", "usd", "JPY", "XXX"]))
times = st.one_of(
    cell,
    st.sampled_from(
        ["2026-03-02T09:00:00+08:00", "2026-03-02T09:00:00", "2026-02-30T09:00:00Z", "2027-01-01T00:00:00Z"]
    ),
)


@settings(max_examples=120, deadline=None)
@given(st.lists(st.tuples(references, account_ids, amounts, currencies, times), max_size=25), st.booleans())
def test_every_row_lands_in_exactly_one_outcome(rows: list[tuple[str | None, ...]], stored_p1: bool) -> None:
    stored = pl.DataFrame({"event_id": ["P1"] if stored_p1 else [], "type": ["payment"] if stored_p1 else []})
    stored = stored.cast(pl.String)
    result = reconcile(_file(*rows), accounts=ACCOUNTS, stored=stored, file="f.csv", now=NOW)
    seen = result.matched.get_column("row").to_list() + result.exceptions.get_column("row").to_list()
    assert sorted(seen) == list(range(2, 2 + len(rows)))
    assert result.exceptions.get_column("reason").null_count() == 0
    assert set(result.exceptions.get_column("outcome").to_list()) <= set(OUTCOMES) - {"matched"}
    assert sum(result.counts().values()) == len(rows)
    assert result.matched.get_column("event_id").is_unique().all()
    assert result.matched.get_column("amount").min() is None or result.matched.get_column("amount").min() > 0  # type: ignore[operator]
    assert result.matched.get_column("account_key").null_count() == 0


# --- the parsers agree with plain scalar readings of the contract ---------------------------------

INSTANT = re.compile(
    r"^([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:[.,]([0-9]{1,9}))?)?"
    r"(?:([Zz])|([+-])([0-9]{2})(?::?([0-9]{2}))?)$"
)


def _scalar_instant(text: str) -> tuple[datetime, int] | None:
    match = INSTANT.match(text)
    if match is None:
        return None
    y, mo, d, h, mi, s, fraction, zulu, sign, off_h, off_m = match.groups()
    try:
        local = datetime(
            int(y), int(mo), int(d), int(h), int(mi), int(s or 0), int((fraction or "0")[:6].ljust(6, "0"))
        )
    except ValueError:
        return None
    offset = 0
    if not zulu:
        if int(off_m or 0) > 59:
            return None
        offset = (int(off_h) * 60 + int(off_m or 0)) * (-1 if sign == "-" else 1)
        if abs(offset) > 14 * 60:
            return None
    return (local - timedelta(minutes=offset)).replace(tzinfo=UTC), offset


instants = st.builds(
    lambda y, mo, d, sep, h, mi, s, frac, off: f"{y}-{mo}-{d}{sep}{h}:{mi}{s}{frac}{off}",
    st.sampled_from(["2026", "1999", "1900", "2199"]),
    st.sampled_from(["01", "02", "12", "13", "00"]),
    st.sampled_from(["01", "28", "29", "30", "31", "32"]),
    st.sampled_from(["T", " ", "t"]),
    st.sampled_from(["00", "09", "23", "24"]),
    st.sampled_from(["00", "59", "60"]),
    st.sampled_from([":00", ":59", ":60", ""]),
    st.sampled_from(["", ".5", ".123456789"]),
    st.sampled_from(
        ["Z", "z", "", "+08:00", "-05:00", "+14:00", "+14:01", "-15:00", "+08:60", "+0800", "+08"]
    ),
)


@settings(max_examples=150, deadline=None)
@given(instants)
@example("2026-03-02T09:15:00+14:01")  # the fast layout, an offset past +14:00
@example("2026-03-02T09:15:00+14:00")
@example("2026-03-02T23:59:60+08:00")  # a leap second the native parser would take
@example("2026-02-29T09:00:00Z")
@example("2028-02-29T09:00:00-05:00")
@example("2026-03-02 09:15+0800")
def test_paid_at_is_read_as_the_contract_says_on_both_parsing_paths(text: str) -> None:
    result = reconcile(
        _file(("P1", "A1", "1.00", "CNY", text)), accounts=ACCOUNTS, stored=NO_STORED, file="f.csv"
    )
    expected = _scalar_instant(text)
    if expected is not None:
        assert result.matched.select("at", "utc_offset_minutes").row(0) == expected
    else:
        assert result.exceptions.get_column("outcome").to_list() == ["bad_time"]


money_texts = st.builds(
    lambda pad, sign, whole, dot, frac: f"{pad}{sign}{whole}{dot}{frac}{pad}",
    st.sampled_from(["", " "]),
    st.sampled_from(["", "-", "+"]),
    st.sampled_from(
        ["0", "1", "007", "123456789012345", "1234567890123456", "000000000000000001", "", "1e3", "1,000"]
    ),
    st.sampled_from(["", "."]),
    st.sampled_from(["", "0", "5", "05", "50", "005", "x"]),
)


def _scalar_amount(text: str, currency: str) -> int | None:
    try:
        minor = parse_minor(text, currency)
    except ValidationError:
        return None
    whole = text.strip().lstrip("+").split(".")[0].lstrip("0")
    return minor if minor > 0 and len(whole) <= 15 else None


@settings(max_examples=150, deadline=None)
@given(money_texts, st.sampled_from(["CNY", "JPY"]))
def test_amounts_are_read_as_parse_minor_reads_them(text: str, currency: str) -> None:
    accounts = ACCOUNTS.with_columns(currency=pl.lit(currency))
    row = ("P1", "A1", text, currency, "2026-03-02T09:00:00Z")
    result = reconcile(_file(row), accounts=accounts, stored=NO_STORED, file="f.csv")
    expected = _scalar_amount(text, currency) if text.strip() else None
    if expected is not None:
        assert result.matched.get_column("amount").to_list() == [expected]
    else:
        assert result.exceptions.get_column("outcome").to_list() == ["bad_amount"]


def test_a_lookup_listing_an_account_twice_neither_doubles_rows_nor_makes_it_ambiguous() -> None:
    doubled = pl.concat([ACCOUNTS, ACCOUNTS])
    rows = _file(
        ("P1", "A1", "1.00", "CNY", "2026-03-02T09:00:00Z", None),
        ("P2", "A2", "1.00", "CNY", "2026-03-02T09:00:00Z", "BANK"),
        creditor=True,
    )
    result = reconcile(rows, accounts=doubled, stored=NO_STORED, file="f.csv")
    assert result.matched.select("row", "account_key").rows() == [(2, 1), (3, 2)]
    assert result.exceptions.is_empty()
