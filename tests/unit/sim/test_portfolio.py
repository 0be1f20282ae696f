from datetime import date

import numpy as np
import phonenumbers
import polars as pl
import pytest
from phonenumbers import timezone as phone_zones

from recoup.core.errors import ValidationError
from recoup.core.intake.accounts import validate_accounts
from recoup.core.intake.contacts import validate_contacts
from recoup.core.schema import (
    ACCOUNT_FLAGS,
    ACCOUNT_SCHEMA,
    CONTACT_ROLES,
    CONTACT_SCHEMA,
    DEBTOR_TYPES,
    EMPLOYMENT_STATUSES,
    PRODUCTS,
)
from recoup.sim.files import accounts_text, contacts_text
from recoup.sim.portfolio import TRUTH_SCHEMA, generate_portfolio, normalised_mix

AS_OF = date(2026, 3, 2)
N = 20_000


@pytest.fixture(scope="module")
def portfolio():
    return generate_portfolio(N, seed=42, as_of=AS_OF)


@pytest.fixture(scope="module")
def accounts(portfolio):
    return portfolio.accounts.join(portfolio.truth, on=["account_id", "creditor_id"], how="left")


def balance() -> pl.Expr:
    return pl.col("principal") + pl.col("interest") + pl.col("fees")


def test_same_seed_same_portfolio_and_another_seed_another():
    first = generate_portfolio(2_000, seed=5, as_of=AS_OF)
    again = generate_portfolio(2_000, seed=5, as_of=AS_OF)
    other = generate_portfolio(2_000, seed=6, as_of=AS_OF)
    for name in ("accounts", "contacts", "truth"):
        assert getattr(first, name).equals(getattr(again, name))
        assert not getattr(first, name).equals(getattr(other, name))


def test_frames_have_the_canonical_shapes(portfolio):
    assert portfolio.accounts.schema == pl.Schema(ACCOUNT_SCHEMA)
    assert portfolio.contacts.schema == pl.Schema(CONTACT_SCHEMA)
    assert portfolio.truth.schema == pl.Schema(TRUTH_SCHEMA)
    assert portfolio.accounts.height == portfolio.truth.height == N
    assert portfolio.truth["account_id"].equals(portfolio.accounts["account_id"])


def test_every_account_is_valid(portfolio):
    a = portfolio.accounts
    assert a.select(pl.struct("creditor_id", "account_id").is_unique().all()).item()
    assert a.select((pl.min_horizontal("principal", "interest", "fees") >= 0).all()).item()
    assert a.select((balance() > 0).all()).item()
    assert (a["due_on"] <= AS_OF).all()
    dpd = a.select((pl.lit(AS_OF) - pl.col("due_on")).dt.total_days()).to_series()
    assert dpd.min() >= 1 and dpd.max() <= 360
    assert (a["statute_limit_on"] > a["due_on"]).all()
    assert (a["opened_on"] < a["due_on"]).all()
    assert (a["original_amount"] >= a["principal"]).all()
    assert a.filter(pl.col("last_payment_on") >= AS_OF).is_empty()
    assert set(a["debtor_type"]) <= set(DEBTOR_TYPES)
    assert set(a["product"]) <= set(PRODUCTS)
    assert set(a["employment_status"].drop_nulls()) <= set(EMPLOYMENT_STATUSES)
    flags = a["flags"].drop_nulls()
    assert all(
        set(f.split(";")) <= set(ACCOUNT_FLAGS) and f.split(";") == sorted(f.split(";")) for f in flags
    )
    for column, low, high in (("ability", 0, 1), ("willingness", 0, 1), ("best_hour", 8, 21)):
        assert portfolio.truth[column].min() >= low and portfolio.truth[column].max() <= high


def test_the_intake_validators_accept_every_account_and_contact(portfolio):
    accounts = validate_accounts(accounts_text(portfolio.accounts), file="accounts.csv")
    assert accounts.ok, accounts.messages()[:5]
    lookup = accounts.valid.select("account_id", "creditor_id", "currency").with_row_index("account_key")
    contacts = validate_contacts(
        contacts_text(portfolio.contacts),
        file="contacts.csv",
        accounts=lookup.with_columns(pl.col("account_key").cast(pl.Int64)),
    )
    assert contacts.ok, contacts.messages()[:5]


