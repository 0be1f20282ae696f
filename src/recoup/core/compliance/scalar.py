"""The scalar evaluator: one attempt, for the API and the agent screen.

``evaluate(attempt, rulebooks)`` applies every rule of the attempt's rulebook that covers its channel and
recipient. A failed rule says when it would pass: never without a change of state (a hold, a refused
channel, a message to rewrite), from a given instant on (a frequency cap or a waiting period runs out),
or inside the daily window (contact hours). ``next_allowed_at`` is the earliest instant at or after
``at`` that passes every blocking rule in every candidate zone, given the same history.

The batch evaluator implements the same rules over frames; tests/unit/core/compliance/
test_scalar_batch_agree.py shows on random attempts that the two agree.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final

from recoup.core.compliance import localtime
from recoup.core.compliance.attempt import Attempt, Contact, Decision, Finding
from recoup.core.compliance.linter import Finding as LintFinding
from recoup.core.compliance.linter import default_linter, has_wording
from recoup.core.compliance.rulebook import (
    ConsentParams,
    FrequencyParams,
    HoldParams,
    HoursParams,
    MessageParams,
    Rule,
    Rulebook,
    RulebookSet,
    UnreachableParams,
    WordingParams,
)

# Outcomes that mean the debtor was reached (a contact), for the third-party "unreachable" test.
REACHED_OUTCOMES: Final = frozenset({"conversation", "replied"})


@dataclass(frozen=True, slots=True)
class Failure:
    """A failed rule; ``after`` is when it stops failing (None: only a change of state helps), or
    ``window`` when the daily window decides."""

    reason: str
    after: datetime | None = None
    window: bool = False


@dataclass(frozen=True)
class Context:
    attempt: Attempt
    book: Rulebook
    zones: tuple[str, ...]
    history: tuple[Contact, ...]  # contacts at or before the attempt
    local: tuple[tuple[date, int], ...]  # (local date, microseconds of day) per zone

    def lint(self) -> tuple[LintFinding, ...]:
        message = self.attempt.message
        return default_linter().lint(message.text) if message else ()


def zones_for(attempt: Attempt, book: Rulebook) -> tuple[str, ...]:
    account = attempt.account
    return localtime.candidate_zones(
        account.timezones,
        account.phone,
        account.region,
        country=book.country,
        region_country=book.root,
        jurisdiction_zones=book.zones,
    )


def evaluate(attempt: Attempt, rulebooks: RulebookSet) -> Decision:
    book = rulebooks.get(attempt.jurisdiction)
    zones = zones_for(attempt, book)
    context = Context(
        attempt=attempt,
        book=book,
        zones=zones,
        history=tuple(contact for contact in attempt.history if contact.at <= attempt.at),
        local=tuple(localtime.local_parts(attempt.at, name) for name in zones),
    )
    lint_cache: dict[str, tuple[LintFinding, ...]] = {}
    blocks: list[Failure] = []
    violations: list[Finding] = []
    warnings: list[Finding] = []
    for rule in book.rules:
        if rule.kind == "retention" or not rule.applies(attempt.channel, attempt.recipient):
            continue
        failure = _check(rule, context, lint_cache)
        if failure is None:
            continue
        finding = Finding(rule.id, rule.severity, failure.reason, rule.citation)
        if rule.severity == "block":
            violations.append(finding)
            blocks.append(failure)
        else:
            warnings.append(finding)
    return Decision(
        id=attempt.id,
        allowed=not violations,
        violations=tuple(violations),
        warnings=tuple(warnings),
        next_allowed_at=_next_allowed(context, blocks),
        zone=zones[0],
    )


def _next_allowed(context: Context, blocks: Sequence[Failure]) -> datetime | None:
    attempt = context.attempt
    if not blocks:
        return attempt.at
    if any(failure.after is None and not failure.window for failure in blocks):
        return None
    start = max([attempt.at] + [failure.after for failure in blocks if failure.after is not None])
    hours = context.book.hours_rule(attempt.channel)
    if hours is None or hours.severity != "block" or not hours.applies(attempt.channel, attempt.recipient):
        return start
    return localtime.next_allowed(start, context.zones, daily_set(hours, attempt))


def daily_set(rule: Rule, attempt: Attempt) -> localtime.DailySet:
    """The hours rule's window for this debtor: agreed windows and inconvenient times applied."""
    params = rule.params
    assert isinstance(params, HoursParams)
    account = attempt.account
    return localtime.allowed_daily_set(
        params.daily_set,
        account.agreed_windows,
        account.inconvenient_windows,
        agreed_extends=params.agreed_windows_extend,
    )


