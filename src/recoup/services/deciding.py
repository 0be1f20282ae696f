"""Deciding a day: score, segment, propose, check against the rulebook, optimise, and write the outbox.

Every contact a strategy proposes passes the compliance engine's batch evaluator before the optimiser may
choose it: a blocked contact that the rulebook would allow later the same local day is moved to that time,
any other is dropped. The decision log keeps each blocked contact and each queued action with the rule ids
that decided it. Nothing here commits; the job's transaction covers the outbox and the log together.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

import polars as pl
from sqlalchemy import Connection

from recoup.adapters.db import audit, portfolio
from recoup.adapters.db.bulk import insert_new, next_key
from recoup.adapters.db.engine import Database
from recoup.adapters.db.payment_queries import plan_summary
from recoup.adapters.models.registry import ModelRegistry
from recoup.core.audit import Cover
from recoup.core.compliance import RulebookSet, evaluate_batch, load_rulebooks
from recoup.core.daily import build_inputs, compact_priorities, count_by, outbox_rows, schedule
from recoup.core.schema import MESSAGE_CHANNELS
from recoup.core.scoring.artifacts import VersionedScorer
from recoup.core.scoring.features import build_features
from recoup.core.strategy import (
    Capacities,
    StrategyConfig,
    assign_segments,
    baseline,
    choose,
    default_config,
)
from recoup.core.strategy import propose as default_propose
from recoup.core.strategy.experiments import HOLDOUT, Experiment, assign_arms
from recoup.core.templates import TemplateLibrary, render_messages
from recoup.core.templates.linting import rulebook_linter
from recoup.core.timezones import utc_offset_minutes
from recoup.services import strategies
from recoup.services.modeling import score_accounts, scoring_models
from recoup.services.options import RunOptions, StepResult
from recoup.services.templates import template_library

STRATEGIES = ("baseline", "default")
HISTORY_DAYS = 8  # the longest lookback of a frequency rule (US: 7 calls in 7 days) plus one


Proposer = Callable[[pl.DataFrame, date], pl.DataFrame]


def proposer(name: str, config: StrategyConfig | None = None) -> Proposer:
    """The strategy's candidates; ``config`` is the default strategy's (the shipped one when None)."""
    if name == "baseline":
        return baseline.propose
    if name == "default":
        chosen = config or default_config()
        return lambda inputs, run_date: default_propose(inputs, run_date, chosen)
    raise ValueError(f"unknown strategy {name!r} (known: {', '.join(STRATEGIES)})")


def in_arms(candidates: pl.DataFrame, inputs: pl.DataFrame, experiment: Experiment | None) -> pl.DataFrame:
    """Every candidate labelled with its account's arm, and none for a holdout account, whatever strategy
    proposed it (the baseline ladder knows nothing of experiments)."""
    if experiment is None:
        return candidates
    arms = inputs.select("account_key", _arm=assign_arms(inputs, experiment))
    return (
        candidates.join(arms, on="account_key", how="left")
        .filter(pl.col("_arm") != HOLDOUT)
        .with_columns(variant=pl.col("_arm"))
        .drop("_arm")
    )


def capacities(options: RunOptions) -> Capacities:
    return Capacities(
        calls=options.capacity.get("call"),
        visits=options.capacity.get("visit"),
        legal_reviews=options.capacity.get("legal_review"),
        message_budget=options.message_budget,
    )


# ------------------------------------------------------------------------------------------- check


def attempt_id() -> pl.Expr:
    """One id per candidate contact: an account may be offered the same action on several channels."""
    return pl.concat_str(
        [pl.col("account_key").cast(pl.String), pl.col("action"), pl.col("channel").fill_null("")],
        separator=":",
    )


def attempts_frame(scheduled: pl.DataFrame, accounts: pl.DataFrame) -> pl.DataFrame:
    """The compliance engine's attempts for every candidate that contacts someone (legal review does not)."""
    contacts = scheduled.filter(pl.col("channel").is_not_null())
    return contacts.join(accounts, on="account_key", how="left").select(
        attempt_id=attempt_id(),
        account_key="account_key",
        account_id="account_id",
        debtor_id="debtor_id",
        jurisdiction="jurisdiction",
        channel="channel",
        at="scheduled_at",
        recipient=pl.lit("debtor"),
        timezones="timezone",
        phone=pl.col("phone").str.split(";").list.first(),
        region="region",
        flags="flags",
        opted_out="opted_out",
        consent_sms="consent_sms",
        consent_email="consent_email",
        consent_im="consent_im",
        consent_call="consent_call",
        statute_limit_on="statute_limit_on",
    )


