"""The debtor's local time: candidate zones, wall-clock arithmetic across DST, and daily windows.

Instants are UTC ``datetime``s inside Recoup; a rule about "08:00-22:00" is about the wall clock in the
debtor's zone. When the zone is not known exactly the debtor has several candidate zones, and a contact
is allowed only when every candidate allows it.

A *daily set* is the part of a local day when contact is allowed: sorted, disjoint, half-open intervals of
microseconds since local midnight, ``((start, end), ...)``. Wall-clock times that do not exist (the hour
skipped when clocks spring forward) are read as the instant the clocks jumped; wall-clock times that
happen twice (the hour repeated in autumn) have two instants, and the earliest one not before the
reference instant is taken.

Both evaluators use these functions: the scalar one directly, the batch one on the distinct
(zone, date, time) values of a frame, so the two can never disagree about a clock.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import cache, lru_cache
from importlib import resources
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
import yaml
from phonenumbers.tzdata import TIMEZONE_DATA, TIMEZONE_LONGEST_PREFIX

from recoup.core.errors import ValidationError

DAY_US: Final = 86_400_000_000
HOUR_US: Final = 3_600_000_000
MINUTE_US: Final = 60_000_000
EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
EPOCH_ORDINAL: Final = date(1970, 1, 1).toordinal()
# How many times the search for a time allowed in every candidate zone may move forward before it gives
# up (zones whose windows never overlap): both evaluators use the same bound.
MAX_WINDOW_ROUNDS: Final = 12

Interval = tuple[int, int]
Window = tuple[int, int]  # (start, end) as written, microseconds since midnight; end < start wraps
DailySet = tuple[Interval, ...]

_CLOCK = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)(?::([0-5]\d))?$")
_WINDOW_TEXT = re.compile(r"^\s*(\d{1,2}:\d{2}(?::\d{2})?)\s*-\s*(\d{1,2}:\d{2}(?::\d{2})?)\s*$")
_E164_SEPARATORS = re.compile(r"[\s\-().]")
_E164 = re.compile(r"^\+\d{4,15}$")
_UNKNOWN_ZONE: Final = "Etc/Unknown"


# ---------------------------------------------------------------------------------------------- instants


def to_us(instant: datetime) -> int:
    """Microseconds since the epoch of an aware instant."""
    delta = instant - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_us(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)


def day_number(day: date) -> int:
    """Days since 1970-01-01 (the batch frames carry local dates as these integers)."""
    return day.toordinal() - EPOCH_ORDINAL


def day_from_number(number: int) -> date:
    return date.fromordinal(number + EPOCH_ORDINAL)


@cache
def zone(name: str) -> ZoneInfo:
    """The IANA zone ``name``; an unknown name is a ValidationError."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"unknown time zone {name!r}", field="timezone") from None


def local_parts(instant: datetime, zone_name: str) -> tuple[date, int]:
    """The local date and the microseconds since local midnight of ``instant`` in ``zone_name``."""
    local = instant.astimezone(zone(zone_name))
    micros = ((local.hour * 60 + local.minute) * 60 + local.second) * 1_000_000 + local.microsecond
    return local.date(), micros


def utc_offset_us(zone_name: str, micros: int) -> int:
    offset = from_us(micros).astimezone(zone(zone_name)).utcoffset()
    assert offset is not None
    return (offset.days * 86_400 + offset.seconds) * 1_000_000 + offset.microseconds


@lru_cache(maxsize=65_536)
def wall_instants(zone_name: str, day: date, micros: int) -> tuple[datetime, datetime]:
    """The instants (earliest, latest) when the clocks in ``zone_name`` show ``day`` at ``micros``.

    The two are equal except in the repeated autumn hour. A wall time in the skipped spring hour does not
    exist; both are then the instant the clocks jumped, the first instant at which the wall time has passed.
    """
    tz = zone(zone_name)
    naive = datetime.combine(day, datetime.min.time()) + timedelta(microseconds=micros)
    first = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    second = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    earliest, latest = min(first, second), max(first, second)
    if earliest.astimezone(tz).replace(tzinfo=None) == naive:
        return earliest, latest
    jump = _first_instant_after_wall(tz, naive, earliest, latest)
    return jump, jump


