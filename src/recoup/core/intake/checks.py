"""How the intake validators judge a frame: checks, their evaluation, and the reject lines.

A validator describes each output column as a `Parsed` value: named helper columns computed once, the
typed value, and the `Check`s that say which rows cannot become it. Checks run in two phases: a cheap
boolean ``bad`` over the whole frame, then the human-readable ``message`` only on the rows that broke a
rule, so a clean million-row file never pays for building a million error strings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

import polars as pl

REJECT_SCHEMA: Final[dict[str, pl.DataType]] = {
    "row": pl.Int64(),
    "column": pl.String(),
    "reason": pl.String(),
}
ROW: Final = "row"
FIRST_DATA_ROW: Final = 2  # the header is row 1
SHOWN_CHARS: Final = 40
_UNPRINTABLE: Final = r"[\x00-\x1F\x7F-\x9F\u202A-\u202E\u2066-\u2069]"

Layers = tuple[tuple[pl.Expr, ...], ...]


@dataclass(frozen=True, slots=True)
class IntakeResult:
    """What a validator hands back: the rows that conform, and one line per problem found."""

    valid: pl.DataFrame
    rejects: pl.DataFrame
    file: str

    @property
    def ok(self) -> bool:
        return self.rejects.is_empty()

    def messages(self) -> list[str]:
        """The rejects as lines a person reads (see `format_rejects`)."""
        return format_rejects(self.rejects, self.file)


@dataclass(frozen=True, slots=True)
class Check:
    """A rule on one column: ``bad`` marks the rows that break it, ``message`` says why (read only there)."""

    column: str
    bad: pl.Expr
    message: pl.Expr


@dataclass(frozen=True, slots=True)
class Parsed:
    """An output column: its typed ``value`` and the ``checks`` its source text must pass.

    ``helpers`` are named intermediate columns, computed layer by layer over the whole frame before the
    value and the checks, which refer to them by name: an expensive parse runs once, and a message may
    use a whole-frame result (such as the first row of a repeated key) on the rows it describes.
    """

    value: pl.Expr
    checks: list[Check] = field(default_factory=list)
    helpers: Layers = ()

    def requiring(self, column: str) -> Parsed:
        """The same column with a value required in every row."""
        return Parsed(self.value, [required(column), *self.checks], self.helpers)

    def with_checks(self, *checks: Check, first: Sequence[Check] = ()) -> Parsed:
        return Parsed(self.value, [*first, *self.checks, *checks], self.helpers)


def required(column: str) -> Check:
    return Check(column, pl.col(column).is_null(), pl.lit("a value is required"))


def shown(text: pl.Expr) -> pl.Expr:
    """The value as it appears in a message: quoted, control characters masked, long values cut."""
    masked = text.str.replace_all(_UNPRINTABLE, "?")
    cut = (
        pl.when(masked.str.len_chars() > SHOWN_CHARS)
        .then(pl.concat_str([masked.str.slice(0, SHOWN_CHARS), pl.lit("…")]))
        .otherwise(masked)
    )
    return pl.concat_str([pl.lit("'"), cut, pl.lit("'")])


def one_of(values: Iterable[str]) -> str:
    return ", ".join(values)


def duplicate_key(keys: Sequence[str], *, column: str, label: str | None = None) -> Parsed:
    """Later rows whose key repeats an earlier row's (in file order); the message names the first row.

    A rule for `evaluate`: its helper (the first row of each key) is computed over the whole frame."""
    first_row = f"__first_row_{'_'.join(keys)}"
    present = pl.all_horizontal([pl.col(key).is_not_null() for key in keys])
    key_text = label or "/".join(keys)
    check = Check(
        column,
        present & (pl.col(ROW) != pl.col(first_row)),
        pl.format("duplicate {}: row {} has the same one", pl.lit(key_text), pl.col(first_row)),
    )
    return Parsed(pl.lit(None), [check], ((pl.col(ROW).min().over(list(keys)).alias(first_row),),))


def prepare(raw: pl.DataFrame, columns: Iterable[str]) -> pl.DataFrame:
    """Text columns with empty cells as null, a ``row`` number, and every column in ``columns`` present."""
    frame = raw if ROW in raw.columns else raw.with_row_index(ROW, offset=FIRST_DATA_ROW)
    text_columns = [name for name in frame.columns if name != ROW]
    frame = frame.with_columns(
        pl.col(ROW).cast(pl.Int64), *[pl.col(name).cast(pl.String) for name in text_columns]
    )
    if text_columns:  # replacing costs a pass per column: only where some cell is empty
        has_empty = frame.select([(pl.col(name) == "").any() for name in text_columns]).row(0)
        emptied = [name for name, empty in zip(text_columns, has_empty, strict=True) if empty]
        frame = frame.with_columns([pl.col(name).replace("", None) for name in emptied])
    absent = [name for name in columns if name not in frame.columns]
    return frame.with_columns([pl.lit(None, dtype=pl.String).alias(name) for name in absent])


def missing_columns(raw: pl.DataFrame, required_columns: Sequence[str]) -> pl.DataFrame:
    """One reject (row null) per required column the file lacks, with a hint when only case differs."""
    lowered = {name.lower(): name for name in raw.columns}
    lines = []
    for name in required_columns:
        if name in raw.columns:
            continue
        near = lowered.get(name.lower())
        hint = f" (found {near!r}: column names are case-sensitive)" if near else ""
        lines.append({"row": None, "column": name, "reason": f"required column is missing{hint}"})
    return pl.DataFrame(lines, schema=REJECT_SCHEMA)


def typed_frame(typed: pl.DataFrame, schema: Mapping[str, pl.DataType], *extra: str) -> pl.DataFrame:
    """``typed`` conformed to ``schema`` (absent columns as nulls), followed by the ``extra`` columns."""
    return typed.select(
        *[
            (pl.col(name) if name in typed.columns else pl.lit(None)).cast(dtype).alias(name)
            for name, dtype in schema.items()
        ],
        *[pl.col(name) for name in extra],
    )


def evaluate(
    frame: pl.DataFrame,
    parsed: Mapping[str, Parsed],
    *,
    column_order: Sequence[str],
    rules: Sequence[Parsed] = (),
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Run every helper, value and check over ``frame``; return (typed valid rows, rejects).

    The typed frame has one column per key of ``parsed`` plus ``row``; ``rules`` add checks across
    columns (their values are not kept). Rejects are sorted by row and by the column's position in
    ``column_order``.
    """
    everything = [*parsed.values(), *rules]
    worked = _with_helpers(frame, [item.helpers for item in everything])
    checks = [check for item in everything for check in item.checks]
    flags = [f"__bad{index}" for index in range(len(checks))]
    rejected = pl.any_horizontal(flags) if flags else pl.lit(False)
    worked = worked.with_columns(
        *[item.value.alias(f"__value_{name}") for name, item in parsed.items()],
        *[check.bad.fill_null(False).alias(flag) for check, flag in zip(checks, flags, strict=True)],
    ).with_columns(rejected.alias("__rejected"))
    values = [pl.col(f"__value_{name}").alias(name) for name in parsed]
    if not worked.get_column("__rejected").any():
        return worked.select(*values, pl.col(ROW)), pl.DataFrame(schema=REJECT_SCHEMA)
    valid = worked.filter(~pl.col("__rejected")).select(*values, pl.col(ROW))
    return valid, _messages(worked.filter(pl.col("__rejected")), checks, flags, column_order)


