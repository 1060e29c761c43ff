"""Gradients of `tf.while_loop` whose trip count is only known at run time: against finite
differences, numpy and TensorFlow's values (fixtures), compiled in one segment."""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest

import flowgraph as tf
from kernels.control_flow import while_bucket
from tests.fixtures import make_while_loop_gradients as tf_programs
from tests.gradient_checker import check_gradients, compute_gradient

OP_TYPES_TESTED = {"WhileTripCount", "WhileBucket"}
NOT_DIFFERENTIABLE = {
    "WhileTripCount": "counts steps (an integer)",
    "WhileBucket": "rounds a count (an integer, on the host)",
}


@pytest.fixture
def sess():
    with tf.Graph().as_default() as g, tf.Session(graph=g) as s:
        yield s


def _assert_matches_finite_differences(xs, ys, values, feed, atol=2e-3):
    for theoretical, numerical in compute_gradient(xs, ys, values, extra_feed_dict=feed):
        np.testing.assert_allclose(theoretical, numerical, atol=atol, rtol=2e-3)


def test_loop_counted_to_a_fed_bound(sess):
    n = tf.placeholder(tf.int32, [])
    x = tf.placeholder(tf.float32, [3])
    w = tf.placeholder(tf.float32, [3])

    def body(i, v):
        return i + 1, tf.sin(v) * w + v

    _, y = tf.while_loop(lambda i, v: i < n, body, [0, x])
    values = [np.array([0.3, -0.7, 1.1], np.float32), np.array([0.5, 1.5, -0.2], np.float32)]
    for count in (0, 1, 4, 9, 3):  # a second call with another count, then a smaller one
        _assert_matches_finite_differences([x, w], [y], values, {n: count})


def test_loop_whose_count_depends_on_the_values(sess):
    x = tf.placeholder(tf.float32, [])
    y = tf.while_loop(lambda y: y < 100.0, lambda y: y * 2.0, [x], name="doubling")
    (g,) = tf.gradients(y, x)
    for start, trips in ((3.0, 6), (30.0, 2), (200.0, 0)):
        assert sess.run([y, g], {x: start}) == [start * 2**trips, 2.0**trips]


def test_nested_loops_with_run_time_counts(sess):
    n = tf.placeholder(tf.int32, [])
    x = tf.placeholder(tf.float32, [2])

    def outer(i, v):
        inner = tf.while_loop(lambda j, u: j < i, lambda j, u: (j + 1, tf.tanh(u) * x + u), [0, v])
        return i + 1, inner[1] * 0.9

    _, y = tf.while_loop(lambda i, v: i < n, outer, [0, x])
    for count in (0, 1, 3, 5):
        _assert_matches_finite_differences(
            [x], [y], [np.array([0.4, -0.8], np.float32)], {n: count}
        )


def test_cond_inside_a_dynamic_loop(sess):
    n = tf.placeholder(tf.int32, [])
    x = tf.placeholder(tf.float32, [2])

    def body(i, v):
        v = tf.cond(tf.equal(i % 2, 0), lambda: tf.sin(v) * x, lambda: v * v + x)
        return i + 1, v

    _, y = tf.while_loop(lambda i, v: i < n, body, [0, x])
    for count in (1, 2, 5):
        _assert_matches_finite_differences(
            [x], [y], [np.array([0.6, -0.3], np.float32)], {n: count}
        )


def test_dynamic_loop_inside_a_cond(sess):
    n = tf.placeholder(tf.int32, [])
    x = tf.placeholder(tf.float32, [2])

    def loop():
        return tf.while_loop(lambda i, v: i < n, lambda i, v: (i + 1, tf.cos(v) + x), [0, x])[1]

    y = tf.cond(n > 2, loop, lambda: x * 3.0)
    for count in (1, 3, 6):
        _assert_matches_finite_differences([x], [y], [np.array([0.2, 0.7], np.float32)], {n: count})


def test_loop_with_data_dependent_exit_matches_finite_differences():
    # The count changes with the input only where y crosses 10: away from that, smooth.
    def fn(x):
        return tf.while_loop(lambda y: tf.reduce_sum(y) < 10.0, lambda y: y * 1.5 + 0.1, [x])

    check_gradients(fn, np.array([0.3, 0.45], np.float32))


