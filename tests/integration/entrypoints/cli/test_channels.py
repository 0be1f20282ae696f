"""`recoup channels ...` through Typer's runner on an SQLite file, with the local SMTP and HTTP servers."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import pytest
import typer
from tests.integration.channel_servers import (
    GENERIC_SECRET,
    ProviderServer,
    SmtpSink,
    running_provider,
    running_smtp,
)
from tests.integration.channel_world import World, make_world
from typer.testing import CliRunner

from recoup.adapters.channels.letters import FontMissing, find_font
from recoup.adapters.db.bulk import read_frame
from recoup.adapters.db.engine import Database
from recoup.entrypoints.cli import channels as channels_cli
from recoup.entrypoints.cli.common import Globals

root = typer.Typer()


@root.callback()
def _root(ctx: typer.Context, db: Annotated[str, typer.Option("--db")]) -> None:
    ctx.obj = Globals(database_url=db, quiet=False)


root.add_typer(channels_cli.app, name="channels")
runner = CliRunner()


@pytest.fixture
def provider() -> Iterator[ProviderServer]:
    yield from running_provider()


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    yield from running_smtp()


@pytest.fixture
def world(
    sqlite_db: Database, tmp_path: Path, provider: ProviderServer, smtp_sink: SmtpSink
) -> Iterator[World]:
    made = make_world(sqlite_db, tmp_path, provider, smtp_sink)
    yield made
    made.close()


def _invoke(world: World, *args: str, env: dict[str, str] | None = None) -> object:
    url = f"sqlite:///{world.app.db.sqlite_path}"
    return runner.invoke(root, ["--db", url, "channels", *args], env=env or {})


def _template(tmp_path: Path, text: str) -> str:
    path = tmp_path / "template.txt"
    path.write_text(text, encoding="utf-8")
    return str(path)


SAVE = [
    "templates",
    "save",
    "--id",
    "reminder_sms",
    "--channel",
    "sms",
    "--language",
    "zh",
    "--jurisdiction",
    "CN",
]
GOOD = "【{{ agency }}】{{ name }}您好，我们受{{ creditor }}委托：您尾号{{ account_ref }}的账户尚有{{ amount }}待还，详询{{ phone }}。回复TD退订"


def test_a_template_with_forbidden_words_cannot_be_saved(world: World, tmp_path: Path) -> None:
    result = _invoke(world, *SAVE, _template(tmp_path, GOOD + "不还钱就打断你的腿"))
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert "template refused, nothing saved" in result.output  # type: ignore[attr-defined]
    assert "CN.msg.threat" in result.output  # type: ignore[attr-defined]
    assert read_frame(world.app.db, "SELECT COUNT(*) AS n FROM templates")["n"][0] == 0


def test_a_template_reaching_for_class_cannot_be_saved(world: World, tmp_path: Path) -> None:
    result = _invoke(world, *SAVE, _template(tmp_path, GOOD + "{{ name.__class__.__init__.__globals__ }}"))
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert "`__globals__` reaches for Python internals" in result.output  # type: ignore[attr-defined]
    assert read_frame(world.app.db, "SELECT COUNT(*) AS n FROM templates")["n"][0] == 0


def test_save_list_and_preview_for_a_real_account(world: World, tmp_path: Path) -> None:
    saved = _invoke(world, *SAVE, _template(tmp_path, GOOD))
    assert saved.exit_code == 0, saved.output  # type: ignore[attr-defined]
    assert "version 1" in saved.output  # type: ignore[attr-defined]
    again = _invoke(world, *SAVE, _template(tmp_path, GOOD + "谢谢"))
    assert "version 2" in again.output  # type: ignore[attr-defined]
    listed = _invoke(world, "templates", "list")
    assert "reminder_sms" in listed.output  # type: ignore[attr-defined]
    preview = _invoke(world, "templates", "preview", "reminder_sms", "--account", "S1")
    assert preview.exit_code == 0, preview.output  # type: ignore[attr-defined]
    assert "张三您好" in preview.output and "¥1,000.00" in preview.output and "谢谢" in preview.output  # type: ignore[attr-defined]
    missing = _invoke(world, "templates", "preview", "reminder_sms", "--account", "NOPE")
    assert missing.exit_code == 1 and "no account 'NOPE'" in missing.output  # type: ignore[attr-defined]


def test_check_prints_the_sample_rendering(world: World, tmp_path: Path) -> None:
    args = [
        "templates",
        "check",
        _template(tmp_path, GOOD),
        "--id",
        "x",
        "--channel",
        "sms",
        "--language",
        "zh",
    ]
    result = _invoke(world, *args)
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert "张三您好" in result.output  # type: ignore[attr-defined]


def _font_or_skip() -> None:
    try:
        find_font()
    except FontMissing as exc:
        pytest.skip(str(exc))


def test_letters_print_to_one_pdf_and_are_marked_printed(world: World, tmp_path: Path) -> None:
    _font_or_skip()
    out = tmp_path / "letters.pdf"
    result = _invoke(world, "letters", "--date", "2026-03-02", "--out", str(out))
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert "1 letters, 1 pages" in result.output  # type: ignore[attr-defined]
    assert world.actions()["L1"] == ("letter", "printed")
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, check=True).stdout.decode()
        assert "孙七" in text and "北京市朝阳区建国路1号" in text
    first = out.read_bytes()
    assert _invoke(world, "letters", "--date", "2026-03-02", "--out", str(out)).exit_code == 0  # type: ignore[attr-defined]
    assert out.read_bytes() == first  # printing a date again gives the same letters
    bad = _invoke(world, "letters", "--date", "2026-03-02", "--out", str(tmp_path / "x.txt"))
    assert bad.exit_code == 2  # type: ignore[attr-defined]


def test_dispatch_sends_through_the_configured_providers(
    world: World, provider: ProviderServer, smtp_sink: SmtpSink
) -> None:
    # Make the queued messages due now, around noon in their debtors' zone, whatever the wall clock says:
    # the contact hours are read in the zone, on the action's run date.
    now = datetime.now(UTC)
    hours = 12 - now.hour
    zone = "Etc/GMT" if hours == 0 else f"Etc/GMT{-hours:+d}"  # POSIX signs: Etc/GMT-8 is UTC+8
    local_day = (now + timedelta(hours=hours)).date()
    with world.app.db.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE accounts SET timezone = ?", (zone,))
        connection.exec_driver_sql(
            "UPDATE actions SET scheduled_at = ?, local_offset_minutes = ?, run_date = ?",
            ((now - timedelta(minutes=1)).replace(tzinfo=None).isoformat(sep=" "), hours * 60, local_day),
        )
    env = {
        "RECOUP_SMTP_HOST": smtp_sink.host,
        "RECOUP_SMTP_PORT": str(smtp_sink.port),
        "RECOUP_MAIL_FROM": "collections@agency.example",
        "RECOUP_SMS_PROVIDER": "webhook",
        "RECOUP_SMS_URL": f"{provider.base_url}/generic",
        "RECOUP_SMS_SECRET": GENERIC_SECRET,
    }
    result = _invoke(world, "dispatch", "--json", env=env)
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    summary = json.loads(result.output)  # type: ignore[attr-defined]
    assert summary["outcomes"] == {"delivered": 2, "sent": 2}
    assert summary["agent_work"] == 1
    assert len(provider.state.delivered) == 2 and len(smtp_sink.arrived) == 2
