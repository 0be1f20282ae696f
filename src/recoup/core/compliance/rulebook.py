"""Rulebooks as data: one YAML file per jurisdiction, typed rules, inheritance and stricter-only overrides.

A rulebook is a list of rules; each rule has a stable ``id``, a ``kind`` (what the evaluators do), a
``severity`` (``block`` stops the contact, ``warn`` lets it through with a warning), the channels and
recipients it applies to, kind-specific ``params`` and its legal ``citation``. A sub-national rulebook
(``US-NY``) inherits its parent's rules and adds or tightens some. A creditor may override any rule, but
only to make it stricter: each parameter has a direction (a lower cap, a later start, more channels, ...)
and an override that goes the other way is refused when it is loaded. Every resolved rulebook has a
version and a content hash over its canonical form, so a change is visible in the audit log.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from functools import cache
from importlib import resources
from typing import Any, Final

import yaml

from recoup.core.compliance import localtime
from recoup.core.compliance.linter import CATEGORIES
from recoup.core.errors import ValidationError
from recoup.core.schema import CHANNELS, DIRECTIONS, OUTCOMES

KINDS: Final = (
    "hours",
    "frequency",
    "hold",
    "consent",
    "opt_out",
    "public_post",
    "employer_email",
    "third_party_unreachable",
    "third_party_notice",
    "third_party_debt_details",
    "message_content",
    "time_barred",
    "required_wording",
    "validation_notice",
    "retention",
)
SEVERITIES: Final = ("warn", "block")
RECIPIENTS: Final = ("debtor", "guarantor", "emergency", "employer", "attorney", "family", "other")
SCOPES: Final = ("account", "debtor", "number")
HOLD_RELEASES: Final = ("verification",)
LANGUAGES: Final = ("zh", "en")

_RULE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]*$")
_JURISDICTION = re.compile(r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")
_OVERRIDABLE: Final = frozenset({"severity", "channels", "recipients", "params"})


class RulebookError(ValidationError):
    """A rulebook or an override that cannot be used; ``field`` says where (``CN.yaml: rules[2].params``)."""


# Each parameter states which way is stricter; a field's ``order`` metadata is one of:
#   fixed: may not change | min: smaller is stricter | max: larger is stricter (None = unlimited, strictest)
#   later / earlier: a later start / an earlier end is stricter | superset: more is stricter (None = all)
#   subset: fewer is stricter | false: True -> False only | consent: per channel, True -> False only
def _order(kind: str) -> dict[str, str]:
    return {"order": kind}


@dataclass(frozen=True)
class HoursParams:
    start: int = field(metadata=_order("later"))  # microseconds since local midnight
    end: int = field(metadata=_order("earlier"))  # inclusive: a contact at exactly `end` is allowed
    agreed_windows_extend: bool = field(default=False, metadata=_order("false"))

    @property
    def daily_set(self) -> localtime.DailySet:
        return localtime.span(self.start, self.end + 1)


@dataclass(frozen=True)
class FrequencyParams:
    scope: str = field(metadata=_order("fixed"))
    limit: int = field(metadata=_order("min"))
    days: int | None = field(default=1, metadata=_order("max"))  # None: ever
    outcomes: frozenset[str] | None = field(default=None, metadata=_order("superset"))  # None: any
    directions: frozenset[str] = field(default=frozenset({"outbound"}), metadata=_order("superset"))


@dataclass(frozen=True)
class HoldParams:
    flag: str = field(metadata=_order("fixed"))
    allowed_recipients: frozenset[str] = field(default=frozenset(), metadata=_order("subset"))
    released_by: str | None = field(default=None, metadata=_order("fixed"))


@dataclass(frozen=True)
class ConsentParams:
    defaults: Mapping[str, bool] = field(metadata=_order("consent"))


@dataclass(frozen=True)
class UnreachableParams:
    failed_calls: int = field(default=3, metadata=_order("max"))
    days: int = field(default=3, metadata=_order("max"))
    invalid_number: bool = field(default=True, metadata=_order("false"))


@dataclass(frozen=True)
class MessageParams:
    category: str = field(metadata=_order("fixed"))


@dataclass(frozen=True)
class WordingParams:
    requirement: str = field(metadata=_order("fixed"))
    all_of: Mapping[str, tuple[str, ...]] = field(metadata=_order("fixed"))


@dataclass(frozen=True)
class RetentionParams:
    years: int = field(metadata=_order("max"))


@dataclass(frozen=True)
class NoParams:
    pass


RuleParams = (
    HoursParams
    | FrequencyParams
    | HoldParams
    | ConsentParams
    | UnreachableParams
    | MessageParams
    | WordingParams
    | RetentionParams
    | NoParams
)

_PARAM_TYPES: Final[dict[str, type]] = {
    "hours": HoursParams,
    "frequency": FrequencyParams,
    "hold": HoldParams,
    "consent": ConsentParams,
    "third_party_unreachable": UnreachableParams,
    "message_content": MessageParams,
    "required_wording": WordingParams,
    "retention": RetentionParams,
}


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str
    severity: str
    citation: str
    summary: str
    channels: frozenset[str]
    recipients: frozenset[str]
    params: RuleParams

    def applies(self, channel: str, recipient: str) -> bool:
        return channel in self.channels and recipient in self.recipients

    def canonical(self) -> dict[str, Any]:
        """Plain, sorted data: what the content hash covers and what the API shows."""
        return {
            "id": self.id,
            "kind": self.kind,
            "severity": self.severity,
            "citation": self.citation,
            "summary": self.summary,
            "channels": sorted(self.channels),
            "recipients": sorted(self.recipients),
            "params": {
                f.name: _canonical_value(f.name, getattr(self.params, f.name)) for f in fields(self.params)
            },
        }


def _canonical_value(name: str, value: object) -> object:
    if name in ("start", "end") and isinstance(value, int):
        return localtime.format_clock(value)
    if isinstance(value, frozenset):
        return sorted(value)
    if isinstance(value, Mapping):
        return {key: _canonical_value(key, item) for key, item in sorted(value.items())}
    if isinstance(value, tuple):
        return list(value)
    return value


@dataclass(frozen=True)
class Rulebook:
    jurisdiction: str
    title: str
    version: str
    country: str | None  # default region for phone numbers without a country code
    language: str
    zones: tuple[str, ...]  # every zone of the jurisdiction: the candidates when nothing narrower is known
    rules: tuple[Rule, ...]
    content_hash: str

    @property
    def root(self) -> str:
        """The national rulebook this one belongs to (``US`` for ``US-NY``): the region table's key."""
        return self.jurisdiction.split("-", 1)[0]

    def rule(self, rule_id: str) -> Rule:
        for candidate in self.rules:
            if candidate.id == rule_id:
                return candidate
        raise KeyError(rule_id)

    def hours_rule(self, channel: str) -> Rule | None:
        """The hours rule for ``channel`` (at most one per channel, checked at load)."""
        for candidate in self.rules:
            if candidate.kind == "hours" and channel in candidate.channels:
                return candidate
        return None

    def canonical(self) -> dict[str, Any]:
        return {
            "jurisdiction": self.jurisdiction,
            "title": self.title,
            "version": self.version,
            "country": self.country,
            "language": self.language,
            "zones": list(self.zones),
            "rules": [rule.canonical() for rule in self.rules],
        }


