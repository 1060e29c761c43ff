"""TF's names for unshared resources: `_<id>_<op name>`, ids counted over the process."""

from __future__ import annotations

import re

import pytest

import flowgraph as tf
from kernels.resource_names import resource_name


def test_a_shared_name_is_the_name():
    assert resource_name("q", "shared", "") == "shared"


def test_unshared_names_take_consecutive_ids_and_drop_the_container():
    first = resource_name("scope/q", "", "")
    second = resource_name("box/scope/q", "", "box")
    n = int(re.fullmatch(r"_(\d+)_scope/q", first).group(1))
    assert second == f"_{n + 1}_scope/q"


def _closed_message(sess, queue) -> str:
    sess.run(queue.close())
    with pytest.raises(tf.errors.OutOfRangeError) as info:
        sess.run(queue.dequeue())
    return str(info.value)


def test_queues_are_named_in_the_order_a_session_first_makes_them():
    with tf.Graph().as_default():
        a = tf.FIFOQueue(2, tf.float32, name="a")
        b = tf.RandomShuffleQueue(2, 0, tf.float32, name="b")
        shared = tf.FIFOQueue(2, tf.float32, shared_name="common", name="c")
        sess = tf.Session()
        later = _closed_message(sess, b)  # b runs first: it takes the lower id
        n = int(
            re.search(r"RandomShuffleQueue '_(\d+)_b' is closed and has insufficient", later)[1]
        )
        assert f"FIFOQueue '_{n + 1}_a' is closed" in _closed_message(sess, a)
        assert "FIFOQueue 'common' is closed" in _closed_message(sess, shared)
        assert f"'_{n + 2}_a'" in _closed_message(tf.Session(), a)  # counted per process
