"""Built-in message wording for the daily run, rendered for whole columns.

Every text names who is writing and for whom, states the amount without threat, offers a way to talk,
to dispute and to opt out. Creditor-edited templates (sandboxed, linted) replace these per creditor.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

import polars as pl

from recoup.core.money import format_minor_expr


@dataclass(frozen=True, slots=True)
class Sender:
    """Who the debtor hears from: the agency's name and a number to call back."""

    agency: str = "Recoup"
    phone: str = "400-000-0000"


# (template_id, language) -> text with {name} {creditor} {amount} {currency} {agency} {phone}.
BUILTIN_TEMPLATES: Final[dict[tuple[str, str], str]] = {
    ("reminder_sms", "zh"): (
        "【{agency}】{name}您好，我们受{creditor}委托联系您：您的账户尚有{amount}元待还。"
        "如已还款请忽略；如有困难或异议，请致电{phone}协商。回复TD退订"
    ),
    ("reminder_sms", "en"): (
        "{agency}: Hello {name}, this is a communication from a debt collector on behalf of {creditor}. "
        "Your account shows {amount} {currency} outstanding. Call {phone} to talk about options or to "
        "dispute it. Reply STOP to opt out."
    ),
    ("reminder_im", "zh"): (
        "【{agency}】{name}您好，受{creditor}委托提醒：您的账户尚有{amount}元待还。"
        "如需分期或对账目有疑问，请致电{phone}。回复TD退订"
    ),
    ("reminder_im", "en"): (
        "{agency}: Hello {name}, this is a communication from a debt collector on behalf of {creditor}. "
        "{amount} {currency} is outstanding on your account. Call {phone} for a plan or to dispute it. "
        "Reply STOP to opt out."
    ),
    ("reminder_email", "zh"): (
        "{name}您好：\n\n我们是{agency}，受{creditor}委托与您联系。您的账户目前尚有{amount}元待还。"
        "如您已还款，请忽略本邮件。如您还款有困难，我们可以商议分期方案；如您对账目有异议，"
        "请致电{phone}或回复本邮件，我们将暂停催收并核实。\n\n如不希望再收到此类邮件，请回复“退订”。\n\n{agency}"
    ),
    ("reminder_email", "en"): (
        "Dear {name},\n\nThis is a communication from a debt collector. {agency} contacts you on behalf of "
        "{creditor} about an outstanding balance of {amount} {currency}. If you have already paid, please "
        "ignore this message. If paying is difficult, we can agree a plan that you can afford; if you "
        "dispute the debt, call {phone} or reply to this email and we will pause collection while we "
        "check.\n\nTo stop receiving these emails, reply STOP.\n\n{agency}"
    ),
    ("reminder_letter", "zh"): (
        "{name}：\n\n本函由{agency}受{creditor}委托发出。截至本函日期，您的账户尚有{amount}元未结清。"
        "您可通过{phone}查询账户明细、协商分期还款或提出异议；提出异议期间我们将暂停催收。\n\n{agency}"
    ),
    ("reminder_letter", "en"): (
        "Private and confidential\n\nDear {name},\n\nThis is a communication from a debt collector. {agency} "
        "writes on behalf of {creditor} about {amount} {currency} outstanding on your account. You can "
        "check the account, agree an affordable plan or dispute the debt by calling {phone}. Free, "
        "independent debt advice is available to you.\n\n{agency}"
    ),
}

_PLACEHOLDER: Final = re.compile(r"\{(name|creditor|amount|currency|agency|phone)\}")


def render_builtin(frame: pl.DataFrame, sender: Sender) -> pl.Series:
    """Render the `template_id` x `language` of every row (columns debtor_name, creditor_id, balance,
    currency). Rows whose template has no text get null."""
    values = {
        "name": pl.col("debtor_name").fill_null(""),
        "creditor": pl.col("creditor_id"),
        "amount": format_minor_expr("balance", "currency"),
        "currency": pl.col("currency"),
        "agency": pl.lit(sender.agency),
        "phone": pl.lit(sender.phone),
    }
    rendered = pl.lit(None, dtype=pl.String)
    for (template_id, language), text in BUILTIN_TEMPLATES.items():
        pieces = [values[p] if p in values else pl.lit(p) for p in _PLACEHOLDER.split(text) if p]
        expr = pl.concat_str(pieces)
        chosen = (pl.col("template_id") == template_id) & (pl.col("language") == language)
        rendered = pl.when(chosen).then(expr).otherwise(rendered)
    return frame.select(rendered.alias("message")).to_series()
