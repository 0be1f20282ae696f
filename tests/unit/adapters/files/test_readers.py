from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recoup.adapters.files import csv_text
from recoup.adapters.files.readers import RawTable, read_table
from recoup.core.errors import ValidationError
from recoup.core.intake.accounts import validate_accounts

DATA = Path(__file__).resolve().parents[3] / "data"
ACCOUNTS_HEADER = "account_id,creditor_id,debtor_id,debtor_type,debtor_name,currency,principal,interest,fees,due_on,jurisdiction"
ACCOUNTS_ROWS = [
    "A1,bank1,D1,individual,张三,CNY,10000.00,500.00,50.00,2026-02-01,CN",
    "A2,bank1,D2,individual,欧阳娜娜,CNY,2000.5,0,0,2026-01-01,CN",
    "A3,bank1,D3,sme,朱镕基商贸有限公司,CNY,50000,0,100.00,2025-12-01,CN",
]


def write(tmp_path: Path, name: str, content: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def refused(path: Path, **kwargs: int) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        read_table(path, **kwargs)
    assert caught.value.file == path.name
    return caught.value


# --- CSV basics ---------------------------------------------------------------------------------


def test_csv_values_are_text_stripped_with_row_numbers(tmp_path: Path) -> None:
    table = read_table(write(tmp_path, "a.csv", "a,b , c\n1, 2 ,\u30003\u3000\n007,1e3,\n"))
    assert isinstance(table, RawTable)
    assert (table.format, table.encoding, table.file) == ("csv", "utf-8", "a.csv")
    assert table.columns == ["a", "b", "c"]
    assert table.frame.schema == pl.Schema({"row": pl.Int64, "a": pl.String, "b": pl.String, "c": pl.String})
    assert table.frame.rows() == [(2, "1", "2", "3"), (3, "007", "1e3", "")]


def test_blank_lines_are_skipped_and_rows_keep_their_line_numbers(tmp_path: Path) -> None:
    table = read_table(write(tmp_path, "a.csv", "a,b\r\n1,2\r\n\r\n,\r\n3,4\r\n\r\n"))
    assert table.frame.rows() == [(2, "1", "2"), (5, "3", "4")]


def test_quoted_values_may_hold_separators_quotes_and_newlines(tmp_path: Path) -> None:
    content = 'a,b,c\n1,"x, ""y""\nz",3\n"4","5",6\n7,8,9\n'
    table = read_table(write(tmp_path, "a.csv", content))
    assert table.frame.rows() == [(2, "1", 'x, "y"\nz', "3"), (4, "4", "5", "6"), (5, "7", "8", "9")]


def test_header_only_gives_an_empty_table(tmp_path: Path) -> None:
    table = read_table(write(tmp_path, "a.csv", "a,b\n"))
    assert table.frame.is_empty()
    assert table.columns == ["a", "b"]


@pytest.mark.parametrize("content", [b"", b"  \n\r\n ", b"\xef\xbb\xbf"])
def test_an_empty_file_is_refused(tmp_path: Path, content: bytes) -> None:
    assert "empty" in refused(write(tmp_path, "a.csv", content)).message


def test_a_file_without_a_header_row_is_refused(tmp_path: Path) -> None:
    error = refused(write(tmp_path, "a.csv", "\na,b\n1,2\n"))
    assert error.row == 1
    assert "header row is empty" in error.message


def test_duplicate_header_names_are_refused(tmp_path: Path) -> None:
    error = refused(write(tmp_path, "a.csv", "a,b, a \n1,2,3\n"))
    assert (error.row, error.field) == (1, "a")
    assert error.message == "the header names 'a' twice (columns 1 and 3)"


@pytest.mark.parametrize(
    ("content", "row", "fields"),
    [
        ("a,b,c\n1,2,3\n4,5\n7,8,9\n", 3, 2),
        ("a,b,c\n1,2,3\n4,5,6,7\n7,8,9\n", 3, 4),
        ('a,b,c\n1,"x\ny",3\n4,"5,5"\n7,8,9\n', 4, 2),
        ("a,b,c\n1,2,3\n\n4,5,6\n7,8\n", 5, 2),
        ("a,b\n1,2\n,,\n", 3, 3),
    ],
)
def test_ragged_rows_are_named(tmp_path: Path, content: str, row: int, fields: int) -> None:
    error = refused(write(tmp_path, "a.csv", content))
    assert error.row == row
    assert error.message.startswith(f"has {fields} fields; the header has")


def test_every_ragged_row_is_counted(tmp_path: Path) -> None:
    error = refused(write(tmp_path, "a.csv", "a,b\n1\n2\n3\n"))
    assert error.message == "has 1 fields; the header has 2 (2 more rows are ragged too)"
    assert error.row == 2


def test_an_unclosed_quote_is_named(tmp_path: Path) -> None:
    error = refused(write(tmp_path, "a.csv", 'a,b\n1,2\n3,"4\n5,6\n'))
    assert (error.row, error.message) == (3, "a quoted value opens here and is never closed")


def test_unnamed_empty_columns_are_dropped_but_unnamed_values_refused(tmp_path: Path) -> None:
    table = read_table(write(tmp_path, "a.csv", "a,b,,\n1,2,,\n3,4,,\n"))
    assert table.frame.rows() == [(2, "1", "2"), (3, "3", "4")]
    error = refused(write(tmp_path, "b.csv", "a,b,\n1,2,\n3,4,x\n"))
    assert (error.row, error.message) == (3, "column 3 has values but no name in the header")


def test_row_is_a_reserved_column_name(tmp_path: Path) -> None:
    assert "reserves" in refused(write(tmp_path, "a.csv", "row,b\n1,2\n")).message


# --- encodings ----------------------------------------------------------------------------------


def accounts_text() -> str:
    return "\n".join([ACCOUNTS_HEADER, *ACCOUNTS_ROWS]) + "\n"


@pytest.mark.parametrize(
    ("encode", "encoding"),
    [
        (lambda text: text.encode("utf-8"), "utf-8"),
        (lambda text: b"\xef\xbb\xbf" + text.encode("utf-8"), "utf-8-sig"),
        (lambda text: text.encode("gbk"), "gb18030"),
        (lambda text: text.encode("gb18030"), "gb18030"),
    ],
)
def test_chinese_names_read_the_same_in_every_accepted_encoding(
    tmp_path: Path, encode, encoding: str
) -> None:
    table = read_table(write(tmp_path, "accounts.csv", encode(accounts_text())))
    assert table.encoding == encoding
    assert table.columns[0] == "account_id"  # no byte-order mark left in the first name
    assert table.frame["debtor_name"].to_list() == ["张三", "欧阳娜娜", "朱镕基商贸有限公司"]


def test_gb18030_only_characters_are_read(tmp_path: Path) -> None:
    content = "name,x\n张𠀀,1\n王五,2\n".encode("gb18030")  # U+20000 exists in GB18030 but not in GBK
    with pytest.raises(UnicodeEncodeError):
        "𠀀".encode("gbk")
    table = read_table(write(tmp_path, "a.csv", content))
    assert table.frame["name"].to_list() == ["张𠀀", "王五"]


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("a,b\n1,2\n".encode("utf-16"), "UTF-16"),
        ("a,b\n1,2\n".encode("utf-16-le"), "NUL bytes"),
        ("name,x\nJosé,1\n".encode("latin-1"), "neither UTF-8 nor GBK"),
        ("name,x\nMüller,1\nGrüne Jäger,2\n".encode("latin-1"), "single-byte encoding"),
        (b"\xef\xbb\xbfname\n\xff\n", "not valid UTF-8"),
        (b"PK\x03\x04rest", "zip archive"),
    ],
)
def test_other_encodings_and_binaries_are_refused_clearly(tmp_path: Path, content: bytes, words: str) -> None:
    assert words in refused(write(tmp_path, "a.csv", content)).message


