from dataclasses import replace
from datetime import date, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recoup.core.schema import EVENT_SCHEMA
from recoup.sim.actions import simple_actions
from recoup.sim.behaviour import DebtorBehaviour, contacts_outside_hours
from recoup.sim.parameters import DEFAULT_PARAMETERS
from recoup.sim.portfolio import generate_portfolio

START = date(2026, 3, 2)
N = 6_000


@pytest.fixture(scope="module")
def portfolio():
    return generate_portfolio(N, seed=7, as_of=START)


def balances(portfolio) -> pl.DataFrame:
    return portfolio.accounts.select(
        "account_id",
        "creditor_id",
        "currency",
        (pl.col("principal") + pl.col("interest") + pl.col("fees")).alias("balance"),
    )


def run(portfolio, plan, *, days: int, seed: int = 1, parameters=DEFAULT_PARAMETERS):
    """Run ``days`` days; ``plan(day)`` gives that day's actions. Returns (behaviour, all events)."""
    behaviour = DebtorBehaviour(portfolio, seed, parameters)
    events = [
        behaviour.respond(START + timedelta(days=i), plan(START + timedelta(days=i))) for i in range(days)
    ]
    return behaviour, pl.concat(events)


def nothing(portfolio):
    return lambda day: simple_actions(portfolio.accounts.head(0), day, "sms")


def every_day(portfolio, *kinds, hour=10.0, **offer):
    def plan(day):
        return pl.concat(
            [simple_actions(portfolio.accounts, day, kind, local_hour=hour, **offer) for kind in kinds]
        )

    return plan


def without_ids(events: pl.DataFrame) -> pl.DataFrame:
    return events.drop("event_id").sort(pl.all())


def test_same_seed_and_actions_give_the_same_events_and_other_seeds_or_actions_do_not(portfolio):
    plan = every_day(portfolio, "sms", "call")
    _, first = run(portfolio, plan, days=4)
    _, again = run(portfolio, plan, days=4)
    _, other_seed = run(portfolio, plan, days=4, seed=2)
    _, other_actions = run(portfolio, every_day(portfolio, "call"), days=4)
    assert first.equals(again)
    assert not first.equals(other_seed)
    assert not first.equals(other_actions)


def test_an_account_answers_the_same_whoever_else_is_contacted(portfolio):
    chosen = portfolio.accounts.head(500)

    def everyone(day):
        return simple_actions(portfolio.accounts, day, "call", local_hour=19)

    def few(day):
        return simple_actions(chosen, day, "call", local_hour=19)

    _, crowd = run(portfolio, everyone, days=3)
    _, alone = run(portfolio, few, days=3)
    ids = chosen.select("account_id")
    assert without_ids(crowd.join(ids, on="account_id")).equals(without_ids(alone.join(ids, on="account_id")))


def test_events_are_well_formed(portfolio):
    plan = every_day(portfolio, "sms", "email", "im", "letter", "call", "visit")
    _, events = run(portfolio, plan, days=3)
    assert events.schema == pl.Schema(EVENT_SCHEMA)
    assert events["event_id"].is_unique().all()
    assert events["event_id"].str.starts_with("sim-2026-03-0").all()
    known = portfolio.accounts.select("account_id", "creditor_id")
    assert events.join(known, on=["account_id", "creditor_id"], how="anti").is_empty()
    attempts = events.filter(
        (pl.col("type") == "contact") & (pl.col("direction") == "outbound") & (pl.col("outcome") != "read")
    )
    assert attempts.height == 6 * N * 3
    allowed = {
        "sms": {"delivered", "failed"},
        "email": {"delivered", "bounced"},
        "im": {"delivered", "failed"},
        "letter": {"delivered", "bounced"},
        "call": {"conversation", "no_answer", "busy", "voicemail", "wrong_party", "failed"},
        "visit": {"conversation", "no_answer", "wrong_party"},
    }
    for channel, outcomes in attempts.group_by("channel").agg(pl.col("outcome").unique()).iter_rows():
        assert set(outcomes) <= allowed[channel]
    assert set(events.filter(pl.col("outcome") == "read")["channel"]) <= {"email", "im"}
    assert set(events.filter(pl.col("outcome") == "replied")["direction"]) == {"inbound"}
    assert events.filter(pl.col("type") == "payment")["amount"].min() > 0
    promises = events.filter(pl.col("type") == "promise")
    assert promises.height > 0
    assert (promises["promise_due_on"] > promises["at"].dt.date()).all()


