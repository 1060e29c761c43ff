"""tf.estimator.Estimator: train (checkpoints and summaries in model_dir, resumed by a
second call), evaluate (metrics over exactly the batches run, summaries in eval/), predict,
export_saved_model (loaded back and served), variables, and TF's errors for bad input."""

from __future__ import annotations

import glob
import os

import numpy as np
import pytest
from tensorboard.backend.event_processing import event_accumulator

import flowgraph as tf
from tests.estimator.models import X, Y, eval_input_fn, linear_estimator, train_input_fn


def _scalars(directory):
    accumulator = event_accumulator.EventAccumulator(directory)
    accumulator.Reload()
    return {tag: accumulator.Scalars(tag) for tag in accumulator.Tags()["scalars"]}


def _numpy_fit(estimator):
    kernel = estimator.get_variable_value("out/kernel")
    bias = estimator.get_variable_value("out/bias")
    return X @ kernel + bias


def test_train_writes_checkpoints_and_summaries_then_resumes(tmp_path):
    estimator = linear_estimator(tmp_path, save_checkpoints_steps=20, save_summary_steps=10)
    estimator.train(train_input_fn, steps=40)
    assert estimator.latest_checkpoint() == os.path.join(str(tmp_path), "model.ckpt-40")
    assert os.path.exists(os.path.join(str(tmp_path), "model.ckpt-20.index"))
    assert "loss" in _scalars(str(tmp_path))
    estimator.train(train_input_fn, steps=10)
    assert estimator.get_variable_value("global_step") == 50
    estimator.train(train_input_fn, max_steps=50)  # already there: no step
    assert estimator.get_variable_value("global_step") == 50
    assert sorted(estimator.get_variable_names()) == ["global_step", "out/bias", "out/kernel"]
    np.testing.assert_allclose(_numpy_fit(estimator), Y, atol=0.05)


def test_train_until_the_input_ends(tmp_path):
    estimator = linear_estimator(tmp_path)
    estimator.train(lambda: tf.data.Dataset.from_tensor_slices(({"x": X}, Y)).batch(16))
    assert estimator.get_variable_value("global_step") == 4


def test_evaluate_computes_the_metrics_of_the_checkpoint(tmp_path):
    estimator = linear_estimator(tmp_path)
    estimator.train(train_input_fn, steps=5)
    results = estimator.evaluate(eval_input_fn)
    assert set(results) == {"loss", "mae", "global_step"}
    predictions = _numpy_fit(estimator)
    assert results["global_step"] == 5
    # `loss` is the mean of the four batches' mean squared errors (equal-size batches).
    np.testing.assert_allclose(results["loss"], np.mean((predictions - Y) ** 2), rtol=1e-5)
    np.testing.assert_allclose(results["mae"], np.mean(np.abs(predictions - Y)), rtol=1e-5)
    scalars = _scalars(estimator.eval_dir())
    assert scalars["mae"][0].step == 5
    np.testing.assert_allclose(scalars["mae"][0].value, results["mae"], rtol=1e-6)


def test_evaluate_steps_and_name(tmp_path):
    estimator = linear_estimator(tmp_path)
    estimator.train(train_input_fn, steps=5)
    results = estimator.evaluate(eval_input_fn, steps=2, name="half")
    predictions = _numpy_fit(estimator)
    np.testing.assert_allclose(results["mae"], np.mean(np.abs(predictions - Y)[:32]), rtol=1e-5)
    assert estimator.eval_dir("half") == os.path.join(str(tmp_path), "eval_half")
    assert glob.glob(os.path.join(str(tmp_path), "eval_half", "events.out.tfevents.*"))


def test_evaluate_without_checkpoint_initializes(tmp_path):
    estimator = linear_estimator(tmp_path)
    results = estimator.evaluate(eval_input_fn, steps=1)
    assert results["global_step"] == 0


def test_predict_yields_examples_or_batches(tmp_path):
    estimator = linear_estimator(tmp_path)
    estimator.train(train_input_fn, steps=20)
    expected = _numpy_fit(estimator)

    def input_fn():
        return tf.data.Dataset.from_tensor_slices({"x": X[:5]}).batch(2)

    singles = list(estimator.predict(input_fn))
    assert len(singles) == 5
    np.testing.assert_allclose([p["y"] for p in singles], expected[:5], rtol=1e-5)
    batches = list(estimator.predict(input_fn, yield_single_examples=False))
    assert [b["y"].shape for b in batches] == [(2, 1), (2, 1), (1, 1)]
    with pytest.raises(ValueError, match="Expected to run at least one output"):
        list(estimator.predict(input_fn, predict_keys=["nope"]))


