"""The batch evaluator: the same rules as ``scalar.py``, over frames, for the daily run.

``evaluate_batch(attempts, history, rulebooks)`` decides every proposed contact of a day at once. Every
rule is a columnar expression, a join or a group-by; the few things that need Python (the clock of a zone
at a wall time, the zones of a phone prefix, a phone number's validity) are computed on the distinct
values of a frame with the same functions the scalar evaluator calls, then joined back. Message text is
not linted here (the daily run lints templates and distinct rendered texts with ``linter.lint``).

Input frames (columns not listed are ignored; optional ones may be missing or null):

``attempts`` - one row per proposed contact:
    attempt_id String (required, unique) | account_key Int64 (required) | debtor_id String (required)
    jurisdiction String (required: CN, US, US-NY, UK, EU, ...) | channel String (required: call, sms,
    email, im, letter, visit) | at Datetime(us, UTC) (required) | recipient String (debtor, guarantor,
    emergency, employer, attorney, family, other; null = debtor) | timezones String (the debtor's
    candidate IANA zones, ';'-joined; null/empty = derive from phone and region) | phone String (the
    debtor's phone, E.164 preferred) | region String (province, state or member state) | dest_phone String
    (the number used when it is not the debtor's) | flags String (';'-joined: dispute, cease, bankrupt,
    deceased, attorney, vulnerable, breathing_space, ...) | opted_out String (';'-joined channels) |
    consent_call, consent_sms, consent_email, consent_im, consent_letter, consent_visit Boolean (null =
    the rulebook's default) | validation_notice_sent_at, verification_sent_at Datetime(us, UTC) |
    employer_email Boolean (the email address is the employer's) | public Boolean (a public post) |
    agreed_windows, inconvenient_windows String ("HH:MM-HH:MM;HH:MM-HH:MM", the debtor's local time) |
    statute_limit_on Date (accepted; it matters only for message text).

``history`` - one row per earlier contact of the attempts' debtors (all their accounts):
    account_key Int64 (required) | debtor_id String (required) | channel String (required) |
    at Datetime(us, UTC) (required) | direction String (null = outbound) | outcome String |
    recipient String (null = debtor) | phone String (the number used; null = the debtor's phone for the
    debtor, else the recipient's role).

Output: attempt_id String | allowed Boolean | violations String (blocking rule ids, ';'-joined, in rulebook
order; "" when none) | warnings String (warning rule ids, likewise) | next_allowed_at Datetime(us, UTC)
(null when only a change of state could allow the contact), in the order of ``attempts``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Final, cast

import polars as pl

from recoup.core.compliance import localtime
from recoup.core.compliance.attempt import FLAGS, Attempt
from recoup.core.compliance.rulebook import (
    RECIPIENTS,
    ConsentParams,
    FrequencyParams,
    HoldParams,
    HoursParams,
    Rule,
    Rulebook,
    RulebookSet,
    UnreachableParams,
)
from recoup.core.compliance.scalar import REACHED_OUTCOMES
from recoup.core.errors import ValidationError
from recoup.core.schema import CHANNELS, DIRECTIONS, OUTCOMES, UTC_INSTANT

DAY_US: Final = localtime.DAY_US
FLAGS_ORDER: Final = tuple(sorted(FLAGS))
_MESSAGE_KINDS: Final = frozenset(
    {"message_content", "third_party_debt_details", "time_barred", "required_wording"}
)

ATTEMPT_SCHEMA: Final[dict[str, pl.DataType]] = {
    "attempt_id": pl.String(),
    "account_key": pl.Int64(),
    "account_id": pl.String(),
    "debtor_id": pl.String(),
    "debtor_key": pl.Int64(),
    "jurisdiction": pl.String(),
    "channel": pl.String(),
    "at": UTC_INSTANT,
    "recipient": pl.String(),
    "timezones": pl.String(),
    "phone": pl.String(),
    "region": pl.String(),
    "dest_phone": pl.String(),
    "flags": pl.String(),
    "opted_out": pl.String(),
    **{f"consent_{channel}": pl.Boolean() for channel in CHANNELS},
    "validation_notice_sent_at": UTC_INSTANT,
    "verification_sent_at": UTC_INSTANT,
    "employer_email": pl.Boolean(),
    "public": pl.Boolean(),
    "agreed_windows": pl.String(),
    "inconvenient_windows": pl.String(),
    "statute_limit_on": pl.Date(),
}
REQUIRED_ATTEMPT_COLUMNS: Final = ("attempt_id", "account_key", "debtor_id", "jurisdiction", "channel", "at")
HISTORY_SCHEMA: Final[dict[str, pl.DataType]] = {
    "account_key": pl.Int64(),
    "debtor_id": pl.String(),
    "debtor_key": pl.Int64(),
    "channel": pl.String(),
    "at": UTC_INSTANT,
    "direction": pl.String(),
    "outcome": pl.String(),
    "recipient": pl.String(),
    "phone": pl.String(),
}
REQUIRED_HISTORY_COLUMNS: Final = ("account_key", "debtor_id", "channel", "at")
DECISION_SCHEMA: Final[dict[str, pl.DataType]] = {
    "attempt_id": pl.String(),
    "allowed": pl.Boolean(),
    "violations": pl.String(),
    "warnings": pl.String(),
    "next_allowed_at": UTC_INSTANT,
}


def evaluate_batch(attempts: pl.DataFrame, history: pl.DataFrame, rulebooks: RulebookSet) -> pl.DataFrame:
    """Decide every attempt (see the module docstring for the frames)."""
    keyed = all(
        "debtor_key" in frame.columns and frame["debtor_key"].null_count() == 0
        for frame in (attempts, history)
    )
    frame = _prepare_attempts(attempts, rulebooks, keyed=keyed)
    if frame.height == 0:
        return pl.DataFrame(schema=DECISION_SCHEMA)
    past = _prepare_history(history, keyed=keyed)
    books = {code: rulebooks.books[code] for code in frame["_book"].unique().to_list()}
    zone_rows, zones = _zone_rows(frame, rulebooks)
    clock = Clock.covering(zones, frame["_at"], _horizon_days(books.values()))
    at_local = clock.local(zone_rows.join(frame.select("_row", "_at"), on="_row"), "_at")
    decided = [
        _BookRun(book, frame.filter(pl.col("_book") == code), past, zone_rows, at_local, clock).decide()
        for code, book in sorted(books.items())
    ]
    return (
        pl.concat(decided)
        .sort("_row")
        .select(
            "attempt_id",
            "allowed",
            "violations",
            "warnings",
            pl.col("_next").cast(UTC_INSTANT).alias("next_allowed_at"),
        )
    )


# ----------------------------------------------------------------------------------------- preparing


def _conform(
    frame: pl.DataFrame, schema: dict[str, pl.DataType], required: Sequence[str], name: str
) -> pl.DataFrame:
    """``frame``'s columns of ``schema`` in their declared types (missing optional ones as nulls)."""
    columns = []
    for column, dtype in schema.items():
        if column not in frame.columns:
            if column in required:
                raise ValidationError(f"the {name} frame has no column {column!r}", field=column)
            columns.append(pl.Series(column, [None] * frame.height, dtype=dtype))
            continue
        series = frame[column]
        naive = isinstance(dtype, pl.Datetime) and not (
            series.dtype == pl.Null()
            or (isinstance(series.dtype, pl.Datetime) and series.dtype.time_zone == "UTC")
        )
        try:
            if naive:
                raise pl.exceptions.InvalidOperationError(str(series.dtype))
            columns.append(series.cast(dtype, strict=True))
        except pl.exceptions.PolarsError:
            raise ValidationError(
                f"column {column!r} of the {name} frame is {series.dtype}, expected {dtype}", field=column
            ) from None
    return pl.DataFrame(columns)