def test_training_a_loop_invariant_variable(sess):
    n = tf.placeholder(tf.int32, [])
    w = tf.Variable([0.5, -0.3], name="w")
    _, h = tf.while_loop(lambda i, h: i < n, lambda i, h: (i + 1, tf.tanh(h * w + 1.0)), [0, w * 0])
    loss = tf.reduce_sum(tf.square(h - [0.2, 0.4]))
    (grad,) = tf.gradients(loss, w)
    train = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
    sess.run(tf.global_variables_initializer())

    def numpy_loss(w, count):
        h = np.zeros(2)
        for _ in range(count):
            h = np.tanh(h * w + 1.0)
        return np.sum((h - [0.2, 0.4]) ** 2)

    expected = np.array([0.5, -0.3])
    for count in (3, 5, 3, 8):
        eps = 1e-6
        numeric = [
            (numpy_loss(expected + eps * e, count) - numpy_loss(expected - eps * e, count))
            / 2
            / eps
            for e in np.eye(2)
        ]
        np.testing.assert_allclose(sess.run(grad, {n: count}), numeric, atol=1e-5)
        sess.run(train, {n: count})
        expected = expected - 0.5 * np.array(numeric)
        np.testing.assert_allclose(sess.run(w), expected, atol=1e-5)


def test_gradients_are_never_none_where_tensorflow_has_them(sess):
    n = tf.placeholder(tf.int32, [])
    x, c = tf.placeholder(tf.float32, []), tf.placeholder(tf.float32, [])
    _, y, z = tf.while_loop(lambda i, y, z: i < n, lambda i, y, z: (i + 1, y * c, z + y), [0, x, x])
    grads = tf.gradients(z, [x, c])
    assert all(g is not None for g in grads)
    # z = x (1 + c + ... + c^(n-1)) + x after n steps; here n = 3, x = 2, c = 0.5.
    np.testing.assert_allclose(sess.run(grads, {n: 3, x: 2.0, c: 0.5}), [2.75, 2 * (1 + 2 * 0.5)])


def test_back_prop_false_stops_gradients_of_a_dynamic_loop():
    with tf.Graph().as_default():
        n = tf.placeholder(tf.int32, [])
        x = tf.placeholder(tf.float32, [])
        y = tf.while_loop(lambda i, y: i < n, lambda i, y: (i + 1, y * x), [0, x], back_prop=False)
        assert tf.gradients(y[1], x) == [None]


def test_host_loop_gradient_is_a_lookup_error_naming_the_loop():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [1])
        _, y = tf.while_loop(
            lambda i, y: i < 3,
            lambda i, y: (i + 1, tf.concat([y, y], 0)),
            [0, x],
            shape_invariants=[tf.TensorShape([]), tf.TensorShape([None])],
            name="growing",
        )
        with pytest.raises(LookupError, match="growing.*shape"):
            tf.gradients(y, x)


def test_tensor_arrays_in_a_loop_with_a_fed_count(sess):
    n = tf.placeholder(tf.int32, [])
    xs = tf.placeholder(tf.float32, [6, 2])
    w = tf.placeholder(tf.float32, [2])
    inputs = tf.TensorArray(tf.float32, size=6).unstack(xs)

    def body(i, h, outs):
        h = tf.tanh(inputs.read(i) * w + h)
        return i + 1, h, outs.write(i, h * h)

    _, h, outs = tf.while_loop(
        lambda i, h, outs: i < n, body, [0, tf.zeros([2]), tf.TensorArray(tf.float32, size=6)]
    )
    loss = tf.reduce_sum(outs.stack()) + tf.reduce_sum(h)
    rng = np.random.default_rng(0)
    values = [rng.normal(size=(6, 2)).astype(np.float32), np.array([0.7, -0.4], np.float32)]
    for count in (2, 6, 4):
        _assert_matches_finite_differences([xs, w], [loss], values, {n: count})