def _with_helpers(frame: pl.DataFrame, helpers: Sequence[Layers]) -> pl.DataFrame:
    depth = max((len(layers) for layers in helpers), default=0)
    for level in range(depth):
        named: dict[str, pl.Expr] = {}
        for layers in helpers:
            for expr in layers[level] if level < len(layers) else ():
                named.setdefault(expr.meta.output_name(), expr)  # a helper shared by columns runs once
        frame = frame.with_columns(list(named.values()))
    return frame


def _messages(
    rejected: pl.DataFrame, checks: Sequence[Check], flags: Sequence[str], column_order: Sequence[str]
) -> pl.DataFrame:
    by_column: dict[str, list[pl.Expr]] = {}
    for check, flag in zip(checks, flags, strict=True):
        by_column.setdefault(check.column, []).append(pl.when(pl.col(flag)).then(check.message))
    reasons = rejected.select(
        pl.col(ROW), *[pl.coalesce(messages).alias(column) for column, messages in by_column.items()]
    )
    position = {name: index for index, name in enumerate(column_order)}
    return (
        reasons.unpivot(index=ROW, variable_name="column", value_name="reason")
        .drop_nulls("reason")
        .with_columns(pl.col("column").replace_strict(position, default=len(position)).alias("__position"))
        .sort([ROW, "__position"])
        .select(list(REJECT_SCHEMA))
    )


def format_rejects(rejects: pl.DataFrame, file: str) -> list[str]:
    """Lines such as ``accounts.csv, row 7, column principal: '12.345' has 3 decimals; CNY has 2``."""
    where = pl.concat_str(
        [
            pl.lit(file),
            pl.when(pl.col("row").is_not_null())
            .then(pl.format(", row {}", pl.col("row")))
            .otherwise(pl.lit("")),
            pl.when(pl.col("column").is_not_null())
            .then(pl.format(", column {}", pl.col("column")))
            .otherwise(pl.lit("")),
        ]
    )
    return rejects.select(pl.format("{}: {}", where, pl.col("reason"))).to_series().to_list()
