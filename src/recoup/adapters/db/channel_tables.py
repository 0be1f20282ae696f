"""Tables of the message channels: saved templates, deliveries (the outbox's send log), agent tasks,
inbound replies and the nonces that keep a provider callback from being replayed.

Created by migration 0003_channels.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from recoup.adapters.db.tables import Base, Instant, Key


class MessageTemplate(Base):
    """One version of a creditor's (or the agency's, creditor_id '') template. Only checked templates
    are stored; the newest active version of a key is the one used."""

    __tablename__ = "templates"
    __table_args__ = (
        UniqueConstraint("template_id", "jurisdiction", "language", "tone", "creditor_id", "version"),
    )

    key: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    template_id: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(10))
    language: Mapped[str] = mapped_column(String(5))
    tone: Mapped[str] = mapped_column(String(20))
    jurisdiction: Mapped[str] = mapped_column(String(10))
    product: Mapped[str | None] = mapped_column(String(30))
    creditor_id: Mapped[str] = mapped_column(String(100), default="")
    body: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(Instant)


class Delivery(Base):
    """The send log of one outbox action. Written with status 'sending' (and the idempotency key) before
    anything leaves, so a restarted dispatcher re-sends with the same key instead of a new message."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("idempotency_key"),
        Index("ix_deliveries_status_lease", "status", "lease_until"),
        Index("ix_deliveries_provider_message", "provider", "provider_message_id"),
    )

    action_key: Mapped[int] = mapped_column(ForeignKey("actions.key"), primary_key=True, autoincrement=False)
    account_key: Mapped[int] = mapped_column(ForeignKey("accounts.key"))
    idempotency_key: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(10))
    provider: Mapped[str] = mapped_column(String(50))
    recipient: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20))
    provider_message_id: Mapped[str | None] = mapped_column(String(200))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    lease_until: Mapped[datetime | None] = mapped_column(Instant)
    created_at: Mapped[datetime] = mapped_column(Instant)
    sent_at: Mapped[datetime | None] = mapped_column(Instant)
    updated_at: Mapped[datetime] = mapped_column(Instant)


class Task(Base):
    """Work for a person: a dispute to verify, a complaint to answer, hardship to talk through, a reply
    nobody could match to an account."""

    __tablename__ = "tasks"
    __table_args__ = (UniqueConstraint("kind", "reference"), Index("ix_tasks_status", "status"))

    # Keys are given by the writer (next key under a table lock), as for events and actions.
    key: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=False)
    account_key: Mapped[int | None] = mapped_column(ForeignKey("accounts.key"))
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), default="open")
    source: Mapped[str] = mapped_column(String(60))
    reference: Mapped[str] = mapped_column(String(300))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Instant)


class InboundMessage(Base):
    """A reply as it arrived, kept whole whether or not it matched an account."""

    __tablename__ = "inbound_messages"
    __table_args__ = (UniqueConstraint("provider", "message_id"),)

    key: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=False)
    provider: Mapped[str] = mapped_column(String(50))
    message_id: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(10))
    sender: Mapped[str] = mapped_column(String(320))
    text: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(Instant)
    in_reply_to: Mapped[str | None] = mapped_column(String(200))
    account_keys: Mapped[str] = mapped_column(String(500), default="")
    signals: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(Instant)


class WebhookNonce(Base):
    """Nonces of accepted provider callbacks: a callback seen once is refused the second time."""

    __tablename__ = "webhook_nonces"
    __table_args__ = (Index("ix_webhook_nonces_seen_at", "seen_at"),)

    provider: Mapped[str] = mapped_column(String(50), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(100), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(Instant)
