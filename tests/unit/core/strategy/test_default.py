from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recoup.core.accounts import COLLECTION_HOLDS
from recoup.core.errors import ValidationError
from recoup.core.schema import CANDIDATE_SCHEMA
from recoup.core.strategy import baseline
from recoup.core.strategy.default import StrategyConfig, default_config, propose
from recoup.core.strategy.experiments import Arm, Experiment, assign_arms
from recoup.core.strategy.optimiser import Capacities, choose
from recoup.core.strategy.paths import OfferRule, Step, default_playbook

RUN = date(2026, 3, 2)
Factory = Callable[..., pl.DataFrame]
seeds = st.integers(0, 10_000)
fixtures_ok = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _experiment() -> Experiment:
    challenger = replace(default_playbook(), name="challenger", version=7)
    return Experiment(
        "exp",
        "seed-1",
        (Arm("champion", 5_000), Arm("challenger-1", 2_000, challenger), Arm("holdout", 3_000)),
    )


def _by_key(inputs: pl.DataFrame, candidates: pl.DataFrame) -> pl.DataFrame:
    return candidates.join(inputs, on="account_key", how="left", suffix="_input")


def test_candidates_have_the_candidate_schema(inputs_factory: Factory) -> None:
    candidates = propose(inputs_factory(500), RUN)
    assert candidates.schema == pl.Schema(CANDIDATE_SCHEMA)
    assert candidates.height > 0
    assert set(candidates.get_column("strategy").unique()) == {"default@v2"}
    assert candidates.get_column("reasons").str.starts_with("seg:").all()


@fixtures_ok
@given(seed=seeds)
def test_accounts_on_hold_get_no_collection_action(inputs_factory: Factory, seed: int) -> None:
    inputs = inputs_factory(300, seed).with_columns(
        balance=pl.when(pl.col("account_key") % 17 == 0).then(0).otherwise(pl.col("balance"))
    )
    treated = _by_key(inputs, propose(inputs, RUN))
    flags = treated.get_column("flags").fill_null("").str.split(";")
    for hold in COLLECTION_HOLDS:
        assert not flags.list.contains(hold).any(), hold
    assert (treated.get_column("balance") > 0).all()
    recalled = inputs.with_columns(status=pl.lit("recalled"))
    assert propose(recalled, RUN).height == 0


@fixtures_ok
@given(seed=seeds)
def test_vulnerable_and_hardship_get_no_firm_tone_visit_or_legal_review(
    inputs_factory: Factory, seed: int
) -> None:
    candidates = propose(inputs_factory(400, seed), RUN)
    protected = candidates.filter(pl.col("segment").is_in(["vulnerable", "unable_willing"]))
    assert protected.height > 0
    assert not (protected.get_column("tone") == "firm").any()
    assert not protected.get_column("action").is_in(["visit", "legal_review"]).any()


def test_forbearance_is_enforced_even_if_a_playbook_slipped_through(inputs_factory: Factory) -> None:
    book = default_playbook()
    firm_visit = Step(
        "pressure", "visit", "visit", "visit_firm", "firm", 1, None, 0, OfferRule(), book.paths[0].when, ()
    )
    # Built without the loader, so without its validation: the strategy itself must still refuse.
    rogue = replace(book, paths=(*book.paths, replace(book.paths[-1], id="rogue", steps=(firm_visit,))))
    inputs = inputs_factory(400).with_columns(flags=pl.lit("vulnerable"), has_address=pl.lit(True))
    config = replace(default_config(), playbooks={"*": rogue})
    candidates = propose(inputs, RUN, config)
    assert candidates.height > 0
    assert not (candidates.get_column("tone") == "firm").any()
    assert not (candidates.get_column("action") == "visit").any()


def test_a_holdout_account_is_never_treated(inputs_factory: Factory) -> None:
    inputs = inputs_factory(2_000)
    config = default_config(_experiment())
    arms = inputs.select("account_key", arm=assign_arms(inputs, config.experiment))
    candidates = propose(inputs, RUN, config)
    labelled = candidates.join(arms, on="account_key")
    assert (labelled.get_column("variant") == labelled.get_column("arm")).all()
    assert not (labelled.get_column("arm") == "holdout").any()
    assert arms.filter(pl.col("arm") == "holdout").height > 400
    # Even if a holdout candidate reached the optimiser, it would refuse it.
    smuggled = candidates.with_columns(variant=pl.lit("holdout"))
    assert choose(smuggled, Capacities()).height == 0


def test_the_challenger_arm_runs_its_own_playbook(inputs_factory: Factory) -> None:
    candidates = propose(inputs_factory(2_000), RUN, default_config(_experiment()))
    pairs = set(candidates.select("variant", "strategy").unique().rows())
    assert pairs == {("champion", "default@v2"), ("challenger-1", "challenger@v7")}


