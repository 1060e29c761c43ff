"""cond, case, while_loop, map_fn, scan, foldl/foldr and TensorArray: values against numpy,
gradients against finite differences, side effects only in the branch that runs."""

from __future__ import annotations

import numpy as np
import pytest

import flowgraph as tf
from tests.gradient_checker import check_gradients

OP_TYPES_TESTED = {
    "If",
    "Case",
    "While",
    "RngKey",
    "DenseListGetItem",
    "DenseListSetItem",
    "DenseListGather",
    "DenseListScatter",
    "DenseListReserve",
    "DenseListStack",
}
GRADIENT_CHECKED = {
    "If",
    "Case",
    "While",
    "DenseListGetItem",
    "DenseListSetItem",
    "DenseListGather",
    "DenseListScatter",
    "DenseListStack",
}
NOT_DIFFERENTIABLE = {
    "RngKey": "produces a random key (integers)",
    "DenseListReserve": "an empty buffer from its shape and size (integers)",
}


@pytest.fixture
def sess():
    with tf.Graph().as_default() as g, tf.Session(graph=g) as s:
        yield s


# -- cond ---------------------------------------------------------------------------------


def test_cond_picks_the_branch(sess):
    x = tf.placeholder(tf.float32, [])
    y = tf.cond(x > 0, lambda: x * 2.0, lambda: x - 1.0)
    assert sess.run(y, {x: 3.0}) == 6.0
    assert sess.run(y, {x: -3.0}) == -4.0
    assert y.op.type == "If"


def test_cond_nested_structures_and_old_names(sess):
    x = tf.placeholder(tf.float32, [2])
    out = tf.cond(
        tf.reduce_sum(x) > 0,
        fn1=lambda: {"a": x + 1, "b": (x * 2, tf.constant(1))},
        fn2=lambda: {"a": x - 1, "b": (x * 3, tf.constant(2))},
    )
    got = sess.run(out, {x: [1.0, 2.0]})
    np.testing.assert_allclose(got["a"], [2, 3])
    np.testing.assert_allclose(got["b"][0], [2, 4])
    assert got["b"][1] == 1
    got = sess.run(out, {x: [-1.0, -2.0]})
    np.testing.assert_allclose(got["b"][0], [-3, -6])
    assert got["b"][1] == 2


def test_cond_strict_keeps_singletons(sess):
    p = tf.constant(True)
    loose = tf.cond(p, lambda: [tf.constant(1.0)], lambda: [tf.constant(2.0)])
    strict = tf.cond(p, lambda: [tf.constant(1.0)], lambda: [tf.constant(2.0)], strict=True)
    assert isinstance(loose, tf.Tensor)
    assert isinstance(strict, list) and len(strict) == 1
    assert sess.run(loose) == 1.0


@pytest.mark.parametrize("pred", [1, 1.0])
def test_cond_with_a_non_boolean_predicate_is_a_type_error(sess, pred):
    # TF1 builds a Switch, whose pred input must be bool.
    kind = "int32" if isinstance(pred, int) else "float32"
    message = f"Input 'pred' of 'Switch' Op has type {kind} that does not match expected type"
    with pytest.raises(TypeError, match=message):
        tf.cond(tf.constant(pred), lambda: 1.0, lambda: 2.0)


def test_cond_errors():
    with tf.Graph().as_default():
        with pytest.raises(TypeError, match="Python bool"):
            tf.cond(True, lambda: 1.0, lambda: 2.0)
        with pytest.raises(TypeError, match="callable"):
            tf.cond(tf.constant(True), 1.0, lambda: 2.0)
        with pytest.raises(ValueError, match="same type"):
            tf.cond(tf.constant(True), lambda: tf.constant(1.0), lambda: tf.constant(1))
        with pytest.raises(ValueError, match="structure"):
            tf.cond(tf.constant(True), lambda: (1.0, 2.0), lambda: 1.0)


def test_cond_reads_variables_and_assigns_only_in_the_branch_taken(sess):
    v = tf.Variable(10.0)
    counter = tf.Variable(0)
    p = tf.placeholder(tf.bool, [])
    out = tf.cond(
        p,
        lambda: tf.assign_add(counter, 1) * 0 + tf.cast(v * 2.0, tf.int32),
        lambda: tf.cast(v.read_value(), tf.int32),
    )
    sess.run(tf.global_variables_initializer())
    assert sess.run(out, {p: False}) == 10
    assert sess.run(counter) == 0
    assert sess.run(out, {p: True}) == 20
    assert sess.run(out, {p: True}) == 20
    assert sess.run(counter) == 2


