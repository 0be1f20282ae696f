"""The default strategy: segments, treatment paths, offers and uplift turned into candidate actions.

`propose(inputs, run_date, config)` takes the day's decision inputs (DECISION_INPUT_SCHEMA) and returns
candidates (CANDIDATE_SCHEMA), zero or more per account:

1. segment every account and assign its experiment arm; accounts on hold and holdout accounts get
   nothing (the law requires no collection action of us);
2. pick each account's playbook: its arm's challenger playbook, else its creditor's, else the default;
3. every step of every path for the account's segment whose conditions hold becomes a candidate: days
   past due in the step's window, the wait since the last contact over, the bucket, balance band,
   debtor type and product filters met, no exit condition (open promise, on a plan, broken promise),
   the channel reachable, consented and not opted out, the weekly contact limit not reached; forbearance
   segments never get a firm tone, a visit or a legal review whatever the playbook says;
4. offers are sized within the creditor's guardrails (offers.py); an unaffordable plan is not offered;
5. expected recovery (30 days) = balance x clip((base + uplift) x scale, 0, 1), where base and uplift
   come from the uplift model for (segment, treatment) and scale = ability / segment anchor (capped);
   a settlement's is P(accept) x settlement amount. ``value`` = expected recovery minus what the
   account would pay anyway (base x scale x balance) minus the action's cost, in major units of the
   currency times ``value_per_major`` (1 by default: set it for portfolios in several currencies).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

import numpy as np
import polars as pl

from recoup.core.accounts import BUCKETS
from recoup.core.errors import ValidationError
from recoup.core.money import CURRENCY_EXPONENTS
from recoup.core.schema import CANDIDATE_SCHEMA, DEBTOR_TYPES, PRODUCTS, conform
from recoup.core.strategy.experiments import HOLDOUT, Experiment, assign_arms
from recoup.core.strategy.offers import (
    DEFAULT_ELASTICITY,
    affordable_amount,
    installment_terms,
    settlement_terms,
)
from recoup.core.strategy.paths import Path, Playbook, Step, default_playbook
from recoup.core.strategy.segments import (
    BALANCE_BANDS,
    FORBEARANCE_SEGMENTS,
    HOLD,
    SegmentRules,
    assign_segments,
    has_item,
)
from recoup.core.strategy.uplift import MAX_SCALE, UpliftModel, cold_start

# Where a contact channel needs a contact point and, for the consented channels, a consent column.
_REACH: Final = {
    "sms": ("has_phone", "consent_sms"),
    "call": ("has_phone", "consent_call"),
    "email": ("has_email", "consent_email"),
    "im": ("has_im", "consent_im"),
    "letter": ("has_address", None),
    "visit": ("has_address", None),
}
_CHANNELS: Final = tuple(_REACH)
_DEFAULT_KEY: Final = "*"
# How likely an offer is heard out on a channel, relative to a conversation with an agent: a message is
# often unread and a read message persuades less than a person does (a judgement, see docs/strategy.md).
OFFER_REACH: Final = {"call": 1.0, "visit": 1.0, "im": 0.45, "sms": 0.25, "email": 0.2, "letter": 0.2}
# Complaints rise steeply once a debtor has had this many contacts in seven days.
_RISK_FREE_CONTACTS: Final = 2


@dataclass(frozen=True, slots=True)
class StrategyConfig:
    """Everything `propose` needs besides the inputs: immutable, so a run can be replayed."""

    playbooks: Mapping[str, Playbook]  # champion playbook per creditor_id; "*" for everyone else
    uplift: UpliftModel
    segments: SegmentRules = field(default_factory=SegmentRules)
    experiment: Experiment | None = None
    elasticity: float = DEFAULT_ELASTICITY  # settlement acceptance per unit of discount (offers.py)
    value_per_major: Mapping[str, float] = field(default_factory=dict)  # currency -> reference units
    fatigue: float = 0.7  # each contact in the last seven days multiplies a new contact's gain by this
    contact_risk: float = 80.0  # expected harm of a contact (complaint, opt-out), reference units


def default_config(experiment: Experiment | None = None) -> StrategyConfig:
    """The shipped playbook and the cold-start uplift prior."""
    return StrategyConfig(
        playbooks={_DEFAULT_KEY: default_playbook()}, uplift=cold_start(), experiment=experiment
    )


def _refs(config: StrategyConfig) -> dict[str, Playbook]:
    refs = {
        f"creditor:{creditor}": book
        for creditor, book in config.playbooks.items()
        if creditor != _DEFAULT_KEY
    }
    if _DEFAULT_KEY in config.playbooks:
        refs[_DEFAULT_KEY] = config.playbooks[_DEFAULT_KEY]
    if config.experiment is not None:
        refs.update({f"arm:{a.name}": a.playbook for a in config.experiment.arms if a.playbook is not None})
    return refs


def _ref_expr(config: StrategyConfig) -> pl.Expr:
    creditors = [c for c in config.playbooks if c != _DEFAULT_KEY]
    fallback = pl.lit(_DEFAULT_KEY) if _DEFAULT_KEY in config.playbooks else pl.lit(None, dtype=pl.String)
    by_creditor = (
        pl.when(pl.col("creditor_id").is_in(creditors))
        .then(pl.concat_str([pl.lit("creditor:"), pl.col("creditor_id")]))
        .otherwise(fallback)
    )
    arms = [a.name for a in config.experiment.arms if a.playbook is not None] if config.experiment else []
    if not arms:
        return by_creditor
    return (
        pl.when(pl.col("variant").is_in(arms))
        .then(pl.concat_str([pl.lit("arm:"), pl.col("variant")]))
        .otherwise(by_creditor)
    )


_NEVER: Final = 1 << 40  # a day count no account reaches
_ALL: Final = -1  # a filter mask with every bit set: no filter
_VOCABULARIES: Final[dict[str, tuple[str, ...]]] = {
    "bucket": BUCKETS,
    "balance_band": BALANCE_BANDS,
    "debtor_type": DEBTOR_TYPES,
    "product": PRODUCTS,
}
_EXIT_BITS: Final = {"open_promise": 1, "on_plan": 2, "broken_promise": 4}
_TEXT_COLUMNS: Final = (
    "_ref", "segment", "strategy", "path_id", "step_id",
    "action", "channel", "template_id", "tone", "offer_kind",
)  # fmt: skip
_INT_COLUMNS: Final = (
    "max_discount_bp", "dpd_from", "dpd_to", "wait_days", "max_contacts", "min_gap",
    *(f"{name}_mask" for name in _VOCABULARIES), "channel_bit", "exit_mask",
)  # fmt: skip


def _mask(path: tuple[str, ...] | None, step: tuple[str, ...] | None, vocabulary: tuple[str, ...]) -> int:
    """A step's filter as a bit mask over ``vocabulary``: a path filter and a step filter must both hold."""
    allowed = set(vocabulary)
    for items in (path, step):
        if items is not None:
            allowed &= set(items)
    if path is None and step is None:
        return _ALL
    return sum(1 << vocabulary.index(item) for item in allowed)


