"""Tensors made inside a cond branch and used outside it (TF1's v1 cond): the branch's value
when it ran, dead otherwise (a fetch computed from it fails with TF's
`InvalidArgumentError: Retval[i] does not have value`). TensorFlow's values for these
programs are checked in test_control_flow_programs.py; here the mechanism."""

from __future__ import annotations

import numpy as np
import pytest

import flowgraph as tf
from tests.gradient_checker import compute_gradient_error


def _cond_with_inner(x, p):
    made = {}

    def true_fn():
        made["y"] = tf.sin(x) * 2.0
        return made["y"] + 1.0

    return tf.cond(p, true_fn, lambda: x - 1.0), made


def test_a_branch_value_is_an_extra_output_of_the_if_op():
    with tf.Graph().as_default():
        x, p = tf.placeholder(tf.float32, [3]), tf.placeholder(tf.bool, [])
        r, made = _cond_with_inner(x, p)
        z = made["y"] * 3.0
        w = made["y"] - 1.0  # a second use: the same output
        op = r.op
        assert op.type == "If" and len(op.outputs) == 2
        assert z.op.inputs[0] is op.outputs[1] and w.op.inputs[0] is op.outputs[1]
        assert op.outputs[1].shape.as_list() == [3] and op.get_attr("_escaped") == (0,)


def test_values_when_the_branch_ran_and_tfs_error_when_it_did_not():
    with tf.Graph().as_default(), tf.Session() as sess:
        x, p = tf.placeholder(tf.float32, [3]), tf.placeholder(tf.bool, [])
        r, made = _cond_with_inner(x, p)
        z = made["y"] * 3.0
        xs = np.array([0.1, 0.5, -2.0], np.float32)
        np.testing.assert_allclose(sess.run(z, {x: xs, p: True}), np.sin(xs) * 6.0, rtol=1e-6)
        np.testing.assert_allclose(sess.run(r, {x: xs, p: False}), xs - 1.0)  # r stays live
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"^Retval\[0\] does not have"):
            sess.run(z, {x: xs, p: False})
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"Retval\[1\] does not have"):
            sess.run([r, z], {x: xs, p: False})  # TF's index: among the sorted fetch names
        np.testing.assert_allclose(sess.run(z, {x: xs, p: False, z: xs}), xs)  # fed: live


def test_fetching_the_branch_tensor_itself_is_refused_as_tf():
    with tf.Graph().as_default(), tf.Session() as sess:
        x, p = tf.placeholder(tf.float32, [3]), tf.placeholder(tf.bool, [])
        _, made = _cond_with_inner(x, p)
        with pytest.raises(ValueError, match="Operation cond/mul has been marked as not fetch"):
            sess.run(made["y"], {x: np.zeros(3), p: True})


def test_the_gradient_through_a_branch_value_matches_finite_differences():
    with tf.Graph().as_default(), tf.Session() as sess:
        x = tf.placeholder(tf.float64, [3])
        r, made = _cond_with_inner(x, tf.constant(True))
        loss = tf.reduce_sum(made["y"] * r)
        xs = np.array([0.3, -0.7, 1.1])
        err = compute_gradient_error([x], [loss], [xs], session=sess)
        assert err < 1e-6
        skipped, made2 = _cond_with_inner(x, tf.constant(False))
        grad = tf.gradients(made2["y"] * 3.0, x)[0]
        np.testing.assert_array_equal(sess.run(grad, {x: xs}), 0.0)  # TF: zeros, not dead


def test_a_branch_value_of_a_host_cond():
    with tf.Graph().as_default(), tf.Session() as sess:
        q = tf.FIFOQueue(3, tf.float32, shapes=[[]])
        p = tf.placeholder(tf.bool, [])
        made = {}

        def true_fn():
            made["d"] = q.dequeue()
            return made["d"] * 2.0

        r = tf.cond(p, true_fn, lambda: tf.constant(-1.0))
        plus = made["d"] + 100.0
        sess.run(q.enqueue(4.0))
        assert sess.run([r, plus], {p: True}) == [8.0, 104.0]
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"Retval\[0\] does not have"):
            sess.run([r, plus], {p: False})  # TF's index: "add:0" sorts before "cond/If:0"


def test_a_branch_value_used_in_a_later_loop_body_and_another_cond():
    with tf.Graph().as_default(), tf.Session() as sess:
        x, p = tf.placeholder(tf.float32, []), tf.placeholder(tf.bool, [])
        r, made = _cond_with_inner(x, p)
        total = tf.while_loop(lambda i, s: i < 3, lambda i, s: (i + 1, s + made["y"]), [0, 0.0])
        picked = tf.cond(p, lambda: made["y"], lambda: x)  # TF: live where p is false
        got = sess.run([total, picked], {x: 0.5, p: True})
        np.testing.assert_allclose(got[0][1], 6.0 * np.sin(0.5), rtol=1e-6)
        assert sess.run(picked, {x: 0.5, p: False}) == 0.5
        with pytest.raises(tf.errors.InvalidArgumentError, match="does not have value"):
            sess.run(total, {x: 0.5, p: False})