def test_a_creditor_playbook_replaces_the_default_for_that_creditor_only(inputs_factory: Factory) -> None:
    own = replace(default_playbook(), name="bank0-paths", version=4, creditor_id="bank-0")
    config = replace(default_config(), playbooks={"*": default_playbook(), "bank-0": own})
    inputs = inputs_factory(600)
    labelled = _by_key(inputs, propose(inputs, RUN, config))
    by_creditor = set(labelled.select("creditor_id", "strategy").unique().rows())
    assert by_creditor == {("bank-0", "bank0-paths@v4"), ("bank-1", "default@v2")}
    with pytest.raises(ValidationError, match=r"no playbook for creditors \['bank-1'\]"):
        propose(inputs, RUN, replace(config, playbooks={"bank-0": own}))


@fixtures_ok
@given(seed=seeds)
def test_offers_stay_inside_the_guardrails(inputs_factory: Factory, seed: int) -> None:
    rails = default_playbook().guardrails
    offers = _by_key(inputs := inputs_factory(500, seed), propose(inputs, RUN)).filter(
        pl.col("offer_kind") != "none"
    )
    assert offers.height > 0
    assert (offers.get_column("offer_expires_on") == RUN + timedelta(days=rails.offer_valid_days)).all()
    plans = offers.filter(pl.col("offer_kind") == "installment")
    assert (plans.get_column("offer_amount") == plans.get_column("balance")).all()
    assert plans.get_column("offer_installments").is_between(1, rails.max_installments).all()
    smallest = plans.get_column("offer_amount") // plans.get_column("offer_installments")
    single_small = (plans.get_column("offer_installments") == 1) & (
        plans.get_column("balance") < rails.min_installment["CNY"]
    )
    assert ((smallest >= rails.min_installment["CNY"]) | single_small).all()
    deals = offers.filter(pl.col("offer_kind") == "settlement")
    forgiven = deals.get_column("balance") - deals.get_column("offer_amount")
    assert (forgiven * 100 <= deals.get_column("balance") * rails.max_discount_pct).all()
    assert (forgiven >= 0).all()


def test_channels_respect_contact_points_consent_opt_outs_and_the_weekly_limit(
    inputs_factory: Factory,
) -> None:
    inputs = inputs_factory(3_000, 4)
    joined = _by_key(inputs, propose(inputs, RUN))
    reach = {
        "sms": "has_phone",
        "call": "has_phone",
        "email": "has_email",
        "im": "has_im",
        "letter": "has_address",
        "visit": "has_address",
    }
    for channel, column in reach.items():
        rows = joined.filter(pl.col("channel") == channel)
        assert rows.get_column(column).all(), channel
        assert not rows.get_column("opted_out").str.split(";").list.contains(channel).any(), channel
        consent = f"consent_{channel}"
        if consent in rows.columns:
            assert rows.get_column(consent).fill_null(True).all(), channel
    contacts = joined.filter(pl.col("channel").is_not_null())
    assert (contacts.get_column("contacts_7d") < 4).all()


def test_exit_conditions_and_waits_stop_steps(inputs_factory: Factory) -> None:
    inputs = inputs_factory(2_000, 9)
    joined = _by_key(inputs, propose(inputs, RUN))
    gentle = joined.filter(pl.col("segment") == "able_willing")
    assert not gentle.get_column("open_promise").any()
    assert not gentle.get_column("on_plan").any()
    waited = joined.filter(pl.col("days_since_last_contact").is_not_null())
    sms = waited.filter(pl.col("reasons").str.contains("step:reminder_sms"))
    assert (sms.get_column("days_since_last_contact") >= 5).all()


def test_same_inputs_and_seed_give_the_same_plan_in_any_row_order(inputs_factory: Factory) -> None:
    inputs = inputs_factory(3_000, 21)
    config = default_config(_experiment())
    caps = Capacities(calls=40, visits=5, legal_reviews=3, message_budget=5_000)
    first = choose(propose(inputs, RUN, config), caps)
    again = choose(propose(inputs, RUN, default_config(_experiment())), caps)
    shuffled = choose(propose(inputs.sample(fraction=1.0, shuffle=True, seed=3), RUN, config), caps)
    assert first.equals(again)
    assert first.equals(shuffled)
    assert first.height > 0


def test_an_unpriced_currency_is_an_error_not_a_silent_skip(inputs_factory: Factory) -> None:
    with pytest.raises(ValidationError, match="default@v2 has no costs for JPY"):
        propose(inputs_factory(50, currency="JPY"), RUN)


def test_expected_value_nets_out_what_would_come_anyway_and_the_cost(inputs_factory: Factory) -> None:
    candidates = propose(inputs_factory(1_000), RUN)
    assert (candidates.get_column("expected_recovery") >= 0).all()
    # value (major units) can never exceed the expected recovery (minor units / 100).
    assert (candidates.get_column("value") <= candidates.get_column("expected_recovery") / 100).all()
    # Money scales with the currency's reference value; the contact risk is already in reference units.
    riskless = replace(default_config(), contact_risk=0.0)
    plain = propose(inputs_factory(1_000), RUN, riskless)
    scaled = propose(inputs_factory(1_000), RUN, replace(riskless, value_per_major={"CNY": 0.14}))
    assert scaled.get_column("value").to_list() == pytest.approx(
        [v * 0.14 for v in plain.get_column("value")]
    )


