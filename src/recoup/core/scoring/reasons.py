"""Reason codes and what they say, in Chinese and English.

A reason code is the name of the feature that lowers a score (``broken_promises_60d``); its text fills
the feature's template with the account's own value: "3 broken promises in 60 days" / "60天内3次违约承诺".
`reason_text` renders one reason (the agent's screen, the API); `reason_texts` renders whole columns
(letters, exports). Both read the same catalogue, and a property test proves they write the same words.
A feature missing from the catalogue still reads sensibly: "<feature>: <value>".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import polars as pl

from recoup.core.money import CURRENCY_EXPONENTS, DEFAULT_CURRENCY, format_minor
from recoup.core.scoring.scorer import TOP_REASONS, reason_columns

LANGUAGES: Final = ("zh", "en")
KINDS: Final = ("count", "number", "percent", "money", "category", "flag", "text")


@dataclass(frozen=True, slots=True)
class ReasonText:
    """Templates with ``{value}``; ``*_missing`` when the value is unknown, ``*_false`` for a false flag."""

    kind: str
    en: str
    zh: str
    en_missing: str
    zh_missing: str
    en_false: str = ""
    zh_false: str = ""

    def template(self, language: str, *, missing: bool = False, false: bool = False) -> str:
        chinese = language == "zh"
        if missing:
            return self.zh_missing if chinese else self.en_missing
        if false:
            return self.zh_false if chinese else self.en_false
        return self.zh if chinese else self.en


def _reason(kind: str, en: str, zh: str, label_en: str, label_zh: str, **extra: str) -> ReasonText:
    return ReasonText(
        kind,
        en,
        zh,
        extra.pop("en_missing", f"{label_en} unknown"),
        extra.pop("zh_missing", f"{label_zh}未知"),
        **extra,
    )


CHANNEL_WORDS: Final[dict[str, tuple[str, str]]] = {
    "call": ("call", "电话"),
    "visit": ("visit", "上门"),
    "sms": ("SMS", "短信"),
    "email": ("email", "邮件"),
    "im": ("instant message", "即时消息"),
    "letter": ("letter", "信函"),
}
RATE_WORDS: Final[dict[str, tuple[str, str]]] = {
    "rpc": ("right-party contact rate", "本人接通率"),
    "delivery": ("delivery rate", "送达率"),
    "read": ("read rate", "已读率"),
    "reply": ("reply rate", "回复率"),
}
# Vocabulary of category values (contracts/portfolio.md) as a person reads them.
VALUE_WORDS: Final[dict[str, tuple[str, str]]] = {
    "individual": ("individual", "个人"),
    "sme": ("small business", "小微企业"),
    "enterprise": ("enterprise", "企业"),
    "credit_card": ("credit card", "信用卡"),
    "consumer_loan": ("consumer loan", "消费贷款"),
    "auto_loan": ("car loan", "车贷"),
    "mortgage": ("mortgage", "房贷"),
    "sme_loan": ("small-business loan", "小微企业贷款"),
    "trade_receivable": ("trade receivable", "应收账款"),
    "utility": ("utility bill", "公用事业费"),
    "other": ("other", "其他"),
    "employed": ("employed", "在职"),
    "self_employed": ("self-employed", "自雇"),
    "unemployed": ("unemployed", "失业"),
    "retired": ("retired", "退休"),
    "student": ("student", "学生"),
    "unknown": ("unknown", "未知"),
}


def _catalogue() -> dict[str, ReasonText]:
    reasons = {
        "debtor_type": _reason(
            "category", "debtor type: {value}", "债务人类型：{value}", "debtor type", "债务人类型"
        ),
        "product": _reason("category", "product: {value}", "产品：{value}", "product", "产品"),
        "employment_status": _reason(
            "category", "employment: {value}", "就业状况：{value}", "employment", "就业状况"
        ),
        "age": _reason("count", "age {value}", "年龄{value}岁", "age", "年龄"),
        "age_band": _reason("text", "age band {value}", "年龄段{value}", "age", "年龄"),
        "industry": _reason("text", "industry: {value}", "行业：{value}", "industry", "行业"),
        "employees": _reason("number", "{value} employees", "员工{value}人", "company size", "企业规模"),
        "annual_revenue": _reason("number", "annual revenue {value}", "年营业额{value}", "revenue", "营业额"),
        "balance": _reason("money", "balance of {value}", "欠款余额{value}", "balance", "欠款余额"),
        "placed_balance": _reason(
            "money", "placed balance of {value}", "委案金额{value}", "balance", "委案金额"
        ),
        "interest_fees_share": _reason(
            "percent",
            "interest and fees are {value} of the balance",
            "利息和费用占欠款的{value}",
            "interest share",
            "利息占比",
        ),
        "balance_to_original": _reason(
            "percent",
            "{value} of the original amount still owed",
            "尚欠原始金额的{value}",
            "original amount",
            "原始金额",
        ),
        "income_monthly": _reason("money", "monthly income of {value}", "月收入{value}", "income", "收入"),
        "debt_to_income": _reason(
            "percent",
            "debt equals {value} of a year's income",
            "欠款相当于年收入的{value}",
            "income",
            "收入",
        ),
        "dpd": _reason("count", "{value} days past due", "逾期{value}天", "days past due", "逾期天数"),
        "bucket": _reason("text", "delinquency bucket {value}", "逾期阶段{value}", "bucket", "逾期阶段"),
        "days_since_placement": _reason(
            "count", "placed {value} days ago", "委案已{value}天", "placement", "委案"
        ),
        "loan_age_days": _reason(
            "count", "loan opened {value} days ago", "借款已{value}天", "loan age", "借款时长"
        ),
        "payments_count": _reason("count", "{value} payments made", "已还款{value}次", "payments", "还款"),
        "payments_amount": _reason("money", "{value} paid so far", "已还款{value}", "payments", "还款"),
        "payments_90d": _reason(
            "count", "{value} payments in 90 days", "90天内还款{value}次", "payments", "还款"
        ),
        "days_since_last_payment": _reason(
            "count",
            "last payment {value} days ago",
            "最近一次还款在{value}天前",
            "last payment",
            "最近还款",
            en_missing="no payment on record",
            zh_missing="无还款记录",
        ),
        "paid_share": _reason(
            "percent", "{value} of the placed balance paid", "已还委案金额的{value}", "share paid", "还款比例"
        ),
        "contacts_outbound": _reason(
            "count", "{value} contact attempts", "已尝试联系{value}次", "contacts", "联系"
        ),
        "contacts_inbound": _reason(
            "count", "{value} contacts from the debtor", "债务人主动联系{value}次", "contacts", "联系"
        ),
        "rpc_count": _reason(
            "count", "{value} right-party contacts", "本人接通{value}次", "contacts", "本人接通"
        ),
        "wrong_party_count": _reason(
            "count", "{value} contacts reached someone else", "{value}次联系到非本人", "contacts", "联系"
        ),
        "days_since_last_contact": _reason(
            "count",
            "last contact attempt {value} days ago",
            "最近一次联系在{value}天前",
            "contact",
            "联系",
            en_missing="never contacted",
            zh_missing="从未联系",
        ),
        "days_since_last_rpc": _reason(
            "count",
            "last spoke with the debtor {value} days ago",
            "最近一次本人接通在{value}天前",
            "contact",
            "本人接通",
            en_missing="never reached in person",
            zh_missing="从未本人接通",
        ),
        "promises_made": _reason(
            "count", "{value} promises to pay made", "承诺还款{value}次", "promises", "承诺"
        ),
        "promises_kept": _reason("count", "{value} promises kept", "兑现承诺{value}次", "promises", "承诺"),
        "promises_broken": _reason(
            "count", "{value} broken promises", "{value}次违约承诺", "promises", "承诺"
        ),
        "promises_open": _reason("count", "{value} open promises", "{value}个未到期承诺", "promises", "承诺"),
        "broken_promises_60d": _reason(
            "count", "{value} broken promises in 60 days", "60天内{value}次违约承诺", "promises", "承诺"
        ),
        "promise_kept_rate": _reason(
            "percent",
            "kept {value} of promises",
            "承诺兑现率{value}",
            "promise record",
            "承诺记录",
            en_missing="no promise has fallen due",
            zh_missing="尚无到期承诺",
        ),
        "plans_made": _reason(
            "count", "{value} instalment plans agreed", "达成分期{value}次", "plans", "分期"
        ),
        "disputes_count": _reason(
            "count", "{value} disputes raised", "提出异议{value}次", "disputes", "异议"
        ),
        "dispute_open": _reason(
            "flag",
            "a dispute is open",
            "存在未决异议",
            "dispute",
            "异议",
            en_false="no open dispute",
            zh_false="无未决异议",
        ),
        "complaints_count": _reason("count", "{value} complaints", "投诉{value}次", "complaints", "投诉"),
    }
    for channel, (channel_en, channel_zh) in CHANNEL_WORDS.items():
        reasons[f"{channel}_attempts"] = _reason(
            "count",
            f"{{value}} {channel_en} attempts",
            f"{channel_zh}联系{{value}}次",
            f"{channel_en} attempts",
            f"{channel_zh}联系",
        )
        for rate, (rate_en, rate_zh) in RATE_WORDS.items():
            reasons[f"{channel}_{rate}_rate"] = _reason(
                "percent",
                f"{channel_en} {rate_en} {{value}}",
                f"{channel_zh}{rate_zh}{{value}}",
                f"{channel_en} {rate_en}",
                f"{channel_zh}{rate_zh}",
                en_missing=f"no {channel_en} attempts yet",
                zh_missing=f"尚未{channel_zh}联系",
            )
    return reasons


# The German credit data (the ability model's real-data check) reads with its own values, untranslated.
GERMAN_REASONS: Final[dict[str, ReasonText]] = {
    "status_of_existing_checking_account": _reason(
        "text", "checking account: {value}", "支票账户：{value}", "checking account", "支票账户"
    ),
    "duration_in_month": _reason(
        "count", "loan runs {value} months", "贷款期限{value}个月", "duration", "期限"
    ),
    "credit_history": _reason(
        "text", "credit history: {value}", "信用记录：{value}", "credit history", "信用记录"
    ),
    "purpose": _reason("text", "purpose: {value}", "贷款用途：{value}", "purpose", "贷款用途"),
    "credit_amount": _reason(
        "number", "credit amount {value} DM", "贷款金额{value}马克", "amount", "贷款金额"
    ),
    "savings_account_and_bonds": _reason("text", "savings: {value}", "储蓄：{value}", "savings", "储蓄"),
    "present_employment_since": _reason(
        "text", "employed for {value}", "现职年限：{value}", "employment", "现职年限"
    ),
    "installment_rate_in_percentage_of_disposable_income": _reason(
        "count", "instalment burden level {value} of 4", "分期负担等级{value}（共4级）", "burden", "分期负担"
    ),
    "other_debtors_or_guarantors": _reason(
        "text", "other debtors or guarantors: {value}", "其他债务人或担保人：{value}", "guarantors", "担保人"
    ),
    "present_residence_since": _reason(
        "count",
        "residence length level {value} of 4",
        "现居住年限等级{value}（共4级）",
        "residence",
        "居住年限",
    ),
    "property": _reason("text", "property: {value}", "财产：{value}", "property", "财产"),
    "age_in_years": _reason("count", "age {value}", "年龄{value}岁", "age", "年龄"),
    "other_installment_plans": _reason(
        "text", "other instalment plans: {value}", "其他分期计划：{value}", "other plans", "其他分期"
    ),
    "housing": _reason("text", "housing: {value}", "住房：{value}", "housing", "住房"),
    "number_of_existing_credits_at_this_bank": _reason(
        "count", "{value} existing credits at this bank", "在本行已有{value}笔贷款", "credits", "已有贷款"
    ),
    "job": _reason("text", "job: {value}", "职业：{value}", "job", "职业"),
    "number_of_people_being_liable_to_provide_maintenance_for": _reason(
        "count", "{value} dependants", "需抚养{value}人", "dependants", "抚养人数"
    ),
    "telephone": _reason("text", "telephone: {value}", "电话登记：{value}", "telephone", "电话"),
}
REASONS: Final[dict[str, ReasonText]] = {**_catalogue(), **GERMAN_REASONS}


def _fallback(feature: str) -> ReasonText:
    return ReasonText(
        "text", f"{feature}: {{value}}", f"{feature}：{{value}}", f"{feature} unknown", f"{feature}未知"
    )


def text_for(feature: str) -> ReasonText:
    return REASONS.get(feature) or _fallback(feature)


# ---- one reason ------------------------------------------------------------------------------------


def _format_value(kind: str, value: object, language: str, currency: str) -> str:
    if kind in ("count", "number"):
        return str(int(float(str(value))))
    if kind == "percent":
        return f"{math.floor(float(str(value)) * 100 + 0.5)}%"
    if kind == "money":
        return f"{format_minor(int(str(value)), currency)} {currency}"
    if kind == "category":
        word = VALUE_WORDS.get(str(value))
        return (word[1] if language == "zh" else word[0]) if word else str(value)
    return str(value)


def reason_text(feature: str, value: object, language: str = "zh", currency: str | None = None) -> str:
    """The sentence for one reason: ``reason_text("broken_promises_60d", 3, "en")``."""
    entry = text_for(feature)
    missing = value is None or (isinstance(value, float) and math.isnan(value))
    false = entry.kind == "flag" and not missing and not value
    template = entry.template(language, missing=missing, false=false)
    if missing or entry.kind == "flag":
        return template
    return template.replace(
        "{value}", _format_value(entry.kind, value, language, currency or DEFAULT_CURRENCY)
    )


# ---- whole columns ---------------------------------------------------------------------------------


def _money_expr(value: pl.Expr, currency: pl.Expr) -> pl.Expr:
    digits = currency.replace_strict(CURRENCY_EXPONENTS, default=2, return_dtype=pl.Int64)
    scale = pl.lit(10, dtype=pl.Int64).pow(digits)
    minor = value.cast(pl.Int64)
    whole = minor.abs() // scale
    fraction = (minor.abs() % scale).cast(pl.String).str.zfill(digits)
    sign = pl.when(minor < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    number = (
        pl.when(digits > 0)
        .then(pl.format("{}{}.{}", sign, whole, fraction))
        .otherwise(pl.format("{}{}", sign, whole))
    )
    return pl.format("{} {}", number, currency)


def _value_expr(kind: str, value: pl.Expr, language: str) -> pl.Expr:
    if kind in ("count", "number"):
        return value.cast(pl.Float64).cast(pl.Int64).cast(pl.String)
    if kind == "percent":
        return pl.format("{}%", (value.cast(pl.Float64) * 100 + 0.5).floor().cast(pl.Int64))
    if kind == "money":
        return _money_expr(value, pl.col("_currency"))
    text = value.cast(pl.String)
    if kind == "category":
        words = {key: (zh if language == "zh" else en) for key, (en, zh) in VALUE_WORDS.items()}
        return text.replace(words)
    return text


def _texts_for(feature: str, rows: pl.DataFrame, language: str) -> pl.Expr:
    entry = text_for(feature)
    value = pl.col("_value")
    missing = value.is_null()
    if rows.schema["_value"].is_float():
        missing = missing | value.is_nan()
    if entry.kind == "flag":
        present = (
            pl.when(value.cast(pl.Boolean))
            .then(pl.lit(entry.template(language)))
            .otherwise(pl.lit(entry.template(language, false=True)))
        )
    else:
        before, _, after = entry.template(language).partition("{value}")
        present = pl.concat_str([pl.lit(before), _value_expr(entry.kind, value, language), pl.lit(after)])
    return pl.when(missing).then(pl.lit(entry.template(language, missing=True))).otherwise(present)


def reason_texts(
    frame: pl.DataFrame,
    reasons: pl.DataFrame,
    language: str = "zh",
    *,
    currency: str = "currency",
    top: int = TOP_REASONS,
) -> pl.DataFrame:
    """Columns text_1..text_top for ``reasons`` (reason_1..) read against the values in ``frame``.

    ``frame`` carries the features (and a ``currency`` column for money; CNY when absent), row for row
    with ``reasons``. Work is per feature named, never per row.
    """
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; choose zh or en")
    slots = reason_columns(top)
    codes = reasons.select(slots).with_row_index("_row")
    currencies = frame.get_column(currency) if currency in frame.columns else None
    long = codes.unpivot(index="_row", on=slots, variable_name="_slot", value_name="_feature").filter(
        pl.col("_feature").is_not_null()
    )
    pieces = []
    for (feature,), rows in long.group_by("_feature"):
        name = str(feature)
        values = frame.get_column(name).gather(rows.get_column("_row")).alias("_value")
        currency_values = (
            currencies.gather(rows.get_column("_row")) if currencies is not None else pl.lit(DEFAULT_CURRENCY)
        )
        part = rows.with_columns(values, _currency=currency_values)
        pieces.append(part.select("_row", "_slot", _text=_texts_for(name, part, language)))
    texts = [f"text_{slot.removeprefix('reason_')}" for slot in slots]
    wide = (
        pl.concat(pieces).pivot(on="_slot", index="_row", values="_text")
        if pieces
        else pl.DataFrame(schema={"_row": pl.UInt32()})
    )
    for slot in slots:
        if slot not in wide.columns:
            wide = wide.with_columns(pl.lit(None, dtype=pl.String).alias(slot))
    return (
        codes.select("_row")
        .join(wide, on="_row", how="left", maintain_order="left")
        .select([pl.col(slot).alias(text) for slot, text in zip(slots, texts, strict=True)])
    )
