"""The strategy engine: segments, treatment paths, offers, uplift, experiments, the optimiser, work queues.

The daily run calls ``propose`` (the default strategy, or ``baseline.propose``) for candidates, keeps
those compliance allows, then ``choose`` picks at most one per account within the day's capacities.
"""

from recoup.core.strategy.default import StrategyConfig, default_config, propose
from recoup.core.strategy.experiments import (
    CHAMPION,
    HOLDOUT,
    OUTCOME_SCHEMA,
    Arm,
    Experiment,
    Promotion,
    PromotionRecord,
    Readout,
    arm_of,
    assign_arms,
    promote,
    readout,
    stable_hash,
)
from recoup.core.strategy.offers import Offer, installment_offer, settlement_offer
from recoup.core.strategy.optimiser import Capacities, Decision, choose, solve
from recoup.core.strategy.paths import (
    Guardrails,
    Path,
    Playbook,
    PlaybookError,
    Step,
    default_playbook,
    parse_playbook,
    playbooks_by_creditor,
)
from recoup.core.strategy.segments import SEGMENTS, Segment, SegmentRules, assign_segments, segment_of
from recoup.core.strategy.uplift import (
    DEFAULT_PRIOR,
    HISTORY_SCHEMA,
    UpliftModel,
    UpliftPrior,
    cold_start,
    fit_uplift,
)
from recoup.core.strategy.workqueue import work_queue

__all__ = [
    "CHAMPION",
    "DEFAULT_PRIOR",
    "HISTORY_SCHEMA",
    "HOLDOUT",
    "OUTCOME_SCHEMA",
    "SEGMENTS",
    "Arm",
    "Capacities",
    "Decision",
    "Experiment",
    "Guardrails",
    "Offer",
    "Path",
    "Playbook",
    "PlaybookError",
    "Promotion",
    "PromotionRecord",
    "Readout",
    "Segment",
    "SegmentRules",
    "Step",
    "StrategyConfig",
    "UpliftModel",
    "UpliftPrior",
    "arm_of",
    "assign_arms",
    "assign_segments",
    "choose",
    "cold_start",
    "default_config",
    "default_playbook",
    "fit_uplift",
    "installment_offer",
    "parse_playbook",
    "playbooks_by_creditor",
    "promote",
    "propose",
    "readout",
    "segment_of",
    "settlement_offer",
    "solve",
    "stable_hash",
    "work_queue",
]
