"""What a daily run is told (options) and what each of its steps reports (results)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
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
    model_dir: Path | None = None  # where promoted models live; none: the built-in scorecards


@dataclass
class StepResult:
    step: str
    seconds: float
    stats: dict[str, Any]
    covers: list[Cover | None] = field(default_factory=list)
