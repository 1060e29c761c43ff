"""Where the compiled-in checks' cost goes on XLA:CPU: jax's profiler over training steps.

For each of the MLP (fed), CNN and embedding steps of `train_step.py`, checks on and
`FLOWGRAPH_CHECKS=0`, runs `--steps` steps under jax's profiler and prints per step: how
many times XLA:CPU's thunk executor ran (`ThunkExecutor::Execute`: 1 when the step ran to
its end on the calling thread, 2 when its rest was resumed on a pool thread), how long the
caller waited for that other thread (`wait for completion`), and the time of the kernels
only the checked program has (the checks' compares, reductions and conditional).

Found with it (2-core machine, other jobs running), with the checks compiled into these
steps: their kernels took ~10 us a step; the embedding step's extra cost was the hand-off.
With checks on its executor ran twice a step (off: ~1.1): any extra source thunk, even the
256 labels' check alone, changed which thunk the executor ran first, and the step's rest
went to a pool thread while the caller waited. Barriers (`lax.optimization_barrier`) do
not reorder it: XLA:CPU builds the thunk graph from buffer uses only. Since these steps'
fed values are checked on the host (`device.checks.HostChecks`) their kernels are the
unchecked steps' (embedding 1.15 runs a step on, 1.11 off; CNN 5.95 / 5.72, was 7.05).

Then (`--host`, alone) the host side: the calling thread's CPU time per step, checks on and
off, alternating, and that of the host checks alone (`HostChecks._failed`), timed inside the
loop. Found with it (loaded 2-core machine): the host check of the MLP's 128 labels took
~50 us of CPU in the loop where the same call alone takes ~3 us. Whatever runs first after
a step finds the caches cold (the step's buffers evicted them; no page faults: sleeping
2 ms before it did not help), and numpy's reduction machinery is cold code the unchecked
step never runs: `max` there cost twice what `argmax` does (used since), and 128 labels
read through a buffer view by CPython 24 us against argmax's 29 (medians, A/B in the
loop). The checked step had also left the executor's direct path and returned an error
word (`raising`, `deferred`): since the host checks run before the step and raise there,
it takes the unchecked step's path. callgrind, instructions a step outside the kernels
(which are the same): embedding, checks on against off, +30k (of which the scan of the
8,192 ids 8.5k; before: +87k, though its on side read its feeds in place where off copied
them, 34k); the MLP's host path +14k (the argument shapes it no longer reads cost 29k).
"""

from __future__ import annotations

import argparse
import collections
import glob
import os
import statistics
import tempfile
import time

import jax
import numpy as np
import train_step as ts
from cnn_model import cnn_batch, cnn_initial_weights

from device import checks


def _built(make, checks: str):
    os.environ["FLOWGRAPH_CHECKS"] = checks
    try:
        step = make()
        step()  # lowered and compiled under this setting
    finally:
        os.environ.pop("FLOWGRAPH_CHECKS")
    return step


def _events(step, steps: int) -> dict[str, list[float]]:
    """Durations in us of the profiler's events over `steps` steps, by name."""
    for _ in range(steps // 5):
        step()
    with tempfile.TemporaryDirectory() as where:
        with jax.profiler.trace(where):
            for _ in range(steps):
                step()
        (path,) = glob.glob(os.path.join(where, "**", "*.xplane.pb"), recursive=True)
        data = jax.profiler.ProfileData.from_file(path)
    durations = collections.defaultdict(list)
    for plane in data.planes:
        for line in plane.lines:
            for event in line.events:
                durations[event.name].append(event.duration_ns / 1e3)
    return durations


def report(label: str, make, steps: int) -> None:
    on, off = (_events(_built(make, checks), steps) for checks in ("1", "0"))
    # Kernels of the checked program only (XLA names them by what they fuse).
    extra = sum(sum(d) for name, d in on.items() if name not in off and _is_thunk(name))
    for side, events in (("on ", on), ("off", off)):
        runs = len(events.get("ThunkExecutor::Execute", [])) / steps
        waits = events.get("ThunkExecutor::Execute (wait for completion)") or [0.0]
        print(
            f"{label} checks {side}: executor runs/step {runs:.2f}, caller's wait median "
            f"{statistics.median(waits):8.1f} us (mean {np.mean(waits):8.1f})",
            flush=True,
        )
    print(f"{label} kernels only the checked step runs: {extra / steps:5.1f} us/step", flush=True)


def _is_thunk(name: str) -> bool:
    return not name.startswith(("$", "end: ", "ThunkExecutor", "Pjit", "Common", "Handle"))


def host_report(label: str, make, steps: int) -> None:
    """Caller-thread CPU us per step, checks on and off alternating, and of the host checks
    inside the checked steps."""
    on, off = _built(make, "1"), _built(make, "0")
    spent, real = [], checks.HostChecks._failed

    def timed(self, statics, args):
        start = time.thread_time()
        try:
            return real(self, statics, args)
        finally:
            spent.append(time.thread_time() - start)

    cpu = {"on": [], "off": []}
    checks.HostChecks._failed = timed
    try:
        for i in range(steps):
            for side, step in (("on", on), ("off", off))[:: 1 if i % 2 else -1]:
                start = time.thread_time()
                step()
                cpu[side].append(time.thread_time() - start)
    finally:
        checks.HostChecks._failed = real
    on_us, off_us, check_us = (statistics.median(v) * 1e6 for v in (*cpu.values(), spent))
    print(
        f"{label} calling thread's CPU us/step: on {on_us:7.1f}, off {off_us:7.1f} "
        f"(ratio {on_us / off_us:.3f}x); the host checks in the loop {check_us:5.1f}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--host", action="store_true", help="time the host side instead")
    args = parser.parse_args()
    x, y = ts.batch()
    mlp = lambda: ts.flowgraph_step(ts.initial_weights(), x, y, False)  # noqa: E731
    if args.host:
        host_report("(a) mlp feed ", mlp, args.steps * 5)
        host_report("(d) embedding", ts.embedding_step, args.steps * 10)
        return
    report("(a) mlp feed ", mlp, args.steps)
    cx, cy = cnn_batch()
    report("(c) cnn feed ", lambda: ts.cnn_flowgraph_step(cnn_initial_weights(), cx, cy), 40)
    report("(d) embedding", ts.embedding_step, args.steps)


if __name__ == "__main__":
    main()
