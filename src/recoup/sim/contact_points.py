"""Phone numbers, e-mail addresses, IM handles and postal addresses for synthetic debtors, column-wise.

Numbers use real mobile prefixes so that phonenumbers validates them and maps them to the right zones.
They are random, so some may belong to real people: never send real traffic to a simulated portfolio.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import polars as pl

from recoup.sim.columns import Codes, Mask, assemble, choose, concat, groups, number_text, pick
from recoup.sim.reference import COUNTRIES, PLACES

CN_ROADS: Final = (
    "人民路", "解放路", "中山路", "建设路", "和平路", "文化路", "长江路", "黄河路", "胜利路", "东风路",
    "友谊路", "新华路", "滨河路", "朝阳路", "学府路",
)  # fmt: skip

# Per country: street names and whether the house number comes first ("12 High Street") or after.
STREETS: Final[dict[str, tuple[tuple[str, ...], bool]]] = {
    "US": (("Main St", "Oak Ave", "Maple St", "Park Ave", "Washington Ave", "Lake St", "Cedar Rd"), True),
    "GB": (("High Street", "Station Road", "Church Lane", "Park Road", "Victoria Road", "Green Lane"), True),
    "DE": (("Hauptstraße", "Bahnhofstraße", "Gartenstraße", "Schulstraße", "Lindenweg"), False),
    "FR": (("rue de la République", "avenue Jean Jaurès", "rue Victor Hugo", "rue Pasteur"), True),
    "ES": (("Calle Mayor", "Calle Real", "Avenida de la Constitución", "Calle del Sol"), False),
    "IT": (("Via Roma", "Via Garibaldi", "Corso Italia", "Via Dante"), False),
}  # fmt: skip

CN_PERSONAL_MAIL: Final = ("163.com", "126.com", "sina.com", "outlook.com")
PERSONAL_MAIL: Final = {
    "US": ("gmail.com", "yahoo.com", "outlook.com"),
    "GB": ("gmail.com", "btinternet.com", "outlook.com"),
    "DE": ("gmx.de", "web.de", "gmail.com"),
    "FR": ("orange.fr", "gmail.com", "free.fr"),
    "ES": ("gmail.com", "hotmail.es"),
    "IT": ("libero.it", "gmail.com"),
}
COMPANY_TLD: Final = {
    "CN": "com.cn",
    "US": "com",
    "GB": "co.uk",
    "DE": "de",
    "FR": "fr",
    "ES": "es",
    "IT": "it",
}
QQ_SHARE: Final = 0.5  # share of Chinese personal addresses that are numeric QQ mail

PLACE_COUNTRY: Final = np.asarray([COUNTRIES.index(p.country) for p in PLACES], dtype=np.int64)
_PLACE_TEXT: Final = pl.DataFrame(
    {
        "city": [p.city for p in PLACES],
        "region": [p.region for p in PLACES],
        "address_prefix": [p.address_prefix for p in PLACES],
        "postcode": [p.postcode for p in PLACES],
    }
)


def phones(rng: np.random.Generator, place: Codes) -> pl.Series:
    """One E.164 mobile number per row, from the row's place (``PLACES`` index)."""
    pieces = []
    for code, rows in groups(place):
        spot = PLACES[code]
        count = len(rows)
        prefix = pick(spot.mobile_prefixes, rng.integers(0, len(spot.mobile_prefixes), count))
        # North American exchanges cannot start with 0 or 1.
        low = 2 * 10 ** (spot.subscriber_digits - 1) if spot.calling_code == "1" else 0
        subscriber = number_text(rng.integers(low, 10**spot.subscriber_digits, count), spot.subscriber_digits)
        pieces.append((rows, concat("+" + spot.calling_code, prefix, subscriber)))
    return assemble(pieces, len(place))


