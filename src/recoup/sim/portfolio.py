"""Synthetic portfolios: accounts, third-party contacts and the hidden truth the behaviour model acts on.

Everything is drawn column-wise from one seeded NumPy generator, so the same (n_accounts, seed, as_of,
jurisdiction_mix) always gives the same portfolio. Parameter values are documented in docs/simulator.md.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy.special import ndtr

from recoup.core.errors import ValidationError
from recoup.core.money import exponent
from recoup.core.schema import ACCOUNT_SCHEMA, CONTACT_SCHEMA, EMPLOYMENT_STATUSES, JURISDICTIONS, conform
from recoup.sim import contact_points, names
from recoup.sim.columns import assemble, choose, groups, number_text, pick
from recoup.sim.contact_points import PLACE_COUNTRY
from recoup.sim.reference import (
    BUSINESS_REVENUE_MEDIAN_CNY,
    CREDITORS,
    CURRENCY_OF,
    CURRENCY_SCALE,
    DEBTOR_TYPE_SHARES,
    DEFAULT_JURISDICTION_MIX,
    ECONOMICS,
    ENTERPRISE_BALANCE_FACTOR,
    INCOME_MEDIAN,
    LANGUAGE_OF,
    OFFERINGS,
    PLACES,
)

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]

RESPONSE_CHANNELS: Final = ("call", "sms", "email", "im", "letter", "visit")

# What only the simulator knows about each account (one row per account, same order as ``accounts``).
TRUTH_SCHEMA: Final[dict[str, pl.DataType]] = {
    "account_id": pl.String(),
    "creditor_id": pl.String(),
    "debtor_id": pl.String(),
    "draw_key": pl.Int64(),  # the account's number in its generated portfolio: keys its random draws
    "ability": pl.Float64(),  # capacity to pay, in [0, 1]
    "willingness": pl.Float64(),  # intention to pay, in [0, 1]
    "best_hour": pl.Int32(),  # local hour at which the debtor is easiest to reach
    **{f"response_{channel}": pl.Float64() for channel in RESPONSE_CHANNELS},  # responsiveness in [0, 1]
    "dispute_propensity": pl.Float64(),
    "complaint_propensity": pl.Float64(),
    "vulnerable": pl.Boolean(),  # truly vulnerable (only about half are flagged to Recoup)
    "wrong_number": pl.Boolean(),  # the debtor's phone now reaches someone else
    "phone_dead": pl.Boolean(),  # the number is out of service
    "email_valid": pl.Boolean(),
    "address_valid": pl.Boolean(),
}

CREDITOR_SCHEMA: Final[dict[str, pl.DataType]] = {
    "creditor_id": pl.String(),
    "name": pl.String(),
    "kind": pl.String(),
    "jurisdiction": pl.String(),
}

# Behavioural and demographic parameters (guesses unless said otherwise; see docs/simulator.md).
EXTRA_ACCOUNTS_PER_DEBTOR: Final = 0.2  # Poisson mean: about 18% of debtors have two or more accounts
DPD_BETA: Final = (0.9, 1.8)  # days past due = 1 + 359 * Beta: mean ~120 days, more early than late
MAX_DPD: Final = 360
WILLINGNESS_ABILITY_CORRELATION: Final = 0.35
WILLINGNESS_DPD_PENALTY: Final = 0.8  # probit points lost between 0 and 360 days past due
SECOND_PHONE_SHARE: Final = 0.10
EMAIL_SHARE: Final = {"CN": 0.45, "other": 0.80, "business": 0.90}
IM_SHARE: Final = {"CN": 0.70, "other": 0.30}
ADDRESS_SHARE: Final = 0.92
CONSENT_TRUE, CONSENT_FALSE = 0.85, 0.03  # the rest is unknown (null)
LAST_PAYMENT_SHARE: Final = 0.60
INCOME_UNDECLARED_SHARE: Final = 0.15
BEST_HOURS: Final = (9, 10, 11, 12, 13, 18, 19, 20, 21)
BEST_HOUR_WEIGHTS: Final = (0.12, 0.12, 0.11, 0.10, 0.10, 0.12, 0.12, 0.11, 0.10)
# Responsiveness multipliers per channel: WeChat-style IM dominates in China, e-mail elsewhere.
CHANNEL_AFFINITY: Final = {
    "CN": {"call": 1.0, "sms": 0.9, "email": 0.5, "im": 1.4, "letter": 0.6, "visit": 1.1},
    "other": {"call": 0.9, "sms": 1.0, "email": 1.1, "im": 0.6, "letter": 0.9, "visit": 0.8},
}
WRONG_NUMBER_SHARE, PHONE_DEAD_SHARE = 0.04, 0.03
EMAIL_VALID_SHARE, ADDRESS_VALID_SHARE = 0.92, 0.93
DEBTOR_FLAG_RATES: Final = {"bankrupt": 0.002, "deceased": 0.001, "attorney": 0.004, "cease": 0.003}
ACCOUNT_FLAG_RATES: Final = {"dispute": 0.015, "complaint": 0.005}


@dataclass(frozen=True, slots=True)
class SyntheticPortfolio:
    """A generated portfolio: what Recoup may see (accounts, contacts) and what only the simulator knows."""

    accounts: pl.DataFrame  # ACCOUNT_SCHEMA, money in minor units
    contacts: pl.DataFrame  # CONTACT_SCHEMA
    truth: pl.DataFrame  # TRUTH_SCHEMA, row i describes accounts row i
    creditors: pl.DataFrame  # CREDITOR_SCHEMA
    seed: int
    as_of: date


def generate_portfolio(
    n_accounts: int, *, seed: int, as_of: date, jurisdiction_mix: dict[str, float] | None = None
) -> SyntheticPortfolio:
    """Generate ``n_accounts`` accounts as of ``as_of``, mostly CN unless ``jurisdiction_mix`` differs."""
    if n_accounts < 0:
        raise ValidationError("n_accounts cannot be negative", field="n_accounts")
    mix = normalised_mix(jurisdiction_mix)
    rng = np.random.default_rng(seed)
    owner = _owners(rng, n_accounts)
    debtors = _debtors(rng, int(owner[-1]) + 1 if n_accounts else 0, mix)
    accounts = _accounts(rng, debtors, owner, as_of)
    return SyntheticPortfolio(
        accounts=conform(accounts, ACCOUNT_SCHEMA),
        contacts=_third_parties(rng, accounts),
        truth=conform(accounts, TRUTH_SCHEMA),
        creditors=pl.DataFrame(
            [(c.creditor_id, c.name, c.kind, c.jurisdiction) for c in CREDITORS],
            schema=CREDITOR_SCHEMA,
            orient="row",
        ),
        seed=seed,
        as_of=as_of,
    )


def normalised_mix(mix: dict[str, float] | None) -> dict[str, float]:
    """Jurisdiction shares summing to one, in JURISDICTIONS order; refuses unknown codes and bad weights."""
    raw = DEFAULT_JURISDICTION_MIX if mix is None else mix
    unknown = sorted(set(raw) - set(JURISDICTIONS))
    if unknown:
        raise ValidationError(f"unknown jurisdictions {unknown}", field="jurisdiction_mix")
    if any(not math.isfinite(share) or share < 0 for share in raw.values()):
        raise ValidationError("shares must be finite and non-negative", field="jurisdiction_mix")
    total = sum(raw.values())
    if total <= 0:
        raise ValidationError("shares must not all be zero", field="jurisdiction_mix")
    return {code: raw.get(code, 0.0) / total for code in JURISDICTIONS}


def _owners(rng: np.random.Generator, n_accounts: int) -> I64:
    """Debtor index of each account: most debtors have one account, some several (contiguous rows)."""
    counts = 1 + rng.poisson(EXTRA_ACCOUNTS_PER_DEBTOR, size=max(n_accounts, 1))
    n_debtors = int(np.searchsorted(np.cumsum(counts), n_accounts)) + 1
    return np.repeat(np.arange(n_debtors, dtype=np.int64), counts[:n_debtors])[:n_accounts]


def _choice(rng: np.random.Generator, weights: Sequence[float], size: int) -> I64:
    p = np.asarray(weights, dtype=np.float64)
    return np.asarray(rng.choice(len(p), size=size, p=p / p.sum()), dtype=np.int64)


def _places(rng: np.random.Generator, jurisdiction: I64) -> I64:
    """A place (``PLACES`` index) per debtor, by population weight within the debtor's jurisdiction."""
    place = np.zeros(len(jurisdiction), dtype=np.int64)
    for code, rows in groups(jurisdiction):
        options = [i for i, p in enumerate(PLACES) if p.jurisdiction == JURISDICTIONS[code]]
        picks = _choice(rng, [PLACES[i].weight for i in options], len(rows))
        place[rows] = np.asarray(options, dtype=np.int64)[picks]
    return place


