"""tf.estimator.export: serving input receivers, the receiver fns, and export outputs."""

from __future__ import annotations

import numpy as np
import pytest

import flowgraph as tf

export = tf.estimator.export


@pytest.fixture(autouse=True)
def graph():
    with tf.Graph().as_default() as g:
        yield g


def test_serving_input_receiver_wraps_single_tensors():
    x = tf.placeholder(tf.float32, [None, 2])
    receiver = export.ServingInputReceiver(x, x)
    assert receiver.features == {"feature": x} and receiver.receiver_tensors == {"input": x}
    tensor_receiver = export.TensorServingInputReceiver(x, {"x": x})
    assert tensor_receiver.features is x
    with pytest.raises(ValueError, match="^features must be defined.$"):
        export.ServingInputReceiver(None, x)
    with pytest.raises(ValueError, match="^feature a must be a Tensor or SparseTensor.$"):
        export.ServingInputReceiver({"a": 1}, x)
    with pytest.raises(ValueError, match="^receiver_tensor keys must be strings: 1.$"):
        export.ServingInputReceiver(x, {1: x})
    with pytest.raises(ValueError, match="receiver_tensors_alternatives must be a dict"):
        export.ServingInputReceiver(x, x, receiver_tensors_alternatives=x)


def test_parsing_receiver_fn_parses_serialized_examples():
    spec = {"x": tf.FixedLenFeature([2], tf.float32), "k": tf.FixedLenFeature([], tf.int64)}
    receiver = export.build_parsing_serving_input_receiver_fn(spec)()
    (examples,) = receiver.receiver_tensors.values()
    assert list(receiver.receiver_tensors) == ["examples"]
    assert examples.op.name == "input_example_tensor" and examples.dtype == tf.string
    example = tf.train.Example(
        features=tf.train.Features(
            feature={
                "x": tf.train.Feature(float_list=tf.train.FloatList(value=[1.5, -2.0])),
                "k": tf.train.Feature(int64_list=tf.train.Int64List(value=[7])),
            }
        )
    )
    with tf.Session() as session:
        values = session.run(receiver.features, {examples: [example.SerializeToString()]})
    np.testing.assert_array_equal(values["x"], [[1.5, -2.0]])
    np.testing.assert_array_equal(values["k"], [7])


def test_raw_receiver_fn_makes_placeholders_like_the_features():
    features = {"x": tf.zeros([5, 3], name="x"), "ids": tf.zeros([5], tf.int64, name="ids")}
    receiver = export.build_raw_serving_input_receiver_fn(features, default_batch_size=4)()
    assert receiver.features is not features
    assert receiver.receiver_tensors["x"].shape.as_list() == [4, 3]
    assert receiver.receiver_tensors["ids"].dtype == tf.int64
    assert receiver.receiver_tensors["x"].op.type == "Placeholder"


def test_export_outputs_validate_and_build_signatures():
    scores = tf.constant([[0.2, 0.8]])
    classes = tf.constant([["a", "b"]])
    with pytest.raises(ValueError, match="Classification scores must be a float32 Tensor"):
        export.ClassificationOutput(scores=classes)
    with pytest.raises(ValueError, match="Classification classes must be a string Tensor"):
        export.ClassificationOutput(classes=scores)
    with pytest.raises(ValueError, match="Regression output value must be a float32 Tensor"):
        export.RegressionOutput(classes)
    with pytest.raises(ValueError, match="Prediction output value must be a Tensor; got 1."):
        export.PredictOutput({"a": 1})
    assert export.PredictOutput(scores).outputs == {"output": scores}
    examples = tf.placeholder(tf.string, [None])
    signature = export.ClassificationOutput(scores, classes).as_signature_def({"e": examples})
    assert signature.method_name == "tensorflow/serving/classify"
    assert sorted(signature.outputs) == ["classes", "scores"]
    with pytest.raises(ValueError, match="Classification input must be a single string Tensor"):
        export.ClassificationOutput(scores).as_signature_def({"x": scores})
    regress = export.RegressionOutput(scores[:, :1]).as_signature_def({"e": examples})
    assert regress.method_name == "tensorflow/serving/regress"