def test_the_row_of_the_first_undecodable_byte_is_given(tmp_path: Path) -> None:
    error = refused(write(tmp_path, "a.csv", b"name,x\nok,1\nJos\xe9,2\n"))
    assert error.row == 3


# --- limits and file types ----------------------------------------------------------------------


def test_a_file_over_the_limit_is_refused_with_size_and_limit(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "a,b\n" + "1,2\n" * 600)
    error = refused(path, max_bytes=1024)
    assert error.message == "the file is 2.3 KB (2,404 bytes); the limit is 1.0 KB (1,024 bytes)"
    assert read_table(path, max_bytes=4096).frame.height == 600


def test_unsupported_missing_and_unreadable_files(tmp_path: Path) -> None:
    assert "unsupported file type '.txt'" in refused(write(tmp_path, "a.txt", "a\n1\n")).message
    assert "cannot read the file" in refused(tmp_path / "missing.csv").message
    (tmp_path / "folder.csv").mkdir()
    assert "not a regular file" in refused(tmp_path / "folder.csv").message


# --- whole-file property: what Python's csv module reads, we read --------------------------------

CELL = st.text(alphabet=list('ab 中,"\n\t\u3000\xa0'), max_size=6)


def reference_rows(text: str) -> list[tuple]:
    """(line the record starts on, stripped values) for every record with a value, by the csv module;
    lines are counted at line feeds."""
    lines = text.split("\n")
    reader = csv.reader(line + "\n" for line in (lines[:-1] if text.endswith("\n") else lines))
    next(reader)
    expected, line = [], 2
    for record in reader:
        values = tuple(cell.strip() for cell in record)
        if any(values):
            expected.append((line, *values))
        line = reader.line_num + 1
    return expected


