"""The compiled-in checks' error word (`device/checks.py`): one int32 array per segment,
zero on a good step, `[1, *reports]` on a failed one, quoted arrays carried exactly; the
same word made on the host for values fed from there, before the step: a failed check
there runs nothing (the variables keep their values), a good step takes the plain path."""

from __future__ import annotations

import jax
import numpy as np
import pytest

import flowgraph as tf
from device import checks


def test_a_report_unpacks_to_what_was_packed_64_bit_values_exactly():
    labels = np.array([0, 2**40 + 5, -(2**35)], np.int64)
    small = np.array([7, -1], np.int32)
    report = checks._pack(True, (1,), (np.int64(-(2**33) + 7),), (3,), (labels, small))
    tail = [9, 9]  # the next node's report
    unpacked, rest = checks._unpack([int(x) for x in np.asarray(report)] + tail)
    bad, position, value, bound, quoted = unpacked
    assert (bad, position, value, bound) == (1, (1,), (-(2**33) + 7,), (3,))
    np.testing.assert_array_equal(quoted[0], labels)
    assert quoted[0].dtype == np.int64
    np.testing.assert_array_equal(quoted[1], small)
    assert rest == tail


def test_a_segment_returns_one_error_word_read_once_per_step(monkeypatch):
    words = []
    real = checks._raise_failed
    monkeypatch.setattr(checks, "_raise_failed", lambda n, w: words.append(w) or real(n, w))
    tf.reset_default_graph()
    ids = tf.placeholder(tf.int32, [None])
    labels = tf.placeholder(tf.int64, [None])
    # Checked values computed in the segment (fed ones are read on the host: below).
    logits = tf.gather(tf.ones([4, 3]), ids + 0)
    loss = tf.reduce_sum(
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels + 0, logits=logits)
    )
    with tf.Session() as sess:
        for _ in range(2):  # the first run (timed) and a repeated one (read with the fetches)
            sess.run(loss, {ids: [0, 3], labels: [2, 1]})
        with pytest.raises(tf.errors.InvalidArgumentError, match="Label values: 2 3"):
            sess.run(loss, {ids: [0, 3], labels: [2, 3]})
    assert len(words) == 3  # one word a step: the segment's only extra output
    assert all(isinstance(w, jax.Array) and w.dtype == np.int32 for w in words)
    assert not np.asarray(words[0]).any() and not np.asarray(words[1]).any()
    assert np.asarray(words[2])[0] == 1


def test_the_embedding_gradient_s_rows_are_checked_once_by_the_gather(monkeypatch):
    watched = []
    real = checks.checked
    monkeypatch.setattr(checks, "checked", lambda *a: watched.extend(real(*a)) or real(*a))
    tf.reset_default_graph()
    table = tf.Variable(tf.ones([4, 3]))
    other = tf.Variable(tf.ones([4]))
    ids = tf.placeholder(tf.int32, [None])
    loss = tf.reduce_sum(tf.nn.embedding_lookup(table, ids))
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    update = tf.scatter_sub(other, ids + 1, tf.ones([2]))  # other rows: checked
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run([train, update], {ids: [0, 2]})
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"indices\[1\] = 4 is not in"):
            sess.run([train, update], {ids: [0, 4]})  # the gather's error: it runs first
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"indices\[1\] = 4 is not in"):
            sess.run([train, update], {ids: [0, 3]})  # the scatter_sub's (3 + 1)
    names = {n.name for n in watched}
    assert "embedding_lookup" in names and "ScatterSub" in names
    assert not [n for n in names if n.startswith("GradientDescent/")]  # the table's update


def _fed_loss():
    tf.reset_default_graph()
    ids = tf.placeholder(tf.int32, [None])
    labels = tf.placeholder(tf.int64, [None])
    logits = tf.gather(tf.ones([4, 3]), ids)
    loss = tf.reduce_sum(
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    )
    return ids, labels, loss