def _as_enum(frame: pl.DataFrame, column: str, allowed: Sequence[str], name: str) -> pl.Series:
    """``column`` as an Enum of ``allowed`` (nulls kept); a value outside it is a ValidationError."""
    try:
        return frame[column].cast(pl.Enum(allowed), strict=True)
    except pl.exceptions.PolarsError:
        bad = frame.select(pl.col(column)).with_row_index("_index")
        bad = bad.filter(pl.col(column).is_not_null() & ~pl.col(column).is_in(list(allowed)))
        value, index = bad[column][0], bad["_index"][0]
        raise ValidationError(
            f"row {index} of the {name} frame: {value!r} is not one of {sorted(allowed)}", field=column
        ) from None


def _debtor_key(*, keyed: bool) -> pl.Expr:
    """The join key of a debtor: ``debtor_key`` when both frames carry it in full (exact and fastest), else
    a 64-bit hash of ``debtor_id`` (two of n ids share a hash with probability about n^2 / 2^65)."""
    if keyed:
        return pl.col("debtor_key").cast(pl.UInt64()).alias("_debtor")
    return pl.col("debtor_id").hash(seed=0).alias("_debtor")


def _prepare_attempts(attempts: pl.DataFrame, rulebooks: RulebookSet, *, keyed: bool = False) -> pl.DataFrame:
    frame = _conform(attempts, ATTEMPT_SCHEMA, REQUIRED_ATTEMPT_COLUMNS, "attempts")
    for column in REQUIRED_ATTEMPT_COLUMNS:
        if frame[column].null_count():
            raise ValidationError(f"column {column!r} of the attempts frame has nulls", field=column)
    frame = frame.with_columns(pl.col("recipient").fill_null("debtor"))
    frame = frame.with_columns(
        _as_enum(frame, "channel", CHANNELS, "attempts"), _as_enum(frame, "recipient", RECIPIENTS, "attempts")
    )
    books = {code: rulebooks.get(code).jurisdiction for code in frame["jurisdiction"].unique().to_list()}
    flag_sets = _listed(frame, "flags", FLAGS_ORDER)
    opted_sets = _listed(frame, "opted_out", CHANNELS)
    number = pl.coalesce(pl.col("dest_phone"), pl.when(pl.col("recipient") == "debtor").then(pl.col("phone")))
    return frame.with_row_index("_row").with_columns(
        pl.col("jurisdiction").replace_strict(books, return_dtype=pl.String()).alias("_book"),
        pl.col("at").cast(pl.Int64).alias("_at"),
        _debtor_key(keyed=keyed),
        pl.col("flags").replace_strict(flag_sets, default=0, return_dtype=pl.UInt32()).alias("_flags"),
        pl.col("opted_out").replace_strict(opted_sets, default=0, return_dtype=pl.UInt32()).alias("_opted"),
        # The number used: a phone number, or (none known) the recipient's role, as contact_number says.
        pl.when(number.is_not_null()).then(number.hash(seed=1)).alias("_used_h"),
        pl.when(number.is_null()).then(pl.col("recipient")).alias("_role_used"),
        _hashed("phone").alias("_phone_h"),
    )


def _listed(frame: pl.DataFrame, column: str, allowed: Iterable[str]) -> dict[str, int]:
    """The distinct ';'-joined values of ``column`` as bitmasks over ``allowed`` (unknown values refused)."""
    order = {value: 2**index for index, value in enumerate(allowed)}
    masks = {}
    for text in frame[column].drop_nulls().unique().to_list():
        parts = {part.strip() for part in text.split(";") if part.strip()}
        unknown = sorted(parts - set(order))
        if unknown:
            raise ValidationError(f"unknown value(s) {unknown} in {column}", field=column)
        masks[text] = sum(order[part] for part in parts)
    return masks


def _has(column: str, allowed: Sequence[str], value: str) -> pl.Expr:
    """Whether the bitmask ``column`` (see ``_listed``) includes ``value``."""
    bit = pl.lit(2 ** allowed.index(value), dtype=pl.UInt32())
    return pl.col(column).and_(bit) != 0


