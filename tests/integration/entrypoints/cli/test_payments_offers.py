"""`recoup payments offer accept` through Typer's runner on an SQLite file (the real clock: offers are dated
from today)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import pytest
import typer
from tests.integration.services.helpers import load_accounts, raw
from tests.integration.services.offer_helpers import arrangements, offer
from typer.testing import CliRunner

from recoup.adapters.db.engine import Database, connect
from recoup.adapters.db.migrate import migrate
from recoup.entrypoints.cli import payments as payments_cli
from recoup.entrypoints.cli.common import Globals

root = typer.Typer()


@root.callback()
def _root(ctx: typer.Context, db: Annotated[str, typer.Option("--db")]) -> None:
    ctx.obj = Globals(database_url=db, quiet=False)


root.add_typer(payments_cli.app, name="payments")

ACCOUNTS = (
    "account_id,creditor_id,debtor_id,debtor_type,debtor_name,currency,principal,interest,fees,due_on,"
    "jurisdiction,phone,flags\n"
    "A1,招商银行,D1,individual,张三,CNY,3000.00,0,0,2026-01-01,CN,+8613800138001,\n"
    "A2,招商银行,D2,individual,李四,CNY,1000.00,0,0,2026-01-01,CN,+8613800138002,\n"
    "H1,招商银行,D3,individual,王五,CNY,500.00,0,0,2026-01-01,CN,+8613800138003,dispute\n"
)
TODAY = datetime.now(UTC).date()


@pytest.fixture
def stored(tmp_path: Path) -> Any:
    """The database URL and an open Database on it (for storing offers and looking at what was booked)."""
    url = f"sqlite:///{tmp_path / 'recoup.db'}"
    db = connect(url)
    migrate(db)
    load_accounts(db, raw(ACCOUNTS, tmp_path))
    yield url, db
    db.dispose()


def _offer(db: Database, account_id: str, **terms: Any) -> int:
    return offer(db, account_id, run_date=TODAY, expires_on=TODAY + timedelta(days=14), **terms)


def _run(url: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(root, ["--db", url, "payments", "offer", "accept", *args])
    return result.exit_code, result.stdout, result.stderr


def test_an_installment_offer_is_booked_as_a_current_plan(stored: tuple[str, Database]) -> None:
    url, db = stored
    key = _offer(db, "A1", kind="installment", installments=3)
    first_due = TODAY + timedelta(days=10)
    code, stdout, stderr = _run(url, str(key), "--first-due", str(first_due), "--json")
    assert code == 0, stderr
    plan = json.loads(stdout)
    assert (plan["status"], plan["total"], plan["action_key"]) == ("current", "3000.00", key)
    assert [i["amount"] for i in plan["installments"]] == ["1000.00", "1000.00", "1000.00"]
    # Again, as a table: the same plan, nothing new booked.
    code, stdout, _ = _run(url, str(key))
    assert code == 0
    title = " ".join(stdout.split())  # Rich wraps the table's title
    assert f"plan {plan['plan_key']} (current): account A1" in title
    assert f"(the offer of action {key})" in title
    assert arrangements(db) == [1, 3, 0]


def test_a_settlement_offer_is_booked_for_its_amount(stored: tuple[str, Database]) -> None:
    url, db = stored
    key = _offer(db, "A2", kind="settlement", amount=85_000)
    code, stdout, stderr = _run(url, str(key))
    assert code == 0, stderr
    expires = TODAY + timedelta(days=14)
    assert stdout.strip() == (
        f"settlement 1: account A2 pays 850.00 CNY by {expires}; 150.00 is then written off "
        f"(the offer of action {key})"
    )


def test_refusals_exit_1_with_one_line_and_book_nothing(stored: tuple[str, Database]) -> None:
    url, db = stored
    expired = offer(
        db,
        "A1",
        kind="settlement",
        amount=250_000,
        run_date=TODAY - timedelta(days=20),
        expires_on=TODAY - timedelta(days=2),
    )
    held = _offer(db, "H1", kind="installment", installments=2)
    call = _offer(db, "A2", kind="none", action="call", amount=None)
    cases = {
        "999": "error: no action 999",
        str(call): f"error: column action_key: action {call} is a call action, not an offer",
        str(
            held
        ): f"error: the offer of action {held} cannot be accepted: account 'H1' is on hold (dispute): "
        "nothing can be offered",
    }
    for key, message in cases.items():
        code, _, stderr = _run(url, key)
        assert (code, stderr.strip()) == (1, message)
    code, _, stderr = _run(url, str(expired))
    assert code == 1 and len(stderr.strip().splitlines()) == 1
    assert f"error: the offer of action {expired} expired on {TODAY - timedelta(days=2)}" in stderr
    code, _, stderr = _run(url, str(held), "--first-due", "2026-02-30")
    assert code == 2 and "not a date" in stderr
    assert arrangements(db) == [0, 0, 0]
