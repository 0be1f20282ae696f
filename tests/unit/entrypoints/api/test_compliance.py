"""`POST /api/v1/compliance/check` on a throwaway app that includes only this router."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from recoup.core.compliance import load_rulebooks
from recoup.entrypoints.api import compliance

ATTEMPT: dict[str, Any] = {
    "id": "a-1",
    "jurisdiction": "CN",
    "channel": "call",
    "at": "2026-03-02T23:30:00+08:00",
    "account": {"account_id": "X1", "debtor_id": "D1", "timezones": ["Asia/Shanghai"]},
}


@pytest.fixture
def client() -> TestClient:
    app = FastAPI()
    app.include_router(compliance.router)
    return TestClient(app)


def test_decisions_come_back_in_order(client: TestClient) -> None:
    fine = {**ATTEMPT, "id": "a-2", "at": "2026-03-02T10:00:00+08:00"}
    response = client.post("/api/v1/compliance/check", json=[ATTEMPT, fine])
    assert response.status_code == 200
    late, ok = response.json()
    assert late == {
        "id": "a-1",
        "allowed": False,
        "violations": [
            {
                "rule": "CN.hours",
                "severity": "block",
                "reason": "23:30 in Asia/Shanghai is outside the allowed hours (08:00-22:00)",
                "citation": "GB/T 45251-2025; China Banking Association consumer-loan collection guideline (2026)",
            }
        ],
        "warnings": [],
        "next_allowed_at": "2026-03-03T08:00:00+08:00",
    }
    assert ok["allowed"] is True


def test_bad_input_is_422_with_the_field_path(client: TestClient) -> None:
    bad = {**ATTEMPT, "account": {**ATTEMPT["account"], "timezones": ["Asia/Shanghai", "Mars/Olympus"]}}
    response = client.post("/api/v1/compliance/check", json=[ATTEMPT, bad])
    assert response.status_code == 422
    assert response.json()["field"] == "[1].account.timezones[1]"
    assert client.post("/api/v1/compliance/check", json={"not": "a list"}).status_code == 422


def test_oversized_requests_are_refused(client: TestClient) -> None:
    response = client.post("/api/v1/compliance/check", json=[ATTEMPT] * (compliance.MAX_ATTEMPTS + 1))
    assert response.status_code == 413


def test_rulebooks_can_be_swapped_for_a_creditors(client: TestClient) -> None:
    app = client.app
    assert isinstance(app, FastAPI)
    stricter = load_rulebooks().with_overrides("overrides: {CN: {CN.hours: {params: {start: '10:00'}}}}")
    app.dependency_overrides[compliance.rulebooks] = lambda: stricter
    early = {**ATTEMPT, "at": "2026-03-02T09:00:00+08:00"}
    assert client.post("/api/v1/compliance/check", json=[early]).json()[0]["allowed"] is False