def test_the_optimiser_takes_the_baseline_ladder_too(inputs_factory: Factory) -> None:
    ladder = baseline.propose(inputs_factory(2_000), RUN, baseline.BaselineConfig())
    caps = Capacities(calls=25, legal_reviews=2, message_budget=1_000)
    chosen = choose(ladder, caps)
    assert chosen.height > 0
    assert chosen.filter(pl.col("channel") == "call").height <= 25
    assert chosen.filter(pl.col("action") == "legal_review").height <= 2
    assert (
        chosen.filter(pl.col("channel").is_in(["sms", "email", "im", "letter"])).get_column("cost").sum()
        <= 1_000
    )


def test_a_config_is_a_plain_value(inputs_factory: Factory) -> None:
    config = default_config()
    assert isinstance(config, StrategyConfig)
    assert propose(inputs_factory(10).clear(), RUN, config).height == 0


def _one_account(inputs_factory: Factory, **values: object) -> pl.DataFrame:
    """A plain account (no hold, every channel open) with the given columns overridden."""
    row = inputs_factory(1).with_columns(
        flags=pl.lit(""),
        opted_out=pl.lit(""),
        open_promise=pl.lit(False),
        on_plan=pl.lit(False),
        broken_promises_60d=pl.lit(0, dtype=pl.Int64),
        ability_score=pl.lit(0.8),
        willingness_score=pl.lit(0.2),
        dpd=pl.lit(120, dtype=pl.Int64),
        balance=pl.lit(2_000_000, dtype=pl.Int64),
        days_since_last_contact=pl.lit(None, dtype=pl.Int64),
        contacts_7d=pl.lit(0, dtype=pl.Int64),
        **{f"has_{c}": pl.lit(True) for c in ("phone", "email", "im", "address")},
        **{f"consent_{c}": pl.lit(True) for c in ("sms", "email", "im", "call")},
    )
    return row.with_columns(**{name: pl.lit(value) for name, value in values.items()})


def test_no_contact_within_the_minimum_gap(inputs_factory: Factory) -> None:
    gap = default_playbook().min_gap_days
    assert gap > 0
    inside = propose(_one_account(inputs_factory, days_since_last_contact=gap - 1), RUN)
    assert inside.filter(pl.col("channel").is_not_null()).height == 0
    after = propose(_one_account(inputs_factory, days_since_last_contact=60), RUN)
    assert after.filter(pl.col("channel") == "call").height > 0


def test_recent_contacts_lower_a_contacts_value_by_fatigue_and_risk(inputs_factory: Factory) -> None:
    config = default_config()
    fresh = propose(_one_account(inputs_factory, days_since_last_contact=30), RUN, config)
    tired = propose(_one_account(inputs_factory, days_since_last_contact=30, contacts_7d=1), RUN, config)
    pairs = fresh.join(tired, on="reasons", suffix="_tired").filter(pl.col("channel").is_not_null())
    assert pairs.height > 0
    assert (pairs.get_column("value_tired") < pairs.get_column("value")).all()
    # The risk alone: with no fatigue, a third contact in seven days carries twice the base risk.
    loose = replace(default_playbook(), max_contacts_7d=10)
    flat = replace(config, fatigue=1.0, playbooks={"*": loose})
    fresh = propose(_one_account(inputs_factory, days_since_last_contact=30, contacts_7d=1), RUN, flat)
    tired = propose(_one_account(inputs_factory, days_since_last_contact=30, contacts_7d=2), RUN, flat)
    pairs = fresh.join(tired, on="reasons", suffix="_tired").filter(pl.col("channel").is_not_null())
    gaps = (pairs.get_column("value") - pairs.get_column("value_tired")).to_list()
    assert gaps == pytest.approx([flat.contact_risk] * len(gaps))


def test_an_offer_by_call_is_worth_more_than_the_same_offer_by_message(inputs_factory: Factory) -> None:
    candidates = propose(_one_account(inputs_factory), RUN)
    settlements = candidates.filter(pl.col("offer_kind") == "settlement")
    by_channel = dict(zip(settlements["channel"], settlements["expected_recovery"], strict=True))
    assert by_channel["call"] > by_channel["im"]


def test_calls_are_candidates_from_the_first_day_past_due(inputs_factory: Factory) -> None:
    for ability, willingness in ((0.8, 0.8), (0.8, 0.2), (0.2, 0.8), (0.2, 0.2)):
        account = _one_account(inputs_factory, dpd=3, ability_score=ability, willingness_score=willingness)
        assert propose(account, RUN).filter(pl.col("channel") == "call").height > 0


def test_legal_review_is_rare_and_never_for_small_balances(inputs_factory: Factory) -> None:
    inputs = inputs_factory(3_000).with_columns(days_since_last_contact=pl.lit(None, dtype=pl.Int64))
    chosen = choose(propose(inputs, RUN), Capacities(calls=100))
    legal = _by_key(inputs, chosen.filter(pl.col("action") == "legal_review"))
    assert legal.height <= inputs.height // 50
    assert (legal.get_column("balance") >= 1_000_000).all()  # the large band: 10,000.00 CNY and up
