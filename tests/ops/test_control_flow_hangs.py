"""Programs that used to hang: each ends as TensorFlow's does, or where TF blocks too
(a dequeue from an empty queue), has a way out (`operation_timeout_in_ms`, RunOptions,
Session.close). Every run here is bounded: it runs in a thread joined with a timeout."""

from __future__ import annotations

import threading
import time

import pytest

import flowgraph as tf

_BOUND = 120.0  # seconds: far above any run here, so only a hang reaches it


def _bounded(fn):
    """`fn()`'s result or exception; fails the test (instead of hanging) after _BOUND s."""
    out = {}

    def target():
        try:
            out["value"] = fn()
        except BaseException as e:  # noqa: BLE001  (handed to the test)
            out["error"] = e

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(_BOUND)
    assert not thread.is_alive(), "the run did not end"
    if "error" in out:
        raise out["error"]
    return out["value"]


def test_a_loop_condition_reading_a_variable_its_body_assigns_ends():
    with tf.Graph().as_default(), tf.Session() as sess:
        v = tf.Variable(0)

        def body(i):
            with tf.control_dependencies([tf.assign_add(v, 2)]):
                return i + 1

        r = tf.while_loop(lambda i: v < 10, body, [0])
        sess.run(v.initializer)
        assert _bounded(lambda: sess.run(r)) == 5  # TF: 5 iterations, v = 10
        assert sess.run(v) == 10


def test_loops_whose_condition_stays_true_end_at_maximum_iterations():
    with tf.Graph().as_default(), tf.Session() as sess:
        n = tf.placeholder(tf.int32, [])
        fed = tf.while_loop(lambda i: True, lambda i: i + 1, [0], maximum_iterations=n)
        static = tf.while_loop(lambda i: tf.constant(True), lambda i: i + 1, [0],
                               maximum_iterations=7)  # fmt: skip

        def outer(i):
            j = tf.while_loop(lambda j: j >= 0, lambda j: j + 1, [0], maximum_iterations=i)
            return i + j

        nested = tf.while_loop(lambda i: i < 100, outer, [1], maximum_iterations=5)
        assert _bounded(lambda: sess.run([fed, static, nested], {n: 5})) == [5, 7, 32]  # TF's


def _cond_dequeue():
    q = tf.FIFOQueue(3, tf.float32, shapes=[[]])
    p = tf.placeholder(tf.bool, [])
    return q, p, tf.cond(p, q.dequeue, lambda: tf.constant(-1.0))


def test_a_dequeue_in_a_cond_branch_runs_and_times_out_as_tf():
    with tf.Graph().as_default():
        q, p, r = _cond_dequeue()
        config = tf.ConfigProto(operation_timeout_in_ms=300)
        with tf.Session(config=config) as sess:
            assert sess.run(r, {p: False}) == -1.0  # the branch not taken does not wait
            sess.run(q.enqueue(5.0))
            assert _bounded(lambda: sess.run(r, {p: True})) == 5.0
            start = time.monotonic()
            with pytest.raises(tf.errors.DeadlineExceededError) as info:
                _bounded(lambda: sess.run(r, {p: True}))
            assert time.monotonic() - start < 30
    assert "Timed out waiting for notification" in str(info.value)
    assert "QueueDequeueV2 op 'cond/fifo_queue_Dequeue'" in str(info.value)


def test_run_options_timeout_and_operation_timeout_bound_a_dequeue():
    with tf.Graph().as_default():
        q = tf.FIFOQueue(3, tf.float32, shapes=[[]])
        with tf.Session(config=tf.ConfigProto(operation_timeout_in_ms=200)) as sess:
            with pytest.raises(tf.errors.DeadlineExceededError):
                _bounded(lambda: sess.run(q.dequeue()))
        with tf.Session() as sess:
            options = tf.RunOptions(timeout_in_ms=200)
            with pytest.raises(tf.errors.DeadlineExceededError):
                _bounded(lambda: sess.run(q.dequeue(), options=options))


def test_a_dequeue_in_a_loop_body_times_out_as_tf():
    with tf.Graph().as_default():
        q = tf.FIFOQueue(3, tf.float32, shapes=[[]])
        r = tf.while_loop(lambda i, s: i < 3, lambda i, s: (i + 1, s + q.dequeue()), [0, 0.0])
        with tf.Session(config=tf.ConfigProto(operation_timeout_in_ms=300)) as sess:
            sess.run(q.enqueue_many([[1.0, 2.0]]))
            with pytest.raises(tf.errors.DeadlineExceededError, match="Timed out waiting"):
                _bounded(lambda: sess.run(r))  # two elements for three iterations


def test_a_loop_whose_condition_stays_true_ends_at_the_runs_deadline():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [])
        r = tf.while_loop(lambda i, v: v > 0.0, lambda i, v: (i + 1, v + 1.0), [0, x])
        grow = tf.while_loop(  # shapes change: a host loop, each step compiled
            lambda v: tf.size(v) > 0,
            lambda v: tf.concat([v, v[:1]], 0)[-3:],
            [tf.reshape(x, [1])],
            shape_invariants=[tf.TensorShape([None])],
        )
        with tf.Session(config=tf.ConfigProto(operation_timeout_in_ms=400)) as sess:
            assert sess.run(r, {x: -1.0}) == [0, -1.0]  # ends at once: not cancelled
            for loop in (r, grow):
                start = time.monotonic()
                with pytest.raises(tf.errors.DeadlineExceededError, match="Timed out waiting"):
                    _bounded(lambda loop=loop: sess.run(loop, {x: 1.0}))
                assert time.monotonic() - start < 30
        with tf.Session() as sess:
            options = tf.RunOptions(timeout_in_ms=300)
            with pytest.raises(tf.errors.DeadlineExceededError):
                _bounded(lambda: sess.run(r, {x: 1.0}, options=options))
            assert sess.run(r, {x: -3.0}) == [0, -3.0]  # the session runs on


def test_closing_the_session_cancels_a_dequeue_waiting_in_a_cond_branch():
    with tf.Graph().as_default():
        q, p, r = _cond_dequeue()
        sess = tf.Session()
        timer = threading.Timer(0.5, sess.close)
        timer.start()
        try:
            with pytest.raises(tf.errors.CancelledError):
                _bounded(lambda: sess.run(r, {p: True}))
        finally:
            timer.cancel()
