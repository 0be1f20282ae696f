"""The work-queue page after a real daily run: each call with its window on the debtor's clock and in
UTC, per creditor by priority, with the Chinese/English labels."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.integration.queue_day import expected_order, run_queue_day

from recoup.adapters.db.engine import Database
from recoup.bootstrap import App
from recoup.config import Settings
from recoup.entrypoints.api.app import create_app


@pytest.fixture
def client(sqlite_db: Database, tmp_path: Path) -> Iterator[TestClient]:
    run_queue_day(sqlite_db, tmp_path)
    with TestClient(create_app(App(settings=Settings(), db=sqlite_db))) as client:
        yield client


def _rows(html: str) -> list[list[str]]:
    rows = re.findall(r"<tr>(.*?)</tr>", html, flags=re.S)
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in rows
    ]


def test_the_queue_page_shows_each_calls_window_in_local_time_and_utc(
    sqlite_db: Database, client: TestClient
) -> None:
    response = client.get("/queue", params={"date": "2026-03-02"})
    assert response.status_code == 200
    html = response.text
    for label in ("当地时段 Local window", "UTC 时段 UTC window", "预期回收 Expected", "原因 Reasons"):
        assert label in html
    rows = [row for row in _rows(html) if row]
    assert [(row[1], row[5]) for row in rows] == expected_order(sqlite_db)
    assert rows[0][0] == "1"
    london = next(row for row in rows if row[5] == "K1")
    assert london[:5] == ["1", "bank3", "08:00-21:00 Europe/London", "08:00-21:00", "Di Fox"]
    assert london[6] == "7000.00 GBP" and london[7].endswith(" GBP") and london[10] == "queued"
    assert "ability:" in london[9]


def test_the_page_filters_by_creditor_and_channel(client: TestClient) -> None:
    html = client.get("/queue", params={"date": "2026-03-02", "creditor": "bank3"}).text
    assert [row[5] for row in _rows(html) if row] == ["K1"]
    visits = client.get("/queue", params={"date": "2026-03-02", "channel": "visit"}).text
    assert "No visits queued for this date." in visits
    assert client.get("/queue", params={"channel": "sms"}).status_code == 422
    assert client.get("/queue", params={"date": "2026-13-01"}).status_code == 422


def test_without_a_date_the_page_shows_the_newest_run_queue(client: TestClient) -> None:
    # The client's clock says today (after the 2026-03-02 run): the page falls back to that run's queue.
    dated = _rows(client.get("/queue", params={"date": "2026-03-02"}).text)
    undated = _rows(client.get("/queue").text)
    assert [row for row in undated if row] == [row for row in dated if row] != []
