"""A calibrated scorer as plain data (JSON-ready dict plus LightGBM's own text model) and back.

No pickles: a scorecard is a table of numbers, a calibrator a few more, a booster LightGBM's text
format. Loading runs no code from the artifact and needs no network, which is what a bank intranet
and a hash check want. Writing the parts to disk is the registry adapter's job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from recoup.core.scoring.calibration import Calibrator
from recoup.core.scoring.gbm import GbmModel
from recoup.core.scoring.metrics import ScoreReference
from recoup.core.scoring.scorecard import ScorecardTable
from recoup.core.scoring.scorer import CalibratedScorer

FORMAT: Final = "recoup-scorer/1"
BOOSTER_FILE: Final = "booster.txt"


@dataclass(frozen=True)
class ScorerParts:
    description: dict[str, Any]  # JSON-ready
    texts: dict[str, str]  # file name -> text content (LightGBM's model)


def to_parts(scorer: CalibratedScorer) -> ScorerParts:
    model = scorer.model
    if isinstance(model, ScorecardTable):
        return ScorerParts(
            description={
                "format": FORMAT,
                "family": model.family,
                "model": model.to_dict(),
                "calibrator": scorer.calibrator.to_dict(),
            },
            texts={},
        )
    if isinstance(model, GbmModel):
        description, booster = model.to_parts()
        return ScorerParts(
            description={
                "format": FORMAT,
                "family": model.family,
                "model": description,
                "calibrator": scorer.calibrator.to_dict(),
            },
            texts={BOOSTER_FILE: booster},
        )
    raise TypeError(f"cannot serialise a {type(model).__name__}")


def from_parts(parts: ScorerParts) -> CalibratedScorer:
    description = parts.description
    if description.get("format") != FORMAT:
        raise ValueError(f"unknown artifact format {description.get('format')!r}; expected {FORMAT}")
    calibrator = Calibrator.from_dict(description["calibrator"])
    family = description.get("family")
    if family == "scorecard":
        return CalibratedScorer(ScorecardTable.from_dict(description["model"]), calibrator)
    if family == "gbm":
        if BOOSTER_FILE not in parts.texts:
            raise ValueError(f"a gbm artifact needs {BOOSTER_FILE}")
        return CalibratedScorer(
            GbmModel.from_parts(description["model"], parts.texts[BOOSTER_FILE]), calibrator
        )
    raise ValueError(f"unknown model family {family!r}")


@dataclass(frozen=True)
class VersionedScorer:
    """A scorer with the version that every decision it makes records, and what it was trained on."""

    version: str
    kind: str
    scorer: CalibratedScorer
    reference: ScoreReference | None = None  # training score distribution (none for built-in defaults)
    metadata: dict[str, Any] = field(default_factory=dict)
