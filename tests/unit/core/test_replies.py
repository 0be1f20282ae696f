from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from recoup.core.replies import address_key, classify_reply, is_opt_out


@pytest.mark.parametrize(
    "text",
    [
        "STOP",
        "stop",
        " Stop. ",
        "ＳＴＯＰ",
        "UNSUBSCRIBE",
        "Cancel",
        "opt out",
        "退订",
        "TD",
        "td",
        "T",
        "退订，谢谢",
        "STOP please",
        "Please stop texting me",
        "don't text me again",
        "不要再发短信了",
        "别再联系我",
        "拒收",
    ],
)
def test_opt_out_replies(text: str) -> None:
    assert is_opt_out(text)
    assert "stop" in classify_reply(text)


@pytest.mark.parametrize(
    "text",
    ["I can't stop worrying about this", "ok thanks", "好的，我下周还", "Don't stop helping me", "Tomorrow"],
)
def test_replies_that_are_not_opt_outs(text: str) -> None:
    assert not is_opt_out(text)


@pytest.mark.parametrize(
    ("text", "signals"),
    [
        ("This is not my debt", {"dispute"}),
        ("I already paid this last month", {"dispute"}),
        ("这不是我的欠款，我没有借过", {"dispute"}),
        ("金额不对", {"dispute"}),
        ("I will complain to the CFPB about this harassment", {"complaint"}),
        ("再打电话我就投诉到12378", {"complaint"}),
        ("I lost my job and can't afford it right now", {"hardship"}),
        ("我失业了，最近住院，实在还不上", {"hardship"}),
        ("不是我的债，别再发了", {"dispute", "stop"}),
        ("STOP. I'm in hospital and this is harassment", {"stop", "hardship", "complaint"}),
        ("好的，收到", set()),
    ],
)
def test_signals(text: str, signals: set[str]) -> None:
    assert classify_reply(text) == signals


@given(st.sampled_from(["STOP", "退订", "TD", "unsubscribe"]), st.sampled_from(["", " ", "!", "。", "  \n"]))
def test_opt_out_keywords_survive_padding_and_full_width(keyword: str, pad: str) -> None:
    full_width = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in keyword)
    assert is_opt_out(pad + keyword + pad)
    assert is_opt_out(full_width + pad)


def test_address_keys_match_however_the_number_or_address_is_written() -> None:
    frame = pl.DataFrame(
        {
            "sms": ["+86 138-0013-8000", "13800138000", "0086 13800138000", "12", None],
            "email": ["张三 <Zhang.San@Example.CN>", "zhang.san@example.cn", "no-at-sign", " ", None],
        }
    )
    out = frame.select(sms=address_key(pl.col("sms"), "sms"), email=address_key(pl.col("email"), "email"))
    assert out["sms"].to_list() == ["3800138000", "3800138000", "3800138000", None, None]
    assert out["email"].to_list() == ["zhang.san@example.cn", "zhang.san@example.cn", None, None, None]
