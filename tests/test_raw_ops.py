"""tf.raw_ops: op types as keyword-argument functions, checked against their OpDefs."""

from __future__ import annotations

import numpy as np
import pytest

import flowgraph as tf


def test_raw_ops_build_nodes_from_keyword_inputs_and_attrs():
    with tf.Graph().as_default():
        x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
        outs = {
            "matmul": tf.raw_ops.MatMul(a=x, b=x, transpose_a=True, name="mm"),
            "addn": tf.raw_ops.AddN(inputs=[x, x, x]),
            "concat": tf.raw_ops.ConcatV2(values=[x, x], axis=1),
            "cast": tf.raw_ops.Cast(x=x, DstT=tf.int32),
            "sum": tf.raw_ops.Sum(input=x, axis=[0], keep_dims=True),
            "split": tf.raw_ops.Split(axis=0, value=x, num_split=2),
        }
        assert outs["matmul"].op.type == "MatMul" and outs["matmul"].op.name == "mm"
        assert outs["addn"].op.get_attr("N") == 3
        got = tf.Session().run(outs)
    v = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose(got["matmul"], v.T @ v)
    np.testing.assert_allclose(got["addn"], 3 * v)
    np.testing.assert_allclose(got["concat"], np.concatenate([v, v], 1))
    assert got["cast"].dtype == np.int32 and got["sum"].tolist() == [[4.0, 6.0]]
    assert [s.tolist() for s in got["split"]] == [[[1.0, 2.0]], [[3.0, 4.0]]]


def test_raw_ops_errors():
    with tf.Graph().as_default():
        x = tf.constant([1.0])
        with pytest.raises(TypeError, match="only takes keyword args"):
            tf.raw_ops.Neg(x)
        with pytest.raises(TypeError, match="missing required argument: 'y'"):
            tf.raw_ops.Add(x=x)
        with pytest.raises(ValueError, match="bogus"):
            tf.raw_ops.Neg(x=x, bogus=1)
    with pytest.raises(AttributeError, match="NoSuchOp"):
        tf.raw_ops.NoSuchOp  # noqa: B018
    assert "MatMul" in dir(tf.raw_ops) and "NoSuchOp" not in dir(tf.raw_ops)
