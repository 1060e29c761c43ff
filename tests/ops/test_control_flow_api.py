"""TF1's API around control flow: with_dependencies, tuple, thread-local graph state,
no_op/group inside bodies, loop options that TF accepts (back_prop, parallel_iterations,
swap_memory), return_same_structure and maximum_iterations at 0 and in nested loops."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import flowgraph as tf
from flowgraph.ops.control_flow_ops import with_dependencies


@pytest.fixture
def sess():
    with tf.Graph().as_default() as g, tf.Session(graph=g) as s:
        yield s


def test_with_dependencies_runs_them_first(sess):
    v = tf.Variable(1.0)
    out = with_dependencies([tf.assign(v, 5.0)], tf.constant(2.0), name="after")
    assert out.op.name == "after"
    sess.run(v.initializer)
    assert sess.run(out) == 2.0 and sess.run(v) == 5.0
    slices = tf.IndexedSlices(tf.constant([[1.0]]), tf.constant([0]), tf.constant([2, 1]))
    kept = with_dependencies([tf.assign(v, 7.0)], slices)
    assert isinstance(kept, tf.IndexedSlices) and kept.indices is slices.indices
    np.testing.assert_allclose(sess.run(kept.values), [[1.0]])
    assert sess.run(v) == 7.0


def test_tuple_gates_every_tensor_on_all_and_on_control_inputs(sess):
    v = tf.Variable(0.0)
    a, b = tf.constant(1.0), tf.constant(2.0)
    ta, tb = tf.tuple([a, b], control_inputs=[tf.assign(v, 3.0)])
    sess.run(v.initializer)
    assert sess.run(ta) == 1.0 and sess.run(v) == 3.0
    assert ta.op.control_inputs == tb.op.control_inputs


def test_switch_to_thread_local_keeps_scopes_per_thread():
    g = tf.Graph()
    g.switch_to_thread_local()
    names = {}

    def build(key):
        with g.as_default(), tf.device(f"/cpu:{key}"):
            names[key] = tf.constant(1.0, name="c").op.device

    with g.as_default(), tf.device("/cpu:9"):
        threads = [threading.Thread(target=build, args=(k,)) for k in (0, 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
    assert names[0].endswith("CPU:0") and names[1].endswith("CPU:1")


def test_no_op_and_group_inside_loop_bodies_and_branches(sess):
    v = tf.Variable(0)

    def body(i):
        step = tf.group(tf.assign_add(v, 1), tf.no_op())
        with tf.control_dependencies([step]):
            return i + 1

    r = tf.while_loop(lambda i: i < 4, body, [0])
    c = tf.cond(tf.constant(True), lambda: tf.group(tf.no_op()), lambda: tf.no_op())
    sess.run(v.initializer)
    assert sess.run(r) == 4 and sess.run(v) == 4
    assert isinstance(c, tf.Operation) and sess.run(c) is None


@pytest.mark.parametrize("options", [
    {"parallel_iterations": 1},
    {"parallel_iterations": 32, "swap_memory": True},
    {"back_prop": False},
])  # fmt: skip
def test_loop_options_tf_accepts_give_the_same_values(sess, options):
    r = tf.while_loop(lambda i, x: i < 5, lambda i, x: (i + 1, x * 2.0), [0, 1.0], **options)
    assert sess.run(r) == [5, 32.0]


def test_parallel_iterations_must_be_positive():
    with tf.Graph().as_default():
        with pytest.raises(TypeError, match="parallel_iterations must be a positive integer"):
            tf.while_loop(lambda i: i < 5, lambda i: i + 1, [0], parallel_iterations=0)


def test_return_same_structure(sess):
    x = tf.constant(1.0)
    one = tf.while_loop(lambda x: x < 5.0, lambda x: x * 2.0, [x])
    same = tf.while_loop(lambda x: x < 5.0, lambda x: [x * 2.0], [x], return_same_structure=True)
    bare = tf.while_loop(lambda x: x < 5.0, lambda x: x * 2.0, x, return_same_structure=True)
    assert isinstance(one, tf.Tensor) and isinstance(same, list) and len(same) == 1
    assert isinstance(bare, tf.Tensor)
    assert sess.run([one, same, bare]) == [8.0, [8.0], 8.0]


def test_maximum_iterations_zero_runs_no_iteration(sess):
    n = tf.placeholder(tf.int32, [])
    static = tf.while_loop(lambda i, x: i < 10, lambda i, x: (i + 1, x * 2.0), [0, 1.0],
                           maximum_iterations=0)  # fmt: skip
    fed = tf.while_loop(lambda i, x: i < 10, lambda i, x: (i + 1, x * 2.0), [0, 1.0],
                        maximum_iterations=n)  # fmt: skip
    assert sess.run(static) == [0, 1.0]
    assert sess.run(fed, {n: 0}) == [0, 1.0]
    assert sess.run(fed, {n: 3}) == [3, 8.0]


def test_maximum_iterations_in_nested_loops_bound_each_loop(sess):
    n = tf.placeholder(tf.int32, [])

    def outer(i, total):
        inner = tf.while_loop(lambda j: j < 100, lambda j: j + 1, [0], maximum_iterations=n)
        return i + 1, total + inner

    r = tf.while_loop(lambda i, t: i < 10, outer, [0, 0], maximum_iterations=4)
    assert sess.run(r, {n: 3}) == [4, 12]
    assert sess.run(r, {n: 0}) == [4, 0]