def _prepare_history(history: pl.DataFrame, *, keyed: bool = False) -> pl.DataFrame:
    frame = _conform(history, HISTORY_SCHEMA, REQUIRED_HISTORY_COLUMNS, "history")
    frame = frame.with_columns(
        pl.col("recipient").fill_null("debtor"), pl.col("direction").fill_null("outbound")
    )
    return frame.select(
        _debtor_key(keyed=keyed),
        pl.col("account_key").alias("h_account_key"),
        _as_enum(frame, "channel", CHANNELS, "history").alias("h_channel"),
        pl.col("at").cast(pl.Int64).alias("h_at"),
        _as_enum(frame, "direction", DIRECTIONS, "history").alias("h_direction"),
        _as_enum(frame, "outcome", OUTCOMES, "history").alias("h_outcome"),
        _as_enum(frame, "recipient", RECIPIENTS, "history").alias("h_recipient"),
        _hashed("phone").alias("h_phone_h"),
    )


def _horizon_days(books: Iterable[Rulebook]) -> int:
    days = [1]
    for book in books:
        for rule in book.rules:
            if isinstance(rule.params, FrequencyParams) and rule.params.days is not None:
                days.append(rule.params.days)
            if isinstance(rule.params, UnreachableParams):
                days.append(rule.params.days)
    return max(days)


# --------------------------------------------------------------------------------------------- zones


class _ZoneSets:
    """Candidate-zone tuples numbered as they are met, and zone names numbered likewise."""

    def __init__(self) -> None:
        self.sets: dict[tuple[str, ...], int] = {}
        self.names: dict[str, int] = {}

    def id_of(self, zones: tuple[str, ...]) -> int:
        if zones not in self.sets:
            for name in zones:
                if name not in self.names:
                    try:
                        localtime.zone(name)
                    except ValidationError as problem:
                        raise ValidationError(problem.message, field="timezones") from None
                    self.names[name] = len(self.names)
            self.sets[zones] = len(self.sets)
        return self.sets[zones]

    def rows(self, row_sets: pl.DataFrame) -> pl.DataFrame:
        """(_row, _set) -> (_row, _zid, _nz): one row per candidate zone."""
        members = [
            (set_id, self.names[name], len(zones)) for zones, set_id in self.sets.items() for name in zones
        ]
        table = pl.DataFrame(
            members, schema={"_set": pl.UInt32(), "_zid": pl.UInt32(), "_nz": pl.UInt32()}, orient="row"
        )
        return row_sets.join(table, on="_set").select("_row", "_zid", "_nz").sort("_row", maintain_order=True)

    @property
    def zone_names(self) -> list[str]:
        return sorted(self.names, key=self.names.__getitem__)


def _zone_rows(frame: pl.DataFrame, rulebooks: RulebookSet) -> tuple[pl.DataFrame, list[str]]:
    """(_row, _zid, _nz): each candidate zone of each attempt (derived where the frame gives none) as an
    index into the returned zone names, with the attempt's number of zones."""
    sets = _ZoneSets()
    texts = frame["timezones"].unique().to_list()
    given = {text: sets.id_of(_split(text)) for text in texts if text is not None and _split(text)}
    row_sets = frame.select(
        "_row",
        pl.col("timezones").replace_strict(given, default=None, return_dtype=pl.UInt32()).alias("_set"),
    )
    missing = frame.filter(row_sets["_set"].is_null())
    if missing.height:
        derived = _derive_zones(missing, rulebooks, sets)
        row_sets = pl.concat([row_sets.filter(pl.col("_set").is_not_null()), derived])
    return sets.rows(row_sets), sets.zone_names


def _split(text: str | None) -> tuple[str, ...]:
    return tuple(dict.fromkeys(part.strip() for part in (text or "").split(";") if part.strip()))


def _derive_zones(missing: pl.DataFrame, rulebooks: RulebookSet, sets: _ZoneSets) -> pl.DataFrame:
    """(_row, _set) from phone number and region, as ``localtime.candidate_zones`` derives them."""
    books = {code: rulebooks.books[code] for code in missing["_book"].unique().to_list()}
    country = {code: book.country for code, book in books.items()}
    readable = pl.col("phone").str.contains(r"^\+\d{4,15}$")
    keys = missing.select("_row", "_book", "region", "phone").with_columns(
        pl.when(readable).then(pl.col("phone")).alias("_e164"),
        pl.col("_book").replace_strict(country, default=None, return_dtype=pl.String()).alias("_country"),
    )
    # Numbers not already in E.164: localtime.to_e164 on their distinct values (usually few).
    other = (
        keys.filter(pl.col("_e164").is_null() & pl.col("phone").is_not_null())
        .select("phone", "_country")
        .unique()
    )
    if other.height:
        converted = [localtime.to_e164(p, c) for p, c in other.iter_rows()]
        table = other.with_columns(pl.Series("_converted", converted, dtype=pl.String()))
        keys = keys.join(table, on=["phone", "_country"], how="left", nulls_equal=True).with_columns(
            pl.coalesce("_e164", "_converted").alias("_e164")
        )
    keys = keys.with_columns(_phone_zone_sets(keys["_e164"], sets).alias("_phone_set"))
    regions = keys.select("_book", "region").unique()
    region_ids = [
        sets.id_of(localtime.region_zones(books[book].root, region)) for book, region in regions.iter_rows()
    ]
    keys = keys.join(
        regions.with_columns(pl.Series("_region_set", region_ids, dtype=pl.UInt32())),
        on=["_book", "region"],
        how="left",
        nulls_equal=True,
    )
    by_id = {set_id: zones for zones, set_id in sets.sets.items()}
    combos = keys.select("_phone_set", "_region_set", "_book").unique()
    combined = [
        sets.id_of(localtime.combine_zones(by_id[phone_set], by_id[region_set], books[book].zones))
        for phone_set, region_set, book in combos.iter_rows()
    ]
    combos = combos.with_columns(pl.Series("_set", combined, dtype=pl.UInt32()))
    return keys.join(combos, on=["_phone_set", "_region_set", "_book"]).select("_row", "_set")


