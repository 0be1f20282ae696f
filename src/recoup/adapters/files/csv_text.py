"""Parse CSV text (UTF-8 bytes) into String columns, proving every record has the header's width.

Polars parses; it pads a record that is short and fails on one that is long, and it numbers records,
not lines. So a byte census of the file (separators outside quotes, line ends inside them, whitespace at
value edges) proves cheaply that nothing was padded and that each record is one line. Only when the
census cannot prove it are the lines read again, quote-aware, to name the ragged row or to number rows
by the line where each record starts.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import polars as pl

from recoup.core.errors import ValidationError

ROW: Final = "row"
HEADER_ROW: Final = 1
FIRST_DATA_ROW: Final = 2
_CHUNK: Final = 1 << 20
_COMMA, _QUOTE, _LF, _CR, _SPACE, _TAB = (ord(char) for char in ',"\n\r \t')
_RARE_ASCII_SPACES: Final = (0x0B, 0x0C)  # vertical tab, form feed: if present at all, strip
_BOUNDARY: Final = np.zeros(256, dtype=bool)
_BOUNDARY[[_COMMA, _LF, _CR]] = True
# Polars' strip removes Unicode White_Space; these are its characters beyond ASCII, as UTF-8.
_WIDE_SPACES: Final = tuple(
    char.encode()
    for char in "\x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000" + "".join(map(chr, range(0x2000, 0x200B)))
)
_WIDE_LEADS: Final = tuple(sorted({pattern[0] for pattern in _WIDE_SPACES}))
_LINE_SEPARATORS: Final = ("\x1f", "\x1e", "\x1d", "\x1c", "\x01")
_QUOTED_FIELD: Final = r'"(?:[^"]|"")*"'
_NO_BYTES: Final = np.zeros(0, dtype=np.uint8)


def positional(width: int) -> list[str]:
    """Column names by position, used until the header's names are checked."""
    return [f"__c{index}" for index in range(width)]


def csv_header(utf8: bytes, name: str) -> list[str]:
    """The first record's names, stripped."""
    stream = io.TextIOWrapper(io.BytesIO(utf8), encoding="utf-8", newline="")
    try:
        first = next(csv.reader(stream), [])
    except csv.Error as error:
        raise ValidationError(f"cannot read the header: {error}", file=name, row=HEADER_ROW) from None
    names = [cell.strip() for cell in first]
    if not any(names):
        raise ValidationError(
            "the header row is empty: the file must start with a row naming the columns",
            file=name,
            row=HEADER_ROW,
        )
    return names


def csv_frame(utf8: bytes, width: int, name: str) -> pl.DataFrame:
    """``row`` (the line each record starts on) and one String column per header field, stripped; rows
    with no value at all are left out. Raises `ValidationError` naming a ragged row or an open quote."""
    census = _census(utf8, np.frombuffer(utf8, dtype=np.uint8))
    strip = [pl.all().str.strip_chars()] if census.edge_whitespace else []
    try:
        frame = (
            pl.scan_csv(
                utf8,
                has_header=True,
                new_columns=positional(width),
                infer_schema=False,
                empty_string_is_null=False,
                truncate_ragged_lines=False,
            )
            .with_columns(strip)
            .collect()
        )
    except pl.exceptions.PolarsError as error:
        _record_lines(utf8, width, name)  # names the ragged row or the open quote when it can
        raise ValidationError(f"is not a well-formed CSV file: {first_line(error)}", file=name) from None
    empty_rows = all_empty(frame.columns)
    if census.proves(frame.height, width) and not frame.select(empty_rows.any()).item():
        return frame.with_row_index(ROW, offset=FIRST_DATA_ROW)
    lines = _record_lines(utf8, width, name)
    kept = frame.filter(~empty_rows)
    if kept.height != lines.len():
        raise ValidationError(
            "is not a well-formed CSV file (a stray quote character?): rows could not be matched to lines",
            file=name,
        )
    return kept.with_columns(lines.alias(ROW)).select(ROW, *positional(width))


