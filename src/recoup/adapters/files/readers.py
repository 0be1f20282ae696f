"""Read portfolio files (CSV, Parquet, XLSX) into text columns with the row numbers a person sees.

Every value comes back as String exactly as written, with surrounding whitespace stripped; typing and
judging the values is `recoup.core.intake`'s job. Problems with the file as a whole (unsupported type,
undecodable bytes, no header, ragged rows, too large) raise `ValidationError` naming the file and,
where there is one, the row.
"""

from __future__ import annotations

import codecs
import collections
import csv
import datetime as dt
import io
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import polars as pl
import python_calamine

from recoup.core.errors import ValidationError

ROW: Final = "row"
HEADER_ROW: Final = 1
FIRST_DATA_ROW: Final = 2
SUFFIXES: Final = (".csv", ".parquet", ".xlsx")
# A workbook is a zip: its unpacked parts may be at most this many times the upload limit.
XLSX_UNPACKED_FACTOR: Final = 10
GB_SAMPLE_BYTES: Final = 1 << 20
_DECODE_CHUNK: Final = 1 << 24

_UTF8_BOM: Final = codecs.BOM_UTF8
_UTF16_32_BOMS: Final = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_SIGNATURES: Final = (
    (b"PK\x03\x04", "a zip archive (an .xlsx workbook?), not a CSV file: give it its real extension"),
    (b"\xd0\xcf\x11\xe0", "an old binary Excel (.xls) file: save it as .xlsx or CSV (UTF-8)"),
    (b"PAR1", "a Parquet file: give it the .parquet extension"),
)
_LINE_SEPARATORS: Final = (b"\x1f", b"\x1e", b"\x1d", b"\x1c", b"\x01")
# Every character Polars' strip removes (Unicode White_Space), as UTF-8.
_WHITESPACE_UTF8: Final = tuple(
    char.encode()
    for char in "\t\n\x0b\x0c\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000"
    + "".join(chr(code) for code in range(0x2000, 0x200B))
)
_EDGE: Final = np.zeros(256, dtype=bool)
_EDGE[[ord(","), ord("\n"), ord("\r"), ord('"')]] = True
_QUOTED_FIELD: Final = r'"(?:[^"]|"")*"'
_QUOTE: Final = np.zeros(256, dtype=bool)
_QUOTE[ord('"')] = True
_NONE: Final = np.zeros(0, dtype=np.int64)


@dataclass(frozen=True, slots=True)
class RawTable:
    """A file's cells as text: ``row`` (Int64, header = 1) then the header's columns, all String."""

    frame: pl.DataFrame
    file: str
    format: str  # "csv", "parquet" or "xlsx"
    encoding: str | None = None  # for CSV: "utf-8", "utf-8-sig" or "gb18030"

    @property
    def columns(self) -> list[str]:
        return [name for name in self.frame.columns if name != ROW]


def read_table(path: Path, *, max_bytes: int | None = None) -> RawTable:
    """Read a CSV, Parquet or XLSX file by its extension.

    ``max_bytes`` refuses larger files before reading them (and, for XLSX, workbooks whose unpacked
    parts exceed ten times the limit).
    """
    name = path.name
    readers: dict[str, Callable[[Path, str, int | None], RawTable]] = {
        ".csv": _read_csv,
        ".parquet": _read_parquet,
        ".xlsx": _read_xlsx,
    }
    reader = readers.get(path.suffix.lower())
    if reader is None:
        raise ValidationError(
            f"unsupported file type {path.suffix or '(none)'!r}: use {', '.join(SUFFIXES)}", file=name
        )
    try:
        size = path.stat().st_size
    except OSError as error:
        raise ValidationError(f"cannot read the file: {error.strerror or error}", file=name) from None
    if not path.is_file():
        raise ValidationError("is not a regular file", file=name)
    if max_bytes is not None and size > max_bytes:
        raise ValidationError(
            f"the file is {_human(size)}; the limit is {_human(max_bytes)}",
            file=name,
        )
    if size == 0:
        raise ValidationError("the file is empty", file=name)
    return reader(path, name, max_bytes)


def _human(size: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.1f} {unit} ({size:,} bytes)"
    return f"{size} bytes"


# --- CSV ----------------------------------------------------------------------------------------


def _read_csv(path: Path, name: str, max_bytes: int | None) -> RawTable:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ValidationError(f"cannot read the file: {error.strerror or error}", file=name) from None
    utf8, encoding = decode_to_utf8(data, name)
    if not utf8[:4096].strip() and not utf8.strip():
        raise ValidationError("the file is empty", file=name)
    header = _csv_header(utf8, name)
    frame = _csv_frame(utf8, header, name)
    return RawTable(_finish(frame, header, name), name, "csv", encoding)