def _first_instant_after_wall(tz: ZoneInfo, naive: datetime, low: datetime, high: datetime) -> datetime:
    """Bisect (to the second; zone transitions fall on whole seconds) for the first instant past ``naive``."""
    low_s, high_s = int(low.timestamp()), int(high.timestamp())
    while high_s - low_s > 1:
        middle = (low_s + high_s) // 2
        if datetime.fromtimestamp(middle, UTC).astimezone(tz).replace(tzinfo=None) > naive:
            high_s = middle
        else:
            low_s = middle
    return datetime.fromtimestamp(high_s, UTC)


def day_start(zone_name: str, day: date) -> datetime:
    """The first instant of local ``day`` (not always 00:00: some zones skip midnight)."""
    return wall_instants(zone_name, day, 0)[0]


def wall_at_or_after(zone_name: str, day: date, micros: int, reference: datetime) -> datetime:
    """The earliest instant not before ``reference`` at which ``zone_name`` shows ``day`` at ``micros``."""
    earliest, latest = wall_instants(zone_name, day, micros)
    return earliest if earliest >= reference else latest


def offset_segments(zone_name: str, start: datetime, end: datetime) -> list[tuple[int, int]]:
    """The zone's UTC offsets over [start, end] as ``[(from_us, offset_us), ...]``, first from ``start``.

    Found by sampling every three hours and bisecting each change to the exact second, so a batch can turn
    instants into local times with one join and still agree with ``local_parts`` to the microsecond. (No
    zone in the tz database changes its offset twice within three hours.)
    """
    step = 3 * HOUR_US
    first = to_us(start)
    last = to_us(end)
    segments = [(first, utc_offset_us(zone_name, first))]
    previous = first
    for sample in range(first + step, last + step, step):
        offset = utc_offset_us(zone_name, sample)
        if offset != segments[-1][1]:
            segments.append((_offset_change(zone_name, previous, sample, segments[-1][1]), offset))
        previous = sample
    return segments


def _offset_change(zone_name: str, low: int, high: int, old_offset: int) -> int:
    low_s, high_s = low // 1_000_000, -(-high // 1_000_000)
    while high_s - low_s > 1:
        middle = (low_s + high_s) // 2
        if utc_offset_us(zone_name, middle * 1_000_000) == old_offset:
            low_s = middle
        else:
            high_s = middle
    return high_s * 1_000_000


# ------------------------------------------------------------------------------------------ daily sets


def parse_clock(text: object, *, field: str) -> int:
    """``"HH:MM"`` or ``"HH:MM:SS"`` (``"24:00"`` allowed) as microseconds since midnight."""
    match = _CLOCK.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValidationError(f"{text!r} is not a time of day like '08:00' (write it in quotes)", field=field)
    hours, minutes, seconds = int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)
    micros = ((hours * 60 + minutes) * 60 + seconds) * 1_000_000
    if micros > DAY_US:
        raise ValidationError(f"{text!r} is past 24:00", field=field)
    return micros


def format_clock(micros: int) -> str:
    minutes, rest = divmod(micros, MINUTE_US)
    text = f"{minutes // 60:02d}:{minutes % 60:02d}"
    return text if rest == 0 else f"{text}:{rest // 1_000_000:02d}"


def normalise(intervals: Iterable[Interval]) -> DailySet:
    """Sort, clip to the day and merge touching or overlapping intervals."""
    clipped = sorted((max(0, s), min(DAY_US, e)) for s, e in intervals if min(DAY_US, e) > max(0, s))
    merged: list[Interval] = []
    for start, end in clipped:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


def span(start: int, end: int) -> DailySet:
    """The half-open span from ``start`` to ``end``, wrapping past midnight when ``end <= start``."""
    if end > start:
        return normalise([(start, end)])
    return normalise([(start, DAY_US), (0, end)])


