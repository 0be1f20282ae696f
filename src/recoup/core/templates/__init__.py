"""Message templates: a sandboxed template language, built-in wording in Chinese and English with three
tones, the wording each jurisdiction and channel requires, and locale formatting of money and dates."""

from recoup.core.templates.check import Linter, LintFinding, TemplateCheck, check_template
from recoup.core.templates.library import (
    TONES,
    LibraryEntry,
    TemplateLibrary,
    TemplateSpec,
    builtin_library,
    builtin_specs,
)
from recoup.core.templates.locale import format_day, format_money, locale_for
from recoup.core.templates.render import render_messages
from recoup.core.templates.sandbox import (
    CompiledTemplate,
    TemplateProblem,
    TemplateRejected,
    compile_template,
)
from recoup.core.templates.variables import VARIABLES, sample_context

__all__ = [
    "TONES",
    "VARIABLES",
    "CompiledTemplate",
    "LibraryEntry",
    "LintFinding",
    "Linter",
    "TemplateCheck",
    "TemplateLibrary",
    "TemplateProblem",
    "TemplateRejected",
    "TemplateSpec",
    "builtin_library",
    "builtin_specs",
    "check_template",
    "compile_template",
    "format_day",
    "format_money",
    "locale_for",
    "render_messages",
    "sample_context",
]
