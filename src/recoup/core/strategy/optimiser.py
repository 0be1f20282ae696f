"""The optimiser: at most one action per account (or per debtor) per day, maximising expected net value.

Problem. Candidates i (already allowed by compliance) have a value v_i (expected net recovery: expected
collected minus what would come anyway minus the channel cost) and a cost c_i. Choose x_i in {0, 1} to
maximise sum v_i x_i subject to: at most one chosen candidate per account (per debtor when a debtor map
is given); at most ``calls`` calls, ``visits`` visits and ``legal_reviews`` legal reviews; messages (sms,
email, im, letter) costing at most ``message_budget`` in total. Candidates with v_i <= 0 are never worth
taking (doing nothing is worth 0) and holdout candidates are refused outright.

Without a message budget the problem is a transportation problem, solved exactly:

1. Per group (account or debtor), the best uncapacitated candidate f_g >= 0 is its fallback, and for
   each capacitated class only the group's best candidate matters (the others use the same capacity for
   less). The gain of putting group g in class r is v_gr - f_g; only positive gains matter.
2. Pruning: let S be the sum of the capacities. Some optimal solution assigns class r only to groups
   among the S largest gains for r: if g were assigned r while S groups with larger gains for r
   existed, one of them is unassigned (at most S - 1 others are assigned), and swapping raises the
   objective. So everything else takes its fallback.
3. The pruned problem is a min-cost flow; a flow is optimal iff its residual graph has no
   positive-gain cycle. Compress the residual graph to nodes {classes, none, sink}: edge x -> y weighs the
   best gain of moving one group from x to y; class -> sink is open while the class has spare capacity.
   A positive residual cycle maps to a positive cycle of this small graph and back (a simple cycle
   leaves each node once, so the groups moved are distinct). We start with nobody assigned and cancel
   the best simple cycle until none is positive; each cancellation moves the k best groups along the
   cycle at once, k as large as keeps every marginal move positive (marginal gains along an edge only
   fall). When no cycle is positive the assignment is optimal. Property tests check it against HiGHS.

With a binding message budget (a knapsack constraint) we relax it with a price mu per unit of cost:
messages count mu x cost against their value, and the exact solver above runs for each mu (bisection
on the smallest mu whose messages fit the budget). Any mu gives an upper bound
OPT <= L(mu) = inner(mu) + mu x budget; the solution found is feasible, the left-over budget is filled
greedily, and `Decision.upper_bound` reports the certified bound (the gap is at most mu x unspent budget).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from functools import cache
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

from recoup.core.errors import ValidationError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

CLASSES: Final = ("call", "visit", "legal_review")
MESSAGE_CHANNELS: Final = ("sms", "email", "im", "letter")
HOLDOUT: Final = "holdout"
_FREE: Final = -1
_BUDGET: Final = -2
_MAX_CYCLES: Final = 100_000
_BISECTION_STEPS: Final = 40
_GAP_TOLERANCE: Final = 1e-4  # the budgeted solve stops once within this share of the upper bound


@dataclass(frozen=True, slots=True)
class Capacities:
    """Today's limits; ``None`` is unlimited. ``message_budget`` is in the candidates' cost units."""

    calls: int | None = None
    visits: int | None = None
    legal_reviews: int | None = None
    message_budget: int | None = None

    def __post_init__(self) -> None:
        for name in ("calls", "visits", "legal_reviews", "message_budget"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                raise ValidationError(f"capacity {name} must be a whole number >= 0 or unlimited", field=name)

    def by_class(self) -> tuple[int | None, ...]:
        return (self.calls, self.visits, self.legal_reviews)


@dataclass(frozen=True, slots=True)
class Decision:
    chosen: pl.DataFrame
    objective: float  # sum of the chosen values
    upper_bound: float  # no plan does better; equal to objective when exact
    method: str  # "exact" or "lagrangian"
    cycles: int  # cycle cancellations (summed over the bisection)

    @property
    def gap(self) -> float:
        return max(self.upper_bound - self.objective, 0.0)


@dataclass(frozen=True, slots=True)
class _Problem:
    group: IntArray  # per candidate, sorted by group
    klass: IntArray  # capacity class index, _FREE or _BUDGET
    value: FloatArray
    cost: FloatArray
    n_groups: int
    caps: IntArray  # per capacity class in use
    class_names: tuple[str, ...]
    starts: IntArray  # where each group's candidates begin
    sizes: IntArray  # how many candidates each group has
    options: IntArray  # per (group, capacity class): its most valuable candidate


def _class_expr(capacities: Capacities) -> tuple[pl.Expr, tuple[str, ...], list[int]]:
    channel = pl.col("channel").fill_null("")
    action = pl.col("action").fill_null("")
    tests = {
        "call": (channel == "call") & (action != "legal_review"),
        "visit": (channel == "visit") | (action == "visit"),
        "legal_review": action == "legal_review",
    }
    names: list[str] = []
    caps: list[int] = []
    branches: list[pl.Expr] = []
    for name, cap in zip(CLASSES, capacities.by_class(), strict=True):
        if cap is not None:
            branches.append(pl.when(tests[name]).then(pl.lit(len(names))))
            names.append(name)
            caps.append(cap)
    if capacities.message_budget is not None:
        is_message = channel.is_in(list(MESSAGE_CHANNELS)) & (action != "legal_review")
        branches.append(pl.when(is_message).then(pl.lit(_BUDGET)))
    return pl.coalesce(*branches, pl.lit(_FREE)).cast(pl.Int64), tuple(names), caps


def _prepare(
    candidates: pl.DataFrame, capacities: Capacities, debtors: pl.DataFrame | None
) -> tuple[pl.DataFrame, _Problem]:
    klass, names, caps = _class_expr(capacities)
    value = pl.col("value").cast(pl.Float64)
    usable = value.is_finite() & (value > 0) & (pl.col("variant").fill_null("") != HOLDOUT)
    frame = candidates.with_row_index("_row").filter(usable)
    group_key = pl.col("account_key")
    if debtors is not None:
        # A debtor's group is named by its smallest account_key: an integer, cheap to rank.
        frame = frame.join(debtors.select("account_key", "debtor_id"), on="account_key", how="left")
        group_key = (
            pl.when(pl.col("debtor_id").is_null())
            .then(group_key)
            .otherwise(group_key.min().over("debtor_id"))
        )
    # A canonical order that does not depend on the order the candidates arrived in.
    frame = frame.with_columns(_group=group_key.rank("dense").cast(pl.Int64) - 1, _class=klass).sort(
        ["_group", "value", "action", "channel", "template_id", "offer_kind", "_row"],
        descending=[False, True, False, False, False, False, False],
        nulls_last=True,
    )
    group = frame.get_column("_group").to_numpy().astype(np.int64)
    klass_values = frame.get_column("_class").to_numpy().astype(np.int64)
    starts, sizes = _segments(group)
    # Candidates are sorted by value within a group, so a (group, class) pair's first row is its best.
    pair = group * (len(caps) - _BUDGET) + (klass_values - _BUDGET)
    _, first_rows = np.unique(pair, return_index=True)
    problem = _Problem(
        group=group,
        klass=klass_values,
        value=frame.get_column("value").cast(pl.Float64).to_numpy(),
        cost=frame.get_column("cost").fill_null(0).cast(pl.Float64).to_numpy(),
        n_groups=starts.size,
        caps=np.asarray(caps, dtype=np.int64),
        class_names=names,
        starts=starts,
        sizes=sizes,
        options=np.sort(first_rows[klass_values[first_rows] >= 0]),
    )
    return frame, problem


def _first_per_key(keys: IntArray) -> npt.NDArray[np.bool_]:
    """True at the first element of each run of equal keys (keys already grouped)."""
    first = np.ones(keys.size, dtype=bool)
    first[1:] = keys[1:] != keys[:-1]
    return first


def _group_best(values: FloatArray, starts: IntArray, sizes: IntArray) -> tuple[FloatArray, IntArray]:
    """Per group of consecutive rows: the largest positive value (else 0) and its first row (else -1)."""
    if starts.size == 0:
        return np.zeros(0), np.zeros(0, dtype=np.int64)
    values = np.where(values > 0, values, -np.inf)
    best = np.maximum.reduceat(values, starts)
    at_best = np.isfinite(values) & (values == np.repeat(best, sizes))
    first = np.minimum.reduceat(np.where(at_best, np.arange(values.size), values.size), starts)
    found = np.isfinite(best)
    return np.where(found, best, 0.0), np.where(found, first, -1).astype(np.int64)


def _segments(groups: IntArray) -> tuple[IntArray, IntArray]:
    starts = np.flatnonzero(_first_per_key(groups))
    return starts, np.diff(np.append(starts, groups.size)).astype(np.int64)


@cache
def _simple_cycles(nodes: int) -> tuple[tuple[int, ...], ...]:
    cycles: list[tuple[int, ...]] = []
    for size in range(2, nodes + 1):
        for subset in itertools.combinations(range(nodes), size):
            head, rest = subset[0], subset[1:]
            cycles.extend((head, *perm) for perm in itertools.permutations(rest))
    return tuple(cycles)


def _transport(gain: FloatArray, caps: IntArray) -> tuple[IntArray, int]:
    """Optimal assignment of rows (groups) to columns (classes) or to none (= n_classes) by cycle canceling.

    ``gain`` is -inf where a group has no candidate in a class. Returns the position per row and the
    number of cycles cancelled.
    """
    rows, n_classes = gain.shape
    none, sink = n_classes, n_classes + 1
    extended = np.concatenate([gain, np.zeros((rows, 1))], axis=1)
    position = np.full(rows, none, dtype=np.int64)
    cycles = _simple_cycles(n_classes + 2)
    tolerance = 1e-9 * max(1.0, float(np.max(gain[np.isfinite(gain)], initial=1.0)))
    for done in range(_MAX_CYCLES):
        members = [np.flatnonzero(position == node) for node in range(n_classes + 1)]
        spare = caps - np.array([m.size for m in members[:n_classes]], dtype=np.int64)
        weights = np.full((n_classes + 2, n_classes + 2), -np.inf)
        for node, idx in enumerate(members):
            if idx.size:
                moves = extended[idx] - extended[idx, node][:, None]
                weights[node, : n_classes + 1] = moves.max(axis=0)
            weights[node, node] = -np.inf
        weights[:n_classes, sink] = np.where(spare > 0, 0.0, -np.inf)
        weights[sink, : n_classes + 1] = 0.0
        weights[none, sink] = 0.0
        totals = [sum(weights[c[i], c[(i + 1) % len(c)]] for i in range(len(c))) for c in cycles]
        best = int(np.argmax(totals))
        if not totals[best] > tolerance:
            return position, done
        _cancel(
            cycles[best],
            extended,
            members=members,
            spare=spare,
            position=position,
            sink=sink,
            tolerance=tolerance,
        )
    raise RuntimeError("cycle canceling did not converge")  # pragma: no cover - bounded by the state space


def _cancel(
    cycle: tuple[int, ...],
    extended: FloatArray,
    *,
    members: list[IntArray],
    spare: IntArray,
    position: IntArray,
    sink: int,
    tolerance: float,
) -> None:
    """Move the k best groups along every edge of ``cycle``, k as large as keeps each step positive."""
    edges = [(cycle[i], cycle[(i + 1) % len(cycle)]) for i in range(len(cycle))]
    limit = math.inf
    movers: list[tuple[IntArray, int, FloatArray]] = []
    for source, target in edges:
        if target == sink:
            if source < spare.size:  # the "none" node has no capacity to run out of
                limit = min(limit, int(spare[source]))
        elif source != sink:
            idx = members[source]
            moves = extended[idx, target] - extended[idx, source]
            keep = np.isfinite(moves)
            idx, moves = idx[keep], moves[keep]
            order = np.argsort(-moves, kind="stable")
            movers.append((idx[order], target, moves[order]))
            limit = min(limit, idx.size)
    steps = int(limit)
    marginal = np.sum([moves[:steps] for _, _, moves in movers], axis=0)
    count = max(1, int(np.count_nonzero(marginal > tolerance)))
    for idx, target, _ in movers:
        position[idx[:count]] = target


def _assign(problem: _Problem, free_best: FloatArray, free_row: IntArray) -> tuple[IntArray, float, int]:
    """Exact choice (candidate rows) for the count-capacity problem, given each group's fallback.

    Returns the rows, the objective counting each fallback at ``free_best`` and the cycles cancelled.
    """
    chosen = free_row.copy()
    total = float(free_best.sum())
    cycles = 0
    if problem.options.size and problem.caps.size:
        options = problem.options
        gain = problem.value[options] - free_best[problem.group[options]]
        options, gain = options[gain > 0], gain[gain > 0]
        options, gain = _prune(problem, options, gain)
        groups, local = np.unique(problem.group[options], return_inverse=True)
        matrix = np.full((groups.size, problem.caps.size), -np.inf)
        matrix[local, problem.klass[options]] = gain
        index = np.full((groups.size, problem.caps.size), -1, dtype=np.int64)
        index[local, problem.klass[options]] = options
        position, cycles = _transport(matrix, problem.caps)
        placed = np.flatnonzero(position < problem.caps.size)
        chosen[groups[placed]] = index[placed, position[placed]]
        total += float(matrix[placed, position[placed]].sum())
    return chosen[chosen >= 0], total, cycles


def _prune(problem: _Problem, options: IntArray, gain: FloatArray) -> tuple[IntArray, FloatArray]:
    """Keep per class the ``sum(caps)`` options of largest gain (see the module docstring, step 2)."""
    keep_per_class = int(problem.caps.sum())
    if keep_per_class == 0:
        return options[:0], gain[:0]
    kept: list[IntArray] = []
    for klass in range(problem.caps.size):
        mine = np.flatnonzero(problem.klass[options] == klass)
        if mine.size > keep_per_class:
            mine = mine[np.argpartition(-gain[mine], keep_per_class - 1)[:keep_per_class]]
        kept.append(mine)
    selected = np.sort(np.concatenate(kept))
    return options[selected], gain[selected]


def _message_cost(problem: _Problem, picked: IntArray) -> float:
    return float(problem.cost[picked][problem.klass[picked] == _BUDGET].sum())


class _PricedMessages:
    """Each group's fallback when messages are charged ``price`` per unit of cost."""

    def __init__(self, problem: _Problem) -> None:
        self.problem = problem
        free = np.where(problem.klass == _FREE, problem.value, -np.inf)
        self.free_best, self.free_row = _group_best(free, problem.starts, problem.sizes)
        self.rows = np.flatnonzero(problem.klass == _BUDGET)
        self.groups = problem.group[self.rows]
        self.starts, self.sizes = _segments(self.groups)

    def fallback(self, price: float) -> tuple[FloatArray, IntArray]:
        problem, rows = self.problem, self.rows
        priced = problem.value[rows] - price * problem.cost[rows]
        best, local = _group_best(priced, self.starts, self.sizes)
        groups = self.groups[self.starts]
        better = best > self.free_best[groups]
        free_best, free_row = self.free_best.copy(), self.free_row.copy()
        free_best[groups[better]] = best[better]
        free_row[groups[better]] = rows[local[better]]
        return free_best, free_row


