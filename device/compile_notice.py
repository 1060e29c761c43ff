"""Saying, once, that compiling a segment takes a while (tracing and XLA run silently)."""

from __future__ import annotations

import contextlib
import os
import sys
import threading

import jax

from device.partition import Segment
from device.place import short_name
from kernels import registry

# Seconds a first call may take before the notice; FLOWGRAPH_SLOW_COMPILE_SECONDS overrides.
SLOW_SECONDS = float(os.environ.get("FLOWGRAPH_SLOW_COMPILE_SECONDS", "3"))


@contextlib.contextmanager
def announce_slow_compile(segment: Segment):
    """Prints "compiling segment 3 (1,204 ops) for /device:CPU:0…" to stderr if the body
    (a segment's first call: trace and compile) is still running after `SLOW_SECONDS`."""
    if segment.kind != registry.XLA:
        yield
        return
    timer = threading.Timer(SLOW_SECONDS, _say, (segment,))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


def _say(segment: Segment) -> None:
    where = short_name(segment.device or jax.devices()[0])
    print(
        f"compiling segment {segment.index} ({len(segment.nodes):,} ops) for {where}…",
        file=sys.stderr,
        flush=True,
    )