def decode_to_utf8(data: bytes, name: str) -> tuple[bytes, str]:
    """The file's bytes as UTF-8 (without a byte-order mark) and the encoding they were in.

    Accepted: UTF-8, UTF-8 with a byte-order mark, and GBK/GB18030 (decoded as GB18030, its superset).
    """
    if data.startswith(_UTF8_BOM):
        body = data[len(_UTF8_BOM) :]
        bad = _first_invalid_utf8(body)
        if bad is not None:
            raise ValidationError(
                f"starts with a UTF-8 byte-order mark but is not valid UTF-8 (byte 0x{body[bad]:02X})",
                file=name,
                row=body.count(b"\n", 0, bad) + 1,
            )
        return body, "utf-8-sig"
    if data.startswith(_UTF16_32_BOMS):
        raise ValidationError("is UTF-16 or UTF-32 text: save it as UTF-8", file=name)
    for signature, what in _SIGNATURES:
        if data.startswith(signature):
            raise ValidationError(f"is {what}", file=name)
    if b"\x00" in data:
        raise ValidationError(
            "contains NUL bytes: it is binary, or UTF-16 without a byte-order mark; save it as UTF-8",
            file=name,
            row=data.count(b"\n", 0, data.index(b"\x00")) + 1,
        )
    if data.isascii():
        return data, "utf-8"
    bad = _first_invalid_utf8(data)
    if bad is None:
        return data, "utf-8"
    return _gb18030_to_utf8(data, name, bad), "gb18030"


def _first_invalid_utf8(data: bytes) -> int | None:
    """Where the first byte that is not UTF-8 sits, or None; decodes in chunks to keep memory flat."""
    offset = 0
    while offset < len(data):
        final = offset + _DECODE_CHUNK >= len(data)
        try:
            _, consumed = codecs.utf_8_decode(data[offset : offset + _DECODE_CHUNK], "strict", final)
        except UnicodeDecodeError as error:
            return offset + error.start
        offset += consumed  # a character split by the chunk's end is decoded with the next chunk
    return None


def _gb18030_to_utf8(data: bytes, name: str, utf8_error_at: int) -> bytes:
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        raise ValidationError(
            f"is neither UTF-8 nor GBK/GB18030 (byte 0x{data[utf8_error_at]:02X} is not valid UTF-8): "
            "save it as UTF-8",
            file=name,
            row=data.count(b"\n", 0, utf8_error_at) + 1,
        ) from None
    if _looks_single_byte(text[:GB_SAMPLE_BYTES]):
        raise ValidationError(
            "is not UTF-8 and does not read as Chinese GBK/GB18030 text either (it looks like a "
            "single-byte encoding such as Latin-1 or Windows-1252): save it as UTF-8",
            file=name,
            row=data.count(b"\n", 0, utf8_error_at) + 1,
        )
    return text.encode("utf-8")


def _looks_single_byte(sample: str) -> bool:
    """True when the non-ASCII text is mostly what a single-byte encoding turns into under GB18030.

    An accented Latin letter followed by an ASCII letter decodes as a rare two-byte GBK character whose
    second byte is ASCII, or as a four-byte GB18030 sequence. Chinese text is dominated by the common
    characters (both bytes above 0xA0), so those rare forms stay a small share of it.
    """
    counts = collections.Counter(char for char in sample if not char.isascii())
    total = sum(counts.values())
    if total == 0:
        return False
    rare = sum(count for char, count in counts.items() if _is_rare_gb(char))
    return rare * 2 > total


def _is_rare_gb(char: str) -> bool:
    encoded = char.encode("gb18030")
    return len(encoded) != 2 or encoded[1] < 0x80


def _csv_header(utf8: bytes, name: str) -> list[str]:
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


