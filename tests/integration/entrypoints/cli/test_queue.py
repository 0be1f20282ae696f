"""`recoup queue` through Typer's runner on an SQLite file after a real daily run."""

from __future__ import annotations

import io
import json

import polars as pl
import pytest
from tests.integration.queue_day import HOURS, ZONES, expected_order, run_queue_day
from typer.testing import CliRunner

from recoup.adapters.db.engine import connect
from recoup.adapters.db.migrate import migrate
from recoup.entrypoints.cli.app import app


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, list[tuple[str, str]]]:
    """The database URL and the calls' (creditor, account) in the order the queue must give."""
    folder = tmp_path_factory.mktemp("queue")
    url = f"sqlite:///{folder / 'recoup.db'}"
    db = connect(url)
    migrate(db)
    run_queue_day(db, folder)
    order = expected_order(db)
    db.dispose()
    return url, order


def _run(url: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--db", url, "queue", *args])
    return result.exit_code, result.stdout, result.stderr


def test_json_lists_every_call_with_its_window_by_creditor_and_priority(
    world: tuple[str, list[tuple[str, str]]],
) -> None:
    url, order = world
    code, stdout, _ = _run(url, "--date", "2026-03-02", "--format", "json")
    assert code == 0
    rows = json.loads(stdout)
    assert [(r["creditor_id"], r["account_id"]) for r in rows] == order
    assert rows[0]["priority"] == 1
    for row in rows:
        assert (row["window_local"], row["zone"]) == (HOURS[row["account_id"][0]], ZONES[row["account_id"]])
        assert row["window_start"] <= row["scheduled_at"] < row["window_end"]  # ISO text in UTC sorts
    shanghai = next(r for r in rows if r["zone"] == "Asia/Shanghai")
    assert shanghai["window_start"] == "2026-03-02T00:00:00Z"
    assert shanghai["window_end"] == "2026-03-02T14:00:00.000001Z"
    assert shanghai["currency"] == "CNY" and shanghai["balance"].endswith(".00")


def test_csv_filtered_by_creditor_and_limited(world: tuple[str, list[tuple[str, str]]]) -> None:
    url, order = world
    code, stdout, _ = _run(
        url, "--date", "2026-03-02", "--creditor", "bank1", "--limit", "2", "--format", "csv"
    )
    assert code == 0
    frame = pl.read_csv(io.StringIO(stdout))
    bank1 = [account for creditor, account in order if creditor == "bank1"]
    assert frame.select("creditor_id", "priority", "account_id").rows() == [
        ("bank1", 1, bank1[0]),
        ("bank1", 2, bank1[1]),
    ]


def test_the_table_shows_each_queue_with_the_window_on_the_debtors_clock_and_in_utc(
    world: tuple[str, list[tuple[str, str]]],
) -> None:
    url, order = world
    code, stdout, _ = _run(url, "--date", "2026-03-02", "--channel", "call")
    assert code == 0
    titles = [text.strip() for text in stdout.splitlines() if " queue 2026-03-02 " in text]
    sizes = {creditor: sum(1 for c, _ in order if c == creditor) for creditor, _ in order}
    assert titles == [f"{creditor} call queue 2026-03-02 ({n})" for creditor, n in sizes.items()]
    london = next(text for text in stdout.splitlines() if " K1 " in text)
    assert "08:00-21:00" in london and "Europe/London" in london and "Di Fox" in london
    code, stdout, _ = _run(url, "--date", "2026-03-02", "--channel", "visit")
    assert (code, stdout.strip()) == (0, "no visit queued for 2026-03-02")


@pytest.mark.parametrize(
    ("args", "option", "message"),
    [
        (["--date", "2026-02-30"], "--date", "'2026-02-30' is not a date (YYYY-MM-DD)"),
        (["--date", "2026-03-02", "--channel", "sms"], "--channel", "'sms' is not one of call, visit"),
        (["--date", "2026-03-02", "--format", "xml"], "--format", "'xml' is not one of table, csv, json"),
        (["--date", "2026-03-02", "--limit", "0"], "--limit", "greater than or equal to 1"),
        ([], "--date", "Missing option"),
    ],
)
def test_bad_options_are_usage_errors_that_name_the_option(
    world: tuple[str, list[tuple[str, str]]], args: list[str], option: str, message: str
) -> None:
    code, _, stderr = _run(world[0], *args)
    assert code == 2
    flat = " ".join(stderr.replace("│", " ").split())
    assert option in flat and message in flat
