"""Collects simulated events as NumPy columns and turns them into one EVENT_SCHEMA frame per day."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

from recoup.core.schema import CHANNELS, DIRECTIONS, EVENT_SCHEMA, EVENT_TYPES, OUTCOMES, UTC_INSTANT
from recoup.sim.columns import choose, concat, number_text
from recoup.sim.zones import utc_offsets_minutes

I64 = npt.NDArray[np.int64]
NONE: Final = -1  # code for "no value" in every categorical column

NOTES: Final = (
    "self_cure",
    "promise_kept",
    "promise_partial",
    "installment",
    "settlement",
    "after_contact",
    "paid_later",
    "frequency",
    "hours",
    "opted_out",
    "hold",
    "general",
)
EPOCH_ORDINAL: Final = date(1970, 1, 1).toordinal()

TYPE = {name: i for i, name in enumerate(EVENT_TYPES)}
CHANNEL = {name: i for i, name in enumerate(CHANNELS)}
OUTCOME = {name: i for i, name in enumerate(OUTCOMES)}
DIRECTION = {name: i for i, name in enumerate(DIRECTIONS)}
NOTE = {name: i for i, name in enumerate(NOTES)}

_COLUMNS: Final = ("account", "at_us", "type", "channel", "direction", "outcome", "amount", "due", "note")


@dataclass(slots=True)
class EventBuffer:
    """Events of one ``respond`` call, appended in batches of equal-length arrays."""

    batches: dict[str, list[I64]] = field(default_factory=lambda: {name: [] for name in _COLUMNS})

    def add(
        self,
        account: I64,
        at_us: I64,
        event_type: str,
        *,
        channel: I64 | int = NONE,
        direction: int = NONE,
        outcome: I64 | int = NONE,
        amount: I64 | int = NONE,
        due: I64 | int = NONE,
        note: I64 | int = NONE,
    ) -> None:
        """Append ``len(account)`` events; scalars apply to all of them. ``NONE`` means null."""
        n = len(account)
        values = {
            "account": account,
            "at_us": at_us,
            "type": TYPE[event_type],
            "channel": channel,
            "direction": direction,
            "outcome": outcome,
            "amount": amount,
            "due": due,
            "note": note,
        }
        for name, value in values.items():
            self.batches[name].append(np.broadcast_to(np.asarray(value, dtype=np.int64), (n,)).copy())

    def column(self, name: str) -> I64:
        parts = self.batches[name]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def frame(
        self,
        day: date,
        *,
        first_sequence: int,
        account_ids: pl.Series,
        creditor_ids: pl.Series,
        zone_codes: npt.NDArray[np.integer],
        zones: tuple[str, ...],
    ) -> pl.DataFrame:
        """The events in time order with ids ``sim-<day>-<sequence>``, sequences from ``first_sequence``."""
        cols = {name: self.column(name) for name in _COLUMNS}
        cols["at_us"] = cols["at_us"] - cols["at_us"] % 1_000_000  # whole seconds, as sources report them
        order = np.lexsort((cols["type"], cols["account"], cols["at_us"]))
        cols = {name: values[order] for name, values in cols.items()}
        account = cols["account"]
        sequence = np.arange(first_sequence, first_sequence + len(account))
        offsets = utc_offsets_minutes(cols["at_us"], np.asarray(zone_codes)[account], zones)
        frame = pl.DataFrame(
            {
                "event_id": concat(f"sim-{day.isoformat()}-", number_text(sequence, 7)),
                "account_id": account_ids.gather(account),
                "creditor_id": creditor_ids.gather(account),
                "at": pl.Series(cols["at_us"]).cast(UTC_INSTANT),
                "utc_offset_minutes": pl.Series(offsets, dtype=pl.Int32()),
                "type": _text(EVENT_TYPES, cols["type"]),
                "channel": _text(CHANNELS, cols["channel"]),
                "direction": _text(DIRECTIONS, cols["direction"]),
                "outcome": _text(OUTCOMES, cols["outcome"]),
                "amount": choose(cols["amount"] != NONE, pl.Series(cols["amount"])),
                "promise_due_on": choose(cols["due"] != NONE, pl.Series(cols["due"] - EPOCH_ORDINAL)).cast(
                    pl.Date()
                ),
                "note": _text(NOTES, cols["note"]),
            }
        )
        return frame.select([pl.col(name).cast(dtype) for name, dtype in EVENT_SCHEMA.items()])


def _text(vocabulary: tuple[str, ...], codes: I64) -> pl.Series:
    """Vocabulary words for codes, null where the code is NONE."""
    lookup = pl.Series([*vocabulary, None], dtype=pl.String())
    return lookup.gather(np.where(codes == NONE, len(vocabulary), codes))
