from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest

from recoup.core.errors import ValidationError
from recoup.core.strategy.workqueue import work_queue

NINE = datetime(2026, 3, 2, 1, tzinfo=UTC)
NOON = datetime(2026, 3, 2, 4, tzinfo=UTC)
NIGHT = datetime(2026, 3, 2, 13, tzinfo=UTC)


def _chosen() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "account_key": [1, 2, 3, 4, 5, 6, 7],
            "creditor_id": ["b", "a", "b", "a", "b", "a", "a"],
            "channel": ["call", "call", "sms", "call", "call", "visit", "call"],
            "value": [5.0, 7.0, 9.0, 7.0, 6.0, 100.0, 1.0],
            "window_start": [NINE] * 7,
            "window_end": [NIGHT, NIGHT, NIGHT, NOON, NIGHT, NIGHT, NIGHT],
        }
    )


def test_calls_are_ordered_by_value_then_closing_window_per_creditor() -> None:
    queue = work_queue(_chosen())
    assert queue.select("creditor_id", "account_key", "priority").rows() == [
        ("a", 4, 1),  # equal value to account 2, but its window closes at noon
        ("a", 2, 2),
        ("a", 7, 3),
        ("b", 5, 1),
        ("b", 1, 2),
    ]


def test_visits_get_their_own_queue_when_asked() -> None:
    queue = work_queue(_chosen(), channels=("call", "visit"))
    visits = queue.filter(pl.col("channel") == "visit")
    assert visits.select("account_key", "priority").rows() == [(6, 1)]
    assert queue.filter((pl.col("creditor_id") == "a") & (pl.col("channel") == "call")).get_column(
        "priority"
    ).to_list() == [1, 2, 3]


def test_missing_windows_and_impossible_windows_are_refused() -> None:
    with pytest.raises(ValidationError, match="window_end"):
        work_queue(_chosen().drop("window_end"))
    with pytest.raises(ValidationError, match="account_key 4: the allowed window ends before it starts"):
        work_queue(_chosen().with_columns(window_start=pl.lit(NIGHT)))
