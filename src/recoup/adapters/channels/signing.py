"""Request signatures of the HTTP message providers, for what we send and for the callbacks we accept.

Two schemes:
- `params`: the scheme of common Chinese cloud SMS services (Alibaba Cloud RPC style). Every parameter
  except `Signature` is percent-encoded (RFC 3986: space as %20, `*` as %2A, `~` kept), sorted by name and
  joined as ``k=v&k=v``; the string to sign is ``METHOD&%2F&`` + the percent-encoded join; the signature is
  base64(HMAC(secret + "&", string)) with SHA-1 or SHA-256 as `SignatureMethod` says. `AccessKeyId`,
  `Timestamp` (UTC, ``YYYY-MM-DDThh:mm:ssZ``) and `SignatureNonce` are parameters like the others.
- `body`: a generic webhook: hex HMAC-SHA256 over ``timestamp + "." + nonce + "." + body`` in the headers
  `X-Recoup-Timestamp`, `X-Recoup-Nonce`, `X-Recoup-Signature`.

Verification checks the signature in constant time and the timestamp against a skew window; the caller
checks that the nonce was never seen (replay protection needs storage).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

MAX_SKEW: Final = timedelta(minutes=5)
TIMESTAMP_FORMAT: Final = "%Y-%m-%dT%H:%M:%SZ"
HASHES: Final = {"HMAC-SHA1": hashlib.sha1, "HMAC-SHA256": hashlib.sha256}
TIMESTAMP_HEADER: Final = "X-Recoup-Timestamp"
NONCE_HEADER: Final = "X-Recoup-Nonce"
SIGNATURE_HEADER: Final = "X-Recoup-Signature"


class SignatureRejected(Exception):
    """A request or callback whose signature, timestamp or form is not acceptable."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Verified:
    """A callback whose signature and timestamp passed: its nonce still needs the replay check."""

    nonce: str
    at: datetime


_UNRESERVED_RUN: Final = re.compile(rb"[^A-Za-z0-9_.~-]+")


def _escape_run(match: re.Match[bytes]) -> bytes:
    return b"%" + match.group().hex("%").upper().encode("ascii")


def percent_encode(value: str) -> str:
    """RFC 3986 percent-encoding of UTF-8 (what ``urllib.parse.quote(value, safe="~")`` gives), a run of
    escaped bytes at a time: a batch of Chinese messages is mostly bytes to escape."""
    return _UNRESERVED_RUN.sub(_escape_run, value.encode("utf-8")).decode("ascii")


def form_body(params: Mapping[str, str]) -> bytes:
    """``params`` as an application/x-www-form-urlencoded body (spaces as %20, which forms accept)."""
    return "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in params.items()).encode("ascii")


def string_to_sign(params: Mapping[str, str], method: str = "POST") -> str:
    canonical = "&".join(
        f"{percent_encode(k)}={percent_encode(params[k])}" for k in sorted(params) if k != "Signature"
    )
    # Encoding the canonical string again only touches '%', '&' and '=' (all else is unreserved).
    encoded = canonical.replace("%", "%25").replace("&", "%26").replace("=", "%3D")
    return f"{method}&{percent_encode('/')}&{encoded}"


def params_signature(params: Mapping[str, str], secret: str, method: str = "POST") -> str:
    algorithm = HASHES.get(params.get("SignatureMethod", "HMAC-SHA1"))
    if algorithm is None:
        raise SignatureRejected(f"unsupported SignatureMethod {params.get('SignatureMethod')!r}")
    digest = hmac.new(f"{secret}&".encode(), string_to_sign(params, method).encode(), algorithm).digest()
    return base64.b64encode(digest).decode()


def timestamp(now: datetime) -> str:
    return now.astimezone(UTC).strftime(TIMESTAMP_FORMAT)


def sign_params(
    params: Mapping[str, str],
    *,
    access_key_id: str,
    secret: str,
    now: datetime,
    method: str = "POST",
    signature_method: str = "HMAC-SHA256",
    nonce: str | None = None,
) -> dict[str, str]:
    """``params`` plus the signing parameters and their `Signature`."""
    signed = {
        **params,
        "AccessKeyId": access_key_id,
        "SignatureMethod": signature_method,
        "SignatureVersion": "1.0",
        "SignatureNonce": nonce or uuid.uuid4().hex,
        "Timestamp": timestamp(now),
    }
    signed["Signature"] = params_signature(signed, secret, method)
    return signed


def _check_time(text: str | None, now: datetime, parse: str) -> datetime:
    if not text:
        raise SignatureRejected("timestamp missing")
    try:
        at = (
            datetime.fromtimestamp(int(text), UTC)
            if parse == "epoch"
            else datetime.strptime(text, TIMESTAMP_FORMAT).replace(tzinfo=UTC)
        )
    except (ValueError, OverflowError, OSError):
        raise SignatureRejected(f"timestamp {text!r} is not valid") from None
    if abs(now - at) > MAX_SKEW:
        raise SignatureRejected(f"timestamp {text} is outside the {int(MAX_SKEW.total_seconds())} s window")
    return at


def verify_params(
    params: Mapping[str, str], *, secrets: Mapping[str, str], now: datetime, method: str = "POST"
) -> Verified:
    """Check a `params`-signed request; ``secrets`` maps each known AccessKeyId to its secret."""
    given = params.get("Signature")
    if not given:
        raise SignatureRejected("unsigned: no Signature parameter")
    secret = secrets.get(params.get("AccessKeyId", ""))
    if secret is None:
        raise SignatureRejected(f"unknown AccessKeyId {params.get('AccessKeyId')!r}")
    if not hmac.compare_digest(params_signature(params, secret, method), given):
        raise SignatureRejected("signature does not match")
    nonce = params.get("SignatureNonce")
    if not nonce:
        raise SignatureRejected("SignatureNonce missing")
    return Verified(nonce, _check_time(params.get("Timestamp"), now, "iso"))


def body_signature(secret: str, stamp: str, nonce: str, body: bytes) -> str:
    return hmac.new(
        secret.encode(), stamp.encode() + b"." + nonce.encode() + b"." + body, hashlib.sha256
    ).hexdigest()


def sign_body(body: bytes, *, secret: str, now: datetime, nonce: str | None = None) -> dict[str, str]:
    """The headers that sign ``body`` for a generic webhook."""
    stamp = str(int(now.timestamp()))
    chosen = nonce or uuid.uuid4().hex
    return {
        TIMESTAMP_HEADER: stamp,
        NONCE_HEADER: chosen,
        SIGNATURE_HEADER: body_signature(secret, stamp, chosen, body),
    }


def verify_body(headers: Mapping[str, str], body: bytes, *, secret: str, now: datetime) -> Verified:
    lower = {k.lower(): v for k, v in headers.items()}
    given = lower.get(SIGNATURE_HEADER.lower())
    if not given:
        raise SignatureRejected(f"unsigned: no {SIGNATURE_HEADER} header")
    stamp = lower.get(TIMESTAMP_HEADER.lower(), "")
    nonce = lower.get(NONCE_HEADER.lower(), "")
    if not nonce:
        raise SignatureRejected(f"{NONCE_HEADER} missing")
    if not hmac.compare_digest(body_signature(secret, stamp, nonce, body), given):
        raise SignatureRejected("signature does not match")
    return Verified(nonce, _check_time(stamp, now, "epoch"))