@given(
    st.integers(1, 4).flatmap(
        lambda width: st.lists(st.lists(CELL, min_size=width, max_size=width), max_size=6)
    ),
    st.sampled_from(["\n", "\r\n"]),
    st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]),
    st.sampled_from([csv_text._CHUNK, 5, 64]),
)
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_well_formed_csv_reads_like_the_standard_library(
    tmp_path: Path, rows: list[list[str]], newline: str, quoting: int, chunk: int
) -> None:
    """Whatever the quoting, line ends, spaces at value edges, and wherever the byte census cuts its
    chunks (5 and 64 bytes cut through quotes and characters)."""
    width = len(rows[0]) if rows else 2
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline, quoting=quoting)
    writer.writerow([f"c{index}" for index in range(width)])
    writer.writerows(rows)
    path = write(tmp_path, "p.csv", buffer.getvalue())
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(csv_text, "_CHUNK", chunk)
        assert read_table(path).frame.rows() == reference_rows(buffer.getvalue())


def test_carriage_returns_inside_quotes_are_values_not_line_ends(tmp_path: Path) -> None:
    table = read_table(write(tmp_path, "a.csv", 'a,b\r\n"x\r",1\r\n"\r",2\r\ny,3\r\n'))
    assert table.frame.rows() == [(2, "x", "1"), (3, "", "2"), (4, "y", "3")]


# --- XLSX and Parquet ---------------------------------------------------------------------------


def test_xlsx_cells_become_the_text_a_csv_would_hold(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["text", "whole", "decimal", "date", "instant", "flag", "blank"])
    sheet.append([" 张三 ", 100, 1234.5, dt.date(2026, 2, 1), dt.datetime(2026, 3, 2, 9, 15), True, None])
    sheet.append([None, None, None, None, None, None, None])
    sheet.append(["x", 6222021234567, 0.1, None, None, False, None])
    workbook.save(tmp_path / "a.xlsx")
    table = read_table(tmp_path / "a.xlsx")
    assert table.format == "xlsx"
    assert table.frame.rows() == [
        (2, "张三", "100", "1234.5", "2026-02-01", "2026-03-02T09:15:00", "true", ""),
        (4, "x", "6222021234567", "0.1", "", "", "false", ""),
    ]