def test_cond_control_dependencies_inside_branches(sess):
    v = tf.Variable(1.0)
    p = tf.placeholder(tf.bool, [])

    def true_fn():
        with tf.control_dependencies([tf.assign(v, 5.0)]):
            return v.read_value() + 1.0

    out = tf.cond(p, true_fn, lambda: v.read_value())
    sess.run(v.initializer)
    assert sess.run(out, {p: False}) == 1.0
    assert sess.run(out, {p: True}) == 6.0
    assert sess.run(v) == 5.0


def test_cond_with_string_branches_runs_on_the_host(sess):
    p = tf.placeholder(tf.bool, [])
    n = tf.placeholder(tf.int32, [])
    files = tf.cond(
        p,
        lambda: tf.string_join(["train-", tf.as_string(n)]),
        lambda: tf.constant(b"eval"),
    )
    assert sess.run(files, {p: True, n: 3}) == b"train-3"
    assert sess.run(files, {p: False, n: 3}) == b"eval"


def test_cond_gradient():
    def fn(x, y):
        return tf.cond(tf.reduce_sum(x) > 0, lambda: tf.sin(x) * y, lambda: x * x + y)

    check_gradients(fn, np.array([0.5, 1.0]), np.array([2.0, -1.0]))
    check_gradients(fn, np.array([-0.5, -1.0]), np.array([2.0, -1.0]))


def test_nested_cond(sess):
    x = tf.placeholder(tf.float32, [])
    y = tf.cond(
        x > 0,
        lambda: tf.cond(x > 10, lambda: x * 100.0, lambda: x * 10.0),
        lambda: -x,
    )
    assert sess.run(y, {x: 20.0}) == 2000.0
    assert sess.run(y, {x: 2.0}) == 20.0
    assert sess.run(y, {x: -2.0}) == 2.0


# -- case ---------------------------------------------------------------------------------


def test_case_pairs_default_and_dict(sess):
    x = tf.placeholder(tf.int32, [])
    r = tf.case(
        [(tf.equal(x, 1), lambda: tf.constant(10)), (tf.equal(x, 2), lambda: tf.constant(20))],
        default=lambda: tf.constant(-1),
    )
    assert [sess.run(r, {x: v}) for v in (1, 2, 3)] == [10, 20, -1]
    d = tf.case(
        {tf.less(x, 0): lambda: tf.constant(0), tf.less(x, 5): lambda: x * 2}, default=lambda: x
    )
    assert [sess.run(d, {x: v}) for v in (-3, 3, 7)] == [0, 6, 7]
    # The first true predicate wins when not exclusive.
    both = tf.case(
        [(tf.less(x, 10), lambda: x), (tf.less(x, 20), lambda: x * 2)], default=lambda: -x
    )
    assert sess.run(both, {x: 1}) == 1


def test_case_without_default_asserts_some_predicate(sess):
    x = tf.placeholder(tf.int32, [])
    r = tf.case(
        [(tf.equal(x, 1), lambda: tf.constant(10)), (tf.equal(x, 2), lambda: tf.constant(20))]
    )
    assert sess.run(r, {x: 1}) == 10
    assert sess.run(r, {x: 2}) == 20
    with pytest.raises(tf.errors.InvalidArgumentError, match="None of conditions"):
        sess.run(r, {x: 3})


def test_case_exclusive(sess):
    x = tf.placeholder(tf.int32, [])
    r = tf.case(
        [(tf.less(x, 10), lambda: x), (tf.less(x, 20), lambda: x * 2)],
        default=lambda: -x,
        exclusive=True,
    )
    assert sess.run(r, {x: 15}) == 30
    with pytest.raises(tf.errors.InvalidArgumentError, match="exclusive"):
        sess.run(r, {x: 1})


def test_case_gradient():
    def fn(x):
        i = tf.reduce_sum(tf.cast(x > 0, tf.int32))
        return tf.case(
            [(tf.equal(i, 0), lambda: x * 3.0), (tf.equal(i, 1), lambda: tf.exp(x))],
            default=lambda: x * x,
        )

    for v in ([-1.0, -2.0], [1.0, -2.0], [1.0, 2.0]):
        check_gradients(fn, np.array(v))


# -- while_loop -----------------------------------------------------------------------------


def test_counting_loop(sess):
    i = tf.constant(0)
    r = tf.while_loop(lambda i: tf.less(i, 10), lambda i: tf.add(i, 1), [i])
    assert sess.run(r) == 10
    assert r.op.type == "While"