def _with_budget(problem: _Problem, budget: int) -> tuple[IntArray, float, float, str, int]:
    """Lagrangian relaxation of the message budget around the exact solver (see the module docstring)."""
    messages = _PricedMessages(problem)
    picked, inner, cycles = _assign(problem, *messages.fallback(0.0))
    if _message_cost(problem, picked) <= budget:
        return picked, inner, inner, "exact", cycles
    priced = (problem.klass == _BUDGET) & (problem.cost > 0)
    low = 0.0
    high = float(np.max(problem.value[priced] / problem.cost[priced])) * (1 + 1e-9)
    best, inner, used = _assign(problem, *messages.fallback(high))
    bound, cycles = inner + high * budget, cycles + used
    for _ in range(_BISECTION_STEPS):
        if bound - float(problem.value[best].sum()) <= _GAP_TOLERANCE * bound:
            break
        price = (low + high) / 2
        trial, inner, used = _assign(problem, *messages.fallback(price))
        cycles += used
        bound = min(bound, inner + price * budget)
        if _message_cost(problem, trial) <= budget:
            high, best = price, trial
        else:
            low = price
    best = _fill_budget(problem, best, budget)
    return best, float(problem.value[best].sum()), bound, "lagrangian", cycles


def _fill_budget(problem: _Problem, picked: IntArray, budget: int) -> IntArray:
    """Spend what the budget has left on groups still without an action, best value per cost first."""
    left = budget - _message_cost(problem, picked)
    taken = np.zeros(problem.n_groups, dtype=bool)
    taken[problem.group[picked]] = True
    open_rows = np.flatnonzero((problem.klass == _BUDGET) & ~taken[problem.group] & (problem.value > 0))
    if open_rows.size == 0 or left <= 0:
        return picked
    ratio = problem.value[open_rows] / np.maximum(problem.cost[open_rows], 1e-12)
    order = open_rows[np.lexsort((open_rows, -ratio))]
    order = order[_first_in_group(problem.group[order])]
    fits = np.cumsum(problem.cost[order]) <= left
    return np.sort(np.concatenate([picked, order[fits]]))


