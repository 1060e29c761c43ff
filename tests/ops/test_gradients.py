"""tf.gradients: the backward graph, its mechanisms (overrides, custom and no gradients)."""

from __future__ import annotations

import numpy as np
import pytest

import flowgraph as tf

OP_TYPES_TESTED = {"VJP"}


@pytest.fixture
def graph():
    g = tf.Graph()
    with g.as_default():
        yield g


def run(fetches, feeds=None):
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        return sess.run(fetches, feeds)


def test_backward_ops_live_under_the_gradients_scope_one_vjp_per_op(graph):
    x = tf.placeholder(tf.float32, [3], name="x")
    y = tf.reduce_sum(tf.tanh(x) * x)
    (g,) = tf.gradients(y, [x])
    new = [op for op in graph.get_operations() if op.name.startswith("gradients/")]
    vjps = [op.name for op in new if op.type == "VJP"]
    assert sorted(vjps) == ["gradients/Sum_grad/VJP", "gradients/Tanh_grad/VJP",
                            "gradients/mul_grad/VJP"]
    xv = np.array([0.5, -1.0, 2.0], np.float32)
    expected = np.tanh(xv) + xv * (1 - np.tanh(xv) ** 2)
    np.testing.assert_allclose(run(g, {x: xv}), expected, rtol=1e-5)


def test_gradients_of_several_paths_are_summed(graph):
    x = tf.placeholder(tf.float32, [])
    y = x * x + 3.0 * x + tf.sin(x)
    (g,) = tf.gradients(y, x)
    assert g.op.type == "AddN"
    assert run(g, {x: 0.5}) == pytest.approx(2 * 0.5 + 3.0 + np.cos(0.5), rel=1e-6)


def test_unconnected_xs_get_none_or_zeros(graph):
    x, z = tf.placeholder(tf.float32, [2]), tf.placeholder(tf.float32, [2])
    y = tf.reduce_sum(x)
    assert tf.gradients(y, [x, z])[1] is None
    zero = tf.gradients(y, z, unconnected_gradients="zero")[0]
    np.testing.assert_array_equal(run(zero, {z: [1.0, 2.0]}), [0.0, 0.0])


def test_grad_ys_weights_the_outputs(graph):
    x = tf.placeholder(tf.float32, [2])
    y = 3.0 * x
    (g,) = tf.gradients(y, x, grad_ys=tf.constant([1.0, 10.0]))
    np.testing.assert_array_equal(run(g, {x: [0.0, 0.0]}), [3.0, 30.0])
    with pytest.raises(ValueError, match="grad_ys"):
        tf.gradients([y], [x], grad_ys=[None, None])


def test_gradient_with_respect_to_variables_and_broadcasting(graph):
    w = tf.Variable([[1.0, 2.0], [3.0, 4.0]], name="w")
    b = tf.Variable([0.5, -0.5], name="b")
    x = tf.placeholder(tf.float32, [None, 2])
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w) + b))
    gw, gb = tf.gradients(loss, [w, b])
    assert gw.shape.as_list() == [2, 2] and gb.shape.as_list() == [2]
    xv = np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]], np.float32)
    wv, bv = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([0.5, -0.5])
    r = xv @ wv + bv
    got_w, got_b = run([gw, gb], {x: xv})
    np.testing.assert_allclose(got_w, xv.T @ (2 * r / r.size), rtol=1e-5)
    np.testing.assert_allclose(got_b, (2 * r / r.size).sum(0), rtol=1e-5)


def test_stop_gradient_op_and_stop_gradients_argument(graph):
    x = tf.placeholder(tf.float32, [])
    a = x * 2.0
    y = tf.stop_gradient(a) * x + a
    (g,) = tf.gradients(y, x)
    assert run(g, {x: 3.0}) == pytest.approx(6.0 + 2.0)
    b = x * x
    c = b + x
    (g2,) = tf.gradients(c, x, stop_gradients=[b])
    assert run(g2, {x: 3.0}) == pytest.approx(1.0)


def test_no_gradient_for_integer_paths(graph):
    x = tf.placeholder(tf.float32, [3])
    y = tf.reduce_sum(tf.cast(tf.cast(x, tf.int32), tf.float32) + tf.cast(tf.shape(x)[0],
                                                                          tf.float32))
    assert tf.gradients(y, x) == [None]


def test_register_gradient_and_override_map(graph):
    @tf.RegisterGradient("TripleGrad_test")
    def _triple(op, grad):
        return [grad * 3.0]

    x = tf.placeholder(tf.float32, [])
    with graph.gradient_override_map({"Identity": "TripleGrad_test"}):
        y = tf.identity(x)
    z = tf.identity(x)
    (gy,) = tf.gradients(y, x)
    (gz,) = tf.gradients(z, x)
    assert run([gy, gz], {x: 1.0}) == [3.0, 1.0]
    with pytest.raises(KeyError, match="Registering two gradient"):
        tf.RegisterGradient("TripleGrad_test")(_triple)


