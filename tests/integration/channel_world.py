"""A small imported portfolio, a daily run over it and a dispatcher wired to the local SMTP and HTTP
provider servers: the shared setup of the dispatch, inbound and webhook tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from recoup.adapters.channels.dispatcher import Dispatcher
from recoup.adapters.channels.gateway import RetryPolicy
from recoup.adapters.channels.settings import ChannelSettings, build_dispatcher
from recoup.adapters.db.bulk import read_frame
from recoup.adapters.db.engine import Database
from recoup.bootstrap import App
from recoup.config import Settings
from recoup.core.schema import UTC_INSTANT
from recoup.entrypoints.jobs.daily import run_day
from recoup.services.daily_run import RunOptions
from tests.integration.channel_servers import GENERIC_SECRET, ProviderServer, SmtpSink
from tests.integration.services.helpers import load_accounts, raw

RUN_DATE = date(2026, 3, 2)
CN_MORNING = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai, 21:00 (day before) in Chicago
HEADER = (
    "account_id,creditor_id,debtor_id,debtor_type,debtor_name,currency,principal,interest,fees,due_on,"
    "jurisdiction,phone,email,address,flags\n"
)
PORTFOLIO = HEADER + (
    "S1,bank,D1,individual,张三,CNY,1000.00,0,0,2026-02-10,CN,+86 138-0013-8001,,,\n"
    "S2,bank,D2,individual,李四,CNY,2000.00,0,0,2026-02-10,CN,+8613800138002,,,\n"
    "E1,bank,D3,individual,王五,CNY,500.00,0,0,2026-02-10,CN,,wang@example.cn,,\n"
    "U1,bank,D4,individual,Alex Doe,USD,300.00,0,0,2026-02-10,US,,alex@example.com,,\n"
    "K1,bank,D5,individual,赵六,CNY,9000.00,0,0,2026-01-15,CN,+8613800138005,,,\n"
    "L1,bank,D6,individual,孙七,CNY,8000.00,0,0,2025-12-01,CN,,,北京市朝阳区建国路1号,\n"
)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class World:
    app: App
    clock: Clock
    dispatcher: Dispatcher
    settings: ChannelSettings

    def actions(self) -> dict[str, tuple[str, str]]:
        """account_id -> (action, status) of every action."""
        frame = read_frame(
            self.app.db,
            'SELECT c.account_id, a.action, a.status FROM actions a JOIN accounts c ON c."key" = a.account_key',
        )
        return {row[0]: (row[1], row[2]) for row in frame.iter_rows()}

    def scheduled_at(self, account_id: str) -> datetime:
        """When the run scheduled the account's action (UTC): the compliance check may move it."""
        frame = read_frame(
            self.app.db,
            'SELECT a.scheduled_at FROM actions a JOIN accounts c ON c."key" = a.account_key '
            f"WHERE c.account_id = '{account_id}'",
            {"scheduled_at": UTC_INSTANT},
        )
        moment = frame["scheduled_at"][0]
        assert isinstance(moment, datetime)
        return moment

    def close(self) -> None:
        self.dispatcher.close()


def channel_settings(provider: ProviderServer, sink: SmtpSink) -> ChannelSettings:
    return ChannelSettings(
        agency_name="催收示例公司",
        smtp_host=sink.host,
        smtp_port=sink.port,
        mail_from="collections@agency.example",
        sms_provider="webhook",
        sms_url=f"{provider.base_url}/generic",
        sms_secret=GENERIC_SECRET,
    )


def make_world(db: Database, tmp_path: Path, provider: ProviderServer, sink: SmtpSink) -> World:
    """The portfolio imported and run for RUN_DATE (its messages queued), the clock at CN_MORNING."""
    load_accounts(db, raw(PORTFOLIO, tmp_path))
    clock = Clock(CN_MORNING)
    app = App(settings=Settings(), db=db, clock=clock)
    run_day(app, RUN_DATE, RunOptions())
    settings = channel_settings(provider, sink)
    dispatcher = build_dispatcher(settings, RetryPolicy(attempts=2, sleep=lambda _s: None))
    return World(app, clock, dispatcher, settings)
