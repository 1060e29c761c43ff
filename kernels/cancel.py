"""Deadlines and cancellation of the compiled calls now running: a loop with no bound polls
them, so that a run's `timeout_in_ms` (or `operation_timeout_in_ms`) or the closing of its
session ends it as TensorFlow cancels a step."""

from __future__ import annotations

import contextlib
import itertools
import math
import threading
import time

from kernels import errors

MARK = "flowgraph: a compiled loop passed its run's deadline"
CANCELLED_MARK = "flowgraph: a compiled loop's session was closed"


# A running call: (its run's deadline, time.monotonic(), inf: none; the event set when its
# session closes, or None; the thread that made it, where a CPU loop's callbacks run). A
# plain tuple: registering one is on every segment call's path.
_running: dict[int, tuple[float, threading.Event | None, int]] = {}
_ids = itertools.count()
_lock = threading.Lock()


def enter(deadline: float | None, cancelled: threading.Event | None = None) -> int:
    """Registers one compiled call of a run with `deadline` (None: none) and the event
    `cancelled` (set when its session closes; None: never); returns its key for `leave`."""
    key = next(_ids)
    call = (math.inf if deadline is None else deadline, cancelled, threading.get_ident())
    with _lock:
        _running[key] = call
    return key


def leave(key: int) -> None:
    """Unregisters the call `enter` returned `key` for."""
    with _lock:
        del _running[key]


@contextlib.contextmanager
def running(deadline: float | None, cancelled: threading.Event | None = None):
    """`enter` and `leave` around the calls made in the `with` block."""
    key = enter(deadline, cancelled)
    try:
        yield
    finally:
        leave(key)


def _stop(call: tuple) -> str | None:
    """Why a registered call must stop (the mark to raise), or None."""
    deadline, cancelled, _ = call
    if cancelled is not None and cancelled.is_set():
        return CANCELLED_MARK
    return MARK if time.monotonic() > deadline else None


def stop_reason() -> str | None:
    """The mark of why a polling loop must stop now, or None to go on.

    A loop polls from a host callback. Where that runs in the thread that made the call
    (XLA on CPU), the loop stops when its own call must; elsewhere it cannot tell whose
    call it is, so it stops only when every call now running must (with one run at a
    time, exactly when its deadline passes or its session closes).
    """
    me = threading.get_ident()
    with _lock:
        calls = list(_running.values())
    own = [c for c in calls if c[2] == me]
    reasons = [_stop(c) for c in (own or calls)]
    if not reasons or None in reasons:
        return None
    return CANCELLED_MARK if CANCELLED_MARK in reasons else MARK


def expired() -> bool:
    """Whether a polling loop must stop now (its run's deadline passed or its session
    closed): see `stop_reason`."""
    return stop_reason() is not None


def check() -> None:
    """Raises the mark of `stop_reason` (for a host callback inside compiled code)."""
    reason = stop_reason()
    if reason is not None:
        raise RuntimeError(reason)


def raise_if_stopped() -> None:
    """Raises TF's error for `stop_reason` (for a loop stepped from the host)."""
    reason = stop_reason()
    if reason is not None:
        raise stopped_error(reason)


def stopped_error(mark: str) -> errors.OpError:
    """TF's error for a loop stopped with `mark`: its deadline passed (as a waiting op
    times out) or its session closed (as TF's executor cancels a loop)."""
    if mark == CANCELLED_MARK:
        return errors.CancelledError(None, None, "Loop execution was cancelled.")
    return errors.DeadlineExceededError(None, None, "Timed out waiting for notification")