def intersect(a: DailySet, b: DailySet) -> DailySet:
    return normalise((max(s1, s2), min(e1, e2)) for s1, e1 in a for s2, e2 in b)


def subtract(a: DailySet, b: DailySet) -> DailySet:
    complement = normalise(
        [(0, b[0][0])] + [(b[i][1], b[i + 1][0]) for i in range(len(b) - 1)] + [(b[-1][1], DAY_US)]
        if b
        else [(0, DAY_US)]
    )
    return intersect(a, complement)


def parse_window(start_text: object, end_text: object, *, field: str) -> Window:
    """A window as written: (start, end) in microseconds since midnight; an end before the start wraps."""
    return parse_clock(start_text, field=f"{field}.start"), parse_clock(end_text, field=f"{field}.end")


def parse_window_text(text: str, *, field: str) -> Window:
    """One window written ``"18:00-20:00"``."""
    match = _WINDOW_TEXT.match(text)
    if match is None:
        raise ValidationError(f"{text!r} is not a window like '18:00-20:00'", field=field)
    return parse_window(match.group(1).zfill(5), match.group(2).zfill(5), field=field)


def parse_windows_text(text: str | None, *, field: str) -> tuple[Window, ...]:
    """Windows written ``"18:00-20:00;07:00-07:30"`` (the batch frames' form)."""
    items = [part for part in (text or "").split(";") if part.strip()]
    return tuple(parse_window_text(item, field=f"{field}[{i}]") for i, item in enumerate(items))


def windows_text(windows: Sequence[Window]) -> str | None:
    return ";".join(f"{format_clock(start)}-{format_clock(end)}" for start, end in windows) or None


def window_set(window: Window, *, closed: bool) -> DailySet:
    """A window's part of the day. A ``closed`` window includes the first instant of its end minute
    (agreed windows, like the legal hours); an open one does not (inconvenient times: "busy 12:00-13:00"
    frees the debtor at 13:00)."""
    start, end = window
    return span(start, end + 1 if closed else end)


@lru_cache(maxsize=4096)
def allowed_daily_set(
    legal: DailySet, agreed: tuple[Window, ...], inconvenient: tuple[Window, ...], *, agreed_extends: bool
) -> DailySet:
    """The legal window, narrowed to the windows the debtor agreed (or, where the law lets the debtor's
    direct consent extend the hours, replaced by them), minus the times the debtor said are inconvenient."""
    base = legal
    if agreed:
        chosen = normalise(interval for window in agreed for interval in window_set(window, closed=True))
        base = chosen if agreed_extends else intersect(legal, chosen)
    blocked = normalise(interval for window in inconvenient for interval in window_set(window, closed=False))
    return subtract(base, blocked)


def contains(daily: DailySet, micros: int) -> bool:
    return any(start <= micros < end for start, end in daily)


def describe(daily: DailySet) -> str:
    if not daily:
        return "no time of day"
    return ", ".join(
        f"{format_clock(s)}-{format_clock(e - 1 if e % MINUTE_US == 1 else e)}" for s, e in daily
    )


def open_at_or_after(instant: datetime, zone_name: str, daily: DailySet) -> datetime:
    """``instant`` if the zone's clock is inside ``daily`` then, else when the next window opens."""
    day, micros = local_parts(instant, zone_name)
    if contains(daily, micros):
        return instant
    later_today = [start for start, _ in daily if start > micros]
    if later_today:
        return wall_at_or_after(zone_name, day, later_today[0], instant)
    return wall_at_or_after(zone_name, day + timedelta(days=1), daily[0][0], instant)


