from datetime import date

import polars as pl

from recoup.core.schema import ACTION_SCHEMA
from recoup.sim.actions import simple_actions
from recoup.sim.portfolio import generate_portfolio


def test_simple_actions_are_scheduled_at_the_local_hour_in_each_zone():
    portfolio = generate_portfolio(500, seed=2, as_of=date(2026, 7, 1), jurisdiction_mix={"CN": 1, "US": 1})
    actions = simple_actions(portfolio.accounts, date(2026, 7, 1), "call", local_hour=9.25)
    assert actions.schema == pl.Schema(ACTION_SCHEMA)
    local = actions.select(
        (pl.col("scheduled_at") + pl.duration(minutes=pl.col("local_offset_minutes")))
        .dt.time()
        .cast(pl.String)
    )
    assert set(local.to_series()) == {"09:15:00"}
    assert set(actions["channel"]) == {"call"}
    offers = simple_actions(
        portfolio.accounts, date(2026, 7, 1), "offer", channel="sms", offer_kind="settlement", offer_share=0.5
    )
    balance = portfolio.accounts.select(pl.col("principal") + pl.col("interest") + pl.col("fees")).to_series()
    assert (offers["offer_amount"] * 2 <= balance).all() and (offers["offer_amount"] * 2 >= balance - 1).all()
    assert set(offers["channel"]) == {"sms"}
