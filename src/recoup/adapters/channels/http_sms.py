"""SMS and IM through provider HTTP APIs: a generic JSON webhook provider and a provider that signs
requests the way common Chinese cloud SMS services do (see `signing`).

Both send batches (``batch_size`` messages a request) over one pooled keep-alive HTTP client, carry every
message's idempotency key (the provider answers a key it has seen with the first result instead of
sending again), and retry a batch on connection errors, 429 and 5xx with backoff.

Generic provider protocol (JSON):
    POST {url}  {"messages": [{"id": key, "channel": "sms", "to": "+86...", "text": "..."}]}
    headers X-Recoup-Timestamp / X-Recoup-Nonce / X-Recoup-Signature (`signing.sign_body`)
    200 {"results": [{"id": key, "status": "accepted" | "duplicate" | "rejected",
                      "message_id": ..., "error": ...}]}

Signed provider protocol (form parameters, `signing.sign_params`):
    POST {url}  Action=SendBatchMessage, Format=JSON, Version, SignName,
                Messages=[{"PhoneNumber": ..., "Content": ..., "OutId": key}], + signing parameters
    200 {"Code": "OK", "RequestId": ..., "Results": [{"OutId": key, "BizId": ...,
                                                      "Code": "OK" | error, "Message": ...}]}
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from recoup.adapters.channels.gateway import (
    OutboundMessage,
    RetryPolicy,
    SendResult,
    TransientError,
    failed_all,
)
from recoup.adapters.channels.signing import form_body, sign_body, sign_params

Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _client(timeout: float, connections: int, transport: httpx.BaseTransport | None) -> httpx.Client:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    # Headers and body leave in two writes: without TCP_NODELAY the body can wait for a delayed ACK.
    chosen = transport or httpx.HTTPTransport(
        limits=limits, socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
    )
    return httpx.Client(timeout=timeout, limits=limits, transport=chosen)


def _post(client: httpx.Client, url: str, **kwargs: Any) -> httpx.Response:
    try:
        response = client.post(url, **kwargs)
    except httpx.TransportError as exc:
        raise TransientError(f"{url}: {type(exc).__name__}: {exc}") from exc
    if response.status_code == 429 or response.status_code >= 500:
        raise TransientError(f"{url}: HTTP {response.status_code}")
    return response


def _batches(messages: Sequence[OutboundMessage], size: int) -> list[Sequence[OutboundMessage]]:
    return [messages[i : i + size] for i in range(0, len(messages), size)]


def _in_order(messages: Sequence[OutboundMessage], by_key: dict[str, SendResult]) -> list[SendResult]:
    return [
        by_key.get(m.idempotency_key)
        or SendResult(m.idempotency_key, "failed", None, "provider gave no result")
        for m in messages
    ]


@dataclass
class WebhookGateway:
    """The generic JSON provider (SMS or IM, as ``channel`` says)."""

    url: str
    secret: str
    channel: str = "sms"
    name: str = "webhook"
    token: str | None = None
    batch_size: int = 200
    timeout: float = 10.0
    connections: int = 4
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    clock: Clock = _utc_now
    transport: httpx.BaseTransport | None = None
    _http: httpx.Client | None = field(init=False, default=None)

    @property
    def client(self) -> httpx.Client:
        if self._http is None:
            self._http = _client(self.timeout, self.connections, self.transport)
        return self._http

    def _post_batch(self, batch: Sequence[OutboundMessage]) -> list[SendResult]:
        body = json.dumps(
            {
                "messages": [
                    {"id": m.idempotency_key, "channel": self.channel, "to": m.to, "text": m.text}
                    for m in batch
                ]
            },
            ensure_ascii=False,
        ).encode()
        headers = {
            "Content-Type": "application/json",
            **sign_body(body, secret=self.secret, now=self.clock()),
        }
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        response = _post(self.client, self.url, content=body, headers=headers)
        if response.status_code >= 400:
            return failed_all(
                batch, f"provider refused the batch: HTTP {response.status_code} {response.text[:200]}"
            )
        by_key = {}
        for item in response.json().get("results", []):
            key = str(item.get("id"))
            accepted = item.get("status") in ("accepted", "duplicate")
            by_key[key] = SendResult(
                key,
                "sent" if accepted else "failed",
                item.get("message_id"),
                None if accepted else item.get("error"),
            )
        return _in_order(batch, by_key)

    def send(self, messages: Sequence[OutboundMessage]) -> list[SendResult]:
        results: list[SendResult] = []
        for batch in _batches(messages, self.batch_size):
            try:
                results.extend(self.retry.call(lambda b=batch: self._post_batch(b)))  # type: ignore[misc]
            except TransientError as exc:
                results.extend(failed_all(batch, f"gave up after {self.retry.attempts} attempts: {exc}"))
        return results

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None


@dataclass
class SignedSmsGateway:
    """The signed provider: form parameters signed with an access key (HMAC over sorted parameters)."""

    url: str
    access_key_id: str
    access_key_secret: str
    sign_name: str
    name: str = "signed-sms"
    signature_method: str = "HMAC-SHA256"
    version: str = "2017-05-25"
    batch_size: int = 200
    timeout: float = 10.0
    connections: int = 4
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    clock: Clock = _utc_now
    transport: httpx.BaseTransport | None = None
    _http: httpx.Client | None = field(init=False, default=None)

    @property
    def client(self) -> httpx.Client:
        if self._http is None:
            self._http = _client(self.timeout, self.connections, self.transport)
        return self._http

    def _post_batch(self, batch: Sequence[OutboundMessage]) -> list[SendResult]:
        messages = [{"PhoneNumber": m.to, "Content": m.text, "OutId": m.idempotency_key} for m in batch]
        params = sign_params(
            {
                "Action": "SendBatchMessage",
                "Format": "JSON",
                "Version": self.version,
                "SignName": self.sign_name,
                "Messages": json.dumps(messages, ensure_ascii=False, separators=(",", ":")),
            },
            access_key_id=self.access_key_id,
            secret=self.access_key_secret,
            now=self.clock(),
            signature_method=self.signature_method,
        )
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        response = _post(self.client, self.url, content=form_body(params), headers=headers)
        payload = (
            response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
        )
        if payload.get("Code") == "Throttling":
            raise TransientError(f"{self.url}: throttled")
        if response.status_code >= 400 or payload.get("Code") != "OK":
            reason = f"{payload.get('Code')}: {payload.get('Message')}" if payload else response.text[:200]
            return failed_all(batch, f"provider refused the batch: HTTP {response.status_code} {reason}")
        by_key = {}
        for item in payload.get("Results", []):
            key = str(item.get("OutId"))
            ok = item.get("Code") == "OK"
            by_key[key] = SendResult(
                key,
                "sent" if ok else "failed",
                item.get("BizId"),
                None if ok else f"{item.get('Code')}: {item.get('Message')}",
            )
        return _in_order(batch, by_key)

    def send(self, messages: Sequence[OutboundMessage]) -> list[SendResult]:
        results: list[SendResult] = []
        for batch in _batches(messages, self.batch_size):
            try:
                results.extend(self.retry.call(lambda b=batch: self._post_batch(b)))  # type: ignore[misc]
            except TransientError as exc:
                results.extend(failed_all(batch, f"gave up after {self.retry.attempts} attempts: {exc}"))
        return results

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None