def test_loop_nested_structure_and_captures(sess):
    scale = tf.placeholder(tf.float32, [])
    state = {"x": tf.constant([1.0, 2.0]), "n": tf.constant(0)}
    out = tf.while_loop(
        lambda s: s["n"] < 3,
        lambda s: {"x": s["x"] * scale, "n": s["n"] + 1},
        [state],
    )
    got = sess.run(out, {scale: 2.0})
    np.testing.assert_allclose(got["x"], [8.0, 16.0])
    assert got["n"] == 3


def test_loop_shape_invariants_let_shapes_change(sess):
    i0 = tf.constant(0)
    m0 = tf.ones([1, 2])
    i, m = tf.while_loop(
        lambda i, m: i < 3,
        lambda i, m: [i + 1, tf.concat([m, m], axis=0)],
        [i0, m0],
        shape_invariants=[i0.get_shape(), tf.TensorShape([None, 2])],
    )
    assert m.shape.as_list() == [None, 2]
    got = sess.run(m)
    assert got.shape == (8, 2)


def test_loop_shape_violation_is_an_error():
    with tf.Graph().as_default():
        i0 = tf.constant(0)
        m0 = tf.ones([1, 2])
        with pytest.raises(ValueError, match="shape_invariants"):
            tf.while_loop(
                lambda i, m: i < 3, lambda i, m: [i + 1, tf.concat([m, m], axis=0)], [i0, m0]
            )
        with pytest.raises(ValueError, match="not compatible"):
            tf.while_loop(
                lambda i, m: i < 3,
                lambda i, m: [i + 1, m],
                [i0, m0],
                shape_invariants=[i0.get_shape(), tf.TensorShape([None, 3])],
            )


def test_newton_iteration_for_sqrt(sess):
    a = tf.placeholder(tf.float64, [3])

    def body(x, k):
        return [x - (x * x - a) / (2.0 * x), k + 1]

    def cond(x, k):
        return tf.logical_and(tf.reduce_max(tf.abs(x * x - a)) > 1e-12, k < 50)

    root, steps = tf.while_loop(cond, body, [tf.ones([3], tf.float64), 0])
    values = np.array([2.0, 9.0, 0.25])
    got, k = sess.run([root, steps], {a: values})
    np.testing.assert_allclose(got, np.sqrt(values), rtol=1e-12)
    assert 0 < k < 50


def test_maximum_iterations_static_and_dynamic(sess):
    n = tf.placeholder(tf.int32, [])
    static = tf.while_loop(lambda i: i < 100, lambda i: i + 1, [0], maximum_iterations=7)
    dynamic = tf.while_loop(lambda i: i < 100, lambda i: i + 1, [0], maximum_iterations=n)
    early = tf.while_loop(lambda i: i < 3, lambda i: i + 1, [0], maximum_iterations=7)
    assert sess.run(static) == 7
    assert sess.run(dynamic, {n: 12}) == 12
    assert sess.run(early) == 3


def test_while_gradient_with_maximum_iterations():
    def fn(x):
        def body(i, y):
            return i + 1, tf.sin(y) * x + y

        return tf.while_loop(lambda i, y: i < 4, body, [0, x], maximum_iterations=4)[1]

    check_gradients(fn, np.array([0.3, -0.7, 1.1]))


def test_while_gradient_early_exit():
    # The loop stops before maximum_iterations; later steps must not contribute.
    def fn(x):
        def body(i, y):
            return i + 1, y * x

        return tf.while_loop(lambda i, y: i < 3, body, [0, x], maximum_iterations=10)[1]

    check_gradients(fn, np.array([0.5, 1.5]))


def test_back_prop_false_stops_gradients():
    with tf.Graph().as_default():
        x = tf.constant([1.0, 2.0])
        y = tf.foldl(lambda a, v: a * v, x, initializer=tf.constant(3.0), back_prop=False)
        z = tf.while_loop(lambda i, s: i < 2, lambda i, s: (i + 1, s * x), [0, x], back_prop=False)[
            1
        ]
        assert tf.gradients(y, x) == [None]
        assert tf.gradients(z, x) == [None]


def test_assign_inside_loop_body(sess):
    v = tf.Variable(0.0)

    def body(i):
        with tf.control_dependencies([tf.assign_add(v, tf.cast(i, tf.float32))]):
            return i + 1

    r = tf.while_loop(lambda i: i < 5, body, [0])
    sess.run(v.initializer)
    assert sess.run(r) == 5
    assert sess.run(v) == 10.0  # 0 + 1 + 2 + 3 + 4


def test_string_ops_in_a_body_run_as_host_callbacks(sess):
    r = tf.while_loop(lambda i: i < 30, lambda i: i + tf.strings.length(tf.as_string(i)), [1])
    assert sess.run(r) == 30  # 1, 2, 3, ..., 9, 10, 12, ..., 28, 30: lengths 1 then 2