def test_times_carry_the_local_offset_and_calls_land_at_the_scheduled_time(portfolio):
    day = START
    actions = simple_actions(portfolio.accounts, day, "call", local_hour=19.5)
    events = DebtorBehaviour(portfolio, 1).respond(day, actions)
    calls = events.filter(pl.col("type") == "contact", pl.col("channel") == "call").join(
        portfolio.accounts.select("account_id", "timezone"), on="account_id"
    )
    local = calls.select(
        pl.col("at").dt.convert_time_zone("Asia/Shanghai").dt.time(), "timezone", "utc_offset_minutes"
    )
    shanghai = local.filter(pl.col("timezone") == "Asia/Shanghai")
    assert (shanghai["at"].cast(pl.String) == "19:30:00").all()
    assert (shanghai["utc_offset_minutes"] == 480).all()
    assert set(local.filter(pl.col("timezone") == "Asia/Urumqi")["utc_offset_minutes"]) == {360}


def test_payments_never_exceed_the_balance_beyond_the_documented_rounding(portfolio):
    offers = every_day(portfolio, "call", "sms")
    behaviour, events = run(portfolio, offers, days=30)
    paid = (
        events.filter(pl.col("type") == "payment")
        .group_by("account_id", "creditor_id")
        .agg(pl.col("amount").sum())
    )
    owed = paid.join(balances(portfolio), on=["account_id", "creditor_id"])
    step = DEFAULT_PARAMETERS.overpay_units * 100  # every simulated currency has two decimals
    assert (owed["amount"] <= owed["balance"] + step).all()
    over = owed.filter(pl.col("amount") > pl.col("balance"))
    assert over.height <= 0.03 * owed.height
    ledger = behaviour.payments_to_date().filter(pl.col("paid") > 0)
    assert (
        ledger.select("account_id", "paid")
        .sort("account_id")
        .equals(paid.select("account_id", pl.col("amount").alias("paid")).sort("account_id"))
    )
    assert (behaviour.payments_to_date()["owed"] >= 0).all()


def test_more_able_debtors_pay_more_under_equal_treatment(portfolio):
    behaviour, _ = run(portfolio, every_day(portfolio, "call", hour=19), days=20)
    paid = behaviour.payments_to_date().join(portfolio.truth.select("account_id", "ability"), on="account_id")
    low, high = paid["ability"].quantile(0.25), paid["ability"].quantile(0.75)
    rate_low = (paid.filter(pl.col("ability") <= low)["paid"] > 0).mean()
    rate_high = (paid.filter(pl.col("ability") >= high)["paid"] > 0).mean()
    assert rate_high > 1.5 * rate_low


def test_more_contacts_bring_more_complaints(portfolio):
    _, gentle = run(portfolio, every_day(portfolio, "sms"), days=14)
    _, pressing = run(portfolio, every_day(portfolio, "sms", "call", "call", "im"), days=14)

    def complaints(events):
        return events.filter(pl.col("type") == "complaint").height

    assert complaints(pressing) > 3 * max(complaints(gentle), 1)
    assert set(pressing.filter(pl.col("type") == "complaint")["note"]) >= {"frequency"}


def test_contacts_outside_hours_raise_complaint_risk_and_are_listed(portfolio):
    _, day_calls = run(portfolio, every_day(portfolio, "call", hour=10), days=5)
    _, night_calls = run(portfolio, every_day(portfolio, "call", hour=23), days=5)
    day_complaints = day_calls.filter(pl.col("type") == "complaint").height
    night_complaints = night_calls.filter(pl.col("type") == "complaint")
    assert night_complaints.height > 3 * max(day_complaints, 1)
    assert "hours" in set(night_complaints["note"])
    assert contacts_outside_hours(day_calls, portfolio).is_empty()
    listed = contacts_outside_hours(night_calls, portfolio)
    assert listed.height == N * 5
    assert listed.select("account_id", "local_day").n_unique() == N * 5
    early = simple_actions(portfolio.accounts, START, "sms", local_hour=7.5)
    assert contacts_outside_hours(early, portfolio).height == N


