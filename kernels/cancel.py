"""Deadlines of the compiled calls now running: a loop with no bound polls them, so that a
run's `timeout_in_ms` (or `operation_timeout_in_ms`) ends it as TensorFlow cancels a step."""

from __future__ import annotations

import contextlib
import itertools
import math
import threading
import time

MARK = "flowgraph: a compiled loop passed its run's deadline"
_running: dict[int, float] = {}  # call -> its run's deadline (time.monotonic(); inf: none)
_ids = itertools.count()
_lock = threading.Lock()


@contextlib.contextmanager
def running(deadline: float | None):
    """Registers one compiled call of a run with `deadline` (None: none) while it runs."""
    key = next(_ids)
    with _lock:
        _running[key] = math.inf if deadline is None else deadline
    try:
        yield
    finally:
        with _lock:
            del _running[key]


def expired() -> bool:
    """Whether every call now running is past its run's deadline: a loop cannot tell whose
    it is, so it stops only then (with one run at a time, exactly when its deadline passes;
    never while a run without a deadline is running)."""
    with _lock:
        deadlines = list(_running.values())
    return bool(deadlines) and time.monotonic() > max(deadlines)


def check() -> None:
    """Raises (for a host callback inside compiled code) once the deadline has passed."""
    if expired():
        raise RuntimeError(MARK)