def test_loops_with_queue_ops_or_string_loop_variables_run_on_the_host(sess):
    q = tf.FIFOQueue(10, tf.float32, shapes=[[]])
    total = tf.while_loop(lambda i, s: i < 3, lambda i, s: (i + 1, s + q.dequeue()), [0, 0.0])
    text = tf.while_loop(
        lambda i, s: i < 3,
        lambda i, s: (i + 1, tf.strings.join([s, tf.as_string(i)])),
        [0, tf.constant("x")],
    )
    assert total[1].op.get_attr("_host") and text[1].op.get_attr("_host")
    sess.run(q.enqueue_many([[1.0, 2.0, 3.0, 4.0]]))
    assert sess.run(total) == [3, 6.0] and sess.run(q.size()) == 1
    assert sess.run(text) == [3, b"x012"]


def test_random_ops_in_a_loop_body_draw_fresh_values(sess):
    tf.set_random_seed(3)
    draws = tf.while_loop(
        lambda i, ta: i < 4,
        lambda i, ta: (i + 1, ta.write(i, tf.random_uniform([]))),
        [0, tf.TensorArray(tf.float32, size=4)],
    )[1].stack()
    a, b = sess.run(draws), sess.run(draws)
    assert len(set(a.tolist())) == 4  # a new value each iteration
    assert not np.array_equal(a, b)  # and each run
    assert np.all((a >= 0) & (a < 1))


def test_variable_created_inside_a_loop_body_lives_outside(sess):
    def body(i, x):
        w = tf.get_variable("w", [], initializer=tf.constant_initializer(2.0))
        return i + 1, x * w

    with tf.variable_scope("loop"):
        _, y = tf.while_loop(lambda i, x: i < 3, body, [0, tf.constant(1.0)])
    names = [v.op.name for v in tf.global_variables()]
    assert names == ["loop/w"]
    sess.run(tf.global_variables_initializer())
    assert sess.run(y) == 8.0


# -- TensorArray, map_fn, scan, folds --------------------------------------------------------


def test_tensor_array_in_a_loop(sess):
    x = tf.placeholder(tf.float32, [5, 3])
    inputs = tf.TensorArray(tf.float32, size=5).unstack(x)
    out = tf.TensorArray(tf.float32, size=5)

    def body(t, acc, ta):
        acc = acc + inputs.read(t)
        return t + 1, acc, ta.write(t, acc)

    _, total, ta = tf.while_loop(lambda t, *_: t < 5, body, [0, tf.zeros([3]), out])
    xs = np.arange(15, dtype=np.float32).reshape(5, 3)
    got_total, stacked, size, gathered = sess.run(
        [total, ta.stack(), ta.size(), ta.gather([4, 0])], {x: xs}
    )
    np.testing.assert_allclose(stacked, np.cumsum(xs, axis=0))
    np.testing.assert_allclose(got_total, xs.sum(0))
    np.testing.assert_allclose(gathered, np.cumsum(xs, axis=0)[[4, 0]])
    assert size == 5


def test_tensor_array_outside_loops(sess):
    ta = tf.TensorArray(tf.float32, size=3)
    ta = ta.write(0, [1.0, 2.0]).write(2, [5.0, 6.0])
    ta2 = tf.TensorArray(tf.float32, size=4).scatter([1, 3], [[1.0], [3.0]])
    np.testing.assert_allclose(sess.run(ta.stack()), [[1, 2], [0, 0], [5, 6]])
    np.testing.assert_allclose(sess.run(ta.read(2)), [5, 6])
    np.testing.assert_allclose(sess.run(ta.concat()), [1, 2, 0, 0, 5, 6])
    np.testing.assert_allclose(sess.run(ta2.stack()).ravel(), [0, 1, 0, 3])
    with pytest.raises(ValueError, match="incompatible"):
        ta.write(1, [1.0, 2.0, 3.0])


def test_tensor_array_gradients():
    def fn(x):
        ta = tf.TensorArray(tf.float64, size=3).unstack(x)
        ta2 = tf.TensorArray(tf.float64, size=3).scatter([2, 0, 1], x * 2.0)
        return ta.read(1) * ta2.gather([0, 2]) + ta.write(0, x[2] * x[1]).stack()[:2]

    check_gradients(fn, np.arange(6.0).reshape(3, 2) / 5.0)


