from __future__ import annotations

import shutil
import subprocess
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from recoup.adapters.files.readers import read_table
from recoup.adapters.files.statements import CJK_FONT_PATH, rate_text, statement_frame, write_statement
from recoup.core.errors import ValidationError
from recoup.core.remittance import RemittanceStatement, build_statement

PAYMENTS = pl.DataFrame(
    {
        "account_id": ["A1", "A1", "A2", "U1"],
        "creditor_id": ["招商银行"] * 4,
        "debtor_name": ["张三", "张三", "李<四>", "John Roe"],
        "currency": ["CNY", "CNY", "CNY", "USD"],
        "local_date": [date(2026, 3, 2), date(2026, 3, 31), date(2026, 3, 15), date(2026, 3, 15)],
        "amount": [33_333, 1, 10_001, 5_000],
    }
)


def _statement(payments: pl.DataFrame = PAYMENTS) -> RemittanceStatement:
    return build_statement(
        payments,
        creditor_id="招商银行",
        period_start=date(2026, 3, 1),
        period_end=date(2026, 3, 31),
        commission_bps=1_234,
    )


def _pdf_text(path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_rate_is_shown_with_integer_arithmetic() -> None:
    assert [rate_text(b) for b in (0, 5, 1_234, 10_000)] == ["0.00%", "0.05%", "12.34%", "100.00%"]


def test_csv_has_the_lines_then_a_total_per_currency_and_adds_up(tmp_path: Path) -> None:
    path = tmp_path / "statement.csv"
    write_statement(_statement(), path)
    table = read_table(path).frame
    assert table.select(
        "row_type", "currency", "account_id", "collected", "commission", "net_to_remit"
    ).rows() == [
        ("line", "CNY", "A1", "333.34", "41.14", "292.20"),
        ("line", "CNY", "A2", "100.01", "12.34", "87.67"),
        ("line", "USD", "U1", "50.00", "6.17", "43.83"),
        ("total", "CNY", "", "433.35", "53.48", "379.87"),
        ("total", "USD", "", "50.00", "6.17", "43.83"),
    ]
    assert table.get_column("creditor_id").unique().to_list() == ["招商银行"]


def test_pdf_with_the_embedded_cjk_font_shows_chinese_names_and_totals(tmp_path: Path) -> None:
    if not CJK_FONT_PATH.is_file():
        pytest.skip(f"{CJK_FONT_PATH} is not installed (Debian package fonts-wqy-zenhei)")
    path = tmp_path / "statement.pdf"
    font = write_statement(_statement(), path)
    assert font is not None and font.embedded
    text = _pdf_text(path)
    for expected in (
        "回款结算单",
        "招商银行",
        "张三",
        "李<四>",
        "12.34%",
        "433.35",
        "53.48",
        "379.87",
        "合计",
    ):
        assert expected in text


def test_pdf_is_the_same_bytes_for_the_same_statement(tmp_path: Path) -> None:
    first, second = tmp_path / "a.pdf", tmp_path / "b.pdf"
    write_statement(_statement(), first, language="en")
    write_statement(_statement(), second, language="en")
    assert first.read_bytes() == second.read_bytes()


def test_without_the_truetype_font_the_builtin_cid_font_is_used(tmp_path: Path) -> None:
    path = tmp_path / "statement.pdf"
    font = write_statement(_statement(), path, font_path=tmp_path / "no-such-font.ttc")
    assert font is not None and (font.name, font.embedded) == ("STSong-Light", False)
    assert b"/STSong-Light" in path.read_bytes()


def test_an_empty_period_still_gives_a_statement(tmp_path: Path) -> None:
    path = tmp_path / "empty.pdf"
    write_statement(_statement(PAYMENTS.clear()), path, language="en")
    assert "Nothing was collected in this period." in _pdf_text(path)
    assert statement_frame(_statement(PAYMENTS.clear())).is_empty()


def test_other_extensions_and_languages_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"use \.csv or \.pdf"):
        write_statement(_statement(), tmp_path / "statement.xlsx")
    with pytest.raises(ValidationError, match="zh or en"):
        write_statement(_statement(), tmp_path / "statement.pdf", language="fr")
