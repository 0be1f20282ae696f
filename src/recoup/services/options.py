"""What a daily run is told (options) and what each of its steps reports (results)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from recoup.core.audit import Cover
from recoup.core.messages import Sender


@dataclass(frozen=True)
class RunOptions:
    capacity: Mapping[str, int] = field(default_factory=lambda: {"call": 2000, "visit": 0})
    message_budget: int | None = None
    strategy: str = "baseline"
    sender: Sender = field(default_factory=Sender)
    grace_days: int = 3


@dataclass
class StepResult:
    step: str
    seconds: float
    stats: dict[str, Any]
    covers: list[Cover | None] = field(default_factory=list)