@cache
def _prefix_tables() -> tuple[dict[int, pl.DataFrame], dict[int, tuple[str, ...]]]:
    """phonenumbers' time-zone table as integer prefixes by length (a key's zones, numbered, if it is a
    key; whether longer keys extend it), and the zones of each number."""
    from phonenumbers.tzdata import TIMEZONE_DATA, TIMEZONE_LONGEST_PREFIX

    numbered: dict[tuple[str, ...], int] = {}
    longer: dict[int, set[str]] = {length: set() for length in range(1, TIMEZONE_LONGEST_PREFIX + 1)}
    for key in TIMEZONE_DATA:
        for length in range(1, len(key)):
            longer[length].add(key[:length])
    tables = {}
    for length in range(1, TIMEZONE_LONGEST_PREFIX + 1):
        keys = sorted({key for key in TIMEZONE_DATA if len(key) == length} | longer[length])
        found = [
            numbered.setdefault(localtime.zones_for_e164("+" + key), len(numbered))
            if key in TIMEZONE_DATA
            else None
            for key in keys
        ]
        tables[length] = pl.DataFrame(
            {
                "_prefix": [int(key) for key in keys],
                "_found": found,
                "_longer": [key in longer[length] for key in keys],
            },
            schema={"_prefix": pl.Int64(), "_found": pl.UInt32(), "_longer": pl.Boolean()},
        )
    return tables, {number: zones for zones, number in numbered.items()}


