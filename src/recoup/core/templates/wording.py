"""The wording each jurisdiction and channel requires, checked on a template rendered for a sample account.

Rules whose id also appears in a rulebook (`recoup/core/compliance/rulebooks`) carry the same id, so a
finding from the message linter and one from here name the same duty once.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from recoup.core.schema import MESSAGE_CHANNELS

ELECTRONIC: Final = ("sms", "im", "email")


@dataclass(frozen=True, slots=True)
class WordingFinding:
    rule: str
    message: str
    citation: str
    severity: str = "block"


@dataclass(frozen=True, slots=True)
class WordingRule:
    rule: str
    jurisdictions: tuple[str, ...]  # empty: every jurisdiction
    channels: tuple[str, ...]
    citation: str
    missing: Callable[[str, str, Mapping[str, str]], list[str]]  # (text, language, sample) -> what is missing
    products: tuple[str | None, ...] = ()  # empty: every product; None: a template for any product

    def applies(self, jurisdiction: str, channel: str, product: str | None) -> bool:
        return (
            (not self.jurisdictions or jurisdiction[:2] in self.jurisdictions)
            and channel in self.channels
            and (not self.products or product in self.products)
        )


def normalised(text: str) -> str:
    """Full-width forms folded (ＳＴＯＰ -> STOP), case folded, runs of white space made one space."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).casefold()


def _patterns(
    by_language: Mapping[str, str], label: str
) -> Callable[[str, str, Mapping[str, str]], list[str]]:
    compiled = {language: re.compile(pattern) for language, pattern in by_language.items()}

    def missing(text: str, language: str, _sample: Mapping[str, str]) -> list[str]:
        pattern = compiled.get(language, compiled["en"])
        return [] if pattern.search(normalised(text)) else [label]

    return missing


def _names_present(text: str, _language: str, sample: Mapping[str, str]) -> list[str]:
    folded = normalised(text)
    return [
        f"the {what} ({{{{ {variable} }}}})"
        for variable, what in (("agency", "agency's name"), ("creditor", "creditor's name"))
        if sample.get(variable) and normalised(sample[variable]) not in folded
    ]


# The six things a Chinese credit-card collection letter must tell the cardholder: a sample value that
# must appear, or a pattern per language.
_CN_CARD_LETTER_FIELDS: Final[tuple[tuple[str, str | None, dict[str, re.Pattern[str]]], ...]] = (
    ("amount owed (欠款金额)", "amount", {}),
    (
        "reason and basis for collection (催收原因及依据)",
        None,
        {
            "zh": re.compile(r"原因.{0,6}依据|依据.{0,20}(合同|约定)"),
            "en": re.compile(r"\b(because|reason)\b.{0,200}\b(agreement|contract)\b"),
        },
    ),
    (
        "the debtor's rights (您的权利)",
        None,
        {"zh": re.compile(r"权利|权益"), "en": re.compile(r"\bright(s)? to\b")},
    ),
    (
        "how to check the account (账户查询方式)",
        None,
        {"zh": re.compile(r"查询"), "en": re.compile(r"\bcheck\b")},
    ),
    ("how to dispute (异议处理方式)", None, {"zh": re.compile(r"异议"), "en": re.compile(r"\bdispute\b")}),
    ("contact details (联系方式)", "phone", {}),
)


def _cn_card_letter(text: str, language: str, sample: Mapping[str, str]) -> list[str]:
    folded = normalised(text)
    absent = []
    for label, variable, patterns in _CN_CARD_LETTER_FIELDS:
        if variable is not None:
            present = bool(sample.get(variable)) and normalised(sample[variable]) in folded
        else:
            pattern = patterns.get(language, patterns["en"])
            present = pattern.search(folded) is not None
        if not present:
            absent.append(label)
    return absent


RULES: Final[tuple[WordingRule, ...]] = (
    WordingRule(
        "identity.named",
        (),
        MESSAGE_CHANNELS,
        "CN GB/T 45251-2025; 12 CFR 1006.18(b); FCA CONC 7.9; Directive (EU) 2021/2167 art. 10(2)",
        _names_present,
    ),
    WordingRule(
        "US.1006.18.e",
        ("US",),
        MESSAGE_CHANNELS,
        "12 CFR 1006.18(e)",
        _patterns(
            {"en": r"\bfrom a debt collector\b", "zh": r"债务催收人|催收机构|debt collector"},
            "the statement that it is from a debt collector",
        ),
    ),
    WordingRule(
        "US.1006.6.e",
        ("US",),
        ELECTRONIC,
        "12 CFR 1006.6(e)",
        _patterns(
            {
                "en": r"\breply stop\b|\btext stop\b|\bunsubscribe\b|\bopt[ -]?out\b|\bto stop receiving\b",
                "zh": r"退订|回复\s*t|取消订阅",
            },
            "a simple way to opt out (e.g. 'Reply STOP to opt out')",
        ),
    ),
    WordingRule(
        "UK.wording.private_confidential",
        ("UK",),
        ("letter",),
        "FCA CONC 7.9",
        _patterns(
            {"en": r"\bprivate (and|&) confidential\b", "zh": r"私人(及|和|与)?保密|私密"},
            "'Private and confidential'",
        ),
    ),
    WordingRule(
        "CN.wording.credit_card_letter",
        ("CN",),
        ("letter",),
        "Recoup requirement for CN credit-card collection letters (issue 6): amount, reason and basis, "
        "rights, how to check the account, how to dispute, contact",
        _cn_card_letter,
        products=(None, "credit_card"),
    ),
)


def required_wording(
    text: str,
    *,
    language: str,
    jurisdiction: str,
    channel: str,
    product: str | None,
    sample: Mapping[str, str],
) -> list[WordingFinding]:
    """What ``text`` (rendered for ``sample``) lacks of the wording its jurisdiction and channel require."""
    findings = []
    for rule in RULES:
        if not rule.applies(jurisdiction, channel, product):
            continue
        missing = rule.missing(text, language, sample)
        if missing:
            findings.append(WordingFinding(rule.rule, f"missing {', '.join(missing)}", rule.citation))
    return findings
