"""A proposed contact (an attempt), what happened before it (its history) and the decision about it.

``parse_attempt`` reads the JSON object of contracts/compliance-check.md and refuses anything it cannot
use with a ValidationError whose ``field`` is the path to the problem (``account.timezones[1]``,
``history[3].at``). Unknown keys are refused too: a misspelt ``opted_out`` must not silently allow a
contact. Extensions to the contract (all optional): ``account.region``, ``account.creditor_id``,
``account.inconvenient_windows``, ``account.verification_sent_at``, ``history[].account_id`` /
``history[].phone``, and ``destination`` (the number or address used, whether an email address is the
employer's, whether the message is a public post).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Final

from recoup.core import money
from recoup.core.compliance import localtime
from recoup.core.compliance.rulebook import LANGUAGES, RECIPIENTS
from recoup.core.errors import ValidationError
from recoup.core.schema import ACCOUNT_FLAGS, CHANNELS, DIRECTIONS, OUTCOMES

# The UK breathing-space moratorium is a hold the compliance engine knows; schema.ACCOUNT_FLAGS does not
# list it yet.
FLAGS: Final = frozenset(ACCOUNT_FLAGS) | {"breathing_space"}


@dataclass(frozen=True, slots=True)
class Contact:
    """One earlier contact. ``same_account`` is False for the debtor's other accounts; ``number`` is the
    phone number used (for the debtor, the account's phone unless given), else ``recipient:<role>``."""

    channel: str
    at: datetime
    direction: str
    outcome: str | None
    recipient: str
    same_account: bool
    number: str


@dataclass(frozen=True, slots=True)
class Message:
    language: str
    text: str


@dataclass(frozen=True, slots=True)
class Destination:
    phone: str | None = None
    email: str | None = None
    employer_provided: bool = False  # an email address the collector knows the employer provides
    public: bool = False  # a post others can see (a public page, a group, a timeline)


@dataclass(frozen=True, slots=True)
class Account:
    account_id: str
    debtor_id: str
    currency: str | None = None
    balance: int | None = None  # minor units of `currency`
    statute_limit_on: date | None = None
    flags: frozenset[str] = frozenset()
    timezones: tuple[str, ...] = ()
    phone: str | None = None
    region: str | None = None
    creditor_id: str | None = None
    consent: Mapping[str, bool] = field(default_factory=dict)
    opted_out: frozenset[str] = frozenset()
    agreed_windows: tuple[localtime.Window, ...] = ()
    inconvenient_windows: tuple[localtime.Window, ...] = ()
    validation_notice_sent_at: datetime | None = None
    verification_sent_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Attempt:
    id: str
    jurisdiction: str
    channel: str
    at: datetime  # UTC
    recipient: str
    account: Account
    history: tuple[Contact, ...] = ()
    message: Message | None = None
    destination: Destination = Destination()

    @property
    def number(self) -> str:
        """The number this attempt uses: the destination's, the debtor's own, or the recipient's role."""
        return contact_number(self.destination.phone, self.recipient, self.account.phone)


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    severity: str
    reason: str
    citation: str


@dataclass(frozen=True, slots=True)
class Decision:
    id: str
    allowed: bool
    violations: tuple[Finding, ...]
    warnings: tuple[Finding, ...]
    next_allowed_at: datetime | None  # UTC
    zone: str  # the debtor's first candidate zone: next_allowed_at is shown in it


def contact_number(phone: str | None, recipient: str, debtor_phone: str | None) -> str:
    if phone:
        return phone
    if recipient == "debtor" and debtor_phone:
        return debtor_phone
    return f"recipient:{recipient}"


# ------------------------------------------------------------------------------------------- parsing

_ATTEMPT_KEYS: Final = frozenset(
    {"id", "jurisdiction", "channel", "at", "recipient", "account", "history", "message", "destination"}
)
_ACCOUNT_KEYS: Final = frozenset(
    {
        "account_id",
        "debtor_id",
        "currency",
        "balance",
        "statute_limit_on",
        "flags",
        "timezones",
        "phone",
        "region",
        "creditor_id",
        "consent",
        "opted_out",
        "agreed_windows",
        "inconvenient_windows",
        "validation_notice_sent_at",
        "verification_sent_at",
    }
)
_HISTORY_KEYS: Final = frozenset(
    {"channel", "at", "direction", "outcome", "recipient", "account_id", "phone"}
)


def parse_attempt(obj: object) -> Attempt:
    """An Attempt from the contract's JSON object; a ValidationError names the field that is wrong."""
    raw = _object(obj, "")
    _known(raw, _ATTEMPT_KEYS, "")
    account = _account(_object(_required(raw, "account", ""), "account"))
    history = _list(raw.get("history", []), "history")
    return Attempt(
        id=_text(_required(raw, "id", ""), "id"),
        jurisdiction=_jurisdiction(_required(raw, "jurisdiction", ""), "jurisdiction"),
        channel=_choice(_required(raw, "channel", ""), CHANNELS, "channel"),
        at=_instant(_required(raw, "at", ""), "at"),
        recipient=_choice(raw.get("recipient", "debtor"), RECIPIENTS, "recipient"),
        account=account,
        history=tuple(_contact(item, f"history[{i}]", account) for i, item in enumerate(history)),
        message=_message(raw.get("message"), "message"),
        destination=_destination(raw.get("destination"), "destination"),
    )


def _account(raw: Mapping[str, Any]) -> Account:
    _known(raw, _ACCOUNT_KEYS, "account")
    currency = _optional_text(raw.get("currency"), "account.currency")
    if currency is not None:
        try:
            money.exponent(currency)
        except ValidationError as problem:
            raise ValidationError(problem.message, field="account.currency") from None
    balance = raw.get("balance")
    return Account(
        account_id=_text(_required(raw, "account_id", "account"), "account.account_id"),
        debtor_id=_text(_required(raw, "debtor_id", "account"), "account.debtor_id"),
        currency=currency,
        balance=None if balance is None else _balance(balance, currency, "account.balance"),
        statute_limit_on=_date(raw.get("statute_limit_on"), "account.statute_limit_on"),
        flags=frozenset(
            _choice(f, FLAGS, f"account.flags[{i}]")
            for i, f in enumerate(_list(raw.get("flags", []), "account.flags"))
        ),
        timezones=tuple(
            _zone(z, f"account.timezones[{i}]")
            for i, z in enumerate(_list(raw.get("timezones", []), "account.timezones"))
        ),
        phone=_optional_text(raw.get("phone"), "account.phone"),
        region=_optional_text(raw.get("region"), "account.region"),
        creditor_id=_optional_text(raw.get("creditor_id"), "account.creditor_id"),
        consent=_consent(raw.get("consent", {}), "account.consent"),
        opted_out=frozenset(
            _choice(c, CHANNELS, f"account.opted_out[{i}]")
            for i, c in enumerate(_list(raw.get("opted_out", []), "account.opted_out"))
        ),
        agreed_windows=_windows(raw.get("agreed_windows", []), "account.agreed_windows"),
        inconvenient_windows=_windows(raw.get("inconvenient_windows", []), "account.inconvenient_windows"),
        validation_notice_sent_at=_optional_instant(
            raw.get("validation_notice_sent_at"), "account.validation_notice_sent_at"
        ),
        verification_sent_at=_optional_instant(
            raw.get("verification_sent_at"), "account.verification_sent_at"
        ),
    )


def _contact(obj: object, where: str, account: Account) -> Contact:
    raw = _object(obj, where)
    _known(raw, _HISTORY_KEYS, where)
    recipient = _choice(raw.get("recipient", "debtor"), RECIPIENTS, f"{where}.recipient")
    outcome = raw.get("outcome")
    other_account = _optional_text(raw.get("account_id"), f"{where}.account_id")
    phone = _optional_text(raw.get("phone"), f"{where}.phone")
    return Contact(
        channel=_choice(_required(raw, "channel", where), CHANNELS, f"{where}.channel"),
        at=_instant(_required(raw, "at", where), f"{where}.at"),
        direction=_choice(raw.get("direction", "outbound"), DIRECTIONS, f"{where}.direction"),
        outcome=None if outcome is None else _choice(outcome, OUTCOMES, f"{where}.outcome"),
        recipient=recipient,
        same_account=other_account is None or other_account == account.account_id,
        number=contact_number(phone, recipient, account.phone),
    )


def _message(obj: object, where: str) -> Message | None:
    if obj is None:
        return None
    raw = _object(obj, where)
    _known(raw, {"language", "text"}, where)
    return Message(
        language=_choice(raw.get("language", "zh"), LANGUAGES, f"{where}.language"),
        text=_text(_required(raw, "text", where), f"{where}.text", allow_empty=True),
    )


def _destination(obj: object, where: str) -> Destination:
    if obj is None:
        return Destination()
    raw = _object(obj, where)
    _known(raw, {"phone", "email", "employer_provided", "public"}, where)
    return Destination(
        phone=_optional_text(raw.get("phone"), f"{where}.phone"),
        email=_optional_text(raw.get("email"), f"{where}.email"),
        employer_provided=_flag(raw.get("employer_provided", False), f"{where}.employer_provided"),
        public=_flag(raw.get("public", False), f"{where}.public"),
    )


def _windows(obj: object, where: str) -> tuple[localtime.Window, ...]:
    """Windows as ``"HH:MM-HH:MM"`` or ``{"start": ..., "end": ...}`` (see ``localtime.window_set``)."""
    windows: list[localtime.Window] = []
    for index, item in enumerate(_list(obj, where)):
        place = f"{where}[{index}]"
        if isinstance(item, str):
            windows.append(localtime.parse_window_text(item, field=place))
            continue
        raw = _object(item, place)
        _known(raw, {"start", "end"}, place)
        windows.append(
            localtime.parse_window(_required(raw, "start", place), _required(raw, "end", place), field=place)
        )
    return tuple(windows)


def _consent(obj: object, where: str) -> dict[str, bool]:
    raw = _object(obj, where)
    consent = {}
    for channel, value in raw.items():
        _choice(channel, CHANNELS, where)
        consent[channel] = _flag(value, f"{where}.{channel}")
    return consent


def _balance(value: object, currency: str | None, where: str) -> int:
    if currency is None:
        raise ValidationError("a balance needs account.currency", field=where)
    if not isinstance(value, str):
        raise ValidationError(f"{value!r} is not decimal text like '1250.00'", field=where)
    try:
        return money.parse_minor(value, currency, allow_negative=True)
    except ValidationError as problem:
        raise ValidationError(problem.message, field=where) from None


# ------------------------------------------------------------------------------------ field readers


def _object(obj: object, where: str) -> Mapping[str, Any]:
    if not isinstance(obj, Mapping):
        raise ValidationError("expected a JSON object", field=where or "attempt")
    return obj


def _list(obj: object, where: str) -> list[Any]:
    if not isinstance(obj, list):
        raise ValidationError("expected a JSON array", field=where)
    return obj


def _required(raw: Mapping[str, Any], key: str, where: str) -> Any:
    if raw.get(key) is None:
        raise ValidationError("is required", field=f"{where}.{key}" if where else key)
    return raw[key]


def _known(raw: Mapping[str, Any], keys: frozenset[str] | set[str], where: str) -> None:
    for key in raw:
        if key not in keys:
            raise ValidationError(
                f"unknown field (expected one of {sorted(keys)})",
                field=f"{where}.{key}" if where else str(key),
            )


def _text(value: object, where: str, *, allow_empty: bool = False) -> str:
    if not isinstance(value, str) or (not allow_empty and not value.strip()):
        raise ValidationError(f"{value!r} is not non-empty text", field=where)
    return value


def _optional_text(value: object, where: str) -> str | None:
    return None if value is None else _text(value, where)


def _choice(value: object, allowed: frozenset[str] | tuple[str, ...], where: str) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ValidationError(f"{value!r} is not one of {sorted(allowed)}", field=where)
    return value


def _flag(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(f"{value!r} is not true or false", field=where)
    return value


def _jurisdiction(value: object, where: str) -> str:
    if not isinstance(value, str) or not re.match(r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$", value):
        raise ValidationError(f"{value!r} is not a jurisdiction like 'CN' or 'US-NY'", field=where)
    return value


def _zone(value: object, where: str) -> str:
    text = _text(value, where)
    try:
        localtime.zone(text)
    except ValidationError as problem:
        raise ValidationError(problem.message, field=where) from None
    return text


def _instant(value: object, where: str) -> datetime:
    text = _text(value, where)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"{text!r} is not an ISO 8601 time", field=where) from None
    if parsed.tzinfo is None:
        raise ValidationError(
            f"{text!r} has no UTC offset (write it like 2026-03-02T09:15:00+08:00)", field=where
        )
    return parsed.astimezone(UTC)


def _optional_instant(value: object, where: str) -> datetime | None:
    return None if value is None else _instant(value, where)


def _date(value: object, where: str) -> date | None:
    if value is None:
        return None
    text = _text(value, where)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"{text!r} is not a date like 2029-01-01", field=where) from None
