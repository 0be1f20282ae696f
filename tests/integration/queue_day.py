"""A database after a real daily run whose calls reach debtors in several zones: some stored with the
account, some derived from the phone number (no zone stored), for the work-queue tests."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from recoup.adapters.db.bulk import read_frame
from recoup.adapters.db.engine import Database
from recoup.bootstrap import App
from recoup.config import Settings
from recoup.entrypoints.jobs.daily import run_day
from recoup.services.daily_run import RunOptions
from tests.integration.services.helpers import load_accounts, raw

RUN_DATE = date(2026, 3, 2)
HEADER = (
    "account_id,creditor_id,debtor_id,debtor_type,debtor_name,currency,principal,interest,fees,due_on,"
    "jurisdiction,phone,address,timezone,region,income_monthly,employment_status\n"
)
ACCOUNTS = HEADER + (
    "C1,bank1,D1,individual,张三,CNY,50000.00,0,0,2025-12-01,CN,+8613800138001,兰州市城关区,,,20000.00,employed\n"
    "C2,bank1,D2,individual,李四,CNY,8000.00,0,0,2025-11-01,CN,+8613800138002,,,,8000.00,employed\n"
    "C3,bank1,D3,individual,王五,CNY,120000.00,0,0,2025-10-01,CN,+8613800138003,乌鲁木齐市,Asia/Urumqi,,"
    "30000.00,employed\n"
    "C4,bank1,D4,individual,赵六,CNY,3000.00,0,0,2026-01-15,CN,+8613800138004,,,,5000.00,employed\n"
    "C5,bank1,D9,individual,钱七,CNY,20000.00,0,0,2026-01-20,CN,+8613800138005,,,,15000.00,employed\n"
    "U1,bank2,D5,individual,Ann Lee,USD,9000.00,0,0,2025-11-01,US,+12125550101,1 Main St,,,5000.00,employed\n"
    "U2,bank2,D6,individual,Bob Ray,USD,15000.00,0,0,2025-10-01,US,+13105550102,,America/Los_Angeles,,"
    "6000.00,employed\n"
    "U3,bank2,D7,individual,Cy Day,USD,4000.00,0,0,2026-01-20,US,,,,TX,4000.00,employed\n"
    "U4,bank2,D10,individual,Ed Ng,USD,6000.00,0,0,2026-01-20,US,+13125557777,,,,7000.00,employed\n"
    "K1,bank3,D8,individual,Di Fox,GBP,7000.00,0,0,2026-01-20,UK,+442079460958,,Europe/London,,3000.00,employed\n"
)


def run_queue_day(db: Database, tmp_path: Path) -> None:
    """Place the accounts and run the default strategy for ``RUN_DATE``."""
    load_accounts(db, raw(ACCOUNTS, tmp_path, "queue_accounts.csv"))
    options = RunOptions(strategy="default", capacity={"call": 50, "visit": 5})
    run_day(App(settings=Settings(), db=db), RUN_DATE, options)


# Where each debtor is, as the compliance engine sees it: the stored zone, else the phone number's
# (narrowed to the jurisdiction), else the region's; and the rulebook's hours there.
ZONES = {
    "C1": "Asia/Shanghai",
    "C2": "Asia/Shanghai",
    "C3": "Asia/Urumqi",
    "C4": "Asia/Shanghai",
    "C5": "Asia/Shanghai",
    "U1": "America/New_York",
    "U2": "America/Los_Angeles",
    "U3": "America/Chicago",
    "U4": "America/Chicago",
    "K1": "Europe/London",
}
HOURS = {"C": "08:00-22:00", "U": "08:00-21:00", "K": "08:00-21:00"}


def expected_order(db: Database) -> list[tuple[str, str]]:
    """(creditor, account) of the run's calls by creditor and value net of cost, read apart from the
    service (the values come from the strategy, so the tests do not hard-code them)."""
    stored = read_frame(
        db,
        "SELECT c.creditor_id, c.account_id, a.expected_recovery - a.cost AS value FROM actions a "
        'JOIN accounts c ON c."key" = a.account_key '
        f"WHERE a.run_date = '{RUN_DATE.isoformat()}' AND a.channel = 'call'",
        {"creditor_id": pl.String(), "account_id": pl.String(), "value": pl.Int64()},
    )
    ordered = stored.sort(["creditor_id", "value", "account_id"], descending=[False, True, False])
    return ordered.select("creditor_id", "account_id").rows()
