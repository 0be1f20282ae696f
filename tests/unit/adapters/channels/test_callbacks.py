from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest

from recoup.adapters.channels.callbacks import CallbackRejected, GenericCallbacks, SignedCallbacks
from recoup.adapters.channels.signing import sign_body, sign_params

NOW = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
GENERIC = GenericCallbacks("sms-webhook", "sms", "secret")
SIGNED = SignedCallbacks("sms-signed", "sms", {"key-id": "key-secret"})


def _generic(payload: object, secret: str = "secret") -> tuple[dict[str, str], bytes]:
    body = json.dumps(payload).encode()
    return sign_body(body, secret=secret, now=NOW), body


def _signed(name: str, items: object) -> bytes:
    params = sign_params({name: json.dumps(items)}, access_key_id="key-id", secret="key-secret", now=NOW)
    return urlencode(params).encode()


def test_generic_receipts_and_replies_parse() -> None:
    headers, body = _generic(
        {"receipts": [{"id": "recoup-1", "status": "delivered", "at": "2026-03-02T11:00:00+08:00"}]}
    )
    verified, [receipt] = GENERIC.receipts(headers, body, NOW)
    assert verified.nonce == headers["X-Recoup-Nonce"]
    assert (receipt.reference, receipt.status, receipt.at.utcoffset().total_seconds()) == (
        "recoup-1",
        "delivered",
        28800,
    )  # type: ignore[union-attr]
    headers, body = _generic(
        {
            "replies": [
                {"id": "in-1", "from": "+8613800138000", "text": "退订", "at": "2026-03-02T11:00:00+08:00"}
            ]
        }
    )
    _, [reply] = GENERIC.replies(headers, body, NOW)
    assert (reply.message_id, reply.sender, reply.text, reply.in_reply_to) == (
        "in-1",
        "+8613800138000",
        "退订",
        None,
    )


def test_signed_receipts_and_replies_parse() -> None:
    _, [receipt] = SIGNED.receipts(
        {},
        _signed(
            "Receipts",
            [
                {
                    "OutId": "recoup-1",
                    "BizId": "b1",
                    "Status": "FAILED",
                    "ReportTime": "2026-03-02T11:00:00+08:00",
                    "ErrCode": "MOBILE_OFF",
                }
            ],
        ),
        NOW,
    )
    assert (receipt.reference, receipt.status, receipt.provider_message_id, receipt.error) == (
        "recoup-1",
        "failed",
        "b1",
        "MOBILE_OFF",
    )
    _, [reply] = SIGNED.replies(
        {},
        _signed(
            "Replies",
            [
                {
                    "MsgId": "r1",
                    "PhoneNumber": "13800138000",
                    "Content": "TD",
                    "SendTime": "2026-03-02T11:00:00+08:00",
                    "OutId": "recoup-1",
                }
            ],
        ),
        NOW,
    )
    assert (reply.message_id, reply.in_reply_to) == ("r1", "recoup-1")


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"receipts": {"id": "x"}}, "expected a list"),
        (
            {"receipts": [{"status": "delivered", "at": "2026-03-02T11:00:00+08:00"}]},
            "id or message_id missing",
        ),
        ({"receipts": [{"id": "x", "status": "lost", "at": "2026-03-02T11:00:00+08:00"}]}, "status 'lost'"),
        ({"receipts": [{"id": "x", "status": "delivered", "at": "2026-03-02T11:00:00"}]}, "no UTC offset"),
        ({"receipts": [{"id": "x", "status": "delivered", "at": "yesterday"}]}, "not an ISO 8601"),
        ({"receipts": [{"id": "x", "status": "delivered"}]}, "time missing"),
    ],
)
def test_malformed_receipts_are_refused_whole_with_where(payload: object, reason: str) -> None:
    headers, body = _generic(payload)
    with pytest.raises(CallbackRejected, match=reason) as caught:
        GENERIC.receipts(headers, body, NOW)
    assert caught.value.status_code == 422


def test_unsigned_or_wrongly_signed_callbacks_are_refused_as_unauthorised() -> None:
    headers, body = _generic({"receipts": []}, secret="not-the-secret")
    with pytest.raises(CallbackRejected) as caught:
        GENERIC.receipts(headers, body, NOW)
    assert caught.value.status_code == 401
    with pytest.raises(CallbackRejected) as caught:
        GENERIC.receipts({}, body, NOW)
    assert caught.value.status_code == 401
    with pytest.raises(CallbackRejected) as caught:
        SIGNED.replies({}, b"Replies=%5B%5D", NOW)
    assert caught.value.status_code == 401


def test_a_body_that_is_not_json_is_malformed() -> None:
    body = b"not json"
    with pytest.raises(CallbackRejected) as caught:
        GENERIC.replies(sign_body(body, secret="secret", now=NOW), body, NOW)
    assert caught.value.status_code == 422
