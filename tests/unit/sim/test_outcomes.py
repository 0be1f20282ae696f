import numpy as np

from recoup.sim.draws import Purpose, uniforms
from recoup.sim.event_buffer import CHANNEL, OUTCOME
from recoup.sim.outcomes import ContactTraits, contact_outcomes, hour_fit
from recoup.sim.parameters import DEFAULT_PARAMETERS

N = 50_000


def traits(**changes) -> ContactTraits:
    base = {
        "responsiveness": np.full(N, 0.6),
        "best_hour": np.full(N, 19.0),
        "china": np.ones(N, dtype=bool),
        "wrong_number": np.zeros(N, dtype=bool),
        "phone_dead": np.zeros(N, dtype=bool),
        "email_ok": np.ones(N, dtype=bool),
        "im_ok": np.ones(N, dtype=bool),
        "address_ok": np.ones(N, dtype=bool),
    }
    return ContactTraits(**{**base, **changes})


def outcomes(channel: str, hour: float, contact_traits: ContactTraits):
    def draw(purpose: Purpose):
        return uniforms(9, 1, purpose, np.arange(N))

    return contact_outcomes(
        np.full(N, CHANNEL[channel]),
        contact_traits,
        hour=np.full(N, hour),
        outside=np.full(N, hour < 8 or hour >= 22),
        draw=draw,
        parameters=DEFAULT_PARAMETERS,
    )


def test_hour_fit_peaks_at_the_best_hour_and_wraps_around_midnight():
    fit = hour_fit(np.array([19.0, 16.0, 10.0, 1.0]), np.full(4, 19.0), DEFAULT_PARAMETERS)
    assert fit[0] == 1.0 and fit[0] > fit[1] > fit[2]
    assert fit[2] == DEFAULT_PARAMETERS.hour_fit_floor
    late = hour_fit(np.array([23.0]), np.array([1.0]), DEFAULT_PARAMETERS)
    assert late[0] > 0.7


def test_calls_are_answered_more_near_the_best_hour_and_less_at_night():
    def conversations(hour):
        return np.mean(outcomes("call", hour, traits()).outcome == OUTCOME["conversation"])

    assert conversations(19) > 1.5 * conversations(14) > 0
    assert conversations(23.5) < conversations(19)


def test_broken_contact_points_never_reach_the_debtor():
    dead = outcomes("call", 19, traits(phone_dead=np.ones(N, dtype=bool)))
    assert (dead.outcome == OUTCOME["failed"]).all() and not dead.touched.any() and not dead.engagement.any()
    wrong = outcomes("call", 19, traits(wrong_number=np.ones(N, dtype=bool)))
    assert (
        not (wrong.outcome == OUTCOME["conversation"]).any()
        and (wrong.outcome == OUTCOME["wrong_party"]).any()
    )
    assert not wrong.engagement.any()
    bounced = outcomes("email", 10, traits(email_ok=np.zeros(N, dtype=bool)))
    assert (bounced.outcome == OUTCOME["bounced"]).all() and not bounced.read.any()
    moved = outcomes("visit", 19, traits(address_ok=np.zeros(N, dtype=bool)))
    assert (moved.outcome == OUTCOME["wrong_party"]).all()


def test_messages_are_mostly_delivered_and_sometimes_read_and_answered():
    im = outcomes("im", 10, traits())
    assert np.mean(im.outcome == OUTCOME["delivered"]) > 0.95
    assert 0.3 < im.read.mean() < 0.7
    assert 0 < im.replied.mean() < im.read.mean()
    sms = outcomes("sms", 10, traits())
    assert not sms.read.any()  # SMS has no read receipts; the read is latent
    assert (sms.engagement > 0).any()