_PLACE_COLUMNS: Final = pl.DataFrame(
    {
        "jurisdiction": [p.jurisdiction for p in PLACES],
        "region": [p.region for p in PLACES],
        "city": [p.city for p in PLACES],
        "timezone": [p.timezone for p in PLACES],
        "statute_years": [p.statute_years for p in PLACES],
        "currency": [CURRENCY_OF[p.jurisdiction] for p in PLACES],
        "language": [LANGUAGE_OF[p.jurisdiction] for p in PLACES],
    }
)
_PLACE_JURISDICTION: Final = np.asarray([JURISDICTIONS.index(p.jurisdiction) for p in PLACES], dtype=np.int64)
_CN: Final = JURISDICTIONS.index("CN")
_DEBTOR_TYPES: Final = tuple(DEBTOR_TYPE_SHARES)
_INDIVIDUAL, _SME, _ENTERPRISE = (_DEBTOR_TYPES.index(t) for t in ("individual", "sme", "enterprise"))


def _debtors(rng: np.random.Generator, m: int, mix: dict[str, float]) -> pl.DataFrame:
    """One row per debtor: identity, contact points, demographics and latent traits."""
    place = _places(rng, _choice(rng, list(mix.values()), m))
    jurisdiction = _PLACE_JURISDICTION[place]
    country = PLACE_COUNTRY[place]
    frame = _PLACE_COLUMNS[place]
    debtor_type = _choice(rng, list(DEBTOR_TYPE_SHARES.values()), m)
    individual = debtor_type == _INDIVIDUAL
    china = jurisdiction == _CN

    age = np.clip(np.rint(rng.normal(40, 12, m)), 20, 80).astype(np.int64)
    midlife = 0.3 * (1 - ((age - 48) / 22.0) ** 2) - 0.15
    z_ability = rng.standard_normal(m) + np.where(individual, midlife, 0.0)
    employment = _employment(rng, age, z_ability)
    income = _income(rng, jurisdiction, debtor_type, employment, z_ability)
    name, handle = _identities(rng, country, frame["city"], debtor_type)

    phone = contact_points.phones(rng, place)
    extra = np.flatnonzero(individual & (rng.random(m) < SECOND_PHONE_SHARE))
    second_phone = assemble([(extra, contact_points.phones(rng, place[extra]))], m)
    phones = pl.select(pl.concat_str([phone, second_phone], separator=";", ignore_nulls=True)).to_series()
    email_share = np.where(
        individual, np.where(china, EMAIL_SHARE["CN"], EMAIL_SHARE["other"]), EMAIL_SHARE["business"]
    )
    has_email = rng.random(m) < email_share
    personal = np.flatnonzero(has_email & individual)
    corporate = np.flatnonzero(has_email & ~individual)
    email = assemble(
        [
            (personal, contact_points.personal_emails(rng, country[personal], handle.gather(personal))),
            (corporate, contact_points.company_emails(rng, country[corporate], handle.gather(corporate))),
        ],
        m,
    )
    with_im = np.flatnonzero(rng.random(m) < np.where(china, IM_SHARE["CN"], IM_SHARE["other"]))
    im = contact_points.im_handles(rng, country[with_im], handle.gather(with_im), phone.gather(with_im))
    with_address = np.flatnonzero(rng.random(m) < ADDRESS_SHARE)
    address = contact_points.addresses(rng, place[with_address], ~individual[with_address])

    flags = _debtor_flags(rng, individual, age, jurisdiction)
    vulnerable = individual & (rng.random(m) < 0.03 + 0.05 * (age >= 70) + 0.03 * (z_ability < -1))
    ability = ndtr(z_ability) * np.where(flags["deceased"], 0.1, 1.0) * np.where(flags["bankrupt"], 0.2, 1.0)
    engagement = rng.beta(2.0, 3.0, m)
    complaint_boost = np.where(china, 1.0, 1.3) * np.where(vulnerable, 1.5, 1.0)

    def responsiveness(channel: str) -> pl.Series:
        affinity = np.where(china, CHANNEL_AFFINITY["CN"][channel], CHANNEL_AFFINITY["other"][channel])
        noise = np.exp(0.35 * rng.standard_normal(m))
        return pl.Series(f"response_{channel}", np.clip(engagement * affinity * noise, 0.01, 0.99))

    return frame.with_columns(
        pl.Series("place", place),
        pl.Series("country_code", country),
        pl.Series("debtor_type_code", debtor_type),
        pick(_DEBTOR_TYPES, debtor_type).alias("debtor_type"),
        name.alias("debtor_name"),
        phones.alias("phone"),
        email.alias("email"),
        assemble([(with_im, im)], m).alias("im_handle"),
        assemble([(with_address, address)], m).alias("address"),
        *[_consent(rng, m).alias(f"consent_{c}") for c in ("sms", "email", "im", "call")],
        choose(individual, pl.Series(age)).alias("age"),
        choose(individual, pick(EMPLOYMENT_STATUSES, employment)).alias("employment_status"),
        pl.Series("income_major", income, dtype=pl.Float64()),
        pl.Series("z_ability", z_ability),
        pl.Series("ability", ability),
        pl.Series("best_hour", np.asarray(BEST_HOURS)[_choice(rng, BEST_HOUR_WEIGHTS, m)], dtype=pl.Int32()),
        *[responsiveness(channel) for channel in RESPONSE_CHANNELS],
        pl.Series("dispute_propensity", rng.beta(1.0, 12.0, m)),
        pl.Series("complaint_propensity", np.clip(rng.beta(1.2, 8.0, m) * complaint_boost, 0.0, 1.0)),
        pl.Series("vulnerable", vulnerable),
        pl.Series("vulnerable_flag", vulnerable & (rng.random(m) < 0.5)),
        *[pl.Series(f"flag_{flag}", value) for flag, value in flags.items()],
        pl.Series("wrong_number", rng.random(m) < WRONG_NUMBER_SHARE),
        pl.Series("phone_dead", rng.random(m) < PHONE_DEAD_SHARE),
        pl.Series("email_valid", rng.random(m) < EMAIL_VALID_SHARE),
        pl.Series("address_valid", rng.random(m) < ADDRESS_VALID_SHARE),
    )


