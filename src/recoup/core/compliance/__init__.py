"""The compliance engine: rulebooks as data, a scalar and a batch evaluator that agree, and a message linter.

from recoup.core.compliance import load_rulebooks, parse_attempt, evaluate, evaluate_batch, lint

rulebooks = load_rulebooks()                      # CN, US, US-NY, UK, EU (package data)
decision = evaluate(parse_attempt(obj), rulebooks)  # one attempt (contracts/compliance-check.md)
decided = evaluate_batch(attempts, history, rulebooks)  # frames, for the daily run
findings = lint("再不还钱就报-警抓你")                 # categories with spans in the original text
"""

from recoup.core.compliance.attempt import (
    Account,
    Attempt,
    Contact,
    Decision,
    Destination,
    Finding,
    Message,
    parse_attempt,
)
from recoup.core.compliance.batch import (
    ATTEMPT_SCHEMA,
    DECISION_SCHEMA,
    HISTORY_SCHEMA,
    evaluate_batch,
    frames_from_attempts,
)
from recoup.core.compliance.check import check_attempts, decision_json
from recoup.core.compliance.linter import CATEGORIES, Linter, default_linter, lint
from recoup.core.compliance.linter import Finding as LintFinding
from recoup.core.compliance.rulebook import Rule, Rulebook, RulebookError, RulebookSet, load_rulebooks
from recoup.core.compliance.scalar import evaluate

__all__ = [
    "ATTEMPT_SCHEMA",
    "CATEGORIES",
    "DECISION_SCHEMA",
    "HISTORY_SCHEMA",
    "Account",
    "Attempt",
    "Contact",
    "Decision",
    "Destination",
    "Finding",
    "LintFinding",
    "Linter",
    "Message",
    "Rule",
    "Rulebook",
    "RulebookError",
    "RulebookSet",
    "check_attempts",
    "decision_json",
    "default_linter",
    "evaluate",
    "evaluate_batch",
    "frames_from_attempts",
    "lint",
    "load_rulebooks",
    "parse_attempt",
]
