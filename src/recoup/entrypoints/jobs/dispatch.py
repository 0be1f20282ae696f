"""The dispatch job: empties the outbox in batches, each in two transactions with the sending between them.

    route calls, visits and legal reviews to the agents' queues            (one transaction)
    repeat: claim a batch -> commit -> send -> record results -> commit

Run it as often as you like (a scheduler every minute, or `recoup channels dispatch`); two running at
once never take the same action, and one killed mid-send leaves its batch in 'sending' for a later run
to re-send, with the same idempotency keys, once the lease has run out. A message whose contact window
is yet to open stays queued: each batch reads on past the ones before, so held messages never stop
the run from reaching those behind them, and a later run sends them once their window opens.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from recoup.adapters.channels.dispatcher import Dispatcher
from recoup.adapters.channels.settings import ChannelSettings
from recoup.bootstrap import App
from recoup.core.compliance import RulebookSet, load_rulebooks
from recoup.services import dispatch

Progress = Callable[[int], None]


@dataclass
class DispatchSummary:
    agent_work: int = 0
    claimed: int = 0
    recovered: int = 0
    held: int = 0
    batches: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "agent_work": self.agent_work,
            "claimed": self.claimed,
            "recovered": self.recovered,
            "held": self.held,
            "batches": self.batches,
            "outcomes": dict(sorted(self.outcomes.items())),
        }


def dispatch_outbox(
    app: App,
    dispatcher: Dispatcher,
    settings: ChannelSettings,
    *,
    limit: int | None = None,
    batch: int = dispatch.DEFAULT_BATCH,
    progress: Progress | None = None,
    rulebooks: RulebookSet | None = None,
) -> DispatchSummary:
    """Send what is due now and inside its contact window; at most ``limit`` actions (all when None)."""
    db = app.db
    books = rulebooks or load_rulebooks()
    summary = DispatchSummary()
    with db.engine.begin() as connection:
        summary.agent_work = dispatch.route_agent_work(connection, db, app.clock())
    providers = dispatcher.providers
    remaining = limit
    after: dispatch.Cursor | None = None
    while providers and (remaining is None or remaining > 0):
        size = batch if remaining is None else min(batch, remaining)
        now = app.clock()
        with db.engine.begin() as connection:
            claim = dispatch.claim_batch(
                connection,
                db,
                now,
                providers,
                limit=size,
                lease=timedelta(seconds=settings.dispatch_lease_seconds),
                prefix=settings.idempotency_prefix,
                rulebooks=books,
                after=after,
            )
        if claim.read == 0:
            break
        after = claim.after
        summary.held += claim.held
        if claim.rows.is_empty():
            continue
        results = dispatcher.deliver(claim.messages, progress)
        with db.engine.begin() as connection:
            recorded = dispatch.record_results(connection, db, claim, results, app.clock())
        summary.batches += 1
        summary.claimed += claim.rows.height
        summary.recovered += claim.recovered
        summary.outcomes.update(claim.settled)
        summary.outcomes.update({k: v for k, v in recorded.items() if k not in ("recorded", "events")})
        if remaining is not None:
            remaining -= claim.rows.height
    return summary