def test_values_fed_from_the_host_are_checked_there_with_the_same_word(monkeypatch):
    words, compiled = [], []
    real = checks._raise_failed
    monkeypatch.setattr(checks, "_raise_failed", lambda n, w: words.append(w) or real(n, w))
    real_bad = checks._bad
    monkeypatch.setattr(checks, "_bad", lambda spec: compiled.append(spec) or real_bad(spec))
    ids, labels, loss = _fed_loss()
    with tf.Session() as sess:
        for _ in range(2):
            sess.run(loss, {ids: [0, 3], labels: [2, 1]})
        assert not compiled  # the step compiled no check
        with pytest.raises(tf.errors.InvalidArgumentError, match="Label values: 2 3"):
            sess.run(loss, {ids: [0, 3], labels: [2, 3]})
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"indices\[1\] = -1 is not in"):
            sess.run(loss, {ids: np.array([0, -1], np.int32), labels: [2, 1]})
    assert len(words) == 2  # made for the failed steps only: good ones pass with no word
    assert all(isinstance(w, np.ndarray) and w.dtype == np.int32 for w in words)
    # The failed step's word is the one the compiled checks make from the same values.
    expected = _compiled_word([0, 3], [2, 3])
    np.testing.assert_array_equal(words[0], expected)


def _compiled_word(ids_value, labels_value):
    """The word the compiled checks return for these values (fed as device arrays)."""
    words = []
    real = checks._raise_failed
    checks._raise_failed = lambda n, w: words.append(np.asarray(w)) or real(n, w)
    ids, labels, loss = _fed_loss()
    feed = {ids: np.array(ids_value, np.int32), labels: np.array(labels_value, np.int64)}
    try:
        with tf.Session() as sess:
            with pytest.raises(tf.errors.InvalidArgumentError):
                sess.run(loss, {k: jax.device_put(v) for k, v in feed.items()})
    finally:
        checks._raise_failed = real
    return words[0]


def test_values_on_a_device_at_the_first_call_keep_the_compiled_checks(monkeypatch):
    compiled = []
    real_bad = checks._bad
    monkeypatch.setattr(checks, "_bad", lambda spec: compiled.append(spec) or real_bad(spec))
    ids, labels, loss = _fed_loss()
    with tf.Session() as sess:
        device_ids = jax.device_put(np.array([0, 3], np.int32))
        sess.run(loss, {ids: device_ids, labels: np.array([2, 1])})
        assert compiled
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"indices\[0\] = 4 is not in"):
            sess.run(loss, {ids: np.array([4, 0], np.int32), labels: np.array([2, 1])})


def test_host_checks_use_the_bounds_of_the_trace_of_each_call():
    # Each params length is another trace, with its own bound: alternate between them.
    tf.reset_default_graph()
    params = tf.placeholder(tf.float32, [None])
    ids = tf.placeholder(tf.int32, [None])
    rows = tf.gather(params, ids)
    short, long = np.arange(3, dtype=np.float32), np.arange(5, dtype=np.float32)
    with tf.Session() as sess:
        for _ in range(2):
            np.testing.assert_array_equal(sess.run(rows, {params: long, ids: [4, 0]}), [4, 0])
            with pytest.raises(
                tf.errors.InvalidArgumentError, match=r"indices\[0\] = 4 is not in \[0, 3\)"
            ):
                sess.run(rows, {params: short, ids: [4, 0]})
            with pytest.raises(
                tf.errors.InvalidArgumentError, match=r"indices\[1\] = 5 is not in \[0, 5\)"
            ):
                sess.run(rows, {params: long, ids: [0, 5]})


@pytest.mark.parametrize("first", [True, False])  # failing as the step is traced, or later
def test_a_failed_check_of_fed_ids_runs_nothing_and_leaves_the_variables(first):
    tf.reset_default_graph()
    table = tf.Variable(np.arange(8, dtype=np.float32).reshape(4, 2))
    steps = tf.Variable(0)
    ids = tf.placeholder(tf.int32, [None])
    loss = tf.reduce_sum(tf.nn.embedding_lookup(table, ids))
    train = tf.group(tf.train.GradientDescentOptimizer(0.5).minimize(loss), tf.assign_add(steps, 1))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        if not first:
            sess.run(train, {ids: [0, 1]})
        before = sess.run([table, steps])
        for _ in range(2):  # again: a check failed in the trace left nothing half-made
            with pytest.raises(tf.errors.InvalidArgumentError, match=r"indices\[1\] = 4 is not"):
                sess.run(train, {ids: [3, 4]})
            after = sess.run([table, steps])
            np.testing.assert_array_equal(after[0], before[0])
            assert after[1] == before[1]
        sess.run(train, {ids: [3, 3]})  # the same step with good ids trains
        table_value, count = sess.run([table, steps])
    np.testing.assert_array_equal(table_value[3], before[0][3] - 1.0)  # two rows of 0.5
    assert count == before[1] + 1


