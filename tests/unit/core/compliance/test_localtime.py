from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recoup.core.compliance import localtime as lt
from recoup.core.errors import ValidationError

HOUR = lt.HOUR_US
NY = "America/New_York"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def test_a_skipped_wall_time_is_the_instant_the_clocks_jumped() -> None:
    first, second = lt.wall_instants(NY, date(2026, 3, 8), 2 * HOUR + 30 * 60_000_000)
    assert first == second == at("2026-03-08T03:00:00-04:00")


def test_a_repeated_wall_time_has_two_instants() -> None:
    first, second = lt.wall_instants(NY, date(2026, 11, 1), HOUR + 30 * 60_000_000)
    assert (first, second) == (at("2026-11-01T01:30:00-04:00"), at("2026-11-01T01:30:00-05:00"))
    # From inside the second 01:10, the next 01:30 is the second one.
    assert (
        lt.wall_at_or_after(NY, date(2026, 11, 1), 90 * 60_000_000, at("2026-11-01T01:10:00-05:00")) == second
    )


def test_a_day_that_skips_midnight_starts_when_the_clocks_jump() -> None:
    # Chile moves its clocks from 00:00 to 01:00 on 6 September 2026.
    start = lt.day_start("America/Santiago", date(2026, 9, 6))
    assert lt.local_parts(start, "America/Santiago") == (date(2026, 9, 6), HOUR)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from([NY, "Europe/London", "Australia/Lord_Howe", "America/Santiago", "Asia/Shanghai"]),
    st.integers(0, 400 * 24 * 60),
)
def test_offset_segments_agree_with_the_zone_to_the_microsecond(zone: str, minutes: int) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    instant = start + timedelta(minutes=minutes, microseconds=minutes % 7)
    segments = lt.offset_segments(zone, start, start + timedelta(days=401))
    micros = lt.to_us(instant)
    offset = [offset for begin, offset in segments if begin <= micros][-1]
    local = micros + offset
    day, tod = lt.local_parts(instant, zone)
    assert (local // lt.DAY_US, local % lt.DAY_US) == (lt.day_number(day), tod)


def test_daily_sets() -> None:
    legal = lt.span(8 * HOUR, 21 * HOUR + 1)
    assert lt.contains(legal, 21 * HOUR) and not lt.contains(legal, 21 * HOUR + 1)
    assert lt.span(22 * HOUR, 6 * HOUR) == ((0, 6 * HOUR), (22 * HOUR, lt.DAY_US))
    narrowed = lt.allowed_daily_set(
        legal, ((18 * HOUR, 20 * HOUR),), ((19 * HOUR, 19 * HOUR + 30 * 60_000_000),), agreed_extends=False
    )
    assert narrowed == ((18 * HOUR, 19 * HOUR), (19 * HOUR + 30 * 60_000_000, 20 * HOUR + 1))
    assert lt.allowed_daily_set(legal, ((6 * HOUR, 7 * HOUR),), (), agreed_extends=False) == ()
    assert lt.allowed_daily_set(legal, ((6 * HOUR, 7 * HOUR),), (), agreed_extends=True) == (
        (6 * HOUR, 7 * HOUR + 1),
    )


def test_next_allowed_in_every_zone() -> None:
    legal = lt.span(8 * HOUR, 21 * HOUR + 1)
    found = lt.next_allowed(at("2026-03-02T07:00:00-05:00"), [NY, "America/Los_Angeles"], legal)
    assert found == at("2026-03-02T08:00:00-08:00")
    assert lt.next_allowed(at("2026-03-02T07:00:00-05:00"), [NY], ()) is None


@pytest.mark.parametrize(
    ("timezones", "phone", "region", "expected"),
    [
        ([NY], None, None, (NY,)),
        ([], "+12125550100", None, (NY,)),
        ([], "+13125557777", "IL", ("America/Chicago",)),
        ([], "+13125557777", "NY", ("America/Chicago", NY)),  # phone and state disagree: both
        ([], "+15555550100", "TX", ("America/Chicago", "America/Denver")),  # no area code: the state
        (
            [],
            None,
            None,
            (
                "America/Adak",
                "America/Anchorage",
                "America/Chicago",
                "America/Denver",
                "America/Los_Angeles",
                NY,
                "America/Phoenix",
                "Pacific/Honolulu",
            ),
        ),
        ([], "(212) 555-0100", None, (NY,)),  # national format, read with the rulebook's country
    ],
)
def test_candidate_zones_for_the_us(
    timezones: list[str], phone: str | None, region: str | None, expected: tuple[str, ...]
) -> None:
    us_zones = (
        NY,
        "America/Chicago",
        "America/Denver",
        "America/Phoenix",
        "America/Los_Angeles",
        "America/Anchorage",
        "America/Adak",
        "Pacific/Honolulu",
    )
    found = lt.candidate_zones(
        timezones, phone, region, country="US", region_country="US", jurisdiction_zones=us_zones
    )
    assert sorted(found) == sorted(expected)


def test_xinjiang_has_two_candidate_zones() -> None:
    found = lt.candidate_zones(
        [], "+8613800138000", "新疆", country="CN", region_country="CN", jurisdiction_zones=("Asia/Shanghai",)
    )
    assert found == ("Asia/Shanghai",)  # the number says Beijing time; the region agrees on it
    assert lt.region_zones("CN", "CN-XJ") == ("Asia/Shanghai", "Asia/Urumqi")


def test_phone_numbers() -> None:
    assert lt.to_e164("+1 (212) 555-0100", None) == "+12125550100"
    assert lt.to_e164("13800138000", "CN") == "+8613800138000"
    assert lt.to_e164("not a number", "CN") is None
    assert lt.phone_is_valid("+8613800138000", "CN") and not lt.phone_is_valid("12345", "CN")


def test_clocks_and_windows_are_validated() -> None:
    assert lt.parse_clock("24:00", field="f") == lt.DAY_US
    for bad in ("8:00", "25:00", "08:60", 800):
        with pytest.raises(ValidationError):
            lt.parse_clock(bad, field="f")
    assert lt.parse_windows_text("18:00-20:00; 7:00-7:30", field="w") == (
        (18 * HOUR, 20 * HOUR),
        (7 * HOUR, 7 * HOUR + 30 * 60_000_000),
    )
    assert lt.windows_text(((18 * HOUR, 20 * HOUR), (22 * HOUR, lt.DAY_US))) == "18:00-20:00;22:00-24:00"
    with pytest.raises(ValidationError):
        lt.zone("Mars/Olympus")
