"""The checks XLA skips, compiled into segments (`device.checks`): TensorFlow's error class
and text for bad index and divisor values (`tests/fixtures/checks.json`, made by
`tests/fixtures/make_checks.py`), naming the op and the user's line; the off switch."""

from __future__ import annotations

import json
import os
import re
import time

import numpy as np
import pytest

import flowgraph as tf
from device import checks
from tests.ops.checks_cases import CASES, summing_loop

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "checks.json")

with open(FIXTURE) as f:
    EXPECTED = json.load(f)


def run(tensor):
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        return sess.run(tensor)


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_value_raises_tensorflows_error(name):
    tf.reset_default_graph()
    tensor = CASES[name](tf)
    error, text = EXPECTED[name]
    with pytest.raises(getattr(tf.errors, error)) as caught:
        run(tensor)
    message = caught.value.message
    assert text in message
    # The op (its type and name), and the user's line that made it.
    assert re.match(r"\w+ op '[\w/]+': ", message), message
    assert re.search(r"defined at .*checks_cases\.py:\d+", message), message


class _Fed:
    """flowgraph whose integer constants are placeholders fed the same values: the checks
    of values fed from the host, read there (`device.checks.HostChecks`)."""

    def __init__(self):
        self.feeds = {}

    def __getattr__(self, name):
        return getattr(tf, name)

    def constant(self, value, *args, **kwargs):
        made = tf.constant(value, *args, **kwargs)
        if not made.dtype.is_integer:
            return made
        fed = tf.placeholder(made.dtype, made.shape)
        self.feeds[fed] = np.asarray(value, made.dtype.as_numpy_dtype)
        return fed


@pytest.mark.parametrize("name", sorted(n for n in CASES if "_in_" not in n))  # no bodies
def test_bad_value_fed_from_the_host_raises_tensorflows_error(name, monkeypatch):
    read = []
    real = checks._host_failed
    monkeypatch.setattr(checks, "_host_failed", lambda *a: read.append(a) or real(*a))
    tf.reset_default_graph()
    fed = _Fed()
    tensor = CASES[name](fed)
    error, text = EXPECTED[name]
    with pytest.raises(getattr(tf.errors, error)) as caught:
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(tensor, fed.feeds)
    assert text in caught.value.message
    assert re.search(r"defined at .*checks_cases\.py:\d+", caught.value.message)
    assert read  # read on the host


def test_good_values_pass_and_give_the_values():
    tf.reset_default_graph()
    params = tf.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    out = run(
        [
            tf.gather(params, [2, 0]),
            tf.gather_nd(params, [[1, 1]]),
            tf.floordiv(tf.constant([7, -7]), tf.constant([2, 2])),
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[1], logits=[[0.0, 0.0]]),
        ]
    )
    np.testing.assert_allclose(out[0], [[5.0, 6.0], [1.0, 2.0]])
    np.testing.assert_allclose(out[1], [4.0])
    np.testing.assert_array_equal(out[2], [3, -4])
    np.testing.assert_allclose(out[3], [np.log(2.0)], rtol=1e-6)


def test_a_failed_check_in_a_training_step_names_the_op():
    tf.reset_default_graph()
    table = tf.Variable(tf.ones([4, 3]))
    ids = tf.placeholder(tf.int32, [None])
    loss = tf.reduce_sum(tf.nn.embedding_lookup(table, ids))
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train, {ids: [0, 3]})
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"indices\[1\] = 4 is not in"):
            sess.run(train, {ids: [1, 4]})
        sess.run(train, {ids: [1, 2]})  # the session goes on


def test_a_failed_check_in_a_loop_trained_through_names_the_op():
    # The forward loop runs under jax.vjp (its gradient reuses the linearization), which
    # drops checkify's checks unless they are carried out of it.
    tf.reset_default_graph()
    w = tf.Variable(tf.ones([5]))
    ids = tf.placeholder(tf.int32, [3])
    loss = summing_loop(tf, ids, 3, w * w)
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train, {ids: [0, 1, 1]})
        np.testing.assert_allclose(sess.run(w), [0.8, 0.6, 1, 1, 1])  # w - 0.1 * 2w * count
        with pytest.raises(tf.errors.InvalidArgumentError) as caught:
            sess.run(train, {ids: [0, 9, 1]})
        assert re.match(
            r"GatherV2 op 'while/[\w/]+': indices = 9 is not in \[0, 5\)", caught.value.message
        )
        assert "checks_cases.py" in caught.value.message  # the line in the loop body


