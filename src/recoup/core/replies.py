"""What a debtor's reply asks for: to stop a channel, to dispute the debt, to complain, or help with hardship.

Replies are short, informal and often full-width or mixed Chinese and English, so the text is folded
(NFKC, case) before matching. A reply can carry several signals ("not my debt, stop texting me" is a
dispute and an opt-out). Opt-out words count only as a request to stop: alone, at the start of the reply,
or in an explicit phrase ("stop texting me", "不要再发"), so "I can't stop worrying" is not an opt-out.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

import polars as pl

SIGNALS: Final = ("stop", "dispute", "complaint", "hardship")

# Replies that are, after folding and without punctuation, only an opt-out keyword.
_STOP_WORDS: Final = frozenset(
    {
        "stop", "stopall", "stop all", "unsubscribe", "cancel", "end", "quit", "optout", "opt out", "revoke",
        "td", "t", "退订", "退", "取消", "拒收", "退订td", "td退订", "取消订阅",
    }
)  # fmt: skip
_STOP_START: Final = re.compile(r"^(stop|unsubscribe|opt ?out|td|退订)\b")
_STOP_PHRASES: Final = re.compile(
    r"\bstop (texting|messaging|emailing|contacting|calling|sending|writing)\b"
    r"|\bunsubscribe\b|\bopt me out\b|\bremove me\b"
    r"|\b(do not|don't|dont|never) (text|message|email|contact|call|write to) me\b"
    r"|退订|不要再(发|联系|打)|别再(发|联系|打)|拒收|停止(发送|联系)|取消订阅"
)
_DISPUTE: Final = re.compile(
    r"\bdisput|\bnot my (debt|account|loan|card|bill)\b|\b(i|we) (don't|dont|do not|never) owe\b"
    r"|\bnever (had|opened|borrowed|took out)\b|\balready paid\b|\bpaid (it|this|that) (off|already)\b"
    r"|\bwrong amount\b|\bidentity theft\b|\bfraud"
    r"|异议|不是我的|不是我借|我没(有)?借|没(有)?欠|已(经)?还(清|了|款)|金额(不对|有误|错)|被(盗用|冒用)|冒用|盗刷|不认(可|账)"
)
_COMPLAINT: Final = re.compile(
    r"\bcomplain|\bharass|\breport you\b|\bombudsman\b|\bcfpb\b|\bfca\b|\battorney general\b|\bregulator\b"
    r"|投诉|骚扰|举报|12378|银保监|金融监管|12315|监管局"
)
_HARDSHIP: Final = re.compile(
    r"\blost my job\b|\bunemployed\b|\blaid off\b|\bredundan|\bcan(')?t afford\b|\bcannot afford\b"
    r"|\bcan(')?t pay\b|\bcannot pay\b|\bno money\b|\bhospital|\bsick\b|\billness\b|\bcancer\b|\bdisabled\b"
    r"|\bbereave|\bpassed away\b|\bdivorce|\bstruggling\b|\bhardship\b|\bmental health\b|\bdepress"
    r"|失业|没(有)?工作|被裁|裁员|生病|住院|重病|困难|没钱|还不起|还不上|出事|离婚|去世|手术|负担不起"
)
_PUNCTUATION: Final = re.compile(r"[\W_]+", re.UNICODE)


def fold(text: str) -> str:
    """NFKC (full-width to half-width), case folded, white space collapsed."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip().casefold()


def is_opt_out(text: str) -> bool:
    folded = fold(text)
    bare = _PUNCTUATION.sub(" ", folded).strip()
    return (
        bare in _STOP_WORDS
        or bare.replace(" ", "") in _STOP_WORDS
        or _STOP_START.search(bare) is not None
        or _STOP_PHRASES.search(folded) is not None
    )


def classify_reply(text: str) -> frozenset[str]:
    """The signals (a subset of `SIGNALS`) in a reply."""
    folded = fold(text)
    found = set()
    if is_opt_out(text):
        found.add("stop")
    if _DISPUTE.search(folded):
        found.add("dispute")
    if _COMPLAINT.search(folded):
        found.add("complaint")
    if _HARDSHIP.search(folded):
        found.add("hardship")
    return frozenset(found)


def address_key(address: pl.Expr, channel: str) -> pl.Expr:
    """What identifies a sender on ``channel``, for matching replies to accounts: the last ten digits of
    a phone number (so +86, 0086 and spacing do not matter), an email address without its display name,
    lower-cased, or the IM handle as written. Null when there is nothing to match on."""
    if channel == "sms":
        digits = address.str.replace_all(r"[^0-9]", "")
        return pl.when(digits.str.len_chars() >= 7).then(digits.str.slice(-10))
    if channel == "email":
        bare = address.str.extract(r"<([^>]+)>", 1).fill_null(address)
        cleaned = bare.str.strip_chars().str.to_lowercase()
        return pl.when(cleaned.str.contains("@", literal=True)).then(cleaned)
    cleaned = address.str.strip_chars()
    return pl.when(cleaned != "").then(cleaned)
