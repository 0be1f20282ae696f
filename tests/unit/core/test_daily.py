from __future__ import annotations

import polars as pl

from recoup.core.daily import compact_priorities


def test_chosen_calls_and_visits_are_renumbered_per_queue_in_their_order() -> None:
    chosen = pl.DataFrame(
        {
            "account_key": [1, 2, 3, 4, 5, 6],
            "action": ["call", "offer", "visit", "sms", "call", "visit"],
            "channel": ["call", "call", "visit", "sms", "call", None],
            "priority": [7, 3, 40, None, 12, 2],
        }
    )
    result = compact_priorities(chosen)
    assert dict(result.select("account_key", "priority").iter_rows()) == {
        1: 2,
        2: 1,
        3: 2,
        4: None,
        5: 3,
        6: 1,
    }