def test_an_accepted_settlement_pays_the_offer_and_closes_the_debt(portfolio):
    def plan(day):
        if day != START:
            return simple_actions(portfolio.accounts.head(0), day, "sms")
        return simple_actions(
            portfolio.accounts,
            day,
            "offer",
            channel="call",
            local_hour=19,
            offer_kind="settlement",
            offer_share=0.5,
        )

    behaviour, events = run(portfolio, plan, days=20)
    settled = events.filter(pl.col("note") == "settlement")
    assert settled.height > 0
    expected = balances(portfolio).with_columns(
        (pl.col("balance") * 0.5).floor().cast(pl.Int64).alias("offer")
    )
    check = settled.join(expected, on="account_id")
    assert (check["amount"] == check["offer"]).all()
    ledger = behaviour.payments_to_date().join(settled.select("account_id"), on="account_id")
    assert ledger["settled"].all() and (ledger["owed"] == 0).all()
    later = events.join(settled.select("account_id", pl.col("at").alias("settled_at")), on="account_id")
    assert later.filter(pl.col("type") == "payment", pl.col("at") > pl.col("settled_at")).is_empty()


def test_an_accepted_plan_pays_the_first_instalment_and_promises_the_rest(portfolio):
    actions = simple_actions(
        portfolio.accounts, START, "offer", channel="im", local_hour=20, offer_kind="installment", offer_share=0.9,
        offer_installments=4,
    )  # fmt: skip
    events = DebtorBehaviour(portfolio, 3).respond(START, actions)
    first = events.filter(pl.col("note") == "installment")
    assert first.height > 0
    promises = events.filter(pl.col("type") == "promise").join(first.select("account_id"), on="account_id")
    per_account = promises.group_by("account_id").agg(
        pl.len(), pl.col("amount").sum().alias("promised"), pl.col("promise_due_on").sort()
    )
    assert (per_account["len"] == 3).all()
    total = per_account.join(first.select("account_id", "amount"), on="account_id").join(
        actions.select("account_id", "offer_amount"), on="account_id"
    )
    assert (total["promised"] + total["amount"] == total["offer_amount"]).all()
    dues = per_account["promise_due_on"].to_list()[0]
    assert [(d - START).days for d in dues] == [30, 60, 90]


def test_kept_promises_pay_on_their_due_day(portfolio):
    _, events = run(
        portfolio,
        lambda day: every_day(portfolio, "call", hour=19)(day) if day == START else nothing(portfolio)(day),
        days=20,
    )
    promises = events.filter(pl.col("type") == "promise").select(
        "account_id", "promise_due_on", pl.col("amount").alias("promised")
    )
    kept = events.filter(pl.col("note") == "promise_kept").select(
        "account_id", pl.col("at").dt.date().alias("paid_on"), "amount"
    )
    joined = kept.join(promises, on="account_id")
    assert joined.height > 0
    assert (joined["amount"] <= joined["promised"]).all()
    assert (joined["paid_on"] - joined["promise_due_on"]).dt.total_days().abs().max() <= 1


def test_opting_out_and_disputing_change_what_follows(portfolio):
    behaviour, events = run(portfolio, every_day(portfolio, "sms", "call"), days=10)
    state = behaviour.state()
    opted = events.filter(pl.col("type") == "opt_out")
    assert opted.height > 0
    assert state.filter(pl.col("opted_out") != "").height == opted["account_id"].n_unique()
    disputes = events.filter(pl.col("type") == "dispute")
    assert state.filter(pl.col("disputed"))["account_id"].n_unique() >= disputes["account_id"].n_unique()
    assert "opted_out" in set(events.filter(pl.col("type") == "complaint")["note"])


def test_self_cure_happens_without_any_contact(portfolio):
    _, events = run(portfolio, nothing(portfolio), days=30)
    assert set(events["type"]) == {"payment"}
    assert 0.002 < events["account_id"].n_unique() / N < 0.1
    assert set(events["note"]) == {"self_cure"}


def test_parameters_steer_the_behaviour(portfolio):
    keen = replace(DEFAULT_PARAMETERS, self_cure_daily=0.01)
    _, baseline = run(portfolio, nothing(portfolio), days=10)
    _, more = run(portfolio, nothing(portfolio), days=10, parameters=keen)
    assert more.height > 3 * baseline.height