def _check(rule: Rule, context: Context, lint_cache: dict[str, tuple[LintFinding, ...]]) -> Failure | None:
    if rule.kind in _MESSAGE_KINDS:
        if context.attempt.message is None:
            return None
        if "lint" not in lint_cache:
            lint_cache["lint"] = context.lint()
        return _MESSAGE_KINDS[rule.kind](rule, context, lint_cache["lint"])
    return _CHECKS[rule.kind](rule, context)


# ------------------------------------------------------------------------------------ contact rules


def _hours(rule: Rule, context: Context) -> Failure | None:
    daily = daily_set(rule, context.attempt)
    outside = [
        (name, micros)
        for name, (_, micros) in zip(context.zones, context.local, strict=True)
        if not localtime.contains(daily, micros)
    ]
    if not outside:
        return None
    where = ", ".join(
        f"{localtime.format_clock(micros // 60_000_000 * 60_000_000)} in {name}" for name, micros in outside
    )
    return Failure(f"{where} is outside the allowed hours ({localtime.describe(daily)})", window=True)


def counted_contacts(rule: Rule, context: Context) -> list[Contact]:
    """The earlier contacts a frequency rule counts for this attempt."""
    params = rule.params
    assert isinstance(params, FrequencyParams)
    attempt = context.attempt
    number = attempt.number
    return [
        contact
        for contact in context.history
        if contact.channel in rule.channels
        and contact.recipient in rule.recipients
        and contact.direction in params.directions
        and (params.outcomes is None or contact.outcome in params.outcomes)
        and (params.scope != "account" or contact.same_account)
        and (params.scope != "number" or contact.number == number)
    ]


def _frequency(rule: Rule, context: Context) -> Failure | None:
    params = rule.params
    assert isinstance(params, FrequencyParams)
    counted = sorted((contact.at for contact in counted_contacts(rule, context)), reverse=True)
    if len(counted) < params.limit:
        return None
    what = f"{'/'.join(sorted(rule.channels))} contacts"
    if params.days is None:
        return Failure(f"{len(counted)} earlier {what} (at most {params.limit}, ever)")
    limiting = counted[params.limit - 1]
    after = max(
        localtime.day_start(name, localtime.local_parts(limiting, name)[0] + timedelta(days=params.days))
        for name in context.zones
    )
    if after <= context.attempt.at:
        return None
    period = "local day" if params.days == 1 else f"{params.days} consecutive local days"
    return Failure(f"{params.limit} {what} already in this {period} (at most {params.limit})", after=after)


def _hold(rule: Rule, context: Context) -> Failure | None:
    params = rule.params
    assert isinstance(params, HoldParams)
    account = context.attempt.account
    if params.flag not in account.flags or context.attempt.recipient in params.allowed_recipients:
        return None
    if params.released_by == "verification" and account.verification_sent_at is not None:
        return None
    allowed = (
        f"; only {', '.join(sorted(params.allowed_recipients))} may be contacted"
        if params.allowed_recipients
        else ""
    )
    return Failure(f"account is flagged {params.flag}{allowed}: {rule.summary}")


def _consent(rule: Rule, context: Context) -> Failure | None:
    params = rule.params
    assert isinstance(params, ConsentParams)
    channel = context.attempt.channel
    if context.attempt.account.consent.get(channel, params.defaults[channel]):
        return None
    return Failure(f"no consent to use {channel}")


def _opt_out(rule: Rule, context: Context) -> Failure | None:
    channel = context.attempt.channel
    return (
        Failure(f"the debtor opted out of {channel}")
        if channel in context.attempt.account.opted_out
        else None
    )


def _public_post(rule: Rule, context: Context) -> Failure | None:
    return Failure("a public post can be seen by others") if context.attempt.destination.public else None


def _employer_email(rule: Rule, context: Context) -> Failure | None:
    attempt = context.attempt
    if attempt.channel == "email" and attempt.destination.employer_provided:
        return Failure("the email address is provided by the debtor's employer")
    return None


def _third_party_notice(rule: Rule, context: Context) -> Failure | None:
    return Failure(f"recipient is a third party ({context.attempt.recipient}): {rule.summary}")


