from __future__ import annotations

import datetime as dt
import json
from typing import Any

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from recoup.core.intake.accounts import validate_accounts
from recoup.core.money import CURRENCY_EXPONENTS, format_minor
from recoup.core.schema import (
    ACCOUNT_FLAGS,
    ACCOUNT_SCHEMA,
    DEBTOR_TYPES,
    EMPLOYMENT_STATUSES,
    LANGUAGES,
    PRODUCTS,
)

GOOD = {
    "account_id": "A1",
    "creditor_id": "bank1",
    "debtor_id": "D1",
    "debtor_type": "individual",
    "debtor_name": "张三",
    "product": "credit_card",
    "currency": "CNY",
    "principal": "10000.00",
    "interest": "500.5",
    "fees": "0",
    "due_on": "2026-02-01",
    "jurisdiction": "CN",
    "phone": "+8613800138000",
    "email": "zs@example.cn",
    "flags": "dispute",
}


def frame(*rows: dict[str, str]) -> pl.DataFrame:
    columns = list(dict.fromkeys(name for row in rows for name in row))
    return pl.DataFrame(
        [{name: row.get(name, "") for name in columns} for row in rows],
        schema=dict.fromkeys(columns, pl.String),
    )


def reasons(raw: pl.DataFrame) -> list[tuple[int | None, str, str]]:
    return validate_accounts(raw, file="accounts.csv").rejects.rows()


def test_a_good_row_is_typed_as_the_account_schema() -> None:
    result = validate_accounts(frame(GOOD), file="accounts.csv")
    assert result.ok
    assert result.valid.columns == [*ACCOUNT_SCHEMA, "row"]
    assert result.valid.schema == pl.Schema({**ACCOUNT_SCHEMA, "row": pl.Int64()})
    row = result.valid.row(0, named=True)
    assert row["principal"] == 1_000_000
    assert row["interest"] == 50_050
    assert row["due_on"] == dt.date(2026, 2, 1)
    assert row["row"] == 2
    assert row["attributes"] is None


def test_a_missing_required_column_is_one_reject_and_nothing_is_valid() -> None:
    raw = frame(
        {k: v for k, v in GOOD.items() if k not in ("principal", "due_on")}, GOOD | {"account_id": "A2"}
    )
    raw = raw.drop("principal", "due_on")
    result = validate_accounts(raw, file="accounts.csv")
    assert result.valid.is_empty()
    assert result.valid.columns == [*ACCOUNT_SCHEMA, "row"]
    assert result.rejects.rows() == [
        (None, "principal", "required column is missing"),
        (None, "due_on", "required column is missing"),
    ]


def test_missing_column_hint_when_only_case_differs() -> None:
    raw = frame(GOOD).rename({"account_id": "Account_ID"})
    assert reasons(raw) == [
        (
            None,
            "account_id",
            "required column is missing (found 'Account_ID': column names are case-sensitive)",
        )
    ]


def test_empty_required_values_are_rejected() -> None:
    assert reasons(frame(GOOD | {"debtor_name": "", "fees": ""})) == [
        (2, "debtor_name", "a value is required"),
        (2, "fees", "a value is required"),
    ]


def test_bad_enumerations_currency_and_jurisdiction() -> None:
    raw = frame(
        GOOD | {"debtor_type": "person", "product": "loan", "language": "fr", "employment_status": "busy"},
        GOOD | {"account_id": "A2", "currency": "RMB", "jurisdiction": "JP"},
        GOOD | {"account_id": "A3", "jurisdiction": "US-NY", "currency": "USD"},
    )
    assert reasons(raw) == [
        (2, "debtor_type", "'person' is not one of individual, sme, enterprise"),
        (2, "product", f"'loan' is not one of {', '.join(PRODUCTS)}"),
        (2, "language", "'fr' is not one of zh, en"),
        (2, "employment_status", f"'busy' is not one of {', '.join(EMPLOYMENT_STATUSES)}"),
        (3, "currency", f"unknown currency 'RMB' (accepted: {', '.join(CURRENCY_EXPONENTS)})"),
        (
            3,
            "jurisdiction",
            "unknown jurisdiction 'JP' (expected CN, US, UK, EU, optionally with a region such as US-NY)",
        ),
    ]


def test_bad_money_and_dates() -> None:
    raw = frame(
        GOOD | {"principal": "-5", "interest": "12.345", "fees": "1e3", "original_amount": "1,234.00"},
        GOOD | {"account_id": "A2", "due_on": "2026-02-30", "opened_on": "01/02/2026"},
    )
    assert reasons(raw) == [
        (2, "principal", "'-5' is negative"),
        (2, "interest", "'12.345' has 3 decimals; CNY has 2"),
        (2, "fees", "'1e3' is not a decimal amount (scientific notation is not accepted)"),
        (2, "original_amount", "'1,234.00' is not a decimal amount (no thousands separators)"),
        (3, "opened_on", "'01/02/2026' is not a date (YYYY-MM-DD)"),
        (3, "due_on", "'2026-02-30' is not a real calendar date"),
    ]