def test_ids_bad_only_for_the_last_trace_s_bounds_pass_with_new_shapes():
    # One trace known: its bounds check a call without reading the shapes; ids they reject
    # are checked again with the bounds of the call's own shapes (a new trace's).
    tf.reset_default_graph()
    params = tf.placeholder(tf.float32, [None])
    ids = tf.placeholder(tf.int32, [None])
    rows = tf.gather(params, ids)
    short, long = np.arange(3, dtype=np.float32), np.arange(5, dtype=np.float32)
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(rows, {params: short, ids: [2, 0]}), [2, 0])
        np.testing.assert_array_equal(sess.run(rows, {params: long, ids: [4, 0]}), [4, 0])
        np.testing.assert_array_equal(sess.run(rows, {params: long, ids: [3, 1]}), [3, 1])
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"indices\[0\] = 3 is not in"):
            sess.run(rows, {params: short, ids: [3, 1]})


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint32])
@pytest.mark.parametrize("size", [1, checks._FEW, checks._FEW + 1, 1000])  # read by CPython, numpy
def test_the_host_finds_the_indices_the_compiled_check_finds_bad(dtype, size):
    rng = np.random.default_rng(size)
    low = -3 if np.dtype(dtype).kind == "i" else 0
    for bound in (100, 127, 300):
        values = rng.integers(low, bound + 2, size).astype(dtype)
        for indices in (values, values.reshape(1, -1), values[::-1], np.zeros_like(values)):
            expected = bool(np.asarray(checks._bad(checks._Spec(indices, (bound,)))).any())
            assert checks._host_failed(indices, (bound,), False, False) == expected


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.int64, np.uint32])
@pytest.mark.parametrize("size", [0, checks._FEW, checks._FEW + 1, 1000])
def test_the_bounds_only_path_finds_what_the_general_one_finds(dtype, size):
    rng = np.random.default_rng(size)
    low = -3 if np.dtype(dtype).kind == "i" else 0
    for bound in (100, 127, 300, 1 << 31):
        values = rng.integers(low, min(bound + 2, 1 << 7 if dtype == np.int8 else bound + 2), size)
        values = values.astype(dtype)
        for indices in (values, values.reshape(1, -1), values[::-1], np.zeros_like(values)):
            args = (np.zeros(2), indices, indices.tolist())  # also a list (not read unsigned)
            expected = checks._host_failed(indices, (bound,), False, False)
            assert checks._past_bounds(((1, bound),), args) == expected
            assert checks._past_bounds(((0, 5), (1, bound)), args) == expected
            assert checks._past_bounds(((2, bound),), args) == expected


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_many_fed_ids_past_either_end_raise_and_leave_the_variables(dtype):
    tf.reset_default_graph()
    table = tf.Variable(np.arange(10, dtype=np.float32).reshape(5, 2))
    ids = tf.placeholder(dtype, [None])
    loss = tf.reduce_sum(tf.nn.embedding_lookup(table, ids))
    train = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
    good = np.arange(400, dtype=dtype) % 5  # more than `_FEW`: read by numpy, unsigned
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train, {ids: good})
        before = sess.run(table)
        wide = [(3, -(1 << 40)), (5, (1 << 40) + 3)] if dtype == np.int64 else []
        for bad, value in [(399, 5), (17, -1), (0, -(1 << 31))] + wide:
            fed = good.copy()
            fed[bad] = value
            with pytest.raises(
                tf.errors.InvalidArgumentError, match=rf"indices\[{bad}\] = {value} is not in"
            ):
                sess.run(train, {ids: fed})
            np.testing.assert_array_equal(sess.run(table), before)
        fed[:] = good  # the same array, written in place: checked again, and good
        sess.run(train, {ids: fed})
        assert not np.array_equal(sess.run(table), before)
