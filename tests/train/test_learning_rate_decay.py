"""Learning-rate schedules: each one against a numpy transcription of TF1's formula."""

from __future__ import annotations

import math

import numpy as np
import pytest

import flowgraph as tf

STEPS = list(range(0, 31, 3)) + [1, 7, 10, 20, 29, 30, 45]


def _np_exponential(step, lr, decay_steps, rate, staircase):
    p = step / decay_steps
    return lr * rate ** (math.floor(p) if staircase else p)


def _np_natural_exp(step, lr, decay_steps, rate, staircase):
    p = step / decay_steps
    return lr * math.exp(-rate * (math.floor(p) if staircase else p))


def _np_inverse_time(step, lr, decay_steps, rate, staircase):
    p = step / decay_steps
    return lr / (1 + rate * (math.floor(p) if staircase else p))


def _np_polynomial(step, lr, decay_steps, end_lr, power, cycle):
    if cycle:
        decay_steps = decay_steps * (1.0 if step == 0 else math.ceil(step / decay_steps))
    else:
        step = min(step, decay_steps)
    return (lr - end_lr) * (1 - step / decay_steps) ** power + end_lr


def _np_cosine(step, lr, decay_steps, alpha):
    step = min(step, decay_steps)
    decayed = 0.5 * (1 + math.cos(math.pi * step / decay_steps))
    return lr * ((1 - alpha) * decayed + alpha)


def _np_cosine_restarts(step, lr, first_decay_steps, t_mul, m_mul, alpha):
    fraction = step / first_decay_steps
    if t_mul == 1.0:
        i = math.floor(fraction)
        fraction -= i
    else:
        i = math.floor(math.log(1 - fraction * (1 - t_mul)) / math.log(t_mul))
        fraction = (fraction - (1 - t_mul**i) / (1 - t_mul)) / t_mul**i
    decayed = 0.5 * m_mul**i * (1 + math.cos(math.pi * fraction))
    return lr * ((1 - alpha) * decayed + alpha)


def _np_linear_cosine(step, lr, decay_steps, num_periods, alpha, beta):
    step = min(step, decay_steps)
    linear = (decay_steps - step) / decay_steps
    cosine = 0.5 * (1 + math.cos(math.pi * 2 * num_periods * step / decay_steps))
    return lr * ((alpha + linear) * cosine + beta)


def _np_piecewise(x, boundaries, values):
    for b, v in zip(boundaries, values):
        if x <= b:
            return v
    return values[-1]


