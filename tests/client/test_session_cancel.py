"""Closing (or resetting) a session cancels its runs in progress in other threads, as TF's
runtime does: a compiled loop with no bound ends with `CancelledError: Loop execution was
cancelled.`, a queue wait inside control flow with `Dequeue operation was cancelled`, and
no thread stays stuck. Every wait here is bounded."""

from __future__ import annotations

import threading
import time

import pytest

import flowgraph as tf

_BOUND = 60.0  # seconds: far above a cancelled run's end, so only a hang reaches it


def _start(fn) -> tuple[threading.Thread, dict]:
    """Runs `fn` in a thread; the dict gets its "value" or "error"."""
    out: dict = {}

    def target():
        try:
            out["value"] = fn()
        except BaseException as e:  # noqa: BLE001  (handed to the test)
            out["error"] = e

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, out


def _cancelled_by(stop, fn) -> tuple[BaseException, float]:
    """Starts `fn` in a thread, calls `stop()` once it is running (for 1 s), and returns
    the error the run raised and how long it took to end after `stop()`."""
    before = set(threading.enumerate())
    thread, out = _start(fn)
    time.sleep(1.0)
    assert thread.is_alive(), f"the run ended before it was cancelled: {out}"
    start = time.monotonic()
    stop()
    thread.join(_BOUND)
    took = time.monotonic() - start
    assert not thread.is_alive(), "the run did not end"
    stuck = [t for t in set(threading.enumerate()) - before if not t.daemon and t.is_alive()]
    assert not stuck, f"threads left running: {stuck}"
    assert "error" in out, f"the run returned {out.get('value')!r}"
    return out["error"], took


def _endless_loop():
    x = tf.placeholder(tf.float32, [])
    return x, tf.while_loop(lambda i, v: v > 0.0, lambda i, v: (i + 1, v + 1.0), [0, x])


def test_closing_the_session_ends_an_endless_compiled_loop_with_tfs_error():
    with tf.Graph().as_default():
        x, r = _endless_loop()
        sess = tf.Session()
        assert sess.run(r, {x: -1.0}) == [0, -1.0]  # compiled once, before the endless run
        error, took = _cancelled_by(sess.close, lambda: sess.run(r, {x: 1.0}))
    assert isinstance(error, tf.errors.CancelledError)
    assert "Loop execution was cancelled." in str(error)  # TF 2.21's text
    assert took < 20
    with pytest.raises(RuntimeError, match="Attempted to use a closed Session."):
        sess.run(r, {x: -1.0})


def test_closing_one_session_leaves_another_sessions_loop_running():
    with tf.Graph().as_default():
        x, r = _endless_loop()
        closed, other = tf.Session(), tf.Session()
        running, out = _start(lambda: other.run(r, {x: 1.0}))
        error, _ = _cancelled_by(closed.close, lambda: closed.run(r, {x: 1.0}))
        assert isinstance(error, tf.errors.CancelledError)
        time.sleep(0.5)
        assert running.is_alive(), f"the other session's run ended: {out}"
        other.close()
        running.join(_BOUND)
        assert not running.is_alive() and isinstance(out["error"], tf.errors.CancelledError)


def test_session_reset_cancels_a_running_loop_and_closes_the_session_as_tf():
    with tf.Graph().as_default():
        x, r = _endless_loop()
        sess = tf.Session()
        error, took = _cancelled_by(lambda: tf.Session.reset(""), lambda: sess.run(r, {x: 1.0}))
        assert isinstance(error, tf.errors.CancelledError) and took < 20
        assert "Loop execution was cancelled." in str(error)
        with pytest.raises(tf.errors.CancelledError, match="Session has been closed."):
            sess.run(r, {x: -1.0})  # TF's runtime session is closed; the Python one is not
        sess.close()


def test_closing_the_session_cancels_a_dequeue_waiting_in_a_loop_body():
    with tf.Graph().as_default():
        q = tf.FIFOQueue(3, tf.float32, shapes=[[]])
        r = tf.while_loop(lambda i, s: i < 3, lambda i, s: (i + 1, s + q.dequeue()), [0, 0.0])
        sess = tf.Session()
        sess.run(q.enqueue(1.0))
        error, took = _cancelled_by(sess.close, lambda: sess.run(r))
    assert isinstance(error, tf.errors.CancelledError) and took < 20
    assert "Dequeue operation was cancelled" in str(error)  # TF's text


def test_a_run_with_a_deadline_is_cancelled_by_close_before_its_deadline():
    with tf.Graph().as_default():
        x, r = _endless_loop()
        sess = tf.Session(config=tf.ConfigProto(operation_timeout_in_ms=600_000))
        error, took = _cancelled_by(sess.close, lambda: sess.run(r, {x: 1.0}))
    assert isinstance(error, tf.errors.CancelledError) and took < 20


def test_closing_the_session_ends_the_gradient_of_an_endless_loop():
    # A fed-count loop's gradient first counts its trips (WhileTripCount): that count polls
    # the cancellation as the loop itself does.
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [])
        w = tf.Variable(2.0)
        _, v = tf.while_loop(lambda i, v: v > 0.0, lambda i, v: (i + 1, v * w), [0, x])
        grad = tf.gradients(v, w)[0]
        sess = tf.Session()
        sess.run(w.initializer)
        assert sess.run(grad, {x: -1.0}) == 0.0  # compiled once, before the endless run
        error, took = _cancelled_by(sess.close, lambda: sess.run(grad, {x: 1.0}))
    assert isinstance(error, tf.errors.CancelledError)
    assert "Loop execution was cancelled." in str(error)
    assert took < 20
