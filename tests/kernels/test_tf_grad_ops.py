"""TensorFlow's gradient ops against numpy (and TF's values), and their own gradients."""

from __future__ import annotations

import numpy as np
import pytest

import flowgraph as tf
from flowgraph.framework.ops import apply_op
from tests import gradient_checker

RNG = np.random.RandomState(5)
X = (RNG.randn(3, 4) * 3).astype(np.float32)  # features (around the kinks too)
G = RNG.randn(3, 4).astype(np.float32)  # the incoming gradient
ALPHA, SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


# op type -> (its first input from X, numpy reference of (first input, gradient))
CASES = {
    "TanhGrad": (np.tanh(X), lambda y, dy: dy * (1 - y * y)),
    "SigmoidGrad": (_sigmoid(X), lambda y, dy: dy * y * (1 - y)),
    "SqrtGrad": (np.sqrt(np.abs(X) + 1), lambda y, dy: dy * 0.5 / y),
    "RsqrtGrad": (1 / np.sqrt(np.abs(X) + 1), lambda y, dy: dy * -0.5 * y**3),
    "ReciprocalGrad": (1 / (np.abs(X) + 1), lambda y, dy: -dy * y * y),
}
# op type -> numpy reference of (gradients, features or outputs); these take `G` first
FEATURE_CASES = {
    "ReluGrad": (X, lambda g, x: g * (x > 0)),
    "Relu6Grad": (X, lambda g, x: g * ((x > 0) & (x < 6))),
    "LeakyReluGrad": (X, lambda g, x: np.where(x > 0, g, 0.2 * g)),
    "EluGrad": (np.where(X > 0, X, np.expm1(X)), lambda g, y: np.where(y < 0, g * (y + 1), g)),
    "SeluGrad": (
        SCALE * np.where(X > 0, X, ALPHA * np.expm1(X)),
        lambda g, y: np.where(y < 0, g * (y + ALPHA * SCALE), g * SCALE),
    ),
    "SoftplusGrad": (X, lambda g, x: g * _sigmoid(x)),
    "SoftsignGrad": (X, lambda g, x: g / (1 + np.abs(x)) ** 2),
}
OP_TYPES_TESTED = set(CASES) | set(FEATURE_CASES)
OP_TYPES_TESTED |= {"BiasAddGrad", "BroadcastGradientArgs", "StridedSliceGrad", "ConcatOffset"}
GRADIENT_CHECKED = {"TanhGrad", "SigmoidGrad", "SoftplusGrad", "SoftsignGrad", "BiasAddGrad",
                    "SqrtGrad", "RsqrtGrad", "ReciprocalGrad", "EluGrad", "SeluGrad",
                    "StridedSliceGrad"}  # fmt: skip
NOT_DIFFERENTIABLE = {
    t: "piecewise constant in its second input: finite differences across the kink"
    " disagree, and in its first it is ReluGrad's own mask (checked against numpy)"
    for t in ("ReluGrad", "Relu6Grad", "LeakyReluGrad")
}
NOT_DIFFERENTIABLE["BroadcastGradientArgs"] = "integer axes from shapes (NotDifferentiable in TF)"
NOT_DIFFERENTIABLE["ConcatOffset"] = "integer offsets from shapes (NotDifferentiable in TF)"
# (s0, s1) -> (r0, r1), as tf.raw_ops.BroadcastGradientArgs computed them (TF 2.21)
BROADCASTS = [
    ([2, 3], [3], [], [0]),
    ([1], [1], [], []),
    ([2, 1, 3], [4, 1], [1], [0, 2]),
    ([], [2, 2], [0, 1], []),
    ([5, 1], [1, 1], [1], [0, 1]),
    ([1, 1], [1], [0, 1], [0, 1]),
    ([3, 1], [1, 4], [1], [0]),
]


def _run(op_type, *values, **attrs):
    with tf.Graph().as_default(), tf.Session() as sess:
        return sess.run(apply_op(op_type, [tf.constant(v) for v in values], **attrs))