@dataclass(frozen=True)
class RulebookSet:
    """The rulebooks in force, by jurisdiction code."""

    books: Mapping[str, Rulebook]

    def get(self, jurisdiction: str) -> Rulebook:
        """The rulebook for ``jurisdiction``; a subdivision without a file of its own (``US-TX``) uses its
        country's rulebook. An unknown code is a ValidationError on field ``jurisdiction``."""
        if jurisdiction in self.books:
            return self.books[jurisdiction]
        country, _, subdivision = jurisdiction.partition("-")
        if subdivision and country in self.books and localtime.region_zones(country, subdivision):
            return self.books[country]
        known = ", ".join(sorted(self.books))
        raise ValidationError(f"unknown jurisdiction {jurisdiction!r} (known: {known})", field="jurisdiction")

    @property
    def jurisdictions(self) -> tuple[str, ...]:
        return tuple(sorted(self.books))

    def with_overrides(self, document: Mapping[str, Any] | str) -> RulebookSet:
        """A creditor's rulebooks: ``document`` (a mapping, or YAML text) tightens rules and may add rules.

        Shape::

            creditor: BANK-1
            version: "3"
            overrides:
              CN:
                CN.hours: {params: {start: "09:00", end: "20:00"}}
            rules:
              CN:
                - {id: BANK-1.CN.no-visits, kind: hold, ...}

        Raises RulebookError naming the rule and parameter when an override would loosen the law.
        """
        raw = yaml.safe_load(document) if isinstance(document, str) else document
        if not isinstance(raw, Mapping):
            raise RulebookError("an override document is a mapping", field="overrides")
        _only_keys(raw, {"creditor", "version", "overrides", "rules"}, "overrides")
        creditor = str(raw.get("creditor") or "creditor")
        suffix = f"+{creditor}.{raw.get('version', '1')}"
        overrides = _mapping(raw.get("overrides") or {}, "overrides")
        additions = _mapping(raw.get("rules") or {}, "rules")
        for code in list(overrides) + list(additions):
            if code not in self.books:
                raise RulebookError(f"no rulebook {code!r} to override", field=f"overrides.{code}")
        books = dict(self.books)
        for code, book in self.books.items():
            if code in overrides or code in additions:
                books[code] = _derive(
                    book,
                    overrides=_mapping(overrides.get(code) or {}, f"overrides.{code}"),
                    additions=_sequence(additions.get(code) or [], f"rules.{code}"),
                    version=book.version + suffix,
                    overrides_at=f"overrides.{code}",
                    rules_at=f"rules.{code}",
                )
        return RulebookSet(books)