def _csv_frame(utf8: bytes, header: Sequence[str], name: str) -> pl.DataFrame:
    """Parse with Polars (all String); confirm every record has the header's field count, and number
    the rows by the line they start on."""
    positional = [f"__c{index}" for index in range(len(header))]
    view = np.frombuffer(utf8, dtype=np.uint8)
    strip = [pl.all().str.strip_chars()] if _may_need_strip(utf8, view) else []
    try:
        frame = (
            pl.scan_csv(
                utf8,
                has_header=True,
                new_columns=positional,
                infer_schema=False,
                empty_string_is_null=False,
                truncate_ragged_lines=False,
            )
            .with_columns(strip)
            .collect()
        )
    except pl.exceptions.PolarsError as error:
        _csv_records(utf8, len(header), name)  # names the ragged row or the open quote when it can
        raise ValidationError(f"is not a well-formed CSV file: {_first_line(error)}", file=name) from None
    if _fields_line_up(utf8, view, frame, header):
        return frame.with_row_index(ROW, offset=FIRST_DATA_ROW)
    records = _csv_records(utf8, len(header), name)
    kept = frame.filter(~_all_empty(frame.columns))
    if kept.height != records.height:
        raise ValidationError(
            "is not a well-formed CSV file (a stray quote character?): rows could not be matched to lines",
            file=name,
        )
    return kept.with_columns(records.get_column("line").alias(ROW)).select(ROW, *positional)


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _all_empty(columns: Sequence[str]) -> pl.Expr:
    return pl.all_horizontal([pl.col(name) == "" for name in columns])


def _fields_line_up(utf8: bytes, view: np.ndarray, frame: pl.DataFrame, header: Sequence[str]) -> bool:
    """The cheap proof that no record is short and each row is one line: no blank rows, the count of
    separators outside quotes is exactly (columns - 1) per record, and no value spans lines.

    Polars pads a short record with empty values and raises on a long one, so a short record shows up
    here as a missing separator."""
    if frame.is_empty():
        return True
    if frame.select(_all_empty(frame.columns).any()).item():
        return False
    separators = int(np.count_nonzero(view == ord(",")))
    quoted = b'"' in utf8
    if quoted:
        inside = (
            sum(name.count(",") for name in header)
            + frame.select(pl.sum_horizontal(pl.all().str.count_matches(",", literal=True).sum())).item()
        )
        separators -= int(inside)
        lines = utf8.count(b"\n") + (0 if utf8.endswith(b"\n") else 1)
        if lines != frame.height + HEADER_ROW:
            return False
    return separators == (len(header) - 1) * (frame.height + HEADER_ROW)


def _may_need_strip(utf8: bytes, view: np.ndarray) -> bool:
    """False only when no whitespace character touches a value's edge (a separator, quote or line end),
    so that stripping every value, the costliest step of a read, can be skipped. Byte-level and
    conservative: any doubt answers True."""
    size = view.size
    quoted = b'"' in utf8
    ascii_only = utf8.isascii()
    lead_positions: dict[int, np.ndarray] = {}
    for pattern in _WHITESPACE_UTF8:
        lead = pattern[0]
        line_end = lead in (0x0A, 0x0D)
        if (line_end and not quoted) or (lead > 0x7F and ascii_only):
            continue
        if lead not in lead_positions:
            lead_positions[lead] = np.flatnonzero(view == lead) if utf8.find(bytes([lead])) >= 0 else _NONE
        where = lead_positions[lead]
        for offset, byte in enumerate(pattern[1:], start=1):
            where = where[(where + offset < size) & (view[np.minimum(where + offset, size - 1)] == byte)]
        if where.size == 0:
            continue
        before = view[np.maximum(where - 1, 0)]
        after_index = where + len(pattern)
        after = view[np.minimum(after_index, size - 1)]
        if line_end:  # a line end always touches a line; only a quote beside it can be a value's edge
            touches = _QUOTE[before] | _QUOTE[after]
        else:
            touches = (where == 0) | (after_index >= size) | _EDGE[before] | _EDGE[after]
        if touches.any():
            return True
    return False


