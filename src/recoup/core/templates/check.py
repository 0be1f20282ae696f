"""Whether a template may be saved and sent: it compiles in the sandbox, renders for a sample account,
says what its jurisdiction and channel require, and the message linter finds nothing that blocks it.

The linter is any callable with the `Linter` shape (the compliance package's message linter in
production); its blocking findings and missing required wording refuse the template.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from recoup.core.templates.library import TemplateSpec
from recoup.core.templates.sandbox import (
    CompiledTemplate,
    TemplateProblem,
    TemplateRejected,
    compile_template,
)
from recoup.core.templates.variables import sample_context
from recoup.core.templates.wording import required_wording


class LintFinding(Protocol):
    """What the template check needs of one linter finding."""

    @property
    def rule(self) -> str: ...

    @property
    def severity(self) -> str: ...

    @property
    def message(self) -> str: ...


class Linter(Protocol):
    """Checks a message's text for its language, jurisdiction and channel."""

    def __call__(
        self, text: str, language: str, jurisdiction: str, channel: str
    ) -> Sequence[LintFinding]: ...


@dataclass(frozen=True)
class TemplateCheck:
    """The outcome of checking one template. ``preview`` is the sample rendering (when it compiled)."""

    spec: TemplateSpec
    compiled: CompiledTemplate | None
    preview: str | None
    problems: tuple[TemplateProblem, ...] = field(default_factory=tuple)
    warnings: tuple[TemplateProblem, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return self.compiled is not None and not self.problems

    def raise_if_rejected(self) -> CompiledTemplate:
        if not self.ok or self.compiled is None:
            raise TemplateRejected(list(self.problems))
        return self.compiled


def check_template(spec: TemplateSpec, *, linter: Linter | None, agency: str, phone: str) -> TemplateCheck:
    """Check ``spec`` as it would be saved; nothing is raised, every problem is listed."""
    try:
        compiled = compile_template(spec.body)
    except TemplateRejected as exc:
        return TemplateCheck(spec, None, None, exc.problems)
    sample = sample_context(spec.language, spec.jurisdiction, agency, phone)
    try:
        preview = compiled.render(sample)
    except TemplateRejected as exc:
        return TemplateCheck(spec, None, None, exc.problems)
    problems: dict[str, TemplateProblem] = {}
    warnings: dict[str, TemplateProblem] = {}
    for finding in required_wording(
        preview,
        language=spec.language,
        jurisdiction=spec.jurisdiction,
        channel=spec.channel,
        product=spec.product,
        sample=sample,
    ):
        problems[finding.rule] = TemplateProblem(
            f"wording:{finding.rule}", f"{finding.rule}: {finding.message}"
        )
    for lint in linter(preview, spec.language, spec.jurisdiction, spec.channel) if linter else ():
        target = problems if lint.severity == "block" else warnings
        target.setdefault(lint.rule, TemplateProblem(f"lint:{lint.rule}", f"{lint.rule}: {lint.message}"))
    return TemplateCheck(spec, compiled, preview, tuple(problems.values()), tuple(warnings.values()))
