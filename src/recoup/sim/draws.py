"""Counter-based random draws: a uniform for every (seed, day, account, purpose, ordinal).

The behaviour simulator must answer the same contact the same way whatever else happened that day, so
that two strategies can be compared on the same debtors. A single random stream would not do: its n-th
number depends on how many numbers were drawn before. Here every draw is a hash of its coordinates
(SplitMix64's finaliser, which passes BigCrush as a counter-based generator), so draws are independent of
order and of how many other accounts were contacted.
"""

from __future__ import annotations

import enum

import numpy as np
import numpy.typing as npt
from scipy.special import ndtri

_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_MUL_1 = 0xBF58476D1CE4E5B9
_MUL_2 = 0x94D049BB133111EB
_TO_UNIT = 2.0**-53

U64 = npt.NDArray[np.uint64]
F64 = npt.NDArray[np.float64]


class Purpose(enum.IntEnum):
    """What a draw decides. Each purpose gets its own independent stream per (day, account, ordinal)."""

    DELIVERY = 1
    READ = 2
    REPLY = 3
    ANSWER = 4
    MISSED_KIND = 5
    DISPUTE = 6
    OFFER_ACCEPT = 7
    OFFER_NOISE = 8
    ACT = 9
    ACT_KIND = 10
    PAY_NOISE = 11
    PROMISE_DAYS = 12
    OVERPAY = 13
    OPT_OUT = 14
    COMPLAINT = 15
    DELAY = 16
    KEEP = 17
    PARTIAL = 18
    LATER_FOLLOW = 19
    SELF_CURE = 20
    SELF_CURE_SIZE = 21
    LOCAL_TIME = 22
    READ_DELAY = 23
    REPLY_DELAY = 24


def _mix_scalar(value: int) -> int:
    value &= _MASK
    value = ((value ^ (value >> 30)) * _MUL_1) & _MASK
    value = ((value ^ (value >> 27)) * _MUL_2) & _MASK
    return value ^ (value >> 31)


def _mix(values: U64) -> U64:
    # uint64 array arithmetic wraps modulo 2**64, which is exactly what the finaliser needs.
    values = values ^ (values >> np.uint64(30))
    values = values * np.uint64(_MUL_1)
    values = values ^ (values >> np.uint64(27))
    values = values * np.uint64(_MUL_2)
    return values ^ (values >> np.uint64(31))


def stream_key(seed: int, day: int, purpose: int) -> int:
    """The 64-bit key of one (seed, day, purpose) stream."""
    key = _mix_scalar(seed * _GOLDEN + 0x5EED)
    key = _mix_scalar(key ^ (day * _GOLDEN))
    return _mix_scalar(key ^ (purpose * _MUL_2))


def uniforms(
    seed: int,
    day: int,
    purpose: int,
    accounts: npt.NDArray[np.integer],
    ordinals: npt.NDArray[np.integer] | int = 0,
) -> F64:
    """Uniforms in the open interval (0, 1), one per element of ``accounts`` (and ``ordinals``)."""
    key = np.uint64(stream_key(seed, day, purpose))
    account_part = np.asarray(accounts, dtype=np.int64).astype(np.uint64) * np.uint64(_GOLDEN)
    ordinal_part = np.asarray(ordinals, dtype=np.int64).astype(np.uint64) * np.uint64(_MUL_1)
    hashed = _mix(key ^ _mix(account_part + ordinal_part + np.uint64(1)))
    return ((hashed >> np.uint64(11)).astype(np.float64) + 0.5) * _TO_UNIT


def normals(
    seed: int,
    day: int,
    purpose: int,
    accounts: npt.NDArray[np.integer],
    ordinals: npt.NDArray[np.integer] | int = 0,
) -> F64:
    """Standard normal draws by the inverse CDF of :func:`uniforms`."""
    return np.asarray(ndtri(uniforms(seed, day, purpose, accounts, ordinals)), dtype=np.float64)
