"""The persistent compile cache: a new process's first run, cold against warm.

Each sample is a fresh Python process that builds a graph, runs it once (which compiles it)
and reports the seconds from the start of building to the first result. A cold process has
an empty cache directory; a warm one finds the executables that an earlier process wrote.
Cold and warm processes alternate, and so do two ways of compiling a large segment: as a
chain of executables (`device/split_compile.py`, the default) and as one executable
(`FLOWGRAPH_SPLIT_COMPILE_MIN_NODES` set huge), each with its own cache directory. Cases:
  cnn:   the CNN training step of `train_step.py --model cnn` (Momentum, fed batch);
  graph: the 5,000-op graph of `graph_build.py` (1,666 dense tanh layers), one forward run.
Prints the median first-run seconds (wall, and the process's CPU seconds, steadier on a
busy machine) and the ratios warm / cold (goal: <= 0.3) and chain / one executable.
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


def first_run(case: str) -> tuple[float, float]:
    """Seconds (wall, CPU) to build the case's graph and run it once, in this process."""
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
            with tf.Session() as sess:
                sess.run(init)
                sess.run([train, loss], {x: x_value, y: y_value})
    else:
        graph = build(FIRST_RUN_LAYERS)
        with tf.Session(graph=graph) as sess:
            out = graph.get_operations()[-1].outputs[0]
            sess.run(out, {"x:0": np.ones((8, 64), np.float32)})
    return time.perf_counter() - start, time.process_time() - cpu


# How a large segment compiles: a chain of executables (the default) or one executable.
VARIANTS = {"chain": {}, "one": {"FLOWGRAPH_SPLIT_COMPILE_MIN_NODES": str(10**9)}}


def sample(case: str, cache_dir: str, variant: str) -> tuple[float, float]:
    """The first-run seconds (wall, CPU) of `case` in a new process caching in `cache_dir`."""
    env = {**os.environ, "FLOWGRAPH_COMPILE_CACHE_DIR": cache_dir, **VARIANTS[variant]}
    env.pop("FLOWGRAPH_COMPILE_CACHE", None)
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
    return result["seconds"], result["cpu"]


def measure(case: str, repeats: int) -> None:
    runs: dict[tuple[str, str], list] = {}
    with tempfile.TemporaryDirectory(prefix="flowgraph-bench-cache-") as root:
        for variant in VARIANTS:  # the processes whose executables the warm ones find
            sample(case, os.path.join(root, f"{variant}-warm"), variant)
        for i in range(repeats):
            for variant in VARIANTS:
                cold = sample(case, os.path.join(root, f"{variant}-cold{i}"), variant)
                warm = sample(case, os.path.join(root, f"{variant}-warm"), variant)
                runs.setdefault((variant, "cold"), []).append(cold)
                runs.setdefault((variant, "warm"), []).append(warm)
    med = {k: [statistics.median(x) for x in zip(*v)] for k, v in runs.items()}
    for variant in VARIANTS:
        (cw, cc), (ww, wc) = med[variant, "cold"], med[variant, "warm"]
        print(
            f"{case} ({variant} executable{'s' if variant == 'chain' else ''}): first run cold "
            f"{cw:6.2f} s (CPU {cc:5.2f}), warm {ww:6.2f} s (CPU {wc:5.2f}); warm/cold "
            f"{ww / cw:.2f}x (CPU {wc / cc:.2f}x); medians of {repeats} alternating processes",
            flush=True,
        )
    one = med["one", "cold"][0]
    print(
        f"{case}: chain / one executable: cold {med['chain', 'cold'][0] / one:.2f}x, "
        f"chain warm / one cold {med['chain', 'warm'][0] / one:.2f}x",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--case", choices=("cnn", "graph", "all"), default="all")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--worker", choices=("cnn", "graph"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        seconds, cpu = first_run(args.worker)
        print(json.dumps({"seconds": seconds, "cpu": cpu}))
        return
    for case in ("cnn", "graph") if args.case == "all" else (args.case,):
        measure(case, args.repeats)


if __name__ == "__main__":
    main()