def next_allowed(start: datetime, zones: Sequence[str], daily: DailySet) -> datetime | None:
    """The earliest instant at or after ``start`` inside ``daily`` in every zone; None if there is none.

    Each round moves to the latest of the zones' next openings; it stops when no zone moves it, or gives
    up after ``MAX_WINDOW_ROUNDS`` rounds (the zones' windows do not overlap).
    """
    if not daily:
        return None
    current = start
    for _ in range(MAX_WINDOW_ROUNDS):
        moved = max(open_at_or_after(current, name, daily) for name in zones)
        if moved == current:
            return current
        current = moved
    return None


# --------------------------------------------------------------------------------- candidate zones


def to_e164(phone: str | None, default_region: str | None) -> str | None:
    """``+<digits>`` for a phone number, or None when it cannot be read."""
    if not phone:
        return None
    cleaned = _E164_SEPARATORS.sub("", phone)
    if _E164.match(cleaned):
        return cleaned
    try:
        parsed = phonenumbers.parse(phone, default_region)
    except phonenumbers.NumberParseException:
        return None
    text = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return text if _E164.match(text) else None


@lru_cache(maxsize=65_536)
def phone_is_valid(phone: str | None, default_region: str | None) -> bool:
    """Whether the number exists in its country's numbering plan (phonenumbers' validity check)."""
    e164 = to_e164(phone, default_region)
    if e164 is None:
        return False
    try:
        return bool(phonenumbers.is_valid_number(phonenumbers.parse(e164, None)))
    except phonenumbers.NumberParseException:
        return False


def zones_for_e164(e164: str | None) -> tuple[str, ...]:
    """Zones of the longest prefix of the number in phonenumbers' time-zone table (no zones if none).

    This is phonenumbers' geographic lookup applied to every number: a number that is not geographic
    falls back to its country-code entry through the same longest-prefix rule.
    """
    if not e164:
        return ()
    digits = e164[1:]
    for length in range(min(TIMEZONE_LONGEST_PREFIX, len(digits)), 0, -1):
        found = TIMEZONE_DATA.get(digits[:length])
        if found:
            return tuple(name for name in found if name != _UNKNOWN_ZONE)
    return ()


@cache
def _region_table() -> dict[str, dict[str, tuple[str, ...]]]:
    text = resources.files("recoup.core.compliance").joinpath("regions.yaml").read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    return {
        country: {str(key).upper(): tuple(zones) for key, zones in regions.items()}
        for country, regions in raw.items()
    }


def region_zones(country: str, region: str | None) -> tuple[str, ...]:
    """Zones of a province, state or member state (``"NY"``, ``"US-NY"``, ``"新疆"``); none if unknown."""
    if not region:
        return ()
    table = _region_table().get(country, {})
    key = region.strip().upper()
    if key not in table and key.startswith(f"{country}-"):
        key = key[len(country) + 1 :]
    return table.get(key, ())


def combine_zones(
    phone_zones: Sequence[str], from_region: Sequence[str], jurisdiction_zones: Sequence[str]
) -> tuple[str, ...]:
    """Candidate zones from the phone number and the region.

    A country-wide phone list is narrowed to the jurisdiction's zones when they overlap; phone and region
    agreeing narrows to their common zones; disagreeing keeps both (the debtor could be in either); with
    neither, every zone of the jurisdiction is a candidate.
    """
    narrowed = [name for name in phone_zones if name in jurisdiction_zones]
    phone = narrowed or list(phone_zones)
    if phone and from_region:
        common = [name for name in phone if name in from_region]
        chosen = common or phone + [name for name in from_region if name not in phone]
    else:
        chosen = phone or list(from_region) or list(jurisdiction_zones)
    return tuple(dict.fromkeys(chosen))


def candidate_zones(
    timezones: Sequence[str],
    phone: str | None,
    region: str | None,
    *,
    country: str | None,
    region_country: str,
    jurisdiction_zones: Sequence[str],
) -> tuple[str, ...]:
    """The debtor's candidate zones: the given ones, else derived from phone number and region."""
    if timezones:
        return tuple(dict.fromkeys(timezones))
    return combine_zones(
        zones_for_e164(to_e164(phone, country)), region_zones(region_country, region), jurisdiction_zones
    )