def _same_local_day(frame: pl.DataFrame, run_date: date) -> pl.Expr:
    local = pl.col("next_allowed_at") + pl.duration(minutes=pl.col("_next_offset"))
    return pl.col("next_allowed_at").is_not_null() & (local.dt.date() == run_date)


def check(
    scheduled: pl.DataFrame,
    accounts: pl.DataFrame,
    history: pl.DataFrame,
    rulebooks: RulebookSet,
    run_date: date,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(contacts allowed today, possibly moved to a later hour, plus non-contact actions; the decision log
    rows of the blocked ones). Both keep the candidates' columns."""
    attempts = attempts_frame(scheduled, accounts)
    decided = evaluate_batch(attempts, history, rulebooks)
    keyed = scheduled.with_columns(attempt_id=attempt_id()).join(decided, on="attempt_id", how="left")
    keyed = utc_offset_minutes(
        keyed.with_columns(pl.coalesce(pl.col("next_allowed_at"), pl.col("scheduled_at")).alias("_next_at")),
        "_next_at",
        "zone",
        "_next_offset",
    )
    internal = pl.col("channel").is_null()
    movable = ~pl.col("allowed").fill_null(True) & _same_local_day(keyed, run_date)
    allowed = keyed.filter(internal | pl.col("allowed") | movable).with_columns(
        rescheduled=movable,
        scheduled_at=pl.when(movable).then(pl.col("next_allowed_at")).otherwise(pl.col("scheduled_at")),
        local_offset_minutes=pl.when(movable)
        .then(pl.col("_next_offset"))
        .otherwise(pl.col("local_offset_minutes")),
    )
    blocked = keyed.filter(~internal & ~pl.col("allowed") & ~movable)
    return allowed.drop("_next_at", "_next_offset"), blocked.drop("_next_at", "_next_offset")


def _decision_rows(
    blocked: pl.DataFrame, chosen: pl.DataFrame, run_date: date, first_key: int
) -> pl.DataFrame:
    columns = [
        "account_key",
        "action",
        "channel",
        "scheduled_at",
        "allowed",
        "violations",
        "warnings",
        "next_allowed_at",
    ]
    frames = [
        blocked.select(columns),
        chosen.filter(pl.col("channel").is_not_null())
        .select(columns)
        .with_columns(pl.lit(True).alias("allowed")),
    ]
    rows = pl.concat(frames, how="vertical_relaxed").sort("account_key", "action")
    return rows.with_columns(
        key=pl.int_range(first_key, first_key + rows.height, dtype=pl.Int64),
        run_date=pl.lit(run_date),
        violations=pl.col("violations").fill_null(""),
        warnings=pl.col("warnings").fill_null(""),
    ).rename({"scheduled_at": "at"})


def _blocks_by_rule(blocked: pl.DataFrame) -> dict[str, int]:
    if blocked.is_empty():
        return {}
    rules = (
        blocked.select(pl.col("violations").str.split(";"))
        .explode("violations")
        .filter(pl.col("violations") != "")
    )
    return dict(count_by(rules, "violations"))


# ------------------------------------------------------------------------------------------- decide


SCORING_LOOKBACK_DAYS = 365


def score(
    db: Database, accounts: pl.DataFrame, run_date: date, models: Mapping[str, VersionedScorer]
) -> pl.DataFrame:
    """Ability and willingness for every account, with reason codes, from a year of its events."""
    since = datetime.combine(run_date - timedelta(days=SCORING_LOOKBACK_DAYS), datetime.min.time())
    features = build_features(accounts, portfolio.scoring_events(db, since), run_date)
    return score_accounts(features, models)


def model_version(models: Mapping[str, VersionedScorer]) -> str:
    return ";".join(f"{kind}={model.version}" for kind, model in sorted(models.items()))


def with_score_reasons(chosen: pl.DataFrame, scores: pl.DataFrame) -> pl.DataFrame:
    """Append the score reason codes (what lowers ability and willingness) to each action's reasons."""
    drivers = scores.select(
        "account_key",
        _drivers=pl.concat_str(
            [
                pl.concat_str([pl.lit("ability:"), pl.col("ability_reasons").str.replace_all(";", ",")]),
                pl.concat_str(
                    [pl.lit("willingness:"), pl.col("willingness_reasons").str.replace_all(";", ",")]
                ),
            ],
            separator=";",
            ignore_nulls=True,
        ),
    )
    return (
        chosen.join(drivers, on="account_key", how="left")
        .with_columns(
            reasons=pl.concat_str([pl.col("reasons"), pl.col("_drivers")], separator=";", ignore_nulls=True)
        )
        .drop("_drivers")
    )


def resolve_templates(frame: pl.DataFrame, library: TemplateLibrary) -> pl.DataFrame:
    """Point every message at a template the library has: the playbook's own, else the family's wording for
    its channel (an installment plan: the offer wording; a settlement: the settlement wording; anything
    else: the reminder in the candidate's tone). Calls, visits and reviews keep their script id."""
    message = pl.col("action").is_in(list(MESSAGE_CHANNELS)) | (pl.col("action") == "offer")
    keys = (
        frame.filter(message)
        .select("template_id", "channel", "jurisdiction", "language", "tone", "offer_kind")
        .unique()
    )
    mapping = []
    for template_id, channel, jurisdiction, language, tone, offer_kind in keys.iter_rows():
        fallbacks = [
            template_id,
            f"offer_{channel}" if offer_kind == "installment" else None,
            f"settlement_{channel}" if offer_kind == "settlement" else None,
            f"reminder_{channel}",
        ]
        found = next(
            (
                t
                for t in fallbacks
                if t and library.find(t, jurisdiction or "", language or "zh", tone) is not None
            ),
            None,
        )
        mapping.append((template_id, channel, jurisdiction, language, tone, offer_kind, found))
    resolved = pl.DataFrame(mapping, schema={**keys.schema, "_resolved": pl.String()}, orient="row")
    return (
        frame.join(resolved, on=keys.columns, how="left", nulls_equal=True)
        .with_columns(template_id=pl.when(message).then(pl.col("_resolved")).otherwise(pl.col("template_id")))
        .drop("_resolved")
    )


def library_renderer(library: TemplateLibrary, options: RunOptions) -> Callable[[pl.DataFrame], pl.Series]:
    """Render with the template library. An installment offer's wording quotes the amount of one
    installment; the strategy's offer_amount is the plan's total."""

    def render(frame: pl.DataFrame) -> pl.Series:
        per_installment = (
            pl.when((pl.col("offer_kind") == "installment") & (pl.col("offer_installments") > 0))
            .then((pl.col("offer_amount") + pl.col("offer_installments") - 1) // pl.col("offer_installments"))
            .otherwise(pl.col("offer_amount"))
        )
        shown = resolve_templates(frame, library).with_columns(offer_amount=per_installment)
        return render_messages(shown, library, agency=options.sender.agency, phone=options.sender.phone)

    return render


def contact_history(db: Database, run_date: date) -> pl.DataFrame:
    """Contacts of the last days, the compliance engine's history frame."""
    since = datetime.combine(run_date - timedelta(days=HISTORY_DAYS), datetime.min.time())
    return portfolio.recent_contacts(db, since)


def decide(
    connection: Connection,
    db: Database,
    run_date: date,
    options: RunOptions,
    rulebooks: RulebookSet | None = None,
) -> list[StepResult]:
    """Score, segment, decide, check and queue; the outbox rows and the decision log go in inside the
    caller's transaction."""
    results: list[StepResult] = []
    clock = time.perf_counter()

    def done(step: str, covers: tuple[Cover | None, ...] = (), **stats: Any) -> None:
        nonlocal clock
        now = time.perf_counter()
        results.append(StepResult(step, now - clock, stats, list(covers)))
        clock = now

    books = rulebooks or load_rulebooks()
    accounts = portfolio.active_accounts(db)
    models = scoring_models(ModelRegistry(options.model_dir) if options.model_dir else None)
    scores = score(db, accounts, run_date, models)
    inputs = build_inputs(
        accounts,
        portfolio.contact_history(db, run_date),
        portfolio.promise_summary(db, run_date),
        run_date,
        scores=scores.select("account_key", "ability_score", "willingness_score"),
        plans=plan_summary(db),
    )
    done("score", accounts=inputs.height, models={kind: model.version for kind, model in models.items()})

    segmented = assign_segments(inputs)
    config = strategies.strategy_config(connection, db, run_date)
    exposed = strategies.record_exposures(connection, db, config.experiment, segmented, run_date)
    done(
        "segment",
        by_segment=dict(count_by(segmented, "segment")),
        by_bucket=dict(count_by(inputs, "bucket")),
        experiment=config.experiment.id if config.experiment else None,
        holdout_exposures=exposed,
    )

    candidates = in_arms(proposer(options.strategy, config)(inputs, run_date), inputs, config.experiment)
    done(
        "decide",
        strategy=options.strategy,
        uplift="fitted" if int(config.uplift.bases.get_column("n_holdout").sum() or 0) else "prior",
        candidates=candidates.height,
        by_action=dict(count_by(candidates, "action")),
    )

    scheduled = schedule(candidates, inputs, run_date)
    allowed, blocked = check(scheduled, accounts, contact_history(db, run_date), books, run_date)
    done(
        "check",
        checked=scheduled.height,
        allowed=allowed.height,
        rescheduled=int(allowed.get_column("rescheduled").sum() or 0),
        blocked=blocked.height,
        blocks_by_rule=_blocks_by_rule(blocked),
        rulebooks={code: book.version for code, book in sorted(books.books.items())},
    )

    chosen = with_score_reasons(
        compact_priorities(
            choose(allowed, capacities(options), debtors=inputs.select("account_key", "debtor_id"))
        ),
        scores,
    )
    library = template_library(
        db, linter=rulebook_linter(books), agency=options.sender.agency, phone=options.sender.phone
    )
    rows = outbox_rows(
        resolve_templates(
            chosen.join(inputs.select("account_key", "jurisdiction", "language"), on="account_key"), library
        ),
        inputs,
        run_date,
        library_renderer(library, options),
        first_key=next_key(connection, "actions"),
        model_version=model_version(models),
    )
    queued = insert_new(connection, db, "actions", rows, ("account_key", "run_date", "action"))
    log = _decision_rows(blocked, chosen, run_date, next_key(connection, "compliance_decisions"))
    logged = insert_new(connection, db, "compliance_decisions", log, ("run_date", "account_key", "action"))
    outbox = audit.written_cover(connection, "actions", rows, queued, exclude=("status",))
    decisions = audit.written_cover(connection, "compliance_decisions", log, logged)
    done(
        "queue",
        (outbox, decisions),
        queued=queued,
        decisions_logged=logged,
        by_action=dict(count_by(rows, "action")),
        messages=int(rows.filter(pl.col("action").is_in(list(MESSAGE_CHANNELS))).height),
    )
    return results
