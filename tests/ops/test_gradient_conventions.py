"""TensorFlow's gradients at kinks and ties, from a fixture computed by TensorFlow itself.

tests/fixtures/make_gradient_conventions.py evaluated each expression with
`tf.compat.v1` and recorded `tf.gradients`; here the same expression runs on flowgraph.
"""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest

import flowgraph as tf

_FIXTURE = pathlib.Path(__file__).parents[1] / "fixtures" / "gradient_conventions.json"
CASES = json.loads(_FIXTURE.read_text())["cases"]

# Where flowgraph keeps the true derivative and TF's differs: strict xfails (none today;
# cumprod at 0 follows TF 2.21's CumprodGrad, which divides with div_no_nan).
DEVIATIONS: dict[str, str] = {}


def _gradients(case):
    graph = tf.Graph()
    with graph.as_default():
        inputs = [
            tf.constant(np.asarray(spec["value"], dtype=spec["dtype"]), name=name)
            for name, spec in case["inputs"].items()
        ]
        y = eval(case["expr"], {"tf": tf}, dict(zip(case["inputs"], inputs)))
        grads = tf.gradients(y, inputs)
        fetch = [tf.convert_to_tensor(g) for g in grads if g is not None]
        with tf.Session(graph=graph) as sess:
            values = iter(sess.run(fetch))
    return [None if g is None else next(values) for g in grads]


def _marks(case):
    reason = DEVIATIONS.get(case["name"])
    return [pytest.mark.xfail(reason=reason, strict=True)] if reason else []


@pytest.mark.parametrize("case", [pytest.param(c, id=c["name"], marks=_marks(c)) for c in CASES])
def test_gradient_matches_tensorflow(case):
    got = _gradients(case)
    for (name, want), value in zip(case["grads"].items(), got):
        if want is None:
            assert value is None, f"{case['expr']}: TF has no gradient for {name}"
            continue
        assert value is not None, f"{case['expr']}: TF has a gradient for {name}"
        np.testing.assert_allclose(value, np.asarray(want), rtol=1e-5, atol=1e-6, err_msg=name)


def test_fixture_covers_the_kinks_named_in_the_issue():
    names = {c["name"] for c in CASES}
    assert {"relu_kink", "clip_by_value_bounds", "maximum_tie", "abs_zero"} <= names
    assert {"max_pool_equal_window", "minimum_tie", "reduce_max_ties", "floor_none"} <= names
    assert {"sqrt_second_order", "rsqrt_second_order", "pow_second_order_y"} <= names
    assert {"cumprod_zero", "cumprod_exclusive_reverse_zero", "cumprod_second_order"} <= names
