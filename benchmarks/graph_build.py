"""Graph-building speed, and the first run of a big graph.

Build speed: ops per second for a graph of repeated dense layers. TF1 builds about 2,600
ops/s on such graphs; flowgraph aims for at least 20,000. Prints the median ops/s over
several builds and the ratio to TF1's figure.

First run (`--first-run`): the seconds from building a 5,000-op graph of such layers to the
first result of `Session.run` (build, prune, place, lower, trace, compile, run), against
`jax.jit` tracing, compiling and running the same computation written as a Python loop,
alternating; with `--tf-python`, also TensorFlow's compat.v1 graph mode building and running
it (`tf_graph_first_run.py`, in a subprocess of that interpreter). This process turns the
persistent compile caches off (jax's and flowgraph's executable cache): every first run here
compiles (`compile_cache.py` measures the caches). Also prints each side's split, medians:
flowgraph's build (ops made), plan (prune, place, partition, lower: `Session.explain`'s
figure), then for both sides jax's own events (`jax.monitoring`): trace (flowgraph: running
the nodes' kernels), lower (to StableHLO), compile (XLA) and the rest, run (dispatch and the
first execution, with fetching the result); then the process's CPU seconds, and the median
time of a later step (steady state).
"""

from __future__ import annotations

import argparse
import collections
import os
import statistics
import subprocess
import time

import jax
import jax.monitoring
import jax.numpy as jnp
import numpy as np

import flowgraph as tf
from device import executable_cache

TF1_OPS_PER_SECOND = 2600.0
FIRST_RUN_LAYERS = 1666  # 3 ops a layer and 3 inputs: 5,001 ops


def build(n_layers: int) -> tf.Graph:
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [None, 64], name="x")
        w = tf.constant(np.ones((64, 64), np.float32), name="w")
        b = tf.constant(np.ones((64,), np.float32), name="b")
        h = x
        for _ in range(n_layers):
            with tf.name_scope("layer"):
                h = tf.tanh(tf.matmul(h, w) + b)
    return graph


# jax's compile events, summed per first run: what each stage of jax.jit's first call took.
JAX_EVENTS = {
    "/jax/core/compile/jaxpr_trace_duration": "trace",
    "/jax/core/compile/jaxpr_to_mlir_module_duration": "lower",
    "/jax/core/compile/backend_compile_duration": "compile",
}
_events: collections.Counter = collections.Counter()


def _on_event(event: str, seconds: float, **kwargs) -> None:
    if event in JAX_EVENTS:
        _events[JAX_EVENTS[event]] += seconds


def _split(total: float, cpu: float, step: float, **parts: float) -> dict[str, float]:
    """`parts`, jax's events, the run (what `total` leaves), `cpu`: the process's CPU
    seconds over all threads, which load on a shared machine changes less than wall time;
    and `step`: the median of later runs (steady state)."""
    parts.update((name, _events[name]) for name in JAX_EVENTS.values())
    return {**parts, "run": total - sum(parts.values()), "total": total, "cpu": cpu, "step": step}


def _median_step(run, steps: int = 9) -> float:
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def flowgraph_first_run(n_layers: int, x_value) -> dict[str, float]:
    _events.clear()
    start, cpu = time.perf_counter(), time.process_time()
    graph = build(n_layers)
    built = time.perf_counter()
    fetch, feed = graph.get_operations()[-1].outputs[0], {"x:0": x_value}
    with tf.Session(graph=graph) as sess:
        sess.run(fetch, feed)
        total, cpu = time.perf_counter() - start, time.process_time() - cpu
        plan = sess.explain(fetch, feed).build_seconds  # the plan of that run (cached)
        step = _median_step(lambda: sess.run(fetch, feed))
    return _split(total, cpu, step, build=built - start, plan=plan)


