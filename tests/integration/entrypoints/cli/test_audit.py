"""`recoup audit ...` through Typer's runner, on an SQLite file that an import and a daily run wrote."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import pytest
import typer
from sqlalchemy import text
from tests.integration.services.helpers import DATA, load_accounts, load_events, raw
from typer.testing import CliRunner

from recoup.adapters.db import audit
from recoup.adapters.db.engine import connect
from recoup.adapters.db.migrate import migrate
from recoup.bootstrap import App
from recoup.config import Settings
from recoup.entrypoints.cli import audit as audit_cli
from recoup.entrypoints.cli.common import Globals
from recoup.entrypoints.jobs.daily import run_day
from recoup.services.daily_run import RunOptions

root = typer.Typer()


@root.callback()
def _root(ctx: typer.Context, db: Annotated[str, typer.Option("--db")]) -> None:
    ctx.obj = Globals(database_url=db)


root.add_typer(audit_cli.app, name="audit")


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'recoup.db'}"
    db = connect(url)
    migrate(db)
    load_accounts(db, raw((DATA / "accounts_small.csv").read_text(encoding="utf-8"), tmp_path))
    load_events(db, raw((DATA / "events_small.csv").read_text(encoding="utf-8"), tmp_path, "e.csv"))
    run_day(App(settings=Settings(), db=db), date(2026, 3, 1), RunOptions())
    db.dispose()
    return url


def _run(url: str, *args: str, key: str | None = None) -> tuple[int, str, str]:
    env = {"RECOUP_AUDIT_SIGNING_KEY": key} if key else {}
    result = CliRunner().invoke(root, ["--db", url, "audit", *args], env=env)
    return result.exit_code, result.stdout, result.stderr


def test_verify_says_intact_then_names_the_first_broken_entry(url: str) -> None:
    code, stdout, _ = _run(url, "verify")
    assert (code, stdout.strip()) == (0, "audit log intact: 10 entries, 0 checkpoints")
    db = connect(url)
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE actions SET message = 'forged'"))
    db.dispose()
    code, _, stderr = _run(url, "verify")
    assert code == 1
    assert stderr.startswith(
        "error: audit log broken at entry 9: covered rows changed: actions rows with key"
    )


def test_verify_json_reports_the_break(url: str) -> None:
    db = connect(url)
    with db.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_log WHERE seq = 4"))
    db.dispose()
    code, stdout, _ = _run(url, "verify", "--json")
    assert code == 1
    assert '"first_break": {"seq": 4, "reason": "missing"' in stdout


def test_checkpoint_then_verify_pins_the_configured_key(url: str) -> None:
    key = audit.new_signing_key()
    assert _run(url, "checkpoint", key=key)[:2] == (0, "signed entry 10\n")
    assert _run(url, "checkpoint", key=key)[:2] == (0, "nothing new to sign\n")
    assert _run(url, "verify", key=key)[:2] == (0, "audit log intact: 10 entries, 1 checkpoints\n")
    code, _, stderr = _run(url, "verify", key=audit.new_signing_key())
    assert code == 1 and "entry 10: bad checkpoint signature" in stderr
    code, _, stderr = _run(url, "checkpoint")
    assert code == 1 and "RECOUP_AUDIT_SIGNING_KEY" in stderr


def test_purge_before_a_date_keeps_the_chain_verifiable(url: str) -> None:
    code, stdout, _ = _run(url, "purge", "--before", "2026-03-02")
    assert code == 0 and stdout.startswith("purged 2 audit entries recorded before 2026-03-02")
    assert _run(url, "verify")[:2] == (0, "audit log intact: 11 entries, 0 checkpoints\n")


def test_purge_takes_a_date_or_a_retention_but_not_both(url: str) -> None:
    assert _run(url, "purge")[0] == 2
    assert _run(url, "purge", "--before", "2026-03-02", "--retention-years", "2")[0] == 2
    assert _run(url, "purge", "--before", "2026-02-30")[0] == 2
    assert _run(url, "purge", "--retention-years", "2")[0] == 0


def test_keygen_prints_a_key_pair_that_signs() -> None:
    result = CliRunner().invoke(root, ["--db", "unused.db", "audit", "keygen"])
    private_line, public_line = result.stdout.splitlines()
    private = private_line.removeprefix("RECOUP_AUDIT_SIGNING_KEY=")
    assert public_line == f"public key: {audit.public_key_hex(audit.signing_key(private))}"
