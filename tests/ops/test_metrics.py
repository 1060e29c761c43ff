"""`tf.metrics` against TensorFlow's own values (tests/fixtures/tf_metrics.json) and numpy.

The fixture holds, per metric and arguments, TF 2.21 compat.v1's local variable names, the
update op's result after each of three batches and the value read afterwards; it is made by
tests/fixtures/make_tf_metrics.py.
"""

import json
import os

import numpy as np
import pytest

import flowgraph as tf

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "tf_metrics.json")
with open(FIXTURE) as f:
    CASES = json.load(f)["cases"]


def _case_id(case):
    return case["metric"] + "".join(f"-{k}={v}" for k, v in sorted(case["kwargs"].items()))


def _placeholder(batch):
    """A placeholder for one batch (a SparseTensor of three placeholders for sparse labels)."""
    if isinstance(batch, dict):
        indices, values = tf.placeholder(tf.int64, [None, 2]), tf.placeholder(tf.int64, [None])
        return tf.SparseTensor(indices, values, tf.placeholder(tf.int64, [2]))
    dtype, value = batch
    return tf.placeholder(dtype, np.shape(value))


def _feed(holders, step, inputs):
    feed = {}
    for name, holder in holders.items():
        batch = inputs[name][step]
        if isinstance(batch, dict):
            feed[holder.indices] = np.reshape(batch["indices"], [-1, 2])
            feed[holder.values], feed[holder.dense_shape] = batch["values"], batch["dense_shape"]
        else:
            feed[holder] = batch[1]
    return feed


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_metric_matches_tensorflow(case):
    with tf.Graph().as_default():
        holders = {name: _placeholder(b[0]) for name, b in case["inputs"].items()}
        value, update = getattr(tf.metrics, case["metric"])(**holders, **case["kwargs"])
        assert sorted(v.name for v in tf.local_variables()) == case["variables"]
        assert tf.get_collection(tf.GraphKeys.METRIC_VARIABLES) == tf.local_variables()
        assert not tf.global_variables()
        with tf.Session() as sess:
            sess.run(tf.local_variables_initializer())
            for step, expected in enumerate(case["updates"]):
                got = sess.run(update, _feed(holders, step, case["inputs"]))
                np.testing.assert_allclose(got, expected, rtol=2e-5, atol=1e-6, err_msg=step)
            np.testing.assert_allclose(sess.run(value), case["value"], rtol=2e-5, atol=1e-6)