def _csv_records(utf8: bytes, width: int, name: str) -> pl.DataFrame:
    """The data records as (line where each starts) with the blank ones left out, after checking that
    every record has ``width`` fields and every quote is closed. Quote-aware and columnar: lines are
    grouped into records while a quoted value is open."""
    separator = next((byte for byte in _LINE_SEPARATORS if byte not in utf8), None)
    if separator is None:
        raise ValidationError("contains control characters that a CSV file should not hold", file=name)
    lines = pl.read_csv(
        utf8,
        has_header=False,
        separator=separator.decode(),
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
    return records.filter(~pl.col("blank")).select("line")


# --- Parquet ------------------------------------------------------------------------------------


def _read_parquet(path: Path, name: str, max_bytes: int | None) -> RawTable:
    try:
        frame = pl.read_parquet(path)
    except (pl.exceptions.PolarsError, OSError) as error:
        raise ValidationError(f"cannot read the Parquet file: {_first_line(error)}", file=name) from None
    header = [column.strip() for column in frame.columns]
    texts = [
        _as_text(frame.get_column(column), name).alias(f"__c{index}")
        for index, column in enumerate(frame.columns)
    ]
    text_frame = pl.DataFrame(texts) if texts else pl.DataFrame()
    return RawTable(
        _finish(text_frame.with_row_index(ROW, offset=FIRST_DATA_ROW), header, name), name, "parquet"
    )


def _as_text(series: pl.Series, file: str) -> pl.Series:
    """A Parquet column as the text a CSV would hold: ISO dates and instants, true/false, plain numbers."""
    dtype = series.dtype
    if isinstance(dtype, pl.Datetime):
        pattern = "%Y-%m-%dT%H:%M:%S%.f%:z" if dtype.time_zone else "%Y-%m-%dT%H:%M:%S%.f"
        text = series.dt.to_string(pattern)
    elif dtype.is_nested() or dtype in (pl.Binary, pl.Object):
        raise ValidationError(
            f"has type {dtype}, which a portfolio file cannot hold", file=file, field=series.name
        )
    else:
        text = series.cast(pl.String)
    return text.fill_null("").str.strip_chars()


# --- XLSX ---------------------------------------------------------------------------------------


def _read_xlsx(path: Path, name: str, max_bytes: int | None) -> RawTable:
    if max_bytes is not None:
        _check_unpacked_size(path, name, max_bytes * XLSX_UNPACKED_FACTOR)
    try:
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
        rows = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except (python_calamine.CalamineError, OSError, ValueError) as error:
        raise ValidationError(f"cannot read the workbook: {_first_line(error)}", file=name) from None
    if not rows or not any(_cell_text(cell) for cell in rows[0]):
        raise ValidationError(
            "the header row is empty: row 1 of the first sheet must name the columns",
            file=name,
            row=HEADER_ROW,
        )
    header = [_cell_text(cell) for cell in rows[0]]
    columns = list(zip(*rows[1:], strict=True)) if len(rows) > 1 else [() for _ in header]
    frame = pl.DataFrame(
        [
            pl.Series(f"__c{index}", [_cell_text(cell) for cell in column], dtype=pl.String)
            for index, column in enumerate(columns)
        ]
    )
    return RawTable(_finish(frame.with_row_index(ROW, offset=FIRST_DATA_ROW), header, name), name, "xlsx")


def _check_unpacked_size(path: Path, name: str, limit: int) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError):
        raise ValidationError("is not an .xlsx workbook (not a zip archive)", file=name) from None
    if unpacked > limit:
        raise ValidationError(
            f"the workbook unpacks to {_human(unpacked)}; the limit is {_human(limit)}", file=name
        )


def _cell_text(cell: object) -> str:
    """A workbook cell as the text a CSV would hold. Whole numbers lose Excel's '.0'; dates are ISO."""
    if isinstance(cell, str):
        return cell.strip()
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, float):
        return str(int(cell)) if cell.is_integer() and abs(cell) < 2**53 else repr(cell)
    if isinstance(cell, dt.datetime | dt.date | dt.time):
        return cell.isoformat()
    return "" if cell is None else str(cell).strip()


# --- shared -------------------------------------------------------------------------------------


def _finish(frame: pl.DataFrame, header: Sequence[str], name: str) -> pl.DataFrame:
    """Name the positional columns after the header, drop unnamed empty columns and rows without any
    value, and refuse unnamed columns with values, repeated names and the reserved name ``row``."""
    positional = [f"__c{index}" for index in range(len(header))]
    keep: list[int] = []
    for index, column in enumerate(header):
        if column:
            keep.append(index)
            continue
        filled = frame.filter(pl.col(positional[index]) != "")
        if not filled.is_empty():
            raise ValidationError(
                f"column {index + 1} has values but no name in the header",
                file=name,
                row=int(filled.item(0, ROW)),
            )
    seen: dict[str, int] = {}
    for index in keep:
        column = header[index]
        if column == ROW:
            raise ValidationError(
                f"column {index + 1} is named 'row', a name Recoup reserves: rename it", file=name
            )
        if column in seen:
            raise ValidationError(
                f"the header names {column!r} twice (columns {seen[column] + 1} and {index + 1})",
                file=name,
                row=HEADER_ROW,
                field=column,
            )
        seen[column] = index
    named = frame.select(
        pl.col(ROW).cast(pl.Int64), *[pl.col(positional[index]).alias(header[index]) for index in keep]
    )
    values = [header[index] for index in keep]
    if not values or not named.select(_all_empty(values).any()).item():
        return named
    return named.filter(~_all_empty(values))
