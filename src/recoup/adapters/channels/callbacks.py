"""Provider callbacks: delivery receipts and inbound replies, verified and parsed into plain records.

Each provider kind has a parser that checks the signature and timestamp (`signing`), then reads the
payload strictly: a field missing, a time without an offset or an unknown status refuses the whole
callback with `CallbackRejected` naming what and where, so nothing is half-applied. The nonce it returns
still has to pass the replay check, which needs the database (services.inbound.accept_nonce).

Generic JSON provider (headers signed as in `signing.sign_body`):
    receipts: {"receipts": [{"id": idempotency key, "message_id": optional, "status": "delivered" |
               "failed" | "bounced" | "read", "at": ISO 8601 with offset, "error": optional}]}
    replies:  {"replies": [{"id": provider message id, "from": phone / address / handle, "text": "...",
               "at": ISO 8601 with offset, "in_reply_to": optional idempotency key}]}
Signed provider (form parameters signed as in `signing.sign_params`):
    receipts: Receipts=[{"OutId": key, "BizId": ..., "Status": "DELIVERED" | "FAILED" | "REJECTED",
               "ReportTime": ISO 8601 with offset, "ErrCode": optional}]
    replies:  Replies=[{"MsgId": ..., "PhoneNumber": ..., "Content": ..., "SendTime": ISO 8601 with offset,
               "OutId": optional key of the message answered}]
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Protocol
from urllib.parse import parse_qsl

from recoup.adapters.channels.signing import SignatureRejected, Verified, verify_body, verify_params

GENERIC_STATUSES: Final = {"delivered": "delivered", "failed": "failed", "bounced": "bounced", "read": "read"}
SIGNED_STATUSES: Final = {
    "DELIVERED": "delivered",
    "FAILED": "failed",
    "REJECTED": "failed",
    "UNDELIVERABLE": "bounced",
}
MAX_ITEMS: Final = 10_000
MAX_TEXT: Final = 5_000


class CallbackRejected(Exception):
    """A callback that is refused whole. ``status_code``: 401 unsigned or bad signature, 409 replayed,
    422 malformed or naming messages we never sent."""

    def __init__(self, status_code: int, reason: str) -> None:
        super().__init__(reason)
        self.status_code = status_code
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Receipt:
    reference: str  # our idempotency key, or the provider's message id when the key is absent
    status: str  # delivered | failed | bounced | read
    at: datetime
    provider_message_id: str | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    message_id: str
    sender: str
    text: str
    at: datetime
    in_reply_to: str | None = None


class CallbackParser(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def channel(self) -> str: ...

    @property
    def sender(self) -> str:
        """The provider whose deliveries its receipts report on (itself, or e.g. `smtp` for a mail
        gateway reporting bounces of what the SMTP gateway sent)."""
        ...

    def receipts(
        self, headers: Mapping[str, str], body: bytes, now: datetime
    ) -> tuple[Verified, list[Receipt]]: ...

    def replies(
        self, headers: Mapping[str, str], body: bytes, now: datetime
    ) -> tuple[Verified, list[Reply]]: ...


def _instant(value: Any, where: str) -> datetime:
    if not isinstance(value, str):
        raise CallbackRejected(422, f"{where}: time missing")
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise CallbackRejected(422, f"{where}: {value!r} is not an ISO 8601 time") from None
    if at.tzinfo is None:
        raise CallbackRejected(422, f"{where}: {value!r} has no UTC offset")
    return at


def _text(
    item: Mapping[str, Any], name: str, where: str, *, required: bool = True, limit: int = 200
) -> str | None:
    value = item.get(name)
    if value is None or value == "":
        if required:
            raise CallbackRejected(422, f"{where}: {name} missing")
        return None
    if not isinstance(value, (str, int)):
        raise CallbackRejected(422, f"{where}: {name} must be text")
    text = str(value)
    if len(text) > limit:
        raise CallbackRejected(422, f"{where}: {name} longer than {limit} characters")
    return text


def _items(payload: Any, name: str) -> list[Mapping[str, Any]]:
    items = payload.get(name) if isinstance(payload, Mapping) else payload
    if not isinstance(items, list) or not all(isinstance(i, Mapping) for i in items):
        raise CallbackRejected(422, f"{name}: expected a list of objects")
    if len(items) > MAX_ITEMS:
        raise CallbackRejected(422, f"{name}: more than {MAX_ITEMS} items")
    return items


def _json(raw: bytes | str, where: str) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CallbackRejected(422, f"{where}: not valid JSON ({exc})") from None


def _verified(check: Callable[[], Verified]) -> Verified:
    try:
        return check()
    except SignatureRejected as exc:
        raise CallbackRejected(401, exc.reason) from None


def _receipt(
    item: Mapping[str, Any], where: str, statuses: Mapping[str, str], names: Mapping[str, str]
) -> Receipt:
    key = _text(item, names["id"], where, required=False)
    provider_id = _text(item, names["message_id"], where, required=False)
    reference = key or provider_id
    if reference is None:
        raise CallbackRejected(422, f"{where}: {names['id']} or {names['message_id']} missing")
    raw_status = _text(item, names["status"], where)
    status = statuses.get(raw_status or "")
    if status is None:
        raise CallbackRejected(422, f"{where}: status {raw_status!r} is not one of {', '.join(statuses)}")
    error = _text(item, names["error"], where, required=False, limit=MAX_TEXT)
    return Receipt(reference, status, _instant(item.get(names["at"]), where), provider_id, error)


def _reply(item: Mapping[str, Any], where: str, names: Mapping[str, str]) -> Reply:
    message_id = _text(item, names["id"], where)
    sender = _text(item, names["from"], where, limit=320)
    text = _text(item, names["text"], where, limit=MAX_TEXT)
    assert message_id is not None and sender is not None and text is not None
    in_reply_to = _text(item, names["in_reply_to"], where, required=False)
    return Reply(message_id, sender, text, _instant(item.get(names["at"]), where), in_reply_to)


_GENERIC_RECEIPT = {"id": "id", "message_id": "message_id", "status": "status", "at": "at", "error": "error"}
_GENERIC_REPLY = {"id": "id", "from": "from", "text": "text", "at": "at", "in_reply_to": "in_reply_to"}
_SIGNED_RECEIPT = {
    "id": "OutId",
    "message_id": "BizId",
    "status": "Status",
    "at": "ReportTime",
    "error": "ErrCode",
}
_SIGNED_REPLY = {
    "id": "MsgId",
    "from": "PhoneNumber",
    "text": "Content",
    "at": "SendTime",
    "in_reply_to": "OutId",
}


@dataclass(frozen=True)
class GenericCallbacks:
    """Callbacks of the generic JSON provider, signed with its shared secret."""

    name: str
    channel: str
    secret: str
    reports_on: str | None = None

    @property
    def sender(self) -> str:
        return self.reports_on or self.name

    def _payload(self, headers: Mapping[str, str], body: bytes, now: datetime) -> tuple[Verified, Any]:
        verified = _verified(lambda: verify_body(headers, body, secret=self.secret, now=now))
        return verified, _json(body, "body")

    def receipts(
        self, headers: Mapping[str, str], body: bytes, now: datetime
    ) -> tuple[Verified, list[Receipt]]:
        verified, payload = self._payload(headers, body, now)
        items = _items(payload, "receipts")
        return verified, [
            _receipt(item, f"receipts[{i}]", GENERIC_STATUSES, _GENERIC_RECEIPT)
            for i, item in enumerate(items)
        ]

    def replies(self, headers: Mapping[str, str], body: bytes, now: datetime) -> tuple[Verified, list[Reply]]:
        verified, payload = self._payload(headers, body, now)
        items = _items(payload, "replies")
        return verified, [_reply(item, f"replies[{i}]", _GENERIC_REPLY) for i, item in enumerate(items)]


@dataclass(frozen=True)
class SignedCallbacks:
    """Callbacks of the signed provider: form parameters signed with the access key."""

    name: str
    channel: str
    secrets: Mapping[str, str]  # AccessKeyId -> secret

    @property
    def sender(self) -> str:
        return self.name

    def _params(
        self, headers: Mapping[str, str], body: bytes, now: datetime
    ) -> tuple[Verified, dict[str, str]]:
        try:
            params = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body)))
        except (ValueError, UnicodeDecodeError) as exc:
            raise CallbackRejected(422, f"body: not form parameters ({exc})") from None
        return _verified(lambda: verify_params(params, secrets=self.secrets, now=now)), params

    def receipts(
        self, headers: Mapping[str, str], body: bytes, now: datetime
    ) -> tuple[Verified, list[Receipt]]:
        verified, params = self._params(headers, body, now)
        items = _items(_json(params.get("Receipts", ""), "Receipts"), "Receipts")
        return verified, [
            _receipt(item, f"Receipts[{i}]", SIGNED_STATUSES, _SIGNED_RECEIPT) for i, item in enumerate(items)
        ]

    def replies(self, headers: Mapping[str, str], body: bytes, now: datetime) -> tuple[Verified, list[Reply]]:
        verified, params = self._params(headers, body, now)
        items = _items(_json(params.get("Replies", ""), "Replies"), "Replies")
        return verified, [_reply(item, f"Replies[{i}]", _SIGNED_REPLY) for i, item in enumerate(items)]