# -------------------------------------------------------------------------------------------- loading


@cache
def load_rulebooks() -> RulebookSet:
    """The rulebooks shipped with Recoup (package data ``recoup/core/compliance/rulebooks/*.yaml``)."""
    folder = resources.files("recoup.core.compliance").joinpath("rulebooks")
    documents = {}
    for entry in folder.iterdir():
        if entry.name.endswith(".yaml"):
            documents[entry.name] = yaml.safe_load(entry.read_text(encoding="utf-8"))
    return rulebooks_from_documents(documents)


def rulebooks_from_documents(documents: Mapping[str, Any]) -> RulebookSet:
    """Build rulebooks from parsed YAML documents keyed by file name (parents before children)."""
    pending = {name: _mapping(doc, name) for name, doc in documents.items()}
    books: dict[str, Rulebook] = {}
    while pending:
        progressed = False
        for name, doc in list(pending.items()):
            parent = doc.get("inherits")
            if parent is not None and parent not in books:
                continue
            book = _build(doc, books[parent] if parent else None, name)
            if book.jurisdiction in books:
                raise RulebookError(f"two rulebooks for {book.jurisdiction}", field=name)
            books[book.jurisdiction] = book
            del pending[name]
            progressed = True
        if not progressed:
            names = ", ".join(sorted(pending))
            raise RulebookError(f"rulebooks inherit from a missing or circular parent: {names}", field=names)
    return RulebookSet(books)


def _build(doc: Mapping[str, Any], parent: Rulebook | None, where: str) -> Rulebook:
    _only_keys(
        doc,
        {
            "jurisdiction",
            "title",
            "version",
            "inherits",
            "country",
            "language",
            "zones",
            "rules",
            "overrides",
        },
        where,
    )
    code = doc.get("jurisdiction")
    if not isinstance(code, str) or not _JURISDICTION.match(code):
        raise RulebookError(
            f"jurisdiction {code!r} is not a code like 'CN' or 'US-NY'", field=f"{where}: jurisdiction"
        )
    zones = tuple(_strings(doc.get("zones", parent.zones if parent else []), f"{where}: zones"))
    for index, name in enumerate(zones):
        _zone(name, f"{where}: zones[{index}]")
    if not zones:
        raise RulebookError("a rulebook lists its zones", field=f"{where}: zones")
    base = Rulebook(
        jurisdiction=code,
        title=str(doc.get("title", code)),
        version=str(doc.get("version", "1")),
        country=doc.get("country", parent.country if parent else None),
        language=str(doc.get("language", parent.language if parent else "en")),
        zones=zones,
        rules=parent.rules if parent else (),
        content_hash="",
    )
    return _derive(
        base,
        overrides=_mapping(doc.get("overrides") or {}, f"{where}: overrides"),
        additions=_sequence(doc.get("rules") or [], f"{where}: rules"),
        version=base.version,
        overrides_at=f"{where}: overrides",
        rules_at=f"{where}: rules",
    )


