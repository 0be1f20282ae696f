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
from typing import Final

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
_MESSAGE_KINDS: Final = frozenset(
    {"message_content", "third_party_debt_details", "time_barred", "required_wording"}
)

ATTEMPT_SCHEMA: Final[dict[str, pl.DataType]] = {
    "attempt_id": pl.String(),
    "account_key": pl.Int64(),
    "account_id": pl.String(),
    "debtor_id": pl.String(),
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
    frame = _prepare_attempts(attempts, rulebooks)
    if frame.height == 0:
        return pl.DataFrame(schema=DECISION_SCHEMA)
    past = _prepare_history(history)
    zone_rows = _zone_rows(frame, rulebooks)
    books = {code: rulebooks.books[code] for code in frame["_book"].unique().to_list()}
    clock = Clock.covering(zone_rows["zone"].unique().to_list(), frame["_at"], _horizon_days(books.values()))
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
            pl.col("_next").cast(pl.Int64).cast(UTC_INSTANT).alias("next_allowed_at"),
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


def _check_vocabulary(frame: pl.DataFrame, column: str, allowed: Iterable[str], name: str) -> None:
    bad = frame.select(pl.col(column)).with_row_index("_index").filter(~pl.col(column).is_in(list(allowed)))
    if bad.height:
        value, index = bad[column][0], bad["_index"][0]
        raise ValidationError(
            f"row {index} of the {name} frame: {value!r} is not one of {sorted(allowed)}", field=column
        )


def _prepare_attempts(attempts: pl.DataFrame, rulebooks: RulebookSet) -> pl.DataFrame:
    frame = _conform(attempts, ATTEMPT_SCHEMA, REQUIRED_ATTEMPT_COLUMNS, "attempts")
    for column in REQUIRED_ATTEMPT_COLUMNS:
        if frame[column].null_count():
            raise ValidationError(f"column {column!r} of the attempts frame has nulls", field=column)
    frame = frame.with_columns(pl.col("recipient").fill_null("debtor"))
    _check_vocabulary(frame, "channel", CHANNELS, "attempts")
    _check_vocabulary(frame, "recipient", RECIPIENTS, "attempts")
    books = {code: rulebooks.get(code).jurisdiction for code in frame["jurisdiction"].unique().to_list()}
    flags = frame.select(pl.col("flags").str.split(";").explode().unique().drop_nulls())["flags"].to_list()
    unknown = sorted(set(flags) - FLAGS - {""})
    if unknown:
        raise ValidationError(f"unknown flag(s) {unknown}", field="flags")
    opted = frame.select(pl.col("opted_out").str.split(";").explode().unique().drop_nulls())[
        "opted_out"
    ].to_list()
    if set(opted) - set(CHANNELS) - {""}:
        raise ValidationError(
            f"unknown channel(s) in opted_out: {sorted(set(opted) - set(CHANNELS) - {''})}", field="opted_out"
        )
    return frame.with_row_index("_row").with_columns(
        pl.col("jurisdiction").replace_strict(books, return_dtype=pl.String()).alias("_book"),
        pl.col("at").cast(pl.Int64).alias("_at"),
        pl.col("flags").fill_null("").str.split(";").alias("_flags"),
        pl.col("opted_out").fill_null("").str.split(";").alias("_opted"),
        pl.coalesce(
            pl.col("dest_phone"),
            pl.when(pl.col("recipient") == "debtor").then(pl.col("phone")),
            pl.lit("recipient:") + pl.col("recipient"),
        ).alias("_number"),
    )


def _prepare_history(history: pl.DataFrame) -> pl.DataFrame:
    frame = _conform(history, HISTORY_SCHEMA, REQUIRED_HISTORY_COLUMNS, "history")
    frame = frame.with_columns(
        pl.col("recipient").fill_null("debtor"), pl.col("direction").fill_null("outbound")
    )
    _check_vocabulary(frame, "channel", CHANNELS, "history")
    _check_vocabulary(frame, "recipient", RECIPIENTS, "history")
    _check_vocabulary(frame, "direction", DIRECTIONS, "history")
    _check_vocabulary(frame.filter(pl.col("outcome").is_not_null()), "outcome", OUTCOMES, "history")
    return frame.select(
        pl.col("debtor_id"),
        pl.col("account_key").alias("h_account_key"),
        pl.col("channel").alias("h_channel"),
        pl.col("at").cast(pl.Int64).alias("h_at"),
        pl.col("direction").alias("h_direction"),
        pl.col("outcome").alias("h_outcome"),
        pl.col("recipient").alias("h_recipient"),
        pl.col("phone").alias("h_phone"),
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


def _zone_rows(frame: pl.DataFrame, rulebooks: RulebookSet) -> pl.DataFrame:
    """(_row, zone) for every candidate zone of every attempt, derived where the frame gives none."""
    given = frame.select("_row", pl.col("timezones").fill_null("").str.strip_chars().alias("_zones"))
    missing = frame.filter(given["_zones"] == "")
    if missing.height:
        derived = _derive_zones(missing, rulebooks)
        given = given.join(derived, on="_row", how="left").select(
            "_row",
            pl.when(pl.col("_zones") == "")
            .then(pl.col("_derived"))
            .otherwise(pl.col("_zones"))
            .alias("_zones"),
        )
    rows = (
        given.with_columns(pl.col("_zones").str.split(";"))
        .explode("_zones")
        .with_columns(pl.col("_zones").str.strip_chars())
        .filter(pl.col("_zones") != "")
        .unique(["_row", "_zones"], keep="first", maintain_order=True)
        .rename({"_zones": "zone"})
    )
    for name in rows["zone"].unique().to_list():
        try:
            localtime.zone(name)
        except ValidationError as problem:
            raise ValidationError(problem.message, field="timezones") from None
    return rows


def _derive_zones(missing: pl.DataFrame, rulebooks: RulebookSet) -> pl.DataFrame:
    keys = missing.select(
        "_row",
        "_book",
        "region",
        pl.col("phone").str.replace_all(r"[\s\-().]", "").alias("_clean"),
        "phone",
    )
    country = {code: rulebooks.books[code].country for code in keys["_book"].unique().to_list()}
    keys = keys.with_columns(
        pl.col("_book").replace_strict(country, default=None, return_dtype=pl.String()).alias("_country")
    )
    fast = pl.col("_clean").str.contains(r"^\+\d{4,15}$")
    slow = keys.filter(~fast & pl.col("phone").is_not_null()).select("phone", "_country").unique()
    slow_e164 = pl.DataFrame(
        {
            "phone": slow["phone"],
            "_country": slow["_country"],
            "_slow": [localtime.to_e164(p, c) for p, c in zip(slow["phone"], slow["_country"], strict=True)],
        },
        schema={"phone": pl.String(), "_country": pl.String(), "_slow": pl.String()},
    )
    keys = keys.join(slow_e164, on=["phone", "_country"], how="left", nulls_equal=True).with_columns(
        pl.when(fast).then(pl.col("_clean")).otherwise(pl.col("_slow")).alias("_e164")
    )
    phone_zones = _phone_zones(keys["_e164"].drop_nulls().unique())
    keys = keys.join(phone_zones, on="_e164", how="left").with_columns(pl.col("_phone_zones").fill_null(""))
    regions = keys.select("_book", "region").unique()
    region_table = pl.DataFrame(
        {
            "_book": regions["_book"],
            "region": regions["region"],
            "_region_zones": [
                ";".join(localtime.region_zones(rulebooks.books[b].root, r))
                for b, r in zip(regions["_book"], regions["region"], strict=True)
            ],
        },
        schema={"_book": pl.String(), "region": pl.String(), "_region_zones": pl.String()},
    )
    keys = keys.join(region_table, on=["_book", "region"], how="left", nulls_equal=True)
    combos = keys.select("_phone_zones", "_region_zones", "_book").unique()
    combined = pl.DataFrame(
        {
            "_phone_zones": combos["_phone_zones"],
            "_region_zones": combos["_region_zones"],
            "_book": combos["_book"],
            "_derived": [
                ";".join(localtime.combine_zones(_split(p), _split(r), rulebooks.books[b].zones))
                for p, r, b in zip(
                    combos["_phone_zones"], combos["_region_zones"], combos["_book"], strict=True
                )
            ],
        },
        schema={
            "_phone_zones": pl.String(),
            "_region_zones": pl.String(),
            "_book": pl.String(),
            "_derived": pl.String(),
        },
    )
    return keys.join(combined, on=["_phone_zones", "_region_zones", "_book"], how="left").select(
        "_row", "_derived"
    )


def _split(text: str | None) -> tuple[str, ...]:
    return tuple(part for part in (text or "").split(";") if part)


@dataclass(frozen=True)
class _PrefixTable:
    """phonenumbers' time-zone table as frames by prefix length, each key marked if longer keys extend it."""

    by_length: dict[int, pl.DataFrame]


def _prefix_table() -> _PrefixTable:
    from phonenumbers.tzdata import TIMEZONE_DATA, TIMEZONE_LONGEST_PREFIX

    extendable: dict[int, set[str]] = {length: set() for length in range(1, TIMEZONE_LONGEST_PREFIX + 1)}
    for key in TIMEZONE_DATA:
        for length in range(1, len(key)):
            extendable[length].add(key[:length])
    by_length = {}
    for length in range(1, TIMEZONE_LONGEST_PREFIX + 1):
        keys = sorted({key for key in TIMEZONE_DATA if len(key) == length} | extendable[length])
        by_length[length] = pl.DataFrame(
            {
                "_prefix": keys,
                "_found": [key in TIMEZONE_DATA for key in keys],
                "_zones_here": [
                    ";".join(localtime.zones_for_e164("+" + key)) if key in TIMEZONE_DATA else None
                    for key in keys
                ],
                "_longer": [key in extendable[length] for key in keys],
            },
            schema={
                "_prefix": pl.String(),
                "_found": pl.Boolean(),
                "_zones_here": pl.String(),
                "_longer": pl.Boolean(),
            },
        )
    return _PrefixTable(by_length)


_PREFIXES: list[_PrefixTable] = []


def _phone_zones(e164: pl.Series) -> pl.DataFrame:
    """``localtime.zones_for_e164`` for many numbers: the longest known prefix, found one length at a time
    and only for numbers that a longer key could still match."""
    if not _PREFIXES:
        _PREFIXES.append(_prefix_table())
    table = _PREFIXES[0]
    active = pl.DataFrame({"_e164": e164}).with_columns(pl.col("_e164").str.len_chars().alias("_digits") - 1)
    found = []
    for length, keys in table.by_length.items():
        if active.is_empty():
            break
        step = active.filter(pl.col("_digits") >= length).with_columns(
            pl.col("_e164").str.slice(1, length).alias("_prefix")
        )
        step = step.join(keys, on="_prefix", how="inner")
        found.append(
            step.filter(pl.col("_found")).select(
                "_e164", pl.lit(length).alias("_length"), pl.col("_zones_here")
            )
        )
        active = step.filter(pl.col("_longer")).select("_e164", "_digits")
    if not found:
        return pl.DataFrame(schema={"_e164": pl.String(), "_phone_zones": pl.String()})
    return (
        pl.concat(found)
        .sort("_length", descending=True)
        .unique("_e164", keep="first")
        .select("_e164", pl.col("_zones_here").alias("_phone_zones"))
    )


# --------------------------------------------------------------------------------------------- clock


@dataclass(frozen=True)
class Clock:
    """Zone offsets over the run's time span, as a frame, so instants become local times by a join."""

    segments: pl.DataFrame  # zone, _from, _to, _offset (microseconds)

    @classmethod
    def covering(cls, zones: Iterable[str], instants: pl.Series, horizon_days: int) -> Clock:
        low = int(instants.min()) - (horizon_days + 3) * DAY_US  # type: ignore[arg-type]
        high = int(instants.max()) + (horizon_days + localtime.MAX_WINDOW_ROUNDS + 4) * DAY_US  # type: ignore[arg-type]
        rows: list[tuple[str, int, int, int]] = []
        for name in zones:
            segments = localtime.offset_segments(name, localtime.from_us(low), localtime.from_us(high))
            bounds = [start for start, _ in segments[1:]] + [2**62]
            starts = [-(2**62)] + [start for start, _ in segments[1:]]
            rows.extend(
                (name, s, e, offset) for s, e, (_, offset) in zip(starts, bounds, segments, strict=True)
            )
        return cls(
            pl.DataFrame(
                rows,
                schema={"zone": pl.String(), "_from": pl.Int64(), "_to": pl.Int64(), "_offset": pl.Int64()},
                orient="row",
            )
        )

    def local(self, frame: pl.DataFrame, instant: str) -> pl.DataFrame:
        """``frame`` (with ``zone`` and the Int64 microsecond column ``instant``) plus ``_day`` (days since
        1970-01-01, local) and ``_tod`` (microseconds since local midnight)."""
        return (
            frame.join(self.segments, on="zone", how="inner")
            .filter((pl.col("_from") <= pl.col(instant)) & (pl.col(instant) < pl.col("_to")))
            .with_columns((pl.col(instant) + pl.col("_offset")).alias("_local"))
            .with_columns(
                (pl.col("_local") // DAY_US).alias("_day"),
                (pl.col("_local") % DAY_US).alias("_tod"),
            )
            .drop("_from", "_to", "_offset", "_local")
        )

    @staticmethod
    def wall(frame: pl.DataFrame, day: str, micros: str, reference: str | None) -> pl.Series:
        """For each row, the earliest instant not before ``reference`` at which ``zone`` shows local day
        ``day`` at ``micros`` (``localtime.wall_at_or_after``); with no reference, the earliest instant."""
        keys = frame.select("zone", pl.col(day).alias("_wday"), pl.col(micros).alias("_wmicros")).unique()
        earliest, latest = [], []
        for name, number, offset in keys.iter_rows():
            first, second = localtime.wall_instants(name, localtime.day_from_number(number), offset)
            earliest.append(localtime.to_us(first))
            latest.append(localtime.to_us(second))
        table = keys.with_columns(
            pl.Series("_earliest", earliest, dtype=pl.Int64()), pl.Series("_latest", latest, dtype=pl.Int64())
        )
        joined = frame.with_columns(pl.col(day).alias("_wday"), pl.col(micros).alias("_wmicros")).join(
            table, on=["zone", "_wday", "_wmicros"], how="left", maintain_order="left"
        )
        if reference is None:
            return joined["_earliest"]
        return joined.select(
            pl.when(pl.col("_earliest") >= pl.col(reference))
            .then(pl.col("_earliest"))
            .otherwise(pl.col("_latest"))
        ).to_series()


# ------------------------------------------------------------------------------------------ one book


def _in(column: str, values: Iterable[str]) -> pl.Expr:
    return pl.col(column).is_in(sorted(values))


class _BookRun:
    """Every rule of one rulebook over the attempts it governs."""

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
        self.failures: list[pl.DataFrame] = []
        self.row_sets: list[pl.DataFrame] = []  # _row, _set for the blocking hours rules (one per channel)
        self.intervals = pl.DataFrame(schema={"_set": pl.String(), "_s": pl.Int64(), "_e": pl.Int64()})
        self._recent: pl.DataFrame | None = None

    def decide(self) -> pl.DataFrame:
        for index, rule in enumerate(self.book.rules):
            if rule.kind == "retention" or rule.kind in _MESSAGE_KINDS:
                continue
            applies = self.rows.filter(_in("channel", rule.channels) & _in("recipient", rule.recipients))
            if applies.height == 0:
                continue
            failed = getattr(self, f"_{rule.kind}")(rule, applies)
            if failed.height:
                self.failures.append(
                    failed.select(
                        pl.col("_row"),
                        pl.lit(index, dtype=pl.Int32()).alias("_rule"),
                        pl.col("_after").cast(pl.Int64()),
                        pl.col("_window").cast(pl.Boolean()),
                    )
                )
        return self._compose()

    # -- composing -------------------------------------------------------------------------------------

    def _compose(self) -> pl.DataFrame:
        rules = pl.DataFrame(
            {
                "_rule": list(range(len(self.book.rules))),
                "_id": [rule.id for rule in self.book.rules],
                "_block": [rule.severity == "block" for rule in self.book.rules],
            },
            schema={"_rule": pl.Int32(), "_id": pl.String(), "_block": pl.Boolean()},
        )
        empty = pl.DataFrame(
            schema={"_row": pl.UInt32(), "_rule": pl.Int32(), "_after": pl.Int64(), "_window": pl.Boolean()}
        )
        failed = pl.concat([empty, *self.failures]).join(rules, on="_rule").sort("_row", "_rule")
        listed = failed.group_by("_row", maintain_order=True).agg(
            pl.col("_id").filter(pl.col("_block")).str.join(";").alias("violations"),
            pl.col("_id").filter(~pl.col("_block")).str.join(";").alias("warnings"),
            (pl.col("_block") & pl.col("_after").is_null() & ~pl.col("_window")).any().alias("_permanent"),
            pl.col("_after").filter(pl.col("_block")).max().alias("_after"),
            pl.col("_block").any().alias("_blocked"),
        )
        decided = (
            self.rows.select("_row", "attempt_id", "_at")
            .join(listed, on="_row", how="left")
            .with_columns(
                pl.col("violations").fill_null(""),
                pl.col("warnings").fill_null(""),
                pl.col("_blocked").fill_null(False),
                pl.col("_permanent").fill_null(False),
            )
        )
        start = decided.filter(pl.col("_blocked") & ~pl.col("_permanent")).select(
            "_row", pl.max_horizontal("_at", "_after").alias("_t")
        )
        later = self._next_allowed(start)
        return (
            decided.join(later, on="_row", how="left")
            .with_columns(
                (~pl.col("_blocked")).alias("allowed"),
                pl.when(~pl.col("_blocked")).then(pl.col("_at")).otherwise(pl.col("_next")).alias("_next"),
            )
            .select("_row", "attempt_id", "allowed", "violations", "warnings", "_next")
        )

    def _next_allowed(self, start: pl.DataFrame) -> pl.DataFrame:
        sets = pl.concat([pl.DataFrame(schema={"_row": pl.UInt32(), "_set": pl.String()}), *self.row_sets])
        start = start.join(sets, on="_row", how="left")
        without_window = start.filter(pl.col("_set").is_null()).select("_row", pl.col("_t").alias("_next"))
        pending = start.filter(pl.col("_set").is_not_null())
        done = [without_window]
        for _ in range(localtime.MAX_WINDOW_ROUNDS):
            if pending.height == 0:
                break
            opened = self._opened(pending)
            moved = pending.join(opened, on="_row", how="left")  # rows with an empty window get no opening
            done.append(
                moved.filter(pl.col("_opened") == pl.col("_t")).select("_row", pl.col("_t").alias("_next"))
            )
            pending = moved.filter(pl.col("_opened") != pl.col("_t")).select(
                "_row", pl.col("_opened").alias("_t"), "_set"
            )
        return pl.concat(done)

    def _opened(self, pending: pl.DataFrame) -> pl.DataFrame:
        """For each pending row, the latest over its zones of ``localtime.open_at_or_after``."""
        per_zone = self._open_per_zone(self.clock.local(pending.join(self.zone_rows, on="_row"), "_t"))
        return per_zone.group_by("_row").agg(pl.col("_opened").max())

    def _open_per_zone(self, local: pl.DataFrame) -> pl.DataFrame:
        """``local`` has _row, zone, _t, _set, _day, _tod; one row per (_row, zone) comes back with
        ``_opened``: ``_t`` when inside the window, else when the window next opens."""
        spans = (
            local.join(self.intervals, on="_set", how="inner")
            .group_by("_row", "zone")
            .agg(
                pl.col("_t").first(),
                pl.col("_day").first(),
                ((pl.col("_s") <= pl.col("_tod")) & (pl.col("_tod") < pl.col("_e"))).any().alias("_inside"),
                pl.col("_s").filter(pl.col("_s") > pl.col("_tod")).min().alias("_later"),
                pl.col("_s").min().alias("_first"),
            )
        )
        spans = spans.with_columns(
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
        return pl.concat([inside, opened_outside]).select("_row", "zone", "_opened")

    # -- rule kinds ------------------------------------------------------------------------------------

    def _hours(self, rule: Rule, applies: pl.DataFrame) -> pl.DataFrame:
        params = rule.params
        assert isinstance(params, HoursParams)
        windows = applies.select(
            "_row",
            pl.col("agreed_windows").fill_null(""),
            pl.col("inconvenient_windows").fill_null(""),
        )
        combos = windows.select("agreed_windows", "inconvenient_windows").unique()
        keys: list[str] = []
        intervals: list[tuple[str, int, int]] = []
        for agreed, inconvenient in combos.iter_rows():
            key = f"{rule.id}|{agreed}|{inconvenient}"
            daily = localtime.allowed_daily_set(
                params.daily_set,
                localtime.parse_windows_text(agreed, field="agreed_windows"),
                localtime.parse_windows_text(inconvenient, field="inconvenient_windows"),
                agreed_extends=params.agreed_windows_extend,
            )
            keys.append(key)
            intervals.extend((key, start, end) for start, end in daily)
        table = combos.with_columns(pl.Series("_set", keys, dtype=pl.String()))
        self.intervals = pl.concat(
            [self.intervals, pl.DataFrame(intervals, schema=self.intervals.schema, orient="row")]
        ).unique()
        row_sets = windows.join(table, on=["agreed_windows", "inconvenient_windows"]).select("_row", "_set")
        if rule.severity == "block":
            self.row_sets.append(row_sets)
        local = self.at_local.join(row_sets, on="_row").with_columns(pl.col("_at").alias("_t"))
        opened = self._open_per_zone(local).group_by("_row").agg(pl.col("_opened").max())
        outside = row_sets.join(opened, on="_row", how="left").join(
            self.rows.select("_row", "_at"), on="_row"
        )
        failed = outside.filter(pl.col("_opened").is_null() | (pl.col("_opened") != pl.col("_at")))
        return failed.select(
            "_row", pl.lit(None, dtype=pl.Int64()).alias("_after"), pl.lit(True).alias("_window")
        )

    def _joined_history(self, rows: pl.DataFrame, *, lookback_days: int | None) -> pl.DataFrame:
        """``rows`` (attempts of this book) joined with their debtors' contacts at or before the attempt,
        back to ``lookback_days`` before it (None: all)."""
        joined = rows.select(
            "_row", "debtor_id", "account_key", "_at", "channel", "recipient", "_number", "phone"
        ).join(self.past, on="debtor_id", how="inner")
        condition = pl.col("h_at") <= pl.col("_at")
        if lookback_days is not None:
            condition &= pl.col("h_at") >= pl.col("_at") - lookback_days * DAY_US
        return joined.filter(condition).with_columns(
            pl.coalesce(
                pl.col("h_phone"),
                pl.when(pl.col("h_recipient") == "debtor").then(pl.col("phone")),
                pl.lit("recipient:") + pl.col("h_recipient"),
            ).alias("h_number")
        )

    def _recent_history(self) -> pl.DataFrame:
        """The joined history of the windowed frequency rules, built once for all of them."""
        if self._recent is None:
            covered = pl.lit(False)
            for rule in self.book.rules:
                if isinstance(rule.params, FrequencyParams) and rule.params.days is not None:
                    covered |= _in("channel", rule.channels) & _in("recipient", rule.recipients)
            self._recent = self._joined_history(
                self.rows.filter(covered), lookback_days=_horizon_days([self.book]) + 2
            )
        return self._recent

    def _frequency(self, rule: Rule, applies: pl.DataFrame) -> pl.DataFrame:
        params = rule.params
        assert isinstance(params, FrequencyParams)
        if params.days is None:
            joined = self._joined_history(applies, lookback_days=None)
        else:
            joined = self._recent_history().join(applies.select("_row"), on="_row", how="semi")
        counted = (
            _in("h_channel", rule.channels)
            & _in("h_recipient", rule.recipients)
            & _in("h_direction", params.directions)
        )
        if params.outcomes is not None:
            counted &= _in("h_outcome", params.outcomes)
        if params.scope == "account":
            counted &= pl.col("h_account_key") == pl.col("account_key")
        elif params.scope == "number":
            counted &= pl.col("h_number") == pl.col("_number")
        limiting = (
            joined.filter(counted)
            .group_by("_row")
            .agg(pl.col("h_at").top_k(params.limit).min().alias("_limiting"), pl.len().alias("_count"))
            .filter(pl.col("_count") >= params.limit)
        )
        if params.days is None:
            return limiting.select(
                "_row", pl.lit(None, dtype=pl.Int64()).alias("_after"), pl.lit(False).alias("_window")
            )
        local = self.clock.local(limiting.join(self.zone_rows, on="_row"), "_limiting").with_columns(
            (pl.col("_day") + params.days).alias("_open_day"), pl.lit(0, dtype=pl.Int64()).alias("_midnight")
        )
        starts = local.with_columns(self.clock.wall(local, "_open_day", "_midnight", None).alias("_after"))
        after = (
            starts.group_by("_row")
            .agg(pl.col("_after").max())
            .join(self.rows.select("_row", "_at"), on="_row")
        )
        return after.filter(pl.col("_after") > pl.col("_at")).select(
            "_row", "_after", pl.lit(False).alias("_window")
        )

    def _permanent(self, applies: pl.DataFrame, condition: pl.Expr) -> pl.DataFrame:
        return applies.filter(condition).select(
            "_row", pl.lit(None, dtype=pl.Int64()).alias("_after"), pl.lit(False).alias("_window")
        )

    def _hold(self, rule: Rule, applies: pl.DataFrame) -> pl.DataFrame:
        params = rule.params
        assert isinstance(params, HoldParams)
        condition = pl.col("_flags").list.contains(params.flag) & ~_in("recipient", params.allowed_recipients)
        if params.released_by == "verification":
            condition &= pl.col("verification_sent_at").is_null()
        return self._permanent(applies, condition)

    def _consent(self, rule: Rule, applies: pl.DataFrame) -> pl.DataFrame:
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

    def _opt_out(self, rule: Rule, applies: pl.DataFrame) -> pl.DataFrame:
        return self._permanent(applies, pl.col("_opted").list.contains(pl.col("channel")))

    def _public_post(self, rule: Rule, applies: pl.DataFrame) -> pl.DataFrame:
        return self._permanent(applies, pl.col("public").fill_null(False))

    def _employer_email(self, rule: Rule, applies: pl.DataFrame) -> pl.DataFrame:
        return self._permanent(
            applies, (pl.col("channel") == "email") & pl.col("employer_email").fill_null(False)
        )

    def _third_party_notice(self, rule: Rule, applies: pl.DataFrame) -> pl.DataFrame:
        return self._permanent(applies, pl.lit(True))

    def _validation_notice(self, rule: Rule, applies: pl.DataFrame) -> pl.DataFrame:
        return self._permanent(applies, pl.col("validation_notice_sent_at").is_null())

    def _third_party_unreachable(self, rule: Rule, applies: pl.DataFrame) -> pl.DataFrame:
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
        phones = state["phone"].unique()
        validity = pl.DataFrame(
            {"phone": phones, "_valid": [localtime.phone_is_valid(p, self.book.country) for p in phones]},
            schema={"phone": pl.String(), "_valid": pl.Boolean()},
        )
        state = state.join(validity, on="phone", how="left", nulls_equal=True)
        unreachable = pl.col("_failed") >= params.failed_calls
        if params.invalid_number:
            unreachable |= pl.col("_wrong") | ~pl.col("_valid")
        after = pl.col("_first") + params.days * DAY_US
        failed = state.filter(~unreachable & (pl.col("_first").is_null() | (after > pl.col("_at"))))
        return failed.select("_row", after.alias("_after"), pl.lit(False).alias("_window"))


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
                "phone": contact.number,
            }
            for contact in attempt.history
        )
    return (
        pl.DataFrame(rows, schema=ATTEMPT_SCHEMA),
        pl.DataFrame(contacts, schema=HISTORY_SCHEMA),
    )
