"""check_numerics, Assert, the assert_* family and tf.print against TF1's behaviour."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import flowgraph as tf
from flowgraph.ops import check_ops, logging_ops
from tests.gradient_checker import check_gradients

OP_TYPES_TESTED = {"CheckNumerics", "Assert", "StringFormat", "PrintV2"}
GRADIENT_CHECKED = {"CheckNumerics"}
NOT_DIFFERENTIABLE = {
    "Assert": "an op with no outputs",
    "StringFormat": "string output",
    "PrintV2": "an op with no outputs",
}

InvalidArgumentError = tf.errors.InvalidArgumentError


@pytest.fixture
def graph():
    g = tf.Graph()
    with g.as_default():
        yield g


def test_check_numerics_passes_values_and_shapes(graph):
    x = tf.placeholder(tf.float32, [None, 3])
    y = check_ops.check_numerics(x, "msg")
    assert y.op.type == "CheckNumerics" and y.op.name == "CheckNumerics"
    assert y.shape.as_list() == [None, 3] and y.dtype == tf.float32
    z = check_ops.check_numerics(tf.constant(np.ones((2, 3))), "m", name="chk")
    assert z.shape.as_list() == [2, 3] and z.dtype == tf.float64 and z.op.name == "chk"
    v = np.arange(6, dtype=np.float32).reshape(2, 3)
    with tf.Session() as sess:
        out = sess.run(y * 2, {x: v})
        np.testing.assert_array_equal(out, v * 2)
        assert out.dtype == np.float32
        for bad, what in [(np.nan, "NaN"), (np.inf, "Inf")]:
            v2 = v.copy()
            v2[1, 1] = bad
            with pytest.raises(InvalidArgumentError, match=f"msg : Tensor had {what} values"):
                sess.run(y, {x: v2})
        v2 = v.copy()
        v2[0] = [np.nan, np.inf, 0]
        with pytest.raises(InvalidArgumentError, match="CheckNumerics.*Inf and NaN values"):
            sess.run(y, {x: v2})


def test_check_numerics_rejects_integers(graph):
    with pytest.raises(TypeError, match="CheckNumerics"):
        check_ops.check_numerics(tf.constant([1, 2]), "m")


def test_check_numerics_gradient(graph):
    check_gradients(lambda x: check_ops.check_numerics(x * x, "m"), np.array([1.0, -2.0, 3.0]))


def test_verify_tensor_all_finite(graph):
    x = tf.placeholder(tf.float64, [2])
    y = check_ops.verify_tensor_all_finite(x, "not finite")
    assert y.op.type == "Identity" and y.op.name == "VerifyFinite"
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(y, {x: [1.0, 2.0]}), [1.0, 2.0])
        with pytest.raises(InvalidArgumentError, match="not finite : Tensor had NaN"):
            sess.run(y, {x: [1.0, np.nan]})


def test_assert_op_formats_data_like_print(graph):
    c = tf.placeholder(tf.bool, [])
    x = tf.constant([[1, 2], [3, 4]])
    op = check_ops.Assert(c, ["value:", x], summarize=3, name="check")
    assert op.type == "Assert" and op.name == "check" and not op.outputs
    with tf.Session() as sess:
        sess.run(op, {c: True})
        with pytest.raises(InvalidArgumentError) as e:
            sess.run(op, {c: False})
    assert "assertion failed: [value:] [[1 2][3...]...]" in str(e.value)
    assert "'check'" in str(e.value)


def test_assert_guards_through_control_dependencies(graph):
    x = tf.placeholder(tf.float32, [None])
    with tf.control_dependencies([check_ops.assert_positive(x)]):
        y = tf.identity(x)
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(y, {x: [1.0, 2.0]}), [1.0, 2.0])
        with pytest.raises(InvalidArgumentError, match=r"\[Condition x > 0 did not hold"):
            sess.run(y, {x: [1.0, -2.0]})


@pytest.mark.parametrize(
    "fn, ok, bad",
    [
        (check_ops.assert_equal, ([1, 2], [1, 2]), ([1, 2], [1, 3])),
        (check_ops.assert_none_equal, ([1, 2], [2, 1]), ([1, 2], [1, 3])),
        (check_ops.assert_less, ([1, 2], [2, 3]), ([1, 2], [2, 2])),
        (check_ops.assert_less_equal, ([1, 2], [1, 2]), ([1, 3], [2, 2])),
        (check_ops.assert_greater, ([2, 3], [1, 2]), ([2, 2], [1, 2])),
        (check_ops.assert_greater_equal, ([1, 2], [1, 2]), ([1, 1], [1, 2])),
    ],
)
def test_binary_asserts(graph, fn, ok, bad):
    x = tf.placeholder(tf.int32, [None])
    y = tf.placeholder(tf.int32, [None])
    op = fn(x, y, message="hello")
    assert op.type == "Assert" and op.name == f"{fn.__name__}/Assert"
    with tf.Session() as sess:
        sess.run(op, {x: ok[0], y: ok[1]})
        with pytest.raises(InvalidArgumentError, match=r"assertion failed: \[hello\] \[Condition"):
            sess.run(op, {x: bad[0], y: bad[1]})
    fn(tf.constant(ok[0]), tf.constant(ok[1]))  # constants that hold: no error
    with pytest.raises(InvalidArgumentError, match="Condition x"):
        fn(tf.constant(bad[0]), tf.constant(bad[1]))  # constants that fail: raised now


@pytest.mark.parametrize(
    "fn, ok, bad",
    [
        (check_ops.assert_positive, [1, 2], [0, 1]),
        (check_ops.assert_non_negative, [0, 2], [-1, 1]),
        (check_ops.assert_negative, [-1, -2], [0, -1]),
        (check_ops.assert_non_positive, [0, -2], [1, -1]),
    ],
)
def test_sign_asserts(graph, fn, ok, bad):
    x = tf.placeholder(tf.float32, [2])
    op = fn(x)
    assert op.name.startswith(fn.__name__ + "/")
    with tf.Session() as sess:
        sess.run(op, {x: ok})
        with pytest.raises(InvalidArgumentError, match=r"assertion failed: \[\] \[Condition x"):
            sess.run(op, {x: bad})


def test_assert_rank(graph):
    x = tf.placeholder(tf.float32, [2, 3])
    assert check_ops.assert_rank(x, 2).type == "NoOp"
    with pytest.raises(ValueError, match="must have rank 3.  Received rank 2"):
        check_ops.assert_rank(x, 3)
    u = tf.placeholder(tf.float32)
    op = check_ops.assert_rank(u, 2)
    with tf.Session() as sess:
        sess.run(op, {u: np.zeros((1, 1))})
        with pytest.raises(InvalidArgumentError, match="must have rank"):
            sess.run(op, {u: np.zeros(3)})


def test_assert_type_and_scalar(graph):
    x = tf.constant([1.0])
    assert check_ops.assert_type(x, tf.float32).type == "NoOp"
    with pytest.raises(TypeError, match="must be of type"):
        check_ops.assert_type(x, tf.int32)
    s = tf.constant(1.0)
    assert check_ops.assert_scalar(s) is s
    with pytest.raises(ValueError, match="Expected scalar shape"):
        check_ops.assert_scalar(x)
    assert check_ops.is_numeric_tensor(x) and not check_ops.is_numeric_tensor(tf.constant("a"))


def test_print_v2_formats_like_tf(graph, capsys):
    x = tf.placeholder(tf.float32, [None, 2])
    op = logging_ops.print_v2("x:", x, "n", tf.constant(True), output_stream=sys.stdout)
    assert op.type == "PrintV2" and op.inputs[0].op.type == "StringFormat"
    op2 = logging_ops.print_v2(tf.constant([b"a", b"b"]), tf.constant("raw"), sep="|", end="!")
    with tf.Session() as sess:
        sess.run(op, {x: np.arange(20, dtype=np.float32).reshape(10, 2) / 2})
        sess.run(op2)
    out, err = capsys.readouterr()
    assert out == "x: [[0 0.5]\n [1 1.5]\n [2 2.5]\n ...\n [7 7.5]\n [8 8.5]\n [9 9.5]] n 1\n"
    assert err == '["a" "b"]|raw!'
    with pytest.raises(ValueError, match="output stream"):
        logging_ops.print_v2(x, output_stream=object())
