"""The scalar and the batch evaluator are one truth: on random attempts and histories they agree on
allowed, the violated and warned rule ids, and next_allowed_at (message rules aside: the batch path does
not lint text)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recoup.core.compliance.attempt import parse_attempt
from recoup.core.compliance.batch import evaluate_batch, frames_from_attempts
from recoup.core.compliance.rulebook import RECIPIENTS, load_rulebooks
from recoup.core.compliance.scalar import evaluate
from recoup.core.schema import CHANNELS, DIRECTIONS, OUTCOMES

ZONES = [
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Pacific/Honolulu",
    "Asia/Shanghai",
    "Asia/Urumqi",
    "Europe/London",
    "Europe/Paris",
    "Australia/Lord_Howe",  # a 30-minute DST shift
    "America/Santiago",  # DST changes at midnight
    "Asia/Kolkata",
]
PHONES = [
    None,
    "+8613800138000",
    "+12125550100",
    "+13125557777",
    "+19075551234",
    "+442079460958",
    "+15555550100",
    "12345",
    "0755 8888 1234",
    "(212) 555-0100",
]
REGIONS = [None, "NY", "TX", "AK", "XJ", "DE", "PT", "nowhere"]
# Around the 2026 DST changes of the zones above, and a quiet week.
ANCHORS = [
    datetime(2026, 3, 8, 7, 0, tzinfo=UTC),
    datetime(2026, 11, 1, 6, 0, tzinfo=UTC),
    datetime(2026, 3, 29, 1, 0, tzinfo=UTC),
    datetime(2026, 10, 25, 1, 0, tzinfo=UTC),
    datetime(2026, 4, 4, 15, 0, tzinfo=UTC),
    datetime(2026, 9, 6, 4, 0, tzinfo=UTC),
    datetime(2026, 6, 15, 12, 0, tzinfo=UTC),
]
FLAGS = ["dispute", "cease", "bankrupt", "deceased", "attorney", "vulnerable", "breathing_space", "complaint"]


def _clock() -> st.SearchStrategy[str]:
    return st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 23), st.sampled_from([0, 15, 30, 59]))


def _instant(anchor: datetime, minutes: int) -> str:
    return (anchor + timedelta(minutes=minutes)).isoformat()


@st.composite
def attempts(draw: st.DrawFn, index: int) -> dict[str, object]:
    anchor = draw(st.sampled_from(ANCHORS))
    at_minutes = draw(st.integers(-3 * 1440, 3 * 1440))
    account: dict[str, object] = {
        "account_id": f"A{index}",
        "debtor_id": f"D{index}",
        "timezones": draw(st.lists(st.sampled_from(ZONES), max_size=2)),
        "phone": draw(st.sampled_from(PHONES)),
        "region": draw(st.sampled_from(REGIONS)),
        "flags": draw(st.lists(st.sampled_from(FLAGS), max_size=2, unique=True)),
        "consent": draw(st.dictionaries(st.sampled_from(CHANNELS), st.booleans(), max_size=3)),
        "opted_out": draw(st.lists(st.sampled_from(CHANNELS), max_size=2, unique=True)),
        "agreed_windows": draw(st.lists(st.builds(lambda a, b: f"{a}-{b}", _clock(), _clock()), max_size=2)),
        "inconvenient_windows": draw(
            st.lists(st.builds(lambda a, b: f"{a}-{b}", _clock(), _clock()), max_size=1)
        ),
    }
    if draw(st.booleans()):
        account["validation_notice_sent_at"] = _instant(anchor, at_minutes - 10 * 1440)
    if draw(st.booleans()):
        account["verification_sent_at"] = _instant(anchor, at_minutes - 1440)
    history = []
    for _ in range(draw(st.integers(0, 12))):
        item: dict[str, object] = {
            "channel": draw(st.sampled_from(["call", "call", "call", "sms", "email", "im"])),
            "at": _instant(anchor, at_minutes - draw(st.integers(-600, 10 * 1440))),
            "direction": draw(st.sampled_from(DIRECTIONS)),
            "outcome": draw(st.sampled_from([None, *OUTCOMES])),
            "recipient": draw(st.sampled_from(["debtor", "debtor", "debtor", *RECIPIENTS])),
        }
        if draw(st.integers(0, 4)) == 0:
            item["account_id"] = "other-account"
        if draw(st.integers(0, 4)) == 0:
            item["phone"] = draw(st.sampled_from(["+8613900139000", "+12125550199"]))
        history.append(item)
    return {
        "id": f"a{index}",
        "jurisdiction": draw(st.sampled_from(["CN", "CN", "US", "US", "US-NY", "US-TX", "UK", "EU"])),
        "channel": draw(st.sampled_from(CHANNELS)),
        "at": _instant(anchor, at_minutes),
        "recipient": draw(st.sampled_from(["debtor", "debtor", *RECIPIENTS])),
        "account": account,
        "history": history,
        "destination": {
            "employer_provided": draw(st.integers(0, 5)) == 0,
            "public": draw(st.integers(0, 8)) == 0,
            **({"phone": "+8613700137000"} if draw(st.integers(0, 4)) == 0 else {}),
        },
    }


@st.composite
def batches(draw: st.DrawFn) -> list[dict[str, object]]:
    return [draw(attempts(index)) for index in range(draw(st.integers(1, 6)))]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(batches())
def test_scalar_and_batch_agree(objects: list[dict[str, object]]) -> None:
    rulebooks = load_rulebooks()
    parsed = [parse_attempt(obj) for obj in objects]
    frame, history = frames_from_attempts(parsed)
    batch = evaluate_batch(frame, history, rulebooks)
    assert batch["attempt_id"].to_list() == [attempt.id for attempt in parsed]
    for attempt, row in zip(parsed, batch.iter_rows(named=True), strict=True):
        decision = evaluate(attempt, rulebooks)
        scalar = (
            decision.allowed,
            ";".join(f.rule for f in decision.violations),
            ";".join(f.rule for f in decision.warnings),
            decision.next_allowed_at,
        )
        assert (row["allowed"], row["violations"], row["warnings"], row["next_allowed_at"]) == scalar, attempt