def test_duplicate_keys_reject_the_later_rows_naming_the_first() -> None:
    raw = frame(GOOD, GOOD | {"creditor_id": "bank2"}, GOOD | {"debtor_name": "王五"}, GOOD)
    result = validate_accounts(raw, file="accounts.csv")
    assert result.valid["row"].to_list() == [2, 3]
    assert result.rejects.rows() == [
        (4, "account_id", "duplicate account_id for this creditor_id: row 2 has the same one"),
        (5, "account_id", "duplicate account_id for this creditor_id: row 2 has the same one"),
    ]


def test_unknown_columns_are_kept_as_attributes_in_file_order() -> None:
    raw = frame(GOOD | {"segment_hint": "x", "备注": "优质客户", "score": ""})
    valid = validate_accounts(raw, file="accounts.csv").valid
    attributes = valid["attributes"].item()
    assert list(json.loads(attributes).items()) == [
        ("segment_hint", "x"),
        ("备注", "优质客户"),
        ("score", None),
    ]


def test_unknown_column_values_are_checked_as_free_text() -> None:
    assert reasons(frame(GOOD | {"memo": "bell\x07"})) == [
        (2, "memo", "contains control characters (only tab and newline are allowed)")
    ]


def test_flags_phones_and_free_text_limits() -> None:
    raw = frame(
        GOOD | {"flags": "dispute;rich"},
        GOOD | {"account_id": "A2", "phone": "n/a", "email": "zs at example"},
        GOOD | {"account_id": "A3", "debtor_name": "x" * 201, "address": "y" * 501},
        GOOD | {"account_id": "A4", "address": "第一行\n第二行", "flags": "cease ; dispute;cease"},
    )
    result = validate_accounts(raw, file="accounts.csv")
    assert result.rejects.rows() == [
        (2, "flags", f"unknown flag 'rich' (accepted: {', '.join(ACCOUNT_FLAGS)})"),
        (3, "phone", "'n/a' is not a ';'-separated list of phone numbers"),
        (3, "email", "'zs at example' is not an email address"),
        (4, "debtor_name", "is 201 characters long; the limit is 200"),
        (4, "address", "is 501 characters long; the limit is 500"),
    ]
    assert result.valid.row(0, named=True)["flags"] == "cease;dispute"


def test_messages_read_like_the_contract_example() -> None:
    result = validate_accounts(frame(GOOD | {"principal": "12.345"}), file="accounts.csv")
    assert result.messages() == ["accounts.csv, row 2, column principal: '12.345' has 3 decimals; CNY has 2"]


def test_row_numbers_from_the_reader_are_kept() -> None:
    raw = frame(GOOD, GOOD | {"account_id": "A2", "fees": "x"}).with_columns(pl.Series("row", [5, 9]))
    result = validate_accounts(raw, file="accounts.csv")
    assert result.valid["row"].to_list() == [5]
    assert result.rejects["row"].to_list() == [9]


# --- properties ---------------------------------------------------------------------------------

SAFE_TEXT = (
    st.text(
        alphabet=st.characters(exclude_categories=("Cc", "Cs", "Cf", "Zl", "Zp", "Co", "Cn")),
        min_size=1,
        max_size=30,
    )
    .map(str.strip)
    .filter(bool)
)
IDS = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789-_", min_size=1, max_size=20)
ZONES = ("Asia/Shanghai", "America/New_York", "Europe/London", "Europe/Berlin", "UTC")