def _derive(
    book: Rulebook,
    *,
    overrides: Mapping[str, Any],
    additions: list[Any],
    version: str,
    overrides_at: str,
    rules_at: str,
) -> Rulebook:
    """``book`` with ``overrides`` (stricter only) and ``additions``; ``*_at`` say where they came from."""
    rules = list(book.rules)
    for rule_id, change in overrides.items():
        index = next((i for i, rule in enumerate(rules) if rule.id == rule_id), None)
        place = f"{overrides_at}.{rule_id}"
        if index is None:
            raise RulebookError(f"no rule {rule_id!r} to override", field=place)
        rules[index] = _tightened(rules[index], _mapping(change, place), place)
    seen = {rule.id for rule in rules}
    for index, raw in enumerate(additions):
        place = f"{rules_at}[{index}]"
        rule = parse_rule(_mapping(raw, place), place)
        if rule.id in seen:
            raise RulebookError(f"rule id {rule.id!r} is used twice", field=f"{place}.id")
        seen.add(rule.id)
        rules.append(rule)
    _check_hours_unique(rules, rules_at)
    derived = replace(book, rules=tuple(rules), version=version)
    digest = hashlib.sha256(
        json.dumps(derived.canonical(), sort_keys=True, ensure_ascii=False).encode("utf-8")
    ).hexdigest()
    return replace(derived, content_hash=digest)


def _check_hours_unique(rules: Iterable[Rule], where: str) -> None:
    covered: dict[str, str] = {}
    for rule in rules:
        if rule.kind != "hours":
            continue
        for channel in rule.channels:
            if channel in covered:
                raise RulebookError(
                    f"channel {channel!r} has two hours rules ({covered[channel]}, {rule.id}); "
                    "tighten the first instead",
                    field=f"{where}: {rule.id}",
                )
            covered[channel] = rule.id


# ------------------------------------------------------------------------------------- rule parsing


def parse_rule(raw: Mapping[str, Any], where: str) -> Rule:
    """A rule from its YAML mapping; every problem is a RulebookError naming the key."""
    _only_keys(
        raw, {"id", "kind", "severity", "citation", "summary", "channels", "recipients", "params"}, where
    )
    rule_id = raw.get("id")
    if not isinstance(rule_id, str) or not _RULE_ID.match(rule_id):
        raise RulebookError(f"rule id {rule_id!r} is not a stable identifier", field=f"{where}.id")
    kind = _choice(raw.get("kind"), KINDS, f"{where}.kind")
    citation = raw.get("citation")
    if not isinstance(citation, str) or not citation.strip():
        raise RulebookError(f"rule {rule_id} has no citation", field=f"{where}.citation")
    return Rule(
        id=rule_id,
        kind=kind,
        severity=_choice(raw.get("severity", "block"), SEVERITIES, f"{where}.severity"),
        citation=citation.strip(),
        summary=str(raw.get("summary", "")).strip(),
        channels=frozenset(_subset(raw.get("channels", list(CHANNELS)), CHANNELS, f"{where}.channels")),
        recipients=frozenset(
            _subset(raw.get("recipients", list(RECIPIENTS)), RECIPIENTS, f"{where}.recipients")
        ),
        params=_parse_params(kind, _mapping(raw.get("params") or {}, f"{where}.params"), f"{where}.params"),
    )


def _parse_params(kind: str, raw: Mapping[str, Any], where: str) -> RuleParams:
    params_type = _PARAM_TYPES.get(kind)
    if params_type is None:
        if raw:
            raise RulebookError(f"rules of kind {kind!r} take no params", field=where)
        return NoParams()
    _only_keys(raw, {f.name for f in fields(params_type)}, where)
    parsed: RuleParams = _PARAM_PARSERS[kind](raw, where)
    return parsed


