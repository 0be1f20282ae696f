from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recoup.core.scoring.features import FEATURE_SCHEMA
from recoup.core.scoring.reasons import REASONS, reason_text, reason_texts


@pytest.mark.parametrize(
    ("feature", "value", "english", "chinese"),
    [
        ("broken_promises_60d", 3, "3 broken promises in 60 days", "60天内3次违约承诺"),
        ("dpd", 95, "95 days past due", "逾期95天"),
        ("call_rpc_rate", 0.125, "call right-party contact rate 13%", "电话本人接通率13%"),
        ("employment_status", "unemployed", "employment: unemployed", "就业状况：失业"),
        ("debtor_type", "sme", "debtor type: small business", "债务人类型：小微企业"),
        ("balance", 1_234_550, "balance of 12345.50 CNY", "欠款余额12345.50 CNY"),
        ("days_since_last_payment", None, "no payment on record", "无还款记录"),
        ("dispute_open", True, "a dispute is open", "存在未决异议"),
        ("im_reply_rate", None, "no instant message attempts yet", "尚未即时消息联系"),
        ("debt_to_income", 1.5, "debt equals 150% of a year's income", "欠款相当于年收入的150%"),
        ("duration_in_month", 48, "loan runs 48 months", "贷款期限48个月"),
    ],
)
def test_reasons_read_correctly_in_both_languages(
    feature: str, value: object, english: str, chinese: str
) -> None:
    assert reason_text(feature, value, "en") == english
    assert reason_text(feature, value, "zh") == chinese


def test_money_uses_the_account_currency_and_its_minor_units() -> None:
    assert reason_text("balance", 12345, "en", currency="JPY") == "balance of 12345 JPY"
    assert reason_text("income_monthly", 500_000, "en", currency="USD") == "monthly income of 5000.00 USD"


def test_an_unknown_feature_still_reads() -> None:
    assert reason_text("shoe_size", 42, "en") == "shoe_size: 42"
    assert reason_text("shoe_size", None, "zh") == "shoe_size未知"


def test_every_portfolio_feature_has_texts_in_both_languages() -> None:
    missing = [name for name in FEATURE_SCHEMA if name != "account_key" and name not in REASONS]
    assert missing == []
    for entry in REASONS.values():
        assert entry.en and entry.zh and entry.en_missing and entry.zh_missing


values_by_kind = {
    "broken_promises_60d": st.integers(0, 30),
    "call_rpc_rate": st.floats(0, 1),
    "employment_status": st.sampled_from(["employed", "unemployed", "retired", "gig_worker"]),
    "balance": st.integers(0, 10**9),
    "dispute_open": st.booleans(),
    "age_band": st.sampled_from(["<25", "65+"]),
    "employees": st.floats(0, 5000),
}


@given(
    st.lists(
        st.fixed_dictionaries(
            {name: st.one_of(st.none(), strategy) for name, strategy in values_by_kind.items()}
        ),
        min_size=1,
        max_size=20,
    ),
    st.lists(
        st.lists(st.sampled_from([*values_by_kind, None]), min_size=3, max_size=3), min_size=20, max_size=20
    ),
    st.sampled_from(["zh", "en"]),
    st.sampled_from(["CNY", "JPY", "USD"]),
)
@settings(max_examples=80, deadline=None)
def test_column_texts_equal_one_at_a_time_texts(
    rows: list[dict[str, object]], picks: list[list[str | None]], language: str, currency: str
) -> None:
    frame = pl.DataFrame(
        rows,
        schema={
            "broken_promises_60d": pl.Int64,
            "call_rpc_rate": pl.Float64,
            "employment_status": pl.String,
            "balance": pl.Int64,
            "dispute_open": pl.Boolean,
            "age_band": pl.String,
            "employees": pl.Float64,
        },
    ).with_columns(currency=pl.lit(currency))
    reasons = pl.DataFrame(
        [picks[i] for i in range(frame.height)],
        schema={"reason_1": pl.String, "reason_2": pl.String, "reason_3": pl.String},
        orient="row",
    )
    texts = reason_texts(frame, reasons, language)
    for i, (row, codes) in enumerate(zip(frame.iter_rows(named=True), reasons.iter_rows(), strict=True)):
        expected = tuple(
            None if code is None else reason_text(code, row[code], language, currency=currency)
            for code in codes
        )
        assert texts.row(i) == expected


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown language"):
        reason_texts(pl.DataFrame({"dpd": [1]}), pl.DataFrame({"reason_1": ["dpd"]}), "fr", top=1)
