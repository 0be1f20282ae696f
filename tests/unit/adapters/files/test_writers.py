from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest

from recoup.adapters.files.readers import read_table
from recoup.adapters.files.writers import ACTION_COLUMNS, actions_for_export, write_rejects, write_table
from recoup.core.errors import ValidationError
from recoup.core.intake.accounts import validate_accounts
from recoup.core.schema import ACTION_SCHEMA

FRAME = pl.DataFrame(
    {"name": ["张三", 'O\'Neil, "Jr"\nline'], "amount": [1, None], "day": [dt.date(2026, 3, 2), None]}
)


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet", ".CSV"])
def test_write_table_by_extension_round_trips(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"out{suffix}"
    write_table(FRAME, path)
    if suffix.lower() == ".csv":
        back = pl.read_csv(path, schema=FRAME.schema)
    elif suffix == ".jsonl":
        back = pl.read_ndjson(path, schema=FRAME.schema)
    else:
        back = pl.read_parquet(path)
    assert back.equals(FRAME)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left behind


def test_write_table_refuses_other_extensions(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"cannot write '\.xlsx': use \.csv, \.jsonl, \.parquet"):
        write_table(FRAME, tmp_path / "out.xlsx")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_leaves_the_old_file_whole(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    path.write_text("old,content\n")
    nested = pl.DataFrame({"items": [[1, 2]]})  # CSV cannot hold a list column
    with pytest.raises(pl.exceptions.PolarsError):
        write_table(nested, path)
    assert path.read_text() == "old,content\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def action(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "account_id": "A1",
        "creditor_id": "bank1",
        "run_date": dt.date(2026, 3, 2),
        "action": "offer",
        "channel": "sms",
        "scheduled_at": dt.datetime(2026, 3, 2, 1, 15, tzinfo=dt.UTC),
        "local_offset_minutes": 480,
        "priority": None,
        "template_id": "offer_installment_v1",
        "language": "zh",
        "message": "您好",
        "offer_kind": "installment",
        "offer_amount": 123450,
        "offer_installments": 6,
        "offer_expires_on": dt.date(2026, 3, 16),
        "segment": "able_unwilling",
        "ability_score": 0.72,
        "willingness_score": 0.31,
        "expected_recovery": 5000,
        "strategy": "default",
        "variant": "champion",
        "reasons": "dpd_61_90;rule:CN-hours",
        "currency": "CNY",
    }
    return base | overrides


def actions(*rows: dict[str, object]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=ACTION_SCHEMA)


def test_actions_export_formats_money_times_dates_and_scores() -> None:
    out = actions_for_export(
        actions(
            action(),
            action(
                account_id="U1",
                currency="USD",
                local_offset_minutes=-300,
                offer_amount=None,
                expected_recovery=-5,
                offer_expires_on=None,
            ),
            action(account_id="J1", currency="JPY", offer_amount=120000, local_offset_minutes=345),
            action(account_id="Z1", local_offset_minutes=None, scheduled_at=None),
        )
    )
    assert out.columns == list(ACTION_COLUMNS)
    assert out.select(
        "offer_amount", "expected_recovery", "scheduled_at", "run_date", "offer_expires_on"
    ).rows() == [
        ("1234.50", "50.00", "2026-03-02T09:15:00+08:00", "2026-03-02", "2026-03-16"),
        (None, "-0.05", "2026-03-01T20:15:00-05:00", "2026-03-02", None),
        ("120000", "5000", "2026-03-02T07:00:00+05:45", "2026-03-02", "2026-03-16"),
        ("1234.50", "50.00", None, "2026-03-02", "2026-03-16"),
    ]
    assert out["ability_score"].dtype == pl.Float64
    assert out["priority"].dtype == pl.Int64


def test_unknown_offset_is_written_as_utc() -> None:
    out = actions_for_export(actions(action(local_offset_minutes=None)))
    assert out["scheduled_at"].to_list() == ["2026-03-02T01:15:00+00:00"]


def test_actions_export_needs_the_action_columns() -> None:
    with pytest.raises(ValueError, match="local_offset_minutes"):
        actions_for_export(actions(action()).drop("local_offset_minutes"))


def test_exported_actions_write_as_csv_and_jsonl(tmp_path: Path) -> None:
    out = actions_for_export(actions(action()))
    write_table(out, tmp_path / "actions.jsonl")
    line = json.loads((tmp_path / "actions.jsonl").read_text().splitlines()[0])
    assert (line["offer_amount"], line["ability_score"], line["scheduled_at"]) == (
        "1234.50",
        0.72,
        "2026-03-02T09:15:00+08:00",
    )
    write_table(out, tmp_path / "actions.csv")
    assert read_table(tmp_path / "actions.csv").frame.item(0, "offer_amount") == "1234.50"


HEADER = "account_id,creditor_id,debtor_id,debtor_type,debtor_name,currency,principal,interest,fees,due_on,jurisdiction"


def test_reject_file_holds_the_bad_rows_as_read_with_reasons(tmp_path: Path) -> None:
    source = tmp_path / "accounts.csv"
    source.write_text(
        HEADER
        + "\nA1,b,D1,individual,张三,CNY,1.00,0,0,2026-01-01,CN"
        + "\nA2,b,D2,person,李四,CNY,12.345,0,0,2026-01-01,CN"
        + "\nA3,b,D3,individual,王五,CNY, 7 ,0,0,2026-02-30,CN\n"
    )
    raw = read_table(source)
    result = validate_accounts(raw.frame, file=raw.file)
    assert write_rejects(tmp_path / "rejects.csv", raw.frame, result.rejects) == 2
    written = pl.read_csv(tmp_path / "rejects.csv", infer_schema=False)
    assert written.columns == ["row", *HEADER.split(","), "reasons"]
    assert written.select("row", "account_id", "principal", "reasons").rows() == [
        (
            "3",
            "A2",
            "12.345",
            "debtor_type: 'person' is not one of individual, sme, enterprise; principal: '12.345' has 3 decimals; CNY has 2",
        ),
        ("4", "A3", "7", "due_on: '2026-02-30' is not a real calendar date"),
    ]


def test_a_missing_column_rejects_every_row(tmp_path: Path) -> None:
    raw = pl.DataFrame({"row": [2, 3], "account_id": ["A1", "A2"]})
    result = validate_accounts(raw, file="a.csv")
    assert write_rejects(tmp_path / "rejects.parquet", raw, result.rejects) == 2
    written = pl.read_parquet(tmp_path / "rejects.parquet")
    assert written["reasons"][0].startswith(
        "creditor_id: required column is missing; debtor_id: required column"
    )
    assert written["row"].to_list() == [2, 3]
