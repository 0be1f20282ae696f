"""The allowed window of a day's contact: when the rulebook's contact hours let its channel reach the debtor.

``contact_windows(frame, rulebooks)`` gives every row (a queued call or visit) the UTC interval
``[window_start, window_end)`` in which the hours rule for its channel allows contact in every candidate
zone of the debtor: the interval that contains ``scheduled_at``, or else the next one that overlaps the
run date. Candidate zones come from the same derivation the batch evaluator uses (the given zones, else
phone number and region), and the windows are built from the scalar evaluator's own clock
(``localtime.local_parts``), so a contact at ``window_start`` or at any instant before ``window_end`` passes
the hours rule and one at ``window_end`` does not. Windows are computed once per distinct (rulebook,
zones, channel, run date) and joined back, so the cost follows the number of distinct keys, not of rows.

Input columns: ``jurisdiction`` String, ``channel`` String, ``run_date`` Date, ``scheduled_at``
Datetime(us, UTC) (all required); ``timezones`` String (';'-joined IANA zones, as ``accounts.timezone``
stores them), ``phone`` String (the debtor's number, E.164 preferred), ``region`` String (optional).
Added: ``window_start``, ``window_end`` Datetime(us, UTC) (null when the zones' allowed hours never meet
that day) and ``zone`` (the first candidate zone: where the window is shown in local time).

An interval is maximal: it runs on across midnight when the hours do, but is cut where the three local
days around the run date end (only a rule allowing the whole day reaches that far). A channel with no
hours rule is allowed all day: its window is the run date, from its first instant in the earliest zone to
its last in the latest.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from functools import lru_cache
from itertools import pairwise
from typing import Final

import polars as pl

from recoup.core.compliance import localtime
from recoup.core.compliance.batch import _zone_rows
from recoup.core.compliance.rulebook import HoursParams, RulebookSet
from recoup.core.errors import ValidationError
from recoup.core.schema import UTC_INSTANT

REQUIRED: Final = ("jurisdiction", "channel", "run_date", "scheduled_at")
OPTIONAL: Final = ("timezones", "phone", "region")
_KEY: Final = ("_book", "_zones", "channel", "run_date")
_EARLIEST: Final = -(2**62)

Interval = tuple[int, int]  # UTC microseconds since the epoch, half-open


# ------------------------------------------------------------------------------------------- one zone


@lru_cache(maxsize=4096)
def zone_intervals(zone_name: str, day: date, daily: localtime.DailySet) -> tuple[Interval, ...]:
    """The UTC intervals over local days ``day - 1`` to ``day + 1`` in which ``zone_name``'s clock is
    inside ``daily``, merged.

    Between two consecutive instants at which the clock shows an end of ``daily`` (or midnight) or the
    zone's offset changes, the wall clock runs steadily, so membership cannot change: it is read once per
    piece with ``local_parts``, the evaluator's own reading of the clock.
    """
    low = localtime.day_start(zone_name, day - timedelta(days=1))
    high = localtime.day_start(zone_name, day + timedelta(days=2))
    points = {localtime.to_us(low), localtime.to_us(high)}
    ends = {0, *(edge for interval in daily for edge in interval)}
    for offset in (-1, 0, 1):
        local_day = day + timedelta(days=offset)
        for micros in ends:
            points.update(localtime.to_us(i) for i in localtime.wall_instants(zone_name, local_day, micros))
    points.update(start for start, _ in localtime.offset_segments(zone_name, low, high)[1:])
    cuts = sorted(p for p in points if localtime.to_us(low) <= p <= localtime.to_us(high))
    allowed = [
        (start, end)
        for start, end in pairwise(cuts)
        if localtime.contains(daily, localtime.local_parts(localtime.from_us(start), zone_name)[1])
    ]
    return tuple(_merged(allowed))


def _merged(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        elif end > start:
            merged.append((start, end))
    return merged


def _intersect(a: Sequence[Interval], b: Sequence[Interval]) -> list[Interval]:
    found: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if end > start:
            found.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return found


# -------------------------------------------------------------------------------------- every zone


def day_span(zones: Sequence[str], day: date) -> Interval:
    """From the first instant of local ``day`` in the earliest zone to its end in the latest."""
    starts = [localtime.to_us(localtime.day_start(name, day)) for name in zones]
    ends = [localtime.to_us(localtime.day_start(name, day + timedelta(days=1))) for name in zones]
    return min(starts), max(ends)


@lru_cache(maxsize=4096)
def day_windows(zones: tuple[str, ...], day: date, daily: localtime.DailySet | None) -> tuple[Interval, ...]:
    """The intervals in which ``daily`` holds in every one of ``zones`` (None: no hours rule) that overlap
    local ``day`` in some zone, in order."""
    span = day_span(zones, day)
    if daily is None:
        return (span,)
    common = list(zone_intervals(zones[0], day, daily))
    for name in zones[1:]:
        common = _intersect(common, zone_intervals(name, day, daily))
    return tuple((start, end) for start, end in common if end > span[0] and start < span[1])


def hours_daily_set(rulebooks: RulebookSet, jurisdiction: str, channel: str) -> localtime.DailySet | None:
    """The part of the day the hours rule for ``channel`` allows contact with the debtor (None: no rule)."""
    rule = rulebooks.get(jurisdiction).hours_rule(channel)
    if rule is None or not rule.applies(channel, "debtor"):
        return None
    assert isinstance(rule.params, HoursParams)
    return rule.params.daily_set


# ------------------------------------------------------------------------------------------- frames


def contact_windows(frame: pl.DataFrame, rulebooks: RulebookSet) -> pl.DataFrame:
    """``frame`` with ``window_start``, ``window_end`` and ``zone`` (see the module docstring)."""
    rows = _prepared(frame, rulebooks)
    if rows.height == 0:
        return frame.with_columns(
            pl.lit(None, dtype=UTC_INSTANT).alias("window_start"),
            pl.lit(None, dtype=UTC_INSTANT).alias("window_end"),
            pl.lit(None, dtype=pl.String()).alias("zone"),
        )
    keys = rows.select(_KEY).unique()
    intervals: list[tuple[object, ...]] = []
    for key in keys.iter_rows():
        found = _key_windows(rulebooks, *key)
        intervals.extend((*key, start, end, len(found)) for start, end in found)
    table = pl.DataFrame(
        intervals,
        schema={
            **keys.schema,
            "_start": pl.Int64(),
            "_end": pl.Int64(),
            "_count": pl.Int64(),
        },
        orient="row",
    )
    chosen = _first_open(rows.select("_row", "_t", *_KEY).join(table, on=list(_KEY), how="inner"))
    located = rows.select("_row", pl.col("_zones").str.split(";").list.first().alias("zone")).join(
        chosen, on="_row", how="left", maintain_order="left"
    )
    return frame.with_columns(
        pl.from_epoch(located["_start"], time_unit="us").dt.replace_time_zone("UTC").alias("window_start"),
        pl.from_epoch(located["_end"], time_unit="us").dt.replace_time_zone("UTC").alias("window_end"),
        located["zone"],
    )


def _key_windows(
    rulebooks: RulebookSet, book: str, zones: str, channel: str, day: date
) -> tuple[Interval, ...]:
    return day_windows(tuple(zones.split(";")), day, hours_daily_set(rulebooks, book, channel))


def _first_open(joined: pl.DataFrame) -> pl.DataFrame:
    """(_row, _start, _end): of each row's windows (sorted, disjoint), the first that ends after ``_t``.
    Rows whose key has one window need no grouping."""
    open_after = joined.filter(pl.col("_end") > pl.col("_t"))
    single = open_after.filter(pl.col("_count") == 1).select("_row", "_start", "_end")
    several = (
        open_after.filter(pl.col("_count") > 1)
        .group_by("_row")
        .agg(pl.col("_start").min(), pl.col("_end").min())
    )
    return pl.concat([single, several.select(single.columns)])


def _prepared(frame: pl.DataFrame, rulebooks: RulebookSet) -> pl.DataFrame:
    """_row, _book, _zones (';'-joined candidate zones, the first one first), channel, run_date, _t."""
    missing = [name for name in REQUIRED if name not in frame.columns]
    if missing:
        raise ValidationError(f"the contact windows need the columns {missing}", field=missing[0])
    instant = frame.schema["scheduled_at"]
    if not (isinstance(instant, pl.Datetime) and instant.time_zone) and instant != pl.Null():
        raise ValidationError(f"scheduled_at is {instant}, expected a UTC instant", field="scheduled_at")
    if frame.schema["run_date"] not in (pl.Date(), pl.Null()):
        raise ValidationError(f"run_date is {frame.schema['run_date']}, expected a date", field="run_date")
    for name in ("jurisdiction", "channel", "run_date"):
        if frame[name].null_count():
            raise ValidationError(f"column {name!r} has nulls", field=name)
    books = {code: rulebooks.get(code).jurisdiction for code in frame["jurisdiction"].unique().to_list()}
    rows = frame.select(
        pl.int_range(pl.len(), dtype=pl.UInt32()).alias("_row"),
        pl.col("jurisdiction").replace_strict(books, return_dtype=pl.String()).alias("_book"),
        pl.col("channel").cast(pl.String()),
        pl.col("run_date").cast(pl.Date()),
        pl.col("scheduled_at").cast(UTC_INSTANT).cast(pl.Int64()).fill_null(_EARLIEST).alias("_t"),
        *[
            (pl.col(name) if name in frame.columns else pl.lit(None)).cast(pl.String()).alias(name)
            for name in OPTIONAL
        ],
    )
    if rows.height == 0:
        return rows
    return rows.join(_zone_texts(rows, rulebooks), on="_row", how="left", maintain_order="left")


def _zone_texts(rows: pl.DataFrame, rulebooks: RulebookSet) -> pl.DataFrame:
    """(_row, _zones): each row's candidate zones exactly as the batch evaluator derives them."""
    zone_rows, names = _zone_rows(rows, rulebooks)
    name = pl.col("_zid").replace_strict(dict(enumerate(names)), return_dtype=pl.String())
    single = zone_rows.filter(pl.col("_nz") == 1).select("_row", name.alias("_zones"))
    several = (
        zone_rows.filter(pl.col("_nz") > 1)
        .group_by("_row", maintain_order=True)
        .agg(name.str.join(";").alias("_zones"))
    )
    return pl.concat([single, several])


