from __future__ import annotations

from recoup.core.templates.catalog import gettext, message_ids, translate


def test_both_catalogs_hold_the_same_messages() -> None:
    assert message_ids("zh") == message_ids("en")
    assert "About your account with {creditor}" in message_ids("zh")


def test_chinese_translates_and_english_is_the_source() -> None:
    assert (
        translate("About your account with {creditor}", "zh", creditor="示例银行") == "关于您在示例银行的账户"
    )
    assert translate("About your account with {creditor}", "en", creditor="Example Bank") == (
        "About your account with Example Bank"
    )
    assert gettext("Page {page} of {pages}", "zh") == "第{page}页，共{pages}页"


def test_an_unknown_language_or_message_falls_back_to_english() -> None:
    assert gettext("Notice about your account", "fr") == "Notice about your account"
    assert gettext("Not in any catalog", "zh") == "Not in any catalog"