def _validation_notice(rule: Rule, context: Context) -> Failure | None:
    if context.attempt.account.validation_notice_sent_at is None:
        return Failure("no validation notice has been sent")
    return None


@dataclass(frozen=True)
class Reachability:
    """How the debtor's recent contacts look from a third-party rule's point of view."""

    failed_calls: int  # outbound calls to the debtor since the debtor was last reached
    first_failed_at: datetime | None
    wrong_number: bool  # one of those calls reached someone else


def reachability(history: Sequence[Contact]) -> Reachability:
    debtor = [contact for contact in history if contact.recipient == "debtor"]
    reached = [c.at for c in debtor if c.direction == "inbound" or c.outcome in REACHED_OUTCOMES]
    last_reached = max(reached, default=None)
    since = [
        c
        for c in debtor
        if c.channel == "call" and c.direction == "outbound" and (last_reached is None or c.at > last_reached)
    ]
    return Reachability(
        failed_calls=len(since),
        first_failed_at=min((c.at for c in since), default=None),
        wrong_number=any(c.outcome == "wrong_party" for c in since),
    )


def _third_party_unreachable(rule: Rule, context: Context) -> Failure | None:
    params = rule.params
    assert isinstance(params, UnreachableParams)
    attempt = context.attempt
    seen = reachability(context.history)
    if params.invalid_number and (
        seen.wrong_number or not localtime.phone_is_valid(attempt.account.phone, context.book.country)
    ):
        return None
    if seen.failed_calls >= params.failed_calls:
        return None
    reason = (
        f"the debtor is not unreachable ({seen.failed_calls} failed calls in a row; "
        f"third parties only after {params.failed_calls}, or {params.days} days without contact)"
    )
    if seen.first_failed_at is None:
        return Failure(reason)
    after = seen.first_failed_at + timedelta(days=params.days)
    return None if after <= attempt.at else Failure(reason, after=after)


_CHECKS: Final[dict[str, Callable[[Rule, Context], Failure | None]]] = {
    "hours": _hours,
    "frequency": _frequency,
    "hold": _hold,
    "consent": _consent,
    "opt_out": _opt_out,
    "public_post": _public_post,
    "employer_email": _employer_email,
    "third_party_notice": _third_party_notice,
    "third_party_unreachable": _third_party_unreachable,
    "validation_notice": _validation_notice,
}


# ------------------------------------------------------------------------------------ message rules


def _describe(findings: Sequence[LintFinding]) -> str:
    return "; ".join(f"{f.category} at [{f.start}, {f.end}): {f.text!r}" for f in findings)


def _message_content(rule: Rule, context: Context, found: tuple[LintFinding, ...]) -> Failure | None:
    params = rule.params
    assert isinstance(params, MessageParams)
    hits = [finding for finding in found if finding.category == params.category]
    return Failure(f"message: {_describe(hits)}") if hits else None


def _third_party_debt_details(rule: Rule, context: Context, found: tuple[LintFinding, ...]) -> Failure | None:
    message = context.attempt.message
    assert message is not None
    hits = default_linter().debt_mentions(message.text)
    return Failure(f"message to a third party mentions the debt: {_describe(hits)}") if hits else None


def _time_barred(rule: Rule, context: Context, found: tuple[LintFinding, ...]) -> Failure | None:
    limit = context.attempt.account.statute_limit_on
    if limit is None or all(day <= limit for day, _ in context.local):
        return None
    hits = [finding for finding in found if finding.category == "suit_threat"]
    return (
        Failure(f"debt time-barred since {limit.isoformat()}; message threatens suit: {_describe(hits)}")
        if hits
        else None
    )


def _required_wording(rule: Rule, context: Context, found: tuple[LintFinding, ...]) -> Failure | None:
    params = rule.params
    assert isinstance(params, WordingParams)
    message = context.attempt.message
    assert message is not None
    if has_wording(message.text, params.all_of[message.language]):
        return None
    return Failure(f"message lacks the required wording ({params.requirement.replace('_', ' ')})")


_MESSAGE_KINDS: Final[dict[str, Callable[[Rule, Context, tuple[LintFinding, ...]], Failure | None]]] = {
    "message_content": _message_content,
    "third_party_debt_details": _third_party_debt_details,
    "time_barred": _time_barred,
    "required_wording": _required_wording,
}
