"""Business-day calendars from the `holidays` package, handed to the core as plain data.

The `holidays` package reads its translation files when a calendar is built, so this lives at the edge;
`recoup.core.plans.BusinessCalendar` only ever sees dates.

Which calendar an account uses (its key, e.g. ``CN``, ``US-NY``, ``GB-SCT``, ``FR``):
- CN: mainland China's public holidays and adjusted working weekends (调休);
- US or US-XX: federal holidays plus the state's, the state taken from the jurisdiction suffix or
  ``region`` (a two-letter code); federal only when neither names a state;
- UK: the nation from ``region`` (ENG, NIR, SCT, WLS or England, Northern Ireland, Scotland, Wales);
  England and Wales when none is given;
- EU: the member state from the account attribute ``country`` or from ``region`` when it is an EU country
  code; Germany (DE, national holidays) when neither is given.
"""

from __future__ import annotations

import functools
import json
from datetime import date
from typing import Final

import holidays

from recoup.core.plans import BusinessCalendar

DEFAULT_EU_COUNTRY: Final = "DE"
DEFAULT_UK_NATION: Final = "ENG"
EU_COUNTRIES: Final = (
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
    "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
)  # fmt: skip
UK_NATIONS: Final = {"ENG": "ENG", "NIR": "NIR", "SCT": "SCT", "WLS": "WLS"}
UK_NATION_NAMES: Final = {"england": "ENG", "northern ireland": "NIR", "scotland": "SCT", "wales": "WLS"}
# A schedule of 60 monthly installments reaches five years ahead; one more for rolling past New Year.
YEARS_AHEAD: Final = 6


def _us_state(code: str | None) -> str | None:
    if not code:
        return None
    state = code.strip().upper()
    return state if state in holidays.country_holidays("US").subdivisions else None


def attribute_country(attributes: str | None) -> str | None:
    """The ``country`` attribute of an account (the JSON object of columns the contract does not name)."""
    if not attributes:
        return None
    try:
        parsed = json.loads(attributes)
    except ValueError:
        return None
    value = parsed.get("country") if isinstance(parsed, dict) else None
    return value.strip().upper() if isinstance(value, str) else None


def calendar_key(jurisdiction: str, region: str | None = None, country: str | None = None) -> str:
    """The calendar an account's schedule follows (see the module docstring)."""
    base, _, sub = jurisdiction.strip().upper().partition("-")
    if base == "CN":
        return "CN"
    if base == "US":
        state = _us_state(sub) or _us_state(region)
        return f"US-{state}" if state else "US"
    if base == "UK":
        wanted = (region or "").strip()
        nation = UK_NATIONS.get(wanted.upper()) or UK_NATION_NAMES.get(wanted.lower()) or DEFAULT_UK_NATION
        return f"GB-{nation}"
    if base == "EU":
        for candidate in (country, sub, (region or "").strip().upper()):
            if candidate in EU_COUNTRIES:
                return candidate
        return DEFAULT_EU_COUNTRY
    raise ValueError(f"no business calendar for jurisdiction {jurisdiction!r} (known: CN, US, UK, EU)")


@functools.lru_cache(maxsize=64)
def business_calendar(key: str, first_year: int, last_year: int) -> BusinessCalendar:
    """The calendar ``key`` (from `calendar_key`) with holidays for ``first_year``..``last_year``."""
    country, _, subdivision = key.partition("-")
    source = holidays.country_holidays(
        country, subdiv=subdivision or None, years=range(first_year, last_year + 1)
    )

    def in_span(day: date) -> bool:
        return first_year <= day.year <= last_year

    return BusinessCalendar(
        name=key,
        first_year=first_year,
        last_year=last_year,
        holidays=frozenset(day for day in source if in_span(day)),
        weekend=frozenset(source.weekend),
        workdays=frozenset(day for day in getattr(source, "weekend_workdays", ()) if in_span(day)),
    )


def calendar_for_years(key: str, first_year: int, years_ahead: int = YEARS_AHEAD) -> BusinessCalendar:
    return business_calendar(key, first_year, first_year + years_ahead)
