"""The debtor-behaviour simulator: answers each day's actions with the events that follow.

Every random decision is a counter-based draw keyed by (seed, day, account, purpose, ordinal of the
account's action that day), so one account's answer never depends on which other accounts were contacted
or in which order the actions came: two strategies can be compared on the same debtors.
Behavioural assumptions and their parameter values are in ``parameters.py`` and docs/simulator.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

from recoup.core.money import exponent
from recoup.core.schema import ACTION_SCHEMA, ACTIONS, CHANNELS, OFFER_KINDS, conform
from recoup.sim.draws import Purpose, normals, uniforms
from recoup.sim.event_buffer import CHANNEL, DIRECTION, EPOCH_ORDINAL, NONE, NOTE, OUTCOME, EventBuffer
from recoup.sim.outcomes import ContactOutcomes, ContactTraits, Draw, contact_outcomes
from recoup.sim.parameters import DEFAULT_PARAMETERS, BehaviourParameters
from recoup.sim.portfolio import SyntheticPortfolio
from recoup.sim.zones import (
    MICROS_PER_DAY,
    MICROS_PER_MINUTE,
    local_minutes_of_day,
    local_to_utc_us,
    utc_offsets_minutes,
)

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]

HOLD_FLAGS: Final = ("attorney", "bankrupt", "cease", "deceased", "dispute")
DAY_START_HOUR, DAY_END_HOUR = 8, 22  # the sensible contact window, local time
_WINDOW = 7  # days over which contacts are counted
_NO_OFFER, _INSTALLMENT = OFFER_KINDS.index("none"), OFFER_KINDS.index("installment")
# Draws for unprompted behaviour use ordinals far above any action's, so they never share a stream.
_BACKGROUND = 1 << 32


@dataclass(frozen=True, slots=True)
class _Actions:
    """One batch of contact actions, sorted by account then time."""

    account: I64
    channel: I64
    at_us: I64
    offer_kind: I64
    offer_amount: I64
    offer_installments: I64
    ordinal: I64  # the action's rank among the account's actions that day


@dataclass(frozen=True, slots=True)
class _Pressure:
    """How pressed the debtor is at each contact: what drives complaints and opt-outs."""

    contacts_7d: I64  # contacts in the last 7 days, this one included
    outside: Mask  # outside the sensible window, local time
    opted_before: Mask  # the debtor had opted out of this channel
    on_hold: Mask  # the account carries a hold flag or a dispute


@dataclass(frozen=True, slots=True)
class _Turn:
    """Everything about one batch of contacts that the reactions to it share."""

    today: int
    batch: _Actions
    draw: Draw  # uniforms keyed by (day, account, action ordinal) for a purpose
    respond_at: I64  # when the debtor reacts (after reading or replying, if they did)
    events: EventBuffer


@dataclass(frozen=True, slots=True)
class _Offer:
    """Per action: whether its offer was accepted, and the agreed terms."""

    accepted: Mask
    total: I64  # agreed amount (capped at what is owed)
    installments: I64  # 1 for a settlement
    first: I64  # paid at once: the settlement, or the first instalment (which takes the rounding remainder)


@dataclass(frozen=True, slots=True)
class _Payments:
    account: I64
    at_us: I64
    amount: I64
    allowance: I64  # overpayment the payer makes on purpose (rounding up); 0 otherwise
    settles: Mask  # the payment closes the debt in the debtor's eyes (settlement, last plan instalment)
    note: I64


class DebtorBehaviour:
    """Columnar per-account debtor state that answers Recoup's actions day by day."""

    def __init__(
        self, portfolio: SyntheticPortfolio, seed: int, parameters: BehaviourParameters = DEFAULT_PARAMETERS
    ) -> None:
        self._seed = seed
        self._p = parameters
        accounts = portfolio.accounts
        self._n = accounts.height
        self._account_ids = accounts["account_id"]
        self._creditor_ids = accounts["creditor_id"]
        self._keys = accounts.select(
            "account_id", "creditor_id", pl.col("currency").alias("account_currency")
        ).with_row_index("account")
        self._load_placement(accounts)
        self._load_traits(accounts, _aligned_truth(portfolio))
        self._start_state(accounts)

    def _load_placement(self, accounts: pl.DataFrame) -> None:
        """What Recoup also knows: zones, currencies, due dates, hold flags."""
        zone_names = accounts["timezone"]
        self._zones: tuple[str, ...] = tuple(sorted(zone_names.unique().to_list()))
        self._zone = zone_names.replace_strict({z: i for i, z in enumerate(self._zones)}).to_numpy()
        currencies = accounts["currency"]
        units = {c: 10 ** exponent(c) for c in currencies.unique().to_list()}
        self._unit = currencies.replace_strict(units, return_dtype=pl.Int64).to_numpy()
        self._due = accounts["due_on"].cast(pl.Int64).to_numpy() + EPOCH_ORDINAL
        self._china = (accounts["jurisdiction"] == "CN").to_numpy()
        flags = accounts["flags"].fill_null("")
        self._hold = np.zeros(self._n, dtype=bool)
        for flag in HOLD_FLAGS:
            self._hold |= flags.str.contains(flag, literal=True).to_numpy()

    def _load_traits(self, accounts: pl.DataFrame, truth: pl.DataFrame) -> None:
        """What only the simulator knows, plus which contact points exist at all."""
        self._draw_key = truth["draw_key"].to_numpy()
        self._ability = truth["ability"].to_numpy()
        self._willingness = truth["willingness"].to_numpy()
        self._best_hour = truth["best_hour"].to_numpy().astype(np.float64)
        self._response = np.column_stack([truth[f"response_{c}"].to_numpy() for c in CHANNELS])
        self._dispute_propensity = truth["dispute_propensity"].to_numpy()
        self._complaint_propensity = truth["complaint_propensity"].to_numpy()
        self._vulnerable = truth["vulnerable"].to_numpy()
        self._wrong_number = truth["wrong_number"].to_numpy()
        self._phone_dead = truth["phone_dead"].to_numpy() | accounts["phone"].is_null().to_numpy()
        self._email_ok = truth["email_valid"].to_numpy() & accounts["email"].is_not_null().to_numpy()
        self._im_ok = accounts["im_handle"].is_not_null().to_numpy()
        self._address_ok = truth["address_valid"].to_numpy() & accounts["address"].is_not_null().to_numpy()

    def _start_state(self, accounts: pl.DataFrame) -> None:
        """What changes as days go by, starting from the placement."""
        balance = accounts.select(pl.col("principal") + pl.col("interest") + pl.col("fees")).to_series()
        self._owed = balance.to_numpy().astype(np.int64).copy()
        self._paid = np.zeros(self._n, dtype=np.int64)
        self._settled = np.zeros(self._n, dtype=bool)
        self._promise_amount = np.zeros(self._n, dtype=np.int64)
        self._promise_due = np.full(self._n, NONE, dtype=np.int64)
        self._promise_left = np.zeros(self._n, dtype=np.int64)
        self._plan_settles = np.zeros(self._n, dtype=bool)
        self._later_amount = np.zeros(self._n, dtype=np.int64)
        self._later_due = np.full(self._n, NONE, dtype=np.int64)
        self._contacts = np.zeros((self._n, _WINDOW), dtype=np.int16)
        self._opted_out = np.zeros(self._n, dtype=np.uint8)
        self._complained = np.zeros(self._n, dtype=bool)
        self._disputed = (
            accounts["flags"].fill_null("").str.contains("dispute", literal=True).to_numpy().copy()
        )
        self._day: int | None = None
        self._elapsed = 1
        self._ordinal_today = np.zeros(self._n, dtype=np.int64)
        self._sequence_today = 0

    # ---- public API -------------------------------------------------------------------------------

    def respond(self, day: date, actions: pl.DataFrame) -> pl.DataFrame:
        """The events (EVENT_SCHEMA) that follow ``day``'s actions, plus what debtors do unprompted.

        Call it once per day in date order (several calls for the same day are fine; skipped days are
        caught up on the next call). Background behaviour (promises falling due, self-cure) runs once,
        on the first call of each day.
        """
        today = day.toordinal()
        new_day = self._advance(today)
        batch = self._prepare(actions)
        events = EventBuffer()
        if new_day:
            self._pay(events, self._due_commitments(today))
            self._pay(events, self._later_payments(today))
            self._pay(events, self._self_cure(today))
        if len(batch.account):
            self._answer(today, batch, events)
        frame = events.frame(
            day,
            first_sequence=self._sequence_today,
            account_ids=self._account_ids,
            creditor_ids=self._creditor_ids,
            zone_codes=self._zone,
            zones=self._zones,
        )
        self._sequence_today += frame.height
        return frame

    def payments_to_date(self) -> pl.DataFrame:
        """What each debtor has paid so far and what they believe they still owe (minor units)."""
        return pl.DataFrame(
            {
                "account_id": self._account_ids,
                "creditor_id": self._creditor_ids,
                "paid": self._paid,
                "owed": self._owed,
                "settled": self._settled,
            }
        )

    def state(self) -> pl.DataFrame:
        """The simulator's per-account state, for tests and analysis."""
        bits = [
            pl.when(pl.Series((self._opted_out >> i) & 1 == 1)).then(pl.lit(name))
            for i, name in enumerate(CHANNELS)
        ]
        due = self._promise_due - EPOCH_ORDINAL
        return self.payments_to_date().with_columns(
            pl.Series("open_promise", self._promise_left > 0),
            pl.Series("promise_amount", self._promise_amount),
            pl.when(pl.Series(self._promise_left > 0))
            .then(pl.Series(due))
            .cast(pl.Date())
            .alias("promise_due_on"),
            pl.Series("installments_left", self._promise_left),
            pl.Series("contacts_7d", self._contacts.sum(axis=1, dtype=np.int64)),
            pl.concat_str(bits, separator=";", ignore_nulls=True).alias("opted_out"),
            pl.Series("complained", self._complained),
            pl.Series("disputed", self._disputed),
        )

    # ---- days and actions ---------------------------------------------------------------------------

    def _advance(self, today: int) -> bool:
        if self._day is not None and today < self._day:
            raise ValueError(
                f"days must not go backwards: {date.fromordinal(today)} after {date.fromordinal(self._day)}"
            )
        if self._day == today:
            return False
        gap = 1 if self._day is None else today - self._day
        for step in range(min(gap, _WINDOW)):
            self._contacts[:, (today - step) % _WINDOW] = 0
        self._elapsed = min(gap, 30)
        self._day = today
        self._ordinal_today[:] = 0
        self._sequence_today = 0
        return True

    def _prepare(self, actions: pl.DataFrame) -> _Actions:
        frame = conform(actions, ACTION_SCHEMA).with_row_index("row")
        joined = frame.join(self._keys, on=["account_id", "creditor_id"], how="left", maintain_order="left")
        unknown = joined.filter(pl.col("account").is_null())
        if unknown.height:
            sample = unknown["account_id"].head(3).to_list()
            raise ValueError(f"{unknown.height} actions name accounts not in the portfolio, e.g. {sample}")
        _check_actions(joined)
        work = joined.filter(pl.col("action") != "legal_review").sort("account", "scheduled_at", "row")
        channel = (
            pl.when(pl.col("action").is_in(CHANNELS)).then(pl.col("action")).otherwise(pl.col("channel"))
        )
        columns = work.select(
            pl.col("account").cast(pl.Int64),
            channel.replace_strict(CHANNEL, return_dtype=pl.Int64).alias("channel"),
            pl.col("scheduled_at").cast(pl.Int64).alias("at_us"),
            pl.col("offer_kind")
            .fill_null("none")
            .replace_strict({k: i for i, k in enumerate(OFFER_KINDS)}, return_dtype=pl.Int64),
            pl.col("offer_amount").fill_null(0),
            pl.col("offer_installments").fill_null(1).clip(lower_bound=1),
        )
        account = columns["account"].to_numpy()
        ordinal = self._ordinal_today[account] + _rank_in_group(account)
        np.add.at(self._ordinal_today, account, 1)
        return _Actions(
            account=account,
            channel=columns["channel"].to_numpy(),
            at_us=columns["at_us"].to_numpy(),
            offer_kind=columns["offer_kind"].to_numpy(),
            offer_amount=columns["offer_amount"].to_numpy(),
            offer_installments=columns["offer_installments"].to_numpy(),
            ordinal=ordinal,
        )

    # ---- unprompted behaviour -----------------------------------------------------------------------

    def _draw(self, today: int, purpose: Purpose, account: I64, ordinal: I64 | int = _BACKGROUND) -> F64:
        return uniforms(self._seed, today, purpose, self._draw_key[account], ordinal)

    def _normal(self, today: int, purpose: Purpose, account: I64, ordinal: I64 | int) -> F64:
        return normals(self._seed, today, purpose, self._draw_key[account], ordinal)

    def _local_time(self, today: int, account: I64, ordinal: int) -> I64:
        """A daytime moment (08:00-21:59 local) on ``today`` for each account, as UTC microseconds."""
        minutes = (
            DAY_START_HOUR * 60 + self._draw(today, Purpose.LOCAL_TIME, account, ordinal) * 14 * 60
        ).astype(np.int64)
        local_us = (today - EPOCH_ORDINAL) * MICROS_PER_DAY + minutes * MICROS_PER_MINUTE
        return local_to_utc_us(local_us, self._zone[account], self._zones)

    def _due_commitments(self, today: int) -> _Payments:
        """Promises and plan instalments falling due: kept, partly kept or broken by willingness."""
        p = self._p
        due = np.flatnonzero((self._promise_left > 0) & (self._promise_due <= today))
        will, ability = self._willingness[due], self._ability[due]
        keep_p = p.keep_base + p.keep_willingness * will * (0.5 + 0.5 * ability)
        keep_p = np.clip(keep_p - p.keep_complained_penalty * self._complained[due], 0.02, 0.97)
        kept = self._draw(today, Purpose.KEEP, due) < keep_p
        partial = ~kept & (self._draw(today, Purpose.PARTIAL, due) < p.broken_partial_share)
        promised = self._promise_amount[due]
        unit = self._unit[due]
        share = 0.3 + 0.4 * self._draw(today, Purpose.PAY_NOISE, due)
        partial_amount = np.maximum(
            np.floor(promised * share / unit).astype(np.int64) * unit, np.minimum(unit, promised)
        )
        last = self._promise_left[due] == 1
        settles = kept & last & self._plan_settles[due]
        going_on = kept & ~last
        self._promise_left[due] = np.where(going_on, self._promise_left[due] - 1, 0)
        self._promise_due[due] = np.where(going_on, self._promise_due[due] + p.installment_period_days, NONE)
        paying = kept | partial
        rows = due[paying]
        return _Payments(
            account=rows,
            at_us=self._local_time(today, rows, _BACKGROUND),
            amount=np.where(kept, promised, partial_amount)[paying],
            allowance=np.zeros(len(rows), dtype=np.int64),
            settles=settles[paying],
            note=np.where(kept, NOTE["promise_kept"], NOTE["promise_partial"])[paying],
        )

    def _later_payments(self, today: int) -> _Payments:
        """Payments a debtor decided on during a contact, without promising, now made (or forgotten)."""
        due = np.flatnonzero((self._later_amount > 0) & (self._later_due <= today))
        follow = self._draw(today, Purpose.LATER_FOLLOW, due) < self._p.later_follow_through
        rows = due[follow]
        amount = self._later_amount[rows]
        self._later_amount[due] = 0
        self._later_due[due] = NONE
        return _Payments(
            account=rows,
            at_us=self._local_time(today, rows, _BACKGROUND + 1),
            amount=amount,
            allowance=np.zeros(len(rows), dtype=np.int64),
            settles=np.zeros(len(rows), dtype=bool),
            note=np.full(len(rows), NOTE["paid_later"]),
        )

    def _self_cure(self, today: int) -> _Payments:
        """Payments nobody asked for: a low daily rate, higher for able and willing, recently late debtors."""
        p = self._p
        free = np.flatnonzero((self._owed > 0) & (self._promise_left == 0) & (self._later_amount == 0))
        ability, will = self._ability[free], self._willingness[free]
        early = (today - self._due[free]) < p.self_cure_early_days
        rate = (
            p.self_cure_daily * (0.3 + 1.4 * ability * will) * np.where(early, p.self_cure_early_factor, 1.0)
        )
        cured = self._draw(today, Purpose.SELF_CURE, free) < rate * self._elapsed
        rows = free[cured]
        full = self._draw(today, Purpose.SELF_CURE_SIZE, rows) < ability[cured] ** 2
        amount, allowance = self._amounts(today, rows, np.full(len(rows), _BACKGROUND), full)
        return _Payments(
            account=rows,
            at_us=self._local_time(today, rows, _BACKGROUND + 2),
            amount=amount,
            allowance=allowance,
            settles=np.zeros(len(rows), dtype=bool),
            note=np.full(len(rows), NOTE["self_cure"]),
        )

    def _amounts(self, today: int, account: I64, ordinal: I64, full: Mask) -> tuple[I64, I64]:
        """What a debtor can pay at once: a share of the balance set by ability, or all of it.

        Returns (amount, allowance): a small share of full payments round up to the next
        ``overpay_units`` major units, and the allowance is that deliberate overpayment.
        """
        p = self._p
        owed, unit = self._owed[account], self._unit[account]
        noise = np.exp(p.capacity_noise * self._normal(today, Purpose.PAY_NOISE, account, ordinal))
        share = np.minimum(self._ability[account] ** p.lump_exponent * noise, 1.0)
        full = full | (share >= p.full_payment_threshold)
        partial = np.maximum(np.floor(owed * share / unit).astype(np.int64) * unit, np.minimum(unit, owed))
        step = p.overpay_units * unit
        over = full & (self._draw(today, Purpose.OVERPAY, account, ordinal) < p.overpay_share)
        rounded_up = (owed // step + 1) * step
        amount = np.where(over, rounded_up, np.where(full, owed, partial))
        return amount, np.where(over, rounded_up - owed, 0)

    # ---- payments -----------------------------------------------------------------------------------

    def _pay(self, events: EventBuffer, payments: _Payments) -> None:
        """Apply payments in time order per account, never beyond what is owed (plus deliberate rounding)."""
        if not len(payments.account):
            return
        order = np.lexsort((payments.at_us, payments.account))
        account = payments.account[order]
        amount, allowance = payments.amount[order], payments.allowance[order]
        settles = payments.settles[order]
        before = _exclusive_group_cumsum(amount, account)
        settled_earlier = _exclusive_group_cumsum(settles.astype(np.int64), account) > 0
        paid = np.clip(self._owed[account] + allowance - before, 0, amount)
        paid[settled_earlier | self._settled[account]] = 0
        made = paid > 0
        rows, paid = account[made], paid[made]
        np.add.at(self._paid, rows, paid)
        np.subtract.at(self._owed, rows, paid)
        closed = rows[settles[made]]
        self._settled[closed] = True
        self._owed[closed] = 0
        np.maximum(self._owed, 0, out=self._owed)
        cleared = rows[self._owed[rows] == 0]
        self._promise_left[cleared] = 0
        self._promise_due[cleared] = NONE
        self._later_amount[cleared] = 0
        self._later_due[cleared] = NONE
        events.add(rows, payments.at_us[order][made], "payment", amount=paid, note=payments.note[order][made])

    # ---- answering contacts -------------------------------------------------------------------------

    def _answer(self, today: int, batch: _Actions, events: EventBuffer) -> None:
        p = self._p
        account, channel = batch.account, batch.channel

        def draw(purpose: Purpose) -> F64:
            return self._draw(today, purpose, account, batch.ordinal)

        minutes = local_minutes_of_day(batch.at_us, self._zone[account], self._zones)
        outside = (minutes < DAY_START_HOUR * 60) | (minutes >= DAY_END_HOUR * 60)
        traits = ContactTraits(
            responsiveness=self._response[account, channel],
            best_hour=self._best_hour[account],
            china=self._china[account],
            wrong_number=self._wrong_number[account],
            phone_dead=self._phone_dead[account],
            email_ok=self._email_ok[account],
            im_ok=self._im_ok[account],
            address_ok=self._address_ok[account],
        )
        result = contact_outcomes(
            channel, traits, hour=minutes / 60.0, outside=outside, draw=draw, parameters=p
        )
        read_at = batch.at_us + ((5 + draw(Purpose.READ_DELAY) * 175) * MICROS_PER_MINUTE).astype(np.int64)
        reply_at = read_at + ((5 + draw(Purpose.REPLY_DELAY) * 235) * MICROS_PER_MINUTE).astype(np.int64)
        settled_at = np.where(result.replied, reply_at, np.where(result.read, read_at, batch.at_us))
        respond_at = settled_at + 2 * MICROS_PER_MINUTE

        events.add(
            account,
            batch.at_us,
            "contact",
            channel=channel,
            direction=DIRECTION["outbound"],
            outcome=result.outcome,
        )
        for happened, at, direction, outcome in (
            (result.read, read_at, "outbound", "read"),
            (result.replied, reply_at, "inbound", "replied"),
        ):
            events.add(
                account[happened],
                at[happened],
                "contact",
                channel=channel[happened],
                direction=DIRECTION[direction],
                outcome=OUTCOME[outcome],
            )

        counted = result.touched & (channel != CHANNEL["letter"])
        recent = self._contacts[account].sum(axis=1, dtype=np.int64)
        pressure = _Pressure(
            contacts_7d=recent + _exclusive_group_cumsum(counted.astype(np.int64), account) + counted,
            outside=outside,
            opted_before=((self._opted_out[account] >> channel.astype(np.uint8)) & 1) == 1,
            on_hold=self._hold[account] | self._disputed[account],
        )
        turn = _Turn(today=today, batch=batch, draw=draw, respond_at=respond_at, events=events)
        self._complaints(turn, result, pressure)
        self._opt_outs(turn, result, pressure)
        self._decide(turn, result.engagement)
        np.add.at(self._contacts[:, today % _WINDOW], account[counted], 1)

    def _complaints(self, turn: _Turn, result: ContactOutcomes, pressure: _Pressure) -> None:
        """Complaints: rare for a sensible contact, sharply more for too many, night-time or unwanted ones."""
        p = self._p
        account = turn.batch.account
        excess = np.maximum(pressure.contacts_7d - p.complaint_threshold, 0)
        factor = (0.25 + 5 * self._complaint_propensity[account]) * np.exp(p.complaint_growth * excess)
        factor *= np.where(pressure.outside, p.complaint_night, 1.0)
        factor *= np.where(pressure.opted_before, p.complaint_opted_out, 1.0)
        factor *= np.where(pressure.on_hold, p.complaint_hold, 1.0)
        factor *= np.where(self._vulnerable[account], p.complaint_vulnerable, 1.0)
        chance = np.minimum(p.complaint_base * factor, p.complaint_cap)
        complaint = _first_per_account(result.touched & (turn.draw(Purpose.COMPLAINT) < chance), account)
        note = np.select(
            [pressure.outside, pressure.opted_before, excess > 0, pressure.on_hold],
            [NOTE["hours"], NOTE["opted_out"], NOTE["frequency"], NOTE["hold"]],
            NOTE["general"],
        )
        self._complained[account[complaint]] = True
        at = turn.respond_at[complaint] + MICROS_PER_MINUTE
        channel = turn.batch.channel[complaint]
        turn.events.add(account[complaint], at, "complaint", channel=channel, note=note[complaint])

    def _opt_outs(self, turn: _Turn, result: ContactOutcomes, pressure: _Pressure) -> None:
        """Debtors reached on a channel sometimes ask to stop using it, more so when pressed."""
        p = self._p
        account, channel = turn.batch.account, turn.batch.channel
        excess = np.maximum(pressure.contacts_7d - p.complaint_threshold, 0)
        chance = p.opt_out_base + p.opt_out_per_excess_contact * excess + p.opt_out_night * pressure.outside
        chance = np.minimum(chance, p.opt_out_cap)
        wants = (result.engagement > 0) & ~pressure.opted_before & (turn.draw(Purpose.OPT_OUT) < chance)
        rows = np.flatnonzero(wants)
        _, first = np.unique(account[rows] * len(CHANNELS) + channel[rows], return_index=True)
        rows = rows[first]
        np.bitwise_or.at(self._opted_out, account[rows], np.left_shift(1, channel[rows]).astype(np.uint8))
        at = turn.respond_at[rows] + 2 * MICROS_PER_MINUTE
        turn.events.add(account[rows], at, "opt_out", channel=channel[rows])

    def _decide(self, turn: _Turn, engagement: F64) -> None:
        """After an engaging contact: dispute, accept an offer, pay, promise, pay later, or nothing."""
        p = self._p
        today, batch, draw, at_us, events = turn.today, turn.batch, turn.draw, turn.respond_at, turn.events
        account = batch.account
        active = (engagement > 0) & (self._owed[account] > 0) & ~self._settled[account]
        disputing = draw(Purpose.DISPUTE) < p.dispute_rate * engagement * self._dispute_propensity[account]
        dispute = _first_per_account(active & ~self._disputed[account] & disputing, account)
        self._disputed[account[dispute]] = True
        events.add(account[dispute], at_us[dispute], "dispute", channel=batch.channel[dispute])

        mood = np.where(self._complained[account], p.complained_act_factor, 1.0)
        mood *= np.where(self._disputed[account], p.disputed_act_factor, 1.0)
        offer = self._offers(today, batch, engagement * mood, active & ~dispute, draw)
        ability, will = self._ability[account], self._willingness[account]
        ability_term = p.act_ability_floor + (1 - p.act_ability_floor) * ability
        chance = engagement * mood * (p.act_base + p.act_willingness * will) * ability_term
        act = active & ~dispute & ~np.isin(account, account[offer.accepted]) & (draw(Purpose.ACT) < chance)
        kind = draw(Purpose.ACT_KIND)
        pay_now = act & (kind < p.pay_now_share)
        free = (self._promise_left[account] == 0) & (self._later_amount[account] == 0)
        commit = _first_per_account(act & ~pay_now & free, account)
        amount, allowance = self._amounts(today, account, batch.ordinal, np.zeros(len(account), dtype=bool))

        delay = ((10 + draw(Purpose.DELAY) * 230) * MICROS_PER_MINUTE).astype(np.int64)
        settlement = offer.accepted & (offer.installments == 1)
        note = np.select(
            [settlement, offer.accepted], [NOTE["settlement"], NOTE["installment"]], NOTE["after_contact"]
        )
        paying = pay_now | offer.accepted
        payments = _Payments(
            account=account[paying],
            at_us=(at_us + delay)[paying],
            amount=np.where(offer.accepted, offer.first, amount)[paying],
            allowance=np.where(offer.accepted, 0, allowance)[paying],
            settles=settlement[paying],
            note=note[paying],
        )
        self._pay(events, payments)

        owing = self._owed[account] > 0
        promise = commit & owing & (kind < p.pay_now_share + p.promise_share)
        later = commit & owing & ~promise
        plan = offer.accepted & owing & (offer.installments > 1)
        wait = draw(Purpose.PROMISE_DAYS)
        promise_due = today + _days_between(p.promise_days, wait)
        rows = np.flatnonzero(promise)
        self._promise(
            events,
            account[rows],
            at_us=at_us[rows],
            amount=amount[rows],
            due=promise_due[rows],
            channel=batch.channel[rows],
        )
        rows = np.flatnonzero(plan)
        self._plan(
            events,
            account[rows],
            today=today,
            at_us=at_us[rows],
            total=offer.total[rows],
            installments=offer.installments[rows],
            channel=batch.channel[rows],
        )
        self._later_amount[account[later]] = amount[later]
        self._later_due[account[later]] = today + _days_between(p.later_days, wait)[later]

    def _offers(self, today: int, batch: _Actions, appetite: F64, eligible: Mask, draw: Draw) -> _Offer:
        """Which offers are accepted: affordable (by ability) and wanted (by willingness and discount)."""
        p = self._p
        account = batch.account
        owed = np.maximum(self._owed[account], 1)
        total = np.minimum(batch.offer_amount, owed)
        installments = np.where(batch.offer_kind == _INSTALLMENT, batch.offer_installments, 1)
        base = total // installments
        ability = self._ability[account]
        noise = np.exp(p.capacity_noise * self._normal(today, Purpose.OFFER_NOISE, account, batch.ordinal))
        lump_share = ability**p.lump_exponent * noise
        monthly_share = (p.monthly_base + p.monthly_ability * ability) * noise
        affordable = np.where(installments == 1, total / owed <= lump_share, base / owed <= monthly_share)
        discount = 1 - total / owed
        wanted = appetite * (p.accept_base + p.accept_willingness * self._willingness[account])
        wanted *= 1 + p.discount_bonus * discount
        offered = (
            eligible & (batch.offer_kind != _NO_OFFER) & (total > 0) & (self._promise_left[account] == 0)
        )
        accepted = _first_per_account(offered & affordable & (draw(Purpose.OFFER_ACCEPT) < wanted), account)
        return _Offer(
            accepted=accepted, total=total, installments=installments, first=total - base * (installments - 1)
        )

    def _promise(
        self, events: EventBuffer, account: I64, *, at_us: I64, amount: I64, due: I64, channel: I64
    ) -> None:
        self._promise_amount[account] = amount
        self._promise_due[account] = due
        self._promise_left[account] = 1
        self._plan_settles[account] = False
        events.add(account, at_us + MICROS_PER_MINUTE, "promise", channel=channel, amount=amount, due=due)

    def _plan(
        self,
        events: EventBuffer,
        account: I64,
        *,
        today: int,
        at_us: I64,
        total: I64,
        installments: I64,
        channel: I64,
    ) -> None:
        """An accepted instalment plan: the first instalment is paid now, each other one is promised."""
        period = self._p.installment_period_days
        base = total // installments
        rest = installments - 1
        self._promise_amount[account] = base
        self._promise_due[account] = today + period
        self._promise_left[account] = rest
        self._plan_settles[account] = True
        row = np.repeat(np.arange(len(account)), rest)
        number = np.arange(len(row)) - np.repeat(np.cumsum(rest) - rest, rest) + 1
        due = today + period * number
        events.add(
            account[row],
            at_us[row] + MICROS_PER_MINUTE,
            "promise",
            channel=channel[row],
            amount=base[row],
            due=due,
        )


def _days_between(bounds: tuple[int, int], draw: F64) -> I64:
    """A whole number of days in [low, high] from a uniform draw."""
    low, high = bounds
    return low + (draw * (high - low + 1)).astype(np.int64)


def _aligned_truth(portfolio: SyntheticPortfolio) -> pl.DataFrame:
    """The truth rows in the accounts' order (they already are, unless someone filtered one frame)."""
    keys = portfolio.accounts.select("account_id", "creditor_id")
    truth = portfolio.truth
    if truth.select("account_id", "creditor_id").equals(keys):
        return truth
    aligned = keys.join(truth, on=["account_id", "creditor_id"], how="left", maintain_order="left")
    if aligned["ability"].null_count():
        raise ValueError("every account needs its row in the portfolio's truth")
    return aligned


def _check_actions(joined: pl.DataFrame) -> None:
    problems = {
        "scheduled_at is missing": pl.col("scheduled_at").is_null(),
        "action is not in the vocabulary": ~pl.col("action").is_in(ACTIONS) | pl.col("action").is_null(),
        "an offer needs a channel": (pl.col("action") == "offer") & ~pl.col("channel").is_in(CHANNELS),
        "offer_kind is not in the vocabulary": pl.col("offer_kind").is_not_null()
        & ~pl.col("offer_kind").is_in(OFFER_KINDS),
        "negative offer_amount": pl.col("offer_amount") < 0,
        "currency differs from the account's": pl.col("currency").is_not_null()
        & (pl.col("currency") != pl.col("account_currency")),
    }
    for reason, bad in problems.items():
        rows = joined.filter(bad.fill_null(False))
        if rows.height:
            raise ValueError(
                f"{rows.height} actions rejected ({reason}), e.g. account {rows['account_id'][0]!r}"
            )


def _group_starts(group: I64) -> I64:
    """For rows sorted by ``group``: the index of the first row of each row's group."""
    start = np.r_[True, group[1:] != group[:-1]] if len(group) else np.zeros(0, dtype=bool)
    return np.maximum.accumulate(np.where(start, np.arange(len(group)), 0))


def _rank_in_group(group: I64) -> I64:
    return np.arange(len(group)) - _group_starts(group)


def _exclusive_group_cumsum(values: I64, group: I64) -> I64:
    """Sum of ``values`` over the earlier rows of the same group (rows sorted by ``group``)."""
    running = np.cumsum(values) - values
    return running - running[_group_starts(group)]


def _first_per_account(mask: Mask, account: I64) -> Mask:
    """Keep only the first true row of each account (rows sorted by account)."""
    rows = np.flatnonzero(mask)
    first = np.r_[True, account[rows][1:] != account[rows][:-1]] if len(rows) else np.zeros(0, dtype=bool)
    kept = np.zeros(len(mask), dtype=bool)
    kept[rows[first]] = True
    return kept


def contacts_outside_hours(
    frame: pl.DataFrame,
    portfolio: SyntheticPortfolio,
    *,
    start_hour: int = DAY_START_HOUR,
    end_hour: int = DAY_END_HOUR,
) -> pl.DataFrame:
    """Outbound contacts (actions or events) at a local time before ``start_hour`` or from ``end_hour`` on.

    Takes an actions frame (``scheduled_at``; legal reviews are not contacts) or an events frame (``at``;
    outbound contact events only). Returns account_id, creditor_id, local_day, local_time and at (UTC).
    """
    at = "scheduled_at" if "scheduled_at" in frame.columns else "at"
    rows = frame
    if "action" in frame.columns:
        rows = rows.filter(pl.col("action") != "legal_review")
    if "type" in frame.columns:
        attempt = (pl.col("type") == "contact") & (pl.col("direction") == "outbound")
        rows = rows.filter(attempt & ~pl.col("outcome").is_in(["read", "replied"]))
    zones = portfolio.accounts.select("account_id", "creditor_id", "timezone")
    rows = rows.select("account_id", "creditor_id", pl.col(at).alias("at")).join(
        zones, on=["account_id", "creditor_id"], how="left", maintain_order="left"
    )
    zone_names = tuple(sorted(rows["timezone"].drop_nulls().unique().to_list()))
    codes = (
        rows["timezone"]
        .replace_strict({z: i for i, z in enumerate(zone_names)}, return_dtype=pl.Int64)
        .to_numpy()
    )
    instants = rows["at"].cast(pl.Int64).to_numpy()
    local = instants + utc_offsets_minutes(instants, codes, zone_names).astype(np.int64) * MICROS_PER_MINUTE
    minute = (local % MICROS_PER_DAY) // MICROS_PER_MINUTE
    outside = (minute < start_hour * 60) | (minute >= end_hour * 60)
    return (
        rows.with_columns(
            pl.Series("local_day", local // MICROS_PER_DAY).cast(pl.Date()),
            pl.Series("local_time", (local % MICROS_PER_DAY) * 1000).cast(pl.Time()),
        )
        .filter(pl.Series(outside))
        .select("account_id", "creditor_id", "local_day", "local_time", "at")
    )