def first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def all_empty(columns: Sequence[str]) -> pl.Expr:
    return pl.all_horizontal([pl.col(column) == "" for column in columns])


# --- the byte census ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Census:
    separators: int  # commas outside quotes, the header's included
    quotes_balanced: bool
    value_spans_lines: bool  # a line end inside quotes
    edge_whitespace: bool  # some whitespace may touch a value's edge: values need stripping

    def proves(self, records: int, width: int) -> bool:
        """Every one of ``records`` data records (plus the header) has ``width`` fields on one line.

        Polars raised on any record with too many fields, so the exact separator total leaves no room for
        one with too few."""
        return (
            self.quotes_balanced
            and not self.value_spans_lines
            and self.separators == (width - 1) * (records + HEADER_ROW)
        )


def _census(utf8: bytes, view: np.ndarray) -> _Census:
    """Chunk by cache-sized chunk; quote parity carries from chunk to chunk. Commas are counted, not
    located: those inside quotes are counted among the bytes between quote pairs, few in most files."""
    leads = tuple(lead for lead in _WIDE_LEADS if bytes([lead]) in utf8)
    returns = b"\r" in utf8
    parity = 0
    separators = 0
    spans = edge = any(bytes([code]) in utf8 for code in _RARE_ASCII_SPACES)
    for start in range(0, view.size, _CHUNK):
        chunk = view[start : start + _CHUNK]
        quotes = np.flatnonzero(chunk == _QUOTE)
        quoted = _quoted_bytes(chunk, quotes, parity)
        separators += int(np.count_nonzero(chunk == _COMMA)) - int(np.count_nonzero(quoted == _COMMA))
        spans = spans or bool(np.any(quoted == _LF))
        if not edge:
            edge = (
                spans
                or _wide_space(view, start, chunk, leads)
                or _edge_space(view, start, chunk, quotes, parity)
                or (returns and _stray_return(view, start, chunk, quotes, parity))
            )
        parity = (parity + quotes.size) & 1
    return _Census(separators, parity == 0, spans, edge)


def _quoted_bytes(chunk: np.ndarray, quotes: np.ndarray, parity: int) -> np.ndarray:
    """The chunk's bytes that lie inside quotes, quote characters left out. The quotes cut the chunk
    into stretches that are alternately inside and outside, the first one with the parity carried in."""
    if quotes.size == 0:
        return chunk if parity else _NO_BYTES
    cuts = np.concatenate(([0], quotes, [chunk.size]))
    inside = ((np.arange(cuts.size - 1) + parity) & 1).astype(bool)
    starts = cuts[:-1][inside] + (np.flatnonzero(inside) > 0)  # a stretch after a quote starts past it
    lengths = np.maximum(cuts[1:][inside] - starts, 0)
    if not lengths.sum():
        return _NO_BYTES
    # every index of every stretch, without a loop: each stretch's start repeated, plus a running count
    offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
    return chunk[offsets + np.arange(int(lengths.sum()))]


def _inside(positions: np.ndarray, quotes: np.ndarray, parity: int) -> np.ndarray:
    """Which ``positions`` lie inside quotes: an odd count of quotes before them (plus the carried parity)."""
    return ((np.searchsorted(quotes, positions) + parity) & 1).astype(bool)


def _wide_space(view: np.ndarray, start: int, chunk: np.ndarray, leads: Sequence[int]) -> bool:
    """Any Unicode space beyond ASCII in the chunk (rare enough not to ask where it sits)."""
    for lead in leads:
        found_leads = np.flatnonzero(chunk == lead) + start
        for pattern in _WIDE_SPACES:
            if pattern[0] != lead:
                continue
            found = found_leads[found_leads + len(pattern) <= view.size]
            for offset, byte in enumerate(pattern[1:], start=1):
                found = found[view[found + offset] == byte]
            if found.size:
                return True
    return False