def with_window_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Add ``window_local`` (the window on the wall clock of ``zone``) and ``window_utc``, both written
    ``"08:00-22:00"``: a rule's inclusive end minute shows as written, and ``+1`` marks a window that ends
    on a later day."""
    if frame.height == 0:
        return frame.with_columns(
            pl.lit(None, dtype=pl.String()).alias("window_local"),
            pl.lit(None, dtype=pl.String()).alias("window_utc"),
        )
    located = frame.select("window_start", "window_end", pl.col("zone").fill_null("UTC")).with_row_index(
        "_order"
    )
    pieces = [
        part.select("_order", _clock_text(str(zone_name)).alias("window_local"))
        for (zone_name,), part in located.group_by("zone", maintain_order=True)
    ]
    local = pl.concat(pieces).sort("_order")["window_local"]
    return frame.with_columns(
        pl.when(pl.col("zone").is_not_null()).then(local).alias("window_local"),
        frame.select(_clock_text("UTC").alias("window_utc"))["window_utc"],
    )


def _clock_text(zone_name: str) -> pl.Expr:
    start = pl.col("window_start").dt.convert_time_zone(zone_name)
    end = pl.col("window_end").dt.convert_time_zone(zone_name).dt.truncate("1m")
    later = (end.dt.date() - start.dt.date()).dt.total_days()
    return pl.concat_str(
        start.dt.strftime("%H:%M"),
        pl.lit("-"),
        end.dt.strftime("%H:%M"),
        pl.when(later > 0).then(pl.format("+{}", later)).otherwise(pl.lit("")),
    )