def _identities(
    rng: np.random.Generator, country: I64, city: pl.Series, debtor_type: I64
) -> tuple[pl.Series, pl.Series]:
    """Display names and ASCII handles: people for individuals, companies for SMEs and enterprises."""
    person = np.flatnonzero(debtor_type == _INDIVIDUAL)
    business = np.flatnonzero(debtor_type != _INDIVIDUAL)
    person_name, person_handle = names.people(rng, country[person])
    company_name, company_handle = names.companies(
        rng, country[business], city.gather(business), debtor_type[business] == _ENTERPRISE
    )
    m = len(country)
    return (
        assemble([(person, person_name), (business, company_name)], m),
        assemble([(person, person_handle), (business, company_handle)], m),
    )


def _employment(rng: np.random.Generator, age: I64, z_ability: F64) -> I64:
    """Employment status codes tied to hidden ability, and to age for students and retirees."""
    m = len(age)
    life, work = rng.random(m), rng.random(m)
    student = (age <= 24) & (life < 0.45)
    retired = (age >= 60) & (life < np.clip((age - 55) / 15.0, 0.0, 0.95))
    active = ~student & ~retired
    unemployed = active & (rng.random(m) < ndtr(-1.4 - 0.9 * z_ability))
    working = active & ~unemployed
    status = np.select(
        [student, retired, unemployed, working & (work < 0.18), working & (work < 0.24)],
        [
            EMPLOYMENT_STATUSES.index(s)
            for s in ("student", "retired", "unemployed", "self_employed", "unknown")
        ],
        default=EMPLOYMENT_STATUSES.index("employed"),
    )
    return np.asarray(status, dtype=np.int64)


