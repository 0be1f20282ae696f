"""Each rule against its legal text, edge cases included (the scalar evaluator; the batch one is held to
the same answers by test_scalar_batch_agree.py and test_batch.py)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from recoup.core.compliance import Decision, evaluate, load_rulebooks, parse_attempt

NY = "America/New_York"


def make(jurisdiction: str = "US", at: str = "2026-03-02T10:00:00-05:00", **changes: Any) -> dict[str, Any]:
    zone = {"CN": "Asia/Shanghai", "UK": "Europe/London", "EU": "Europe/Paris"}.get(jurisdiction, NY)
    obj: dict[str, Any] = {
        "id": "t",
        "jurisdiction": jurisdiction,
        "channel": "call",
        "at": at,
        "recipient": "debtor",
        "account": {
            "account_id": "A1",
            "debtor_id": "D1",
            "timezones": [zone],
            "phone": "+8613800138000" if jurisdiction == "CN" else "+12125550100",
            "validation_notice_sent_at": "2026-01-05T10:00:00-05:00",
        },
        "history": [],
    }
    for key, value in changes.items():
        if key.startswith("account_"):
            obj["account"][key.removeprefix("account_")] = value
        else:
            obj[key] = value
    return obj


def decide(obj: dict[str, Any]) -> Decision:
    return evaluate(parse_attempt(copy.deepcopy(obj)), load_rulebooks())


def rules(decision: Decision) -> list[str]:
    return [finding.rule for finding in decision.violations]


def warned(decision: Decision) -> list[str]:
    return [finding.rule for finding in decision.warnings]


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def calls(*times: str, outcome: str = "no_answer", **extra: Any) -> list[dict[str, Any]]:
    return [{"channel": "call", "at": t, "direction": "outbound", "outcome": outcome, **extra} for t in times]


# ------------------------------------------------------------------------------------- contact hours


@pytest.mark.parametrize(
    ("jurisdiction", "at", "allowed", "next_at"),
    [
        # 12 CFR 1006.6(b)(1)(i): inconvenient "before 8:00 a.m. and after 9:00 p.m." local time.
        ("US", "2026-03-02T07:59:59-05:00", False, "2026-03-02T08:00:00-05:00"),
        ("US", "2026-03-02T08:00:00-05:00", True, "2026-03-02T08:00:00-05:00"),
        (
            "US",
            "2026-03-02T21:00:00-05:00",
            True,
            "2026-03-02T21:00:00-05:00",
        ),  # 21:00 exactly is not "after"
        ("US", "2026-03-02T21:00:01-05:00", False, "2026-03-03T08:00:00-05:00"),
        # CN: 08:00-22:00.
        ("CN", "2026-03-02T22:00:00+08:00", True, "2026-03-02T22:00:00+08:00"),
        ("CN", "2026-03-02T22:30:00+08:00", False, "2026-03-03T08:00:00+08:00"),
        ("CN", "2026-03-02T06:00:00+08:00", False, "2026-03-02T08:00:00+08:00"),
        ("UK", "2026-03-02T21:30:00+00:00", False, "2026-03-03T08:00:00+00:00"),
    ],
)
def test_contact_hours(jurisdiction: str, at: str, allowed: bool, next_at: str) -> None:
    decision = decide(make(jurisdiction, at))
    assert decision.allowed is allowed
    assert decision.next_allowed_at == utc(next_at)
    hours_rule = {"US": "US.1006.6.b.1.i", "CN": "CN.hours", "UK": "UK.hours"}[jurisdiction]
    assert (hours_rule in rules(decision)) is not allowed


def test_letters_are_not_bound_by_contact_hours() -> None:
    decision = decide(make("US", "2026-03-02T23:00:00-05:00", channel="letter"))
    assert "US.1006.6.b.1.i" not in rules(decision)


def test_hours_on_the_us_spring_forward_day() -> None:
    # 2026-03-08: New York clocks jump from 02:00 EST to 03:00 EDT; 07:30 EDT is 11:30 UTC.
    decision = decide(make("US", "2026-03-08T07:30:00-04:00"))
    assert rules(decision) == ["US.1006.6.b.1.i"]
    assert decision.next_allowed_at == utc("2026-03-08T08:00:00-04:00")  # 12:00 UTC, not 13:00


def test_hours_on_the_us_fall_back_day() -> None:
    # 2026-11-01: 02:00 EDT becomes 01:00 EST; the 01:30 that happens twice is outside either way.
    first = decide(make("US", "2026-11-01T01:30:00-04:00"))
    second = decide(make("US", "2026-11-01T01:30:00-05:00"))
    assert first.next_allowed_at == second.next_allowed_at == utc("2026-11-01T08:00:00-05:00")
    assert decide(make("US", "2026-11-01T20:59:00-05:00")).allowed


def test_every_candidate_zone_must_allow_the_contact() -> None:
    both = make("US", "2026-03-02T09:00:00-05:00", account_timezones=[NY, "America/Los_Angeles"])
    decision = decide(both)  # 09:00 in New York is 06:00 in Los Angeles
    assert not decision.allowed
    assert "06:00 in America/Los_Angeles" in decision.violations[0].reason
    assert decision.next_allowed_at == utc("2026-03-02T08:00:00-08:00")  # 11:00 in New York


def test_zones_whose_windows_never_meet_leave_no_next_time() -> None:
    apart = make(
        "US",
        "2026-03-02T09:00:00-05:00",
        account_timezones=[NY, "America/Los_Angeles"],
        account_agreed_windows=["18:00-19:00"],
    )
    decision = decide(apart)  # 18:00-19:00 in New York is 15:00-16:00 in Los Angeles: never both
    assert not decision.allowed and decision.next_allowed_at is None


def test_zone_from_the_phone_number_when_none_is_given() -> None:
    obj = make("US", "2026-03-02T08:30:00-05:00", account_timezones=[], account_phone="+13125557777")
    decision = decide(obj)  # a Chicago number: 07:30 there
    assert rules(decision) == ["US.1006.6.b.1.i"]
    assert decision.zone == "America/Chicago"


def test_agreed_windows_extend_the_hours_only_where_the_law_lets_consent_do_so() -> None:
    early = "2026-03-02T06:30:00-05:00"
    assert decide(make("US", early, account_agreed_windows=["06:00-07:00"])).allowed  # consent given directly
    cn = decide(make("CN", "2026-03-02T06:30:00+08:00", account_agreed_windows=["06:00-07:00"]))
    assert rules(cn) == ["CN.hours"] and cn.next_allowed_at is None  # 06:00-07:00 within 08:00-22:00 is empty


def test_inconvenient_times_are_excluded() -> None:
    decision = decide(make("US", "2026-03-02T10:00:00-05:00", account_inconvenient_windows=["09:00-12:00"]))
    assert rules(decision) == ["US.1006.6.b.1.i"]
    assert decision.next_allowed_at == utc("2026-03-02T12:00:00-05:00")


# ------------------------------------------------------------------------------------------ frequency


def test_us_the_eighth_call_in_seven_days_is_blocked() -> None:
    # 1006.14(b)(2)(i)(A): more than seven calls within seven consecutive days.
    seven = calls(
        *[f"2026-02-{day:02d}T10:00:00-05:00" for day in range(24, 29)],
        "2026-03-01T10:00:00-05:00",
        "2026-03-02T09:00:00-05:00",
    )
    decision = decide(make("US", "2026-03-02T15:00:00-05:00", history=seven))
    assert rules(decision) == ["US.1006.14.b.2.i.A"]
    # The oldest of the seven (24 Feb) leaves the seven-day period on 3 March.
    assert decision.next_allowed_at == utc("2026-03-03T08:00:00-05:00")
    assert decide(make("US", "2026-03-02T15:00:00-05:00", history=seven[1:])).allowed


def test_us_calls_about_another_debt_do_not_count_for_this_one() -> None:
    seven = calls(
        *[f"2026-02-{day:02d}T10:00:00-05:00" for day in range(24, 29)],
        "2026-03-01T10:00:00-05:00",
        "2026-03-02T09:00:00-05:00",
        account_id="OTHER",
    )
    assert decide(make("US", "2026-03-02T15:00:00-05:00", history=seven)).allowed


@pytest.mark.parametrize(
    ("at", "blocked"),
    [
        ("2026-02-24T15:00:00-05:00", True),  # the day of the conversation is day 1
        ("2026-02-25T10:00:00-05:00", True),  # the day after a conversation
        ("2026-03-02T20:00:00-05:00", True),  # day 7
        ("2026-03-03T08:00:00-05:00", False),  # day 8
    ],
)
def test_us_no_call_within_seven_days_after_a_conversation(at: str, blocked: bool) -> None:
    history = calls("2026-02-24T11:00:00-05:00", outcome="conversation")
    decision = decide(make("US", at, history=history))
    assert ("US.1006.14.b.2.i.B" in rules(decision)) is blocked
    if blocked:
        assert decision.next_allowed_at == utc("2026-03-03T08:00:00-05:00")


def test_us_an_inbound_conversation_counts_too() -> None:
    history = [
        {
            "channel": "call",
            "at": "2026-03-01T11:00:00-05:00",
            "direction": "inbound",
            "outcome": "conversation",
        }
    ]
    assert rules(decide(make("US", history=history))) == ["US.1006.14.b.2.i.B"]


def test_us_waiting_period_ending_on_the_spring_forward_day() -> None:
    history = calls("2026-03-01T11:00:00-05:00", outcome="conversation")
    decision = decide(make("US", "2026-03-02T10:00:00-05:00", history=history))
    assert decision.next_allowed_at == utc("2026-03-08T08:00:00-04:00")  # 8 March, 08:00 EDT


def test_cn_at_most_three_connected_calls_per_debtor_per_day() -> None:
    three = calls("2026-03-02T09:00:00+08:00", "2026-03-02T10:00:00+08:00", outcome="conversation") + calls(
        "2026-03-02T11:00:00+08:00", outcome="conversation", account_id="A2"
    )  # the debtor's other account counts
    decision = decide(make("CN", "2026-03-02T15:00:00+08:00", history=three))
    assert rules(decision) == ["CN.calls.connected"]
    assert decision.next_allowed_at == utc("2026-03-03T08:00:00+08:00")
    assert decide(make("CN", "2026-03-02T15:00:00+08:00", history=three[:2])).allowed


def test_cn_at_most_six_unanswered_attempts_per_number_per_day() -> None:
    six = calls(*[f"2026-03-02T{hour:02d}:00:00+08:00" for hour in range(8, 14)])
    decision = decide(make("CN", "2026-03-02T15:00:00+08:00", history=six))
    assert rules(decision) == ["CN.calls.unanswered"]
    elsewhere = calls(
        *[f"2026-03-02T{hour:02d}:00:00+08:00" for hour in range(8, 14)], phone="+8613900139000"
    )
    assert decide(make("CN", "2026-03-02T15:00:00+08:00", history=elsewhere)).allowed


def test_message_caps_are_configurable_defaults() -> None:
    sms = [
        {"channel": "sms", "at": f"2026-03-02T{h}:00:00+08:00", "outcome": "delivered"}
        for h in ("09", "10", "11")
    ]
    decision = decide(make("CN", "2026-03-02T15:00:00+08:00", channel="sms", history=sms))
    assert rules(decision) == ["CN.sms.daily"]


def test_contacts_after_the_attempt_are_not_its_history() -> None:
    later = calls("2026-03-02T11:00:00-05:00", outcome="conversation")
    assert decide(make("US", "2026-03-02T10:00:00-05:00", history=later)).allowed


# ---------------------------------------------------------------------------------------------- holds


@pytest.mark.parametrize(
    ("jurisdiction", "flag", "rule"),
    [
        ("US", "cease", "US.1006.6.c.cease"),
        ("US", "bankrupt", "US.bankruptcy.stay"),
        ("CN", "cease", "CN.hold.cease"),
        ("UK", "breathing_space", "UK.hold.breathing_space"),
        ("EU", "bankrupt", "EU.hold.bankrupt"),
    ],
)
def test_holds_block_until_the_state_changes(jurisdiction: str, flag: str, rule: str) -> None:
    at = {"US": "2026-03-02T10:00:00-05:00", "CN": "2026-03-02T10:00:00+08:00"}.get(
        jurisdiction, "2026-03-02T10:00:00+00:00"
    )
    decision = decide(make(jurisdiction, at, account_flags=[flag]))
    assert rules(decision) == [rule]
    assert decision.next_allowed_at is None


def test_attorney_contact_the_attorney_only() -> None:
    assert rules(decide(make("US", account_flags=["attorney"]))) == ["US.1006.6.b.2.attorney"]
    assert decide(make("US", account_flags=["attorney"], recipient="attorney")).allowed


def test_deceased_estate_process_only() -> None:
    assert rules(decide(make("CN", "2026-03-02T10:00:00+08:00", account_flags=["deceased"]))) == [
        "CN.hold.deceased"
    ]
    assert decide(
        make("CN", "2026-03-02T10:00:00+08:00", account_flags=["deceased"], recipient="attorney")
    ).allowed


def test_us_dispute_blocks_until_verification_is_sent() -> None:
    disputed = make("US", account_flags=["dispute"])
    assert rules(decide(disputed)) == ["US.1006.38.d.2.dispute"]
    disputed["account"]["verification_sent_at"] = "2026-02-27T10:00:00-05:00"
    assert decide(disputed).allowed


def test_vulnerable_is_warn_or_block_per_rulebook() -> None:
    cn = decide(make("CN", "2026-03-02T10:00:00+08:00", account_flags=["vulnerable"]))
    assert cn.allowed and warned(cn) == ["CN.hold.vulnerable"]
    uk_call = decide(make("UK", "2026-03-02T10:00:00+00:00", account_flags=["vulnerable"]))
    assert uk_call.allowed and warned(uk_call) == ["UK.hold.vulnerable.specialist"]
    uk_sms = make("UK", "2026-03-02T10:00:00+00:00", channel="sms", account_flags=["vulnerable"])
    assert rules(decide(uk_sms)) == ["UK.hold.vulnerable.automated"]


def test_cn_dispute_is_a_warning() -> None:
    decision = decide(make("CN", "2026-03-02T10:00:00+08:00", account_flags=["dispute"]))
    assert decision.allowed and warned(decision) == ["CN.hold.dispute"]


# ------------------------------------------------------------------------------- channels and consent


def test_us_texts_need_consent() -> None:
    assert rules(decide(make("US", channel="sms"))) == ["US.consent"]
    assert decide(make("US", channel="sms", account_consent={"sms": True})).allowed


def test_opt_out_blocks_that_channel_only() -> None:
    decision = decide(make("US", channel="email", account_opted_out=["email"]))
    assert rules(decision) == ["US.1006.14.h.1"] and decision.next_allowed_at is None
    assert decide(make("US", channel="call", account_opted_out=["email"])).allowed


def test_us_employer_email_address() -> None:
    obj = make("US", channel="email", destination={"email": "jo@employer.example", "employer_provided": True})
    assert rules(decide(obj)) == ["US.1006.22.f.3"]


def test_no_public_posts() -> None:
    assert "CN.public_post" in rules(
        decide(
            make(
                "CN",
                "2026-03-02T10:00:00+08:00",
                channel="im",
                account_consent={"im": True},
                destination={"public": True},
            )
        )
    )
    assert "US.1006.22.f.4" in rules(
        decide(make("US", channel="im", account_consent={"im": True}, destination={"public": True}))
    )


def test_us_validation_notice_missing_is_a_warning() -> None:
    obj = make("US")
    del obj["account"]["validation_notice_sent_at"]
    decision = decide(obj)
    assert decision.allowed and warned(decision) == ["US.1006.34.validation_notice"]


# ---------------------------------------------------------------------------------------- third parties


def test_cn_guarantor_may_be_contacted_an_unrelated_third_party_may_not() -> None:
    at = "2026-03-02T10:00:00+08:00"
    assert decide(make("CN", at, recipient="guarantor")).allowed
    decision = decide(make("CN", at, recipient="other", destination={"phone": "+8613700137000"}))
    assert rules(decision) == ["CN.third_party.unreachable"]
    assert decision.next_allowed_at is None  # never tried the debtor: nothing to wait for


def test_cn_third_party_after_three_failed_calls_in_a_row() -> None:
    at = "2026-03-02T15:00:00+08:00"
    failed = calls("2026-03-02T09:00:00+08:00", "2026-03-02T10:00:00+08:00", "2026-03-02T11:00:00+08:00")
    assert decide(make("CN", at, recipient="family", history=failed)).allowed
    reached_since = failed + calls("2026-03-02T12:00:00+08:00", outcome="conversation")
    assert rules(decide(make("CN", at, recipient="family", history=reached_since))) == [
        "CN.third_party.unreachable"
    ]


def test_cn_third_party_after_three_days_without_contact() -> None:
    one_failed = calls("2026-03-01T10:00:00+08:00")
    decision = decide(make("CN", "2026-03-02T15:00:00+08:00", recipient="emergency", history=one_failed))
    assert rules(decision) == ["CN.third_party.unreachable"]
    assert decision.next_allowed_at == utc("2026-03-04T10:00:00+08:00")


def test_cn_third_party_when_the_number_is_invalid() -> None:
    assert decide(make("CN", "2026-03-02T15:00:00+08:00", recipient="family", account_phone="12345")).allowed


def test_third_parties_are_never_told_about_the_debt() -> None:
    failed = calls("2026-03-02T09:00:00+08:00", "2026-03-02T10:00:00+08:00", "2026-03-02T11:00:00+08:00")
    base = make("CN", "2026-03-02T15:00:00+08:00", recipient="family", channel="sms", history=failed)
    leak = dict(base, message={"language": "zh", "text": "【安信资产】受招商银行委托，请转告张三尽快还款。"})
    assert "CN.third_party.debt_details" in rules(decide(leak))
    ok = dict(
        base, message={"language": "zh", "text": "【安信资产】受招商银行委托，请转告张三回电4008208888。"}
    )
    assert "CN.third_party.debt_details" not in rules(decide(ok))


def test_us_third_party_location_information_once() -> None:
    first = decide(make("US", recipient="family", destination={"phone": "+12125550199"}))
    assert first.allowed and warned(first) == ["US.1006.10.b.location_only"]
    before = [
        {"channel": "call", "at": "2026-02-20T10:00:00-05:00", "recipient": "family", "phone": "+12125550199"}
    ]
    again = decide(make("US", recipient="family", destination={"phone": "+12125550199"}, history=before))
    assert rules(again) == ["US.1006.10.b.once"] and again.next_allowed_at is None


# ------------------------------------------------------------------------------------------- messages


US_SMS_OK = "This is a communication from a debt collector, Acme Collections, on behalf of Blue Bank. Reply STOP to opt out."


def test_us_message_needs_the_debt_collector_statement_and_an_opt_out() -> None:
    ok = make(
        "US", channel="sms", account_consent={"sms": True}, message={"language": "en", "text": US_SMS_OK}
    )
    assert decide(ok).allowed
    bare = dict(ok, message={"language": "en", "text": "Your balance is past due. Call us."})
    assert rules(decide(bare)) == ["US.1006.18.e", "US.1006.6.e", "US.identity"]


def test_uk_letters_are_private_and_confidential() -> None:
    text = "Dear Ms Lee, this is Acme Collections writing on behalf of Blue Bank about your account."
    letter = make(
        "UK", "2026-03-02T10:00:00+00:00", channel="letter", message={"language": "en", "text": text}
    )
    assert rules(decide(letter)) == ["UK.wording.private_confidential"]
    marked = dict(letter, message={"language": "en", "text": "PRIVATE AND CONFIDENTIAL. " + text})
    assert decide(marked).allowed


def test_suit_threats_only_block_on_time_barred_debt() -> None:
    text = US_SMS_OK + " If you do not pay we will sue you."
    current = make(
        "US",
        channel="sms",
        account_consent={"sms": True},
        account_statute_limit_on="2029-01-01",
        message={"language": "en", "text": text},
    )
    assert decide(current).allowed
    barred = copy.deepcopy(current)
    barred["account"]["statute_limit_on"] = "2025-12-31"
    decision = decide(barred)
    assert rules(decision) == ["US.1006.26.b"] and decision.next_allowed_at is None
    assert "'sue'" in decision.violations[0].reason


def test_abusive_chinese_message_names_category_and_span() -> None:
    text = "【安信资产】受招商银行委托：再不还钱就报-警抓你，老赖！"
    decision = decide(
        make("CN", "2026-03-02T10:00:00+08:00", channel="sms", message={"language": "zh", "text": text})
    )
    assert rules(decision) == ["CN.msg.false_authority", "CN.msg.insult"]
    assert "报-警" in decision.violations[0].reason  # the span is in the original text


def test_a_compliant_message_passes() -> None:
    text = "【安信资产】您好，受招商银行委托提醒您，信用卡账单已逾期，如有困难可申请分期。"
    assert decide(
        make("CN", "2026-03-02T10:00:00+08:00", channel="sms", message={"language": "zh", "text": text})
    ).allowed
