"""Template specifications, the built-in set, and the library that picks the template for a message.

A template is found by (template_id, jurisdiction, language, tone, creditor): a creditor's own template
wins over the agency-wide one, the asked tone over `neutral`, and a saved template over the built-in
of the same key.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from typing import Any, Final

import yaml

from recoup.core.errors import ValidationError
from recoup.core.schema import JURISDICTIONS, LANGUAGES, MESSAGE_CHANNELS, PRODUCTS
from recoup.core.templates.sandbox import CompiledTemplate, compile_template

TONES: Final = ("neutral", "empathetic", "firm")
DEFAULT_TONE: Final = "neutral"
BUILTIN_FAMILIES: Final = ("reminder", "offer")


@dataclass(frozen=True, slots=True)
class TemplateSpec:
    """A template as an editor writes it. ``product`` narrows the wording checks (None: any product)."""

    template_id: str
    channel: str
    language: str
    body: str
    tone: str = DEFAULT_TONE
    jurisdiction: str = "CN"
    product: str | None = None
    creditor_id: str | None = None

    def __post_init__(self) -> None:
        problems = []
        if (
            not self.template_id
            or len(self.template_id) > 100
            or not self.template_id.replace("_", "").replace("-", "").replace(".", "").isalnum()
        ):
            problems.append(
                ("template_id", f"{self.template_id!r}: use letters, digits, '_', '-' or '.' (at most 100)")
            )
        if self.channel not in MESSAGE_CHANNELS:
            problems.append(
                ("channel", f"{self.channel!r} is not a message channel ({', '.join(MESSAGE_CHANNELS)})")
            )
        if self.language not in LANGUAGES:
            problems.append(("language", f"{self.language!r} is not a language ({', '.join(LANGUAGES)})"))
        if self.tone not in TONES:
            problems.append(("tone", f"{self.tone!r} is not a tone ({', '.join(TONES)})"))
        if self.jurisdiction[:2] not in JURISDICTIONS:
            problems.append(
                ("jurisdiction", f"{self.jurisdiction!r} is not a jurisdiction ({', '.join(JURISDICTIONS)})")
            )
        if self.product is not None and self.product not in PRODUCTS:
            problems.append(("product", f"{self.product!r} is not a product ({', '.join(PRODUCTS)})"))
        if problems:
            raise ValidationError("; ".join(m for _, m in problems), field=problems[0][0])

    @property
    def key(self) -> tuple[str, str, str, str, str | None]:
        return (self.template_id, self.jurisdiction, self.language, self.tone, self.creditor_id)


@dataclass(frozen=True)
class LibraryEntry:
    spec: TemplateSpec
    compiled: CompiledTemplate


@dataclass
class TemplateLibrary:
    """Templates by key; `find` applies the fall-backs."""

    entries: dict[tuple[str, str, str, str, str | None], LibraryEntry] = field(default_factory=dict)

    def add(self, spec: TemplateSpec, compiled: CompiledTemplate | None = None) -> None:
        self.entries[spec.key] = LibraryEntry(spec, compiled or compile_template(spec.body))

    def find(
        self,
        template_id: str,
        jurisdiction: str,
        language: str,
        tone: str | None = None,
        creditor_id: str | None = None,
    ) -> LibraryEntry | None:
        for key in _candidate_keys(template_id, jurisdiction, language, tone or DEFAULT_TONE, creditor_id):
            entry = self.entries.get(key)
            if entry is not None:
                return entry
        return None

    def __iter__(self) -> Iterator[LibraryEntry]:
        return iter(self.entries.values())

    def __len__(self) -> int:
        return len(self.entries)

    def merged(self, specs: Iterable[TemplateSpec]) -> TemplateLibrary:
        """A copy with ``specs`` added over this library's entries (saved templates over built-ins)."""
        library = TemplateLibrary(dict(self.entries))
        for spec in specs:
            library.add(spec)
        return library


def _candidate_keys(
    template_id: str, jurisdiction: str, language: str, tone: str, creditor_id: str | None
) -> Iterator[tuple[str, str, str, str, str | None]]:
    jurisdictions = [jurisdiction] if len(jurisdiction) == 2 else [jurisdiction, jurisdiction[:2]]
    tones = [tone] if tone == DEFAULT_TONE else [tone, DEFAULT_TONE]
    creditors = [creditor_id, None] if creditor_id else [None]
    for creditor in creditors:
        for place in jurisdictions:
            for chosen_tone in tones:
                yield (template_id, place, language, chosen_tone, creditor)


def _builtin_data() -> dict[str, Any]:
    text = files("recoup.core.templates").joinpath("builtin.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


def builtin_specs() -> list[TemplateSpec]:
    """Every built-in template: families x channels x languages x tones x jurisdictions."""
    data = _builtin_data()
    specs = []
    for family, channels in data["bodies"].items():
        for channel, languages in channels.items():
            for language, tones in languages.items():
                for tone, body in tones.items():
                    for jurisdiction, parts in data["parts"].items():
                        around = parts.get(channel, {}).get(language, {})
                        source = f"{around.get('before', '')}{body}{around.get('after', '')}"
                        specs.append(
                            TemplateSpec(f"{family}_{channel}", channel, language, source, tone, jurisdiction)
                        )
    return specs


@cache
def builtin_library() -> TemplateLibrary:
    library = TemplateLibrary()
    for spec in builtin_specs():
        library.add(spec)
    return library