def _forbidden(segment: str, step: Step) -> bool:
    """Pressure on a forbearance segment: dropped whatever the playbook says (paths.py refuses it too)."""
    return segment in FORBEARANCE_SEGMENTS and (
        step.tone == "firm" or step.action in ("visit", "legal_review")
    )


def _step_row(ref: str, book: Playbook, path: Path, step: Step, segment: str) -> dict[str, Any]:
    cap_pct = book.guardrails.max_discount_pct
    if step.offer.max_discount_pct is not None:
        cap_pct = min(cap_pct, step.offer.max_discount_pct)
    exits = set(path.exit_when) | set(step.exit_when)
    filters = {
        "bucket": (path.when.buckets, step.when.buckets),
        "balance_band": (path.when.balance_bands, step.when.balance_bands),
        "debtor_type": (path.when.debtor_types, step.when.debtor_types),
        "product": (path.when.products, step.when.products),
    }
    return {
        "_ref": ref,
        "segment": segment,
        "strategy": book.label,
        "path_id": path.id,
        "step_id": step.id,
        "action": step.action,
        "channel": step.channel,
        "template_id": step.template,
        "tone": step.tone,
        "offer_kind": step.offer.kind,
        "max_discount_bp": cap_pct * 100,
        "dpd_from": step.dpd_from,
        "dpd_to": _NEVER if step.dpd_to is None else step.dpd_to,
        "wait_days": step.wait_days,
        "max_contacts": _NEVER if book.max_contacts_7d is None else book.max_contacts_7d,
        "min_gap": book.min_gap_days,
        **{f"{name}_mask": _mask(*pair, _VOCABULARIES[name]) for name, pair in filters.items()},
        "channel_bit": 0 if step.channel is None else 1 << _CHANNELS.index(step.channel),
        "exit_mask": sum(_EXIT_BITS[name] for name in exits),
    }