# (name, schedule of a global step, numpy formula of a step)
CASES = [
    (
        "exponential",
        lambda s: tf.train.exponential_decay(0.1, s, 7, 0.5),
        lambda n: _np_exponential(n, 0.1, 7, 0.5, False),
    ),
    (
        "exponential_staircase",
        lambda s: tf.train.exponential_decay(0.1, s, 7, 0.5, True),
        lambda n: _np_exponential(n, 0.1, 7, 0.5, True),
    ),
    (
        "natural_exp",
        lambda s: tf.train.natural_exp_decay(0.1, s, 5, 0.3),
        lambda n: _np_natural_exp(n, 0.1, 5, 0.3, False),
    ),
    (
        "natural_exp_staircase",
        lambda s: tf.train.natural_exp_decay(0.1, s, 5, 0.3, True),
        lambda n: _np_natural_exp(n, 0.1, 5, 0.3, True),
    ),
    (
        "inverse_time",
        lambda s: tf.train.inverse_time_decay(0.1, s, 4, 0.5),
        lambda n: _np_inverse_time(n, 0.1, 4, 0.5, False),
    ),
    (
        "inverse_time_staircase",
        lambda s: tf.train.inverse_time_decay(0.1, s, 4, 0.5, True),
        lambda n: _np_inverse_time(n, 0.1, 4, 0.5, True),
    ),
    (
        "polynomial",
        lambda s: tf.train.polynomial_decay(0.1, s, 20, 0.01, power=0.5),
        lambda n: _np_polynomial(n, 0.1, 20, 0.01, 0.5, False),
    ),
    (
        "polynomial_default",
        lambda s: tf.train.polynomial_decay(0.1, s, 20),
        lambda n: _np_polynomial(n, 0.1, 20, 0.0001, 1.0, False),
    ),
    (
        "polynomial_cycle",
        lambda s: tf.train.polynomial_decay(0.1, s, 8, 0.01, 2.0, cycle=True),
        lambda n: _np_polynomial(n, 0.1, 8, 0.01, 2.0, True),
    ),
    ("cosine", lambda s: tf.train.cosine_decay(0.1, s, 20), lambda n: _np_cosine(n, 0.1, 20, 0.0)),
    (
        "cosine_alpha",
        lambda s: tf.train.cosine_decay(0.1, s, 20, alpha=0.1),
        lambda n: _np_cosine(n, 0.1, 20, 0.1),
    ),
    (
        "cosine_restarts",
        lambda s: tf.train.cosine_decay_restarts(0.1, s, 4),
        lambda n: _np_cosine_restarts(n, 0.1, 4, 2.0, 1.0, 0.0),
    ),
    (
        "cosine_restarts_mul",
        lambda s: tf.train.cosine_decay_restarts(0.1, s, 3, t_mul=1.5, m_mul=0.8, alpha=0.1),
        lambda n: _np_cosine_restarts(n, 0.1, 3, 1.5, 0.8, 0.1),
    ),
    (
        "cosine_restarts_uniform",
        lambda s: tf.train.cosine_decay_restarts(0.1, s, 6, t_mul=1.0),
        lambda n: _np_cosine_restarts(n, 0.1, 6, 1.0, 1.0, 0.0),
    ),
    (
        "linear_cosine",
        lambda s: tf.train.linear_cosine_decay(0.1, s, 20),
        lambda n: _np_linear_cosine(n, 0.1, 20, 0.5, 0.0, 0.001),
    ),
    (
        "linear_cosine_periods",
        lambda s: tf.train.linear_cosine_decay(0.1, s, 20, num_periods=2.0, alpha=0.1, beta=0.01),
        lambda n: _np_linear_cosine(n, 0.1, 20, 2.0, 0.1, 0.01),
    ),
    (
        "piecewise",
        lambda s: tf.train.piecewise_constant(s, [5, 10, 20], [1.0, 0.5, 0.2, 0.1]),
        lambda n: _np_piecewise(n, [5, 10, 20], [1.0, 0.5, 0.2, 0.1]),
    ),
]
IDS = [c[0] for c in CASES]


@pytest.fixture
def graph():
    g = tf.Graph()
    with g.as_default():
        yield g


@pytest.fixture(scope="module")
def fed_schedules():
    """Every case built once on an int64 step placeholder, one session for all steps."""
    g = tf.Graph()
    with g.as_default():
        step = tf.placeholder(tf.int64, [], name="step")
        lrs = [make(step) for _, make, _ in CASES]
        with tf.Session() as sess:
            yield {n: sess.run(lrs, {step: n}) for n in STEPS}