def _rnn_loss(inputs, sequence_length):
    cell = tf.nn.rnn_cell.BasicRNNCell(3)
    outputs, state = tf.nn.dynamic_rnn(
        cell, inputs, sequence_length=sequence_length, dtype=tf.float32
    )
    return tf.reduce_sum(tf.square(outputs)) + tf.reduce_sum(state)


def test_dynamic_rnn_with_sequence_length_and_a_fed_max_time(sess):
    x = tf.placeholder(tf.float32, [None, 4, 2])  # time major after the transpose below
    lengths = tf.placeholder(tf.int32, [4])
    loss = _rnn_loss(tf.transpose(x, [1, 0, 2]), lengths)
    sess.run(tf.global_variables_initializer())
    rng = np.random.default_rng(1)
    for time in (5, 3):
        value = rng.normal(size=(time, 4, 2)).astype(np.float32)
        feed = {lengths: rng.integers(0, time + 1, size=4)}
        _assert_matches_finite_differences([x], [loss], [value], feed)
        grads = tf.gradients(loss, tf.trainable_variables())
        assert all(g is not None for g in grads)
        sess.run(grads, {x: value, **feed})


def test_dynamic_rnn_over_a_placeholder_of_unknown_batch_and_time(sess):
    x = tf.placeholder(tf.float32, [None, None, 2])
    loss = _rnn_loss(x, None)
    sess.run(tf.global_variables_initializer())
    rng = np.random.default_rng(2)
    for batch, time in ((2, 5), (3, 2)):
        value = rng.normal(size=(batch, time, 2)).astype(np.float32)
        _assert_matches_finite_differences([x], [loss], [value], {})


@pytest.mark.parametrize(
    "value, counting, bucket",
    [
        (0, (), 1),
        (1, (), 1),
        (2, (), 2),
        (3, (), 4),
        (5, (), 8),
        (64, (), 64),
        (65, (), 128),
        (10, (0, 1, 1, 0), 16),  # i = 0; i < 10; i += 1: 10 trips
        (3, (10, -2, 0, 1), 4),  # i = 10; i >= 3; i -= 2: 10, 8, 6, 4
        (2.5, (0, 1, 1, 1), 4),  # i <= 2.5: 0, 1, 2
        (-4, (0, 1, 1, 0), 1),  # no trips
    ],
)
def test_while_bucket_is_the_next_power_of_two_of_the_trip_count(value, counting, bucket):
    assert while_bucket(np.asarray(value), counting=counting) == bucket


def test_differentiating_a_loop_adds_its_trip_count_and_bucket(sess):
    x = tf.placeholder(tf.float32, [])
    y = tf.while_loop(lambda y: y < 100.0, lambda y: y * 2.0, [x])
    tf.gradients(y, x)
    by_type = {t.op.type: t for t in y.op.inputs}
    trips, bucket = by_type["WhileTripCount"], by_type["WhileBucket"]
    assert sess.run([trips, bucket], {x: 3.0}) == [6, 8]  # 3 -> 6 -> ... -> 192
    assert sess.run([trips, bucket], {x: 30.0}) == [2, 2]
    inputs = len(y.op.inputs)
    (g,) = tf.gradients(y * 2.0, x)  # a second gradient reuses them
    assert len(y.op.inputs) == inputs
    assert sess.run(g, {x: 3.0}) == 128.0


_TF_VALUES = json.loads(
    (pathlib.Path(tf_programs.__file__).with_name("while_loop_gradients.json")).read_text()
)


@pytest.mark.parametrize("name", sorted(tf_programs.PROGRAMS))
def test_values_and_gradients_match_tensorflow(name):
    # The same program text run by TF1 (fixture) and here; no gradient may be None.
    ours = tf_programs.evaluate(tf, name)
    for mine, theirs in zip(ours, _TF_VALUES[name], strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=2e-5, atol=2e-5)