def test_tensor_arrays_whose_element_shapes_only_a_run_knows(sess):
    # unstacked from, and first written inside a loop with, a batch fed at run time: the
    # loop decides the written array's element shape when compiled for the fed shapes
    x = tf.placeholder(tf.float32, [None, None, 3])
    steps = tf.shape(x)[1]
    inputs = tf.TensorArray(tf.float32, size=steps).unstack(tf.transpose(x, [1, 0, 2]))
    w_value = np.linspace(-1.0, 1.0, 6, dtype=np.float32).reshape(3, 2)
    w = tf.constant(w_value)

    def body(t, h, out, shapes):
        h = tf.tanh(tf.matmul(inputs.read(t), w) + h)
        return t + 1, h, out.write(t, h * 2.0), shapes.write(t, tf.shape(h))

    # the shapes' array is longer than the loop: its unwritten elements stay zeros
    arrays = [tf.TensorArray(tf.float32, size=steps), tf.TensorArray(tf.int32, size=steps + 2)]
    init = tf.zeros(tf.stack([tf.shape(x)[0], 2]))
    _, h, out, shapes = tf.while_loop(lambda t, *_: t < steps, body, [0, init, *arrays])
    assert out.element_shape().as_list() == [None, 2]
    for batch, time in [(2, 4), (5, 3)]:
        xs = np.random.RandomState(batch).randn(batch, time, 3).astype(np.float32)
        want_h, want_out = np.zeros([batch, 2], np.float32), []
        for t in range(time):
            want_h = np.tanh(xs[:, t] @ w_value + want_h)
            want_out.append(want_h * 2.0)
        got_h, got_out, got_shapes = sess.run([h, out.stack(), shapes.stack()], {x: xs})
        np.testing.assert_allclose(got_h, want_h, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(got_out, np.stack(want_out), rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(got_shapes, [[batch, 2]] * time + [[0, 0]] * 2)


def test_tensor_array_element_shape_decided_when_compiled_has_gradients():
    def fn(x):
        def body(t, h, out):
            h = tf.sin(h + x[:, :2] * tf.cast(t + 1, tf.float64))
            unknown_batch = tf.placeholder_with_default(h * h, [None, 2])
            return t + 1, h, out.write(t, unknown_batch)

        out = tf.TensorArray(tf.float64, size=3)
        _, _, out = tf.while_loop(lambda t, *_: t < 3, body, [0, x[:, 1:] * 0.5, out])
        assert out.element_shape().as_list() == [None, 2]
        return out.stack()

    check_gradients(fn, np.array([[0.1, 0.2, 0.3], [0.4, -0.5, 0.6]]))


def test_map_fn(sess):
    x = tf.placeholder(tf.float32, [4, 2])
    y = tf.map_fn(lambda r: r * r + 1.0, x)
    pair = tf.map_fn(
        lambda a: (a[0] + a[1], a[0] * a[1]), (x, x * 2.0), dtype=(tf.float32, tf.float32)
    )
    xs = np.arange(8, dtype=np.float32).reshape(4, 2)
    np.testing.assert_allclose(sess.run(y, {x: xs}), xs * xs + 1)
    got = sess.run(pair, {x: xs})
    np.testing.assert_allclose(got[0], 3 * xs)
    np.testing.assert_allclose(got[1], 2 * xs * xs)


def test_scan_and_folds(sess):
    x = tf.constant([1.0, 2.0, 3.0, 4.0])
    np.testing.assert_allclose(sess.run(tf.scan(lambda a, v: a + v, x)), [1, 3, 6, 10])
    np.testing.assert_allclose(
        sess.run(tf.scan(lambda a, v: a * v, x, initializer=2.0)), [2, 4, 12, 48]
    )
    np.testing.assert_allclose(
        sess.run(tf.scan(lambda a, v: a + v, x, reverse=True)), [10, 9, 7, 4]
    )
    assert sess.run(tf.foldl(lambda a, v: a - v, x)) == 1 - 2 - 3 - 4
    assert sess.run(tf.foldr(lambda a, v: a - v, x)) == 4 - 3 - 2 - 1
    assert sess.run(tf.foldl(lambda a, v: a + v, x, initializer=10.0)) == 20.0
    fib = tf.scan(
        lambda a, _: (a[1], a[0] + a[1]),
        tf.zeros([6]),
        initializer=(tf.constant(0.0), tf.constant(1.0)),
    )
    np.testing.assert_allclose(sess.run(fib[0]), [1, 1, 2, 3, 5, 8])


def test_map_fn_scan_fold_gradients():
    check_gradients(
        lambda x: tf.map_fn(lambda r: tf.sin(r) * r, x), np.array([[0.1, 0.2], [0.3, -0.4]])
    )
    check_gradients(lambda x: tf.scan(lambda a, v: a * v + 1.0, x), np.array([0.5, -1.5, 2.0]))
    check_gradients(lambda x: tf.foldl(lambda a, v: a * v, x), np.array([0.5, -1.5, 2.0]))
    check_gradients(
        lambda x: tf.foldr(lambda a, v: a * v + a, x, initializer=tf.constant(1.0, tf.float64)),
        np.array([0.5, -1.5, 2.0]),
    )


# -- an RNN written with while_loop + TensorArray, trained --------------------------------


def _rnn_losses(use_loop: bool, steps: int = 3) -> list[float]:
    rng = np.random.RandomState(0)
    xs = rng.randn(6, 4, 3).astype(np.float32)  # time, batch, features
    ys = rng.randn(4, 5).astype(np.float32)
    with tf.Graph().as_default(), tf.Session() as sess:
        w = tf.Variable(rng.randn(3, 5).astype(np.float32) * 0.3)
        u = tf.Variable(rng.randn(5, 5).astype(np.float32) * 0.3)
        x = tf.constant(xs)
        h0 = tf.zeros([4, 5])
        if use_loop:
            inputs = tf.TensorArray(tf.float32, size=6).unstack(x)

            def body(t, h, outs):
                h = tf.tanh(tf.matmul(inputs.read(t), w) + tf.matmul(h, u))
                return t + 1, h, outs.write(t, h)

            _, h, outs = tf.while_loop(
                lambda t, *_: t < 6,
                body,
                [0, h0, tf.TensorArray(tf.float32, size=6)],
                maximum_iterations=6,
            )
            mean_out = tf.reduce_mean(outs.stack())
        else:
            h, hs = h0, []
            for t in range(6):
                h = tf.tanh(tf.matmul(x[t], w) + tf.matmul(h, u))
                hs.append(h)
            mean_out = tf.reduce_mean(tf.stack(hs))
        loss = tf.reduce_mean(tf.square(h - ys)) + mean_out
        train = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
        sess.run(tf.global_variables_initializer())
        losses = []
        for _ in range(steps):
            losses.append(sess.run([loss, train])[0])
        return losses


def test_rnn_with_while_loop_trains_like_the_unrolled_rnn():
    looped, unrolled = _rnn_losses(True), _rnn_losses(False)
    np.testing.assert_allclose(looped, unrolled, rtol=1e-5)
    assert looped[-1] < looped[0]


def test_control_flow_survives_a_graph_def_round_trip():
    # Branches and bodies travel as FunctionDefs in the GraphDef's library.
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [3], name="x")
        y = tf.cond(tf.reduce_sum(x) > 0, lambda: x * 2.0, lambda: -x, name="c")
        _, z = tf.while_loop(lambda i, s: i < 4, lambda i, s: (i + 1, s + y), [0, y], name="w")
        tf.identity(tf.map_fn(lambda e: e * e, z), name="out")
        graph_def = g.as_graph_def()
    names = [f.signature.name for f in graph_def.library.function]
    assert len(names) == 6 and len(set(names)) == 6
    with tf.Graph().as_default(), tf.Session() as sess:
        tf.import_graph_def(graph_def, name="")
        got = sess.run("out:0", {"x:0": [1.0, 2.0, 3.0]})
        np.testing.assert_allclose(got, (10 * np.array([1.0, 2.0, 3.0])) ** 2)
        got = sess.run("out:0", {"x:0": [-1.0, -2.0, -3.0]})
        np.testing.assert_allclose(got, (5 * np.array([1.0, 2.0, 3.0])) ** 2)


def test_loops_bounded_by_shapes_known_only_when_compiled_are_differentiable():
    # dynamic_rnn's loop: `t < tf.shape(x)[0]` over a placeholder with an unknown length.
    def build(x):
        n = tf.shape(x)[0]
        ta = tf.TensorArray(tf.float64, size=n).unstack(x)

        def body(t, h, out):
            h = tf.tanh(h * 0.5 + ta.read(t))
            return t + 1, h, out.write(t, h)

        _, h, out = tf.while_loop(
            lambda t, h, out: t < n,
            body,
            [0, tf.zeros_like(x[0]), tf.TensorArray(tf.float64, size=n, element_shape=[2])],
            maximum_iterations=n,
        )
        return h + tf.reduce_sum(out.stack(), axis=0)

    with tf.Graph().as_default(), tf.Session() as sess:
        x = tf.placeholder(tf.float64, [None, 2])
        y = build(x)
        (g,) = tf.gradients(tf.reduce_sum(y), x)
        for steps in (3, 5):
            xs = np.linspace(-1, 1, 2 * steps).reshape(steps, 2)
            h, acc = np.zeros(2), np.zeros(2)
            for t in range(steps):
                h = np.tanh(h * 0.5 + xs[t])
                acc += h
            np.testing.assert_allclose(sess.run(y, {x: xs}), h + acc)
            assert sess.run(g, {x: xs}).shape == (steps, 2)
    check_gradients(build, np.linspace(-1, 1, 8).reshape(4, 2))


def test_dynamic_size_tensor_arrays(sess):
    # Grown by a counting loop, one element per iteration (also with a shape-derived bound).
    x = tf.placeholder(tf.float32, [None, 2])
    n = tf.shape(x)[0]
    grown = tf.while_loop(
        lambda i, ta: i < 4,
        lambda i, ta: (i + 1, ta.write(i, tf.cast(i, tf.float32) * tf.ones([2]))),
        [0, tf.TensorArray(tf.float32, size=0, dynamic_size=True)],
    )[1]
    rows = tf.while_loop(
        lambda i, ta: i < n,
        lambda i, ta: (i + 1, ta.write(i, x[i] * 2.0)),
        [0, tf.TensorArray(tf.float32, size=0, dynamic_size=True)],
    )[1]
    outside = tf.TensorArray(tf.float32, size=0, dynamic_size=True).write(0, [1.0]).write(2, [3.0])
    np.testing.assert_allclose(sess.run(grown.stack()), [[0, 0], [1, 1], [2, 2], [3, 3]])
    assert sess.run(grown.size()) == 4
    xs = np.arange(6, dtype=np.float32).reshape(3, 2)
    np.testing.assert_allclose(sess.run(rows.stack(), {x: xs}), 2 * xs)
    np.testing.assert_allclose(sess.run(outside.stack()).ravel(), [1, 0, 3])
    # Grown by a loop whose trip count only the run finds (stepped from the host), as TF's.
    tested = tf.while_loop(
        lambda i, ta: tf.reduce_sum(x) > tf.cast(i, tf.float32),
        lambda i, ta: (i + 1, ta.write(i, tf.cast(i, tf.float32))),
        [0, tf.TensorArray(tf.float32, size=0, dynamic_size=True)],
    )[1]
    np.testing.assert_allclose(sess.run(tested.stack(), {x: xs}), np.arange(15))  # sum 15
    assert sess.run(tested.size(), {x: xs[:1]}) == 1


def test_a_growing_array_written_at_the_counter_with_an_unknown_batch(sess):
    # its element shape is decided when the loop is compiled for the fed batch
    x = tf.placeholder(tf.float32, [None, 3])
    _, _, ta = tf.while_loop(
        lambda i, h, ta: i < 4,
        lambda i, h, ta: (i + 1, tf.tanh(h), ta.write(i, h)),
        [0, x, tf.TensorArray(tf.float32, size=0, dynamic_size=True)],
    )
    for batch in (2, 5):
        xs = np.linspace(-1, 1, 3 * batch, dtype=np.float32).reshape(batch, 3)
        want = [xs, np.tanh(xs), np.tanh(np.tanh(xs)), np.tanh(np.tanh(np.tanh(xs)))]
        np.testing.assert_allclose(sess.run(ta.stack(), {x: xs}), want, rtol=1e-6)


def test_a_cond_in_a_loop_reshapes_to_a_shape_computed_outside_it(sess):
    # the branch's Reshape needs the shape when compiled: the If gets it as a static
    # input, computed (by a host op) in the loop body
    x = tf.placeholder(tf.float32, [None, 3])
    p = tf.placeholder(tf.bool, [])

    def body(i, h):
        shape = tf.dynamic_stitch([[1], [0]], [[3], tf.shape(h)[:1]])
        return i + 1, tf.cond(p, lambda: tf.reshape(tf.tanh(h), shape), lambda: h * 0.5)

    _, h = tf.while_loop(lambda i, h: i < 3, body, [0, x])
    xs = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)
    want = np.tanh(np.tanh(np.tanh(xs)))
    np.testing.assert_allclose(sess.run(h, {x: xs, p: True}), want, rtol=1e-6)
    np.testing.assert_allclose(sess.run(h, {x: xs[:1], p: False}), xs[:1] / 8)


