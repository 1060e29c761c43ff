"""The persistent compile cache: a new process's first run, cold against warm.

Each sample is a fresh Python process that builds a graph, runs it once (which compiles it)
and reports the seconds from the start of building to the first result. A cold process has
an empty cache directory; a warm one finds the executables that an earlier process wrote.
Cold and warm processes alternate. Cases:
  cnn:   the CNN training step of `train_step.py --model cnn` (Momentum, fed batch);
  graph: the 5,000-op graph of `graph_build.py` (1,666 dense tanh layers), one forward run.
Prints the median first-run seconds of each and the ratio warm / cold (goal: <= 0.3).
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


def first_run(case: str) -> float:
    """Seconds to build the case's graph and run it once, in this process."""
    import numpy as np
    from cnn_model import cnn_batch, cnn_graph, cnn_initial_weights
    from graph_build import FIRST_RUN_LAYERS, build

    import flowgraph as tf

    start = time.perf_counter()
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
    return time.perf_counter() - start


def sample(case: str, cache_dir: str) -> float:
    """The first-run seconds of `case` in a new process caching in `cache_dir`."""
    env = {**os.environ, "FLOWGRAPH_COMPILE_CACHE_DIR": cache_dir}
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
    return json.loads(out.stdout.strip().splitlines()[-1])["seconds"]


def measure(case: str, repeats: int) -> None:
    cold, warm = [], []
    with tempfile.TemporaryDirectory(prefix="flowgraph-bench-cache-") as root:
        filled = os.path.join(root, "warm")
        sample(case, filled)  # the process whose executables the warm ones find
        for i in range(repeats):
            cold.append(sample(case, os.path.join(root, f"cold{i}")))
            warm.append(sample(case, filled))
    c, w = statistics.median(cold), statistics.median(warm)
    print(
        f"{case}: first run cold {c:6.2f} s, warm {w:6.2f} s (medians of {repeats} processes "
        f"each, alternating); ratio warm/cold: {w / c:.2f}x",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--case", choices=("cnn", "graph", "all"), default="all")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--worker", choices=("cnn", "graph"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps({"seconds": first_run(args.worker)}))
        return
    for case in ("cnn", "graph") if args.case == "all" else (args.case,):
        measure(case, args.repeats)


if __name__ == "__main__":
    main()
