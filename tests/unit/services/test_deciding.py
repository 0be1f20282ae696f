"""Template resolution for the outbox: every message is worded by a template the library has."""

from __future__ import annotations

import polars as pl

from recoup.core.templates import builtin_library
from recoup.services.deciding import resolve_templates


def test_offers_are_worded_as_offers() -> None:
    frame = pl.DataFrame(
        {
            "action": ["offer", "offer", "sms"],
            "template_id": ["offer_settlement_sms", "offer_installment_sms", "firm_sms"],
            "channel": ["sms", "sms", "sms"],
            "jurisdiction": ["CN", "CN", "CN"],
            "language": ["zh", "zh", "zh"],
            "tone": ["neutral", "empathetic", "firm"],
            "offer_kind": ["settlement", "installment", "none"],
        }
    )
    resolved = resolve_templates(frame, builtin_library()).get_column("template_id").to_list()
    assert resolved == ["settlement_sms", "offer_sms", "reminder_sms"]