def _steps_frame(refs: Mapping[str, Playbook]) -> pl.DataFrame:
    """One row per (playbook reference, segment, path step) that may be proposed, with ``_step`` ids."""
    rows = [
        _step_row(ref, book, path, step, segment)
        for ref, book in refs.items()
        for path in book.paths
        for step in path.steps
        for segment in path.segments
        if not _forbidden(segment, step)
    ]
    schema = {name: pl.String() for name in _TEXT_COLUMNS} | {name: pl.Int64() for name in _INT_COLUMNS}
    return pl.DataFrame(rows, schema=schema).with_row_index("_step")


def _channel_open(channel: str) -> pl.Expr:
    reach, consent = _REACH[channel]
    usable = pl.col(reach).fill_null(False) & ~has_item("opted_out", channel)
    return usable & pl.col(consent).fill_null(True) if consent else usable


def _bit(column: str, vocabulary: tuple[str, ...]) -> pl.Expr:
    codes = {item: 1 << index for index, item in enumerate(vocabulary)}
    return pl.col(column).replace_strict(codes, default=0, return_dtype=pl.Int64)


def _eligible(inputs: pl.DataFrame, config: StrategyConfig) -> pl.DataFrame:
    """Accounts that may be collected from today, with segment, arm and playbook reference."""
    segmented = assign_segments(inputs, config.segments).with_columns(
        variant=assign_arms(inputs, config.experiment)
    )
    eligible = segmented.filter((pl.col("segment") != HOLD) & (pl.col("variant") != HOLDOUT)).with_columns(
        _ref=_ref_expr(config)
    )
    unmatched = eligible.filter(pl.col("_ref").is_null())
    if unmatched.height:
        creditors = sorted(set(unmatched.get_column("creditor_id").to_list()))
        raise ValidationError(
            f"no playbook for creditors {creditors} and no default ('*')", field="creditor_id"
        )
    return eligible


def _conditions(eligible: pl.DataFrame) -> pl.DataFrame:
    """What the step filters look at, as integers: one narrow row per account."""
    open_bits = pl.sum_horizontal(
        _channel_open(channel).cast(pl.Int64) * (1 << index) for index, channel in enumerate(_CHANNELS)
    )
    exit_bits = (
        pl.col("open_promise").fill_null(False).cast(pl.Int64) * _EXIT_BITS["open_promise"]
        + pl.col("on_plan").fill_null(False).cast(pl.Int64) * _EXIT_BITS["on_plan"]
        + (pl.col("broken_promises_60d").fill_null(0) > 0).cast(pl.Int64) * _EXIT_BITS["broken_promise"]
    )
    return eligible.select(
        "account_key",
        "_ref",
        "segment",
        "dpd",
        since=pl.col("days_since_last_contact").fill_null(_NEVER),
        contacts=pl.col("contacts_7d").fill_null(0),
        open_bits=open_bits,
        exit_bits=exit_bits,
        **{f"{name}_bit": _bit(name, vocabulary) for name, vocabulary in _VOCABULARIES.items()},
    )


def _matches(name: str) -> pl.Expr:
    mask, bit = pl.col(f"{name}_mask"), pl.col(f"{name}_bit")
    return (mask == _ALL) | ((mask & bit) != 0)


def _step_applies() -> pl.Expr:
    dpd, channel_bit = pl.col("dpd"), pl.col("channel_bit")
    contact = channel_bit != 0
    return (
        (dpd >= pl.col("dpd_from"))
        & (dpd <= pl.col("dpd_to"))
        & (pl.col("since") >= pl.col("wait_days"))
        & pl.all_horizontal(_matches(name) for name in _VOCABULARIES)
        & ((pl.col("exit_bits") & pl.col("exit_mask")) == 0)
        & (~contact | ((pl.col("open_bits") & channel_bit) != 0))
        & (~contact | (pl.col("contacts") < pl.col("max_contacts")))
        & (~contact | (pl.col("since") >= pl.col("min_gap")))
    )


def _applicable(eligible: pl.DataFrame, steps: pl.DataFrame) -> pl.DataFrame:
    """(account_key, _step) for every step whose conditions hold: the join and filter stay all-integer."""
    narrow = steps.select(
        "_step", "_ref", "segment", "dpd_from", "dpd_to", "wait_days", "max_contacts", "min_gap",
        *(f"{name}_mask" for name in _VOCABULARIES), "channel_bit", "exit_mask",
    )  # fmt: skip
    joined = _conditions(eligible).join(narrow, on=["_ref", "segment"], how="inner")
    return joined.filter(_step_applies()).select("account_key", "_step")


