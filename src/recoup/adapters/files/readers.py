"""Read portfolio files (CSV, Parquet, XLSX) into text columns with the row numbers a person sees.

Every value comes back as String exactly as written, with surrounding whitespace stripped; typing and
judging the values is `recoup.core.intake`'s job. Problems with the file as a whole (unsupported type,
undecodable bytes, no header, ragged rows, too large) raise `ValidationError` naming the file and,
where there is one, the row.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import polars as pl
import python_calamine

from recoup.adapters.files.csv_text import (
    FIRST_DATA_ROW,
    HEADER_ROW,
    ROW,
    all_empty,
    csv_frame,
    csv_header,
    first_line,
    positional,
)
from recoup.adapters.files.encodings import decode_to_utf8
from recoup.core.errors import ValidationError

SUFFIXES: Final = (".csv", ".parquet", ".xlsx")
# A workbook is a zip: its unpacked parts may be at most this many times the upload limit.
XLSX_UNPACKED_FACTOR: Final = 10


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
    header = csv_header(utf8, name)
    return RawTable(_finish(csv_frame(utf8, len(header), name), header, name), name, "csv", encoding)


# --- Parquet ------------------------------------------------------------------------------------


def _read_parquet(path: Path, name: str, max_bytes: int | None) -> RawTable:
    try:
        frame = pl.read_parquet(path)
    except (pl.exceptions.PolarsError, OSError) as error:
        raise ValidationError(f"cannot read the Parquet file: {first_line(error)}", file=name) from None
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
        raise ValidationError(f"cannot read the workbook: {first_line(error)}", file=name) from None
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
    names = positional(len(header))
    keep: list[int] = []
    for index, column in enumerate(header):
        if column:
            keep.append(index)
            continue
        filled = frame.filter(pl.col(names[index]) != "")
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
        pl.col(ROW).cast(pl.Int64), *[pl.col(names[index]).alias(header[index]) for index in keep]
    )
    values = [header[index] for index in keep]
    if not values or not named.select(all_empty(values).any()).item():
        return named
    return named.filter(~all_empty(values))
