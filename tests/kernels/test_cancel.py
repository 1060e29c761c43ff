"""Deadlines and cancellation polled by compiled loops without a bound: a loop stops when
its own call must (polled from its caller's thread), else when every call now running must."""

from __future__ import annotations

import threading
import time

import pytest

from kernels import cancel, errors


def test_nothing_running_never_expires():
    assert not cancel.expired()
    cancel.check()


def test_a_call_past_its_deadline_expires_and_check_raises_the_mark():
    with cancel.running(time.monotonic() - 1.0):
        assert cancel.expired()
        with pytest.raises(RuntimeError, match=cancel.MARK):
            cancel.check()
    assert not cancel.expired()  # unregistered when the call ends


def test_a_run_without_deadline_keeps_every_loop_going():
    with cancel.running(time.monotonic() - 1.0), cancel.running(None):
        assert not cancel.expired()
    with cancel.running(time.monotonic() + 60.0):
        assert not cancel.expired()


def test_a_cancelled_call_stops_with_the_cancelled_mark_and_tfs_error():
    closed = threading.Event()
    with cancel.running(None, closed):
        assert cancel.stop_reason() is None
        closed.set()
        assert cancel.stop_reason() == cancel.CANCELLED_MARK
        with pytest.raises(RuntimeError, match=cancel.CANCELLED_MARK):
            cancel.check()
        with pytest.raises(errors.CancelledError, match="Loop execution was cancelled."):
            cancel.raise_if_stopped()
    with cancel.running(time.monotonic() - 1.0):
        with pytest.raises(errors.DeadlineExceededError, match="Timed out waiting"):
            cancel.raise_if_stopped()


def test_a_loop_polling_from_its_callers_thread_sees_only_its_own_call():
    closed, seen = threading.Event(), {}
    closed.set()

    def other_call():  # another thread's call, not cancelled, runs all along
        with cancel.running(None):
            seen["other"] = cancel.stop_reason()
            done.wait(10)

    done = threading.Event()
    thread = threading.Thread(target=other_call)
    with cancel.running(None, closed):
        thread.start()
        time.sleep(0.1)
        assert cancel.stop_reason() == cancel.CANCELLED_MARK  # ours is cancelled
        done.set()
        thread.join(10)
    assert seen["other"] is None  # the other thread's call goes on


def test_a_poll_from_a_thread_without_calls_stops_only_when_every_call_must():
    closed = threading.Event()
    closed.set()
    result = {}

    def poll():  # as a callback on a runtime thread (not the caller's) polls
        result["reason"] = cancel.stop_reason()

    for others, expected in ((None, None), (closed, cancel.CANCELLED_MARK)):
        with cancel.running(None, closed), cancel.running(None, others):
            thread = threading.Thread(target=poll)
            thread.start()
            thread.join(10)
        assert result["reason"] == expected
