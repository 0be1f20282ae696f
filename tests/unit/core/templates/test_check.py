from __future__ import annotations

import pytest

from recoup.core.templates.check import check_template
from recoup.core.templates.library import TemplateSpec
from recoup.core.templates.linting import rulebook_linter
from recoup.core.templates.sandbox import TemplateRejected

LINTER = rulebook_linter()
GOOD_ZH = "【{{ agency }}】{{ name }}您好，我们受{{ creditor }}委托联系您：您的账户尚有{{ amount }}待还，请致电{{ phone }}。"


def _check(
    body: str,
    *,
    language: str = "zh",
    jurisdiction: str = "CN",
    channel: str = "sms",
    product: str | None = None,
):  # type: ignore[no-untyped-def]
    spec = TemplateSpec("t", channel, language, body, jurisdiction=jurisdiction, product=product)
    return check_template(spec, linter=LINTER, agency="催收示例公司", phone="400-000-0000")


def _rules(result) -> set[str]:  # type: ignore[no-untyped-def]
    return {p.code.split(":", 1)[1] for p in result.problems if ":" in p.code}


def test_a_good_template_passes_and_previews_with_the_sample_account() -> None:
    result = _check(GOOD_ZH)
    assert result.ok
    assert (
        result.preview
        == "【催收示例公司】张三您好，我们受示例银行委托联系您：您的账户尚有¥1,234.50待还，请致电400-000-0000。"
    )


@pytest.mark.parametrize(
    ("addition", "rule"),
    [
        ("再不还钱就打断你的腿。", "CN.msg.threat"),
        ("不还就通知你的家人和单位。", "CN.msg.third_party_disclosure"),
        ("你这个老赖！", "CN.msg.insult"),
    ],
)
def test_forbidden_words_refuse_the_template(addition: str, rule: str) -> None:
    result = _check(GOOD_ZH + addition)
    assert not result.ok
    assert rule in _rules(result)
    with pytest.raises(TemplateRejected):
        result.raise_if_rejected()


def test_forbidden_words_are_found_through_obfuscation_in_english() -> None:
    body = (
        "{{ agency }}: this is {{ agency }} on behalf of {{ creditor }}. Pay {{ amount }} or we will "
        "k i l l you. Reply STOP to opt out."
    )
    result = _check(body, language="en")
    assert "CN.msg.threat" in _rules(result)


def test_reaching_for_class_refuses_the_template_before_anything_renders() -> None:
    result = _check(GOOD_ZH + "{{ name.__class__.__mro__ }}")
    assert not result.ok
    assert result.preview is None
    assert [p.code for p in result.problems] == ["private_attribute", "private_attribute"]


def test_missing_identity_and_creditor_wording_is_named() -> None:
    result = _check("您好，您的账户尚有{{ amount }}待还。")
    assert {"identity.named", "CN.wording.identity"} <= _rules(result)


def test_us_messages_need_the_debt_collector_statement_and_the_opt_out_line() -> None:
    body = "{{ agency }}: Hello {{ name }}, this is {{ agency }} on behalf of {{ creditor }}: {{ amount }} is due."
    result = _check(body, language="en", jurisdiction="US")
    assert {"US.1006.18.e", "US.1006.6.e"} <= _rules(result)
    fixed = _check(
        "This is a communication from a debt collector. " + body + " Reply STOP to opt out.",
        language="en",
        jurisdiction="US",
    )
    assert fixed.ok, [str(p) for p in fixed.problems]


def test_uk_letters_are_private_and_confidential() -> None:
    body = "Dear {{ name }},\n\nWe are {{ agency }}, writing on behalf of {{ creditor }} about {{ amount }}."
    result = _check(body, language="en", jurisdiction="UK", channel="letter")
    assert "UK.wording.private_confidential" in _rules(result)
    assert _check(
        "Private and confidential\n\n" + body, language="en", jurisdiction="UK", channel="letter"
    ).ok


def test_cn_credit_card_letters_carry_the_six_fields() -> None:
    body = "{{ name }}：本函由{{ agency }}受{{ creditor }}委托发出。您的账户尚欠{{ amount }}，请联系{{ phone }}。"
    result = _check(body, channel="letter", product="credit_card")
    problems = " ".join(str(p) for p in result.problems)
    assert "CN.wording.credit_card_letter" in _rules(result)
    for field in ("催收原因及依据", "您的权利", "账户查询方式", "异议处理方式"):
        assert field in problems
    assert "欠款金额" not in problems and "联系方式" not in problems


def test_a_suit_threat_is_a_warning_not_a_refusal() -> None:
    result = _check(GOOD_ZH + "逾期不还我们将起诉您。")
    assert result.ok
    assert [w.code for w in result.warnings] == ["lint:CN.time_barred"]
