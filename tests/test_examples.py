"""The README's demo: the linear-regression example trains to the true weights."""

import importlib.util
import pathlib

import numpy as np

import flowgraph as tf

EXAMPLE = pathlib.Path(__file__).resolve().parent.parent / "examples" / "linear_regression.py"


def test_linear_regression_example_converges(capsys):
    spec = importlib.util.spec_from_file_location("linear_regression", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with tf.Graph().as_default():
        module.main(steps=100)
    out = capsys.readouterr().out
    losses = [float(line.split("loss")[1]) for line in out.splitlines() if "loss" in line]
    assert losses[0] > 1.0 and losses[-1] < 1e-3
    learned = out.split("learned w:")[1].split("b:")[0].strip(" []\n").split()
    np.testing.assert_allclose([float(v) for v in learned], [2.0, -3.0, 0.5], atol=0.01)
