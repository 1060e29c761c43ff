"""Input threads lower the interpreter's switch interval, never raise it."""

import sys

import pytest

import flowgraph as tf
from kernels import input_threads


@pytest.fixture
def interval():
    saved = sys.getswitchinterval()
    yield
    sys.setswitchinterval(saved)


def test_quick_handoff_lowers_a_long_interval(interval):
    sys.setswitchinterval(0.005)
    input_threads.quick_handoff()
    assert sys.getswitchinterval() == pytest.approx(input_threads.HANDOFF_S)


def test_quick_handoff_keeps_a_shorter_interval(interval):
    sys.setswitchinterval(input_threads.HANDOFF_S / 4)
    input_threads.quick_handoff()
    assert sys.getswitchinterval() == pytest.approx(input_threads.HANDOFF_S / 4)


def test_a_queue_and_a_prefetch_make_handoffs_quick(interval):
    for build in (
        lambda: tf.FIFOQueue(2, tf.float32).size(),
        lambda: tf.data.make_one_shot_iterator(tf.data.Dataset.range(3).prefetch(1)).get_next(),
    ):
        sys.setswitchinterval(0.005)
        with tf.Graph().as_default(), tf.Session() as sess:
            sess.run(build())
        assert sys.getswitchinterval() == pytest.approx(input_threads.HANDOFF_S)