def test_xlsx_header_must_be_in_row_one_and_values_need_a_header(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    workbook.active["B3"] = "late header"
    workbook.save(tmp_path / "a.xlsx")
    assert refused(tmp_path / "a.xlsx").row == 1

    workbook = openpyxl.Workbook()
    workbook.active.append(["a", "b"])
    workbook.active.append([1, 2, 3])
    workbook.save(tmp_path / "b.xlsx")
    error = refused(tmp_path / "b.xlsx")
    assert (error.row, error.message) == (2, "column 3 has values but no name in the header")


def test_broken_workbooks_and_zip_bombs_are_refused(tmp_path: Path) -> None:
    assert "cannot read the workbook" in refused(write(tmp_path, "a.xlsx", b"not a workbook")).message
    with zipfile.ZipFile(tmp_path / "bomb.xlsx", "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", "0" * 2_000_000)
    assert "unpacks to" in refused(tmp_path / "bomb.xlsx", max_bytes=100_000).message


def test_parquet_columns_become_text(tmp_path: Path) -> None:
    frame = pl.DataFrame(
        {
            "name": [" 张三", None],
            "count": [3, None],
            "price": [pl.Series([1], dtype=pl.Decimal(10, 2)).item(), None],
            "day": [dt.date(2026, 2, 1), None],
            "at": [dt.datetime(2026, 3, 2, 1, 15, tzinfo=dt.UTC), None],
            "naive": [dt.datetime(2026, 3, 2, 9, 15), None],
            "ok": [True, None],
        }
    ).with_row_index("id")
    frame.write_parquet(tmp_path / "a.parquet")
    table = read_table(tmp_path / "a.parquet")
    assert table.format == "parquet"
    assert table.frame.rows() == [
        (
            2,
            "0",
            "张三",
            "3",
            "1.00",
            "2026-02-01",
            "2026-03-02T01:15:00+00:00",
            "2026-03-02T09:15:00",
            "true",
        ),
        (3, "1", "", "", "", "", "", "", ""),
    ]


def test_parquet_with_nested_columns_or_garbage_is_refused(tmp_path: Path) -> None:
    pl.DataFrame({"tags": [["a", "b"]]}).write_parquet(tmp_path / "a.parquet")
    error = refused(tmp_path / "a.parquet")
    assert error.field == "tags"
    assert "cannot read the Parquet file" in refused(write(tmp_path, "b.parquet", b"PAR1 nonsense")).message


def test_csv_xlsx_and_parquet_give_the_same_valid_accounts(tmp_path: Path) -> None:
    header = ACCOUNTS_HEADER.split(",")
    rows = [line.split(",") for line in ACCOUNTS_ROWS]
    write(tmp_path, "accounts.csv", accounts_text())
    pl.DataFrame(rows, schema=header, orient="row").write_parquet(tmp_path / "accounts.parquet")
    workbook = openpyxl.Workbook()
    workbook.active.append(header)
    for row in rows:
        # as a spreadsheet holds them: amounts as numbers, dates as dates
        typed = [
            float(cell) if name in ("principal", "interest", "fees") else cell
            for name, cell in zip(header, row, strict=True)
        ]
        typed[header.index("due_on")] = dt.date.fromisoformat(row[header.index("due_on")])
        workbook.active.append(typed)
    workbook.save(tmp_path / "accounts.xlsx")

    results = [
        validate_accounts(read_table(tmp_path / f"accounts.{suffix}").frame, file=f"accounts.{suffix}")
        for suffix in ("csv", "xlsx", "parquet")
    ]
    assert all(result.ok for result in results)
    assert results[0].valid.height == 3
    assert results[0].valid.equals(results[1].valid)
    assert results[0].valid.equals(results[2].valid)


def test_the_sample_placement_file_validates(tmp_path: Path) -> None:
    table = read_table(DATA / "accounts_small.csv")
    result = validate_accounts(table.frame, file=table.file)
    assert result.rejects.rows() == []
    assert result.valid.height == table.frame.height
