from __future__ import annotations

from pathlib import Path

import pytest

from recoup.adapters.db.engine import Database
from recoup.services.importing import ImportRejected
from tests.integration.services.helpers import DATA, load_accounts, load_events, raw, snapshot

HEADER = "account_id,creditor_id,debtor_id,debtor_type,debtor_name,currency,principal,interest,fees,due_on,jurisdiction\n"


def test_importing_the_same_file_twice_changes_nothing(db: Database, tmp_path: Path) -> None:
    frame = raw((DATA / "accounts_small.csv").read_text(encoding="utf-8"), tmp_path)
    first = load_accounts(db, frame)
    before = snapshot(db)
    second = load_accounts(db, frame)
    assert (first.inserted, second.inserted, second.skipped) == (3, 0, 3)
    assert snapshot(db) == before

    events = raw((DATA / "events_small.csv").read_text(encoding="utf-8"), tmp_path, "events.csv")
    assert load_events(db, events).inserted == 3
    before = snapshot(db)
    assert load_events(db, events).inserted == 0
    assert snapshot(db) == before


def test_a_bad_row_rejects_the_whole_file_and_names_row_and_column(db: Database, tmp_path: Path) -> None:
    load_accounts(db, raw((DATA / "accounts_small.csv").read_text(encoding="utf-8"), tmp_path))
    before = snapshot(db)
    text = (
        HEADER
        + "N1,bank1,D9,individual,王五,CNY,100.00,0,0,2026-01-01,CN\nN2,bank1,D9,individual,王五,CNY,12.345,0,0,2026-02-30,CN\n"
    )
    with pytest.raises(ImportRejected) as caught:
        load_accounts(db, raw(text, tmp_path, "bad.csv"))
    message = str(caught.value)
    assert "row 3" in message and "principal" in message and "due_on" in message
    assert snapshot(db) == before


def test_partial_loads_good_rows_and_returns_the_bad(db: Database, tmp_path: Path) -> None:
    text = (
        HEADER
        + "N1,bank1,D9,individual,王五,CNY,100.00,0,0,2026-01-01,CN\nN2,bank1,D9,individual,王五,XYZ,1.00,0,0,2026-01-01,CN\n"
    )
    report = load_accounts(db, raw(text, tmp_path), partial=True)
    assert (report.inserted, report.rejected) == (1, 1)
    assert report.rejects.get_column("column").to_list() == ["currency"]


def test_events_for_unknown_accounts_are_refused(db: Database, tmp_path: Path) -> None:
    load_accounts(db, raw((DATA / "accounts_small.csv").read_text(encoding="utf-8"), tmp_path))
    before = snapshot(db)
    text = "event_id,account_id,at,type,amount\nx1,NOPE,2026-03-01T10:00:00+08:00,payment,10.00\n"
    with pytest.raises(ImportRejected, match="NOPE"):
        load_events(db, raw(text, tmp_path, "events.csv"))
    assert snapshot(db) == before


def test_contacts_come_with_their_accounts(db: Database, tmp_path: Path) -> None:
    contacts = raw(
        "account_id,contact_id,role,name,phone,email,consent_to_discuss_debt\n"
        "A3,C1,guarantor,Jane Roe,+12125550111,,true\nA3,C2,officer,John Roe,,john@acme.example,false\n",
        tmp_path,
        "contacts.csv",
    )
    report = load_accounts(
        db, raw((DATA / "accounts_small.csv").read_text(encoding="utf-8"), tmp_path), contacts=contacts
    )
    assert report.contacts_inserted == 2
    again = load_accounts(
        db, raw((DATA / "accounts_small.csv").read_text(encoding="utf-8"), tmp_path), contacts=contacts
    )
    assert again.contacts_inserted == 0


def test_bulk_updates_of_different_columns_share_a_transaction(db: Database, tmp_path: Path) -> None:
    import polars as pl

    from recoup.adapters.db.bulk import read_frame, update_rows

    load_accounts(db, raw((DATA / "accounts_small.csv").read_text(encoding="utf-8"), tmp_path))
    with db.engine.begin() as connection:
        update_rows(connection, db, "accounts", pl.DataFrame({"key": [1], "fees": [7]}), "key")
        update_rows(
            connection, db, "accounts", pl.DataFrame({"key": [1], "interest": [8], "flags": ["x"]}), "key"
        )
    row = read_frame(db, 'SELECT fees, interest, flags FROM accounts WHERE "key" = 1').row(0)
    assert row == (7, 8, "x")
