from datetime import UTC, datetime

import numpy as np

from recoup.sim.zones import MICROS_PER_MINUTE, local_minutes_of_day, local_to_utc_us, utc_offsets_minutes

ZONES = ("America/New_York", "Asia/Shanghai", "Asia/Urumqi", "Europe/London")


def _us(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


def test_offsets_follow_each_zone_and_its_daylight_saving():
    winter = _us(datetime(2026, 1, 15, 12, tzinfo=UTC))
    summer = _us(datetime(2026, 7, 15, 12, tzinfo=UTC))
    instants = np.array([winter, summer] * 4, dtype=np.int64)
    codes = np.repeat(np.arange(4), 2)
    offsets = utc_offsets_minutes(instants, codes, ZONES)
    assert offsets.tolist() == [-300, -240, 480, 480, 360, 360, 0, 60]


def test_local_wall_clock_times_convert_to_utc_and_back():
    local = np.array(
        [_us(datetime(2026, 3, 2, 9, 30, tzinfo=UTC)), _us(datetime(2026, 7, 1, 21, 0, tzinfo=UTC))] * 4
    )
    codes = np.repeat(np.arange(4), 2)
    utc = local_to_utc_us(local.astype(np.int64), codes, ZONES)
    assert np.array_equal(local_minutes_of_day(utc, codes, ZONES), np.array([570, 1260] * 4))
    shanghai = utc[2]
    assert shanghai == local[2] - 480 * MICROS_PER_MINUTE
