"""The README's demos: the digits CNN learns to read digits; the linear regression converges."""

import importlib.util
import os
import pathlib

import numpy as np
import pytest

import flowgraph as tf

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_linear_regression_example_converges(capsys):
    with tf.Graph().as_default():
        _load("linear_regression").main(steps=100)
    out = capsys.readouterr().out
    losses = [float(line.split("loss")[1]) for line in out.splitlines() if "loss" in line]
    assert losses[0] > 1.0 and losses[-1] < 1e-3
    learned = out.split("learned w:")[1].split("b:")[0].strip(" []\n").split()
    np.testing.assert_allclose([float(v) for v in learned], [2.0, -3.0, 0.5], atol=0.01)


def test_digits_cnn_reads_held_out_digits_and_leaves_logs_and_checkpoints(tmp_path, capsys):
    digits = _load("digits_cnn")
    logdir = str(tmp_path / "digits")
    with tf.Graph().as_default():
        accuracy = digits.main(logdir=logdir, steps=200, progress=False)
    assert accuracy > 0.9  # chance is 0.1
    out = capsys.readouterr().out
    assert f"test accuracy {accuracy:.4f} on 360 held-out digits after 200 steps" in out
    assert tf.train.latest_checkpoint(logdir).endswith("model.ckpt-200")
    events = [f for f in os.listdir(logdir) if f.startswith("events.out.tfevents")]
    tags = {
        v.tag
        for e in tf.train.summary_iterator(os.path.join(logdir, events[0]))
        for v in e.summary.value
    }
    assert {"loss", "accuracy", "predictions"} <= tags
    export_dir = os.path.join(logdir, "saved_model", "200")
    assert f"SavedModel (serving_default: images -> classes, probabilities): {export_dir}/" in out
    assert os.path.isfile(os.path.join(export_dir, "saved_model.pb"))
    assert os.path.isfile(os.path.join(export_dir, "variables", "variables.index"))
    test_x, test_y = digits.load_data()[2:]
    with tf.Session(graph=tf.Graph()) as sess:  # loads as a server would, from the files alone
        meta_graph = tf.saved_model.loader.load(sess, ["serve"], export_dir)
        signature = meta_graph.signature_def["serving_default"]
        assert signature.method_name == "tensorflow/serving/predict"
        assert set(signature.outputs) == {"classes", "probabilities"}
        classes, probabilities = sess.run(
            [signature.outputs["classes"].name, signature.outputs["probabilities"].name],
            {signature.inputs["images"].name: test_x},
        )
        op_types = {op.type for op in sess.graph.get_operations()}
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(classes, probabilities.argmax(axis=1))
    assert np.mean(classes == test_y) == pytest.approx(accuracy, abs=1e-6)
    assert not {"VJP", "ApplyAdam"} & op_types  # the serving graph only: TF can load it too
    with tf.Graph().as_default():  # a second run resumes from the checkpoint
        model = digits.build_graph()
        digits.train(model, digits.load_data(), logdir, steps=220, progress=False)
        assert digits.evaluate(model, digits.load_data(), logdir)[1] == 220