def test_a_differentiated_dynamic_loop_survives_a_graph_def_round_trip():
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [], name="x")
        n = tf.placeholder(tf.int32, [], name="n")
        (counted,) = tf.gradients(tf.while_loop(lambda y: y < 100.0, lambda y: y * 2.0, [x]), x)
        _, v = tf.while_loop(lambda i, v: i < n, lambda i, v: (i + 1, v * x), [0, x])
        (bounded,) = tf.gradients(v, x)
    with tf.Graph().as_default(), tf.Session() as sess:
        tf.import_graph_def(graph.as_graph_def(), name="")
        # 3 doubles 6 times; v = x ** 5 after 4 steps: 5 x ** 4.
        assert sess.run([counted.name, bounded.name], {"x:0": 3.0, "n:0": 4}) == [64.0, 405.0]


def _fed_length_rnn(length: int):
    """An RNN over a fed number of steps of a [length, 2] sequence, its states written to
    a TensorArray: `(n, xs, w, loss)`."""
    n = tf.placeholder(tf.int32, [])
    xs = tf.placeholder(tf.float32, [length, 2])
    w = tf.placeholder(tf.float32, [2, 2])
    inputs = tf.TensorArray(tf.float32, size=length).unstack(xs)

    def body(t, h, outs):
        h = tf.tanh(tf.matmul(inputs.read(t)[None], w)[0] + h)
        return t + 1, h, outs.write(t, h)

    init = [0, tf.constant([0.1, -0.2]), tf.TensorArray(tf.float32, size=length)]
    _, h, outs = tf.while_loop(lambda t, h, outs: t < n, body, init)
    loss = tf.reduce_sum(
        outs.stack() * (np.arange(1.0, length + 1.0) / length)[:, None]
    ) + tf.reduce_sum(h)
    return n, xs, w, loss


def test_fed_length_rnn_at_and_around_bucket_boundaries(sess):
    # Buckets are powers of two: counts 1..9 and 16, 17 fall at, just before and just past
    # their ends (1 | 2 | 3 4 | 5 .. 8 | 9 .. 16 | 17 ..).
    n, xs, w, loss = _fed_length_rnn(17)
    rng = np.random.default_rng(3)
    values = [
        rng.normal(size=(17, 2)).astype(np.float32),
        rng.normal(size=(2, 2)).astype(np.float32),
    ]
    for count in (0, 1, 2, 3, 4, 5, 7, 8, 9, 16, 17):
        _assert_matches_finite_differences([xs, w], [loss], values, {n: count})


def test_steps_past_a_fed_length_put_no_nan_into_values_or_gradients(sess):
    # Inputs past the length are NaN (padding) and the step divides by (4 - t): a step run
    # past the count, or its residuals or cotangents, would poison the loss or gradients.
    n = tf.placeholder(tf.int32, [])
    xs = tf.placeholder(tf.float32, [8, 2])
    w = tf.placeholder(tf.float32, [2])
    inputs = tf.TensorArray(tf.float32, size=8).unstack(xs)

    def body(t, h, outs):
        scale = 1.0 / tf.cast(4 - t, tf.float32)
        h = tf.tanh(inputs.read(t) * w + h) * scale
        return t + 1, h, outs.write(t, h)

    init = [0, tf.zeros([2]), tf.TensorArray(tf.float32, size=8)]
    _, h, outs = tf.while_loop(lambda t, h, outs: t < n, body, init)
    loss = tf.reduce_sum(outs.stack()) + tf.reduce_sum(h)
    grads = tf.gradients(loss, [xs, w])
    clean = np.random.default_rng(4).normal(size=(8, 2)).astype(np.float32)
    w_value = np.array([0.6, -1.1], np.float32)
    for count in (1, 3, 4):
        padded = clean.copy()
        padded[count:] = np.nan
        got = sess.run([loss, grads], {n: count, xs: padded, w: w_value})
        want = sess.run([loss, grads], {n: count, xs: clean, w: w_value})
        assert np.isfinite(got[0]) and all(np.all(np.isfinite(g)) for g in got[1])
        np.testing.assert_allclose(got[0], want[0], rtol=1e-6)
        for g, h in zip(got[1], want[1]):
            np.testing.assert_allclose(g, h, rtol=1e-6)
        assert not got[1][0][count:].any()  # padded rows: no gradient
        _assert_matches_finite_differences([w], [loss], [w_value], {n: count, xs: clean})