def test_a_loop_tensor_used_outside_stays_refused_also_through_a_cond_in_the_body():
    with tf.Graph().as_default():
        made = {}

        def body(i):
            made["c"] = tf.cond(i > 1, lambda: i * 2, lambda: i)
            made["inner"] = []
            tf.cond(i > 0, lambda: made["inner"].append(i * 5) or i, lambda: i)
            return i + 1

        tf.while_loop(lambda i: i < 3, body, [0])
        with pytest.raises(ValueError, match="is in a while loop"):
            made["c"] + 1
        with pytest.raises(ValueError, match="is in a while loop"):
            made["inner"][0] + 1


def test_a_tensor_of_the_true_branch_used_in_the_false_branch():
    # TF 2.21 (v1 cond): 10.0 when the true branch runs; when the false branch runs the
    # value it used is dead, and so is the cond's output: "Retval[0] does not have value".
    with tf.Graph().as_default():
        p = tf.placeholder(tf.bool, [])
        made = {}

        def true_fn():
            made["x"] = tf.constant(5.0) * 2.0
            return made["x"]

        out = tf.cond(p, true_fn, lambda: made["x"] + 1.0)
        other = tf.cond(p, lambda: tf.constant(1.0), lambda: tf.constant(2.0))
        with tf.Session() as sess:
            assert sess.run(out, {p: True}) == 10.0
            assert sess.run(other, {p: False}) == 2.0
            with pytest.raises(tf.errors.InvalidArgumentError, match=r"Retval\[0\] does not"):
                sess.run(out, {p: False})
            with pytest.raises(tf.errors.InvalidArgumentError, match=r"Retval\[0\] does not"):
                sess.run([other, out], {p: False})  # TF numbers fetches by sorted name (TF: 0)


def test_an_assign_of_a_dead_branch_value_does_not_run():
    # TF 2.21 (v1 cond, ref variables): with the branch not taken, the assigns are dead and
    # do not run (v stays 3.0; a fetch of one fails); with it taken they do (v = 7.0).
    with tf.Graph().as_default():
        p = tf.placeholder(tf.bool, [])
        v = tf.Variable(3.0)
        made = {}

        def true_fn():
            made["x"] = tf.constant(7.0) * 1.0
            return tf.constant(1.0)

        tf.cond(p, true_fn, lambda: tf.constant(2.0))
        assign, add = v.assign(made["x"]), v.assign_add(made["x"] + 1.0)
        with tf.control_dependencies([made["x"]]):  # a control input from the branch
            ordered = tf.identity(1.0)
        with tf.Session() as sess:
            sess.run(v.initializer)
            for op in (assign.op, add.op):
                sess.run(op, {p: False})
                assert sess.run(v) == 3.0
            for fetch in (assign, ordered):
                with pytest.raises(tf.errors.InvalidArgumentError, match="does not have value"):
                    sess.run(fetch, {p: False})
            assert sess.run(v) == 3.0
            sess.run(assign.op, {p: True})
            assert sess.run(v) == 7.0
            assert sess.run(add, {p: True}) == 15.0
            assert sess.run(ordered, {p: True}) == 1.0


@pytest.mark.parametrize(
    "scatter, indices, start",
    [
        (tf.scatter_add, [0, 2, 0], [1.0, 2.0, 3.0]),
        (tf.scatter_sub, [1, 2, 2], [1.0, 2.0, 3.0]),
        (tf.scatter_update, [0, 1, 2], [1.0, 2.0, 3.0]),
        (tf.scatter_mul, [2, 0, 1], [1.0, 2.0, 3.0]),
        (tf.scatter_max, [0, 1, 2], [-5.0, 5.0, -5.0]),
    ],
)
def test_a_scatter_fed_by_a_dead_value_does_not_run(scatter, indices, start):
    # TF does not run an op whose input is dead: the variable keeps its value (ours: the
    # update becomes the identity of the scatter when the branch did not run).
    with tf.Graph().as_default(), tf.Session() as sess:
        x, p = tf.placeholder(tf.float32, [3]), tf.placeholder(tf.bool, [])
        _, made = _cond_with_inner(x, p)
        v = tf.Variable(start)
        update = scatter(v, indices, made["y"])
        sess.run(v.initializer)
        xs = np.array([0.5, 0.0, -0.5], np.float32)
        sess.run(update.op, {x: xs, p: False})
        np.testing.assert_allclose(sess.run(v), start)
        sess.run(update.op, {x: xs, p: True})
        expected = np.asarray(start, np.float64)
        ys = np.sin(xs) * 2.0
        for i, y in zip(indices, ys):
            expected[i] = {
                tf.scatter_add: lambda a, b: a + b,
                tf.scatter_sub: lambda a, b: a - b,
                tf.scatter_update: lambda a, b: b,
                tf.scatter_mul: lambda a, b: a * b,
                tf.scatter_max: max,
            }[scatter](expected[i], y)
        np.testing.assert_allclose(sess.run(v), expected, rtol=1e-6, atol=1e-7)