def _stray_return(view: np.ndarray, start: int, chunk: np.ndarray, quotes: np.ndarray, parity: int) -> bool:
    """A carriage return that is not the first half of a line end: inside quotes, or alone. It may sit at
    a value's edge, and stripping is then the safe side."""
    returns = np.flatnonzero(chunk == _CR)
    following = view[np.minimum(returns + start + 1, view.size - 1)]
    return bool(np.any(_inside(returns, quotes, parity) | (following != _LF)))


def _edge_space(view: np.ndarray, start: int, chunk: np.ndarray, quotes: np.ndarray, parity: int) -> bool:
    """A space or tab that touches a value's edge: the file's ends, a quote, or (outside quotes) a
    separator or line end."""
    spaces = np.flatnonzero((chunk == _SPACE) | (chunk == _TAB))
    if spaces.size == 0:
        return False
    where = spaces + start
    if where[0] == 0 or where[-1] == view.size - 1:
        return True
    before, after = view[where - 1], view[where + 1]
    touches_quote = (before == _QUOTE) | (after == _QUOTE)
    boundary = _BOUNDARY[before] | _BOUNDARY[after]
    return bool(np.any(touches_quote | (boundary & ~_inside(spaces, quotes, parity))))


# --- the slow, exact path -----------------------------------------------------------------------


def _record_lines(utf8: bytes, width: int, name: str) -> pl.Series:
    """The line each non-blank data record starts on, after checking that every record has ``width``
    fields and every quote is closed. Columnar: lines are grouped into records while a quote is open."""
    separator = next((char for char in _LINE_SEPARATORS if char.encode() not in utf8), None)
    if separator is None:
        raise ValidationError("contains control characters that a CSV file should not hold", file=name)
    lines = pl.read_csv(
        utf8,
        has_header=False,
        separator=separator,
        quote_char=None,
        infer_schema=False,
        empty_string_is_null=False,
        new_columns=["text"],
    ).with_row_index("line", offset=1)
    open_after = (pl.col("text").str.count_matches('"', literal=True).cum_sum() % 2) == 1
    records = (
        lines.with_columns(open_after.alias("open"))
        .with_columns((~pl.col("open").shift(1, fill_value=False)).cum_sum().alias("record"))
        .group_by("record", maintain_order=True)
        .agg(pl.col("line").first(), pl.col("text").str.join("\n"), pl.col("open").last())
    )
    unclosed = records.filter(pl.col("open"))
    if not unclosed.is_empty():
        raise ValidationError(
            "a quoted value opens here and is never closed", file=name, row=int(unclosed.item(0, "line"))
        )
    outside_quotes = pl.col("text").str.replace_all(_QUOTED_FIELD, "")
    quoted_content = (
        pl.col("text")
        .str.extract_all(_QUOTED_FIELD)
        .list.eval(pl.element().str.slice(1, pl.element().str.len_chars() - 2))
        .list.join("")
    )
    records = records.with_columns(
        (outside_quotes.str.count_matches(",", literal=True) + 1).alias("fields"),
        (
            (outside_quotes.str.replace_all(r"[,\s]", "") == "")
            & (quoted_content.str.replace_all(r"\s", "") == "")
        ).alias("blank"),
    ).slice(1)
    # a record with no values is skipped, unless it has more separators than Polars can place
    ragged = records.filter((pl.col("fields") != width) & ~(pl.col("blank") & (pl.col("fields") < width)))
    if not ragged.is_empty():
        first = ragged.row(0, named=True)
        more = f" ({ragged.height - 1} more rows are ragged too)" if ragged.height > 1 else ""
        raise ValidationError(
            f"has {first['fields']} fields; the header has {width}{more}", file=name, row=int(first["line"])
        )
    return records.filter(~pl.col("blank")).get_column("line").cast(pl.Int64)
