"""A TensorArray read or gather past its end raises TensorFlow's InvalidArgumentError (a
check compiled in, `device.checks`), in a loop body as outside one; XLA would clamp.

The expected texts are TensorFlow 2.21's (`tf.compat.v1`, graph mode, TensorArrayReadV3 /
TensorArrayGatherV3 on the same graphs)."""

from __future__ import annotations

import re

import pytest

import flowgraph as tf


def _array():
    return tf.TensorArray(tf.float32, size=3).unstack([1.0, 2.0, 3.0])


@pytest.mark.parametrize(
    "index, text",
    [
        (3, "Tried to read from index 3 but array size is: 3"),
        (-1, "Tried to read from index -1 but array size is: 3"),
    ],
)
def test_a_read_past_the_end_raises(index, text):
    with tf.Graph().as_default():
        i = tf.placeholder(tf.int32, [])
        read = _array().read(i)
        with tf.Session() as sess:
            assert sess.run(read, {i: 2}) == 3.0
            with pytest.raises(tf.errors.InvalidArgumentError) as caught:
                sess.run(read, {i: index})
    assert text in caught.value.message
    assert re.search(r"op '[\w/]*TensorArrayRead[\w/]*'", caught.value.message)
    assert "test_tensor_array_checks.py" in caught.value.message


def test_a_gather_past_the_end_raises():
    with tf.Graph().as_default():
        i = tf.placeholder(tf.int32, [])
        gathered = _array().gather([0, i])
        with tf.Session() as sess:
            assert list(sess.run(gathered, {i: 1})) == [1.0, 2.0]
            with pytest.raises(tf.errors.InvalidArgumentError) as caught:
                sess.run(gathered, {i: 4})
    assert "Tried to read from index 4 but array size is: 3" in caught.value.message


def test_a_read_past_the_end_in_a_while_loop_raises():
    with tf.Graph().as_default():
        array = _array()
        limit = tf.placeholder(tf.int32, [])
        _, total = tf.while_loop(
            lambda i, acc: i < limit, lambda i, acc: (i + 1, acc + array.read(i)), [0, 0.0]
        )
        with tf.Session() as sess:
            assert sess.run(total, {limit: 3}) == 6.0  # TF: 6.0
            with pytest.raises(tf.errors.InvalidArgumentError) as caught:
                sess.run(total, {limit: 5})
    assert "Tried to read from index 3 but array size is: 3" in caught.value.message
    assert "TensorArrayRead" in caught.value.message


def test_the_switch_turns_the_check_off(monkeypatch):
    monkeypatch.setenv("FLOWGRAPH_CHECKS", "0")
    with tf.Graph().as_default():
        read = _array().read(tf.constant(5))
        with tf.Session() as sess:
            assert sess.run(read) == 3.0  # XLA's clamped read