@pytest.mark.parametrize("index", range(len(CASES)), ids=IDS)
def test_schedule_of_a_fed_step_matches_numpy(fed_schedules, index):
    _, _, formula = CASES[index]
    got = [fed_schedules[n][index] for n in STEPS]
    np.testing.assert_allclose(got, [formula(n) for n in STEPS], rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("index", range(len(CASES)), ids=IDS)
def test_schedule_follows_a_variable_incremented_by_assign_add(graph, index):
    _, make, formula = CASES[index]
    step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
    lr = make(step)
    increment = tf.assign_add(step, 3)
    with tf.Session() as sess:
        sess.run(step.initializer)
        got = []
        for _ in range(8):
            got.append(sess.run(lr))
            sess.run(increment)
    np.testing.assert_allclose(got, [formula(3 * i) for i in range(8)], rtol=1e-5, atol=1e-7)


def test_staircase_and_cycle_divide_exactly_at_multiples_of_decay_steps(graph):
    step = tf.placeholder(tf.int64, [])
    staircase = tf.train.exponential_decay(0.1, step, 41, 0.5, staircase=True)
    cycle = tf.train.polynomial_decay(0.1, step, 7, 0.01, 2.0, cycle=True)
    with tf.Session() as sess:
        got = [sess.run(staircase, {step: 41}), sess.run(cycle, {step: 21})]
    expected = [
        _np_exponential(41, 0.1, 41, 0.5, True),
        _np_polynomial(21, 0.1, 7, 0.01, 2.0, True),
    ]
    np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_polynomial_decay_with_a_fractional_power_ends_at_end_learning_rate(graph):
    step = tf.placeholder(tf.int64, [])
    lr = tf.train.polynomial_decay(0.1, step, 20, 0.01, power=0.5)
    with tf.Session() as sess:
        got = [sess.run(lr, {step: n}) for n in (20, 21, 100)]
    np.testing.assert_allclose(got, [0.01] * 3, rtol=1e-6)


def test_schedules_take_python_steps_and_return_learning_rate_dtype(graph):
    lr = tf.train.exponential_decay(tf.constant(0.1, tf.float64), 10, 7, 0.5)
    cos = tf.train.cosine_decay(tf.constant(0.1, tf.float64), tf.constant(5, tf.int32), 20)
    assert lr.dtype == tf.float64 and cos.dtype == tf.float64
    with tf.Session() as sess:
        got = sess.run([lr, cos])
    np.testing.assert_allclose(
        got, [_np_exponential(10, 0.1, 7, 0.5, False), _np_cosine(5, 0.1, 20, 0.0)], rtol=1e-12
    )


def test_schedule_names_follow_tf1(graph):
    step = tf.train.get_or_create_global_step()
    assert tf.train.exponential_decay(0.1, step, 7, 0.5).op.name == "ExponentialDecay"
    assert tf.train.polynomial_decay(0.1, step, 7, name="lr").op.name == "lr"
    assert tf.train.cosine_decay_restarts(0.1, step, 7).op.name == "SGDRDecay"
    lr = tf.train.piecewise_constant(step, [5], [1.0, 0.5])
    assert lr.op.name == "PiecewiseConstant" and lr.dtype == tf.float32


SCHEDULES = [
    lambda: tf.train.exponential_decay(0.1, None, 7, 0.5),
    lambda: tf.train.natural_exp_decay(0.1, None, 7, 0.5),
    lambda: tf.train.inverse_time_decay(0.1, None, 7, 0.5),
    lambda: tf.train.polynomial_decay(0.1, None, 7),
    lambda: tf.train.cosine_decay(0.1, None, 7),
    lambda: tf.train.cosine_decay_restarts(0.1, None, 7),
    lambda: tf.train.linear_cosine_decay(0.1, None, 7),
    lambda: tf.train.noisy_linear_cosine_decay(0.1, None, 7),
]


@pytest.mark.parametrize("make", SCHEDULES)
def test_missing_global_step_is_a_value_error(graph, make):
    with pytest.raises(ValueError, match="global_step"):
        make()


def test_piecewise_constant_checks_counts_and_dtypes(graph):
    step = tf.placeholder(tf.int64, [])
    with pytest.raises(ValueError, match="1 less than the length of values"):
        tf.train.piecewise_constant(step, [1, 2], [1.0, 2.0])
    with pytest.raises(ValueError, match="Boundaries .* must have the same dtype as x"):
        tf.train.piecewise_constant(step, [1.5], [1.0, 2.0])
    with pytest.raises(ValueError, match="Values must have elements all with the same dtype"):
        tf.train.piecewise_constant(step, [1], [1.0, 2])


def test_piecewise_constant_of_a_float_x_with_tensor_values(graph):
    x = tf.placeholder(tf.float32, [])
    lr = tf.train.piecewise_constant(x, [0.5, 1.5], [tf.constant(3), 4, 5])
    assert lr.dtype == tf.int32
    with tf.Session() as sess:
        got = [sess.run(lr, {x: v}) for v in (0.0, 0.5, 0.6, 1.5, 2.0)]
    assert got == [3, 3, 4, 4, 5]


def test_noisy_linear_cosine_decay(graph):
    step = tf.placeholder(tf.int64, [])
    quiet = tf.train.noisy_linear_cosine_decay(0.1, step, 20, initial_variance=0.0)
    noisy = tf.train.noisy_linear_cosine_decay(0.1, step, 20)
    with tf.Session() as sess:
        got = [sess.run(quiet, {step: n}) for n in STEPS]
        samples = [sess.run(noisy, {step: 10}) for _ in range(20)]
    np.testing.assert_allclose(
        got, [_np_linear_cosine(n, 0.1, 20, 0.5, 0.0, 0.001) for n in STEPS], rtol=1e-5, atol=1e-7
    )
    assert len(set(samples)) > 1 and np.all(np.isfinite(samples))


def test_piecewise_constant_decay_is_piecewise_constant():
    assert tf.train.piecewise_constant_decay is tf.train.piecewise_constant
    with tf.Graph().as_default():
        step = tf.placeholder(tf.int32, [])
        rate = tf.train.piecewise_constant_decay(step, [10, 20], [1.0, 0.5, 0.1])
        with tf.Session() as sess:
            got = [sess.run(rate, {step: s}) for s in (0, 10, 11, 20, 21)]
    np.testing.assert_allclose(got, [1.0, 1.0, 0.5, 0.5, 0.1])
