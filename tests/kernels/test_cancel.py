"""Deadlines polled by compiled loops without a bound: a loop stops only when every call
now running is past its run's deadline."""

from __future__ import annotations

import time

import pytest

from kernels import cancel


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
