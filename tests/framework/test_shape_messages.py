"""Static shapes and error texts as TensorFlow's, for TF1 programs run side by side.

tests/fixtures/make_shape_messages.py recorded what TensorFlow gives for each program: a
static shape, or a build-time error's class and text (TF's shape functions, `core/ops/*.cc`),
or a run-time error's. Here the same programs run on flowgraph.
"""

from __future__ import annotations

import json
import pathlib
import re

import numpy as np
import pytest

import flowgraph as tf

_FIXTURE = json.loads(
    (pathlib.Path(__file__).parents[1] / "fixtures" / "shape_messages.json").read_text()
)
# flowgraph names the op and the user's line after TF's text (as TF1 did).
_BUILD_SUFFIX = re.compile(r" for '[^']*' \(op: '.*", re.S)
_RUN_PREFIX = re.compile(r"^\w+ op '[^']*': (.*?)(?: \(defined at [^()]*\))?$", re.S)


def P(shape, dtype=tf.float32):
    return tf.placeholder(dtype, shape)


def _build(expr: str) -> str:
    with tf.Graph().as_default():
        try:
            t = eval(expr, {"tf": tf, "P": P})
        except (ValueError, TypeError) as e:
            return f"{type(e).__name__}: {_BUILD_SUFFIX.sub('', str(e))}"
        dims = "unknown" if t.shape.ndims is None else str(t.shape.as_list())
        return f"shape {dims} {t.dtype.base_dtype.name}"


def _run(expr: str, value, dtype: str) -> str:
    with tf.Graph().as_default():
        x = tf.placeholder(getattr(tf, dtype))
        value = [v.encode() for v in value] if dtype == "string" else np.asarray(value)
        t = eval(expr, {"tf": tf, "x": x})
        with tf.Session() as sess:
            try:
                sess.run(t, {x: value})
            except tf.errors.OpError as e:
                return f"{type(e).__name__}: {_RUN_PREFIX.match(str(e)).group(1)}"
    return "no error"


@pytest.mark.parametrize("case", _FIXTURE["build"], ids=lambda c: c["name"])
def test_build_gives_tensorflows_shape_or_error(case):
    assert _build(case["expr"]) == case["want"]


@pytest.mark.parametrize("case", _FIXTURE["run"], ids=lambda c: c["name"])
def test_run_gives_tensorflows_error(case):
    assert _run(case["expr"], case["value"], case["dtype"]) == case["want"]
