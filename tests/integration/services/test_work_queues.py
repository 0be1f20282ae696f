"""The work queues of a day the daily run decided, on SQLite and PostgreSQL: every call sits inside its
window, on the clock of the zone the compliance engine used, each creditor's queue runs by value, and
filters narrow it."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from recoup.adapters.db.engine import Database
from recoup.services.work_queues import day_queue
from tests.integration.queue_day import HOURS, RUN_DATE, ZONES, expected_order, run_queue_day


def test_a_runs_calls_are_queued_per_creditor_by_value_each_inside_its_window(
    db: Database, tmp_path: Path
) -> None:
    run_queue_day(db, tmp_path)
    queue = day_queue(db, RUN_DATE)
    order = expected_order(db)
    assert len(order) >= 5 and {creditor for creditor, _ in order} >= {"bank1", "bank2"}
    assert queue.select("creditor_id", "account_id").rows() == order
    for _, rows in queue.group_by("creditor_id", maintain_order=True):
        assert rows.get_column("priority").to_list() == list(range(1, rows.height + 1))
        values = rows.get_column("value").to_list()
        assert values == sorted(values, reverse=True)
    # The run placed every call where the batch evaluator allows it: inside the window.
    assert queue.filter(
        (pl.col("window_start") > pl.col("scheduled_at")) | (pl.col("scheduled_at") >= pl.col("window_end"))
    ).is_empty()
    # Zones as stored (Urumqi, Los Angeles, London) and derived from the phone number (+86, +1 212, +1 312).
    assert queue.select("account_id", "zone", "window_local").rows() == [
        (account, ZONES[account], HOURS[account[0]]) for _, account in order
    ]
    assert set(queue.get_column("account_id")) & {"C1", "U1", "U4"}  # some zone was derived


def test_filters_narrow_the_queue(db: Database, tmp_path: Path) -> None:
    run_queue_day(db, tmp_path)
    bank2 = [account for creditor, account in expected_order(db) if creditor == "bank2"]
    assert day_queue(db, RUN_DATE, creditor="bank2", limit=2).get_column("account_id").to_list() == bank2[:2]
    assert day_queue(db, RUN_DATE, channel="visit").is_empty()
    assert day_queue(db, RUN_DATE, creditor="nobody").is_empty()
    assert day_queue(db, RUN_DATE.replace(day=3)).is_empty()
