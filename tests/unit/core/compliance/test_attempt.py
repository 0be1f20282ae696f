from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from recoup.core.compliance import parse_attempt
from recoup.core.errors import ValidationError

GOOD: dict[str, Any] = {
    "id": "a-17",
    "jurisdiction": "US",
    "channel": "call",
    "at": "2026-03-02T20:30:00-05:00",
    "recipient": "debtor",
    "account": {
        "account_id": "X1",
        "debtor_id": "D1",
        "currency": "USD",
        "balance": "1250.00",
        "statute_limit_on": "2029-01-01",
        "flags": ["dispute"],
        "timezones": ["America/New_York"],
        "phone": "+12125550100",
        "consent": {"sms": True, "email": True, "im": False, "call": True},
        "opted_out": ["email"],
        "agreed_windows": [],
        "validation_notice_sent_at": "2026-02-20T10:00:00-05:00",
    },
    "history": [
        {
            "channel": "call",
            "at": "2026-02-27T10:00:00-05:00",
            "direction": "outbound",
            "outcome": "no_answer",
            "recipient": "debtor",
        }
    ],
    "message": {"language": "en", "text": "..."},
}


def test_the_contract_example_parses() -> None:
    attempt = parse_attempt(copy.deepcopy(GOOD))
    assert attempt.at == datetime(2026, 3, 3, 1, 30, tzinfo=UTC)
    assert attempt.account.balance == 125000 and attempt.account.flags == {"dispute"}
    assert attempt.history[0].number == "+12125550100" and attempt.history[0].same_account
    assert attempt.number == "+12125550100"


def mutate(path: str, value: object) -> dict[str, Any]:
    obj = copy.deepcopy(GOOD)
    target: Any = obj
    keys = path.replace("]", "").replace("[", ".").split(".")
    for key in keys[:-1]:
        target = target[int(key)] if key.isdigit() else target[key]
    last = keys[-1]
    if value is KeyError:
        del target[last]
    elif last.isdigit():
        target[int(last)] = value
    else:
        target[last] = value
    return obj


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("account.timezones", ["America/New_York", "Mars/Olympus"], "account.timezones[1]"),
        ("history.0.at", "2026-02-29T10:00:00-05:00", "history[0].at"),
        ("history.0.at", "2026-02-27T10:00:00", "history[0].at"),  # no offset
        ("history.0.outcome", "answered", "history[0].outcome"),
        ("at", "yesterday", "at"),
        ("id", KeyError, "id"),
        ("channel", "pigeon", "channel"),
        ("recipient", "neighbour", "recipient"),
        ("jurisdiction", "usa", "jurisdiction"),
        ("account.flags", ["dispute", "angry"], "account.flags[1]"),
        ("account.opted_out", ["fax"], "account.opted_out[0]"),
        ("account.consent", {"sms": "yes"}, "account.consent.sms"),
        ("account.balance", "12.345", "account.balance"),
        ("account.currency", "XYZ", "account.currency"),
        ("account.statute_limit_on", "2029-02-30", "account.statute_limit_on"),
        ("account.agreed_windows", ["18:00-25:00"], "account.agreed_windows[0].end"),
        ("account.agreed_windows", [{"start": "18:00"}], "account.agreed_windows[0].end"),
        ("account.opted_outs", ["email"], "account.opted_outs"),  # a misspelt key is refused, not ignored
        ("message.language", "fr", "message.language"),
        ("account", "X1", "account"),
        ("history", {"channel": "call"}, "history"),
    ],
)
def test_bad_input_names_the_field(path: str, value: object, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_attempt(mutate(path, value))
    assert caught.value.field == field


def test_windows_as_text_or_objects() -> None:
    obj = mutate("account.agreed_windows", ["18:00-20:00", {"start": "07:00", "end": "07:30"}])
    assert parse_attempt(obj).account.agreed_windows == (
        (18 * 3_600_000_000, 20 * 3_600_000_000),
        (7 * 3_600_000_000, 7.5 * 3_600_000_000),
    )


def test_other_accounts_and_numbers_in_history() -> None:
    obj = mutate(
        "history.0",
        {"channel": "call", "at": "2026-02-27T10:00:00-05:00", "account_id": "X2", "recipient": "family"},
    )
    contact = parse_attempt(obj).history[0]
    assert not contact.same_account and contact.number == "recipient:family"
