"""The template check's linter: the compliance package's message linter and rulebooks, asked about a
message without an account (a template may be sent to any account of its jurisdiction).

For the jurisdiction's rules that apply to the channel and to the debtor as recipient:
- `message_content`: a linter finding of the rule's category is a finding with the rule's severity;
- `required_wording`: the rulebook's patterns must all match;
- `time_barred`: a suit threat is a warning here (it blocks only on time-barred accounts, which the
  daily run's check sees).
"""

from __future__ import annotations

from dataclasses import dataclass

from recoup.core.compliance.linter import default_linter, has_wording
from recoup.core.compliance.rulebook import MessageParams, RulebookSet, WordingParams, load_rulebooks


@dataclass(frozen=True, slots=True)
class RuleFinding:
    rule: str
    severity: str
    message: str


@dataclass(frozen=True)
class RulebookLinter:
    """Satisfies `recoup.core.templates.check.Linter`."""

    rulebooks: RulebookSet

    def __call__(self, text: str, language: str, jurisdiction: str, channel: str) -> list[RuleFinding]:
        book = self.rulebooks.get(jurisdiction)
        found = default_linter().lint(text)
        findings: list[RuleFinding] = []
        for rule in book.rules:
            if not rule.applies(channel, "debtor"):
                continue
            params = rule.params
            if rule.kind == "message_content" and isinstance(params, MessageParams):
                hits = [f for f in found if f.category == params.category]
                if hits:
                    quoted = ", ".join(repr(h.text) for h in hits)
                    findings.append(RuleFinding(rule.id, rule.severity, f"{rule.summary} Found: {quoted}"))
            elif rule.kind == "required_wording" and isinstance(params, WordingParams):
                patterns = params.all_of.get(language, ())
                if patterns and not has_wording(text, patterns):
                    findings.append(
                        RuleFinding(rule.id, rule.severity, f"missing required wording: {rule.summary}")
                    )
            elif rule.kind == "time_barred":
                hits = [f for f in found if f.category == "suit_threat"]
                if hits:
                    quoted = ", ".join(repr(h.text) for h in hits)
                    findings.append(RuleFinding(rule.id, "warn", f"{rule.summary} Found: {quoted}"))
        return findings


def rulebook_linter(rulebooks: RulebookSet | None = None) -> RulebookLinter:
    return RulebookLinter(rulebooks or load_rulebooks())