@pytest.mark.parametrize("op_type", sorted(CASES))
def test_output_based_gradients_match_numpy(op_type):
    y, ref = CASES[op_type]
    np.testing.assert_allclose(_run(op_type, y, G), ref(y, G), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("op_type", sorted(FEATURE_CASES))
def test_feature_based_gradients_match_numpy(op_type):
    x, ref = FEATURE_CASES[op_type]
    np.testing.assert_allclose(_run(op_type, G, x), ref(G, x), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("data_format", ["NHWC", "NCHW"])
def test_bias_add_grad_sums_all_but_the_channel(data_format):
    grad = RNG.randn(2, 3, 4, 5).astype(np.float32)
    axes = (0, 2, 3) if data_format == "NCHW" else (0, 1, 2)
    got = _run("BiasAddGrad", grad, data_format=data_format)
    np.testing.assert_allclose(got, grad.sum(axis=axes), rtol=1e-5)
    with tf.Graph().as_default():
        out = apply_op("BiasAddGrad", [tf.placeholder(tf.float32, [None, 3, 4, 5])],
                       data_format=data_format)  # fmt: skip
        assert out.shape.as_list() == [3 if data_format == "NCHW" else 5]


@pytest.mark.parametrize("op_type", sorted(GRADIENT_CHECKED - {"BiasAddGrad", "StridedSliceGrad"}))
def test_second_order_gradients_match_finite_differences(op_type):
    first = CASES[op_type][0] if op_type in CASES else FEATURE_CASES[op_type][0]
    first = first.astype(np.float64)
    if op_type in CASES:
        gradient_checker.check_gradients(
            lambda a, b: apply_op(op_type, [a, b]), first, G.astype(np.float64)
        )
    else:
        gradient_checker.check_gradients(
            lambda a, b: apply_op(op_type, [a, b]), G.astype(np.float64), first
        )


def test_bias_add_grad_gradient_matches_finite_differences():
    grad = RNG.randn(2, 3).astype(np.float64)
    gradient_checker.check_gradients(lambda g: apply_op("BiasAddGrad", [g]), grad)


@pytest.mark.parametrize("s0, s1, r0, r1", BROADCASTS)
def test_broadcast_gradient_args_gives_tensorflows_axes(s0, s1, r0, r1):
    with tf.Graph().as_default(), tf.Session() as sess:
        a, b = (tf.constant(s, tf.int32, shape=[len(s)]) for s in (s0, s1))
        out = apply_op("BroadcastGradientArgs", [a, b])
        assert [t.shape.as_list() for t in out] == [[len(r0)], [len(r1)]]
        got = sess.run(out)
    assert [g.tolist() for g in got] == [r0, r1]


def test_broadcast_gradient_args_of_fed_shapes_and_incompatible_ones():
    with tf.Graph().as_default(), tf.Session() as sess:
        s0 = tf.placeholder(tf.int64, [None])
        out = apply_op("BroadcastGradientArgs", [s0, tf.constant([4, 1], tf.int64)])
        got = sess.run(out, {s0: [2, 1, 3]})
        assert [g.tolist() for g in got] == [[1], [0, 2]] and got[0].dtype == np.int64
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"Incompatible shapes"):
            sess.run(out, {s0: [2, 3]})


def _strided_slice_grad(dy, **masks):
    spec = [tf.constant(v, tf.int32) for v in ([4, 3], [1, 0], [3, 3], [1, 2])]
    return apply_op("StridedSliceGrad", spec + [dy], **masks)


def test_strided_slice_grad_puts_the_gradient_where_the_slice_was():
    dy = RNG.randn(2, 2).astype(np.float32)
    expected = np.zeros([4, 3], np.float32)
    expected[1:3, 0:3:2] = dy
    with tf.Graph().as_default(), tf.Session() as sess:
        out = _strided_slice_grad(tf.constant(dy))
        assert out.shape.as_list() == [4, 3]
        np.testing.assert_array_equal(sess.run(out), expected)
        row_dy = RNG.randn(3).astype(np.float32)
        shrunk = apply_op(  # x[2] of a [4, 3] tensor: shrink_axis_mask drops the axis
            "StridedSliceGrad",
            [tf.constant(v, tf.int32) for v in ([4, 3], [2], [3], [1])] + [tf.constant(row_dy)],
            shrink_axis_mask=1,
        )
        row = sess.run(shrunk)
    expected = np.zeros([4, 3], np.float32)
    expected[2] = row_dy
    np.testing.assert_array_equal(row, expected)


def test_strided_slice_grad_gradient_matches_finite_differences():
    gradient_checker.check_gradients(_strided_slice_grad, RNG.randn(2, 2))


@pytest.mark.parametrize("axis", [1, -2])
def test_concat_offset_gives_where_each_input_starts(axis):
    # TensorFlow's documented example: shapes [2, 2, 7], [2, 3, 7], [2, 9, 7] along axis 1
    shapes = [np.asarray(s, np.int32) for s in ([2, 2, 7], [2, 3, 7], [2, 9, 7])]
    with tf.Graph().as_default():
        offsets = apply_op("ConcatOffset", [tf.constant(axis)] + [tf.constant(s) for s in shapes])
        assert [o.shape.as_list() for o in offsets] == [[3], [3], [3]]
        with tf.Session() as sess:
            got = sess.run(offsets)
    np.testing.assert_array_equal(got, [[0, 0, 0], [0, 2, 0], [0, 5, 0]])