def _first_in_group(groups: IntArray) -> npt.NDArray[np.bool_]:
    _, first = np.unique(groups, return_index=True)
    mask = np.zeros(groups.size, dtype=bool)
    mask[first] = True
    return mask


def solve(candidates: pl.DataFrame, capacities: Capacities, debtors: pl.DataFrame | None = None) -> Decision:
    """Choose at most one candidate per account (per debtor when ``debtors`` maps account_key to
    debtor_id) within ``capacities``, maximising the sum of ``value``. Returns the chosen rows (all the
    candidates' columns, ordered by account_key) with the objective and an upper bound."""
    frame, problem = _prepare(candidates, capacities, debtors)
    if frame.height == 0:
        return Decision(candidates.clear(), 0.0, 0.0, "exact", 0)
    if capacities.message_budget is None:
        fallback = _group_best(
            np.where(problem.klass < 0, problem.value, -np.inf), problem.starts, problem.sizes
        )
        picked, objective, cycles = _assign(problem, *fallback)
        bound, method = objective, "exact"
    else:
        picked, objective, bound, method, cycles = _with_budget(problem, capacities.message_budget)
    rows = frame.get_column("_row").gather(picked).sort()
    chosen = candidates.with_row_index("_row").join(rows.to_frame(), on="_row", how="semi")
    chosen = chosen.sort("account_key", "_row").drop("_row")
    return Decision(chosen, objective, max(bound, objective), method, cycles)


def choose(
    candidates: pl.DataFrame, capacities: Capacities, debtors: pl.DataFrame | None = None
) -> pl.DataFrame:
    """The chosen candidates (see `solve`)."""
    return solve(candidates, capacities, debtors).chosen
