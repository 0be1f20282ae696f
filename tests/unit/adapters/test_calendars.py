from __future__ import annotations

from datetime import date

import pytest

from recoup.adapters.calendars import attribute_country, business_calendar, calendar_for_years, calendar_key


def test_calendar_keys_follow_jurisdiction_region_and_country() -> None:
    assert calendar_key("CN", "广东") == "CN"
    assert calendar_key("US-NY") == "US-NY"
    assert calendar_key("US", "ca") == "US-CA"
    assert calendar_key("US", "Somewhere") == "US"
    assert calendar_key("UK", "Scotland") == "GB-SCT"
    assert calendar_key("UK") == "GB-ENG"
    assert calendar_key("EU", None, "FR") == "FR"
    assert calendar_key("EU", "IT") == "IT"
    assert calendar_key("EU", "Bavaria") == "DE"
    with pytest.raises(ValueError, match="no business calendar"):
        calendar_key("MARS")


def test_the_country_attribute_is_read_from_the_accounts_json_attributes() -> None:
    assert attribute_country('{"country": " fr ", "branch": 7}') == "FR"
    assert attribute_country("not json") is None
    assert attribute_country(None) is None


def test_real_holidays_and_adjusted_working_days() -> None:
    china = calendar_for_years("CN", 2026)
    assert not china.is_business_day(date(2026, 2, 17))  # Spring Festival
    assert china.is_business_day(date(2026, 2, 14))  # a Saturday worked in exchange (调休)
    assert china.roll_forward(date(2026, 10, 1)) == date(2026, 10, 8)  # past Golden Week
    assert not business_calendar("US-NY", 2026, 2026).is_business_day(date(2026, 2, 12))  # Lincoln's Birthday
    assert business_calendar("US", 2026, 2026).is_business_day(date(2026, 2, 12))
    assert not business_calendar("GB-SCT", 2026, 2026).is_business_day(date(2026, 1, 2))
    assert business_calendar("GB-ENG", 2026, 2026).is_business_day(date(2026, 1, 2))
    assert not business_calendar("DE", 2026, 2026).is_business_day(date(2026, 5, 14))  # Ascension Day
    assert not business_calendar("FR", 2026, 2026).is_business_day(date(2026, 7, 14))
