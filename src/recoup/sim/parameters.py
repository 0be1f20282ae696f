"""Every number the debtor-behaviour model uses, in one place. Each one is a guess unless said otherwise.

docs/simulator.md explains why each value was chosen. Change them per run by passing a modified
``BehaviourParameters`` (``dataclasses.replace(DEFAULT_PARAMETERS, ...)``) to ``DebtorBehaviour``.
"""

from __future__ import annotations

from dataclasses import dataclass, field


def _by_channel(**values: float) -> dict[str, float]:
    return dict(values)


@dataclass(frozen=True, slots=True)
class BehaviourParameters:
    # Delivery: share of messages lost although the contact point is valid.
    sms_failure: float = 0.03
    im_failure: float = 0.02
    email_soft_bounce: float = 0.01
    letter_loss: float = 0.02

    # Reading: P(read | delivered) = responsiveness(channel) * read_factor(channel).
    read_factor: dict[str, float] = field(
        default_factory=lambda: _by_channel(sms=0.8, email=0.6, im=0.9, letter=0.7)
    )
    # P(reply | read) per channel; letters are never answered in the same day.
    reply_rate: dict[str, float] = field(default_factory=lambda: _by_channel(sms=0.12, email=0.15, im=0.25))

    # Calls and visits: P(answer) = scale * responsiveness * hour fit, where hour fit is a Gaussian in the
    # distance (hours) between the local hour and the debtor's best hour, floored.
    answer_scale: float = 0.85
    visit_scale: float = 0.9
    hour_spread: float = 3.0
    hour_fit_floor: float = 0.15
    night_answer_factor: float = 0.5  # people pick up less before 08:00 and after 22:00
    voicemail_share_cn: float = 0.05  # voicemail is rare on Chinese mobiles
    voicemail_share_other: float = 0.35
    busy_share: float = 0.15

    # How strongly each outcome engages the debtor (scales every response probability below).
    engagement_conversation: float = 1.0
    engagement_visit: float = 1.2
    engagement_reply: float = 0.8
    engagement_read: float = 0.35  # e-mail and IM read receipts
    engagement_sms_read: float = 0.25  # SMS have no read receipts: the read is latent
    engagement_letter: float = 0.2
    engagement_voicemail: float = 0.1

    # Acting after an engaging contact:
    # P = engagement * (base + w * willingness) * (floor + (1 - floor) * ability).
    act_base: float = 0.05
    act_willingness: float = 0.40
    act_ability_floor: float = 0.3
    pay_now_share: float = 0.35  # of those who act: pay now, promise, or pay silently a few days later
    promise_share: float = 0.45
    promise_days: tuple[int, int] = (1, 14)
    later_days: tuple[int, int] = (1, 7)
    later_follow_through: float = 0.75
    complained_act_factor: float = 0.7
    disputed_act_factor: float = 0.1

    # Capacity: one lump sum can cover ability ** lump_exponent of the balance; a monthly instalment
    # up to (monthly_base + monthly_ability * ability) of it; both times a log-normal noise.
    lump_exponent: float = 2.0
    monthly_base: float = 0.04
    monthly_ability: float = 0.30
    capacity_noise: float = 0.35
    full_payment_threshold: float = 0.9  # a payment covering this share of the balance clears it

    # Promises and plans: P(keep) = base + w * willingness * (0.5 + 0.5 * ability), minus a complaint penalty.
    keep_base: float = 0.15
    keep_willingness: float = 0.75
    keep_complained_penalty: float = 0.2
    broken_partial_share: float = 0.2  # a broken promise still brings a partial payment this often
    installment_period_days: int = 30

    # Offers: P(accept | affordable) = engagement * (base + w * willingness) * (1 + bonus * discount).
    accept_base: float = 0.25
    accept_willingness: float = 0.65
    discount_bonus: float = 1.5

    # Paying without being contacted, per account and day.
    self_cure_daily: float = 0.0008
    self_cure_early_factor: float = 2.0  # below 30 days past due
    self_cure_early_days: int = 30

    # Overpayment: this share of full payments round up to the next multiple of overpay_units major units.
    overpay_share: float = 0.01
    overpay_units: int = 10

    # Disputes and opt-outs after a reached contact.
    dispute_rate: float = 0.08  # times engagement and the debtor's dispute propensity
    opt_out_base: float = 0.002
    opt_out_per_excess_contact: float = 0.003
    opt_out_night: float = 0.02
    opt_out_cap: float = 0.05

    # Complaints per contact that reaches the debtor's phone, inbox or door:
    # P = base * (0.25 + 5 * propensity) * exp(growth * max(0, contacts_7d - threshold)) * multipliers.
    complaint_base: float = 0.0003
    complaint_threshold: int = 3  # contacts in 7 days (this one included) before annoyance grows
    complaint_growth: float = 0.5
    complaint_night: float = 10.0
    complaint_opted_out: float = 15.0
    complaint_hold: float = 8.0  # the account is on hold (cease, attorney, dispute, ...) and still contacted
    complaint_vulnerable: float = 2.0
    complaint_cap: float = 0.02


DEFAULT_PARAMETERS = BehaviourParameters()
