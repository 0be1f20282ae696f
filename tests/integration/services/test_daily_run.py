from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from recoup.adapters.db.bulk import read_frame
from recoup.adapters.db.engine import Database
from recoup.bootstrap import App
from recoup.config import Settings
from recoup.core.schema import UTC_INSTANT
from recoup.entrypoints.jobs.daily import run_day
from recoup.services.daily_run import STEPS, RunOptions
from tests.integration.services.helpers import DATA, load_accounts, load_events, raw, snapshot

HEADER = "account_id,creditor_id,debtor_id,debtor_type,debtor_name,currency,principal,interest,fees,due_on,jurisdiction,phone,email,flags\n"


def _app(db: Database) -> App:
    return App(settings=Settings(), db=db)


def test_a_run_queues_once_and_repeats_as_a_no_op(db: Database, tmp_path: Path) -> None:
    load_accounts(db, raw((DATA / "accounts_small.csv").read_text(encoding="utf-8"), tmp_path))
    load_events(db, raw((DATA / "events_small.csv").read_text(encoding="utf-8"), tmp_path, "e.csv"))
    first = run_day(_app(db), date(2026, 3, 1), RunOptions())
    assert [r.step for r in first.ran] == list(STEPS)
    after_first = snapshot(db)
    second = run_day(_app(db), date(2026, 3, 1), RunOptions())
    assert second.already_done
    assert snapshot(db) == after_first
    actions = read_frame(db, "SELECT account_key, action FROM actions")
    assert actions.height == actions.unique().height > 0


def test_holds_and_open_promises_get_no_collection_action(db: Database, tmp_path: Path) -> None:
    text = HEADER + (
        "H1,b,D1,individual,甲,CNY,100.00,0,0,2026-01-01,CN,+8613800138001,,cease\n"
        "H2,b,D2,individual,乙,CNY,100.00,0,0,2026-01-01,CN,+8613800138002,,bankrupt\n"
        "H3,b,D3,individual,丙,CNY,100.00,0,0,2026-01-01,CN,+8613800138003,,dispute\n"
        "OK,b,D4,individual,丁,CNY,100.00,0,0,2026-01-01,CN,+8613800138004,,\n"
    )
    load_accounts(db, raw(text, tmp_path))
    run_day(_app(db), date(2026, 3, 1), RunOptions())
    acted = read_frame(db, 'SELECT c.account_id FROM actions a JOIN accounts c ON c."key" = a.account_key')
    assert acted.get_column("account_id").to_list() == ["OK"]


def test_payments_keep_a_promise_and_a_missed_one_breaks(db: Database, tmp_path: Path) -> None:
    text = HEADER + (
        "P1,b,D1,individual,甲,CNY,1000.00,0,0,2026-01-01,CN,+8613800138001,,\n"
        "P2,b,D2,individual,乙,CNY,1000.00,0,0,2026-01-01,CN,+8613800138002,,\n"
    )
    load_accounts(db, raw(text, tmp_path))
    load_events(
        db,
        raw(
            "event_id,account_id,at,type,amount,promise_due_on\n"
            "p1,P1,2026-03-01T10:00:00+08:00,promise,300.00,2026-03-03\n"
            "p2,P2,2026-03-01T10:00:00+08:00,promise,300.00,2026-03-03\n",
            tmp_path,
            "e1.csv",
        ),
    )
    run_day(_app(db), date(2026, 3, 1), RunOptions(grace_days=2))
    load_events(
        db,
        raw(
            "event_id,account_id,at,type,amount\n"
            "x1,P1,2026-03-02T09:00:00+08:00,payment,100.00\nx2,P1,2026-03-03T20:00:00+08:00,payment,200.00\n"
            "x3,P2,2026-03-02T09:00:00+08:00,payment,50.00\n",
            tmp_path,
            "e2.csv",
        ),
    )
    for day in range(2, 7):
        run_day(_app(db), date(2026, 3, day), RunOptions(grace_days=2))
    promises = dict(read_frame(db, "SELECT event_id, status FROM promises ORDER BY event_id").iter_rows())
    assert promises == {"p1": "kept", "p2": "broken"}
    balances = dict(
        read_frame(db, "SELECT account_id, principal FROM accounts ORDER BY account_id").iter_rows()
    )
    assert balances == {"P1": 70000, "P2": 95000}


def test_an_opt_out_stops_that_channel(db: Database, tmp_path: Path) -> None:
    text = HEADER + "S1,b,D1,individual,甲,CNY,100.00,0,0,2026-02-25,CN,+8613800138001,s1@example.cn,\n"
    load_accounts(db, raw(text, tmp_path))
    load_events(
        db,
        raw(
            "event_id,account_id,at,type,channel\no1,S1,2026-03-01T09:00:00+08:00,opt_out,sms\n",
            tmp_path,
            "e.csv",
        ),
    )
    run_day(_app(db), date(2026, 3, 1), RunOptions())
    assert read_frame(db, "SELECT action FROM actions").get_column("action").to_list() == ["email"]


def test_the_queued_calls_are_numbered_one_to_n_in_order_of_value(
    sqlite_db: Database, tmp_path: Path
) -> None:
    load_accounts(sqlite_db, raw((DATA / "accounts_small.csv").read_text(encoding="utf-8"), tmp_path))
    run_day(_app(sqlite_db), date(2026, 3, 1), RunOptions(strategy="default"))
    calls = read_frame(
        sqlite_db,
        "SELECT priority, scheduled_at, local_offset_minutes FROM actions WHERE channel = 'call' ORDER BY priority",
        {"priority": pl.Int64(), "scheduled_at": UTC_INSTANT, "local_offset_minutes": pl.Int64()},
    )
    assert calls.height > 0
    assert calls.get_column("priority").to_list() == list(range(1, calls.height + 1))
    # The agents' day follows the queue: the higher the priority, the earlier on the debtor's clock.
    local = calls.select(pl.col("scheduled_at") + pl.duration(minutes=pl.col("local_offset_minutes")))
    assert local.to_series().is_sorted()