def jax_first_run(n_layers: int, x_value) -> dict[str, float]:
    _events.clear()
    start, cpu = time.perf_counter(), time.process_time()
    w, b = np.ones((64, 64), np.float32), np.ones((64,), np.float32)

    def forward(h):
        for _ in range(n_layers):
            h = jnp.tanh(jnp.matmul(h, w, precision=jax.lax.Precision.HIGHEST) + b)
        return h

    jitted = jax.jit(forward)
    np.asarray(jitted(x_value))
    total, cpu = time.perf_counter() - start, time.process_time() - cpu
    return _split(total, cpu, _median_step(lambda: np.asarray(jitted(x_value))))


def tensorflow_first_run(python: str, n_layers: int) -> float:
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tf_graph_first_run.py")
    out = subprocess.run(
        [python, script, str(n_layers)], capture_output=True, text=True, timeout=600, check=True
    )
    return float(out.stdout.strip().splitlines()[-1])


def first_run(args) -> None:
    # Every first run here compiles: both persistent caches are off in this process (jax reads
    # its switch at its first compile, which comes after this; flowgraph's executable cache
    # was configured when flowgraph was imported).
    jax.config.update("jax_enable_compilation_cache", False)
    executable_cache.configure(None)
    jax.monitoring.register_event_duration_secs_listener(_on_event)
    x_value = np.ones((8, 64), np.float32)
    flowgraph_first_run(2, x_value)  # the process's one-time costs (jax's lowering set-up)
    jax_first_run(2, x_value)
    sides = {
        "flowgraph": lambda: flowgraph_first_run(args.layers, x_value),
        "jax": lambda: jax_first_run(args.layers, x_value),
    }
    if args.tf_python:
        sides["tensorflow"] = lambda: {"total": tensorflow_first_run(args.tf_python, args.layers)}
    splits = {name: collections.defaultdict(list) for name in sides}
    for _ in range(args.repeats):
        for name, run in sides.items():
            for part, seconds in run().items():
                splits[name][part].append(seconds)
    med = {name: statistics.median(split["total"]) for name, split in splits.items()}
    for name, split in splits.items():
        parts = [f"{part} {statistics.median(s):.3f} s" for part, s in split.items()]
        if "step" in split:
            parts[-1] = f"step {statistics.median(split['step']) * 1e3:.2f} ms"
        print(f"{name} split (medians): " + ", ".join(parts))
    ops = len(build(args.layers).get_operations())
    line = ", ".join(f"{name} {s:.2f} s" for name, s in med.items())
    print(f"first run of a {ops:,}-op graph: {line} (medians of {args.repeats}, alternating)")
    more = {name: split for name, split in splits.items() if "cpu" in split}
    for other in [n for n in med if n != "flowgraph"]:
        line = f"ratio flowgraph/{other}: {med['flowgraph'] / med[other]:.2f}x"
        if other in more:
            cpu, step = (
                statistics.median(more["flowgraph"][k]) / statistics.median(more[other][k])
                for k in ("cpu", "step")
            )
            line += f" (CPU time {cpu:.2f}x; steady step {step:.2f}x)"
        print(line)


def build_speed(args) -> None:
    build(10)  # warm the shape-inference cache as a real model's first layer would
    rates = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        graph = build(args.layers)
        rates.append(len(graph.get_operations()) / (time.perf_counter() - start))
    median = statistics.median(rates)
    print(f"graph build: {median:,.0f} ops/s (median of {args.repeats})")
    print(f"ratio flowgraph/TF1 (2,600 ops/s): {median / TF1_OPS_PER_SECOND:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--layers", type=int, help="default 2000; 1666 with --first-run")
    parser.add_argument("--repeats", type=int, help="default 7; 3 with --first-run")
    parser.add_argument("--first-run", action="store_true", help="time a big graph's first run")
    parser.add_argument("--tf-python", help="a Python with TensorFlow (with --first-run)")
    args = parser.parse_args()
    if args.first_run:
        args.layers, args.repeats = args.layers or FIRST_RUN_LAYERS, args.repeats or 3
        first_run(args)
    else:
        args.layers, args.repeats = args.layers or 2000, args.repeats or 7
        build_speed(args)


if __name__ == "__main__":
    main()