def test_export_saved_model_is_loaded_and_served(tmp_path):
    estimator = linear_estimator(tmp_path / "model")
    estimator.train(train_input_fn, steps=20)
    features = {"x": tf.placeholder(tf.float32, [None, 3])}
    receiver_fn = tf.estimator.export.build_raw_serving_input_receiver_fn(features)
    export_dir = estimator.export_saved_model(str(tmp_path / "export"), receiver_fn)
    assert os.path.basename(export_dir).isdigit() and len(os.path.basename(export_dir)) == 10
    assert sorted(os.listdir(export_dir)) == ["saved_model.pb", "variables"]
    with tf.Graph().as_default(), tf.Session() as session:
        meta_graph = tf.saved_model.loader.load(session, ["serve"], export_dir)
        signature = meta_graph.signature_def["serving_default"]
        served = session.run(signature.outputs["y"].name, {signature.inputs["x"].name: X})
    np.testing.assert_allclose(served, _numpy_fit(estimator), rtol=1e-5)
    again = estimator.export_savedmodel(str(tmp_path / "export"), receiver_fn)
    assert again != export_dir


def test_export_without_checkpoint(tmp_path):
    estimator = linear_estimator(tmp_path)
    receiver_fn = tf.estimator.export.build_raw_serving_input_receiver_fn(
        {"x": tf.placeholder(tf.float32, [None, 3])}
    )
    with pytest.raises(ValueError, match="Couldn't find trained model at"):
        estimator.export_saved_model(str(tmp_path / "export"), receiver_fn)
    with pytest.raises(ValueError, match="Could not find trained model in model_dir"):
        estimator.get_variable_value("out/kernel")


def test_warm_start_from_another_model_dir(tmp_path):
    first = linear_estimator(tmp_path / "first")
    first.train(train_input_fn, steps=30)
    second = tf.estimator.Estimator(
        first.model_fn, model_dir=str(tmp_path / "second"), warm_start_from=str(tmp_path / "first")
    )
    results = second.evaluate(eval_input_fn)  # no checkpoint: the warm-started variables
    np.testing.assert_allclose(results["mae"], np.mean(np.abs(_numpy_fit(first) - Y)), rtol=1e-5)


def _model_without_train_op(features, labels, mode):
    loss = tf.reduce_sum(tf.layers.dense(features["x"], 1))
    return tf.estimator.EstimatorSpec(mode, loss=loss)


def test_bad_model_fns_and_arguments(tmp_path):
    estimator = tf.estimator.Estimator(_model_without_train_op, model_dir=str(tmp_path))
    with pytest.raises(ValueError, match="^Missing train_op.$"):
        estimator.train(train_input_fn, steps=1)
    returns_dict = tf.estimator.Estimator(lambda features, labels: {}, model_dir=str(tmp_path))
    with pytest.raises(ValueError, match="model_fn should return an EstimatorSpec."):
        returns_dict.train(train_input_fn, steps=1)
    with pytest.raises(ValueError, match="must include features argument"):
        tf.estimator.Estimator(lambda x, labels: None)
    with pytest.raises(ValueError, match="does not include params argument"):
        tf.estimator.Estimator(_model_without_train_op, params={"a": 1})
    with pytest.raises(ValueError, match="has following not expected args: \\['extra'\\]"):
        tf.estimator.Estimator(lambda features, labels, extra: None)
    with pytest.raises(ValueError, match="model_fn must be provided to Estimator."):
        tf.estimator.Estimator(None)
    with pytest.raises(ValueError, match="Can not provide both steps and max_steps."):
        estimator.train(train_input_fn, steps=1, max_steps=2)
    with pytest.raises(ValueError, match="Must specify steps > 0, given: 0"):
        estimator.train(train_input_fn, steps=0)
    with pytest.raises(TypeError, match="Hooks must be a SessionRunHook, given: 3"):
        estimator.train(train_input_fn, hooks=[3], steps=1)
    with pytest.raises(ValueError, match="model_dir` are set both in constructor and"):
        tf.estimator.Estimator(
            _model_without_train_op, model_dir="/a", config=tf.estimator.RunConfig(model_dir="/b")
        )


