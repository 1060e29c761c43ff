"""Tests of the executor's per-step decisions: which segments register with the loops'
polling (deadlines, cancellation) and which settle compiled-in checks with the fetches."""

from __future__ import annotations

import jax
import numpy as np
import pytest

import flowgraph as tf
from device import executor
from kernels import cancel


@pytest.fixture
def graph():
    g = tf.Graph()
    with g.as_default():
        yield g


def _plan(sess, fetches, feed_dict=None):
    sess.run(fetches, feed_dict)
    return sess._cached_run(fetches, tuple(feed_dict or ()))[0].plan


@pytest.mark.parametrize(
    "op, polls",
    [
        ("While", True),
        ("StatelessWhile", True),  # its body attrs are functions
        ("WhileTripCount", True),
        ("If", True),  # a branch may hold a loop
        ("Case", True),
        ("MapDataset", True),
        ("AddV2", False),
        ("MatMul", False),
        ("NotAnOpTypeAnywhere", True),  # no OpDef: assumed to
    ],
)
def test_an_op_type_may_poll_when_it_loops_or_holds_functions(op, polls):
    assert executor._may_poll(op) is polls


def _registered_calls(value):
    """A py_func's body: the calls registered for this thread when it runs."""
    import threading

    me = threading.get_ident()
    return np.int32(sum(1 for call in dict(cancel._running).values() if call[2] == me))


def test_a_segment_without_loops_is_not_registered_with_the_polling(graph):
    x = tf.placeholder(tf.float32, [])
    seen = tf.py_func(_registered_calls, [x * 2], tf.int32)
    with tf.Session(graph=graph) as sess:
        assert sess.run(seen, {x: 1.0}) == 0
        assert not any(step.polls for step in _plan(sess, seen, {x: 1.0}).steps)


def test_a_segment_with_an_unbounded_loop_is_registered_while_it_runs(graph):
    n = tf.placeholder(tf.int32, [])
    _, seen = tf.while_loop(
        lambda i, s: i < n,
        lambda i, s: (i + 1, tf.py_func(_registered_calls, [i], tf.int32)),
        [tf.constant(0), tf.constant(-1)],
    )
    with tf.Session(graph=graph) as sess:
        assert sess.run(seen, {n: 3}) == 1  # the loop's own call, registered once
        assert any(step.polls for step in _plan(sess, seen, {n: 3}).steps)
    assert not cancel._running  # every registration left


def test_only_a_segment_with_compiled_checks_settles_them_with_the_fetches(graph):
    table = tf.constant([[1.0], [2.0], [3.0]])
    ids = tf.placeholder(tf.int32, [None])
    x = tf.placeholder(tf.float32, [])
    gathered = tf.gather(table, ids + 0)  # computed ids: checked in the step
    fed = tf.gather(table, ids)  # fed ids: checked on the host before the step
    with tf.Session(graph=graph) as sess:
        checked = _plan(sess, gathered, {ids: [0, 2]})
        plain = _plan(sess, x + 1, {x: 1.0})
        host = _plan(sess, fed, {ids: [0, 2]})
        assert executor._checked(checked.steps[-1].call)
        assert checked._settled is checked.steps[-1] and not checked._direct
        assert not executor._checked(plain.steps[-1].call) and plain._settled is None
        assert not executor._checked(host.steps[-1].call)
        assert host._settled is None and host._direct
        for fetch in (gathered, fed):
            np.testing.assert_array_equal(sess.run(fetch, {ids: [2, 0]}), [[3.0], [1.0]])
            with pytest.raises(tf.errors.InvalidArgumentError, match=r"indices\[1\] = 7"):
                sess.run(fetch, {ids: [0, 7]})
        assert sess.run(x + 1, {x: 2.0}) == 3.0


def test_a_direct_plan_fetches_its_outputs_in_the_order_asked(graph):
    a = tf.placeholder(tf.float32, [])
    b = tf.placeholder(tf.float32, [])
    total, product = a + b, a * b
    with tf.Session(graph=graph) as sess:
        assert sess.run([product, total], {a: 2.0, b: 5.0}) == [10.0, 7.0]
        assert sess.run([total, product], {a: 2.0, b: 5.0}) == [7.0, 10.0]
        assert sess.run([total, total, product], {a: 1.0, b: 1.0}) == [2.0, 2.0, 1.0]


def test_a_numpy_scalar_fed_twice_in_a_row_is_kept_on_the_device(graph):
    a = tf.placeholder(tf.float32, [], name="a")
    b = tf.placeholder(tf.float32, [], name="b")
    c = a * b + 1.0
    x, y = np.float32(1.5), np.float32(2.0)
    with tf.Session() as sess:
        plan = _plan(sess, c, {a: x, b: y})
        assert plan._scalars == (0, 1)
        for _ in range(3):
            assert sess.run(c, {a: x, b: y}) == np.float32(4.0)
        held = [h[1] for h in plan._held]
        assert all(isinstance(h, jax.Array) for h in held) and float(held[0]) == 1.5
        # Another object, of another value or the same: each gives its own value.
        assert sess.run(c, {a: np.float32(3.0), b: y}) == np.float32(7.0)
        assert sess.run(c, {a: x, b: np.float32(-1.0)}) == np.float32(-0.5)
        assert sess.run(c, {a: np.array(2.0, np.float32), b: y}) == np.float32(5.0)
        assert sess.run(c, {a: 0.5, b: y}) == np.float32(2.0)
        assert sess.run(c, {a: x, b: y}) == np.float32(4.0)


def test_scalars_read_by_host_checks_or_a_host_op_stay_numpy(graph):
    params = tf.constant([1.0, 2.0, 3.0])
    index = tf.placeholder(tf.int32, [], name="index")
    picked = tf.gather(params, index)  # its index is checked on the host
    with tf.Session() as sess:
        plan = _plan(sess, picked, {index: np.int32(1)})
        assert plan._scalars == ()
        for _ in range(2):
            assert sess.run(picked, {index: np.int32(2)}) == np.float32(3.0)
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"indices = 3 is not in"):
            sess.run(picked, {index: np.int32(3)})


def test_a_gradient_step_polls_only_where_its_forward_ops_may(graph):
    x = tf.placeholder(tf.float32, [None, 3])
    w = tf.Variable(tf.ones([3, 2]))
    loss = tf.reduce_sum(tf.nn.relu(tf.matmul(x, w)))
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    n = tf.placeholder(tf.int32, [])
    _, looped = tf.while_loop(lambda i, v: i < n, lambda i, v: (i + 1, v * w), [0, w])
    looped_train = tf.train.GradientDescentOptimizer(0.1).minimize(tf.reduce_sum(looped))
    feed = {x: np.ones((2, 3), np.float32)}
    with tf.Session(graph=graph) as sess:
        sess.run(tf.global_variables_initializer())
        plan = _plan(sess, train, feed)
        assert any(n.op == "VJP" for s in plan.segments for n in s.nodes)
        assert not any(step.polls for step in plan.steps)
        plan = _plan(sess, looped_train, {n: 2})
        assert any(step.polls for step in plan.steps)
