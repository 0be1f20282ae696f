"""Channel configuration from RECOUP_* variables, and the gateways and callback parsers built from it.

Only channels with a configured provider are dispatched; messages for the others stay queued.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from recoup.adapters.channels.callbacks import CallbackParser, GenericCallbacks, SignedCallbacks
from recoup.adapters.channels.dispatcher import Dispatcher
from recoup.adapters.channels.gateway import Gateway, RetryPolicy
from recoup.adapters.channels.http_sms import SignedSmsGateway, WebhookGateway
from recoup.adapters.channels.ratelimit import RateLimit, limit_for
from recoup.adapters.channels.smtp import SmtpConfig, SmtpGateway


class ChannelSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RECOUP_", extra="ignore")

    agency_name: str = "Recoup"
    agency_phone: str = "400-000-0000"
    agency_address: str = ""

    smtp_host: str | None = Field(default=None, description="SMTP server; unset: email is not dispatched")
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    smtp_connections: int = Field(default=2, ge=1, le=32)
    mail_from: str = "collections@localhost"
    mail_unsubscribe: str | None = Field(default=None, description="mailbox for List-Unsubscribe")
    email_inbound_secret: str | None = Field(
        default=None,
        description="secret of the mail gateway that posts inbound email to /webhooks/email-webhook",
    )

    sms_provider: Literal["webhook", "signed"] | None = None
    sms_url: str | None = None
    sms_secret: str | None = Field(default=None, description="webhook provider: shared HMAC secret")
    sms_access_key_id: str | None = None
    sms_access_key_secret: str | None = None
    sms_sign_name: str | None = None
    sms_signature_method: Literal["HMAC-SHA1", "HMAC-SHA256"] = "HMAC-SHA256"
    im_url: str | None = Field(default=None, description="IM through the generic webhook provider")
    im_secret: str | None = None
    http_batch_size: int = Field(default=200, ge=1, le=10_000)
    http_connections: int = Field(default=4, ge=1, le=64)

    rate_sms: float | None = Field(default=None, description="messages a second; unset: no limit")
    rate_email: float | None = None
    rate_im: float | None = None
    send_attempts: int = Field(default=4, ge=1, le=20)

    idempotency_prefix: str = Field(default="recoup", pattern=r"^[A-Za-z0-9._-]{1,40}$")
    dispatch_lease_seconds: int = Field(default=600, ge=1)
    letter_font: Path | None = None


SMS_WEBHOOK = "sms-webhook"
SMS_SIGNED = "sms-signed"
IM_WEBHOOK = "im-webhook"
EMAIL_WEBHOOK = "email-webhook"


def build_gateways(settings: ChannelSettings, retry: RetryPolicy | None = None) -> dict[str, Gateway]:
    """channel -> gateway for every configured channel."""
    policy = retry or RetryPolicy(attempts=settings.send_attempts)
    gateways: dict[str, Gateway] = {}
    if settings.smtp_host:
        config = SmtpConfig(
            host=settings.smtp_host,
            port=settings.smtp_port,
            mail_from=settings.mail_from,
            from_name=settings.agency_name,
            username=settings.smtp_username,
            password=settings.smtp_password,
            starttls=settings.smtp_starttls,
            use_ssl=settings.smtp_ssl,
            connections=settings.smtp_connections,
            unsubscribe_to=settings.mail_unsubscribe,
        )
        gateways["email"] = SmtpGateway(config, retry=policy)
    if settings.sms_provider == "webhook" and settings.sms_url and settings.sms_secret:
        gateways["sms"] = WebhookGateway(
            settings.sms_url,
            settings.sms_secret,
            channel="sms",
            name=SMS_WEBHOOK,
            batch_size=settings.http_batch_size,
            connections=settings.http_connections,
            retry=policy,
        )
    elif settings.sms_provider == "signed" and settings.sms_url and settings.sms_access_key_id:
        gateways["sms"] = SignedSmsGateway(
            settings.sms_url,
            settings.sms_access_key_id,
            settings.sms_access_key_secret or "",
            settings.sms_sign_name or settings.agency_name,
            name=SMS_SIGNED,
            signature_method=settings.sms_signature_method,
            batch_size=settings.http_batch_size,
            connections=settings.http_connections,
            retry=policy,
        )
    if settings.im_url and settings.im_secret:
        gateways["im"] = WebhookGateway(
            settings.im_url,
            settings.im_secret,
            channel="im",
            name=IM_WEBHOOK,
            batch_size=settings.http_batch_size,
            connections=settings.http_connections,
            retry=policy,
        )
    return gateways


def build_limits(settings: ChannelSettings) -> dict[str, RateLimit]:
    return {
        "sms": limit_for(settings.rate_sms),
        "email": limit_for(settings.rate_email),
        "im": limit_for(settings.rate_im),
    }


def build_dispatcher(settings: ChannelSettings, retry: RetryPolicy | None = None) -> Dispatcher:
    return Dispatcher(build_gateways(settings, retry), build_limits(settings))


def build_callback_parsers(settings: ChannelSettings) -> dict[str, CallbackParser]:
    """provider name (the path segment of the webhook URLs) -> its callback parser."""
    parsers: dict[str, CallbackParser] = {}
    if settings.sms_provider == "webhook" and settings.sms_secret:
        parsers[SMS_WEBHOOK] = GenericCallbacks(SMS_WEBHOOK, "sms", settings.sms_secret)
    if settings.sms_provider == "signed" and settings.sms_access_key_id and settings.sms_access_key_secret:
        parsers[SMS_SIGNED] = SignedCallbacks(
            SMS_SIGNED, "sms", {settings.sms_access_key_id: settings.sms_access_key_secret}
        )
    if settings.im_secret:
        parsers[IM_WEBHOOK] = GenericCallbacks(IM_WEBHOOK, "im", settings.im_secret)
    if settings.email_inbound_secret:
        # Its receipts are bounces of the mail the SMTP gateway sent.
        parsers[EMAIL_WEBHOOK] = GenericCallbacks(
            EMAIL_WEBHOOK, "email", settings.email_inbound_secret, reports_on="smtp"
        )
    return parsers
