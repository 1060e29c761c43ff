"""Host ops inside compiled loop bodies and cond branches (tf.Print, tf.print, tf.Assert,
py_func): they run as ordered host callbacks, printing and failing as TensorFlow does
(TF's output in fixtures/control_flow_host_ops_tf.json), and the loop stays compiled."""

from __future__ import annotations

import json
import pathlib
import sys

import numpy as np
import pytest

import flowgraph as tf

FIXTURE = pathlib.Path(__file__).parent.parent / "fixtures" / "control_flow_host_ops_tf.json"
TF = json.loads(FIXTURE.read_text())
KEEP = ("it:", "inner", "big", "small", "[", "result", "raised", "grad")


@pytest.mark.parametrize("program", sorted(TF["programs"]))
def test_prints_and_errors_in_tfs_order(program, capfd):
    with tf.Graph().as_default(), tf.Session() as sess:
        exec(TF["programs"][program], {"tf": tf, "np": np, "sys": sys, "sess": sess})
    ours = [line for line in capfd.readouterr().err.splitlines() if line.startswith(KEEP)]
    theirs = TF["stderr"][program]
    assert len(ours) == len(theirs)
    for line, expected in zip(ours, theirs):
        if expected.startswith("raised "):  # our message also names the op and the user's line
            kind, message = expected.split(" ", 2)[1:]
            assert line.startswith(f"raised {kind} ") and message in line
        else:
            assert line == expected


def test_a_loop_with_prints_stays_one_compiled_loop(capfd):
    with tf.Graph().as_default(), tf.Session() as sess:
        x = tf.placeholder(tf.float32, [2])
        r = tf.while_loop(
            lambda i, v: i < 50, lambda i, v: (i + 1, tf.Print(v * 1.01, [i], "i=")), [0, x]
        )
        assert not r[1].op.get_attr("_host")  # not stepped from the host
        out = sess.run(r, {x: [1.0, 2.0]})
    np.testing.assert_allclose(out[1], np.array([1.0, 2.0]) * 1.01**50, rtol=1e-5)
    lines = capfd.readouterr().err.splitlines()
    assert [line for line in lines if line.startswith("i=")] == [f"i=[{k}]" for k in range(50)]


def test_assert_in_a_cond_branch_fails_only_when_taken(capfd):
    with tf.Graph().as_default(), tf.Session() as sess:
        p = tf.placeholder(tf.bool, [])
        x = tf.placeholder(tf.float32, [])

        def checked():
            with tf.control_dependencies([tf.Assert(x > 0, ["x must be positive, got", x])]):
                return tf.sqrt(x)

        y = tf.cond(p, checked, lambda: -x)
        assert not y.op.get_attr("_host")
        assert sess.run(y, {p: False, x: -4.0}) == 4.0
        assert sess.run(y, {p: True, x: 4.0}) == 2.0
        with pytest.raises(tf.errors.InvalidArgumentError) as info:
            sess.run(y, {p: True, x: -4.0})
    message = str(info.value)
    assert "assertion failed: [x must be positive, got] [-4]" in message
    assert "Assert" in message and "test_control_flow_host_ops.py" in message  # op, user line
    assert "jax" not in capfd.readouterr().err  # no traceback of jax's logged


def test_a_session_recovers_after_an_assert_failed_in_a_loop():
    with tf.Graph().as_default(), tf.Session() as sess:
        n = tf.placeholder(tf.int32, [])

        def body(i):
            with tf.control_dependencies([tf.Assert(i < 5, [i])]):
                return i + 1

        r = tf.while_loop(lambda i: i < n, body, [0])
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"assertion failed: \[5\]"):
            sess.run(r, {n: 9})
        assert sess.run(r, {n: 4}) == 4


def test_py_func_returning_a_vector_in_a_loop():
    with tf.Graph().as_default(), tf.Session() as sess:

        def body(i, v):
            w = tf.py_func(lambda a: np.cumsum(a).astype(np.float32), [v], tf.float32)
            w.set_shape([3])
            return i + 1, w

        r = tf.while_loop(lambda i, v: i < 3, body, [0, tf.constant([1.0, 1.0, 1.0])])
        expected = np.ones(3)
        for _ in range(3):
            expected = np.cumsum(expected)
        np.testing.assert_allclose(sess.run(r)[1], expected)


def test_py_func_of_unknown_shape_keeps_the_host_loop():
    with tf.Graph().as_default(), tf.Session() as sess:
        body = lambda i, v: (i + 1, tf.py_func(lambda a: a * 2, [v], tf.float32))  # noqa: E731
        r = tf.while_loop(lambda i, v: i < 3, body, [0, tf.constant([1.0])])
        assert r[1].op.get_attr("_host")  # a callback needs the shapes it returns
        np.testing.assert_allclose(sess.run(r)[1], [8.0])
