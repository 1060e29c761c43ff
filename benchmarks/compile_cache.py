"""The persistent compile cache: a new process's first run, cold against warm.

Each sample is a fresh Python process that builds a graph, runs it once (which compiles it)
and reports the seconds from the start of building to the first result. A cold process has
an empty cache directory; a warm one finds the executables that an earlier process wrote.
Cold and warm processes alternate, and so do three variants, each with its own cache
directory: flowgraph's executable cache with a large segment compiled as a chain of
executables (`device/split_compile.py`, the default), the same with one executable
(`FLOWGRAPH_SPLIT_COMPILE_MIN_NODES` set huge), and jax's persistent cache alone
(`FLOWGRAPH_EXECUTABLE_CACHE=0`: every segment traced and lowered, then found). Cases:
  cnn:   the CNN training step of `train_step.py --model cnn` (Momentum, fed batch);
  graph: the 5,000-op graph of `graph_build.py` (1,666 dense tanh layers), one forward run.
Prints the median first-run seconds (wall, and the process's CPU seconds, steadier on a
busy machine), the ratios warm / cold (goal: <= 0.3) and chain / one executable, and where
a warm first run spends its time: building the graph, planning, the segments' first calls
(loading, or tracing and compiling, and running).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def first_run(case: str) -> tuple[float, float, dict]:
    """Seconds (wall, CPU) to build the case's graph and run it once, in this process, and
    the wall seconds of building, planning and the segments' first calls (`explain`, which
    reports the last two, runs after the clock stops: it is no part of a first run)."""
    import numpy as np
    from cnn_model import cnn_batch, cnn_graph, cnn_initial_weights
    from graph_build import FIRST_RUN_LAYERS, build

    import flowgraph as tf

    start, cpu = time.perf_counter(), time.process_time()
    if case == "cnn":
        with tf.Graph().as_default():
            x, y, loss, train = cnn_graph(tf, cnn_initial_weights())
            init = tf.global_variables_initializer()
            x_value, y_value = cnn_batch()
            built = time.perf_counter()
            with tf.Session() as sess:
                sess.run(init)
                sess.run([train, loss], {x: x_value, y: y_value})
                seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
                runs = [sess.explain(init), sess.explain([train, loss], {x: x_value, y: y_value})]
    else:
        graph = build(FIRST_RUN_LAYERS)
        built = time.perf_counter()
        with tf.Session(graph=graph) as sess:
            out = graph.get_operations()[-1].outputs[0]
            sess.run(out, {"x:0": np.ones((8, 64), np.float32)})
            seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
            runs = [sess.explain(out, {"x:0": np.ones((8, 64), np.float32)})]
    split = {
        "build": built - start,
        "plan": sum(r.build_seconds for r in runs),
        "first calls": sum(r.compile_seconds for r in runs),
    }
    return seconds, cpu, split


# How a large segment compiles: a chain of executables (the default) or one executable;
# and the cache: flowgraph's executable cache, or jax's persistent cache alone.
VARIANTS = {
    "chain": {},
    "one": {"FLOWGRAPH_SPLIT_COMPILE_MIN_NODES": str(10**9)},
    "jax cache only": {"FLOWGRAPH_EXECUTABLE_CACHE": "0"},
}


_SWITCHES = ("FLOWGRAPH_COMPILE_CACHE", "FLOWGRAPH_EXECUTABLE_CACHE")  # the caches stay on


def sample(case: str, cache_dir: str, variant: str) -> tuple[float, float, dict]:
    """The first-run seconds (wall, CPU, split) of `case` in a new process caching in
    `cache_dir`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SWITCHES)}
    env.update({"FLOWGRAPH_COMPILE_CACHE_DIR": cache_dir, **VARIANTS[variant]})
    root = os.path.dirname(HERE)
    env["PYTHONPATH"] = os.pathsep.join([HERE, root, env.get("PYTHONPATH", "")])
    out = subprocess.run(
        [sys.executable, __file__, "--worker", case],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return result["seconds"], result["cpu"], result["split"]


def measure(case: str, repeats: int) -> None:
    runs: dict[tuple[str, str], list] = {}
    splits: dict[tuple[str, str], list] = {}
    with tempfile.TemporaryDirectory(prefix="flowgraph-bench-cache-") as root:
        for variant in VARIANTS:  # the processes whose executables the warm ones find
            sample(case, os.path.join(root, f"{variant}-warm"), variant)
        for i in range(repeats):
            for variant in VARIANTS:
                for kind in ("cold", "warm"):
                    where = f"{variant}-cold{i}" if kind == "cold" else f"{variant}-warm"
                    *seconds, split = sample(case, os.path.join(root, where), variant)
                    runs.setdefault((variant, kind), []).append(seconds)
                    splits.setdefault((variant, kind), []).append(split)
    med = {k: [statistics.median(x) for x in zip(*v)] for k, v in runs.items()}
    for variant in VARIANTS:
        (cw, cc), (ww, wc) = med[variant, "cold"], med[variant, "warm"]
        parts = {k: statistics.median(s[k] for s in splits[variant, "warm"]) for k in SPLIT}
        where = ", ".join(f"{k} {v:.2f}" for k, v in parts.items())
        print(
            f"{case} ({_described(variant)}): first run cold {cw:6.2f} s (CPU {cc:5.2f}), warm "
            f"{ww:6.2f} s (CPU {wc:5.2f}); warm/cold {ww / cw:.2f}x (CPU {wc / cc:.2f}x); warm "
            f"wall s: {where}; medians of {repeats} alternating processes",
            flush=True,
        )
    one = med["one", "cold"][0]
    print(
        f"{case}: chain / one executable: cold {med['chain', 'cold'][0] / one:.2f}x, "
        f"chain warm / one cold {med['chain', 'warm'][0] / one:.2f}x",
        flush=True,
    )


SPLIT = ("build", "plan", "first calls")


def _described(variant: str) -> str:
    return {"chain": "chain of executables", "one": "one executable"}.get(variant, variant)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--case", choices=("cnn", "graph", "all"), default="all")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--worker", choices=("cnn", "graph"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        seconds, cpu, split = first_run(args.worker)
        print(json.dumps({"seconds": seconds, "cpu": cpu, "split": split}))
        return
    for case in ("cnn", "graph") if args.case == "all" else (args.case,):
        measure(case, args.repeats)


if __name__ == "__main__":
    main()
