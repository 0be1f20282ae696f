"""The order of the agents' queues: per creditor and channel, by expected value net of cost, the window
that closes first breaking ties, actions with no estimate last."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import polars as pl
import pytest

from recoup.adapters.db.queries import QUEUE_ACTION_SCHEMA
from recoup.core.compliance import load_rulebooks
from recoup.core.errors import ValidationError
from recoup.services.work_queues import COLUMNS, as_text, check_channel, day_queue, ordered_queue

DAY = date(2026, 3, 2)
BOOKS = load_rulebooks()
SHANGHAI = ("CN", "Asia/Shanghai", "CNY")
LONDON = ("UK", "Europe/London", "GBP")


def action(
    key: int,
    creditor: str,
    place: tuple[str, str, str],
    expected: int | None,
    *,
    channel: str = "call",
    cost: int | None = 250,
    action_name: str = "call",
) -> dict[str, Any]:
    jurisdiction, zone, currency = place
    return {
        "action_key": key,
        "account_key": key,
        "run_date": DAY,
        "action": action_name,
        "channel": channel,
        "scheduled_at": datetime(2026, 3, 2, 10, tzinfo=UTC),
        "offer_kind": "none",
        "segment": "s",
        "reasons": "r",
        "status": "queued",
        "expected_recovery": expected,
        "cost": cost,
        "currency": currency,
        "account_id": f"A{key}",
        "creditor_id": creditor,
        "debtor_id": f"D{key}",
        "debtor_name": f"debtor {key}",
        "jurisdiction": jurisdiction,
        "timezone": zone,
        "balance": 100_000 * key,
    }


def actions() -> pl.DataFrame:
    rows = [
        action(1, "a", LONDON, 750),  # value 500, but London's window closes after Shanghai's
        action(2, "a", SHANGHAI, 750),  # value 500
        action(3, "a", SHANGHAI, None),  # the ladder's: no estimate
        action(4, "a", SHANGHAI, 900, cost=None),  # value 900
        action(5, "a", SHANGHAI, 5_000, channel="visit", action_name="visit"),
        action(6, "a", SHANGHAI, 10_000, channel="sms", action_name="sms"),  # not an agent's
        action(7, "b", LONDON, 300, action_name="offer"),  # an offer made on a call
    ]
    return pl.DataFrame(rows, schema=QUEUE_ACTION_SCHEMA)


def test_each_creditor_and_channel_has_its_own_queue_by_value_then_closing_window() -> None:
    queue = ordered_queue(actions(), BOOKS)
    assert queue.columns == list(COLUMNS)
    assert queue.select("creditor_id", "channel", "priority", "account_key", "value").rows() == [
        ("a", "call", 1, 4, 900),
        ("a", "call", 2, 2, 500),
        ("a", "call", 3, 1, 500),
        ("a", "call", 4, 3, None),
        ("a", "visit", 1, 5, 4_750),
        ("b", "call", 1, 7, 50),
    ]
    london = queue.filter(pl.col("account_key") == 1).row(0, named=True)
    assert (london["window_start"], london["window_end"]) == (
        datetime(2026, 3, 2, 8, tzinfo=UTC),
        datetime(2026, 3, 2, 21, 0, 0, 1, tzinfo=UTC),
    )
    assert (london["zone"], london["window_local"], london["window_utc"]) == (
        "Europe/London",
        "08:00-21:00",
        "08:00-21:00",
    )


def test_one_channel_and_the_first_n_of_each_queue() -> None:
    calls = ordered_queue(actions(), BOOKS, channels=("call",), limit=1)
    assert calls.select("creditor_id", "account_key").rows() == [("a", 4), ("b", 7)]
    visits = ordered_queue(actions(), BOOKS, channels=("visit",))
    assert visits.get_column("account_key").to_list() == [5]


def test_an_empty_day_is_an_empty_queue() -> None:
    queue = ordered_queue(actions().clear(), BOOKS)
    assert queue.height == 0 and queue.columns == list(COLUMNS)


def test_the_text_form_writes_money_in_the_currency_and_instants_in_utc() -> None:
    shown = as_text(ordered_queue(actions(), BOOKS)).filter(pl.col("account_key") == 2).row(0, named=True)
    assert (shown["balance"], shown["expected_recovery"], shown["cost"], shown["value"]) == (
        "2000.00",
        "7.50",
        "2.50",
        "5.00",
    )
    assert (shown["window_start"], shown["window_end"]) == (
        "2026-03-02T00:00:00Z",
        "2026-03-02T14:00:00.000001Z",
    )


def test_unknown_channels_and_limits_below_one_are_refused_before_any_read() -> None:
    assert check_channel(None) == ("call", "visit")
    with pytest.raises(ValidationError, match="'sms' is not an agent channel") as bad:
        check_channel("sms")
    assert bad.value.field == "channel"
    with pytest.raises(ValidationError, match="limit 0 is below 1") as low:
        day_queue(None, DAY, limit=0)  # type: ignore[arg-type]
    assert low.value.field == "limit"
