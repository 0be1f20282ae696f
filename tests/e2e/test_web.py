"""The web app as a person uses it, in a real browser."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from tests.integration.services.helpers import DATA, load_accounts, load_events, raw

from recoup.adapters.db.engine import Database
from recoup.bootstrap import App
from recoup.config import Settings
from recoup.entrypoints.jobs.daily import run_day
from recoup.services.daily_run import RunOptions

pytestmark = pytest.mark.browser


def test_dashboard_accounts_and_work_queue(
    sqlite_db: Database, tmp_path: Path, live_server: Any, browser: Any
) -> None:
    load_accounts(sqlite_db, raw((DATA / "accounts_small.csv").read_text(encoding="utf-8"), tmp_path))
    load_events(sqlite_db, raw((DATA / "events_small.csv").read_text(encoding="utf-8"), tmp_path, "e.csv"))
    app = App(settings=Settings(), db=sqlite_db)
    run_day(app, date(2026, 3, 1), RunOptions())
    with live_server(app) as server:
        page = browser.new_page()
        page.goto(f"{server.url}/?date=2026-03-01")
        assert "Portfolio on 2026-03-01" in page.inner_text("h1")
        assert "11950.00" in page.inner_text("table")

        page.goto(f"{server.url}/accounts")
        page.fill("input[name=q]", "张三")
        page.click("text=搜索 Search")
        rows = page.locator("table tr")
        assert rows.count() == 2  # header + 张三
        page.click("text=A1")
        assert "张三" in page.inner_text("h1")
        assert "open" in page.inner_text("body")  # the promise

        page.goto(f"{server.url}/queue?date=2026-03-01")
        assert page.locator("table tr").count() == 3  # header + two calls
        page.screenshot(path=str(tmp_path / "queue.png"))
        assert (tmp_path / "queue.png").stat().st_size > 5_000


def test_api_answers_bad_input_with_the_field(sqlite_db: Database, live_server: Any) -> None:
    import httpx

    with live_server(App(settings=Settings(), db=sqlite_db)) as server:
        response = httpx.get(f"{server.url}/api/v1/accounts", params={"limit": 0})
        assert response.status_code == 422
        assert "limit" in response.text
        missing = httpx.get(f"{server.url}/api/v1/accounts/bank1/NOPE")
        assert missing.status_code == 404
        assert "NOPE" in missing.json()["error"]
        assert httpx.get(f"{server.url}/api/v1/health").json()["status"] == "ok"
