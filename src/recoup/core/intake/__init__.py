"""Validate the portfolio files' text (contracts/portfolio.md) and type it as the canonical schemas.

Pure: the file side (reading CSV, Parquet, XLSX) is `recoup.adapters.files`.
"""

from recoup.core.intake.accounts import validate_accounts
from recoup.core.intake.checks import REJECT_SCHEMA, IntakeResult, format_rejects
from recoup.core.intake.contacts import validate_contacts
from recoup.core.intake.events import validate_events
from recoup.core.intake.lookup import LOOKUP_SCHEMA

__all__ = [
    "LOOKUP_SCHEMA",
    "REJECT_SCHEMA",
    "IntakeResult",
    "format_rejects",
    "validate_accounts",
    "validate_contacts",
    "validate_events",
]