def test_no_gradient_registration_gives_none(graph):
    tf.no_gradient("Tan")  # a registry-wide declaration, undone below
    try:
        x = tf.placeholder(tf.float32, [])
        assert tf.gradients(tf.tan(x), x) == [None]
    finally:
        from flowgraph.ops import gradients as grad_lib

        del grad_lib._gradient_registry["Tan"]


def test_missing_gradient_is_a_lookup_error(graph):
    x = tf.placeholder(tf.float32, [])
    v = tf.Variable(1.0)
    y = v.assign(x)
    with pytest.raises(LookupError, match="No gradient defined for operation"):
        tf.gradients(y, x)


def test_custom_gradient(graph):
    @tf.custom_gradient
    def clipped_identity(x):
        return tf.identity(x), lambda dy: tf.minimum(tf.maximum(dy, -1.0), 1.0)

    x = tf.placeholder(tf.float32, [3])
    y = clipped_identity(x)
    (g,) = tf.gradients(y, x, grad_ys=tf.constant([5.0, 0.5, -3.0]))
    values, grads = run([y, g], {x: [1.0, 2.0, 3.0]})
    np.testing.assert_array_equal(values, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(grads, [1.0, 0.5, -1.0])


def test_gather_gradient_is_indexed_slices(graph):
    params = tf.Variable(np.arange(12, dtype=np.float32).reshape(4, 3))
    rows = tf.gather(params, [3, 1, 3])
    (g,) = tf.gradients(tf.reduce_sum(rows * 2.0), params)
    assert isinstance(g, tf.IndexedSlices)
    values, indices, dense = run([g.values, g.indices, tf.convert_to_tensor(g)])
    assert indices.tolist() == [3, 1, 3]
    np.testing.assert_array_equal(values, np.full((3, 3), 2.0))
    np.testing.assert_array_equal(dense, [[0] * 3, [2] * 3, [0] * 3, [4] * 3])


def test_two_gathers_aggregate_to_one_indexed_slices(graph):
    params = tf.Variable(np.ones((3, 2), np.float32))
    y = tf.reduce_sum(tf.gather(params, [0])) + tf.reduce_sum(tf.gather(params, [2, 0]))
    (g,) = tf.gradients(y, params)
    assert isinstance(g, tf.IndexedSlices)
    np.testing.assert_array_equal(run(tf.convert_to_tensor(g)), [[2, 2], [0, 0], [1, 1]])


def test_hessians(graph):
    x = tf.placeholder(tf.float32, [2])
    y = x[0] ** 2 * x[1] + tf.sin(x[1])
    (h,) = tf.hessians(y, x)
    a, b = 1.5, 0.5
    expected = [[2 * b, 2 * a], [2 * a, -np.sin(b)]]
    np.testing.assert_allclose(run(h, {x: [a, b]}), expected, rtol=1e-5)


def test_gate_gradients_groups_the_inputs_gradients(graph):
    x, z = tf.placeholder(tf.float32, []), tf.placeholder(tf.float32, [])
    gx, gz = tf.gradients(x * z, [x, z], gate_gradients=True)
    assert run([gx, gz], {x: 2.0, z: 5.0}) == [5.0, 2.0]


def test_backward_compiles_into_the_forward_segment(graph):
    x = tf.placeholder(tf.float32, [4])
    y = tf.reduce_sum(tf.exp(x) * x)
    (g,) = tf.gradients(y, x)
    with tf.Session() as sess:
        sess.run([y, g], {x: np.ones(4, np.float32)})
        (only,) = sess._runs.values()
        assert [s.kind for s in only.plan.segments] == ["xla"]


def test_fetching_indexed_slices_gives_an_indexed_slices_value(graph):
    params = tf.Variable(np.ones((4, 2), np.float32))
    (g,) = tf.gradients(tf.reduce_sum(tf.gather(params, [2, 0])), params)
    value = run(g)
    assert isinstance(value, tf.IndexedSlicesValue)
    assert value.indices.tolist() == [2, 0] and value.dense_shape.tolist() == [4, 2]
    np.testing.assert_array_equal(value.values, np.ones((2, 2)))


def test_the_generic_gradient_differentiates_only_inputs_on_a_path_from_the_xs(graph):
    x = tf.placeholder(tf.float32, [2], name="x")
    c = tf.placeholder(tf.float32, [2], name="c")
    (g,) = tf.gradients(tf.reduce_sum(x * c), [x])
    (vjp,) = [op for op in graph.get_operations() if op.name.startswith("gradients/mul_grad")]
    assert vjp.get_attr("wrt") == (0,)  # c is off the path: no gradient is built for it
    np.testing.assert_allclose(run(g, {x: [1.0, 2.0], c: [3.0, 4.0]}), [3.0, 4.0])
    (both,) = [tf.gradients(tf.reduce_sum(x * c), [x, c])]
    vjps = [op for op in graph.get_operations() if op.type == "VJP" and op is not vjp]
    assert [op.get_attr("wrt") for op in vjps if "mul" in op.name] == [(0, 1)]
    np.testing.assert_allclose(run(both, {x: [1.0, 2.0], c: [3.0, 4.0]}), [[3, 4], [1, 2]])
