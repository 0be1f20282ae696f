"""Local time for many accounts at once: UTC offsets per IANA zone, computed per zone, never per row."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import polars as pl

from recoup.core.schema import UTC_INSTANT

I64 = npt.NDArray[np.int64]
MICROS_PER_MINUTE = 60_000_000
MICROS_PER_DAY = 86_400_000_000


def utc_offsets_minutes(
    instants_us: I64, zone_codes: npt.NDArray[np.integer], zones: Sequence[str]
) -> npt.NDArray[np.int32]:
    """The UTC offset in minutes of ``zones[zone_codes[i]]`` at UTC instant ``instants_us[i]`` (epoch µs)."""
    offsets = np.zeros(len(instants_us), dtype=np.int32)
    for code in np.unique(zone_codes):
        mask = zone_codes == code
        local = (
            pl.Series(instants_us[mask], dtype=pl.Int64())
            .cast(UTC_INSTANT)
            .dt.convert_time_zone(zones[int(code)])
        )
        total = local.dt.base_utc_offset() + local.dt.dst_offset()
        offsets[mask] = total.dt.total_minutes().to_numpy().astype(np.int32)
    return offsets


def local_to_utc_us(local_us: I64, zone_codes: npt.NDArray[np.integer], zones: Sequence[str]) -> I64:
    """UTC instants for wall-clock times (epoch µs read as local time in each row's zone).

    Two fixed-point steps are exact except inside a daylight-saving gap, which the simulator never uses
    (its local times fall between 07:00 and 23:59).
    """
    guess = local_us - utc_offsets_minutes(local_us, zone_codes, zones).astype(np.int64) * MICROS_PER_MINUTE
    offsets = utc_offsets_minutes(guess, zone_codes, zones).astype(np.int64)
    return local_us - offsets * MICROS_PER_MINUTE


def local_minutes_of_day(instants_us: I64, zone_codes: npt.NDArray[np.integer], zones: Sequence[str]) -> I64:
    """Minutes since local midnight at each UTC instant in its row's zone."""
    offsets = utc_offsets_minutes(instants_us, zone_codes, zones).astype(np.int64)
    local = instants_us + offsets * MICROS_PER_MINUTE
    return np.asarray((local % MICROS_PER_DAY) // MICROS_PER_MINUTE, dtype=np.int64)
