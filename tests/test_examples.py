"""The README's demos: the digits CNN learns to read digits; the linear regression converges."""

import importlib.util
import os
import pathlib

import numpy as np

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
    with tf.Graph().as_default():  # a second run resumes from the checkpoint
        model = digits.build_graph()
        digits.train(model, digits.load_data(), logdir, steps=220, progress=False)
        assert digits.evaluate(model, digits.load_data(), logdir)[1] == 220