def _phone_zone_sets(e164: pl.Series, sets: _ZoneSets) -> pl.Series:
    """``localtime.zones_for_e164`` as zone-set ids: the longest known prefix, one length at a time, only
    for numbers that a longer key could still match."""
    tables, zones_of = _prefix_tables()
    numbers = (
        pl.DataFrame({"_e164": e164})
        .with_row_index("_i")
        .with_columns(
            pl.col("_e164").str.slice(1).cast(pl.Int64()).alias("_number"),
            (pl.col("_e164").str.len_chars().cast(pl.Int64()) - 1).alias("_digits"),
        )
    )
    best = pl.Series("_best", [None] * numbers.height, dtype=pl.UInt32())
    active = numbers.filter(pl.col("_number").is_not_null()).select("_i", "_number", "_digits")
    for length, table in tables.items():
        if active.height == 0:
            break
        divisor = pl.lit(10, dtype=pl.Int64()).pow(pl.col("_digits") - length)
        step = (
            active.filter(pl.col("_digits") >= length)
            .with_columns((pl.col("_number") // divisor).alias("_prefix"))
            .join(table, on="_prefix", how="inner")
        )
        hits = step.filter(pl.col("_found").is_not_null())
        best = best.scatter(hits["_i"], hits["_found"])
        active = step.filter(pl.col("_longer")).select("_i", "_number", "_digits")
    used = set(best.drop_nulls().unique().to_list())
    ids = {number: sets.id_of(zones_of[number]) for number in used}
    return best.replace_strict(ids, default=sets.id_of(()), return_dtype=pl.UInt32())


# --------------------------------------------------------------------------------------------- clock


@dataclass(frozen=True)
class Clock:
    """Zone offsets over the run's time span, as a frame, so instants become local times by a join.

    Zones are referred to by ``_zid``, their index in ``names``."""

    names: list[str]
    segments: pl.DataFrame  # _zid, _from, _to, _offset (microseconds)

    @classmethod
    def covering(cls, names: list[str], instants: pl.Series, horizon_days: int) -> Clock:
        low = int(cast(int, instants.min())) - (horizon_days + 3) * DAY_US
        high = int(cast(int, instants.max())) + (horizon_days + localtime.MAX_WINDOW_ROUNDS + 4) * DAY_US
        rows: list[tuple[int, int, int, int]] = []
        for zid, name in enumerate(names):
            segments = localtime.offset_segments(name, localtime.from_us(low), localtime.from_us(high))
            ends = [start for start, _ in segments[1:]] + [2**62]
            starts = [-(2**62)] + [start for start, _ in segments[1:]]
            rows.extend((zid, s, e, offset) for s, e, (_, offset) in zip(starts, ends, segments, strict=True))
        schema = {"_zid": pl.UInt32(), "_from": pl.Int64(), "_to": pl.Int64(), "_offset": pl.Int64()}
        return cls(names, pl.DataFrame(rows, schema=schema, orient="row"))

    def local(self, frame: pl.DataFrame, instant: str) -> pl.DataFrame:
        """``frame`` (with ``_zid`` and the Int64 microsecond column ``instant``) plus ``_day`` (local days
        since 1970-01-01) and ``_tod`` (microseconds since local midnight)."""
        return (
            frame.join(self.segments, on="_zid", how="inner")
            .filter((pl.col("_from") <= pl.col(instant)) & (pl.col(instant) < pl.col("_to")))
            .with_columns((pl.col(instant) + pl.col("_offset")).alias("_local"))
            .with_columns(
                (pl.col("_local") // DAY_US).alias("_day"),
                (pl.col("_local") % DAY_US).alias("_tod"),
            )
            .drop("_from", "_to", "_offset", "_local")
        )

    def wall(self, frame: pl.DataFrame, day: str, micros: str, reference: str | None) -> pl.Series:
        """For each row, the earliest instant not before ``reference`` at which zone ``_zid`` shows local
        day ``day`` at ``micros`` (``localtime.wall_at_or_after``); with no reference, the earliest."""
        keys = frame.select("_zid", pl.col(day).alias("_wday"), pl.col(micros).alias("_wmicros")).unique()
        earliest, latest = [], []
        for zid, number, offset in keys.iter_rows():
            first, second = localtime.wall_instants(
                self.names[zid], localtime.day_from_number(number), offset
            )
            earliest.append(localtime.to_us(first))
            latest.append(localtime.to_us(second))
        table = keys.with_columns(
            pl.Series("_earliest", earliest, dtype=pl.Int64()), pl.Series("_latest", latest, dtype=pl.Int64())
        )
        joined = frame.with_columns(pl.col(day).alias("_wday"), pl.col(micros).alias("_wmicros")).join(
            table, on=["_zid", "_wday", "_wmicros"], how="left", maintain_order="left"
        )
        if reference is None:
            return joined["_earliest"]
        return joined.select(
            pl.when(pl.col("_earliest") >= pl.col(reference))
            .then(pl.col("_earliest"))
            .otherwise(pl.col("_latest"))
        ).to_series()


# ------------------------------------------------------------------------------------------ one book


# The attempt's columns a joined contact carries (phone numbers as 64-bit hashes: cheap to carry).
_ATTEMPT_SIDE: Final = ("_row", "_debtor", "account_key", "_at", "channel", "recipient")
_NUMBER_SIDE: Final = ("_phone_h", "_used_h", "_role_used")


def _hashed(column: str) -> pl.Expr:
    return pl.when(pl.col(column).is_not_null()).then(pl.col(column).hash(seed=1))


def _in(column: str, values: Iterable[str]) -> pl.Expr:
    return pl.col(column).is_in(sorted(values))


def _latest_per_row(frame: pl.DataFrame, value: str) -> pl.DataFrame:
    """The largest ``value`` per ``_row`` over a row's zones (``_nz`` of them): only attempts with several
    candidate zones need grouping."""
    single = frame.filter(pl.col("_nz") == 1).select("_row", value)
    several = frame.filter(pl.col("_nz") > 1).group_by("_row").agg(pl.col(value).max())
    return pl.concat([single, several.select("_row", value)])


def _nth_latest(frame: pl.DataFrame, n: int) -> pl.DataFrame:
    """(_row, _limiting): the n-th latest ``h_at`` of each ``_row`` in ``frame``, which is sorted by _row
    and then by h_at descending; rows with fewer than n are left out."""
    starts = (pl.col("_row") != pl.col("_row").shift(1)).fill_null(True)
    return (
        frame.select(
            "_row",
            pl.col("h_at").shift(-(n - 1)).alias("_limiting"),
            starts.alias("_start"),
            (pl.col("_row").shift(-(n - 1)) == pl.col("_row")).fill_null(False).alias("_enough"),
        )
        .filter(pl.col("_start") & pl.col("_enough"))
        .select("_row", "_limiting")
    )


@dataclass(frozen=True)
class _Failed:
    """The attempts (``_row``) a rule fails, with when each failure ends (``_after``; null: never by
    itself); ``window``: the daily window decides instead."""

    rows: pl.DataFrame  # _row, _after
    window: bool = False


class _BookRun:
    """Every rule of one rulebook over the attempts it governs (``rows``, in ``_row`` order)."""

    def __init__(
        self,
        book: Rulebook,
        rows: pl.DataFrame,
        past: pl.DataFrame,
        zone_rows: pl.DataFrame,
        at_local: pl.DataFrame,
        clock: Clock,
    ) -> None:
        self.book = book
        self.rows = rows
        self.past = past
        ids = rows.select("_row")
        self.zone_rows = zone_rows.join(ids, on="_row", how="semi")
        self.at_local = at_local.join(ids, on="_row", how="semi")
        self.clock = clock
        self.row_sets: list[pl.DataFrame] = []  # _row, _set: the window of the blocking hours rule
        self.intervals = pl.DataFrame(
            schema={"_set": pl.UInt32(), "_s": pl.Int64(), "_e": pl.Int64(), "_k": pl.UInt32()}
        )
        self._recent: pl.DataFrame | None = None

    def decide(self) -> pl.DataFrame:
        columns: list[pl.Series] = []
        for index, rule in enumerate(self.book.rules):
            if rule.kind == "retention" or rule.kind in _MESSAGE_KINDS:
                continue
            applies = self.rows.filter(_in("channel", rule.channels) & _in("recipient", rule.recipients))
            if applies.height == 0:
                continue
            failed: _Failed = getattr(self, f"_{rule.kind}")(rule, applies)
            if failed.rows.height == 0:
                continue
            positions = self.rows["_row"].search_sorted(failed.rows["_row"])
            fail = pl.Series(f"_f{index}", [False] * self.rows.height).scatter(positions, True)
            after = pl.Series(f"_a{index}", [None] * self.rows.height, dtype=pl.Int64()).scatter(
                positions, failed.rows["_after"]
            )
            window = pl.Series(f"_w{index}", [False] * self.rows.height).scatter(positions, failed.window)
            columns += [fail, after, window]
        return self._compose(pl.DataFrame(columns))

    # -- composing -------------------------------------------------------------------------------------

    def _compose(self, outcome: pl.DataFrame) -> pl.DataFrame:
        rules = self.book.rules
        failed = [int(name[2:]) for name in outcome.columns if name.startswith("_f")]
        blocking = [i for i in failed if rules[i].severity == "block"]
        warning = [i for i in failed if rules[i].severity != "block"]
        permanent = [pl.col(f"_f{i}") & pl.col(f"_a{i}").is_null() & ~pl.col(f"_w{i}") for i in blocking]
        base = self.rows.select("_row", "attempt_id", "_at")
        decided = (pl.concat([base, outcome], how="horizontal") if outcome.width else base).select(
            "_row",
            "attempt_id",
            "_at",
            *_bitmasks("_v", blocking),
            *_bitmasks("_x", warning),
            (pl.any_horizontal([pl.col(f"_f{i}") for i in blocking]) if blocking else pl.lit(False)).alias(
                "_blocked"
            ),
            (pl.any_horizontal(permanent) if permanent else pl.lit(False)).alias("_permanent"),
            pl.max_horizontal([pl.col("_at")] + [pl.col(f"_a{i}") for i in blocking]).alias("_t"),
        )
        decided = _spelled(decided, "_v", blocking, rules, "violations")
        decided = _spelled(decided, "_x", warning, rules, "warnings")
        start = decided.filter(pl.col("_blocked") & ~pl.col("_permanent")).select("_row", "_t")
        later = self._next_allowed(start)
        return (
            decided.join(later, on="_row", how="left")
            .with_columns(
                (~pl.col("_blocked")).alias("allowed"),
                pl.when(pl.col("_blocked")).then(pl.col("_next")).otherwise(pl.col("_at")).alias("_next"),
            )
            .select("_row", "attempt_id", "allowed", "violations", "warnings", "_next")
        )

    def _next_allowed(self, start: pl.DataFrame) -> pl.DataFrame:
        """(_row, _next): ``localtime.next_allowed`` from ``_t`` in every candidate zone."""
        sets = pl.concat([pl.DataFrame(schema={"_row": pl.UInt32(), "_set": pl.UInt32()}), *self.row_sets])
        start = start.join(sets, on="_row", how="left")
        done = [start.filter(pl.col("_set").is_null()).select("_row", pl.col("_t").alias("_next"))]
        pending = start.filter(pl.col("_set").is_not_null())
        for _ in range(localtime.MAX_WINDOW_ROUNDS):
            if pending.height == 0:
                break
            local = self.clock.local(pending.join(self.zone_rows, on="_row"), "_t")
            opened = _latest_per_row(self._open_per_zone(local), "_opened")
            moved = pending.join(opened, on="_row", how="left")  # an empty window never opens
            done.append(
                moved.filter(pl.col("_opened") == pl.col("_t")).select("_row", pl.col("_t").alias("_next"))
            )
            pending = moved.filter(pl.col("_opened") != pl.col("_t")).select(
                "_row", pl.col("_opened").alias("_t"), "_set"
            )
        return pl.concat(done)

    def _open_per_zone(self, local: pl.DataFrame) -> pl.DataFrame:
        """``local`` has _row, _zid, _nz, _t, _set, _day, _tod; back comes one row per (_row, _zid) with
        ``_opened`` (``localtime.open_at_or_after``): ``_t`` inside the window, else its next opening."""
        joined = local.join(self.intervals, on="_set", how="inner")
        features = [
            ((pl.col("_s") <= pl.col("_tod")) & (pl.col("_tod") < pl.col("_e"))).alias("_inside"),
            pl.when(pl.col("_s") > pl.col("_tod")).then(pl.col("_s")).alias("_later"),
            pl.col("_s").alias("_first"),
        ]
        keep = ["_row", "_zid", "_nz", "_t", "_day"]
        simple = joined.filter(pl.col("_k") == 1).select(*keep, *features)
        several = (
            joined.filter(pl.col("_k") > 1)
            .with_columns(features)
            .group_by("_row", "_zid")
            .agg(
                *[pl.col(name).first() for name in keep[2:]],
                pl.col("_inside").any(),
                pl.col("_later").min(),
                pl.col("_first").min(),
            )
        )
        spans = pl.concat([simple, several.select(simple.columns)]).with_columns(
            pl.when(pl.col("_later").is_not_null())
            .then(pl.col("_day"))
            .otherwise(pl.col("_day") + 1)
            .alias("_wday"),
            pl.coalesce("_later", "_first").alias("_wmicros"),
        )
        outside = spans.filter(~pl.col("_inside"))
        opened_outside = outside.with_columns(
            self.clock.wall(outside, "_wday", "_wmicros", "_t").alias("_opened")
        )
        inside = spans.filter(pl.col("_inside")).with_columns(pl.col("_t").alias("_opened"))
        return pl.concat([inside, opened_outside]).select("_row", "_zid", "_nz", "_opened")

    # -- rule kinds ------------------------------------------------------------------------------------

    def _hours(self, rule: Rule, applies: pl.DataFrame) -> _Failed:
        params = rule.params
        assert isinstance(params, HoursParams)
        windows = applies.select(
            "_row", pl.col("agreed_windows").fill_null(""), pl.col("inconvenient_windows").fill_null("")
        )
        combos = windows.select("agreed_windows", "inconvenient_windows").unique(maintain_order=True)
        base = self.intervals["_set"].max()
        first_id = 0 if base is None else int(cast(int, base)) + 1
        ids: list[int] = []
        intervals: list[tuple[int, int, int, int]] = []
        for offset, (agreed, inconvenient) in enumerate(combos.iter_rows()):
            daily = localtime.allowed_daily_set(
                params.daily_set,
                localtime.parse_windows_text(agreed, field="agreed_windows"),
                localtime.parse_windows_text(inconvenient, field="inconvenient_windows"),
                agreed_extends=params.agreed_windows_extend,
            )
            ids.append(first_id + offset)
            intervals.extend((first_id + offset, start, end, len(daily)) for start, end in daily)
        table = combos.with_columns(pl.Series("_set", ids, dtype=pl.UInt32()))
        self.intervals = pl.concat(
            [self.intervals, pl.DataFrame(intervals, schema=self.intervals.schema, orient="row")]
        )
        row_sets = windows.join(table, on=["agreed_windows", "inconvenient_windows"]).select("_row", "_set")
        if rule.severity == "block":
            self.row_sets.append(row_sets)
        local = self.at_local.join(row_sets, on="_row").with_columns(pl.col("_at").alias("_t"))
        opened = self._open_per_zone(local).join(self.rows.select("_row", "_at"), on="_row")
        outside = opened.filter(pl.col("_opened") != pl.col("_at")).select("_row")
        never = row_sets.join(opened, on="_row", how="anti").select("_row")  # an empty window
        failing = pl.concat([outside, never]).unique()
        return _Failed(failing.with_columns(pl.lit(None, dtype=pl.Int64()).alias("_after")), window=True)

    def _joined_history(
        self,
        rows: pl.DataFrame,
        *,
        lookback_days: int | None,
        numbers: bool = True,
        counted: pl.Expr | None = None,
    ) -> pl.DataFrame:
        """``rows`` (attempts of this book) joined with their debtors' contacts at or before the attempt,
        back to ``lookback_days`` before it (None: all), sorted by _row and then latest contact first.
        ``counted`` keeps only the contacts some rule could count."""
        past = self.past if counted is None else self.past.filter(counted)
        high = int(cast(int, rows["_at"].max()))
        earliest = past["h_at"].min() if lookback_days is None and past.height else rows["_at"].min()
        low = int(cast(int, earliest))
        if lookback_days is not None:
            low -= lookback_days * DAY_US
            past = past.filter(pl.col("h_at").is_between(low, high))
        if not numbers:  # fewer columns to carry when no rule compares numbers
            past = past.drop("h_phone_h")
        side = _ATTEMPT_SIDE + _NUMBER_SIDE if numbers else _ATTEMPT_SIDE
        joined = rows.select(side).join(past, on="_debtor", how="inner")
        condition = pl.col("h_at") <= pl.col("_at")
        if lookback_days is not None:
            condition &= pl.col("h_at") >= pl.col("_at") - lookback_days * DAY_US
        joined = joined.filter(condition)
        time_bits = max(high - low, 1).bit_length()
        row_bits = max(int(cast(int, rows["_row"].max())), 1).bit_length()
        if row_bits + time_bits <= 63:  # one integer key sorts faster than two columns
            newest_first = pl.lit(2**time_bits - 1 + low, dtype=pl.Int64()) - pl.col("h_at")
            key = pl.col("_row").cast(pl.UInt64()) * (2**time_bits) + newest_first.cast(pl.UInt64())
            return joined.sort(key)
        return joined.sort("_row", "h_at", descending=[False, True])

    def _recent_history(self) -> pl.DataFrame:
        """The joined history every windowed frequency rule reads, built once for all of them."""
        if self._recent is None:
            covered = pl.lit(False)
            counted = pl.lit(False)
            for rule in self.book.rules:
                if isinstance(rule.params, FrequencyParams) and rule.params.days is not None:
                    covered |= _in("channel", rule.channels) & _in("recipient", rule.recipients)
                    counted |= _counted(rule)
            rows = self.rows.filter(covered)
            lookback = _horizon_days([self.book]) + 2
            numbers = any(
                isinstance(rule.params, FrequencyParams)
                and rule.params.days is not None
                and rule.params.scope == "number"
                for rule in self.book.rules
            )
            self._recent = (
                self._joined_history(rows, lookback_days=lookback, numbers=numbers, counted=counted)
                if rows.height
                else None
            )
        return self._recent if self._recent is not None else pl.DataFrame()

    def _frequency(self, rule: Rule, applies: pl.DataFrame) -> _Failed:
        params = rule.params
        assert isinstance(params, FrequencyParams)
        if params.days is None:
            joined = self._joined_history(applies, lookback_days=None)
        else:
            joined = self._recent_history()
            if joined.height == 0:
                return _Failed(pl.DataFrame(schema={"_row": pl.UInt32(), "_after": pl.Int64()}))
            joined = joined.filter(_in("channel", rule.channels) & _in("recipient", rule.recipients))
        counted = _counted(rule)
        if params.scope == "account":
            counted &= pl.col("h_account_key") == pl.col("account_key")
        elif params.scope == "number":
            counted &= _same_number()
        limiting = _nth_latest(joined.filter(counted), params.limit)
        if params.days is None:
            return _Failed(limiting.select("_row", pl.lit(None, dtype=pl.Int64()).alias("_after")))
        local = self.clock.local(limiting.join(self.zone_rows, on="_row"), "_limiting").with_columns(
            (pl.col("_day") + params.days).alias("_open_day"), pl.lit(0, dtype=pl.Int64()).alias("_midnight")
        )
        starts = local.with_columns(self.clock.wall(local, "_open_day", "_midnight", None).alias("_after"))
        after = _latest_per_row(starts, "_after").join(applies.select("_row", "_at"), on="_row")
        return _Failed(after.filter(pl.col("_after") > pl.col("_at")).select("_row", "_after"))

    def _permanent(self, applies: pl.DataFrame, condition: pl.Expr) -> _Failed:
        return _Failed(
            applies.filter(condition).select("_row", pl.lit(None, dtype=pl.Int64()).alias("_after"))
        )

    def _hold(self, rule: Rule, applies: pl.DataFrame) -> _Failed:
        params = rule.params
        assert isinstance(params, HoldParams)
        flagged = (
            _has("_flags", tuple(FLAGS_ORDER), params.flag) if params.flag in FLAGS_ORDER else pl.lit(False)
        )
        condition = flagged & ~_in("recipient", params.allowed_recipients)
        if params.released_by == "verification":
            condition &= pl.col("verification_sent_at").is_null()
        return self._permanent(applies, condition)

    def _consent(self, rule: Rule, applies: pl.DataFrame) -> _Failed:
        params = rule.params
        assert isinstance(params, ConsentParams)
        given = pl.lit(None, dtype=pl.Boolean())
        for channel in CHANNELS:
            given = (
                pl.when(pl.col("channel") == channel)
                .then(pl.col(f"consent_{channel}").fill_null(params.defaults[channel]))
                .otherwise(given)
            )
        return self._permanent(applies, ~given)

    def _opt_out(self, rule: Rule, applies: pl.DataFrame) -> _Failed:
        opted = pl.any_horizontal([(pl.col("channel") == c) & _has("_opted", CHANNELS, c) for c in CHANNELS])
        return self._permanent(applies, opted)

    def _public_post(self, rule: Rule, applies: pl.DataFrame) -> _Failed:
        return self._permanent(applies, pl.col("public").fill_null(False))

    def _employer_email(self, rule: Rule, applies: pl.DataFrame) -> _Failed:
        return self._permanent(
            applies, (pl.col("channel") == "email") & pl.col("employer_email").fill_null(False)
        )

    def _third_party_notice(self, rule: Rule, applies: pl.DataFrame) -> _Failed:
        return self._permanent(applies, pl.lit(True))

    def _validation_notice(self, rule: Rule, applies: pl.DataFrame) -> _Failed:
        return self._permanent(applies, pl.col("validation_notice_sent_at").is_null())

    def _third_party_unreachable(self, rule: Rule, applies: pl.DataFrame) -> _Failed:
        params = rule.params
        assert isinstance(params, UnreachableParams)
        debtor = self._joined_history(applies, lookback_days=None).filter(pl.col("h_recipient") == "debtor")
        reached = (pl.col("h_direction") == "inbound") | _in("h_outcome", REACHED_OUTCOMES)
        last = debtor.group_by("_row").agg(pl.col("h_at").filter(reached).max().alias("_reached"))
        calls = debtor.join(last, on="_row").filter(
            (pl.col("h_channel") == "call")
            & (pl.col("h_direction") == "outbound")
            & (pl.col("_reached").is_null() | (pl.col("h_at") > pl.col("_reached")))
        )
        seen = calls.group_by("_row").agg(
            pl.len().alias("_failed"),
            pl.col("h_at").min().alias("_first"),
            (pl.col("h_outcome") == "wrong_party").any().alias("_wrong"),
        )
        state = (
            applies.select("_row", "_at", "phone")
            .join(seen, on="_row", how="left")
            .with_columns(pl.col("_failed").fill_null(0), pl.col("_wrong").fill_null(False))
        )
        unreachable = (pl.col("_failed") >= params.failed_calls) | (pl.col("_wrong") & params.invalid_number)
        after = pl.col("_first") + params.days * DAY_US
        waiting = state.filter(~unreachable & (pl.col("_first").is_null() | (after > pl.col("_at"))))
        if (
            params.invalid_number
        ):  # the number's validity decides only for these: look up their distinct numbers
            phones = waiting["phone"].unique()
            valid = [localtime.phone_is_valid(phone, self.book.country) for phone in phones]
            validity = pl.DataFrame(
                {"phone": phones, "_valid": valid}, schema={"phone": pl.String(), "_valid": pl.Boolean()}
            )
            waiting = waiting.join(validity, on="phone", how="left", nulls_equal=True).filter(
                pl.col("_valid")
            )
        return _Failed(waiting.select("_row", after.alias("_after")))


def _counted(rule: Rule) -> pl.Expr:
    """Whether a frequency rule counts a contact, from the contact's side alone (scope aside)."""
    params = rule.params
    assert isinstance(params, FrequencyParams)
    counted = (
        _in("h_channel", rule.channels)
        & _in("h_recipient", rule.recipients)
        & _in("h_direction", params.directions)
    )
    if params.outcomes is not None:
        counted &= _in("h_outcome", params.outcomes)
    return counted


def _bitmasks(prefix: str, indices: list[int]) -> list[pl.Expr]:
    """The failed rules among ``indices`` as bits of UInt64 words ``<prefix>0``, ``<prefix>1``, ..."""
    words = []
    for word, start in enumerate(range(0, len(indices), 63)):
        bits = [
            pl.col(f"_f{i}").cast(pl.UInt64()) * (2**bit) for bit, i in enumerate(indices[start : start + 63])
        ]
        words.append(pl.sum_horizontal(bits).alias(f"{prefix}{word}"))
    return words


def _spelled(
    frame: pl.DataFrame, prefix: str, indices: list[int], rules: Sequence[Rule], name: str
) -> pl.DataFrame:
    """Replace the bitmask words by the ';'-joined rule ids, spelled once per distinct combination."""
    words = [column for column in frame.columns if column.startswith(prefix)]
    if not words:
        return frame.with_columns(pl.lit("").alias(name))
    combos = frame.select(words).unique()
    spelled = []
    for values in combos.iter_rows():
        ids = [
            rules[index].id
            for word, value in enumerate(values)
            for bit, index in enumerate(indices[word * 63 : word * 63 + 63])
            if value >> bit & 1
        ]
        spelled.append(";".join(ids))
    table = combos.with_columns(pl.Series(name, spelled, dtype=pl.String()))
    return frame.join(table, on=words, how="left", maintain_order="left").drop(words)


def _same_number() -> pl.Expr:
    """Whether a joined contact used the attempt's number (``attempt.contact_number`` on both sides)."""
    return (
        pl.when(pl.col("h_phone_h").is_not_null())
        .then(pl.col("h_phone_h") == pl.col("_used_h"))
        .when((pl.col("h_recipient") == "debtor") & pl.col("_phone_h").is_not_null())
        .then(pl.col("_phone_h") == pl.col("_used_h"))
        .otherwise(pl.col("h_recipient") == pl.col("_role_used"))
        .fill_null(False)
    )


# ---------------------------------------------------------------------------------------- conversion


def frames_from_attempts(attempts: Sequence[Attempt]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Frames for ``evaluate_batch`` from parsed attempts, each attempt with its own history (its account
    and debtor keyed by its position, so histories of different attempts never mix)."""
    rows: list[dict[str, object]] = []
    contacts: list[dict[str, object]] = []
    for index, attempt in enumerate(attempts):
        account = attempt.account
        debtor = f"{index}:{account.debtor_id}"
        rows.append(
            {
                "attempt_id": attempt.id,
                "account_key": 2 * index,
                "account_id": account.account_id,
                "debtor_id": debtor,
                "jurisdiction": attempt.jurisdiction,
                "channel": attempt.channel,
                "at": attempt.at,
                "recipient": attempt.recipient,
                "timezones": ";".join(account.timezones) or None,
                "phone": account.phone,
                "region": account.region,
                "dest_phone": attempt.destination.phone,
                "flags": ";".join(sorted(account.flags)),
                "opted_out": ";".join(sorted(account.opted_out)),
                **{f"consent_{channel}": account.consent.get(channel) for channel in CHANNELS},
                "validation_notice_sent_at": account.validation_notice_sent_at,
                "verification_sent_at": account.verification_sent_at,
                "employer_email": attempt.destination.employer_provided,
                "public": attempt.destination.public,
                "agreed_windows": localtime.windows_text(account.agreed_windows),
                "inconvenient_windows": localtime.windows_text(account.inconvenient_windows),
                "statute_limit_on": account.statute_limit_on,
            }
        )
        contacts.extend(
            {
                "account_key": 2 * index if contact.same_account else 2 * index + 1,
                "debtor_id": debtor,
                "channel": contact.channel,
                "at": contact.at,
                "direction": contact.direction,
                "outcome": contact.outcome,
                "recipient": contact.recipient,
                "phone": None if contact.number.startswith("recipient:") else contact.number,
            }
            for contact in attempt.history
        )
    return (
        pl.DataFrame(rows, schema=ATTEMPT_SCHEMA),
        pl.DataFrame(contacts, schema=HISTORY_SCHEMA),
    )