def test_a_growing_array_is_as_long_as_its_writes_inside_its_loop(sess):
    # `ta.write(ta.size(), v)`: appended in a loop stepped from the host (TF: 1, 2, 4, 8, 16)
    x = tf.placeholder(tf.float32, [])
    v, ta = tf.while_loop(
        lambda v, ta: v < 20.0,
        lambda v, ta: (v * 2.0, ta.write(ta.size(), v)),
        [x, tf.TensorArray(tf.float32, size=0, dynamic_size=True)],
    )
    got, size = sess.run([ta.stack(), ta.size()], {x: 1.0})
    np.testing.assert_array_equal(got, [1.0, 2.0, 4.0, 8.0, 16.0])
    assert size == 5
    np.testing.assert_array_equal(sess.run(ta.stack(), {x: 5.0}), [5.0, 10.0])


def test_dynamic_size_tensor_array_length_is_unknown_until_run_as_tf(sess):
    # TF's TensorListStack shape function: a growing array's length is not static, even
    # after a loop of known trip count; a fixed-size array's is.
    grown = tf.while_loop(
        lambda i, ta: i < 3,
        lambda i, ta: (i + 1, ta.write(i, tf.cast(i, tf.float32) * tf.ones([2]))),
        [0, tf.TensorArray(tf.float32, size=0, dynamic_size=True)],
    )[1]
    written = tf.TensorArray(tf.float32, size=0, dynamic_size=True).write(1, [1.0, 2.0])
    never = tf.TensorArray(tf.float32, size=0, dynamic_size=True, element_shape=[2])
    fixed = tf.TensorArray(tf.float32, size=3, element_shape=[2]).unstack(tf.ones([3, 2]))
    outs = [grown.stack(), grown.concat(), written.stack(), never.stack(), never.concat()]
    assert [t.shape.as_list() for t in outs] == [[None, 2], [None], [None, 2], [None, 2], [None]]
    assert outs[0].op.type == "DenseListStack"
    assert fixed.stack().shape.as_list() == [3, 2] and fixed.concat().shape.as_list() == [6]
    got = sess.run(outs)
    np.testing.assert_allclose(got[0], [[0, 0], [1, 1], [2, 2]])
    np.testing.assert_allclose(got[1], [0, 0, 1, 1, 2, 2])
    np.testing.assert_allclose(got[2], [[0, 0], [1, 2]])
    assert got[3].shape == (0, 2) and got[4].shape == (0,)


