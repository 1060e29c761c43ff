"""What a host segment and a dataset function compute once, not every run: constants, and
the handles of resources that exist. Runs still see changed feeds, a resource made again
after a reset, a closed store's error, and a traced run's stats of every node."""

import numpy as np
import pytest

import flowgraph as tf
from device import lower


@pytest.fixture
def ran(monkeypatch):
    """The op types of the host nodes run (through `device.lower._run_timed`), in order."""
    ops = []
    run_timed = lower._run_timed

    def recording(node, frame):
        ops.append(node.op)
        run_timed(node, frame)

    monkeypatch.setattr(lower, "_run_timed", recording)
    return ops


def test_a_host_segment_runs_its_constants_once_and_sees_each_feed(ran):
    with tf.Graph().as_default():
        name = tf.placeholder(tf.string, [])
        joined = tf.strings.join([tf.constant("hello "), name, tf.constant("!")])
        with tf.Session() as sess:
            assert sess.run(joined, {name: "a"}) == b"hello a!"
            assert sess.run(joined, {name: "bb"}) == b"hello bb!"
            assert sess.run(joined, {name: ""}) == b"hello !"
    assert ran == ["StringJoin"] * 3  # the constants were computed when it was lowered


def test_a_queue_op_makes_its_queue_once_then_takes_its_handle(ran):
    with tf.Graph().as_default():
        queue = tf.FIFOQueue(10, tf.int32, shapes=[[]])
        value = tf.placeholder(tf.int32, [])
        enqueue, size = queue.enqueue([value]), queue.size()
        with tf.Session() as sess:
            sess.run(enqueue, {value: 1})
            assert ran.count("FIFOQueueV2") == 1
            for v in (2, 3):
                sess.run(enqueue, {value: v})
            assert ran.count("FIFOQueueV2") == 1 and sess.run(size) == 3
            assert sess.run(queue.dequeue_many(3)).tolist() == [1, 2, 3]

            sess._store.reset([])  # the queue dropped: the next run makes a new one
            sess.run(enqueue, {value: 4})
            assert ran.count("FIFOQueueV2") == 2 and sess.run(size) == 1

            sess._store.close()  # the handle's node runs again and fails, as it did
            with pytest.raises(tf.errors.CancelledError, match="closed"):
                sess.run(enqueue, {value: 5})


def test_a_traced_run_still_times_every_host_node():
    with tf.Graph().as_default():
        name = tf.placeholder(tf.string, [])
        joined = tf.strings.join([tf.constant("hi "), name], name="joined")
        with tf.Session() as sess:
            sess.run(joined, {name: "a"})  # constants computed once from here
            meta = tf.RunMetadata()
            options = tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE)
            assert sess.run(joined, {name: "b"}, options=options, run_metadata=meta) == b"hi b"
    names = {n.node_name for d in meta.step_stats.dev_stats for n in d.node_stats}
    assert {"Const", "joined"} <= names


def test_a_dataset_function_s_constants_are_computed_once_and_captures_change():
    with tf.Graph().as_default():
        suffix = tf.placeholder(tf.string, [])
        dataset = tf.data.Dataset.from_tensor_slices([b"a", b"b"]).map(
            lambda s: tf.strings.join([tf.constant("<"), s, suffix, tf.constant(">")])
        )
        iterator = tf.data.make_initializable_iterator(dataset)
        item = iterator.get_next()
        with tf.Session() as sess:
            got = []
            for fed in (b"1", b"22"):
                sess.run(iterator.initializer, {suffix: fed})
                got += [sess.run(item), sess.run(item)]
    assert got == [b"<a1>", b"<b1>", b"<a22>", b"<b22>"]
