"""Provider callbacks: delivery receipts and inbound replies.

    POST /webhooks/{provider}/receipts
    POST /webhooks/{provider}/replies

``provider`` is a configured provider name (sms-webhook, sms-signed, im-webhook, email-webhook; see
adapters.channels.settings). Every callback must be signed by that provider and fresh (timestamp within
five minutes), and its nonce is accepted once: unsigned or badly signed -> 401, replayed -> 409,
malformed or naming messages we never sent -> 422, each with a JSON body saying why. A refused callback
changes nothing (the request's transaction rolls back, its nonce stays unused for a corrected retry);
an accepted one is applied whole.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from recoup.adapters.channels.callbacks import CallbackParser, CallbackRejected
from recoup.adapters.channels.settings import ChannelSettings, build_callback_parsers
from recoup.bootstrap import App
from recoup.core.errors import NotFound
from recoup.services.inbound import accept_nonce, apply_receipts, record_replies

MAX_BODY_BYTES = 2 * 1024 * 1024
log = logging.getLogger(__name__)
router = APIRouter(prefix="/webhooks", tags=["webhooks"])


def recoup_app(request: Request) -> App:
    app = request.app.state.recoup
    assert isinstance(app, App)
    return app


def callback_parsers(request: Request) -> dict[str, CallbackParser]:
    """Parsers per provider, from `app.state.channel_settings` (or RECOUP_* variables), built once."""
    parsers = getattr(request.app.state, "callback_parsers", None)
    if parsers is None:
        settings = getattr(request.app.state, "channel_settings", None) or ChannelSettings()
        parsers = build_callback_parsers(settings)
        request.app.state.callback_parsers = parsers
    return dict(parsers)


async def _body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise CallbackRejected(413, f"body larger than {MAX_BODY_BYTES} bytes")
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise CallbackRejected(413, f"body larger than {MAX_BODY_BYTES} bytes")
    return body


async def _handle(
    request: Request,
    provider: str,
    app: App,
    parsers: dict[str, CallbackParser],
    apply: Callable[[CallbackParser, bytes], Any],
) -> Any:
    parser = parsers.get(provider)
    if parser is None:
        raise NotFound(f"unknown provider {provider!r} (configured: {', '.join(sorted(parsers)) or 'none'})")
    try:
        body = await _body(request)
        return await run_in_threadpool(apply, parser, body)
    except CallbackRejected as exc:
        log.warning("callback from %s refused (%s): %s", provider, exc.status_code, exc.reason)
        return JSONResponse({"error": exc.reason}, status_code=exc.status_code)


@router.post("/{provider}/receipts")
async def receipts(
    request: Request,
    provider: str,
    app: Annotated[App, Depends(recoup_app)],
    parsers: Annotated[dict[str, CallbackParser], Depends(callback_parsers)],
) -> Any:
    """Delivery receipts: each moves its message's status forward and becomes an outbound contact event."""
    headers = dict(request.headers)

    def apply(parser: CallbackParser, body: bytes) -> dict[str, int]:
        now = app.clock()
        verified, items = parser.receipts(headers, body, now)
        with app.db.engine.begin() as connection:
            accept_nonce(connection, parser.name, verified.nonce, now)
            return apply_receipts(connection, app.db, parser.sender, items, now)

    return await _handle(request, provider, app, parsers, apply)


@router.post("/{provider}/replies")
async def replies(
    request: Request,
    provider: str,
    app: Annotated[App, Depends(recoup_app)],
    parsers: Annotated[dict[str, CallbackParser], Depends(callback_parsers)],
) -> Any:
    """Inbound replies: opt-outs, disputes, complaints and hardship take effect at once."""
    headers = dict(request.headers)

    def apply(parser: CallbackParser, body: bytes) -> dict[str, int]:
        now = app.clock()
        verified, items = parser.replies(headers, body, now)
        with app.db.engine.begin() as connection:
            accept_nonce(connection, parser.name, verified.nonce, now)
            return record_replies(connection, app.db, parser.name, parser.channel, items, now).as_dict()

    return await _handle(request, provider, app, parsers, apply)