def test_jurisdictions_currencies_and_languages_follow_the_mix(portfolio):
    shares = portfolio.accounts["jurisdiction"].value_counts(normalize=True)
    share = dict(zip(shares["jurisdiction"], shares["proportion"], strict=True))
    assert share["CN"] == pytest.approx(0.85, abs=0.02)
    for code in ("US", "UK", "EU"):
        assert 0.02 < share[code] < 0.10
    pairs = portfolio.accounts.select("jurisdiction", "currency", "language").unique()
    expected = {("CN", "CNY", "zh"), ("US", "USD", "en"), ("UK", "GBP", "en"), ("EU", "EUR", "en")}
    assert set(pairs.iter_rows()) == expected


def test_a_custom_mix_and_bad_mixes():
    us = generate_portfolio(500, seed=1, as_of=AS_OF, jurisdiction_mix={"US": 1.0})
    assert set(us.accounts["jurisdiction"]) == {"US"}
    assert normalised_mix({"CN": 3, "EU": 1}) == {"CN": 0.75, "US": 0.0, "UK": 0.0, "EU": 0.25}
    for bad in ({"XX": 1.0}, {"CN": -1.0}, {"CN": 0.0}, {"CN": float("nan")}):
        with pytest.raises(ValidationError):
            generate_portfolio(10, seed=1, as_of=AS_OF, jurisdiction_mix=bad)
    with pytest.raises(ValidationError):
        generate_portfolio(-1, seed=1, as_of=AS_OF)
    assert generate_portfolio(0, seed=1, as_of=AS_OF).accounts.is_empty()


def test_places_and_zones(portfolio):
    a = portfolio.accounts
    assert not a.filter((pl.col("region") == "甘肃") & pl.col("address").str.contains("兰州")).is_empty()
    assert set(a.filter(pl.col("timezone") == "Asia/Urumqi")["region"]) == {"新疆"}
    assert set(a.filter(pl.col("jurisdiction") == "CN")["timezone"]) == {"Asia/Shanghai", "Asia/Urumqi"}
    assert a.filter(pl.col("jurisdiction") == "US")["timezone"].n_unique() >= 4
    assert set(a.filter(pl.col("jurisdiction") == "UK")["timezone"]) == {"Europe/London"}
    assert a.filter(pl.col("jurisdiction") == "EU")["timezone"].n_unique() == 4


def test_phone_numbers_parse_and_map_to_the_account_zone(portfolio):
    region_of = {"CN": {"CN"}, "US": {"US"}, "UK": {"GB"}, "EU": {"DE", "FR", "ES", "IT"}}
    sample = portfolio.accounts.sample(3_000, seed=1)
    for jurisdiction, zone, region, phones in sample.select(
        "jurisdiction", "timezone", "region", "phone"
    ).iter_rows():
        for number in phones.split(";"):
            parsed = phonenumbers.parse(number)
            assert phonenumbers.is_valid_number(parsed), number
            assert phonenumbers.region_code_for_number(parsed) in region_of[jurisdiction]
            zones = phone_zones.time_zones_for_number(parsed)
            # Phone plans know only Beijing time for China; Xinjiang time comes from the region.
            assert zone in zones or (
                zone == "Asia/Urumqi" and region == "新疆" and zones == ("Asia/Shanghai",)
            )
    for number in portfolio.contacts.sample(2_000, seed=1)["phone"]:
        assert phonenumbers.is_valid_number(phonenumbers.parse(number)), number


def test_names_and_contact_points_look_local(portfolio):
    a = portfolio.accounts
    cn_people = a.filter((pl.col("jurisdiction") == "CN") & (pl.col("debtor_type") == "individual"))
    lengths = cn_people["debtor_name"].str.len_chars()
    assert lengths.min() >= 2 and lengths.max() <= 5
    assert cn_people["debtor_name"].str.contains(r"^[\p{Han}]+$").all()
    assert (
        a.filter(pl.col("debtor_type") != "individual")["debtor_name"]
        .str.contains("有限公司|Ltd|LLC|GmbH|SARL|S\\.L\\.|S\\.r\\.l\\.")
        .all()
    )
    assert a["email"].drop_nulls().str.contains(r"^[a-z0-9._]+@[a-z0-9.]+\.[a-z]+$").all()
    assert 0.4 < a["email"].is_not_null().mean() < 0.7
    assert a.filter(pl.col("jurisdiction") == "CN")["im_handle"].drop_nulls().str.starts_with("wx_").all()
    for column in ("consent_sms", "consent_email", "consent_im", "consent_call"):
        assert a[column].mean() > 0.9
        assert 0.05 < a[column].is_null().mean() < 0.2