def _hours(raw: Mapping[str, Any], where: str) -> HoursParams:
    start = localtime.parse_clock(raw.get("start"), field=f"{where}.start")
    end = localtime.parse_clock(raw.get("end"), field=f"{where}.end")
    if end <= start:
        raise RulebookError("hours end after they start (no window across midnight)", field=f"{where}.end")
    return HoursParams(
        start=start, end=end, agreed_windows_extend=_bool(raw, "agreed_windows_extend", False, where)
    )


def _frequency(raw: Mapping[str, Any], where: str) -> FrequencyParams:
    days = raw.get("days", 1)
    if days is not None:
        days = _positive_int(days, f"{where}.days")
    outcomes = raw.get("outcomes")
    return FrequencyParams(
        scope=_choice(raw.get("scope"), SCOPES, f"{where}.scope"),
        limit=_positive_int(raw.get("limit"), f"{where}.limit"),
        days=days,
        outcomes=None if outcomes is None else frozenset(_subset(outcomes, OUTCOMES, f"{where}.outcomes")),
        directions=frozenset(_subset(raw.get("directions", ["outbound"]), DIRECTIONS, f"{where}.directions")),
    )


def _hold(raw: Mapping[str, Any], where: str) -> HoldParams:
    flag = raw.get("flag")
    if not isinstance(flag, str) or not flag:
        raise RulebookError("a hold names its flag", field=f"{where}.flag")
    released = raw.get("released_by")
    return HoldParams(
        flag=flag,
        allowed_recipients=frozenset(
            _subset(raw.get("allowed_recipients", []), RECIPIENTS, f"{where}.allowed_recipients")
        ),
        released_by=None if released is None else _choice(released, HOLD_RELEASES, f"{where}.released_by"),
    )


def _consent(raw: Mapping[str, Any], where: str) -> ConsentParams:
    defaults = _mapping(raw.get("defaults") or {}, f"{where}.defaults")
    for channel, value in defaults.items():
        _choice(channel, CHANNELS, f"{where}.defaults")
        if not isinstance(value, bool):
            raise RulebookError(
                f"consent default for {channel} is true or false", field=f"{where}.defaults.{channel}"
            )
    return ConsentParams(defaults={channel: defaults.get(channel, True) for channel in CHANNELS})


def _unreachable(raw: Mapping[str, Any], where: str) -> UnreachableParams:
    return UnreachableParams(
        failed_calls=_positive_int(raw.get("failed_calls", 3), f"{where}.failed_calls"),
        days=_positive_int(raw.get("days", 3), f"{where}.days"),
        invalid_number=_bool(raw, "invalid_number", True, where),
    )


def _message(raw: Mapping[str, Any], where: str) -> MessageParams:
    return MessageParams(category=_choice(raw.get("category"), CATEGORIES, f"{where}.category"))


def _wording(raw: Mapping[str, Any], where: str) -> WordingParams:
    requirement = raw.get("requirement")
    if not isinstance(requirement, str) or not requirement:
        raise RulebookError("a wording rule names its requirement", field=f"{where}.requirement")
    all_of = _mapping(raw.get("all_of") or {}, f"{where}.all_of")
    patterns: dict[str, tuple[str, ...]] = {}
    for language, items in all_of.items():
        _choice(language, LANGUAGES, f"{where}.all_of")
        patterns[language] = tuple(_strings(items, f"{where}.all_of.{language}"))
        for index, pattern in enumerate(patterns[language]):
            try:
                re.compile(pattern)
            except re.error as problem:
                raise RulebookError(
                    f"bad pattern: {problem}", field=f"{where}.all_of.{language}[{index}]"
                ) from None
    if set(patterns) != set(LANGUAGES):
        raise RulebookError("a wording rule gives patterns for zh and en", field=f"{where}.all_of")
    return WordingParams(requirement=requirement, all_of=patterns)


def _retention(raw: Mapping[str, Any], where: str) -> RetentionParams:
    return RetentionParams(years=_positive_int(raw.get("years"), f"{where}.years"))


_PARAM_PARSERS: Final[dict[str, Any]] = {
    "hours": _hours,
    "frequency": _frequency,
    "hold": _hold,
    "consent": _consent,
    "third_party_unreachable": _unreachable,
    "message_content": _message,
    "required_wording": _wording,
    "retention": _retention,
}


# --------------------------------------------------------------------------------- stricter-only check