_INCOME_FACTOR: Final = np.asarray(
    [
        {"unemployed": 0.25, "student": 0.3, "retired": 0.6, "self_employed": 1.1}.get(s, 1.0)
        for s in EMPLOYMENT_STATUSES
    ]
)
_SCALE_OF_JURISDICTION: Final = np.asarray([CURRENCY_SCALE[CURRENCY_OF[j]] for j in JURISDICTIONS])
_INCOME_OF_JURISDICTION: Final = np.asarray(
    [INCOME_MEDIAN[(j, "individual")] for j in JURISDICTIONS], dtype=float
)


def _income(
    rng: np.random.Generator, jurisdiction: I64, debtor_type: I64, employment: I64, z_ability: F64
) -> F64:
    """Monthly income (individuals) or revenue (businesses) in major units; NaN when undeclared."""
    m = len(z_ability)
    noise = rng.standard_normal(m)
    person = (
        _INCOME_OF_JURISDICTION[jurisdiction]
        * _INCOME_FACTOR[employment]
        * np.exp(0.45 * z_ability + 0.3 * noise)
    )
    revenue = np.where(
        debtor_type == _ENTERPRISE,
        BUSINESS_REVENUE_MEDIAN_CNY["enterprise"],
        BUSINESS_REVENUE_MEDIAN_CNY["sme"],
    )
    business = revenue * _SCALE_OF_JURISDICTION[jurisdiction] * np.exp(0.6 * z_ability + 0.5 * noise)
    unknown = employment == EMPLOYMENT_STATUSES.index("unknown")
    undeclared = rng.random(m) < np.where(unknown, 0.5, INCOME_UNDECLARED_SHARE)
    return np.where(undeclared, np.nan, np.where(debtor_type == _INDIVIDUAL, person, business))


