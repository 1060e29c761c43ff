"""Traceback filtering at the API boundary: errors show the user's frames, not ours."""

from __future__ import annotations

import os
import traceback

import numpy as np
import pytest

import flowgraph as tf
from flowgraph.framework import traceback_util

_OURS = tuple(
    os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(__file__))), d) + os.sep
    for d in ("flowgraph", "device", "kernels")
)


def _frames(e: BaseException) -> list[traceback.FrameSummary]:
    return traceback.extract_tb(e.__traceback__)


def _ours(e: BaseException) -> int:
    return sum(f.filename.startswith(_OURS) for f in _frames(e))


def _run_mismatched_matmul():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 3])
        w = tf.placeholder(tf.float32, [None, 4])
        y = tf.matmul(x, w)
        with tf.Session() as sess:
            return sess.run(y, {x: np.ones((2, 3)), w: np.ones((4, 4))})


def test_a_runtime_error_shows_the_users_frames_and_one_of_ours():
    with pytest.raises(tf.errors.InvalidArgumentError, match="MatMul op 'MatMul'") as info:
        _run_mismatched_matmul()
    names = [f.name for f in _frames(info.value)]
    assert "_run_mismatched_matmul" in names
    assert _ours(info.value) == 1  # the boundary that filtered the rest
    assert not any("jax" in f.filename for f in _frames(info.value))
    assert any("FLOWGRAPH_TRACEBACK_FILTERING=off" in n for n in info.value.__notes__)


def test_filtering_can_be_turned_off_to_see_every_frame(monkeypatch):
    monkeypatch.setenv("FLOWGRAPH_TRACEBACK_FILTERING", "off")
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        _run_mismatched_matmul()
    assert _ours(info.value) > 5


def test_a_build_error_shows_the_users_line_and_few_of_our_frames():
    def build_model():
        return tf.matmul(tf.zeros([2, 3]), tf.zeros([4, 5]))

    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="Dimensions must be equal") as info:
            build_model()
    assert "build_model" in [f.name for f in _frames(info.value)]
    assert _ours(info.value) <= 2  # the op's wrapper and the boundary
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match=r"defined at test_traceback_util\.py:\d+ in build"):
            build_model()


def test_a_kernel_bug_is_an_internal_error_naming_the_op_with_its_cause(monkeypatch):
    from flowgraph.framework.ops import apply_op
    from kernels import op_def, registry

    monkeypatch.setattr(registry, "_KERNELS", dict(registry._KERNELS))
    monkeypatch.setattr(op_def, "_declared", dict(op_def._declared))
    op_def.declare("FgBuggyKernel", inputs=("x: float",), outputs=("y: float",))

    @registry.register("FgBuggyKernel", shape=lambda specs, attrs, sv: [specs[0]])
    def buggy(x):
        return x.no_such_attribute  # a bug in the kernel, not in the user's graph

    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [2])
        y = apply_op("FgBuggyKernel", [x], name="buggy")
        with tf.Session() as sess:
            with pytest.raises(tf.errors.InternalError) as info:
                sess.run(y, {x: np.ones(2)})
    message = str(info.value)
    assert "FgBuggyKernel op 'buggy'" in message and "AttributeError" in message
    assert "bug in flowgraph's kernel" in message
    assert isinstance(info.value.__cause__, AttributeError)  # kept for debugging
    assert not isinstance(info.value, tf.errors.InvalidArgumentError)


def test_debugging_switches_turn_filtering_off_and_on(monkeypatch):
    monkeypatch.delenv("FLOWGRAPH_TRACEBACK_FILTERING", raising=False)
    assert tf.debugging.is_traceback_filtering_enabled()
    try:
        tf.debugging.disable_traceback_filtering()
        assert not tf.debugging.is_traceback_filtering_enabled()
        with tf.Graph().as_default(), pytest.raises(ValueError) as info:
            tf.reshape(tf.constant([1, 2, 3]), [2])
        assert not any("flowgraph hid" in n for n in getattr(info.value, "__notes__", []))
        tf.debugging.enable_traceback_filtering()
        monkeypatch.setenv("FLOWGRAPH_TRACEBACK_FILTERING", "off")
        assert tf.debugging.is_traceback_filtering_enabled()  # the switch wins
    finally:
        traceback_util._switched[0] = None
