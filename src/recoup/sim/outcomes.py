"""What happens to each contact attempt: delivered or answered, read, replied, and how much it engaged."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from recoup.sim.draws import Purpose
from recoup.sim.event_buffer import CHANNEL, NONE, OUTCOME
from recoup.sim.parameters import BehaviourParameters

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]
Draw = Callable[[Purpose], F64]


@dataclass(frozen=True, slots=True)
class ContactTraits:
    """The hidden traits of the debtor behind each action (one entry per action)."""

    responsiveness: F64  # to the action's channel
    best_hour: F64
    china: Mask
    wrong_number: Mask
    phone_dead: Mask
    email_ok: Mask  # has an address that accepts mail
    im_ok: Mask
    address_ok: Mask  # has a postal address where the debtor still lives


@dataclass(frozen=True, slots=True)
class ContactOutcomes:
    outcome: I64  # OUTCOMES code of the attempt itself
    read: Mask  # a read receipt follows (e-mail, IM)
    replied: Mask  # the debtor answers the message (an inbound contact)
    engagement: F64  # how much the contact moved the debtor; 0 when it never reached them
    touched: Mask  # it reached the debtor's phone, inbox or door: counts towards fatigue and complaints


def hour_fit(hour: F64, best_hour: F64, parameters: BehaviourParameters) -> F64:
    """How reachable the debtor is at ``hour`` (local), 1 at their best hour, floored far from it."""
    distance = np.abs(hour - best_hour)
    distance = np.minimum(distance, 24 - distance)
    fit = np.exp(-0.5 * (distance / parameters.hour_spread) ** 2)
    return np.asarray(np.maximum(fit, parameters.hour_fit_floor), dtype=np.float64)


def contact_outcomes(
    channel: I64,
    traits: ContactTraits,
    *,
    hour: F64,
    outside: Mask,
    draw: Draw,
    parameters: BehaviourParameters,
) -> ContactOutcomes:
    """Outcome of each attempt (one per element of ``channel``), given the hidden traits behind it."""
    p = parameters
    is_ = {name: channel == code for name, code in CHANNEL.items()}
    delivery = draw(Purpose.DELIVERY)
    outcome = np.full(len(channel), NONE, dtype=np.int64)
    delivered = np.zeros(len(channel), dtype=bool)
    for name, reachable, loss in (
        ("sms", ~traits.phone_dead, p.sms_failure),
        ("email", traits.email_ok, p.email_soft_bounce),
        ("im", traits.im_ok, p.im_failure),
        ("letter", traits.address_ok, p.letter_loss),
    ):
        ok = is_[name] & reachable & (delivery >= loss)
        failed_word = "bounced" if name in ("email", "letter") else "failed"
        outcome[is_[name]] = np.where(ok[is_[name]], OUTCOME["delivered"], OUTCOME[failed_word])
        delivered |= ok

    read_factor = np.select([is_[c] for c in p.read_factor], list(p.read_factor.values()), 0.0)
    reply_rate = np.select([is_[c] for c in p.reply_rate], list(p.reply_rate.values()), 0.0)
    # A message to a reassigned number is read by a stranger, not the debtor.
    read = delivered & (draw(Purpose.READ) < traits.responsiveness * read_factor)
    read &= ~(is_["sms"] & traits.wrong_number)
    replied = read & (draw(Purpose.REPLY) < reply_rate)

    fit = hour_fit(hour, traits.best_hour, p)
    night = np.where(outside, p.night_answer_factor, 1.0)
    answer = draw(Purpose.ANSWER)
    call = is_["call"] & ~traits.phone_dead
    answered = call & (answer < np.minimum(p.answer_scale * traits.responsiveness * fit * night, 0.95))
    missed_kind = draw(Purpose.MISSED_KIND)
    voicemail = np.where(traits.china, p.voicemail_share_cn, p.voicemail_share_other)
    missed = np.where(
        missed_kind < voicemail,
        OUTCOME["voicemail"],
        np.where(missed_kind < voicemail + p.busy_share, OUTCOME["busy"], OUTCOME["no_answer"]),
    )
    outcome[is_["call"]] = OUTCOME["failed"]
    outcome[call] = missed[call]
    outcome[answered] = np.where(
        traits.wrong_number[answered], OUTCOME["wrong_party"], OUTCOME["conversation"]
    )

    visit = is_["visit"]
    found = (
        visit
        & traits.address_ok
        & (answer < np.minimum(p.visit_scale * traits.responsiveness * fit * night, 0.95))
    )
    outcome[visit] = np.where(traits.address_ok[visit], OUTCOME["no_answer"], OUTCOME["wrong_party"])
    outcome[found] = OUTCOME["conversation"]

    engagement = np.select(
        [
            outcome == OUTCOME["conversation"],
            replied,
            read & ~is_["sms"] & ~is_["letter"],
            read & is_["sms"],
            read & is_["letter"],
            (outcome == OUTCOME["voicemail"]) & ~traits.wrong_number,  # a stranger's mailbox
        ],
        [
            np.where(visit, p.engagement_visit, p.engagement_conversation),
            p.engagement_reply,
            p.engagement_read,
            p.engagement_sms_read,
            p.engagement_letter,
            p.engagement_voicemail,
        ],
        0.0,
    )
    touched = delivered | call | (visit & traits.address_ok)
    receipt = read & (is_["email"] | is_["im"])
    return ContactOutcomes(
        outcome=outcome, read=receipt, replied=replied, engagement=engagement, touched=touched
    )
