"""The stateless check of contracts/compliance-check.md: JSON attempts in, JSON decisions out, same order.

All or nothing: every attempt is validated (fields, and that its jurisdiction has a rulebook) before any
is decided, and the first problem is a ValidationError whose ``field`` is the path inside the request
(``[3].account.timezones[1]``) and whose ``row`` is the attempt's 1-based position.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from recoup.core.compliance import localtime
from recoup.core.compliance.attempt import Attempt, Decision, Finding, parse_attempt
from recoup.core.compliance.rulebook import RulebookSet
from recoup.core.compliance.scalar import evaluate
from recoup.core.errors import ValidationError


def check_attempts(objs: Sequence[object], rulebooks: RulebookSet) -> list[dict[str, Any]]:
    """Decisions for the contract's attempt objects, in the same order."""
    attempts = []
    for index, obj in enumerate(objs):
        try:
            attempt = parse_attempt(obj)
            rulebooks.get(attempt.jurisdiction)
        except ValidationError as problem:
            raise ValidationError(
                problem.message, field=f"[{index}].{problem.field}", row=index + 1
            ) from None
        attempts.append(attempt)
    return decide(attempts, rulebooks)


def decide(attempts: Sequence[Attempt], rulebooks: RulebookSet) -> list[dict[str, Any]]:
    return [decision_json(evaluate(attempt, rulebooks)) for attempt in attempts]


def decision_json(decision: Decision) -> dict[str, Any]:
    """The contract's decision object; ``next_allowed_at`` in the debtor's (first candidate) zone."""
    return {
        "id": decision.id,
        "allowed": decision.allowed,
        "violations": [_finding_json(finding) for finding in decision.violations],
        "warnings": [_finding_json(finding) for finding in decision.warnings],
        "next_allowed_at": _local_text(decision.next_allowed_at, decision.zone),
    }


def _finding_json(finding: Finding) -> dict[str, str]:
    return {
        "rule": finding.rule,
        "severity": finding.severity,
        "reason": finding.reason,
        "citation": finding.citation,
    }


def _local_text(instant: datetime | None, zone_name: str) -> str | None:
    if instant is None:
        return None
    local = instant.astimezone(localtime.zone(zone_name))
    return local.isoformat(timespec="seconds" if local.microsecond == 0 else "microseconds")
