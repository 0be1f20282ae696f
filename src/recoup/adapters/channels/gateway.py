"""The one interface every outbound channel speaks, and the retry policy they share.

A gateway sends a batch of messages and answers one `SendResult` per message, in order. It never raises
for a message the provider refused (that is a result); it raises `TransientError` only when the whole
batch may be tried again, which `retrying` does with exponential backoff (tenacity). Every message
carries its idempotency key: providers drop a second message with a key they have seen, so a retry or a
restarted dispatcher never reaches the debtor twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, Literal, Protocol, TypeVar

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

SendStatus = Literal["sent", "delivered", "failed", "bounced"]
T = TypeVar("T")

DEFAULT_ATTEMPTS: Final = 4


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """One message ready to leave. ``to`` is a phone number, email address, IM handle or postal address."""

    idempotency_key: str
    action_key: int
    account_key: int
    channel: str
    to: str
    language: str
    text: str
    subject: str | None = None
    html: str | None = None
    recipient_name: str | None = None


@dataclass(frozen=True, slots=True)
class SendResult:
    """What became of one message. ``sent``: the provider accepted it (a receipt may follow);
    ``delivered``: it reached the recipient's server or handset; ``failed``/``bounced``: it will not."""

    idempotency_key: str
    status: SendStatus
    provider_message_id: str | None = None
    error: str | None = None


class TransientError(Exception):
    """The provider could not take the batch now (connection lost, 5xx, 429, SMTP 4xx); try again."""


class Gateway(Protocol):
    """A channel's way out. ``name`` identifies the provider in the deliveries table and in webhooks."""

    @property
    def name(self) -> str: ...

    def send(self, messages: Sequence[OutboundMessage]) -> list[SendResult]: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a batch is retried; ``sleep`` is swappable so tests never wait."""

    attempts: int = DEFAULT_ATTEMPTS
    initial_seconds: float = 0.5
    max_seconds: float = 30.0
    sleep: Callable[[float], None] | None = None

    def call(self, work: Callable[[], T], on_retry: Callable[[RetryCallState], None] | None = None) -> T:
        options: dict[str, object] = {
            "stop": stop_after_attempt(self.attempts),
            "wait": wait_exponential_jitter(multiplier=self.initial_seconds, max=self.max_seconds),
            "retry": retry_if_exception_type(TransientError),
            "reraise": True,
        }
        if self.sleep is not None:
            options["sleep"] = self.sleep
        if on_retry is not None:
            options["before_sleep"] = on_retry
        retrying = Retrying(**options)  # type: ignore[arg-type]
        return retrying(work)


def failed_all(messages: Sequence[OutboundMessage], error: str) -> list[SendResult]:
    """Every message of a batch failed for the same reason (the retries ran out, or a permanent refusal)."""
    return [SendResult(m.idempotency_key, "failed", None, error) for m in messages]
