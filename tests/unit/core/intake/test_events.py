from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recoup.core.intake.events import validate_events
from recoup.core.money import format_minor
from recoup.core.schema import CHANNELS, DIRECTIONS, EVENT_SCHEMA, EVENT_TYPES, OUTCOMES

ACCOUNTS = pl.DataFrame(
    {
        "account_id": ["A1", "A2", "S1", "S1", "Y1"],
        "creditor_id": ["bank1", "bank1", "bank1", "bank2", "bank1"],
        "currency": ["CNY", "USD", "CNY", "CNY", "JPY"],
        "account_key": [1, 2, 3, 4, 5],
    }
)
PAYMENT = {
    "event_id": "e1",
    "account_id": "A1",
    "at": "2026-03-01T10:00:00+08:00",
    "type": "payment",
    "amount": "600.00",
}


def frame(*rows: dict[str, str]) -> pl.DataFrame:
    columns = list(dict.fromkeys(name for row in rows for name in row))
    return pl.DataFrame(
        [{name: row.get(name, "") for name in columns} for row in rows],
        schema=dict.fromkeys(columns, pl.String),
    )


def check(*rows: dict[str, str], accounts: pl.DataFrame = ACCOUNTS) -> list[tuple[int | None, str, str]]:
    return validate_events(frame(*rows), file="events.csv", accounts=accounts).rejects.rows()


def test_a_payment_is_typed_with_its_account() -> None:
    result = validate_events(frame(PAYMENT), file="events.csv", accounts=ACCOUNTS)
    assert result.ok
    assert result.valid.schema == pl.Schema({**EVENT_SCHEMA, "account_key": pl.Int64(), "row": pl.Int64()})
    row = result.valid.row(0, named=True)
    assert row["at"] == dt.datetime(2026, 3, 1, 2, 0, tzinfo=dt.UTC)
    assert row["utc_offset_minutes"] == 480
    assert row["amount"] == 60000
    assert (row["creditor_id"], row["account_key"], row["row"]) == ("bank1", 1, 2)


def test_amounts_use_the_accounts_currency() -> None:
    result = validate_events(
        frame(
            PAYMENT | {"account_id": "Y1", "amount": "600"},
            PAYMENT | {"event_id": "e2", "account_id": "Y1", "amount": "6.5"},
        ),
        file="events.csv",
        accounts=ACCOUNTS,
    )
    assert result.valid["amount"].to_list() == [600]
    assert result.rejects.rows() == [(3, "amount", "'6.5' has 1 decimals; JPY has 0")]


def test_missing_required_columns() -> None:
    raw = frame(PAYMENT).drop("at")
    result = validate_events(raw, file="events.csv", accounts=ACCOUNTS)
    assert result.valid.is_empty()
    assert result.rejects.rows() == [(None, "at", "required column is missing")]


def test_unknown_and_ambiguous_accounts() -> None:
    assert check(
        PAYMENT | {"account_id": "NOPE"},
        PAYMENT | {"event_id": "e2", "account_id": "S1"},
    ) == [
        (2, "account_id", "unknown account 'NOPE'"),
        (
            3,
            "account_id",
            "account 'S1' belongs to several creditors (bank1, bank2): add a creditor_id column to say which",
        ),
    ]


def test_creditor_id_extension_picks_the_account() -> None:
    raw = frame(
        PAYMENT | {"event_id": "e1", "account_id": "S1", "creditor_id": "bank2"},
        PAYMENT | {"event_id": "e2", "account_id": "A1", "creditor_id": ""},
        PAYMENT | {"event_id": "e3", "account_id": "A1", "creditor_id": "bank2"},
    )
    result = validate_events(raw, file="events.csv", accounts=ACCOUNTS)
    assert result.valid.select("creditor_id", "account_key").rows() == [("bank2", 4), ("bank1", 1)]
    assert result.rejects.rows() == [(4, "account_id", "unknown account 'A1' of creditor 'bank2'")]