def test_dynamic_size_tensor_array_stack_gradients():
    def fn(x):
        ta = tf.TensorArray(tf.float64, size=0, dynamic_size=True)
        return ta.write(0, x[1] * x[0]).write(2, tf.sin(x[2])).stack()

    check_gradients(fn, np.arange(6.0).reshape(3, 2) / 5.0)


def test_dropout_in_a_cond_branch_with_an_unknown_batch(sess):
    x = tf.placeholder(tf.float32, [None, 3])
    training = tf.placeholder_with_default(False, [])
    y = tf.cond(training, lambda: tf.nn.dropout(x, keep_prob=0.5), lambda: x)
    assert y.dtype == tf.float32 and y.shape.as_list() == [None, 3]
    xs = np.ones((4, 3), np.float32)
    np.testing.assert_array_equal(sess.run(y, {x: xs}), xs)
    dropped = sess.run(y, {x: xs, training: True})
    assert set(np.unique(dropped)) <= {0.0, 2.0}


def test_a_loops_metadata_is_one_typed_attr_that_round_trips_through_a_graph_def():
    from kernels.control_flow import LoopSpec

    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [3], name="x")
        i, v = tf.while_loop(lambda i, v: i < 5, lambda i, v: (i + 1, v * 2.0), [0, x])
    op = v.op
    private = sorted(k for k in op.node_def.attr if k.startswith("_"))
    assert private == ["_host", "_loop", "_writes"]
    spec = LoopSpec(op.get_attr("_loop"))
    assert (spec.loop_vars, spec.trip_count, spec.counting) == (2, 5, (0, 1, 1, 0))
    imported = tf.Graph()
    with imported.as_default():
        tf.import_graph_def(g.as_graph_def(), name="")
        assert imported.get_operation_by_name(op.name).get_attr("_loop") == tuple(spec)
        with tf.Session() as sess:
            out = sess.run([i.name, v.name], {"x:0": np.ones(3, np.float32)})
    assert out[0] == 5
    np.testing.assert_allclose(out[1], [32.0, 32.0, 32.0])


def test_cond_predicate_that_is_not_a_scalar_at_run_time_is_an_error():
    # TF1's cond is a Switch; TF 2.21's text for a fed [True, False] predicate. A graph of
    # its own: the op's name in the text must not depend on what earlier tests built.
    with tf.Graph().as_default():
        pred = tf.placeholder(tf.bool)
        x = tf.constant(1.0)
        out = tf.cond(pred, lambda: x + 1.0, lambda: x - 1.0)
    with tf.Session(graph=out.graph) as sess:
        assert sess.run(out, {pred: False}) == 0.0
        with pytest.raises(
            tf.errors.InvalidArgumentError,
            match=r"If op 'cond/If': The second input must be a scalar, but it has shape \[2\]",
        ):
            sess.run(out, {pred: [True, False]})