def _terms_frame(refs: Mapping[str, Playbook]) -> pl.DataFrame:
    """Per (playbook reference, currency, cost key): the cost, and the offer guardrails."""
    rows = [
        {
            "_ref": ref,
            "currency": currency,
            "cost_key": key,
            "cost": cost,
            "min_installment": book.guardrails.min_installment.get(currency),
            "max_installments": book.guardrails.max_installments,
            "valid_days": book.guardrails.offer_valid_days,
            "affordability_pct": book.guardrails.affordability_pct,
        }
        for ref, book in refs.items()
        for currency, costs in book.costs.items()
        for key, cost in costs.items()
    ]
    schema = {name: pl.String() for name in ("_ref", "currency", "cost_key")} | {
        name: pl.Int64()
        for name in ("cost", "min_installment", "max_installments", "valid_days", "affordability_pct")
    }
    return pl.DataFrame(rows, schema=schema)


def _with_terms(rows: pl.DataFrame, refs: Mapping[str, Playbook]) -> pl.DataFrame:
    terms = _terms_frame(refs)
    cost_key = (
        pl.when(pl.col("action") == "legal_review").then(pl.lit("legal_review")).otherwise(pl.col("channel"))
    )
    joined = rows.with_columns(cost_key=cost_key).join(terms, on=["_ref", "currency", "cost_key"], how="left")
    missing = joined.filter(pl.col("cost").is_null())
    if missing.height:
        pairs = missing.select("_ref", "currency").unique().sort("_ref", "currency").rows()
        named = ", ".join(f"{refs[ref].label} has no costs for {currency}" for ref, currency in pairs)
        raise ValidationError(f"playbook currency missing: {named}", field="currency")
    return joined


def _int(frame: pl.DataFrame, column: str, fill: int = 0) -> np.ndarray[Any, np.dtype[np.int64]]:
    return frame.get_column(column).fill_null(fill).cast(pl.Int64).to_numpy().astype(np.int64)


def _installments(rows: pl.DataFrame) -> pl.DataFrame:
    if rows.height == 0:
        return rows.with_columns(offer_installments=pl.lit(None, dtype=pl.Int64))
    affordable = affordable_amount(
        _int(rows, "income_monthly", -1), _int(rows, "obligations"), _int(rows, "affordability_pct")
    )
    count, offered = installment_terms(
        _int(rows, "balance"),
        affordable,
        rows.get_column("ability_score").cast(pl.Float64).fill_null(float("nan")).to_numpy(),
        _int(rows, "max_installments", 1),
        _int(rows, "min_installment", 1),
    )
    return rows.with_columns(offer_installments=pl.Series(count)).filter(pl.Series(offered))


def _settlements(rows: pl.DataFrame, elasticity: float) -> pl.DataFrame:
    if rows.height == 0:
        return rows.with_columns(
            offer_amount=pl.lit(None, dtype=pl.Int64),
            discount_bp=pl.lit(None, dtype=pl.Int64),
            p_accept=pl.lit(None, dtype=pl.Float64),
        )
    amount, discount, accept = settlement_terms(
        _int(rows, "balance"),
        rows.get_column("rate").to_numpy(),
        _int(rows, "max_discount_bp"),
        elasticity,
    )
    return rows.with_columns(
        offer_amount=pl.Series(amount), discount_bp=pl.Series(discount), p_accept=pl.Series(accept)
    )


def _treatment() -> pl.Expr:
    return (
        pl.when(pl.col("action") == "offer")
        .then(pl.concat_str([pl.lit("offer_"), pl.col("offer_kind")]))
        .otherwise(pl.col("action"))
    )


def _expected(rows: pl.DataFrame, config: StrategyConfig) -> pl.DataFrame:
    looked_up = config.uplift.lookup(rows.with_columns(treatment=_treatment()))
    scale = (
        pl.col("ability_score").fill_null(pl.col("anchor_ability")).fill_nan(pl.col("anchor_ability"))
        / pl.col("anchor_ability")
    ).clip(0.0, MAX_SCALE)
    return looked_up.with_columns(
        rate=((pl.col("base_rate") + pl.col("uplift")) * scale).clip(0.0, 1.0),
        anyway=pl.col("base_rate") * scale * pl.col("balance"),
    )


def _reached(gain: pl.Expr) -> pl.Expr:
    """What an offer adds over paying anyway, scaled by how likely its channel gets it heard."""
    reach = pl.col("channel").replace_strict(OFFER_REACH, default=0.0, return_dtype=pl.Float64)
    return (pl.col("anyway") + reach * gain).round().cast(pl.Int64)