def test_contact_events_need_channel_direction_and_outcome() -> None:
    contact = {"event_id": "c1", "account_id": "A1", "at": "2026-03-01T10:00:00+08:00", "type": "contact"}
    assert check(
        contact,
        contact | {"event_id": "c2", "channel": "fax", "direction": "outbound", "outcome": "conversation"},
        contact | {"event_id": "c3", "channel": "call", "direction": "up", "outcome": "great"},
        contact | {"event_id": "c4", "channel": "sms", "direction": "outbound", "outcome": "delivered"},
        {"event_id": "o1", "account_id": "A1", "at": "2026-03-01T10:00:00+08:00", "type": "opt_out"},
    ) == [
        (2, "channel", "channel is required for contact events"),
        (2, "direction", "direction is required for contact events"),
        (2, "outcome", "outcome is required for contact events"),
        (3, "channel", f"'fax' is not one of {', '.join(CHANNELS)}"),
        (4, "direction", f"'up' is not one of {', '.join(DIRECTIONS)}"),
        (4, "outcome", f"'great' is not one of {', '.join(OUTCOMES)}"),
        (6, "channel", "channel is required for opt_out events"),
    ]


def test_amount_rules_by_type() -> None:
    base = {"account_id": "A1", "at": "2026-03-01T10:00:00+08:00"}
    assert check(
        base | {"event_id": "p1", "type": "payment"},
        base | {"event_id": "p2", "type": "payment", "amount": "0"},
        base | {"event_id": "p3", "type": "promise", "amount": "-5", "promise_due_on": "2026-03-05"},
        base | {"event_id": "a1", "type": "adjustment", "amount": "-120.50"},
        base | {"event_id": "d1", "type": "dispute", "amount": "10"},
        base | {"event_id": "p4", "type": "payment", "amount": "1e3"},
    ) == [
        (2, "amount", "amount is required for payment events"),
        (3, "amount", "'0' must be greater than 0 for a payment"),
        (4, "amount", "'-5' must be greater than 0 for a promise"),
        (6, "amount", "amount is only for payment, promise and adjustment events, not dispute"),
        (7, "amount", "'1e3' is not a decimal amount (scientific notation is not accepted)"),
    ]


def test_promise_due_date_rules() -> None:
    base = {"account_id": "A1", "type": "promise", "amount": "100"}
    assert check(
        base | {"event_id": "p1", "at": "2026-03-01T10:00:00+08:00"},
        base | {"event_id": "p2", "at": "2026-03-01T10:00:00+08:00", "promise_due_on": "2026-02-30"},
        # 2026-03-01T23:30-05:00 is already March 2 in UTC; the debtor's own date is what counts
        base | {"event_id": "p3", "at": "2026-03-01T23:30:00-05:00", "promise_due_on": "2026-03-01"},
        base | {"event_id": "p4", "at": "2026-03-02T00:30:00+08:00", "promise_due_on": "2026-03-01"},
        PAYMENT | {"event_id": "x1", "promise_due_on": "2026-03-05"},
    ) == [
        (2, "promise_due_on", "promise_due_on is required for promise events"),
        (3, "promise_due_on", "'2026-02-30' is not a real calendar date"),
        (5, "promise_due_on", "'2026-03-01' is before the promise was made (2026-03-02)"),
        (6, "promise_due_on", "promise_due_on is only for promise events, not payment"),
    ]


def test_instants_need_an_offset_and_types_a_vocabulary() -> None:
    assert check(
        PAYMENT | {"at": "2026-03-01T10:00:00"},
        PAYMENT | {"event_id": "e2", "type": "refund"},
    ) == [
        (2, "at", "'2026-03-01T10:00:00' has no UTC offset (add one, e.g. +08:00 or Z)"),
        (3, "type", f"'refund' is not one of {', '.join(EVENT_TYPES)}"),
    ]


def test_duplicate_event_ids_and_long_notes() -> None:
    assert check(
        PAYMENT,
        PAYMENT | {"note": "n" * 2001},
        PAYMENT | {"event_id": "e3", "note": "答应\n下周还\t款"},
    ) == [
        (3, "event_id", "duplicate event_id: row 2 has the same one"),
        (3, "note", "is 2001 characters long; the limit is 2000"),
    ]


def test_an_account_with_a_currency_recoup_does_not_accept() -> None:
    accounts = pl.DataFrame(
        {"account_id": ["Z"], "creditor_id": ["b"], "currency": ["ZZZ"], "account_key": [9]}
    )
    assert check(PAYMENT | {"account_id": "Z"}, accounts=accounts) == [
        (2, "amount", "the account's currency 'ZZZ' is not one Recoup accepts")
    ]


