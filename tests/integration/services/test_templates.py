"""Saved templates over a real database: only checked ones are stored, and only passing ones are used."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from recoup.adapters.db.bulk import read_frame
from recoup.adapters.db.engine import Database
from recoup.core.audit import Reason, sha256_hex
from recoup.core.errors import NotFound
from recoup.core.templates.library import TemplateSpec
from recoup.core.templates.linting import rulebook_linter
from recoup.core.templates.sandbox import TemplateRejected
from recoup.services.templates import preview_template, save_template, stored_templates, template_library
from tests.integration.audit_helpers import broken_at, intact, kinds, logged, tamper
from tests.integration.channel_world import PORTFOLIO
from tests.integration.services.helpers import load_accounts, raw

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
LINTER = rulebook_linter()
AGENCY, PHONE = "催收示例公司", "400-000-0000"
GOOD = "【{{ agency }}】{{ name }}您好，我们受{{ creditor }}委托：您的账户尚有{{ amount }}待还，详询{{ phone }}。"


def _save(db: Database, spec: TemplateSpec) -> int:
    with db.engine.begin() as connection:
        return save_template(connection, spec, linter=LINTER, agency=AGENCY, phone=PHONE, now=NOW).version


def test_versions_are_kept_and_the_newest_is_used(db: Database, tmp_path: Path) -> None:
    load_accounts(db, raw(PORTFOLIO, tmp_path))
    spec = TemplateSpec("reminder_sms", "sms", "zh", GOOD, jurisdiction="CN")
    assert _save(db, spec) == 1
    assert _save(db, TemplateSpec("reminder_sms", "sms", "zh", GOOD + "谢谢。", jurisdiction="CN")) == 2
    assert stored_templates(db)["version"].to_list() == [2]
    shown = preview_template(
        db, "reminder_sms", "S1", agency=AGENCY, phone=PHONE, today=date(2026, 3, 2), linter=LINTER
    )
    assert shown.text.endswith("谢谢。")
    assert shown.text.startswith("【催收示例公司】张三您好，我们受bank委托：您的账户尚有¥1,000.00待还")
    assert [f.rule for f in shown.wording] == []


def test_a_refused_template_stores_nothing(db: Database) -> None:
    with pytest.raises(TemplateRejected, match=r"CN\.msg\.threat"):
        _save(db, TemplateSpec("reminder_sms", "sms", "zh", GOOD + "不还就打断你的腿", jurisdiction="CN"))
    assert stored_templates(db).is_empty()
    assert kinds(db) == []


def test_each_saved_version_is_in_the_audit_log_with_the_hash_of_its_text(db: Database) -> None:
    _save(db, TemplateSpec("reminder_sms", "sms", "zh", GOOD, jurisdiction="CN"))
    firm = TemplateSpec("reminder_sms", "sms", "zh", GOOD + "请尽快处理。", tone="firm", creditor_id="bank")
    _save(db, firm)
    _save(db, TemplateSpec("reminder_sms", "sms", "zh", GOOD + "谢谢。", jurisdiction="CN"))
    first, creditors, second = logged(db, "template.")
    assert {k: v for k, v in first.content.items() if k != "covers"} == {
        "template_key": 1,
        "template_id": "reminder_sms",
        "jurisdiction": "CN",
        "language": "zh",
        "tone": "neutral",
        "channel": "sms",
        "product": None,
        "creditor_id": "",
        "version": 1,
        "sha256": sha256_hex(GOOD),
    }
    assert (creditors.content["tone"], creditors.content["creditor_id"], creditors.content["version"]) == (
        "firm",
        "bank",
        1,
    )
    assert second.content["version"] == 2 and second.content["sha256"] == sha256_hex(GOOD + "谢谢。")
    assert first.covered_tables() == ["templates"]
    assert intact(db)
    assert tamper(db, "UPDATE templates SET active = FALSE WHERE version = 1") == 2  # retiring is not editing
    assert intact(db)
    assert tamper(db, "UPDATE templates SET body = 'pay now' WHERE tone = 'firm'") == 1
    assert broken_at(db) == (creditors.seq, Reason.ROWS_CHANGED)


def test_a_template_written_around_the_checks_is_never_used(db: Database) -> None:
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO templates (template_id, version, channel, language, tone, jurisdiction, product, "
                "creditor_id, body, active, created_at) VALUES ('reminder_sms', 1, 'sms', 'zh', 'neutral', 'CN', "
                "NULL, '', :body, :active, :at)"
            ),
            {"body": GOOD + "你这个老赖", "active": True, "at": NOW},
        )
    library = template_library(db, linter=LINTER, agency=AGENCY, phone=PHONE)
    entry = library.find("reminder_sms", "CN", "zh")
    assert entry is not None and "老赖" not in entry.spec.body  # the built-in, not the unchecked row
    assert read_frame(db, "SELECT COUNT(*) AS n FROM templates")["n"][0] == 1


def test_preview_names_what_is_missing_for_the_account(db: Database, tmp_path: Path) -> None:
    load_accounts(db, raw(PORTFOLIO, tmp_path))
    with pytest.raises(NotFound, match="no template 'offer_letter'"):
        preview_template(db, "offer_letter", "S1", agency=AGENCY, phone=PHONE, today=date(2026, 3, 2))
    with pytest.raises(NotFound, match="no account"):
        preview_template(db, "reminder_sms", "ZZ", agency=AGENCY, phone=PHONE, today=date(2026, 3, 2))
    shown = preview_template(db, "reminder_letter", "L1", agency=AGENCY, phone=PHONE, today=date(2026, 3, 2))
    assert "孙七" in shown.text and "催收原因及依据" in shown.text
    assert shown.wording == []