def _offers(rows: pl.DataFrame, config: StrategyConfig) -> pl.DataFrame:
    kind = pl.col("offer_kind")
    plain = rows.filter(kind == "none").with_columns(
        offer_amount=pl.lit(None, dtype=pl.Int64),
        offer_installments=pl.lit(None, dtype=pl.Int64),
        expected=(pl.col("rate") * pl.col("balance")).round().cast(pl.Int64),
        offer_reason=pl.lit(None, dtype=pl.String),
    )
    plans = _installments(rows.filter(kind == "installment")).with_columns(
        offer_amount=pl.col("balance"),
        expected=_reached(pl.col("rate") * pl.col("balance") - pl.col("anyway")),
        offer_reason=pl.concat_str(
            [pl.lit("offer:installment:"), pl.col("offer_installments").cast(pl.String)]
        ),
    )
    settlements = (
        _settlements(rows.filter(kind == "settlement"), config.elasticity)
        .with_columns(
            offer_installments=pl.lit(1, dtype=pl.Int64),
            # Accepted, the settlement replaces what the debtor would have paid anyway.
            expected=_reached(pl.col("p_accept") * (pl.col("offer_amount") - pl.col("anyway"))),
            offer_reason=pl.concat_str(
                [pl.lit("offer:settlement:"), (pl.col("discount_bp") // 100).cast(pl.String), pl.lit("pct")]
            ),
        )
        .drop("discount_bp", "p_accept")
    )
    return pl.concat([plain, plans, settlements], how="diagonal_relaxed")


def _value(config: StrategyConfig) -> pl.Expr:
    digits = pl.col("currency").replace_strict(CURRENCY_EXPONENTS, default=2, return_dtype=pl.Int64)
    per_major = pl.col("currency").replace_strict(
        dict(config.value_per_major), default=1.0, return_dtype=pl.Float64
    )
    contacts = pl.col("contacts_7d").fill_null(0).cast(pl.Float64)
    gain = (pl.col("expected").cast(pl.Float64) - pl.col("anyway")) * pl.lit(config.fatigue).pow(contacts)
    net_minor = gain - pl.col("cost").cast(pl.Float64)
    # Complaints and opt-outs grow with the contact count (the risk doubles with each contact over it).
    excess = (contacts + 1 - _RISK_FREE_CONTACTS).clip(lower_bound=0)
    risk = pl.when(pl.col("channel").is_not_null()).then(config.contact_risk * pl.lit(2.0).pow(excess))
    return net_minor / pl.lit(10.0).pow(digits) * per_major - risk.otherwise(0.0)


def _account_values(eligible: pl.DataFrame) -> pl.DataFrame:
    obligations = pl.col("obligations_monthly") if "obligations_monthly" in eligible.columns else pl.lit(0)
    return eligible.select(
        "account_key",
        "currency",
        "balance",
        "income_monthly",
        "ability_score",
        "variant",
        "segment",
        "balance_band",
        "contacts_7d",
        obligations=obligations.fill_null(0).cast(pl.Int64),
    )


def _reasons() -> pl.Expr:
    offer = pl.when(pl.col("offer_reason").is_not_null()).then(pl.lit(";") + pl.col("offer_reason"))
    return pl.concat_str(
        [
            pl.lit("seg:"),
            pl.col("segment"),
            pl.lit(";band:"),
            pl.col("balance_band").fill_null("unknown"),
            pl.lit(";path:"),
            pl.col("path_id"),
            pl.lit(";step:"),
            pl.col("step_id"),
            offer.otherwise(pl.lit("")),
        ]
    )


def propose(inputs: pl.DataFrame, run_date: date, config: StrategyConfig | None = None) -> pl.DataFrame:
    """Candidate actions for the day (CANDIDATE_SCHEMA), by account_key and then playbook order."""
    config = config or default_config()
    refs = _refs(config)
    steps = _steps_frame(refs)
    eligible = _eligible(inputs, config)
    details = steps.select(
        "_step", "_ref", "strategy", "path_id", "step_id", "action", "channel", "template_id", "tone",
        "offer_kind", "max_discount_bp",
    )  # fmt: skip
    rows = (
        _applicable(eligible, steps)
        .join(details, on="_step", how="left")
        .join(_account_values(eligible), on="account_key", how="left")
    )
    rows = _offers(_expected(_with_terms(rows, refs), config), config)
    expires = pl.when(pl.col("offer_kind") != "none").then(
        pl.lit(run_date) + pl.duration(days=pl.col("valid_days"))
    )
    candidates = rows.select(
        *(name for name in CANDIDATE_SCHEMA if name in rows.columns and name != "offer_expires_on"),
        "_step",
        expected_recovery=pl.col("expected"),
        value=_value(config),
        offer_expires_on=expires.cast(pl.Date),
        reasons=_reasons(),
    ).sort("account_key", "_step")
    return conform(candidates, CANDIDATE_SCHEMA)