def test_bad_input_is_refused(portfolio):
    behaviour = DebtorBehaviour(portfolio, 1)
    behaviour.respond(START + timedelta(days=1), nothing(portfolio)(START))
    with pytest.raises(ValueError, match="backwards"):
        behaviour.respond(START, nothing(portfolio)(START))
    fresh = DebtorBehaviour(portfolio, 1)
    stranger = simple_actions(portfolio.accounts.head(1), START, "sms").with_columns(
        pl.lit("NOPE").alias("account_id")
    )
    with pytest.raises(ValueError, match="not in the portfolio"):
        fresh.respond(START, stranger)
    odd = simple_actions(portfolio.accounts.head(1), START, "sms").with_columns(pl.lit("fax").alias("action"))
    with pytest.raises(ValueError, match="vocabulary"):
        fresh.respond(START, odd)
    wrong_money = simple_actions(portfolio.accounts.head(1), START, "sms").with_columns(
        pl.lit("JPY").alias("currency")
    )
    with pytest.raises(ValueError, match="currency"):
        fresh.respond(START, wrong_money)


def test_two_calls_on_the_same_day_continue_the_sequence(portfolio):
    behaviour = DebtorBehaviour(portfolio, 1)
    morning = behaviour.respond(
        START, simple_actions(portfolio.accounts.head(10), START, "sms", local_hour=9)
    )
    evening = behaviour.respond(
        START, simple_actions(portfolio.accounts.head(10), START, "call", local_hour=19)
    )
    ids = pl.concat([morning["event_id"], evening["event_id"]])
    assert ids.is_unique().all()
    contacts = behaviour.state()["contacts_7d"].to_numpy()
    assert contacts[:10].sum() > 10
    assert not contacts[10:].any()


SMALL = generate_portfolio(40, seed=3, as_of=START)
ACTION_KINDS = ("sms", "email", "im", "letter", "call", "visit", "legal_review", "offer")


@st.composite
def action_days(draw):
    """A few days of arbitrary actions on a small portfolio: any account, kind, hour and offer."""
    days = []
    for _ in range(draw(st.integers(1, 4))):
        rows = draw(
            st.lists(
                st.tuples(
                    st.integers(0, SMALL.accounts.height - 1),
                    st.sampled_from(ACTION_KINDS),
                    st.floats(0, 23.9),
                    st.sampled_from(("none", "settlement", "installment")),
                    st.floats(0.05, 1.5),
                    st.integers(1, 6),
                ),
                max_size=60,
            )
        )
        days.append(rows)
    return days


def _actions_for(day, rows):
    frames = [
        simple_actions(
            SMALL.accounts[index : index + 1], day, kind, local_hour=hour,
            channel="sms" if kind == "offer" else None, offer_kind=offer, offer_share=share,
            offer_installments=count,
        )
        for index, kind, hour, offer, share, count in rows
    ]  # fmt: skip
    return pl.concat(frames) if frames else simple_actions(SMALL.accounts.head(0), day, "sms")


@settings(max_examples=40, deadline=None)
@given(plan=action_days(), seed=st.integers(0, 1000))
def test_any_actions_keep_the_books_straight(plan, seed):
    behaviour = DebtorBehaviour(SMALL, seed)
    events = pl.concat(
        [
            behaviour.respond(START + timedelta(days=i), _actions_for(START + timedelta(days=i), rows))
            for i, rows in enumerate(plan)
        ]
    )
    assert events["event_id"].is_unique().all()
    contacts = sum(1 for rows in plan for row in rows if row[1] != "legal_review")
    attempts = events.filter(
        pl.col("type") == "contact", pl.col("direction") == "outbound", pl.col("outcome") != "read"
    )
    assert attempts.height == contacts
    ledger = behaviour.payments_to_date().join(balances(SMALL), on=["account_id", "creditor_id"])
    assert (ledger["owed"] >= 0).all()
    assert (ledger["paid"] <= ledger["balance"] + DEFAULT_PARAMETERS.overpay_units * 100).all()
    paid = events.filter(pl.col("type") == "payment")["amount"].sum()
    assert paid == ledger["paid"].sum()
    assert (ledger.filter(pl.col("settled"))["owed"] == 0).all()


def test_a_filtered_portfolio_still_pairs_each_account_with_its_own_truth(portfolio):
    part = replace(portfolio, accounts=portfolio.accounts.tail(300).reverse())
    actions = simple_actions(part.accounts, START, "call", local_hour=19)
    subset = DebtorBehaviour(part, 4).respond(START, actions)
    whole = DebtorBehaviour(portfolio, 4).respond(START, actions)
    assert without_ids(subset).equals(
        without_ids(whole.join(part.accounts.select("account_id"), on="account_id"))
    )
    orphan = replace(portfolio, truth=portfolio.truth.head(10))
    with pytest.raises(ValueError, match="truth"):
        DebtorBehaviour(orphan, 4)
