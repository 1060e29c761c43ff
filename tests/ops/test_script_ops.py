"""tf.py_func / numpy_function / py_function: host Python calls between compiled segments."""

from __future__ import annotations

import logging

import numpy as np
import pytest

import flowgraph as tf
from flowgraph.ops import script_ops

OP_TYPES_TESTED = {"PyFunc", "PyFuncStateless", "EagerPyFunc"}
NOT_DIFFERENTIABLE = {
    t: "a Python function: TF registers no gradient (overrides tested here)"
    for t in OP_TYPES_TESTED
}


@pytest.fixture
def graph():
    with tf.Graph().as_default() as g:
        yield g


def _run(fetches, feed_dict=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed_dict)


def test_py_func_between_compiled_ops(graph):
    x = tf.placeholder(tf.float32, [None])
    y = script_ops.py_func(np.sinh, [x * 2], tf.float32)
    z = tf.reduce_sum(y * 3)
    assert y.op.type == "PyFunc" and y.shape.ndims is None and y.dtype == tf.float32
    got = _run(z, {x: [0.5, 1.0]})
    np.testing.assert_allclose(got, 3 * np.sinh([1.0, 2.0]).sum(), rtol=1e-6)


def test_multiple_outputs_and_single_dtype_forms(graph):
    x = tf.constant([1.5, 2.5])
    pair = script_ops.py_func(lambda v: (v, v.astype(np.int32)), [x], [tf.float32, tf.int32])
    one = script_ops.py_func(lambda v: [v + 1], [x], (tf.float32,))
    none = script_ops.py_func(lambda v: None, [x], [])
    assert isinstance(pair, list) and [t.dtype for t in pair] == [tf.float32, tf.int32]
    assert isinstance(one, list) and len(one) == 1
    assert isinstance(none, tf.Operation)
    got = _run([pair, one, none])
    assert got[0][1].tolist() == [1, 2] and got[1][0].tolist() == [2.5, 3.5] and got[2] is None


def test_strings_in_and_out(graph):
    words = tf.constant(["ab", "héllo"])
    out = script_ops.py_func(
        lambda w: np.array([s.decode().upper() for s in w], object), [words], tf.string
    )
    scalar = script_ops.py_func(lambda w: "é", [words], tf.string)
    got, got_scalar = _run([out, scalar])
    assert got.tolist() == [b"AB", "HÉLLO".encode()] and got_scalar == "é".encode()


def test_stateful_flag_chooses_the_op_type_and_stateful_ops_run_every_time(graph):
    calls = []

    def count(v):
        calls.append(1)
        return np.int64(len(calls))

    stateless = script_ops.py_func(lambda v: v, [tf.constant(1)], tf.int32, stateful=False)
    stateful = script_ops.numpy_function(count, [tf.constant(1)], tf.int64)
    assert stateless.op.type == "PyFuncStateless" and stateful.op.type == "PyFunc"
    with tf.Session() as sess:
        assert [sess.run(stateful) for _ in range(3)] == [1, 2, 3]


def test_returned_dtype_must_match_tout(graph):
    x = tf.constant([1.0])
    wrong = script_ops.py_func(lambda v: v.astype(np.float64), [x], tf.float32)
    count = script_ops.py_func(lambda v: (v, v), [x], tf.float32)
    with tf.Session() as sess:
        with pytest.raises(
            tf.errors.InvalidArgumentError,
            match=r"PyFunc.*0-th value returned by pyfunc_\d+ is double, but "
            r"expects float",
        ):
            sess.run(wrong)
        with pytest.raises(tf.errors.InvalidArgumentError, match="returns 2 values, but expects"):
            sess.run(count)


@pytest.mark.parametrize(
    "exception,error",
    [
        (ValueError("bad"), tf.errors.InvalidArgumentError),
        (StopIteration(), tf.errors.OutOfRangeError),
        (NotImplementedError("later"), tf.errors.UnimplementedError),
        (ZeroDivisionError("zero"), tf.errors.UnknownError),
    ],
)
def test_python_exceptions_become_tf_errors_naming_the_op(graph, exception, error):
    def fail(v):
        raise exception

    y = script_ops.py_func(fail, [tf.constant(1.0)], tf.float32, name="failing")
    with tf.Session() as sess:
        with pytest.raises(error, match=f"failing.*{type(exception).__name__}") as info:
            sess.run(y)
    assert "test_script_ops.py" in str(info.value)  # the user's line and the traceback


def test_py_function_values_have_numpy_and_tout_structures(graph):
    x = tf.constant([1.0, 2.0])
    out = script_ops.py_function(
        lambda v: {"double": v.numpy() * 2, "pair": (1.5, np.array([3]))},
        [x],
        {"double": tf.float32, "pair": (tf.float64, tf.int32)},
    )
    assert out["double"].op.type == "EagerPyFunc"
    got = _run(out)
    assert got["double"].tolist() == [2.0, 4.0]
    assert got["pair"][0] == 1.5 and got["pair"][0].dtype == np.float64
    assert got["pair"][1].tolist() == [3] and got["pair"][1].dtype == np.int32


def test_no_gradient_by_default_and_overrides_give_one(graph):
    x = tf.constant([1.0, 2.0])
    y = script_ops.py_func(np.square, [x], tf.float32)
    assert tf.gradients(y, x) == [None]

    @tf.RegisterGradient("ApiopsSquareGrad")
    def _square_grad(op, grad):
        return [grad * 2 * op.inputs[0]]

    with graph.gradient_override_map(
        {"PyFunc": "ApiopsSquareGrad", "EagerPyFunc": "ApiopsSquareGrad"}
    ):
        y2 = script_ops.py_func(np.square, [x], tf.float32)
        y3 = script_ops.py_function(lambda v: v.numpy() ** 2, [x], tf.float32)
    grads = tf.gradients([y2, y3], x)
    np.testing.assert_allclose(_run(grads), [[4.0, 8.0]])


def test_graph_def_round_trip_warns_and_runs_only_where_the_function_lives(graph, caplog):
    y = script_ops.py_func(lambda v: v + 1, [tf.constant([1.0])], tf.float32, name="plus")
    with caplog.at_level(logging.WARNING, logger="flowgraph"):
        graph_def = graph.as_graph_def()
    assert "not serialisable" in caplog.text and "plus" in caplog.text
    node = next(n for n in graph_def.node if n.name == "plus")
    assert node.op == "PyFunc" and node.attr["token"].s.decode() == y.op.get_attr("token")
    with tf.Graph().as_default():  # same process: the token still names the function
        (imported,) = tf.import_graph_def(graph_def, return_elements=["plus:0"])
        assert _run(imported).tolist() == [2.0]
    node.attr["token"].s = b"pyfunc_unknown"
    with tf.Graph().as_default():
        (imported,) = tf.import_graph_def(graph_def, return_elements=["plus:0"])
        with pytest.raises(
            tf.errors.InvalidArgumentError, match="callback pyfunc_unknown is not found"
        ):
            _run(imported)
