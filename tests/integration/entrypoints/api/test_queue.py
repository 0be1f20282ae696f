"""`GET /api/v1/queue` through the real application after a real daily run (SQLite and PostgreSQL)."""

from __future__ import annotations

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
def db_after_run(db: Database, tmp_path: Path) -> Database:
    run_queue_day(db, tmp_path)
    return db


@pytest.fixture
def client(db_after_run: Database) -> Iterator[TestClient]:
    with TestClient(create_app(App(settings=Settings(), db=db_after_run))) as client:
        yield client


def test_the_days_queues_with_windows_in_priority_order(client: TestClient, db_after_run: Database) -> None:
    response = client.get("/api/v1/queue", params={"date": "2026-03-02"})
    assert response.status_code == 200
    body = response.json()
    order = expected_order(db_after_run)
    assert (body["date"], body["count"]) == ("2026-03-02", len(order))
    assert [(r["creditor_id"], r["account_id"]) for r in body["queue"]] == order
    london = next(r for r in body["queue"] if r["account_id"] == "K1")
    assert (london["window_start"], london["window_end"], london["window_local"], london["zone"]) == (
        "2026-03-02T08:00:00Z",
        "2026-03-02T21:00:00.000001Z",
        "08:00-21:00",
        "Europe/London",
    )
    assert (london["priority"], london["channel"], london["currency"]) == (1, "call", "GBP")


def test_filters(client: TestClient, db_after_run: Database) -> None:
    bank1 = [account for creditor, account in expected_order(db_after_run) if creditor == "bank1"]
    one = client.get("/api/v1/queue", params={"date": "2026-03-02", "creditor": "bank1", "limit": 2}).json()
    assert [r["account_id"] for r in one["queue"]] == bank1[:2]
    visits = client.get("/api/v1/queue", params={"date": "2026-03-02", "channel": "visit"}).json()
    assert visits["count"] == 0


@pytest.mark.parametrize(
    ("params", "where"),
    [
        ({"date": "2026-02-30"}, "date"),
        ({"date": "yesterday"}, "date"),
        ({"date": "2026-03-02", "channel": "sms"}, "channel"),
        ({"date": "2026-03-02", "limit": "0"}, "limit"),
    ],
)
def test_bad_parameters_are_422_naming_the_parameter(
    client: TestClient, params: dict[str, str], where: str
) -> None:
    response = client.get("/api/v1/queue", params=params)
    assert response.status_code == 422
    assert [problem["loc"] for problem in response.json()["detail"]] == [["query", where]]
