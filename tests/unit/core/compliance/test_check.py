from __future__ import annotations

import copy
from typing import Any

import pytest

from recoup.core.compliance import check_attempts, load_rulebooks
from recoup.core.errors import ValidationError


def attempt(identifier: str, at: str, **account: Any) -> dict[str, Any]:
    return {
        "id": identifier,
        "jurisdiction": "US",
        "channel": "call",
        "at": at,
        "account": {"account_id": "X1", "debtor_id": "D1", "timezones": ["America/New_York"], **account},
    }


def test_decisions_follow_the_contract_in_order() -> None:
    decisions = check_attempts(
        [attempt("late", "2026-03-02T21:30:00-05:00"), attempt("fine", "2026-03-02T10:00:00-05:00")],
        load_rulebooks(),
    )
    assert [d["id"] for d in decisions] == ["late", "fine"]
    late, fine = decisions
    assert set(late) == {"id", "allowed", "violations", "warnings", "next_allowed_at"}
    assert late["allowed"] is False
    assert late["violations"][0] == {
        "rule": "US.1006.6.b.1.i",
        "severity": "block",
        "reason": "21:30 in America/New_York is outside the allowed hours (08:00-21:00)",
        "citation": "12 CFR 1006.6(b)(1)(i)",
    }
    assert late["next_allowed_at"] == "2026-03-03T08:00:00-05:00"  # in the debtor's zone
    assert fine["allowed"] is True and fine["next_allowed_at"] == "2026-03-02T10:00:00-05:00"
    assert fine["warnings"][0]["rule"] == "US.1006.34.validation_notice"


def test_next_allowed_at_across_the_clock_change_shows_the_new_offset() -> None:
    decided = check_attempts([attempt("dst", "2026-03-07T22:00:00-05:00")], load_rulebooks())
    assert decided[0]["next_allowed_at"] == "2026-03-08T08:00:00-04:00"


def test_one_bad_attempt_rejects_the_request_naming_its_position_and_field() -> None:
    bad = attempt("b", "2026-03-02T10:00:00-05:00", flags=["nope"])
    with pytest.raises(ValidationError) as caught:
        check_attempts([attempt("a", "2026-03-02T10:00:00-05:00"), bad], load_rulebooks())
    assert caught.value.field == "[1].account.flags[0]" and caught.value.row == 2


def test_an_unknown_jurisdiction_is_bad_input() -> None:
    obj = copy.deepcopy(attempt("a", "2026-03-02T10:00:00-05:00"))
    obj["jurisdiction"] = "XX"
    with pytest.raises(ValidationError) as caught:
        check_attempts([obj], load_rulebooks())
    assert caught.value.field == "[0].jurisdiction"