def test_a_check_in_a_branch_not_taken_does_not_fire():
    tf.reset_default_graph()
    pred = tf.placeholder(tf.bool, [])
    out = tf.cond(pred, lambda: tf.gather(tf.constant([1.0, 2.0]), 5), lambda: tf.constant(-1.0))
    with tf.Session() as sess:
        assert sess.run(out, {pred: False}) == -1.0
        with pytest.raises(tf.errors.InvalidArgumentError, match="indices = 5 is not in"):
            sess.run(out, {pred: True})


def test_the_switch_compiles_the_checks_out(monkeypatch):
    monkeypatch.setenv("FLOWGRAPH_CHECKS", "0")
    tf.reset_default_graph()
    out = run(tf.gather(tf.constant([1.0, 2.0, 3.0]), tf.constant([0, 5])))
    np.testing.assert_allclose(out, [1.0, 0.0])  # XLA's fill value, unchecked
    tf.reset_default_graph()
    out = run(summing_loop(tf, tf.constant([0, 9]), 2))
    np.testing.assert_allclose(out, 1.0)  # unchecked inside a loop too


def test_sparse_updates_of_repeated_rows_pass():
    # Adam sums repeated rows first (DeduplicateIndexedSlices), padding with rows past the
    # table that its scatter_adds leave alone: not bad indices.
    tf.reset_default_graph()
    table = tf.Variable(tf.ones([4, 2]))
    loss = tf.reduce_sum(tf.nn.embedding_lookup(table, tf.constant([1, 1, 3])))
    train = tf.train.AdamOptimizer(0.1).minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train)
        got = sess.run(table)
    np.testing.assert_allclose(got[[0, 2]], 1.0)
    np.testing.assert_allclose(got[[1, 3]], 0.9, rtol=1e-5)  # Adam's first step: lr * sign


@pytest.mark.parametrize("fetch_the_feed", [False, True])  # one segment fed directly; or not
def test_a_repeated_run_reads_its_checks_with_the_fetches(fetch_the_feed):
    # After a plan's first run its last segment's checks are read when the fetches are.
    tf.reset_default_graph()
    ids = tf.placeholder(tf.int32, [None])
    rows = tf.gather(tf.constant([10.0, 20.0, 30.0]), ids) * 2.0
    fetches = [rows, ids] if fetch_the_feed else [rows]
    with tf.Session() as sess:
        for good in ([0, 2], [2, 1]):
            np.testing.assert_allclose(
                sess.run(fetches, {ids: good})[0], np.take([20, 40, 60], good)
            )
            with pytest.raises(tf.errors.InvalidArgumentError, match=r"indices\[0\] = 3 is not"):
                sess.run(fetches, {ids: [3, 0]})


def _forever_in_body(tf, params):
    return lambda i, acc: (i + 1, acc + tf.gather(params, i))


def _forever_in_branch(tf, params):
    def body(i, acc):
        row = tf.cond(i >= 0, lambda: tf.gather(params, i), lambda: tf.constant(0.0))
        return i + 1, acc + row

    return body


def _forever_in_inner_loop(tf, params):
    def body(i, acc):
        inner = tf.while_loop(
            lambda j, a: j < 2, lambda j, a: (j + 1, a + tf.gather(params, i + j)), [0, 0.0]
        )[1]
        return i + 1, acc + inner

    return body


@pytest.mark.parametrize("body", [_forever_in_body, _forever_in_branch, _forever_in_inner_loop])
def test_a_failed_check_stops_a_loop_that_would_run_forever(body):
    # TF raises at the iteration that reads index 5; the clamped read (0) would keep `acc`
    # non-negative, the loop's condition true, and the loop running until the deadline.
    tf.reset_default_graph()
    params = tf.constant([1.0, 2.0, 3.0, 4.0, 5.0])
    loop = tf.while_loop(lambda i, acc: acc >= 0.0, body(tf, params), [0, 0.0])
    options = tf.RunOptions(timeout_in_ms=30000)  # a loop that ran on would time out
    with tf.Session() as sess:
        start = time.monotonic()
        with pytest.raises(tf.errors.InvalidArgumentError) as caught:
            sess.run(loop, options=options)
        assert time.monotonic() - start < 20
    assert re.match(
        r"GatherV2 op 'while/[\w/]+': indices = 5 is not in \[0, 5\)", caught.value.message
    )
    assert "test_checks_compiled.py" in caught.value.message


def test_a_loop_without_checks_beside_one_with_them_runs_as_it_did():
    tf.reset_default_graph()
    plain = tf.while_loop(lambda i: i < 3, lambda i: i + 1, [0])  # traced first, no checks
    total = summing_loop(tf, tf.constant([0, 4, 1]), 3)
    with tf.Session() as sess:
        assert sess.run([plain, total]) == [3, 8.0]
