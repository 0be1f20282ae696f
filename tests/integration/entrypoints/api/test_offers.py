"""`POST /api/v1/offers/{action_key}/accept` through the real application (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.integration.services.offer_helpers import arrangements, offer
from tests.integration.services.payment_helpers import setup_accounts

from recoup.adapters.db.engine import Database
from recoup.bootstrap import App
from recoup.config import Settings
from recoup.entrypoints.api.app import create_app

NOW = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)


@pytest.fixture
def accounts(db: Database, tmp_path: Path) -> Database:
    setup_accounts(db, tmp_path)
    return db


@pytest.fixture
def client(accounts: Database) -> Iterator[TestClient]:
    with TestClient(create_app(App(settings=Settings(), db=accounts, clock=lambda: NOW))) as client:
        yield client


def test_a_plan_offer_is_booked_and_a_repeat_answers_the_same(client: TestClient, accounts: Database) -> None:
    key = offer(accounts, "A1", kind="installment", installments=3)
    response = client.post(f"/api/v1/offers/{key}/accept", json={"first_due": "2026-03-20"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["kind"], body["status"], body["total"], body["action_key"]) == (
        "installment",
        "current",
        "3000.00",
        key,
    )
    assert [i["due_on"] for i in body["installments"]] == ["2026-03-20", "2026-04-20", "2026-05-20"]
    again = client.post(f"/api/v1/offers/{key}/accept")
    assert (again.status_code, again.json()) == (200, body)
    assert arrangements(accounts) == [1, 3, 0]


def test_a_settlement_offer_is_booked_without_a_body(client: TestClient, accounts: Database) -> None:
    key = offer(accounts, "U1", kind="settlement", amount=60_000)
    response = client.post(f"/api/v1/offers/{key}/accept")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "kind": "settlement",
        "settlement_key": 1,
        "action_key": key,
        "account_id": "U1",
        "creditor_id": "Chase",
        "currency": "USD",
        "balance": "800.00",
        "amount": "600.00",
        "write_off": "200.00",
        "due_on": "2026-03-16",
    }


def test_refusals_are_404_409_422_and_write_nothing(client: TestClient, accounts: Database) -> None:
    expired = offer(accounts, "A2", kind="settlement", amount=85_000, expires_on=date(2026, 3, 2))
    held = offer(accounts, "H1", kind="installment", installments=2)
    call = offer(accounts, "A3", kind="none", action="call", amount=None)
    settlement = offer(accounts, "A1", kind="settlement", amount=250_000)
    missing = client.post("/api/v1/offers/999/accept")
    assert (missing.status_code, missing.json()) == (404, {"error": "no action 999"})
    late = client.post(f"/api/v1/offers/{expired}/accept")
    assert late.status_code == 409
    assert late.json()["error"].startswith(f"the offer of action {expired} expired on 2026-03-02")
    on_hold = client.post(f"/api/v1/offers/{held}/accept")
    assert on_hold.status_code == 409 and "account 'H1' is on hold (dispute)" in on_hold.json()["error"]
    not_offer = client.post(f"/api/v1/offers/{call}/accept")
    assert (not_offer.status_code, not_offer.json()) == (
        422,
        {"error": f"action {call} is a call action, not an offer", "field": "action_key"},
    )
    dated = client.post(f"/api/v1/offers/{settlement}/accept", json={"first_due": "2026-03-20"})
    assert (dated.status_code, dated.json()["field"]) == (422, "first_due")
    assert client.post(f"/api/v1/offers/{held}/accept", json={"first_due": "someday"}).status_code == 422
    assert client.post("/api/v1/offers/x/accept").status_code == 422
    assert arrangements(accounts) == [0, 0, 0]
