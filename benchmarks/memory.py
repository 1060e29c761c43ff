"""Peak memory of training steps: flowgraph against hand-written `jax.jit` (donated state).

Each sample is a fresh process (Linux) that imports both sides' code (so both pay the same
imports), builds one side's training step from `train_step.py`, runs it once (compiling),
resets the kernel's peak-RSS mark (`/proc/self/clear_refs`), runs more steps and reports:
  step peak:  the peak RSS while stepping (after compiling), from VmHWM;
  whole peak: the process's peak RSS including building and compiling (VmHWM before the
              reset, or the step peak if higher).
Cases: `mlp` (784-W-W-10 ReLU MLP, Adam, batch 128, fed; W = --width, default 4096, so
parameters and slots are 320 MB and a second copy would show) and `cnn` (the CNN of
`train_step.py --model cnn`, Momentum, fed). The jax baseline donates parameters and
optimizer state, so it updates them in place. Prints medians and the ratio flowgraph / jax.

`--init` (default both) says how flowgraph's variables get their first values. `constant`
(`train_step.py`'s graphs): `tf.Variable(numpy_array)`, so the graph holds each initial value
as a `Const` op, as TensorFlow's GraphDef does (an initializer can run again, the graph can
be exported): a second copy of the parameters that the jax side, having dropped its numpy
arrays, does not have. `random`: the same graphs with random-op initializers (TF1's usual
`tf.random_uniform`/`glorot_uniform`), holding no copy. Both are printed with the bytes the
graph's constants hold.

After measuring, each worker compiles its step's programs again to print XLA's
`memory_analysis` side by side (MB of arguments, outputs, outputs aliased to donated
arguments, temporaries): the exact comparison of the compiled steps, free of malloc noise.

What the figures showed (2 busy cores, medians of 3): the compiled steps are even (the same
argument and output bytes, every output aliased to a donated argument; temporaries MLP 72.0
MB against jax's 78.3, CNN 29.7 against 40.2). The RSS gap (MLP 1.07x with constant initial
values, CNN 1.11x with random ones) was the graph's constants and the memory tracing and
compiling freed but glibc kept; since a plan's first run trims the heap (`device/heap.py`;
`FLOWGRAPH_TRIM_HEAP=0` to compare), the step peaks are MLP 1.00x / 0.94x and CNN 0.90x /
0.84x (constant / random initial values).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
MB = 1 << 20
ANALYSIS = ("argument", "output", "alias", "temp")


def _rss_mb(field: str) -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


class Recorded:
    """A jitted function that counts its calls and keeps its first arguments' shapes, so
    its program can be compiled again for `memory_analysis` after the measurement."""

    def __init__(self, jitted):
        self.jitted, self.calls, self.specs = jitted, 0, None

    def __call__(self, *args):
        import jax

        if self.specs is None:
            self.specs = jax.tree_util.tree_map(_spec, args)
        self.calls += 1
        return self.jitted(*args)

    def trace(self, *args, **kwargs):
        """What flowgraph's executable cache calls (it compiles ahead of time and then calls
        the executable itself, so its steps are not counted here: `worker`)."""
        import jax

        if self.specs is None:
            self.specs = jax.tree_util.tree_map(_spec, args)
        return self.jitted.trace(*args, **kwargs)

    def memory(self) -> dict:
        analysis = self.jitted.lower(*self.specs).compile().memory_analysis()
        return {k: getattr(analysis, f"{k}_size_in_bytes") / MB for k in ANALYSIS}


def _spec(value):
    import jax
    import numpy as np

    if isinstance(value, (jax.Array, np.ndarray)):
        return jax.ShapeDtypeStruct(value.shape, value.dtype)
    return value  # a static argument


def recording(programs: list):
    """Wraps `jax.jit` so that the segment programs `device/` compiles are recorded."""
    import jax

    jit = jax.jit

    def recording_jit(fun, *args, **kwargs):
        jitted = jit(fun, *args, **kwargs)
        if not getattr(fun, "__module__", "").startswith("device."):
            return jitted
        programs.append(Recorded(jitted))
        return programs[-1]

    jax.jit = recording_jit


def make_step(model: str, side: str, width: int, init: str, programs: list):
    import train_step as ts
    from cnn_model import cnn_batch, cnn_initial_weights

    if side == "jax":
        name = "_momentum_donated" if model == "cnn" else "_adam_donated"
        programs.append(Recorded(getattr(ts, name)))
        setattr(ts, name, programs[-1])
    else:
        recording(programs)
    if model == "cnn":
        if side == "flowgraph" and init == "random":
            return cnn_random_step(*cnn_batch())
        make = ts.cnn_flowgraph_step if side == "flowgraph" else ts.cnn_jax_step
        return make(cnn_initial_weights(), *cnn_batch())
    ts.SIZES = (784, width, width, 10)
    x_value, y_value = ts.batch()
    weights = ts.initial_weights()
    if side == "flowgraph" and init == "random":
        weights = [_random_initializer(w.shape) for w in weights]
    make = ts.flowgraph_step if side == "flowgraph" else ts.jax_step
    return make(weights, x_value, y_value, False)


def _random_initializer(shape):
    import flowgraph as tf

    return lambda: tf.random_uniform(shape, -0.05, 0.05)


def cnn_random_step(x_value, y_value):
    """`train_step.cnn_flowgraph_step` with random-op initial values."""
    from cnn_model import CNN_SHAPES, cnn_graph

    import flowgraph as tf

    graph = tf.Graph()
    with graph.as_default():
        weights = [tf.random_uniform(shape, -0.05, 0.05) for shape in CNN_SHAPES]
        x, y, loss, train = cnn_graph(tf, weights)
        init = tf.global_variables_initializer()
    sess = tf.Session(graph=graph)
    sess.run(init)
    fetches, feed = [train, loss], {x: x_value, y: y_value}
    return lambda: sess.run(fetches, feed)[1]


def graph_constant_mb(step) -> float:
    """MB of the `Const` values held by the graph of a flowgraph step (0 for jax)."""
    cells = dict(zip(step.__code__.co_freevars, step.__closure__ or ()))
    if "sess" not in cells:
        return 0.0
    ops = cells["sess"].cell_contents.graph.get_operations()
    return sum(op.get_attr("value").nbytes for op in ops if op.type == "Const") / MB


def worker(model: str, side: str, width: int, steps: int, init: str) -> dict:
    programs: list[Recorded] = []
    step = make_step(model, side, width, init, programs)
    made = len(programs)
    step()  # compiles
    compiled_peak = _rss_mb("VmHWM")
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")  # resets VmHWM (and ru_maxrss) to the current RSS
    calls = [p.calls for p in programs]
    for _ in range(steps):
        step()
    step_peak = _rss_mb("VmHWM")
    # Programs called while stepping; flowgraph's compiled ahead of time are called outside
    # `Recorded`: those the first step made.
    stepping = [p for p, before in zip(programs, calls) if p.calls > before] or programs[made:]
    return {
        "step_peak": step_peak,
        "whole_peak": max(compiled_peak, step_peak),
        "constants": graph_constant_mb(step),
        "programs": [p.memory() for p in stepping],
    }


def sample(model: str, side: str, width: int, steps: int, init: str) -> dict:
    env = {**os.environ, "FLOWGRAPH_COMPILE_CACHE": "0"}
    env["PYTHONPATH"] = os.pathsep.join([HERE, os.path.dirname(HERE), env.get("PYTHONPATH", "")])
    args = ["--worker", model, side, "--width", str(width), "--steps", str(steps)]
    out = subprocess.run(
        [sys.executable, __file__, *args, "--init", init],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(model: str, width: int, steps: int, repeats: int, init: str) -> None:
    runs = {"flowgraph": [], "jax": []}
    for _ in range(repeats):
        for side in runs:
            runs[side].append(sample(model, side, width, steps, init))
    med = {
        side: {k: statistics.median(r[k] for r in rs) for k in ("step_peak", "whole_peak")}
        for side, rs in runs.items()
    }
    fg, jx = med["flowgraph"], med["jax"]
    label = f"mlp width {width}" if model == "mlp" else "cnn"
    label += f", init {init}"
    for key, name in (("step_peak", "step peak"), ("whole_peak", "whole peak")):
        print(
            f"{label}: {name} RSS jax {jx[key]:7.1f} MB, flowgraph {fg[key]:7.1f} MB "
            f"(medians of {repeats}); ratio flowgraph/jax {fg[key] / jx[key]:.2f}x, "
            f"difference {fg[key] - jx[key]:+.1f} MB",
            flush=True,
        )
    constants = runs["flowgraph"][0]["constants"]
    print(f"{label}: the flowgraph graph's Const values hold {constants:.1f} MB")
    print(f"{label}: compiled step programs, MB of " + " / ".join(ANALYSIS))
    for side in ("jax", "flowgraph"):
        for program in runs[side][0]["programs"]:
            figures = " / ".join(f"{program[k]:6.1f}" for k in ANALYSIS)
            print(f"  {side:9s} {figures}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", choices=("mlp", "cnn", "all"), default="all")
    parser.add_argument("--width", type=int, default=4096, help="MLP hidden width")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--init", choices=("constant", "random", "both"), default="both")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(*args.worker, args.width, args.steps, args.init)))
        return
    inits = ("constant", "random") if args.init == "both" else (args.init,)
    for model in ("mlp", "cnn") if args.model == "all" else (args.model,):
        for init in inits:
            measure(model, args.width, args.steps, args.repeats, init)


if __name__ == "__main__":
    main()
