"""tf.estimator.EstimatorSpec: what each mode requires, TF 1.15's validation messages."""

from __future__ import annotations

import pytest

import flowgraph as tf

ModeKeys = tf.estimator.ModeKeys


@pytest.fixture(autouse=True)
def graph():
    with tf.Graph().as_default() as g:
        yield g


def test_mode_keys():
    assert (ModeKeys.TRAIN, ModeKeys.EVAL, ModeKeys.PREDICT) == ("train", "eval", "infer")


def test_required_fields_per_mode():
    loss = tf.constant(1.0)
    with pytest.raises(ValueError, match="^Missing train_op.$"):
        tf.estimator.EstimatorSpec(ModeKeys.TRAIN, loss=loss)
    with pytest.raises(ValueError, match="^Missing loss.$"):
        tf.estimator.EstimatorSpec(ModeKeys.EVAL)
    with pytest.raises(ValueError, match="^Missing predictions.$"):
        tf.estimator.EstimatorSpec(ModeKeys.PREDICT)
    spec = tf.estimator.EstimatorSpec(ModeKeys.TRAIN, loss=loss, train_op=tf.no_op())
    assert spec.predictions == {} and spec.eval_metric_ops == {} and spec.training_hooks == ()
    assert isinstance(spec.scaffold, tf.train.Scaffold)
    assert spec.export_outputs is None


def test_loss_of_shape_one_becomes_scalar_and_others_are_refused():
    spec = tf.estimator.EstimatorSpec(ModeKeys.EVAL, loss=tf.constant([2.0]))
    assert spec.loss.shape.as_list() == []
    with pytest.raises(ValueError, match="Loss must be scalar, given: "):
        tf.estimator.EstimatorSpec(ModeKeys.EVAL, loss=tf.constant([1.0, 2.0]))
    with pytest.raises(TypeError, match="loss must be Tensor, given: 1.0"):
        tf.estimator.EstimatorSpec(ModeKeys.EVAL, loss=1.0)


def test_wrong_types():
    loss = tf.constant(1.0)
    with pytest.raises(TypeError, match="train_op must be Operation or Tensor, given: 3"):
        tf.estimator.EstimatorSpec(ModeKeys.TRAIN, loss=loss, train_op=3)
    with pytest.raises(TypeError, match="predictions\\[y\\] must be Tensor, given: 2"):
        tf.estimator.EstimatorSpec(ModeKeys.PREDICT, predictions={"y": 2})
    with pytest.raises(TypeError, match="eval_metric_ops must be a dict, given: \\[\\]"):
        tf.estimator.EstimatorSpec(ModeKeys.EVAL, loss=loss, eval_metric_ops=[])
    with pytest.raises(TypeError, match="must be \\(metric_value, update_op\\) tuples"):
        tf.estimator.EstimatorSpec(ModeKeys.EVAL, loss=loss, eval_metric_ops={"m": loss})
    with pytest.raises(TypeError, match="All hooks must be SessionRunHook instances, given: 1"):
        tf.estimator.EstimatorSpec(ModeKeys.EVAL, loss=loss, evaluation_hooks=[1])
    with pytest.raises(TypeError, match="scaffold must be tf.train.Scaffold. Given: 1"):
        tf.estimator.EstimatorSpec(ModeKeys.EVAL, loss=loss, scaffold=1)


def test_tensors_from_another_graph_are_refused():
    with tf.Graph().as_default():
        other = tf.constant(1.0, name="other_loss")
    with pytest.raises(ValueError, match='loss with "other_loss:0" must be from the default'):
        tf.estimator.EstimatorSpec(ModeKeys.EVAL, loss=other)


def test_export_outputs_default_and_validation():
    y = tf.constant([[1.0]])
    spec = tf.estimator.EstimatorSpec(ModeKeys.PREDICT, predictions={"y": y})
    (key,) = spec.export_outputs
    assert key == "serving_default"
    assert spec.export_outputs[key].outputs == {"y": y}
    single = tf.estimator.EstimatorSpec(
        ModeKeys.PREDICT,
        predictions=y,
        export_outputs={"r": tf.estimator.export.RegressionOutput(y)},
    )
    assert sorted(single.export_outputs) == ["r", "serving_default"]
    with pytest.raises(TypeError, match="Values in export_outputs must be ExportOutput objects"):
        tf.estimator.EstimatorSpec(ModeKeys.PREDICT, predictions=y, export_outputs={"a": y})
    two = {k: tf.estimator.export.PredictOutput(y) for k in ("a", "b")}
    with pytest.raises(ValueError, match="none of them is specified as the default"):
        tf.estimator.EstimatorSpec(ModeKeys.PREDICT, predictions=y, export_outputs=two)


def test_replace_keeps_the_mode():
    spec = tf.estimator.EstimatorSpec(ModeKeys.EVAL, loss=tf.constant(1.0))
    assert spec._replace(loss=tf.constant(2.0)).mode == ModeKeys.EVAL
    with pytest.raises(ValueError, match="mode of EstimatorSpec cannot be changed."):
        spec._replace(mode=ModeKeys.TRAIN)
