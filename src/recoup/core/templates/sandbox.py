"""Compiling user-edited templates so that they cannot reach anything but the message's own variables.

Two walls. First, before anything is compiled, the parsed template is walked and only a small language is
let through: text, the listed variables, a few string filters, `if`/`elif`/`else` with comparisons and
`~` concatenation. Attribute and item access (`x.__class__`), calls, loops, imports, includes, macros,
assignments and arithmetic are refused with the line they are on. Second, what passes is compiled in
Jinja2's immutable sandbox with no globals, so even a gap in the first wall meets the sandbox.

A template made of text and bare variables only also gets a "plain" form (its pieces in order), which
the columnar renderer turns into one `concat_str` per template instead of a render per row.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Final

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, nodes
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from recoup.core.errors import ValidationError
from recoup.core.templates.variables import VARIABLES

MAX_SOURCE_CHARS: Final = 20_000
MAX_OUTPUT_CHARS: Final = 40_000
ALLOWED_FILTERS: Final = frozenset({"upper", "lower", "title", "capitalize", "trim", "default", "replace"})
_COMPARISONS: Final = frozenset({"eq", "ne"})
# Nodes that are pure structure and need no check of their own.
_STRUCTURE: Final = (nodes.Template, nodes.Output, nodes.TemplateData, nodes.If, nodes.CondExpr)
_LOGIC: Final = (nodes.And, nodes.Or, nodes.Not, nodes.Concat, nodes.Compare, nodes.Operand, nodes.Keyword)


@dataclass(frozen=True, slots=True)
class TemplateProblem:
    """One reason a template cannot be saved or sent."""

    code: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


class TemplateRejected(ValidationError):
    """The template breaks the rules; ``problems`` says every way it does."""

    def __init__(self, problems: list[TemplateProblem], *, field: str = "body") -> None:
        super().__init__("; ".join(str(p) for p in problems), field=field)
        self.problems = tuple(problems)


@dataclass(frozen=True)
class CompiledTemplate:
    """A checked template, compiled once. ``pieces`` is set when it is plain text and variables:
    each piece is ``(is_variable, text_or_name)``."""

    source: str
    template: Template
    variables: frozenset[str]
    pieces: tuple[tuple[bool, str], ...] | None

    def render(self, context: Mapping[str, str]) -> str:
        values = {name: context.get(name) or "" for name in VARIABLES}
        try:
            text = self.template.render(values)
        except (SecurityError, UndefinedError) as exc:
            raise TemplateRejected([TemplateProblem("sandbox", f"refused by the sandbox: {exc}")]) from None
        if len(text) > MAX_OUTPUT_CHARS:
            raise TemplateRejected([TemplateProblem("too_long", f"renders to {len(text)} characters")])
        return text


@cache
def environment() -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.clear()
    env.tests.clear()
    for name in list(env.filters):
        if name not in ALLOWED_FILTERS:
            del env.filters[name]
    return env


def _line(node: nodes.Node) -> int | None:
    return getattr(node, "lineno", None)


def _problem(node: nodes.Node) -> TemplateProblem | None:
    """Why ``node`` is not allowed, or None when it is."""
    line = _line(node)
    if isinstance(node, (nodes.Getattr, nodes.Getitem)):
        reached = node.attr if isinstance(node, nodes.Getattr) else None
        if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            reached = str(node.arg.value)
        if reached is not None and reached.startswith("_"):
            return TemplateProblem(
                "private_attribute",
                f"`{reached}` reaches for Python internals; only variables are allowed",
                line,
            )
        return TemplateProblem("attribute", "attribute and item access are not allowed; use a variable", line)
    if isinstance(node, nodes.Name):
        if node.ctx != "load":
            return TemplateProblem("tag", "assigning variables is not allowed", line)
        if node.name not in VARIABLES:
            return TemplateProblem(
                "unknown_variable",
                f"unknown variable `{node.name}` (known: {', '.join(sorted(VARIABLES))})",
                line,
            )
        return None
    if isinstance(node, nodes.Filter):
        if node.name not in ALLOWED_FILTERS:
            return TemplateProblem(
                "filter",
                f"filter `{node.name}` is not allowed (allowed: {', '.join(sorted(ALLOWED_FILTERS))})",
                line,
            )
        return None
    if isinstance(node, nodes.Operand):
        return (
            None if node.op in _COMPARISONS else TemplateProblem("operator", "only == and != compare", line)
        )
    if isinstance(node, nodes.Const):
        return (
            None
            if isinstance(node.value, (str, int))
            else TemplateProblem("constant", "unsupported constant", line)
        )
    if isinstance(node, nodes.Call):
        return TemplateProblem("call", "calling functions or methods is not allowed", line)
    if isinstance(node, (nodes.BinExpr, nodes.UnaryExpr)) and not isinstance(
        node, (nodes.And, nodes.Or, nodes.Not, nodes.Concat)
    ):
        return TemplateProblem("operator", "arithmetic is not allowed in templates", line)
    if isinstance(node, (*_STRUCTURE, *_LOGIC)):
        return None
    tag = type(node).__name__.lower()
    return TemplateProblem(
        "tag", f"`{tag}` is not allowed (templates may use text, variables, filters and if)", line
    )


def _walk(node: nodes.Node) -> Iterator[nodes.Node]:
    yield node
    for child in node.iter_child_nodes():
        yield from _walk(child)


def _plain_pieces(tree: nodes.Template) -> tuple[tuple[bool, str], ...] | None:
    pieces: list[tuple[bool, str]] = []
    for statement in tree.body:
        if not isinstance(statement, nodes.Output):
            return None
        for item in statement.nodes:
            if isinstance(item, nodes.TemplateData):
                pieces.append((False, item.data))
            elif isinstance(item, nodes.Name):
                pieces.append((True, item.name))
            else:
                return None
    return tuple(pieces)


def compile_template(source: str) -> CompiledTemplate:
    """Check ``source`` against the template language and compile it; raises `TemplateRejected`."""
    if len(source) > MAX_SOURCE_CHARS:
        raise TemplateRejected(
            [TemplateProblem("too_long", f"{len(source)} characters (at most {MAX_SOURCE_CHARS})")]
        )
    env = environment()
    try:
        tree = env.parse(source)
    except TemplateSyntaxError as exc:
        raise TemplateRejected(
            [TemplateProblem("syntax", exc.message or "syntax error", exc.lineno)]
        ) from None
    problems = [p for p in (_problem(node) for node in _walk(tree)) if p is not None]
    if problems:
        unique = list(dict.fromkeys(problems))
        raise TemplateRejected(unique)
    names = frozenset(n.name for n in _walk(tree) if isinstance(n, nodes.Name))
    return CompiledTemplate(source, env.from_string(tree), names, _plain_pieces(tree))
