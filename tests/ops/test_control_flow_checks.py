"""Graph-building errors of cond and while_loop: TensorFlow's class and message for each
misuse (TF's own, recorded in fixtures/control_flow_checks_tf.json), raised while the
graph is built and pointing at the user's line."""

from __future__ import annotations

import json
import pathlib
import traceback

import pytest

import flowgraph as tf

FIXTURE = pathlib.Path(__file__).parent.parent / "fixtures" / "control_flow_checks_tf.json"
TF = json.loads(FIXTURE.read_text())
_TF_LOG_HINT = " See info log for more details."  # TF logs details; we say where instead


@pytest.mark.parametrize("program", sorted(TF["programs"]))
def test_graph_building_errors_are_tfs(program):
    kind, message = TF["errors"][program]
    with tf.Graph().as_default():
        with pytest.raises(getattr(__builtins__, kind, None) or Exception) as info:
            exec(compile(TF["programs"][program], "user_program.py", "exec"), {"tf": tf})
    assert type(info.value).__name__ == kind
    first = str(info.value).splitlines()[0]
    expected = message.removesuffix(_TF_LOG_HINT)
    assert first.startswith(expected)
    frames = traceback.extract_tb(info.value.__traceback__)
    assert any(f.filename == "user_program.py" for f in frames)  # raised at the user's line


def test_a_loop_tensor_used_outside_names_where_it_was_made():
    with tf.Graph().as_default():
        inner = []

        def body(i):
            inner.append(i * 2)
            return i + 1

        tf.while_loop(lambda i: i < 3, body, [0])
        with pytest.raises(ValueError, match=r"is in a while loop. \(while/mul defined at .*body"):
            tf.identity(inner[0])


def test_a_branch_tensor_used_outside_its_cond_is_its_value_there_as_in_tf1():
    with tf.Graph().as_default(), tf.Session() as sess:
        inner = []

        def branch():
            inner.append(tf.constant(2.0) * 3.0)
            return inner[0]

        tf.cond(tf.constant(True), branch, lambda: tf.constant(0.0))
        assert sess.run(inner[0] + 1.0) == 7.0  # tests/ops/test_cond_branch_values.py


def test_tensors_outside_reach_inside_bodies_and_nested_bodies():
    with tf.Graph().as_default(), tf.Session() as sess:
        x = tf.placeholder(tf.float32, [])

        def body(i, acc):
            y = x * 2.0
            inner = tf.cond(i > 1, lambda: acc + y, lambda: acc - y)
            return i + 1, inner

        r = tf.while_loop(lambda i, a: i < 4, body, [0, 0.0])
        assert sess.run(r, {x: 1.5}) == [4, 0.0]  # -3 -3 +3 +3