def _consent(rng: np.random.Generator, m: int) -> pl.Series:
    """Mostly true, a few false, the rest unknown (null: the jurisdiction's default applies)."""
    draw = rng.random(m)
    given = pl.Series(draw < CONSENT_TRUE)
    return choose(draw < CONSENT_TRUE + CONSENT_FALSE, given)


def _debtor_flags(rng: np.random.Generator, individual: Mask, age: I64, jurisdiction: I64) -> dict[str, Mask]:
    m = len(individual)
    rates = DEBTOR_FLAG_RATES
    return {
        "attorney": rng.random(m) < rates["attorney"],
        "bankrupt": rng.random(m) < np.where(individual, rates["bankrupt"], 5 * rates["bankrupt"]),
        "cease": rng.random(m) < rates["cease"],
        "deceased": individual & (rng.random(m) < rates["deceased"] * np.where(age >= 70, 5.0, 1.0)),
        "military": individual & (jurisdiction == JURISDICTIONS.index("US")) & (rng.random(m) < 0.02),
    }


_CREDITOR_IDS: Final = tuple(c.creditor_id for c in CREDITORS)
_PRODUCTS: Final = tuple(ECONOMICS)
_PRODUCT_CODES: Final = {
    "credit_card": "CARD", "consumer_loan": "LOAN", "auto_loan": "AUTO", "mortgage": "MTG",
    "sme_loan": "SME", "trade_receivable": "INV", "utility": "UTIL", "other": "ORD",
}  # fmt: skip


