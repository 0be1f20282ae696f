from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recoup.core.remittance import build_statement

PERIOD = (date(2026, 3, 1), date(2026, 3, 31))


def _payments(*rows: tuple[str, str, str, date, int], debtor: str = "张三") -> pl.DataFrame:
    return pl.DataFrame(
        [
            (account, creditor, debtor, currency, day, amount)
            for account, creditor, currency, day, amount in rows
        ],
        schema={
            "account_id": pl.String,
            "creditor_id": pl.String,
            "debtor_name": pl.String,
            "currency": pl.String,
            "local_date": pl.Date,
            "amount": pl.Int64,
        },
        orient="row",
    )


def _statement(payments: pl.DataFrame, bps: int = 1_500, creditor: str = "招商银行"):  # type: ignore[no-untyped-def]
    return build_statement(
        payments, creditor_id=creditor, period_start=PERIOD[0], period_end=PERIOD[1], commission_bps=bps
    )


def test_three_lines_of_a_third_of_a_cent_each_add_up_to_the_rounded_total() -> None:
    # 0.01 CNY at 33.33 % is 0.3333 fen per line; the total 0.9999 fen rounds to 1 fen, which goes to one line.
    payments = _payments(*[(f"A{i}", "招商银行", "CNY", date(2026, 3, 2), 1) for i in range(3)])
    statement = _statement(payments, bps=3_333)
    assert statement.lines.get_column("commission").to_list() == [1, 0, 0]
    assert statement.totals.select("collected", "commission", "net").row(0) == (3, 1, 2)


def test_only_the_creditors_payments_inside_the_period_count() -> None:
    payments = _payments(
        ("A1", "招商银行", "CNY", date(2026, 3, 1), 10_000),
        ("A1", "招商银行", "CNY", date(2026, 3, 31), 5_000),
        ("A1", "招商银行", "CNY", date(2026, 4, 1), 99_999),
        ("A1", "招商银行", "CNY", date(2026, 2, 28), 99_999),
        ("B1", "OTHER", "CNY", date(2026, 3, 5), 99_999),
    )
    statement = _statement(payments)
    assert statement.lines.rows() == [("CNY", "A1", "张三", 2, 15_000, 2_250, 12_750)]


def test_each_currency_is_totalled_on_its_own() -> None:
    payments = _payments(
        ("A1", "C", "CNY", date(2026, 3, 2), 10_000),
        ("A2", "C", "USD", date(2026, 3, 2), 333),
    )
    statement = _statement(payments, creditor="C")
    assert statement.totals.select("currency", "collected", "commission").rows() == [
        ("CNY", 10_000, 1_500),
        ("USD", 333, 50),
    ]


def test_bad_rates_and_periods_are_refused() -> None:
    with pytest.raises(ValueError, match="0 to 10000"):
        _statement(_payments(), bps=10_001)
    with pytest.raises(ValueError, match="before it starts"):
        build_statement(
            _payments(),
            creditor_id="C",
            period_start=date(2026, 3, 2),
            period_end=date(2026, 3, 1),
            commission_bps=1,
        )


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 30), st.sampled_from(["CNY", "USD"]), st.integers(0, 40), st.integers(1, 10**9)
        ),
        max_size=60,
    ),
    st.integers(0, 10_000),
)
def test_statement_adds_up_to_the_cent(rows: list[tuple[int, str, int, int]], bps: int) -> None:
    payments = _payments(
        *[
            (f"A{account:02d}{currency}", "C", currency, PERIOD[0] + timedelta(days=day), amount)
            for account, currency, day, amount in rows
        ]
    )
    statement = _statement(payments, bps=bps, creditor="C")
    lines, totals = statement.lines, statement.totals
    assert (lines.get_column("commission") + lines.get_column("net") == lines.get_column("collected")).all()
    for currency, accounts, _, collected, commission, net in totals.iter_rows():
        mine = lines.filter(pl.col("currency") == currency)
        assert (accounts, collected, commission, net) == (
            mine.height,
            mine.get_column("collected").sum(),
            mine.get_column("commission").sum(),
            mine.get_column("net").sum(),
        )
        exact_total = Fraction(collected * bps, 10_000)
        assert commission == int(exact_total + Fraction(1, 2))  # half up, amounts are positive
        for line_collected, line_commission in mine.select("collected", "commission").iter_rows():
            exact = Fraction(line_collected * bps, 10_000)
            assert exact - 1 < line_commission < exact + 1
    in_period = [r for r in rows if r[2] <= 30]
    assert totals.get_column("collected").sum() == sum(r[3] for r in in_period)
