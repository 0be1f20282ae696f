from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from recoup.core.intake.contacts import validate_contacts
from recoup.core.schema import CONTACT_ROLES, CONTACT_SCHEMA

ACCOUNTS = pl.DataFrame(
    {
        "account_id": ["A1", "A2", "S1", "S1"],
        "creditor_id": ["bank1", "bank1", "bank1", "bank2"],
        "currency": ["CNY", "CNY", "CNY", "CNY"],
        "account_key": [1, 2, 3, 4],
    }
)
GUARANTOR = {
    "account_id": "A1",
    "contact_id": "K1",
    "role": "guarantor",
    "name": "王五",
    "phone": "+8613900139000",
    "email": "ww@example.cn",
    "consent_to_discuss_debt": "true",
}


def frame(*rows: dict[str, str]) -> pl.DataFrame:
    columns = list(dict.fromkeys(name for row in rows for name in row))
    return pl.DataFrame(
        [{name: row.get(name, "") for name in columns} for row in rows],
        schema=dict.fromkeys(columns, pl.String),
    )


def check(*rows: dict[str, str]) -> list[tuple[int | None, str, str]]:
    return validate_contacts(frame(*rows), file="contacts.csv", accounts=ACCOUNTS).rejects.rows()


def test_a_guarantor_is_typed_with_its_account() -> None:
    result = validate_contacts(frame(GUARANTOR), file="contacts.csv", accounts=ACCOUNTS)
    assert result.ok
    assert result.valid.schema == pl.Schema({**CONTACT_SCHEMA, "account_key": pl.Int64(), "row": pl.Int64()})
    row = result.valid.row(0, named=True)
    assert (row["creditor_id"], row["account_key"], row["consent_to_discuss_debt"]) == ("bank1", 1, True)


def test_roles_consent_phones_and_required_values() -> None:
    assert check(
        GUARANTOR | {"role": "boss"},
        GUARANTOR | {"contact_id": "K2", "consent_to_discuss_debt": "maybe", "phone": "none"},
        GUARANTOR | {"contact_id": "K3", "name": ""},
        GUARANTOR | {"contact_id": "K4", "consent_to_discuss_debt": ""},
    ) == [
        (2, "role", f"'boss' is not one of {', '.join(CONTACT_ROLES)}"),
        (3, "phone", "'none' is not a ';'-separated list of phone numbers"),
        (3, "consent_to_discuss_debt", "'maybe' is not true or false"),
        (4, "name", "a value is required"),
    ]


def test_accounts_must_be_known_and_unambiguous() -> None:
    assert check(GUARANTOR | {"account_id": "NOPE"}, GUARANTOR | {"account_id": "S1"}) == [
        (2, "account_id", "unknown account 'NOPE'"),
        (
            3,
            "account_id",
            "account 'S1' belongs to several creditors (bank1, bank2): add a creditor_id column to say which",
        ),
    ]
    result = validate_contacts(
        frame(GUARANTOR | {"account_id": "S1", "creditor_id": "bank2"}),
        file="contacts.csv",
        accounts=ACCOUNTS,
    )
    assert result.valid.select("creditor_id", "account_key").rows() == [("bank2", 4)]


def test_the_same_contact_twice_on_an_account_is_a_duplicate() -> None:
    assert check(
        GUARANTOR,
        GUARANTOR | {"account_id": "A2"},
        GUARANTOR | {"creditor_id": "bank1"},
    ) == [(4, "contact_id", "duplicate contact_id for this account: row 2 has the same one")]


def test_missing_columns_and_ignored_extras() -> None:
    result = validate_contacts(frame(GUARANTOR).drop("role"), file="contacts.csv", accounts=ACCOUNTS)
    assert result.rejects.rows() == [(None, "role", "required column is missing")]
    result = validate_contacts(
        frame(GUARANTOR | {"relation": "brother"}), file="contacts.csv", accounts=ACCOUNTS
    )
    assert result.ok and "relation" not in result.valid.columns


GARBAGE = {
    "account_id": "NOPE",
    "contact_id": "",
    "role": "boss",
    "name": "a\x07",
    "phone": "n/a",
    "email": "nobody",
    "consent_to_discuss_debt": "yes",
}


@given(st.data())
@settings(max_examples=40, deadline=None)
def test_garbage_in_one_cell_rejects_exactly_that_row_and_names_that_column(data: st.DataObject) -> None:
    count = data.draw(st.integers(2, 5))
    rows = [
        GUARANTOR
        | {
            "account_id": data.draw(st.sampled_from(["A1", "A2"])),
            "contact_id": f"K{index}",
            "role": data.draw(st.sampled_from(CONTACT_ROLES)),
            "consent_to_discuss_debt": data.draw(st.sampled_from(["true", "false", ""])),
        }
        for index in range(count)
    ]
    assert validate_contacts(frame(*rows), file="c.csv", accounts=ACCOUNTS).ok
    victim = data.draw(st.integers(0, count - 1))
    column = data.draw(st.sampled_from(sorted(GARBAGE)))
    rows[victim] = rows[victim] | {column: GARBAGE[column]}
    result = validate_contacts(frame(*rows), file="c.csv", accounts=ACCOUNTS)
    assert set(result.rejects["row"].to_list()) == {victim + 2}
    assert set(result.rejects["column"].to_list()) == {column}