def personal_emails(rng: np.random.Generator, country: Codes, handles: pl.Series) -> pl.Series:
    """Personal addresses: QQ numbers or pinyin handles in China, given.surname elsewhere, digits often."""
    n = len(country)
    suffix = choose(rng.random(n) < 0.6, number_text(rng.integers(1, 1000, n))).fill_null("")
    local = concat(handles, suffix)
    pieces = []
    for code, rows in groups(country):
        place = COUNTRIES[code]
        count = len(rows)
        domains = CN_PERSONAL_MAIL if place == "CN" else PERSONAL_MAIL[place]
        named = concat(local.gather(rows), "@", pick(domains, rng.integers(0, len(domains), count)))
        if place == "CN":
            qq = concat(number_text(rng.integers(10_000, 3_999_999_999, count)), "@qq.com")
            named = choose(rng.random(count) < QQ_SHARE, qq, named)
        pieces.append((rows, named))
    return assemble(pieces, n)


def company_emails(rng: np.random.Generator, country: Codes, handles: pl.Series) -> pl.Series:
    n = len(country)
    tld = pick([COMPANY_TLD[c] for c in COUNTRIES], country)
    box = pick(("finance", "accounts", "info"), rng.integers(0, 3, n))
    number = choose(rng.random(n) < 0.5, number_text(rng.integers(1, 100, n))).fill_null("")
    return concat(box, "@", handles, number, ".", tld)


def im_handles(
    rng: np.random.Generator, country: Codes, handles: pl.Series, first_phone: pl.Series
) -> pl.Series:
    """WeChat-style ids in China; elsewhere the messaging account is the phone number (WhatsApp-style)."""
    wechat = concat("wx_", handles, number_text(rng.integers(0, 10_000, len(country)), 4))
    return choose(country == COUNTRIES.index("CN"), wechat, first_phone)


def addresses(rng: np.random.Generator, place: Codes, business: Mask) -> pl.Series:
    """Postal addresses written the local way, e.g. 甘肃省兰州市城关区人民路128号3栋2单元502室."""
    n = len(place)
    country = PLACE_COUNTRY[place]
    number = number_text(rng.integers(1, 300, n))
    pieces = []
    for code, rows in groups(country):
        place_name = COUNTRIES[code]
        here = _PLACE_TEXT[place[rows]]
        num = number.gather(rows)
        count = len(rows)
        if place_name == "CN":
            pieces.append((rows, _cn_addresses(rng, place[rows], here, num, business[rows])))
            continue
        streets, number_first = STREETS[place_name]
        street = pick(streets, rng.integers(0, len(streets), count))
        line = concat(num, " ", street) if number_first else concat(street, " ", num)
        if place_name == "US":
            zip_code = number_text(rng.integers(1, 100, count), 2)
            pieces.append(
                (
                    rows,
                    concat(line, ", ", here["city"], ", ", here["region"], " ", here["postcode"], zip_code),
                )
            )
        elif place_name == "GB":
            letters = pick(("AB", "DX", "HT", "NP", "QR", "WZ"), rng.integers(0, 6, count))
            digit = number_text(rng.integers(1, 10, count))
            pieces.append(
                (rows, concat(line, ", ", here["city"], " ", here["postcode"], " ", digit, letters))
            )
        else:
            pieces.append((rows, concat(line, ", ", here["city"])))
    return assemble(pieces, n)


def _cn_addresses(
    rng: np.random.Generator, place: Codes, here: pl.DataFrame, number: pl.Series, business: Mask
) -> pl.Series:
    count = len(place)
    district_pieces = []
    for code, rows in groups(place):
        options = PLACES[code].districts
        district_pieces.append((rows, pick(options, rng.integers(0, len(options), len(rows)))))
    district = assemble(district_pieces, count)
    road = pick(CN_ROADS, rng.integers(0, len(CN_ROADS), count))
    home = concat(
        number_text(rng.integers(1, 30, count)), "栋",
        number_text(rng.integers(1, 6, count)), "单元",
        number_text(rng.integers(1, 30, count) * 100 + rng.integers(1, 5, count)), "室",
    )  # fmt: skip
    office = concat(number_text(rng.integers(1, 30, count)), "楼")
    return concat(here["address_prefix"], district, road, number, "号", choose(business, office, home))
