"""tf.estimator.inputs.numpy_input_fn: batches in order, epochs, the end of input, and
TF's argument errors (pandas_input_fn needs pandas, which flowgraph does not require)."""

from __future__ import annotations

import numpy as np
import pytest

import flowgraph as tf

numpy_input_fn = tf.estimator.inputs.numpy_input_fn


def _drain(fetches):
    batches = []
    with tf.Session() as session:
        try:
            while True:
                batches.append(session.run(fetches))
        except tf.errors.OutOfRangeError:
            return batches


def test_batches_in_order_with_a_partial_last_batch():
    x = {"b": np.arange(5.0), "a": np.arange(10, 15)}
    y = np.arange(100, 105)
    with tf.Graph().as_default():
        features, target = numpy_input_fn(x, y, batch_size=2, shuffle=False, num_epochs=2)()
        assert sorted(features) == ["a", "b"] and features["a"].dtype == tf.int64
        batches = _drain((features, target))
    assert [len(t) for _, t in batches] == [2, 2, 2, 2, 2]
    np.testing.assert_array_equal(np.concatenate([t for _, t in batches]), np.tile(y, 2))
    np.testing.assert_array_equal(np.concatenate([f["b"] for f, _ in batches]), np.tile(x["b"], 2))


def test_array_features_dict_targets_and_shuffle():
    x = np.arange(12.0).reshape(6, 2)
    with tf.Graph().as_default():
        features, targets = numpy_input_fn(
            x, {"t": np.arange(6)}, batch_size=6, shuffle=True, num_epochs=1
        )()
        ((rows, target),) = _drain((features, targets))
    assert sorted(rows[:, 0] // 2) == list(range(6))
    np.testing.assert_array_equal(rows[:, 0] // 2, target["t"])


def test_argument_errors():
    with pytest.raises(ValueError, match="shuffle must be provided and explicitly set as boolean"):
        numpy_input_fn({"a": np.zeros(2)})
    with tf.Graph().as_default():
        with pytest.raises(TypeError, match="x must be a dict or array; got list"):
            numpy_input_fn([1, 2], shuffle=False)()
        with pytest.raises(ValueError, match="x cannot be an empty dict"):
            numpy_input_fn({}, shuffle=False)()
        with pytest.raises(ValueError, match="1 duplicate keys are found in both x and y"):
            numpy_input_fn({"a": np.zeros(2)}, {"a": np.zeros(2)}, shuffle=False)()
        with pytest.raises(ValueError, match="Length of tensors in x and y is mismatched"):
            numpy_input_fn({"a": np.zeros(2)}, np.zeros(3), shuffle=False)()


def test_pandas_input_fn_without_pandas():
    try:
        import pandas  # noqa: F401
    except ImportError:
        with pytest.raises(TypeError, match="should not be called without pandas installed"):
            tf.estimator.inputs.pandas_input_fn(None, shuffle=False)
    else:
        frame = pandas.DataFrame({"a": [1.0, 2.0, 3.0]})
        with tf.Graph().as_default():
            features = tf.estimator.inputs.pandas_input_fn(frame, shuffle=False, batch_size=3)()
            (batch,) = _drain(features)
        np.testing.assert_array_equal(batch["a"], [1.0, 2.0, 3.0])


def test_numpy_input_fn_trains_an_estimator(tmp_path):
    from tests.estimator.models import X, Y, linear_estimator

    estimator = linear_estimator(tmp_path)
    estimator.train(numpy_input_fn({"x": X}, Y, batch_size=16, shuffle=True, num_epochs=3))
    assert estimator.get_variable_value("global_step") == 12
