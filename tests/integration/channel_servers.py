"""Real local servers the channel tests (and bench/bench_channels.py) send to.

- `SmtpSink`: aiosmtpd on a free localhost port; keeps every message that arrived as parsed email.
  Recipients at refuse.example are refused (550); at defer.example deferred once (451).
- `ProviderServer`: an HTTP server speaking both provider protocols of adapters/channels/http_sms.py.
  It checks every request's signature with its own implementation of the schemes (written from the
  protocol description, not imported from Recoup), refuses a nonce seen twice, and delivers each
  idempotency key at most once: a key it has seen gets the first result back, marked duplicate.
  ``fail_next`` makes the next requests answer 503. Numbers starting +000 are rejected.

A test module makes fixtures of them: ``yield from running_smtp()``, ``yield from running_provider()``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote

from aiosmtpd.controller import Controller

GENERIC_SECRET = "generic-secret"
ACCESS_KEY_ID = "LTAI-test-key"
ACCESS_KEY_SECRET = "signed-secret"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


@dataclass
class Arrived:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


class _SmtpHandler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address.endswith("@refuse.example"):
            return "550 5.1.1 mailbox unavailable"
        if address.endswith("@defer.example") and address not in self.sink.deferred:
            self.sink.deferred.add(address)
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.sink.lock:
            self.sink.arrived.append(Arrived(envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


@dataclass
class SmtpSink:
    host: str = "127.0.0.1"
    port: int = 0
    arrived: list[Arrived] = field(default_factory=list)
    deferred: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> SmtpSink:
        self.port = free_port(self.host)
        self.controller = Controller(_SmtpHandler(self), hostname=self.host, port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def by_message_id(self) -> dict[str, list[Arrived]]:
        found: dict[str, list[Arrived]] = {}
        for item in self.arrived:
            found.setdefault(str(item.message["Message-ID"]), []).append(item)
        return found


# --- the HTTP provider ------------------------------------------------------------------------------


def _pe(value: str) -> str:
    # RFC 3986 percent-encoding as the cloud SMS signature documents it.
    return quote(value, safe="-_.~")


def reference_params_signature(params: dict[str, str], secret: str, method: str = "POST") -> str:
    pairs = sorted((k, v) for k, v in params.items() if k != "Signature")
    canonical = "&".join(f"{_pe(k)}={_pe(v)}" for k, v in pairs)
    to_sign = f"{method}&{_pe('/')}&{_pe(canonical)}"
    digest = hashlib.sha256 if params.get("SignatureMethod") == "HMAC-SHA256" else hashlib.sha1
    return base64.b64encode(hmac.new((secret + "&").encode(), to_sign.encode(), digest).digest()).decode()


def reference_body_signature(secret: str, stamp: str, nonce: str, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{stamp}.{nonce}.".encode() + body, hashlib.sha256).hexdigest()


@dataclass
class Delivered:
    key: str
    to: str
    text: str
    channel: str
    message_id: str


@dataclass
class ProviderState:
    delivered: dict[str, Delivered] = field(default_factory=dict)
    submissions: dict[str, int] = field(default_factory=dict)  # key -> times submitted
    nonces: set[str] = field(default_factory=set)
    requests: int = 0
    rejected_requests: list[str] = field(default_factory=list)
    fail_next: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def accept(self, key: str, to: str, text: str, channel: str) -> tuple[str, str | None, str]:
        """(status, error, message id) for one message; a key seen before gets its first result."""
        with self.lock:
            self.submissions[key] = self.submissions.get(key, 0) + 1
            if key in self.delivered:
                return "duplicate", None, self.delivered[key].message_id
            if to.startswith("+000"):
                return "rejected", "invalid number", ""
            message_id = f"m{len(self.delivered) + 1}"
            self.delivered[key] = Delivered(key, to, text, channel, message_id)
            return "accepted", None, message_id


class _ProviderHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as two writes: no 40 ms delayed-ACK stall
    server: _ProviderHTTPServer

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _reply(self, status: int, payload: dict[str, Any]) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        state = self.server.state
        with state.lock:
            state.requests += 1
            failing = state.fail_next > 0
            if failing:
                state.fail_next -= 1
        if failing:
            self._reply(503, {"error": "temporarily unavailable"})
            return
        if self.path == "/generic":
            self._generic(body)
        elif self.path == "/signed":
            self._signed(body)
        else:
            self._reply(404, {"error": "no such endpoint"})

    def _fresh_nonce(self, nonce: str) -> bool:
        state = self.server.state
        with state.lock:
            if not nonce or nonce in state.nonces:
                return False
            state.nonces.add(nonce)
            return True

    def _generic(self, body: bytes) -> None:
        stamp = self.headers.get("X-Recoup-Timestamp", "")
        nonce = self.headers.get("X-Recoup-Nonce", "")
        given = self.headers.get("X-Recoup-Signature", "")
        expected = reference_body_signature(GENERIC_SECRET, stamp, nonce, body)
        if not hmac.compare_digest(expected, given) or abs(time.time() - int(stamp or 0)) > 300:
            self.server.state.rejected_requests.append("bad signature")
            self._reply(401, {"error": "bad signature"})
            return
        if not self._fresh_nonce(nonce):
            self._reply(409, {"error": "nonce replayed"})
            return
        results = []
        for item in json.loads(body)["messages"]:
            status, error, message_id = self.server.state.accept(
                item["id"], item["to"], item["text"], item["channel"]
            )
            results.append(
                {"id": item["id"], "status": status, "message_id": message_id or None, "error": error}
            )
        self._reply(200, {"results": results})

    def _signed(self, body: bytes) -> None:
        params = dict(parse_qsl(body.decode(), keep_blank_values=True))
        if params.get("AccessKeyId") != ACCESS_KEY_ID or not hmac.compare_digest(
            reference_params_signature(params, ACCESS_KEY_SECRET), params.get("Signature", "")
        ):
            self.server.state.rejected_requests.append("SignatureDoesNotMatch")
            self._reply(400, {"Code": "SignatureDoesNotMatch", "Message": "signature does not match"})
            return
        sent = datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        if abs((datetime.now(UTC) - sent).total_seconds()) > 900:
            self._reply(400, {"Code": "InvalidTimeStamp.Expired", "Message": "timestamp expired"})
            return
        if not self._fresh_nonce(params.get("SignatureNonce", "")):
            self._reply(400, {"Code": "SignatureNonceUsed", "Message": "nonce used"})
            return
        results = []
        for item in json.loads(params["Messages"]):
            status, error, message_id = self.server.state.accept(
                item["OutId"], item["PhoneNumber"], item["Content"], "sms"
            )
            ok = status in ("accepted", "duplicate")
            results.append(
                {
                    "OutId": item["OutId"],
                    "BizId": message_id or None,
                    "Code": "OK" if ok else "isv.MOBILE_NUMBER_ILLEGAL",
                    "Message": "OK" if ok else error,
                }
            )
        self._reply(200, {"Code": "OK", "RequestId": f"r{self.server.state.requests}", "Results": results})


class _ProviderHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    state: ProviderState


@dataclass
class ProviderServer:
    state: ProviderState = field(default_factory=ProviderState)

    def start(self) -> ProviderServer:
        self.httpd = _ProviderHTTPServer(("127.0.0.1", 0), _ProviderHandler)
        self.httpd.state = self.state
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def running_smtp() -> Iterator[SmtpSink]:
    """For a fixture: ``yield from running_smtp()``."""
    sink = SmtpSink().start()
    try:
        yield sink
    finally:
        sink.stop()


def running_provider() -> Iterator[ProviderServer]:
    """For a fixture: ``yield from running_provider()``."""
    server = ProviderServer().start()
    try:
        yield server
    finally:
        server.stop()
