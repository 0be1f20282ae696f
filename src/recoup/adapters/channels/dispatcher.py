"""Routes outbound messages to their channel's gateway, in chunks, under each channel's rate limit.

Channels run side by side (one thread each), so a slow SMTP server does not hold up the SMS provider;
within a channel the gateway batches and pools connections itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from recoup.adapters.channels.gateway import Gateway, OutboundMessage, SendResult, failed_all
from recoup.adapters.channels.ratelimit import RateLimit, Unlimited

DEFAULT_CHUNK = 500


@dataclass
class Dispatcher:
    """``gateways``: channel -> gateway; ``limits``: channel -> rate limit (messages a second)."""

    gateways: Mapping[str, Gateway]
    limits: Mapping[str, RateLimit] = field(default_factory=dict)
    chunk: int = DEFAULT_CHUNK

    @property
    def providers(self) -> dict[str, str]:
        """channel -> provider name, as recorded on each delivery."""
        return {channel: gateway.name for channel, gateway in self.gateways.items()}

    def _deliver_channel(
        self, channel: str, messages: Sequence[OutboundMessage], progress: Callable[[int], None] | None
    ) -> list[SendResult]:
        gateway = self.gateways.get(channel)
        if gateway is None:
            return failed_all(messages, f"no gateway configured for channel {channel!r}")
        limit = self.limits.get(channel) or Unlimited()
        results: list[SendResult] = []
        for start in range(0, len(messages), self.chunk):
            chunk = messages[start : start + self.chunk]
            limit.acquire(len(chunk))
            results.extend(gateway.send(chunk))
            if progress is not None:
                progress(len(chunk))
        return results

    def deliver(
        self, messages: Sequence[OutboundMessage], progress: Callable[[int], None] | None = None
    ) -> list[SendResult]:
        """Send every message; one result per message (in no particular order)."""
        by_channel: dict[str, list[OutboundMessage]] = {}
        for message in messages:
            by_channel.setdefault(message.channel, []).append(message)
        if len(by_channel) <= 1:
            return [
                r
                for channel, group in by_channel.items()
                for r in self._deliver_channel(channel, group, progress)
            ]
        with ThreadPoolExecutor(max_workers=len(by_channel), thread_name_prefix="dispatch") as pool:
            futures = [pool.submit(self._deliver_channel, c, g, progress) for c, g in by_channel.items()]
            return [result for future in futures for result in future.result()]

    def close(self) -> None:
        for gateway in self.gateways.values():
            gateway.close()