def _tightened(rule: Rule, change: Mapping[str, Any], place: str) -> Rule:
    _only_keys(change, _OVERRIDABLE, place)
    raw = rule.canonical()
    merged: dict[str, Any] = {key: raw[key] for key in ("id", "kind", "citation", "summary")}
    merged["channels"] = change.get("channels", raw["channels"])
    merged["recipients"] = change.get("recipients", raw["recipients"])
    merged["severity"] = change.get("severity", raw["severity"])
    params = dict(raw["params"])
    for key, value in _mapping(change.get("params") or {}, f"{place}.params").items():
        params[key] = (
            {**params[key], **value}
            if isinstance(params.get(key), dict) and isinstance(value, Mapping)
            else value
        )
    merged["params"] = {key: value for key, value in params.items() if value is not None or key == "days"}
    tightened = parse_rule(merged, place)
    problems = _loosenings(rule, tightened)
    if problems:
        raise RulebookError(
            f"override of {rule.id} is looser than the law: " + "; ".join(problems), field=place
        )
    return tightened


def _loosenings(base: Rule, new: Rule) -> list[str]:
    problems = []
    if SEVERITIES.index(new.severity) < SEVERITIES.index(base.severity):
        problems.append(f"severity {base.severity} -> {new.severity}")
    for name in ("channels", "recipients"):
        if not getattr(new, name) >= getattr(base, name):
            problems.append(f"{name} must keep {sorted(getattr(base, name))}")
    for spec in fields(base.params):
        old, value = getattr(base.params, spec.name), getattr(new.params, spec.name)
        if not _stricter_or_equal(spec.metadata["order"], old, value):
            problems.append(f"params.{spec.name} {_show(spec.name, old)} -> {_show(spec.name, value)}")
    return problems


def _stricter_or_equal(order: str, old: Any, new: Any) -> bool:
    if old == new:
        return True
    if order == "min":
        return bool(new <= old)
    if order == "max":
        return new is None or (old is not None and new >= old)
    if order == "later":
        return bool(new >= old)
    if order == "earlier":
        return bool(new <= old)
    if order == "superset":
        return new is None or (old is not None and new >= old)
    if order == "subset":
        return bool(new <= old)
    if order == "false":
        return new is False
    if order == "consent":
        return all(new[channel] <= old[channel] for channel in old)
    return False  # fixed


def _show(name: str, value: object) -> str:
    return json.dumps(_canonical_value(name, value), ensure_ascii=False)


# ------------------------------------------------------------------------------------------- helpers


def _mapping(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise RulebookError("expected a mapping", field=where)
    return value


def _sequence(value: object, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise RulebookError("expected a list", field=where)
    return value


def _strings(value: object, where: str) -> list[str]:
    items = _sequence(value, where)
    for index, item in enumerate(items):
        if not isinstance(item, str):
            raise RulebookError(f"{item!r} is not text", field=f"{where}[{index}]")
    return items


def _subset(value: object, allowed: Iterable[str], where: str) -> list[str]:
    items = _strings(value, where)
    allowed_set = set(allowed)
    for index, item in enumerate(items):
        if item not in allowed_set:
            raise RulebookError(f"{item!r} is not one of {sorted(allowed_set)}", field=f"{where}[{index}]")
    return items


def _choice(value: object, allowed: Iterable[str], where: str) -> str:
    options = tuple(allowed)
    if not isinstance(value, str) or value not in options:
        raise RulebookError(f"{value!r} is not one of {list(options)}", field=where)
    return value


def _positive_int(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise RulebookError(f"{value!r} is not a whole number of at least 1", field=where)
    return value


def _bool(raw: Mapping[str, Any], key: str, default: bool, where: str) -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        raise RulebookError(f"{key} is true or false", field=f"{where}.{key}")
    return value


def _only_keys(raw: Mapping[str, Any], allowed: Iterable[str], where: str) -> None:
    unknown = sorted(set(raw) - set(allowed))
    if unknown:
        raise RulebookError(f"unknown key(s) {unknown}; expected {sorted(allowed)}", field=where)


def _zone(name: str, where: str) -> None:
    try:
        localtime.zone(name)
    except ValidationError:
        raise RulebookError(f"unknown time zone {name!r}", field=where) from None
