from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from recoup.core.accounts import bucket_of
from recoup.core.schema import CANDIDATE_SCHEMA, DECISION_INPUT_SCHEMA, conform
from recoup.core.strategy.baseline import BaselineConfig, propose

RUN = date(2026, 3, 2)


def _inputs(**overrides: object) -> pl.DataFrame:
    row: dict[str, object] = {
        "account_key": 1,
        "account_id": "A1",
        "creditor_id": "bank",
        "debtor_id": "D1",
        "currency": "CNY",
        "balance": 100_000,
        "dpd": 10,
        "flags": "",
        "opted_out": "",
        "has_phone": True,
        "has_email": True,
        "has_im": True,
        "has_address": True,
        "open_promise": False,
        "on_plan": False,
    }
    row.update(overrides)
    row["bucket"] = bucket_of(int(row["dpd"]))  # type: ignore[arg-type]
    return conform(pl.DataFrame([row]), DECISION_INPUT_SCHEMA)


def _action(**overrides: object) -> str | None:
    candidates = propose(_inputs(**overrides), RUN)
    assert candidates.schema == pl.Schema(CANDIDATE_SCHEMA)
    assert candidates.height <= 1
    return candidates.item(0, "action") if candidates.height else None


@pytest.mark.parametrize(
    ("dpd", "balance", "expected"),
    [
        (5, 100_000, "sms"),
        (45, 100_000, "call"),
        (91, 100_000, "letter"),
        (100, 100_000, "call"),
        (181, 900_000, "legal_review"),
        (181, 100_000, "letter"),
    ],
)
def test_the_ladder_steps_by_days_past_due(dpd: int, balance: int, expected: str) -> None:
    assert _action(dpd=dpd, balance=balance) == expected


@pytest.mark.parametrize("hold", ["cease", "bankrupt", "deceased", "attorney", "dispute", "breathing_space"])
def test_holds_get_nothing(hold: str) -> None:
    assert _action(flags=hold, dpd=45) is None


@pytest.mark.parametrize("field", ["open_promise", "on_plan"])
def test_promises_and_plans_get_nothing(field: str) -> None:
    assert _action(**{field: True}, dpd=45) is None


def test_reminders_respect_opt_outs_consent_and_reach() -> None:
    assert _action(opted_out="sms") == "email"
    assert _action(consent_sms=False, has_email=False) == "im"
    assert _action(has_phone=False, has_email=False, has_im=False) is None


def test_calls_wait_between_attempts_and_spare_the_vulnerable() -> None:
    assert _action(dpd=45, days_since_last_contact=1) is None
    assert _action(dpd=45, days_since_last_contact=3) == "call"
    assert _action(dpd=45, flags="vulnerable") == "sms"


def test_reminders_come_weekly() -> None:
    config = BaselineConfig(reminder_every_days=7)
    assert propose(_inputs(days_since_last_contact=6), RUN, config).is_empty()
    assert propose(_inputs(days_since_last_contact=7), RUN, config).item(0, "action") == "sms"