def _offerings(rng: np.random.Generator, jurisdiction: I64, debtor_type: I64) -> tuple[I64, I64]:
    """Creditor and product codes per account, from the offerings open to the debtor's kind and place."""
    segment = jurisdiction * len(_DEBTOR_TYPES) + debtor_type
    creditor = np.zeros(len(segment), dtype=np.int64)
    product = np.zeros(len(segment), dtype=np.int64)
    for code, rows in groups(segment):
        where, kind = JURISDICTIONS[code // len(_DEBTOR_TYPES)], _DEBTOR_TYPES[code % len(_DEBTOR_TYPES)]
        options = [o for o in OFFERINGS if o.jurisdiction == where and o.debtor_type == kind]
        picks = _choice(rng, [o.weight for o in options], len(rows))
        creditor[rows] = np.asarray([_CREDITOR_IDS.index(o.creditor_id) for o in options])[picks]
        product[rows] = np.asarray([_PRODUCTS.index(o.product) for o in options])[picks]
    return creditor, product


def _accounts(rng: np.random.Generator, debtors: pl.DataFrame, owner: I64, as_of: date) -> pl.DataFrame:
    """Account rows (placement columns plus truth columns) for ``owner`` (debtor index of each account)."""
    owners = debtors[owner]
    n = owners.height
    debtor_type = owners["debtor_type_code"].to_numpy()
    jurisdiction = _PLACE_JURISDICTION[owners["place"].to_numpy()]
    creditor, product = _offerings(rng, jurisdiction, debtor_type)
    dpd = np.minimum(1 + np.floor((MAX_DPD - 1) * rng.beta(*DPD_BETA, n)).astype(np.int64), MAX_DPD)
    due_on = np.datetime64(as_of, "D") - dpd.astype("timedelta64[D]")
    unit = np.asarray([10.0 ** exponent(CURRENCY_OF[j]) for j in JURISDICTIONS])[jurisdiction]
    minor_scale = _SCALE_OF_JURISDICTION[jurisdiction] * unit
    parts = _balance_parts(rng, product, debtor_type == _ENTERPRISE, minor_scale, dpd)
    history = _history(
        rng, product, due_on=due_on, dpd=dpd, principal=parts["principal"], unit=unit, as_of=as_of
    )
    correlation = WILLINGNESS_ABILITY_CORRELATION
    z_willingness = (
        correlation * owners["z_ability"].to_numpy()
        + math.sqrt(1 - correlation**2) * rng.standard_normal(n)
        - WILLINGNESS_DPD_PENALTY * (dpd / MAX_DPD - 1 / 3)
    )
    # Account flags follow the hidden propensities (normalised by their means) so they carry signal.
    dispute_rate = ACCOUNT_FLAG_RATES["dispute"] * owners["dispute_propensity"].to_numpy() * 13
    complaint_rate = ACCOUNT_FLAG_RATES["complaint"] * owners["complaint_propensity"].to_numpy() / 0.13
    account_flags = {
        "dispute": rng.random(n) < np.minimum(0.3, dispute_rate),
        "complaint": rng.random(n) < np.minimum(0.3, complaint_rate),
    }
    income = owners["income_major"].to_numpy()
    width = max(8, len(str(n)))
    return owners.with_columns(
        (
            pick([_PRODUCT_CODES[p] for p in _PRODUCTS], product) + "-" + number_text(np.arange(n), width)
        ).alias("account_id"),
        ("D" + number_text(owner, width)).alias("debtor_id"),
        pl.Series("draw_key", np.arange(n, dtype=np.int64)),
        pick(_CREDITOR_IDS, creditor).alias("creditor_id"),
        pick(_PRODUCTS, product).alias("product"),
        *[pl.Series(name, values) for name, values in parts.items()],
        *history,
        pl.Series("due_on", due_on),
        pl.Series("income_monthly", np.rint(income * unit)).fill_nan(None).cast(pl.Int64()),
        pl.Series("willingness", ndtr(z_willingness)),
        _flags_text(owners, account_flags),
    ).with_columns(
        pl.col("due_on").dt.offset_by(pl.format("{}y", pl.col("statute_years"))).alias("statute_limit_on"),
    )


def _economics(field: str) -> F64:
    return np.asarray([getattr(ECONOMICS[p], field) for p in _PRODUCTS], dtype=np.float64)


def _balance_parts(
    rng: np.random.Generator, product: I64, enterprise: Mask, minor_scale: F64, dpd: I64
) -> dict[str, I64]:
    """Log-normal balance in minor units, split into principal, accrued interest and late fees."""
    n = len(product)
    median = _economics("median")[product] * np.where(enterprise, ENTERPRISE_BALANCE_FACTOR, 1.0)
    balance_major = np.exp(np.log(median) + _economics("sigma")[product] * rng.standard_normal(n))
    balance = np.maximum(np.rint(balance_major * minor_scale), 100).astype(np.int64)
    accrual_days = dpd + rng.uniform(0, 60, n)
    interest_share = _economics("annual_rate")[product] * accrual_days / 365 * rng.uniform(0.8, 1.2, n)
    months_late = np.minimum(np.ceil(dpd / 30), 6)
    fee_share = _economics("monthly_fee_share")[product] * months_late * rng.uniform(0.8, 1.2, n)
    base = balance / (1 + interest_share + fee_share)
    interest = np.floor(base * interest_share).astype(np.int64)
    fees = np.floor(base * fee_share).astype(np.int64)
    return {"principal": balance - interest - fees, "interest": interest, "fees": fees}


def _history(
    rng: np.random.Generator,
    product: I64,
    *,
    due_on: npt.NDArray[np.datetime64],
    dpd: I64,
    principal: I64,
    unit: F64,
    as_of: date,
) -> list[pl.Series]:
    """Original amount, opening date and the last payment before placement."""
    n = len(product)
    low = np.asarray([ECONOMICS[p].paid_down[0] for p in _PRODUCTS])[product]
    high = np.asarray([ECONOMICS[p].paid_down[1] for p in _PRODUCTS])[product]
    lent = principal / rng.uniform(low, high)
    hundred = 100 * unit  # loans are granted in round hundreds
    original = np.where(low < 1.0, np.ceil(lent / hundred) * hundred, principal).astype(np.int64)
    tenure = np.minimum(30 + rng.exponential(500, n), 3650).astype(np.int64)
    opened_on = due_on - tenure.astype("timedelta64[D]")
    paid = rng.random(n) < LAST_PAYMENT_SHARE
    offset = rng.integers(-60, np.maximum(dpd // 2, 1) + 1)
    latest = np.datetime64(as_of, "D") - np.timedelta64(1, "D")
    last_on = np.clip(due_on + offset.astype("timedelta64[D]"), opened_on, latest)
    last_amount = np.maximum(np.floor(principal * rng.uniform(0.02, 0.12, n) / unit), 1) * unit
    return [
        pl.Series("original_amount", original),
        pl.Series("opened_on", opened_on),
        choose(paid, pl.Series(last_on)).alias("last_payment_on"),
        choose(paid, pl.Series(last_amount.astype(np.int64))).alias("last_payment_amount"),
    ]


def _flags_text(owners: pl.DataFrame, account_flags: dict[str, Mask]) -> pl.Expr:
    """The contract's sorted, ';'-joined flags; null when there are none."""
    present = {
        "attorney": owners["flag_attorney"].to_numpy(),
        "bankrupt": owners["flag_bankrupt"].to_numpy(),
        "cease": owners["flag_cease"].to_numpy(),
        "deceased": owners["flag_deceased"].to_numpy(),
        "military": owners["flag_military"].to_numpy(),
        "vulnerable": owners["vulnerable_flag"].to_numpy(),
        **account_flags,
    }
    joined = pl.concat_str(
        [pl.when(pl.lit(pl.Series(present[name]))).then(pl.lit(name)) for name in sorted(present)],
        separator=";",
        ignore_nulls=True,
    )
    return pl.when(joined == "").then(None).otherwise(joined).alias("flags")


ROLE_ORDER: Final = ("guarantor", "officer", "emergency", "employer")
SECURED_PRODUCTS: Final = ("auto_loan", "mortgage", "sme_loan")


def _third_parties(rng: np.random.Generator, accounts: pl.DataFrame) -> pl.DataFrame:
    """Guarantors, company officers, emergency contacts (family, mostly in China) and a few employers."""
    n = accounts.height
    debtor_type = accounts["debtor_type_code"].to_numpy()
    individual = debtor_type == _INDIVIDUAL
    china = _PLACE_JURISDICTION[accounts["place"].to_numpy()] == _CN
    secured = accounts["product"].is_in(SECURED_PRODUCTS).to_numpy()
    employed = (accounts["employment_status"] == "employed").fill_null(False).to_numpy()
    emergency = np.where(china, _choice(rng, (0.2, 0.5, 0.3), n), _choice(rng, (0.75, 0.2, 0.05), n))
    officers = np.select(
        [debtor_type == _SME, debtor_type == _ENTERPRISE],
        [1 + (rng.random(n) < 0.4), 2 + (rng.random(n) < 0.5)],
        0,
    )
    counts = {
        "guarantor": (rng.random(n) < np.where(secured, 0.35, 0.03)).astype(np.int64),
        "officer": officers,
        "emergency": np.where(individual, emergency, 0),
        "employer": (individual & employed & (rng.random(n) < 0.03)).astype(np.int64),
    }
    owner = np.concatenate([np.repeat(np.arange(n), counts[role]) for role in ROLE_ORDER])
    role = np.concatenate([np.full(int(counts[name].sum()), i) for i, name in enumerate(ROLE_ORDER)])
    order = np.lexsort((role, owner))
    owner, role = owner[order], role[order]
    k = len(owner)
    ordinal = np.arange(k) - np.searchsorted(owner, owner, side="left")
    first_of_role = np.r_[True, (owner[1:] != owner[:-1]) | (role[1:] != role[:-1])][:k]

    country = accounts["country_code"].to_numpy()[owner]
    employer = role == ROLE_ORDER.index("employer")
    person = np.flatnonzero(~employer)
    company = np.flatnonzero(employer)
    person_name, person_handle = names.people(rng, country[person])
    company_name, company_handle = names.companies(
        rng, country[company], accounts["city"].gather(owner[company]), np.zeros(len(company), dtype=bool)
    )
    name = assemble([(person, person_name), (company, company_name)], k)
    handle = assemble([(person, person_handle), (company, company_handle)], k)
    with_email = np.isin(role, (ROLE_ORDER.index("officer"), ROLE_ORDER.index("employer"))) & (
        rng.random(k) < 0.6
    )
    mailed_person = np.flatnonzero(with_email & ~employer)
    mailed_company = np.flatnonzero(with_email & employer)
    email = assemble(
        [
            (
                mailed_person,
                contact_points.personal_emails(rng, country[mailed_person], handle.gather(mailed_person)),
            ),
            (
                mailed_company,
                contact_points.company_emails(rng, country[mailed_company], handle.gather(mailed_company)),
            ),
        ],
        k,
    )
    # Guarantors are liable and the first officer represents the company; family and employers are not told.
    consent = np.select(
        [role == ROLE_ORDER.index("guarantor"), role == ROLE_ORDER.index("officer")],
        [rng.random(k) < 0.9, first_of_role | (rng.random(k) < 0.5)],
        default=False,
    )
    ids = accounts["account_id"].gather(owner)
    return pl.DataFrame(
        {
            "account_id": ids,
            "creditor_id": accounts["creditor_id"].gather(owner),
            "contact_id": ids + "-C" + number_text(ordinal + 1),
            "role": pick(ROLE_ORDER, role),
            "name": name,
            "phone": contact_points.phones(rng, accounts["place"].to_numpy()[owner]),
            "email": email,
            "consent_to_discuss_debt": pl.Series(consent, dtype=pl.Boolean()),
        }
    ).pipe(conform, CONTACT_SCHEMA)
