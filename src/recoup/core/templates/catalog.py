"""Chinese and English catalogs (Babel PO files shipped with the package) for the words around messages:
email subjects, letter headings, channel and tone names.

English is the source language: a message id is its English text, and a language without a translation
of an id falls back to the English text.
"""

from __future__ import annotations

import io
from functools import cache
from importlib.resources import files
from typing import Final

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

CATALOG_LANGUAGES: Final = ("zh", "en")
DOMAIN: Final = "recoup"


@cache
def _catalog(language: str) -> Catalog | None:
    if language not in CATALOG_LANGUAGES:
        return None
    data = (
        files("recoup.core.templates")
        .joinpath("locales", language, "LC_MESSAGES", f"{DOMAIN}.po")
        .read_bytes()
    )
    return read_po(io.BytesIO(data), locale=language, domain=DOMAIN)


def gettext(message: str, language: str) -> str:
    """``message`` (English) in ``language``; the English text when there is no translation."""
    catalog = _catalog(language)
    if catalog is None:
        return message
    entry = catalog.get(message)
    if entry is None or not entry.string or not isinstance(entry.string, str):
        return message
    return entry.string


def translate(message: str, language: str, **values: str) -> str:
    """`gettext`, then the ``{name}`` fields filled in."""
    return gettext(message, language).format(**values)


def message_ids(language: str) -> frozenset[str]:
    """Every message id of a language's catalog (the tests check both catalogs hold the same ids)."""
    catalog = _catalog(language)
    return frozenset(str(m.id) for m in catalog if m.id) if catalog is not None else frozenset()