def test_input_fn_errors(tmp_path):
    estimator = linear_estimator(tmp_path)
    with pytest.raises(ValueError, match="input_fn should return \\(features, labels\\)"):
        estimator.train(lambda: ({"x": X}, Y, Y), steps=1)
    no_labels = tf.estimator.Estimator(
        lambda features, mode: None, model_dir=str(tmp_path / "other")
    )
    with pytest.raises(ValueError, match="model_fn does not take labels, but input_fn returns"):
        no_labels.train(train_input_fn, steps=1)


def test_eval_metric_named_loss_is_refused(tmp_path):
    def model_fn(features, labels, mode):
        loss = tf.reduce_mean(tf.layers.dense(features["x"], 1))
        return tf.estimator.EstimatorSpec(
            mode, loss=loss, eval_metric_ops={"loss": tf.metrics.mean(loss)}
        )

    estimator = tf.estimator.Estimator(model_fn, model_dir=str(tmp_path))
    with pytest.raises(ValueError, match='Metric with name "loss" is not allowed'):
        estimator.evaluate(eval_input_fn, steps=1)


def test_hooks_and_params_reach_the_model(tmp_path):
    seen = {}

    def model_fn(features, labels, mode, params, config):
        seen.update(params=params, model_dir=config.model_dir, mode=mode)
        spec = linear_estimator(tmp_path).model_fn(features, labels, mode, config)
        return spec

    estimator = tf.estimator.Estimator(model_fn, model_dir=str(tmp_path), params={"k": 1})
    hook = tf.estimator.StopAtStepHook(last_step=3)
    estimator.train(train_input_fn, hooks=[hook])
    assert estimator.get_variable_value("global_step") == 3
    assert seen == {"params": {"k": 1}, "model_dir": str(tmp_path), "mode": "train"}


def test_saving_listeners_and_max_steps(tmp_path):
    saved = []

    class Listener(tf.estimator.CheckpointSaverListener):
        def after_save(self, session, global_step_value):
            saved.append(global_step_value)

    estimator = linear_estimator(tmp_path, save_checkpoints_steps=4)
    estimator.train(train_input_fn, max_steps=10, saving_listeners=[Listener()])
    assert saved == [0, 4, 8, 10]
    assert estimator.get_variable_value("global_step") == 10
    no_checkpoints = linear_estimator(tmp_path / "other", save_checkpoints_secs=None)
    with pytest.raises(ValueError, match="There should be a CheckpointSaverHook to use saving_"):
        no_checkpoints.train(train_input_fn, steps=1, saving_listeners=[Listener()])
    with pytest.raises(TypeError, match="saving_listeners must be a list of CheckpointSaverL"):
        estimator.train(train_input_fn, steps=1, saving_listeners=[1])


def test_warm_start_settings_choose_variables(tmp_path):
    first = linear_estimator(tmp_path / "first")
    first.train(train_input_fn, steps=30)
    settings = tf.estimator.WarmStartSettings(
        str(tmp_path / "first"), vars_to_warm_start="out/bias"
    )
    second = tf.estimator.Estimator(
        first.model_fn, model_dir=str(tmp_path / "second"), warm_start_from=settings
    )
    second.train(train_input_fn, steps=1)
    reader = tf.train.load_checkpoint(str(tmp_path / "second/model.ckpt-0"))
    np.testing.assert_array_equal(
        reader.get_tensor("out/bias"), first.get_variable_value("out/bias")
    )
    assert not np.allclose(reader.get_tensor("out/kernel"), first.get_variable_value("out/kernel"))
    with pytest.raises(ValueError, match="`ckpt_to_initialize_from` MUST be set"):
        tf.estimator.WarmStartSettings("")


def test_predict_from_a_given_checkpoint(tmp_path):
    estimator = linear_estimator(tmp_path, save_checkpoints_steps=5)
    estimator.train(train_input_fn, steps=10)
    path = os.path.join(str(tmp_path), "model.ckpt-5")

    def input_fn():
        return tf.data.Dataset.from_tensor_slices({"x": X[:2]}).batch(2)

    at_5 = [p["y"] for p in estimator.predict(input_fn, checkpoint_path=path)]
    reader = tf.train.load_checkpoint(path)
    expected = X[:2] @ reader.get_tensor("out/kernel") + reader.get_tensor("out/bias")
    np.testing.assert_allclose(at_5, expected, rtol=1e-5)


def test_subclasses_cannot_override_members():
    class Custom(tf.estimator.Estimator):
        def train(self, input_fn, hooks=None, steps=None, max_steps=None, saving_listeners=None):
            return self

    with pytest.raises(ValueError, match="Subclasses of Estimator cannot override members"):
        Custom(lambda features: None)
