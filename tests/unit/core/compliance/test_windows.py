"""Contact windows agree with the evaluator: the scalar check allows a call from window_start up to just
before window_end and refuses it at window_end, on plain days and on the days clocks change."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recoup.core.compliance import Decision, evaluate, load_rulebooks, parse_attempt
from recoup.core.compliance import localtime as lt
from recoup.core.compliance.windows import (
    contact_windows,
    day_windows,
    with_window_text,
    zone_intervals,
)
from recoup.core.errors import ValidationError
from recoup.core.schema import UTC_INSTANT

BOOKS = load_rulebooks()
MINUTE = timedelta(minutes=1)
MICRO = timedelta(microseconds=1)


def frame(
    rows: list[tuple[str, str, date, datetime | None, str | None, str | None, str | None]],
) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={
            "jurisdiction": pl.String(),
            "channel": pl.String(),
            "run_date": pl.Date(),
            "scheduled_at": UTC_INSTANT,
            "timezones": pl.String(),
            "phone": pl.String(),
            "region": pl.String(),
        },
        orient="row",
    )


def window_of(
    jurisdiction: str,
    day: date,
    at: datetime | None,
    zones: str | None,
    phone: str | None = None,
    region: str | None = None,
    channel: str = "call",
) -> tuple[datetime | None, datetime | None, str]:
    found = contact_windows(frame([(jurisdiction, channel, day, at, zones, phone, region)]), BOOKS)
    start, end, zone = found.select("window_start", "window_end", "zone").row(0)
    return start, end, zone


def decide(
    jurisdiction: str,
    at: datetime,
    zones: str | None,
    phone: str | None = None,
    region: str | None = None,
    channel: str = "call",
) -> Decision:
    account: dict[str, Any] = {
        "account_id": "A1",
        "debtor_id": "D1",
        "timezones": zones.split(";") if zones else [],
        "phone": phone,
        "region": region,
        "validation_notice_sent_at": "2025-01-05T10:00:00Z",
    }
    attempt = {
        "id": "t",
        "jurisdiction": jurisdiction,
        "channel": channel,
        "at": at.isoformat(),
        "account": {key: value for key, value in account.items() if value is not None},
    }
    return evaluate(parse_attempt(attempt), BOOKS)


def hours_blocks(decision: Decision, jurisdiction: str, channel: str = "call") -> bool:
    rule = BOOKS.get(jurisdiction).hours_rule(channel)
    assert rule is not None
    return rule.id in [finding.rule for finding in decision.violations]


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.mark.parametrize(
    ("jurisdiction", "zones", "day", "start", "end"),
    [
        ("CN", "Asia/Shanghai", date(2026, 3, 2), "2026-03-02T08:00+08:00", "2026-03-02T22:00+08:00"),
        ("US", "America/New_York", date(2026, 3, 2), "2026-03-02T08:00-05:00", "2026-03-02T21:00-05:00"),
        # Clocks spring forward at 02:00 and fall back at 02:00 in New York; at 01:00 UTC in London.
        ("US", "America/New_York", date(2026, 3, 8), "2026-03-08T08:00-04:00", "2026-03-08T21:00-04:00"),
        ("US", "America/New_York", date(2026, 11, 1), "2026-11-01T08:00-05:00", "2026-11-01T21:00-05:00"),
        ("UK", "Europe/London", date(2026, 3, 29), "2026-03-29T08:00+01:00", "2026-03-29T21:00+01:00"),
        ("UK", "Europe/London", date(2026, 10, 25), "2026-10-25T08:00+00:00", "2026-10-25T21:00+00:00"),
        # Two candidate zones: only the hours both allow.
        (
            "US",
            "America/New_York;America/Los_Angeles",
            date(2026, 3, 2),
            "2026-03-02T08:00-08:00",
            "2026-03-02T21:00-05:00",
        ),
    ],
)
def test_the_scalar_evaluator_allows_the_whole_window_and_refuses_at_its_end(
    jurisdiction: str, zones: str, day: date, start: str, end: str
) -> None:
    scheduled = utc(start) + timedelta(hours=2)
    window_start, window_end, zone = window_of(jurisdiction, day, scheduled, zones)
    assert zone == zones.split(";", 1)[0]
    # The rules' end minute is inclusive: 21:00:00 itself is allowed, so the window ends just after it.
    assert (window_start, window_end) == (utc(start), utc(end) + MICRO)
    assert window_start is not None and window_end is not None
    assert decide(jurisdiction, window_start, zones).allowed
    assert decide(jurisdiction, window_end - MINUTE, zones).allowed
    assert decide(jurisdiction, window_end - MICRO, zones).allowed
    at_end = decide(jurisdiction, window_end, zones)
    assert not at_end.allowed and hours_blocks(at_end, jurisdiction)
    assert hours_blocks(decide(jurisdiction, window_start - MICRO, zones), jurisdiction)


def test_zones_are_derived_from_phone_and_region_as_the_evaluator_derives_them() -> None:
    # No zone stored: a New York number of a US account is called on New York's clock.
    start, end, zone = window_of("US", date(2026, 3, 2), utc("2026-03-02T15:00Z"), None, "+12125550100")
    assert zone == "America/New_York"
    assert (start, end) == (utc("2026-03-02T08:00-05:00"), utc("2026-03-02T21:00-05:00") + MICRO)
    # Nothing known: every zone of the jurisdiction must allow it, from Honolulu's 08:00 to New York's 21:00.
    start, end, _ = window_of("US", date(2026, 3, 2), utc("2026-03-02T20:00Z"), None)
    assert (start, end) == (utc("2026-03-02T08:00-10:00"), utc("2026-03-02T21:00-05:00") + MICRO)


def test_a_call_before_its_window_gets_the_next_window_of_the_day_and_after_it_none() -> None:
    day = date(2026, 3, 2)
    early, _, _ = window_of("CN", day, utc("2026-03-02T07:00+08:00"), "Asia/Shanghai")
    assert early == utc("2026-03-02T08:00+08:00")
    late = window_of("CN", day, utc("2026-03-02T23:00+08:00"), "Asia/Shanghai")
    assert late[:2] == (None, None)
    unscheduled, _, _ = window_of("CN", day, None, "Asia/Shanghai")
    assert unscheduled == utc("2026-03-02T08:00+08:00")


def test_zones_on_different_dates_share_the_hours_they_all_allow() -> None:
    # 08:00-11:00 in Shanghai on 2 March is 14:00-17:00 in Honolulu and 19:00-22:00 in New York on 1 March.
    zones = "Asia/Shanghai;Pacific/Honolulu;America/New_York"
    start, end, _ = window_of("CN", date(2026, 3, 2), utc("2026-03-02T01:00Z"), zones)
    assert (start, end) == (utc("2026-03-02T08:00+08:00"), utc("2026-03-02T11:00+08:00") + MICRO)
    assert start is not None and end is not None
    assert decide("CN", start, zones).allowed and decide("CN", end - MICRO, zones).allowed
    assert hours_blocks(decide("CN", end, zones), "CN")


def test_a_day_with_several_windows_gives_each_call_the_one_it_is_in_or_the_next() -> None:
    # 08:00-22:00 in Shanghai and New York overlap twice a day: 08:00-11:00 Shanghai (19:00-22:00 New York)
    # and 21:00-22:00 Shanghai (08:00-09:00 New York).
    zones = "Asia/Shanghai;America/New_York"
    day = date(2026, 3, 2)
    found = contact_windows(
        frame(
            [
                ("CN", "call", day, utc(at), zones, None, None)
                for at in ("2026-03-02T02:00Z", "2026-03-02T05:00Z", "2026-03-02T13:30Z", "2026-03-02T20:00Z")
            ]
        ),
        BOOKS,
    )
    assert found.select("window_start", "window_end").rows() == [
        (utc("2026-03-02T00:00Z"), utc("2026-03-02T03:00Z") + MICRO),
        (utc("2026-03-02T13:00Z"), utc("2026-03-02T14:00Z") + MICRO),
        (utc("2026-03-02T13:00Z"), utc("2026-03-02T14:00Z") + MICRO),
        # Still 2 March in New York until 05:00 UTC: 08:00 on 3 March in Shanghai is 19:00 there.
        (utc("2026-03-03T00:00Z"), utc("2026-03-03T03:00Z") + MICRO),
    ]


def test_zones_whose_hours_never_meet_have_no_window() -> None:
    # 08:00-21:00 in London, Shanghai and Honolulu: 08-21, 00-13 and 18-07 UTC have no instant in common.
    zones = "Europe/London;Asia/Shanghai;Pacific/Honolulu"
    start, end, _ = window_of("UK", date(2026, 3, 2), utc("2026-03-02T10:00Z"), zones)
    assert (start, end) == (None, None)
    assert decide("UK", utc("2026-03-02T10:00Z"), zones).next_allowed_at is None


def test_a_channel_without_an_hours_rule_may_be_used_all_day() -> None:
    assert BOOKS.get("CN").hours_rule("letter") is None
    start, end, _ = window_of(
        "CN", date(2026, 3, 2), utc("2026-03-02T03:00Z"), "Asia/Shanghai", channel="letter"
    )
    assert (start, end) == (utc("2026-03-02T00:00+08:00"), utc("2026-03-03T00:00+08:00"))


def test_windows_are_computed_once_per_distinct_key() -> None:
    day_windows.cache_clear()
    scheduled = utc("2026-03-02T03:00Z")
    rows = [("CN", "call", date(2026, 3, 2), scheduled, "Asia/Shanghai", None, None)] * 1000
    rows += [("US-TX", "call", date(2026, 3, 2), scheduled, "America/Chicago", None, None)] * 1000
    found = contact_windows(frame(rows), BOOKS)
    assert found.height == 2000
    # 03:00 UTC is 21:00 of the day before in Chicago: the call gets the run date's window.
    assert found["window_start"].unique().sort().to_list() == [
        utc("2026-03-02T08:00+08:00"),
        utc("2026-03-02T08:00-06:00"),
    ]
    assert day_windows.cache_info().misses == 2


def test_bad_input_names_the_column() -> None:
    good = frame([("CN", "call", date(2026, 3, 2), utc("2026-03-02T03:00Z"), "Asia/Shanghai", None, None)])
    with pytest.raises(ValidationError, match="run_date") as missing:
        contact_windows(good.drop("run_date"), BOOKS)
    assert missing.value.field == "run_date"
    with pytest.raises(ValidationError, match="unknown jurisdiction 'XX'"):
        contact_windows(good.with_columns(jurisdiction=pl.lit("XX")), BOOKS)
    with pytest.raises(ValidationError, match="unknown time zone") as zone:
        contact_windows(good.with_columns(timezones=pl.lit("Mars/Olympus")), BOOKS)
    assert zone.value.field == "timezones"
    with pytest.raises(ValidationError, match="scheduled_at is String, expected a UTC instant"):
        contact_windows(good.with_columns(scheduled_at=pl.lit("03:00")), BOOKS)
    naive = good.with_columns(pl.col("scheduled_at").dt.replace_time_zone(None))
    with pytest.raises(ValidationError, match=r"scheduled_at is Datetime\(time_unit='us', time_zone=None\)"):
        contact_windows(naive, BOOKS)
    with pytest.raises(ValidationError, match="run_date is String, expected a date"):
        contact_windows(good.with_columns(run_date=pl.lit("2026-03-02")), BOOKS)
    # An instant in another zone is the same instant.
    shanghai = good.with_columns(pl.col("scheduled_at").dt.convert_time_zone("Asia/Shanghai"))
    assert contact_windows(shanghai, BOOKS)["window_start"].to_list() == [utc("2026-03-02T08:00+08:00")]


def test_an_empty_frame_gets_empty_window_columns() -> None:
    found = with_window_text(contact_windows(frame([]), BOOKS))
    assert found.height == 0
    assert found.schema["window_start"] == UTC_INSTANT
    assert {"window_end", "zone", "window_local", "window_utc"} <= set(found.columns)


def test_windows_are_written_on_the_debtors_clock_and_in_utc() -> None:
    found = with_window_text(
        contact_windows(
            frame(
                [
                    ("CN", "call", date(2026, 3, 2), utc("2026-03-02T03:00Z"), "Asia/Shanghai", None, None),
                    (
                        "US",
                        "call",
                        date(2026, 3, 2),
                        utc("2026-03-02T15:00Z"),
                        "America/New_York",
                        None,
                        None,
                    ),
                    (
                        "CN",
                        "call",
                        date(2026, 3, 2),
                        utc("2026-03-02T23:00+08:00"),
                        "Asia/Shanghai",
                        None,
                        None,
                    ),
                ]
            ),
            BOOKS,
        )
    )
    assert found.select("window_local", "window_utc").rows() == [
        ("08:00-22:00", "00:00-14:00"),
        ("08:00-21:00", "13:00-02:00+1"),
        (None, None),
    ]


# ------------------------------------------------------------------------------------------- properties

ZONES = [
    "America/New_York",
    "America/Los_Angeles",
    "Pacific/Honolulu",
    "Asia/Shanghai",
    "Europe/London",
    "Europe/Paris",
    "Australia/Lord_Howe",  # a 30-minute DST shift
    "America/Santiago",  # DST changes at midnight
]
# Around the 2026 DST changes of the zones above, and a quiet day.
ANCHORS = [
    datetime(2026, 3, 8, 7, 0, tzinfo=UTC),
    datetime(2026, 11, 1, 6, 0, tzinfo=UTC),
    datetime(2026, 3, 29, 1, 0, tzinfo=UTC),
    datetime(2026, 10, 25, 1, 0, tzinfo=UTC),
    datetime(2026, 4, 4, 15, 0, tzinfo=UTC),
    datetime(2026, 9, 6, 4, 0, tzinfo=UTC),
    datetime(2026, 6, 15, 12, 0, tzinfo=UTC),
]
PHONES = [None, "+8613800138000", "+12125550100", "+13125557777", "+442079460958", "0755 8888 1234"]
REGIONS = [None, "NY", "TX", "XJ", "DE"]


@st.composite
def instants(draw: st.DrawFn) -> datetime:
    anchor = draw(st.sampled_from(ANCHORS))
    return anchor + timedelta(minutes=draw(st.integers(-36 * 60, 36 * 60)), seconds=draw(st.integers(0, 59)))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(["CN", "US", "US-NY", "UK", "EU"]),
    st.sampled_from(["call", "visit"]),
    st.lists(st.sampled_from(ZONES), max_size=2, unique=True),
    st.sampled_from(PHONES),
    st.sampled_from(REGIONS),
    instants(),
)
def test_an_allowed_call_lies_in_its_window_and_only_calls_in_it_pass_the_hours(
    jurisdiction: str,
    channel: str,
    zones: list[str],
    phone: str | None,
    region: str | None,
    at: datetime,
) -> None:
    zone_text = ";".join(zones) or None
    decision = decide(jurisdiction, at, zone_text, phone, region, channel)
    # The run date: the local date of the call where the debtor most likely is (the first candidate zone).
    day = lt.local_parts(at, decision.zone)[0]
    start, end, zone = window_of(jurisdiction, day, at, zone_text, phone, region, channel)
    assert zone == decision.zone
    inside = start is not None and end is not None and start <= at < end
    assert inside == (not hours_blocks(decision, jurisdiction, channel))
    if decision.allowed:
        assert inside


@st.composite
def daily_sets(draw: st.DrawFn) -> lt.DailySet:
    quarter = 15 * lt.MINUTE_US
    spans = draw(
        st.lists(st.tuples(st.integers(0, 96), st.integers(0, 96)), min_size=1, max_size=3).map(
            lambda pairs: [(a * quarter, b * quarter) for a, b in pairs]
        )
    )
    return lt.normalise(interval for start, end in spans for interval in lt.span(start, end + 1))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(ZONES), instants(), daily_sets(), st.integers(-20 * 60, 20 * 60))
def test_one_zones_intervals_are_exactly_the_instants_its_clock_allows(
    zone: str, anchor: datetime, daily: lt.DailySet, minutes: int
) -> None:
    day = lt.local_parts(anchor, zone)[0]
    intervals = zone_intervals(zone, day, daily)
    probe = lt.day_start(zone, day) + timedelta(minutes=minutes + 12 * 60, microseconds=minutes % 3)
    inside = any(start <= lt.to_us(probe) < end for start, end in intervals)
    assert inside == lt.contains(daily, lt.local_parts(probe, zone)[1])
    assert all(a_end < b_start for (_, a_end), (b_start, _) in pairwise(intervals))