def test_new_accounts_without_keys_yet_resolve_with_a_null_key() -> None:
    accounts = pl.concat(
        [
            ACCOUNTS,
            pl.DataFrame(
                {
                    "account_id": ["N1", "A1"],
                    "creditor_id": ["bank1", "bank1"],
                    "currency": ["CNY", "CNY"],
                    "account_key": [None, None],
                }
            ),
        ]
    )
    result = validate_events(
        frame(PAYMENT, PAYMENT | {"event_id": "e2", "account_id": "N1"}), file="e.csv", accounts=accounts
    )
    assert result.ok
    assert result.valid["account_key"].to_list() == [1, None]


def test_the_lookup_must_have_its_columns() -> None:
    with pytest.raises(ValueError, match="account_key"):
        validate_events(frame(PAYMENT), file="e.csv", accounts=ACCOUNTS.drop("account_key"))


# --- properties ---------------------------------------------------------------------------------


@st.composite
def event_rows(draw: st.DrawFn, event_id: str) -> dict[str, str]:
    account = draw(st.sampled_from([("A1", "CNY"), ("A2", "USD"), ("Y1", "JPY")]))
    kind = draw(st.sampled_from(EVENT_TYPES))
    offset = draw(st.integers(-12 * 60, 14 * 60))
    local = draw(st.datetimes(dt.datetime(2020, 1, 1), dt.datetime(2030, 1, 1)))
    moment = local.replace(microsecond=0, tzinfo=dt.timezone(dt.timedelta(minutes=offset)))
    row: dict[str, Any] = {
        "event_id": event_id,
        "account_id": account[0],
        "at": moment.isoformat(),
        "type": kind,
    }
    if kind in ("contact", "opt_out", "opt_in") or draw(st.booleans()):
        row["channel"] = draw(st.sampled_from(CHANNELS))
    if kind == "contact":
        row["direction"] = draw(st.sampled_from(DIRECTIONS))
        row["outcome"] = draw(st.sampled_from(OUTCOMES))
    if kind in ("payment", "promise"):
        row["amount"] = format_minor(draw(st.integers(1, 10**12)), account[1])
    if kind == "adjustment":
        row["amount"] = format_minor(draw(st.integers(-(10**12), 10**12)), account[1])
    if kind == "promise":
        row["promise_due_on"] = (local.date() + dt.timedelta(days=draw(st.integers(0, 60)))).isoformat()
    if draw(st.booleans()):
        row["note"] = draw(st.text(alphabet="abc 还款\n\t", max_size=50))
    return row


GARBAGE = {
    "event_id": "\x07",
    "account_id": "NOPE",
    "at": "2026-03-01T10:00:00",
    "type": "refund",
    "channel": "fax",
    "direction": "sideways",
    "outcome": "meh",
    "amount": "1e3",
    "promise_due_on": "2026-02-30",
    "note": "\x1b",
}


@given(st.data())
@settings(max_examples=60, deadline=None)
def test_any_valid_event_validates(data: st.DataObject) -> None:
    rows = [data.draw(event_rows(f"e{index}")) for index in range(data.draw(st.integers(1, 5)))]
    result = validate_events(frame(*rows), file="events.csv", accounts=ACCOUNTS)
    assert result.rejects.rows() == []
    assert result.valid.height == len(rows)


@given(st.data())
@settings(max_examples=60, deadline=None)
def test_garbage_in_one_cell_rejects_exactly_that_row_and_names_that_column(data: st.DataObject) -> None:
    rows = [data.draw(event_rows(f"e{index}")) for index in range(data.draw(st.integers(2, 5)))]
    victim = data.draw(st.integers(0, len(rows) - 1))
    column = data.draw(st.sampled_from(sorted(GARBAGE)))
    rows[victim] = rows[victim] | {column: GARBAGE[column]}
    result = validate_events(frame(*rows), file="events.csv", accounts=ACCOUNTS)
    assert set(result.rejects["row"].to_list()) == {victim + 2}
    assert set(result.rejects["column"].to_list()) == {column}
    assert result.valid.height == len(rows) - 1