def test_a_scatter_with_dead_indices_does_not_run():
    with tf.Graph().as_default(), tf.Session() as sess:
        p = tf.placeholder(tf.bool, [])
        made = {}

        def true_fn():
            made["i"] = tf.constant([2, 1]) * 1
            return tf.constant(0)

        tf.cond(p, true_fn, lambda: tf.constant(1))
        v = tf.Variable([1.0, 2.0, 3.0])
        update = tf.scatter_update(v, made["i"], [7.0, 8.0])
        sess.run(v.initializer)
        sess.run(update.op, {p: False})
        assert sess.run(v).tolist() == [1.0, 2.0, 3.0]
        sess.run(update.op, {p: True})
        assert sess.run(v).tolist() == [1.0, 8.0, 7.0]


def _queue(kind):
    if kind == "fifo":
        return tf.FIFOQueue(10, tf.float32, shapes=[[2]])
    if kind == "fifo_unshaped":
        return tf.FIFOQueue(10, tf.float32)
    if kind == "random_shuffle":
        return tf.RandomShuffleQueue(10, 0, tf.float32, shapes=[[2]], seed=1)
    if kind == "padding_fifo":
        return tf.PaddingFIFOQueue(10, tf.float32, shapes=[[None]])
    return tf.PriorityQueue(10, [tf.float32], shapes=[[2]])


@pytest.mark.parametrize("taken", [True, False])
@pytest.mark.parametrize(
    "kind", ["fifo", "fifo_unshaped", "random_shuffle", "padding_fifo", "priority"]
)
def test_an_enqueue_fed_a_dead_value_does_not_enqueue(kind, taken):
    # TF 2.21 (v1 cond; tf.compat.v1, disable_control_flow_v2) ran the same program: both
    # enqueues ran; the queue then held [3, 6], [3, 6], [4, 7] when the branch ran, and
    # nothing when it did not (an op whose input is dead does not run).
    with tf.Graph().as_default(), tf.Session() as sess:
        p = tf.placeholder(tf.bool, [])
        q = _queue(kind)
        made = {}

        def true_fn():
            made["v"] = tf.constant([1.0, 2.0]) * 3.0
            return tf.constant(1.0)

        r = tf.cond(p, true_fn, lambda: tf.constant(0.0))
        v = made["v"]
        if kind == "priority":
            one = q.enqueue((tf.constant(7, tf.int64), v))
            many = q.enqueue_many((tf.constant([8, 9], tf.int64), tf.stack([v, v + 1.0])))
        else:
            one, many = q.enqueue(v), q.enqueue_many(tf.stack([v, v + 1.0]))
        sess.run([one, r], {p: taken})
        sess.run(many, {p: taken})
        n = sess.run(q.size())
        dequeue = q.dequeue()
        got = [sess.run(dequeue) for _ in range(n)]
    if kind == "priority":
        got = [value for _, value in got]
    want = [[3.0, 6.0], [3.0, 6.0], [4.0, 7.0]] if taken else []
    assert sorted(np.asarray(g).tolist() for g in got) == want


def test_an_enqueue_of_live_values_is_the_plain_op():
    with tf.Graph().as_default():
        q = tf.FIFOQueue(10, tf.float32, shapes=[[2]])
        assert q.enqueue(tf.constant([1.0, 2.0])).type == "QueueEnqueueV2"
        assert q.enqueue_many(tf.zeros([3, 2])).type == "QueueEnqueueManyV2"


@pytest.mark.parametrize("taken", [True, False])
def test_a_print_of_a_dead_value_prints_nothing(taken, capfd):
    # TF 2.21 (v1 cond): Print and tf.print fed the branch's value print only when it ran;
    # Print's output is then dead (TF's error when fetched).
    with tf.Graph().as_default(), tf.Session() as sess:
        p = tf.placeholder(tf.bool, [])
        made = {}

        def true_fn():
            made["v"] = tf.constant([1.0, 2.0]) * 5.0
            return tf.constant(1.0)

        r = tf.cond(p, true_fn, lambda: tf.constant(0.0))
        printed = tf.Print(tf.constant(3.0), [made["v"]], "PRINTED")
        op = tf.print("TFPRINT", made["v"])
        sess.run([r, op], {p: taken})
        if taken:
            assert sess.run(printed, {p: True}) == 3.0
        else:
            with pytest.raises(tf.errors.InvalidArgumentError, match="does not have value"):
                sess.run(printed, {p: False})
    err = capfd.readouterr().err
    assert ("PRINTED[5 10]" in err and "TFPRINT [5 10]" in err) if taken else "PRINT" not in err