def test_some_debtors_owe_several_accounts_with_one_identity(portfolio):
    per_debtor = portfolio.accounts.group_by("debtor_id").agg(
        pl.len().alias("accounts"), pl.col("debtor_name").n_unique(), pl.col("phone").n_unique()
    )
    assert 0.08 < (per_debtor["accounts"] > 1).mean() < 0.3
    assert (per_debtor["debtor_name"] == 1).all() and (per_debtor["phone"] == 1).all()


def test_business_debtors_owe_more_and_dpd_spreads_over_the_year(portfolio):
    a = portfolio.accounts.filter(pl.col("currency") == "CNY").with_columns(balance().alias("balance"))
    medians = dict(a.group_by("debtor_type").agg(pl.col("balance").median()).iter_rows())
    assert medians["individual"] < medians["sme"] < medians["enterprise"]
    assert 0.8 < a["debtor_type"].eq("individual").mean() < 0.95
    dpd = portfolio.accounts.select((pl.lit(AS_OF) - pl.col("due_on")).dt.total_days()).to_series()
    assert dpd.quantile(0.25) < 60 and dpd.quantile(0.75) > 150 and dpd.max() > 330
    logs = np.log(a.filter(pl.col("product") == "credit_card")["balance"].to_numpy())
    assert abs(np.mean(logs) - np.median(logs)) < 0.1  # log-normal: the log is symmetric


def test_income_employment_and_age_follow_hidden_ability(accounts):
    people = accounts.filter(pl.col("debtor_type") == "individual", pl.col("currency") == "CNY")
    rank = people.select(pl.corr("ability", "income_monthly", method="spearman")).item()
    assert rank > 0.4
    low, high = people["ability"].quantile(0.2), people["ability"].quantile(0.8)
    unemployed = people.with_columns((pl.col("employment_status") == "unemployed").alias("jobless"))
    assert (
        unemployed.filter(pl.col("ability") <= low)["jobless"].mean()
        > 2 * unemployed.filter(pl.col("ability") >= high)["jobless"].mean()
    )
    assert people["age"].min() >= 20 and people["age"].max() <= 80
    assert people.filter(pl.col("employment_status") == "student")["age"].max() <= 24
    assert accounts.filter(pl.col("debtor_type") != "individual")["age"].is_null().all()


def test_contacts_belong_to_accounts_and_fit_the_debtor(portfolio, accounts):
    contacts = portfolio.contacts.join(
        accounts.select("account_id", "creditor_id", "debtor_type", "jurisdiction"),
        on=["account_id", "creditor_id"],
        how="left",
    )
    assert contacts["debtor_type"].is_not_null().all()
    assert contacts["contact_id"].is_unique().all()
    assert set(contacts["role"]) <= set(CONTACT_ROLES)
    assert set(contacts.filter(pl.col("role") == "officer")["debtor_type"]) == {"sme", "enterprise"}
    assert set(contacts.filter(pl.col("role") == "emergency")["debtor_type"]) == {"individual"}
    assert not contacts.filter(pl.col("role") == "emergency")["consent_to_discuss_debt"].any()
    assert contacts.filter(pl.col("role") == "guarantor")["consent_to_discuss_debt"].mean() > 0.8
    businesses = accounts.filter(pl.col("debtor_type") != "individual").select("account_id")
    with_officer = contacts.filter(pl.col("role") == "officer").select("account_id").unique()
    assert businesses.join(with_officer, on="account_id", how="anti").is_empty()
    cn_people = accounts.filter(pl.col("jurisdiction") == "CN", pl.col("debtor_type") == "individual").height
    cn_emergency = contacts.filter(pl.col("role") == "emergency", pl.col("jurisdiction") == "CN")[
        "account_id"
    ].n_unique()
    assert cn_emergency / cn_people > 0.7


def test_flags_are_rare_and_partly_hidden(accounts):
    flags = accounts["flags"].fill_null("")
    for flag, low, high in (("dispute", 0.005, 0.04), ("vulnerable", 0.005, 0.04), ("attorney", 0.001, 0.01)):
        assert low < flags.str.contains(flag).mean() < high, flag
    flagged = accounts.filter(flags.str.contains("vulnerable"))
    assert flagged["vulnerable"].all()
    assert accounts["vulnerable"].sum() > 1.5 * flagged.height
