import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from recoup.sim.draws import Purpose, normals, stream_key, uniforms


def test_uniforms_lie_strictly_between_zero_and_one_and_look_uniform():
    values = uniforms(7, 740_000, Purpose.ACT, np.arange(200_000))
    assert values.min() > 0 and values.max() < 1
    assert abs(values.mean() - 0.5) < 0.005
    counts, _ = np.histogram(values, bins=10, range=(0, 1))
    assert counts.min() > 19_000 and counts.max() < 21_000


def test_the_same_coordinates_give_the_same_draw_and_any_change_gives_another():
    accounts = np.arange(1000)
    base = uniforms(7, 740_000, Purpose.ACT, accounts, 0)
    assert np.array_equal(base, uniforms(7, 740_000, Purpose.ACT, accounts, 0))
    for changed in (
        uniforms(8, 740_000, Purpose.ACT, accounts, 0),
        uniforms(7, 740_001, Purpose.ACT, accounts, 0),
        uniforms(7, 740_000, Purpose.KEEP, accounts, 0),
        uniforms(7, 740_000, Purpose.ACT, accounts, 1),
    ):
        assert np.mean(base == changed) < 0.01


def test_draws_of_different_purposes_are_uncorrelated():
    accounts = np.arange(100_000)
    a = uniforms(1, 10, Purpose.ANSWER, accounts)
    b = uniforms(1, 10, Purpose.COMPLAINT, accounts)
    assert abs(np.corrcoef(a, b)[0, 1]) < 0.02


@given(
    seed=st.integers(0, 2**31),
    day=st.integers(700_000, 800_000),
    accounts=st.lists(st.integers(0, 10**7), min_size=1, max_size=50),
    ordinal=st.integers(0, 100),
)
def test_a_draw_does_not_depend_on_the_other_accounts_in_the_batch(seed, day, accounts, ordinal):
    batch = uniforms(seed, day, Purpose.DELIVERY, np.asarray(accounts), ordinal)
    alone = [uniforms(seed, day, Purpose.DELIVERY, np.asarray([a]), ordinal)[0] for a in accounts]
    assert np.array_equal(batch, np.asarray(alone))


def test_normals_have_unit_spread():
    values = normals(3, 5, Purpose.PAY_NOISE, np.arange(100_000))
    assert abs(values.mean()) < 0.02
    assert abs(values.std() - 1) < 0.02


def test_stream_keys_differ_by_every_coordinate():
    keys = {stream_key(s, d, p) for s in range(5) for d in range(5) for p in range(5)}
    assert len(keys) == 125
