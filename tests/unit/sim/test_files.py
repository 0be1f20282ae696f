from datetime import date, timedelta

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from recoup.core.intake.accounts import validate_accounts
from recoup.core.intake.contacts import validate_contacts
from recoup.core.intake.events import validate_events
from recoup.core.money import CURRENCY_EXPONENTS, format_minor
from recoup.sim.actions import simple_actions
from recoup.sim.behaviour import DebtorBehaviour
from recoup.sim.files import events_text, instant_text, money_text, write_events, write_portfolio, write_table
from recoup.sim.portfolio import generate_portfolio

START = date(2026, 3, 2)


@pytest.fixture(scope="module")
def simulated():
    portfolio = generate_portfolio(1_500, seed=11, as_of=START)
    behaviour = DebtorBehaviour(portfolio, 5)
    events = []
    for offset in range(5):
        day = START + timedelta(days=offset)
        actions = pl.concat(
            [
                simple_actions(portfolio.accounts, day, "call", local_hour=19),
                simple_actions(
                    portfolio.accounts, day, "offer", channel="email", offer_kind="installment", offer_share=0.7,
                    offer_installments=3,
                ),
            ]
        )  # fmt: skip
        events.append(behaviour.respond(day, actions))
    return portfolio, pl.concat(events)


def _read(path):
    return pl.read_csv(path, infer_schema=False) if path.suffix == ".csv" else pl.read_parquet(path)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_written_files_pass_the_real_intake_and_read_back_exactly(simulated, tmp_path, suffix):
    portfolio, events = simulated
    paths = write_portfolio(portfolio, tmp_path, suffix=suffix)
    events_path = write_events(events, tmp_path / f"events{suffix}", accounts=portfolio.accounts)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"{n}{suffix}" for n in ("accounts", "contacts", "events")
    )

    accounts = validate_accounts(_read(paths["accounts"]), file="accounts")
    assert accounts.ok, accounts.messages()[:5]
    assert accounts.valid.select(portfolio.accounts.columns).equals(portfolio.accounts)
    lookup = accounts.valid.select("account_id", "creditor_id", "currency").with_row_index("account_key")
    lookup = lookup.with_columns(pl.col("account_key").cast(pl.Int64))
    contacts = validate_contacts(_read(paths["contacts"]), file="contacts", accounts=lookup)
    assert contacts.ok, contacts.messages()[:5]
    assert contacts.valid.select(portfolio.contacts.columns).equals(portfolio.contacts)
    read_events = validate_events(_read(events_path), file="events", accounts=lookup)
    assert read_events.ok, read_events.messages()[:5]
    assert read_events.valid.select(events.columns).equals(events)


def test_csv_text_follows_the_contract(simulated, tmp_path):
    portfolio, events = simulated
    path = write_portfolio(portfolio, tmp_path)["accounts"]
    text = pl.read_csv(path, infer_schema=False)
    assert text["principal"].str.contains(r"^\d+\.\d{2}$").all()
    assert text["due_on"].str.contains(r"^\d{4}-\d{2}-\d{2}$").all()
    assert set(text["consent_sms"].drop_nulls()) <= {"true", "false"}
    assert "attributes" not in text.columns
    at = events_text(events, portfolio.accounts)["at"]
    assert at.str.contains(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$").all()
    assert at.str.ends_with("+08:00").any()


def test_only_csv_and_parquet_are_written(tmp_path):
    with pytest.raises(ValueError, match=r"csv or \.parquet"):
        write_table(pl.DataFrame({"a": ["1"]}), tmp_path / "accounts.xlsx")


def test_events_for_unknown_accounts_are_refused(simulated):
    portfolio, events = simulated
    payment = (
        events.filter(pl.col("type") == "payment").head(1).with_columns(pl.lit("NOPE").alias("account_id"))
    )
    with pytest.raises(ValueError, match="not in the portfolio"):
        events_text(payment, portfolio.accounts)


@given(minor=st.integers(-(10**15), 10**15), currency=st.sampled_from(sorted(CURRENCY_EXPONENTS)))
def test_money_text_agrees_with_format_minor(minor, currency):
    frame = pl.DataFrame({"minor": [minor], "currency": [currency]})
    assert frame.select(money_text(pl.col("minor"), pl.col("currency"))).item() == format_minor(
        minor, currency
    )


@given(offset=st.integers(-14 * 60, 14 * 60))
def test_instant_text_writes_the_offset(offset):
    midnight = pl.Series([date(2026, 3, 2)]).cast(pl.Datetime("us", "UTC"))
    frame = pl.DataFrame({"at": midnight, "offset": [offset]})
    text = frame.select(instant_text(pl.col("at"), pl.col("offset"))).item()
    sign = "-" if offset < 0 else "+"
    assert text.endswith(f"{sign}{abs(offset) // 60:02d}:{abs(offset) % 60:02d}")
    local = pl.Series([text[:19]]).str.to_datetime("%Y-%m-%dT%H:%M:%S").item()
    assert (local - midnight.dt.replace_time_zone(None).item()).total_seconds() == offset * 60
