"""Treatment paths as data: one YAML playbook per creditor and version, validated when it is loaded.

A playbook names its creditor (``"*"`` for the default), a version, the creditor's offer guardrails, what
each action costs per currency, contact limits (at most ``max_contacts_7d`` in seven days, at least
``min_gap_days`` between two contacts) and the paths: for which segments (and buckets,
balance bands, debtor types, products) a path applies, its exit conditions and its steps. A step is one
kind of action with its channel, template, tone, days-past-due window, minimum wait since the last
contact and offer rule. Every step whose conditions hold on the run date becomes a candidate; the
optimiser picks at most one per account.

Loading never trusts the text: every problem is reported with the file, the path of the key
(``paths[2].steps[0].tone``) and what is wrong, all problems at once. Paths for forbearance segments
(vulnerable, unable_willing) may not be firm, visit or send to legal review.
The shipped default lives in ``paths/default.yaml`` and is read through importlib.resources.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Final

import yaml

from recoup.core.accounts import BUCKETS
from recoup.core.errors import ValidationError
from recoup.core.money import CURRENCY_EXPONENTS, parse_minor
from recoup.core.schema import ACTIONS, DEBTOR_TYPES, PRODUCTS
from recoup.core.strategy.segments import BALANCE_BANDS, FORBEARANCE_SEGMENTS, GRID_SEGMENTS, VULNERABLE

TONES: Final = ("neutral", "empathetic", "firm")
EXIT_CONDITIONS: Final = ("open_promise", "on_plan", "broken_promise")
OFFER_RULES: Final = ("none", "installment", "settlement")
PATH_SEGMENTS: Final = (VULNERABLE, *GRID_SEGMENTS)
CONTACT_ACTIONS: Final = ("sms", "email", "im", "letter", "call", "visit")
MESSAGE_CHANNELS: Final = ("sms", "email", "im", "letter")
OFFER_CHANNELS: Final = ("sms", "email", "im", "letter", "call")
# What costs money: each contact channel and the legal review (an offer costs what its channel costs).
COST_KEYS: Final = (*CONTACT_ACTIONS, "legal_review")
DEFAULT_SOURCE: Final = "recoup/core/strategy/paths/default.yaml"
_NAME: Final = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


@dataclass(frozen=True, slots=True)
class Filters:
    """Conditions on the account; ``None`` means any value."""

    buckets: tuple[str, ...] | None = None
    balance_bands: tuple[str, ...] | None = None
    debtor_types: tuple[str, ...] | None = None
    products: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class OfferRule:
    kind: str = "none"
    max_discount_pct: int | None = None  # tighter than the guardrail for this step, never looser


@dataclass(frozen=True, slots=True)
class Step:
    id: str
    action: str
    channel: str | None
    template: str | None
    tone: str
    dpd_from: int
    dpd_to: int | None
    wait_days: int
    offer: OfferRule
    when: Filters
    exit_when: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Path:
    id: str
    segments: tuple[str, ...]
    when: Filters
    exit_when: tuple[str, ...]
    steps: tuple[Step, ...]


@dataclass(frozen=True, slots=True)
class Guardrails:
    """What the creditor allows any offer to be."""

    max_discount_pct: int
    max_installments: int
    offer_valid_days: int
    affordability_pct: int  # share of monthly disposable income an installment may take
    min_installment: dict[str, int] = field(default_factory=dict)  # minor units per currency


@dataclass(frozen=True, slots=True)
class Playbook:
    name: str
    version: int
    creditor_id: str
    guardrails: Guardrails
    costs: dict[str, dict[str, int]]  # currency -> cost key -> minor units
    max_contacts_7d: int | None
    paths: tuple[Path, ...]
    source: str = "<text>"
    min_gap_days: int = 0  # no contact of any kind within this many days of the last one

    @property
    def label(self) -> str:
        return f"{self.name}@v{self.version}"


class PlaybookError(ValidationError):
    """Everything wrong with one playbook: ``problems`` holds (key path, what is wrong) pairs."""

    def __init__(self, source: str, problems: Sequence[tuple[str, str]]) -> None:
        lines = "\n".join(f"  {where}: {what}" for where, what in problems)
        count = len(problems)
        super().__init__(
            f"{source}: {count} problem{'s' if count != 1 else ''} in the treatment paths:\n{lines}",
            field=problems[0][0] if problems else None,
            file=source,
        )
        self.problems = tuple(problems)


class _Reader:
    """Reads a parsed YAML tree, recording problems with the path of the key instead of stopping."""

    def __init__(self) -> None:
        self.problems: list[tuple[str, str]] = []

    def fail(self, where: str, what: str) -> None:
        self.problems.append((where, what))

    def mapping(
        self, node: Any, where: str, allowed: Sequence[str], required: Sequence[str] = ()
    ) -> dict[str, Any]:
        if not isinstance(node, dict):
            self.fail(where, f"must be a mapping, got {_kind(node)}")
            return {}
        for key in node:
            if key not in allowed:
                self.fail(_join(where, str(key)), f"unknown key; expected one of {', '.join(allowed)}")
        for key in required:
            if key not in node:
                self.fail(_join(where, key), "is required")
        return node

    def text(self, node: Any, where: str, *, pattern: re.Pattern[str] | None = None) -> str:
        if not isinstance(node, str) or not node.strip():
            self.fail(where, f"must be non-empty text, got {_kind(node)}")
            return ""
        if pattern is not None and not pattern.match(node):
            self.fail(where, f"{node!r} must be lowercase letters, digits, '_', '-' or '.' (at most 64)")
        return node

    def choice(self, node: Any, where: str, choices: Sequence[str]) -> str:
        if node not in choices:
            self.fail(where, f"must be one of {', '.join(choices)}; got {node!r}")
            return str(node)
        return str(node)

    def integer(self, node: Any, where: str, low: int, high: int) -> int:
        if isinstance(node, bool) or not isinstance(node, int):
            self.fail(where, f"must be a whole number, got {_kind(node)}")
            return low
        if not low <= node <= high:
            self.fail(where, f"must be between {low} and {high}; got {node}")
            return min(max(node, low), high)
        return node

    def choices(self, node: Any, where: str, choices: Sequence[str]) -> tuple[str, ...]:
        if not isinstance(node, list) or not node:
            self.fail(where, f"must be a non-empty list, got {_kind(node)}")
            return ()
        for index, item in enumerate(node):
            if item not in choices:
                self.fail(f"{where}[{index}]", f"must be one of {', '.join(choices)}; got {item!r}")
        return tuple(str(item) for item in node if item in choices)

    def money(self, node: Any, where: str, currency: str) -> int:
        if not isinstance(node, str):
            self.fail(where, f'must be decimal text in quotes such as "100.00", got {_kind(node)}')
            return 0
        try:
            return parse_minor(node, currency)
        except ValidationError as error:
            self.fail(where, error.message)
            return 0

    def per_currency(self, node: Any, where: str, read: Callable[[Any, str, str], Any]) -> dict[str, Any]:
        if not isinstance(node, dict) or not node:
            self.fail(where, f"must be a non-empty mapping of currency to value, got {_kind(node)}")
            return {}
        values: dict[str, Any] = {}
        for currency, value in node.items():
            if currency not in CURRENCY_EXPONENTS:
                self.fail(_join(where, str(currency)), "unknown currency")
                continue
            values[str(currency)] = read(value, _join(where, str(currency)), str(currency))
        return values


def _kind(node: Any) -> str:
    if node is None:
        return "nothing"
    return {dict: "a mapping", list: "a list", str: f"text {node!r}", bool: f"{node}"}.get(
        type(node), f"{type(node).__name__} {node!r}"
    )


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _filters(reader: _Reader, node: Any, where: str) -> Filters:
    if node is None:
        return Filters()
    vocab = {
        "buckets": BUCKETS,
        "balance_bands": BALANCE_BANDS,
        "debtor_types": DEBTOR_TYPES,
        "products": PRODUCTS,
    }
    data = reader.mapping(node, where, tuple(vocab))
    chosen = {key: reader.choices(data[key], _join(where, key), vocab[key]) for key in vocab if key in data}
    return Filters(**chosen)


def _exits(reader: _Reader, node: Any, where: str) -> tuple[str, ...]:
    return () if node is None else reader.choices(node, where, EXIT_CONDITIONS)


def _offer(reader: _Reader, node: Any, where: str, guardrails: Guardrails) -> OfferRule:
    if node is None or isinstance(node, str):
        return OfferRule(reader.choice(node or "none", where, OFFER_RULES))
    data = reader.mapping(node, where, ("kind", "max_discount_pct"), required=("kind",))
    kind = reader.choice(data.get("kind"), _join(where, "kind"), OFFER_RULES)
    cap = data.get("max_discount_pct")
    if cap is None:
        return OfferRule(kind)
    if kind != "settlement":
        reader.fail(_join(where, "max_discount_pct"), "only a settlement offer has a discount")
    bound = reader.integer(cap, _join(where, "max_discount_pct"), 0, guardrails.max_discount_pct)
    return OfferRule(kind, bound)


def _dpd(reader: _Reader, node: Any, where: str) -> tuple[int, int | None]:
    if not isinstance(node, list) or len(node) != 2:
        reader.fail(where, f"must be [from, to] days past due (to may be null), got {_kind(node)}")
        return 1, None
    start = reader.integer(node[0], f"{where}[0]", 1, 100_000)
    if node[1] is None:
        return start, None
    end = reader.integer(node[1], f"{where}[1]", 1, 100_000)
    if end < start:
        reader.fail(where, f"ends ({end}) before it starts ({start})")
    return start, end


_STEP_KEYS: Final = (
    "id",
    "action",
    "channel",
    "template",
    "tone",
    "dpd",
    "wait_days",
    "offer",
    "when",
    "exit_when",
)


def _channel(reader: _Reader, data: dict[str, Any], where: str, action: str) -> str | None:
    channel = data.get("channel")
    if action == "legal_review":
        if channel is not None:
            reader.fail(_join(where, "channel"), "a legal review is not a contact and has no channel")
        return None
    if action == "offer":
        return reader.choice(channel, _join(where, "channel"), OFFER_CHANNELS)
    if channel is not None and channel != action:
        reader.fail(_join(where, "channel"), f"a {action} step goes through {action}; got {channel!r}")
    return action


def _step(reader: _Reader, node: Any, where: str, guardrails: Guardrails) -> Step:
    data = reader.mapping(node, where, _STEP_KEYS, required=("id", "action", "tone", "dpd"))
    action = reader.choice(data.get("action"), _join(where, "action"), ACTIONS)
    channel = _channel(reader, data, where, action)
    template = data.get("template")
    if template is not None:
        template = reader.text(template, _join(where, "template"), pattern=_NAME)
    elif channel in MESSAGE_CHANNELS:
        reader.fail(_join(where, "template"), f"is required for a step that sends a {channel}")
    offer = _offer(reader, data.get("offer"), _join(where, "offer"), guardrails)
    if (action == "offer") != (offer.kind != "none"):
        reader.fail(
            _join(where, "offer"), "an offer step needs an offer rule, and only an offer step has one"
        )
    dpd_from, dpd_to = _dpd(reader, data.get("dpd"), _join(where, "dpd"))
    return Step(
        id=reader.text(data.get("id"), _join(where, "id"), pattern=_NAME),
        action=action,
        channel=channel,
        template=template,
        tone=reader.choice(data.get("tone"), _join(where, "tone"), TONES),
        dpd_from=dpd_from,
        dpd_to=dpd_to,
        wait_days=reader.integer(data.get("wait_days", 0), _join(where, "wait_days"), 0, 365),
        offer=offer,
        when=_filters(reader, data.get("when"), _join(where, "when")),
        exit_when=_exits(reader, data.get("exit_when"), _join(where, "exit_when")),
    )


def _forbearance_problems(reader: _Reader, path: Path, where: str) -> None:
    protected = sorted(FORBEARANCE_SEGMENTS.intersection(path.segments))
    if not protected:
        return
    who = " and ".join(protected)
    for index, step in enumerate(path.steps):
        at = f"{where}.steps[{index}]"
        if step.tone == "firm":
            reader.fail(_join(at, "tone"), f"'firm' is not allowed on a path for {who} (forbearance only)")
        if step.action in ("visit", "legal_review"):
            reader.fail(
                _join(at, "action"), f"{step.action!r} is not allowed on a path for {who} (forbearance only)"
            )


def _path(reader: _Reader, node: Any, where: str, guardrails: Guardrails) -> Path:
    data = reader.mapping(
        node, where, ("id", "segments", "when", "exit_when", "steps"), required=("id", "segments", "steps")
    )
    segments_node = data.get("segments")
    if isinstance(segments_node, list) and "hold" in segments_node:
        reader.fail(_join(where, "segments"), "accounts on hold get no collection action; remove 'hold'")
        segments_node = [item for item in segments_node if item != "hold"] or None
    steps_node = data.get("steps")
    steps: list[Step] = []
    if not isinstance(steps_node, list) or not steps_node:
        reader.fail(_join(where, "steps"), f"must be a non-empty list of steps, got {_kind(steps_node)}")
    else:
        steps = [_step(reader, item, f"{where}.steps[{i}]", guardrails) for i, item in enumerate(steps_node)]
    _unique(reader, [step.id for step in steps], f"{where}.steps", "step id")
    path = Path(
        id=reader.text(data.get("id"), _join(where, "id"), pattern=_NAME),
        segments=reader.choices(segments_node, _join(where, "segments"), PATH_SEGMENTS),
        when=_filters(reader, data.get("when"), _join(where, "when")),
        exit_when=_exits(reader, data.get("exit_when"), _join(where, "exit_when")),
        steps=tuple(steps),
    )
    _forbearance_problems(reader, path, where)
    return path


def _unique(reader: _Reader, ids: list[str], where: str, what: str) -> None:
    seen: set[str] = set()
    for index, item in enumerate(ids):
        if item in seen:
            reader.fail(f"{where}[{index}].id", f"duplicate {what} {item!r}")
        seen.add(item)


def _guardrails(reader: _Reader, node: Any) -> Guardrails:
    keys = (
        "max_discount_pct",
        "max_installments",
        "offer_valid_days",
        "affordability_pct",
        "min_installment",
    )
    data = reader.mapping(node, "guardrails", keys, required=keys)
    return Guardrails(
        max_discount_pct=reader.integer(
            data.get("max_discount_pct", 0), "guardrails.max_discount_pct", 0, 100
        ),
        max_installments=reader.integer(
            data.get("max_installments", 1), "guardrails.max_installments", 1, 120
        ),
        offer_valid_days=reader.integer(
            data.get("offer_valid_days", 1), "guardrails.offer_valid_days", 1, 90
        ),
        affordability_pct=reader.integer(
            data.get("affordability_pct", 1), "guardrails.affordability_pct", 1, 100
        ),
        min_installment=reader.per_currency(
            data.get("min_installment"), "guardrails.min_installment", reader.money
        )
        if "min_installment" in data
        else {},
    )


def _costs(reader: _Reader, node: Any) -> dict[str, dict[str, int]]:
    def read(value: Any, where: str, currency: str) -> dict[str, int]:
        data = reader.mapping(value, where, COST_KEYS, required=COST_KEYS)
        return {key: reader.money(data[key], _join(where, key), currency) for key in COST_KEYS if key in data}

    return reader.per_currency(node, "costs", read)


_TOP_KEYS: Final = ("name", "version", "creditor_id", "guardrails", "costs", "limits", "paths")


def parse_playbook(text: str, source: str = "<text>") -> Playbook:
    """Parse and validate one playbook; raise `PlaybookError` listing every problem found."""
    try:
        tree = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise PlaybookError(source, [("(document)", f"is not valid YAML: {error}")]) from None
    reader = _Reader()
    data = reader.mapping(tree, "", _TOP_KEYS, required=("name", "version", "guardrails", "costs", "paths"))
    guardrails = _guardrails(reader, data.get("guardrails"))
    costs = _costs(reader, data.get("costs"))
    if costs and guardrails.min_installment and set(costs) != set(guardrails.min_installment):
        reader.fail(
            "costs",
            f"currencies {sorted(costs)} differ from those of guardrails.min_installment "
            f"{sorted(guardrails.min_installment)}",
        )
    limits = reader.mapping(data.get("limits", {}), "limits", ("max_contacts_7d", "min_gap_days"))
    cap = limits.get("max_contacts_7d")
    gap = reader.integer(limits.get("min_gap_days", 0), "limits.min_gap_days", 0, 365)
    paths_node = data.get("paths")
    paths: list[Path] = []
    if not isinstance(paths_node, list) or not paths_node:
        reader.fail("paths", f"must be a non-empty list of paths, got {_kind(paths_node)}")
    else:
        paths = [_path(reader, item, f"paths[{i}]", guardrails) for i, item in enumerate(paths_node)]
    _unique(reader, [path.id for path in paths], "paths", "path id")
    playbook = Playbook(
        name=reader.text(data.get("name"), "name", pattern=_NAME),
        version=reader.integer(data.get("version"), "version", 1, 1_000_000),
        creditor_id=reader.text(data.get("creditor_id", "*"), "creditor_id"),
        guardrails=guardrails,
        costs=costs,
        max_contacts_7d=None if cap is None else reader.integer(cap, "limits.max_contacts_7d", 1, 100),
        paths=tuple(paths),
        source=source,
        min_gap_days=gap,
    )
    if reader.problems:
        raise PlaybookError(source, reader.problems)
    return playbook


def default_playbook() -> Playbook:
    """The playbook shipped with Recoup (``paths/default.yaml``)."""
    text = (
        resources.files("recoup.core.strategy").joinpath("paths", "default.yaml").read_text(encoding="utf-8")
    )
    return parse_playbook(text, DEFAULT_SOURCE)


def playbooks_by_creditor(playbooks: Sequence[Playbook]) -> Mapping[str, Playbook]:
    """Index playbooks by creditor (``"*"`` is the default); two for the same creditor is an error."""
    indexed: dict[str, Playbook] = {}
    for playbook in playbooks:
        if playbook.creditor_id in indexed:
            raise ValidationError(
                f"two playbooks for creditor {playbook.creditor_id!r}: "
                f"{indexed[playbook.creditor_id].label} and {playbook.label}",
                field="creditor_id",
                file=playbook.source,
            )
        indexed[playbook.creditor_id] = playbook
    return indexed
