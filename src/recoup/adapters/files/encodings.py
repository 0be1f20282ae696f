"""Which text encoding a CSV file is in, and its bytes as UTF-8.

Accepted: UTF-8 (with or without a byte-order mark) and GBK/GB18030, common for Chinese placement files.
Anything else is refused with a message that says what the file looks like and the row of the first
byte that could not be read.
"""

from __future__ import annotations

import codecs
import collections
from typing import Final

import polars as pl

from recoup.core.errors import ValidationError

GB_SAMPLE_CHARS: Final = 1 << 20
_DECODE_CHUNK: Final = 1 << 24
_UTF8_BOM: Final = codecs.BOM_UTF8
_UTF16_32_BOMS: Final = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_SIGNATURES: Final = (
    (b"PK\x03\x04", "a zip archive (an .xlsx workbook?), not a CSV file: give it its real extension"),
    (b"\xd0\xcf\x11\xe0", "an old binary Excel (.xls) file: save it as .xlsx or CSV (UTF-8)"),
    (b"PAR1", "a Parquet file: give it the .parquet extension"),
)


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
    bad = _first_invalid_utf8(data)
    if bad is None:
        return data, "utf-8"
    return _gb18030_to_utf8(data, name, bad), "gb18030"


def _first_invalid_utf8(data: bytes) -> int | None:
    """Where the first byte that is not UTF-8 sits, or None. Polars' vectorised check answers whether;
    only a file that fails it is decoded again, in chunks, to find where."""
    if data.isascii():
        return None
    try:
        pl.Series([data], dtype=pl.Binary).cast(pl.String)
    except pl.exceptions.PolarsError:
        pass
    else:
        return None
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
    if _looks_single_byte(text[:GB_SAMPLE_CHARS]):
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
    counts = {char: count for char, count in collections.Counter(sample).items() if not char.isascii()}
    total = sum(counts.values())
    if total == 0:
        return False
    rare = sum(count for char, count in counts.items() if _is_rare_gb(char))
    return rare * 2 > total


def _is_rare_gb(char: str) -> bool:
    encoded = char.encode("gb18030")
    return len(encoded) != 2 or encoded[1] < 0x80
