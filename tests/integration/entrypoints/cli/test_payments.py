"""`recoup payments ...` through Typer's runner on an SQLite file."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import polars as pl
import pytest
import typer
from tests.integration.audit_helpers import intact, logged
from tests.integration.services.helpers import load_accounts, raw
from typer.testing import CliRunner

from recoup.adapters.db.bulk import read_frame
from recoup.adapters.db.engine import connect
from recoup.adapters.db.migrate import migrate
from recoup.adapters.files.readers import read_table
from recoup.core.audit import sha256_hex
from recoup.entrypoints.cli import payments as payments_cli
from recoup.entrypoints.cli.common import Globals

root = typer.Typer()


@root.callback()
def _root(ctx: typer.Context, db: Annotated[str, typer.Option("--db")]) -> None:
    ctx.obj = Globals(database_url=db, quiet=False)


root.add_typer(payments_cli.app, name="payments")

ACCOUNTS = (
    "account_id,creditor_id,debtor_id,debtor_type,debtor_name,currency,principal,interest,fees,due_on,"
    "jurisdiction,phone\n"
    "A1,招商银行,D1,individual,张三,CNY,3000.00,0,0,2026-01-01,CN,+8613800138001\n"
    "A2,招商银行,D2,individual,李四,CNY,1000.00,0,0,2026-01-01,CN,+8613800138002\n"
)
PAYMENTS = "payment_reference,account_id,amount,currency,paid_at\n"


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'recoup.db'}"
    db = connect(url)
    migrate(db)
    load_accounts(db, raw(ACCOUNTS, tmp_path))
    db.dispose()
    return url


def _run(url: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(root, ["--db", url, "payments", *args])
    return result.exit_code, result.stdout, result.stderr


def test_reconcile_books_a_clean_file_and_says_so(url: str, tmp_path: Path) -> None:
    file = tmp_path / "bank.csv"
    file.write_text(PAYMENTS + "P1,A1,100.00,CNY,2026-03-02T09:00:00+08:00\n", encoding="utf-8")
    code, stdout, _ = _run(url, "reconcile", str(file), "--json")
    assert code == 0
    report = json.loads(stdout)
    assert (report["status"], report["booked"], report["exceptions"], report["report"]) == (
        "booked",
        1,
        0,
        None,
    )


def test_a_file_with_a_foreign_currency_is_refused_with_a_report_and_exit_1(url: str, tmp_path: Path) -> None:
    file = tmp_path / "bank.csv"
    file.write_text(
        PAYMENTS + "P1,A1,100.00,CNY,2026-03-02T09:00:00+08:00\nP2,A2,100.00,USD,2026-03-02T09:00:00+08:00\n",
        encoding="utf-8",
    )
    code, _, stderr = _run(url, "reconcile", str(file))
    assert code == 1
    assert "1 of 2 rows cannot be booked (1 currency mismatch); nothing was booked" in stderr
    report = read_table(tmp_path / "bank.csv.exceptions.csv").frame
    assert report.select("file_row", "payment_reference", "outcome").rows() == [
        ("3", "P2", "currency_mismatch")
    ]
    db = connect(url)
    assert read_frame(db, "SELECT COUNT(*) AS n FROM events").item() == 0
    db.dispose()

    code, stdout, _ = _run(url, "reconcile", str(file), "--partial", "--out", str(tmp_path / "out.jsonl"))
    assert code == 0
    assert "partial: 1 booked" in stdout
    assert pl.read_ndjson(tmp_path / "out.jsonl").get_column("outcome").to_list() == ["currency_mismatch"]


def test_plan_offer_then_accept(url: str) -> None:
    first_due = (datetime.now(UTC) + timedelta(days=10)).date()
    code, stdout, _ = _run(
        url, "plan", "offer", "A1", "--installments", "3", "--first-due", str(first_due), "--json"
    )
    assert code == 0, stdout
    plan = json.loads(stdout)
    assert (plan["status"], plan["calendar"], plan["total"]) == ("offered", "CN", "3000.00")
    assert [i["amount"] for i in plan["installments"]] == ["1000.00", "1000.00", "1000.00"]
    code, stdout, _ = _run(url, "plan", "accept", str(plan["plan_key"]), "--json")
    assert (code, json.loads(stdout)["status"]) == (0, "current")
    code, _, stderr = _run(url, "plan", "offer", "A1", "--installments", "2")
    assert code == 1
    assert "already has an open plan or settlement" in stderr


def test_plan_offer_refuses_bad_input_clearly(url: str) -> None:
    code, _, stderr = _run(url, "plan", "offer", "NOPE", "--installments", "3")
    assert (code, stderr.strip()) == (1, "error: unknown account 'NOPE'")
    code, _, stderr = _run(url, "plan", "offer", "A1", "--installments", "3", "--first-due", "2026-02-30")
    assert code == 2
    assert "not a date" in stderr


def test_remittance_writes_csv_and_pdf_that_add_up(url: str, tmp_path: Path) -> None:
    file = tmp_path / "bank.csv"
    file.write_text(
        PAYMENTS + "P1,A1,333.34,CNY,2026-03-02T09:00:00+08:00\nP2,A2,100.01,CNY,2026-03-15T09:00:00+08:00\n",
        encoding="utf-8",
    )
    assert _run(url, "reconcile", str(file))[0] == 0
    code, _, stderr = _run(
        url,
        "remittance",
        "--creditor",
        "招商银行",
        "--from",
        "2026-03-01",
        "--to",
        "2026-03-31",
        "--out",
        str(tmp_path / "s.csv"),
    )
    assert code == 1
    assert "no commission rate for creditor '招商银行'" in stderr
    assert _run(url, "commission", "招商银行", "--bps", "1234")[0] == 0
    code, stdout, _ = _run(
        url,
        "remittance",
        "--creditor",
        "招商银行",
        "--from",
        "2026-03-01",
        "--to",
        "2026-03-31",
        "--out",
        str(tmp_path / "s.csv"),
        "--json",
    )
    assert code == 0
    assert json.loads(stdout)["totals"] == [
        {
            "currency": "CNY",
            "accounts": 2,
            "payments": 2,
            "collected": "433.35",
            "commission": "53.48",
            "net": "379.87",
        }
    ]
    totals = read_table(tmp_path / "s.csv").frame.filter(pl.col("row_type") == "total")
    assert totals.select("collected", "commission", "net_to_remit").row(0) == ("433.35", "53.48", "379.87")
    code, _, _ = _run(
        url,
        "remittance",
        "--creditor",
        "招商银行",
        "--from",
        "2026-03-01",
        "--to",
        "2026-03-31",
        "--out",
        str(tmp_path / "s.pdf"),
    )
    assert code == 0
    assert (tmp_path / "s.pdf").read_bytes().startswith(b"%PDF")
    db = connect(url)
    try:  # each statement produced is recorded with the SHA-256 of the file as written; a refused one is not
        produced = [entry.content for entry in logged(db, "payment.remittance")]
        assert [(c["file"], c["file_sha256"]) for c in produced] == [
            ("s.csv", sha256_hex((tmp_path / "s.csv").read_bytes())),
            ("s.pdf", sha256_hex((tmp_path / "s.pdf").read_bytes())),
        ]
        assert produced[0]["lines_sha256"] == produced[1]["lines_sha256"]  # the same statement, two forms
        assert produced[0]["totals"][0]["net"] == 37_987 and produced[0]["commission_bps"] == 1234
        assert intact(db)
    finally:
        db.dispose()


def test_settlement_accept_prints_the_terms(url: str) -> None:
    due = (datetime.now(UTC) + timedelta(days=14)).date()
    code, stdout, _ = _run(url, "settlement", "accept", "A2", "--due", str(due), "--discount-bps", "3000")
    assert code == 0
    assert f"account A2 pays 700.00 CNY by {due}; 300.00 is then written off" in stdout
    code, _, stderr = _run(url, "settlement", "accept", "A1", "--due", str(due))
    assert code == 2
    assert "exactly one of --amount and --discount-bps" in stderr