@st.composite
def account_rows(draw: st.DrawFn, account_id: str | None = None) -> tuple[dict[str, str], dict[str, Any]]:
    """A valid account row as text, and the typed values it must become."""
    currency = draw(st.sampled_from(sorted(CURRENCY_EXPONENTS)))
    text: dict[str, str] = {}
    typed: dict[str, Any] = {}

    def put(name: str, shown: str, value: Any) -> None:
        text[name] = shown
        typed[name] = value

    def optional(name: str, strategy: st.SearchStrategy[tuple[str, Any]]) -> None:
        shown, value = draw(st.one_of(st.just(("", None)), strategy))
        put(name, shown, value)

    def amount() -> st.SearchStrategy[tuple[str, Any]]:
        return st.integers(0, 10**14).map(lambda minor: (format_minor(minor, currency), minor))

    def day() -> st.SearchStrategy[tuple[str, Any]]:
        return st.dates(dt.date(1950, 1, 1), dt.date(2150, 1, 1)).map(lambda d: (d.isoformat(), d))

    def choice(values: tuple[str, ...]) -> st.SearchStrategy[tuple[str, Any]]:
        return st.sampled_from(values).map(lambda v: (v, v))

    for name in ("account_id", "creditor_id", "debtor_id"):
        value = account_id if name == "account_id" and account_id else draw(IDS)
        put(name, value, value)
    put("debtor_type", *draw(choice(DEBTOR_TYPES)))
    name = draw(SAFE_TEXT)
    put("debtor_name", name, name)
    optional("product", choice(PRODUCTS))
    put("currency", currency, currency)
    for part in ("principal", "interest", "fees"):
        put(part, *draw(amount()))
    optional("original_amount", amount())
    optional("opened_on", day())
    put("due_on", *draw(day()))
    optional("last_payment_on", day())
    optional("last_payment_amount", amount())
    jurisdiction = draw(st.sampled_from(("CN", "US", "UK", "EU", "US-NY", "US-CA")))
    put("jurisdiction", jurisdiction, jurisdiction)
    optional("region", SAFE_TEXT.map(lambda v: (v, v)))
    optional("timezone", choice(ZONES))
    optional("language", choice(LANGUAGES))
    phones = st.lists(st.from_regex(r"\A\+?[1-9][0-9]{6,12}\Z"), min_size=1, max_size=3, unique=True)
    optional("phone", phones.map(lambda items: (" ; ".join(items), ";".join(items))))
    optional("email", st.from_regex(r"\A[a-z0-9._]{1,10}@[a-z0-9]{1,10}\.(cn|com)\Z").map(lambda v: (v, v)))
    optional("im_handle", IDS.map(lambda v: (v, v)))
    optional("address", SAFE_TEXT.map(lambda v: (v, v)))
    for channel in ("sms", "email", "im", "call"):
        optional(f"consent_{channel}", st.sampled_from((("true", True), ("FALSE", False), ("True", True))))
    optional("income_monthly", amount())
    optional("employment_status", choice(EMPLOYMENT_STATUSES))
    optional("age", st.integers(0, 150).map(lambda a: (str(a), a)))
    optional("statute_limit_on", day())
    flags = st.lists(st.sampled_from(ACCOUNT_FLAGS), min_size=1, max_size=4)
    optional("flags", flags.map(lambda items: (";".join(items), ";".join(sorted(set(items))))))
    return text, typed


@given(account_rows())
@settings(max_examples=60, deadline=None)
def test_any_valid_row_validates_to_its_typed_values(row: tuple[dict[str, str], dict[str, Any]]) -> None:
    text, typed = row
    result = validate_accounts(frame(text), file="accounts.csv")
    assert result.rejects.rows() == []
    got = result.valid.row(0, named=True)
    assert {name: got[name] for name in typed} == typed


GARBAGE = {
    "account_id": "\x07A",
    "creditor_id": "",
    "debtor_id": "x" * 101,
    "debtor_type": "person",
    "debtor_name": "",
    "product": "loan",
    "currency": "RMB",
    "principal": "1e3",
    "interest": "-1",
    "fees": "1,000",
    "original_amount": "12.3456",
    "opened_on": "2026-02-30",
    "due_on": "",
    "last_payment_on": "2026-13-01",
    "last_payment_amount": "abc",
    "jurisdiction": "JP",
    "region": "bell\x07",
    "timezone": "Mars/Olympus",
    "language": "fr",
    "phone": "call me",
    "email": "nobody",
    "im_handle": "a\nb",
    "address": "\x00",
    "consent_sms": "yes",
    "consent_email": "1",
    "consent_im": "no",
    "consent_call": "t",
    "income_monthly": "1.2.3",
    "employment_status": "busy",
    "age": "151",
    "statute_limit_on": "tomorrow",
    "flags": "rich",
    "memo": "\x1b[31m",
}


@given(st.lists(account_rows(), min_size=2, max_size=5), st.data())
@settings(max_examples=60, deadline=None)
def test_garbage_in_one_cell_rejects_exactly_that_row_and_names_that_column(
    rows: list[tuple[dict[str, str], dict[str, Any]]], data: st.DataObject
) -> None:
    texts = [text | {"account_id": f"A{index}", "memo": "note"} for index, (text, _) in enumerate(rows)]
    victim = data.draw(st.integers(0, len(texts) - 1))
    column = data.draw(st.sampled_from(sorted(GARBAGE)))
    texts[victim] = texts[victim] | {column: GARBAGE[column]}
    result = validate_accounts(frame(*texts), file="accounts.csv")
    assert set(result.rejects["row"].to_list()) == {victim + 2}
    assert set(result.rejects["column"].to_list()) == {column}
    assert sorted(result.valid["row"].to_list()) == [
        index + 2 for index in range(len(texts)) if index != victim
    ]
