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
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def _rss_mb(field: str) -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def make_step(model: str, side: str, width: int):
    import train_step as ts
    from cnn_model import cnn_batch, cnn_initial_weights

    if model == "cnn":
        make = ts.cnn_flowgraph_step if side == "flowgraph" else ts.cnn_jax_step
        return make(cnn_initial_weights(), *cnn_batch())
    ts.SIZES = (784, width, width, 10)
    x_value, y_value = ts.batch()
    make = ts.flowgraph_step if side == "flowgraph" else ts.jax_step
    return make(ts.initial_weights(), x_value, y_value, False)


def worker(model: str, side: str, width: int, steps: int) -> dict:
    step = make_step(model, side, width)
    step()  # compiles
    compiled_peak = _rss_mb("VmHWM")
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")  # resets VmHWM (and ru_maxrss) to the current RSS
    for _ in range(steps):
        step()
    step_peak = _rss_mb("VmHWM")
    return {"step_peak": step_peak, "whole_peak": max(compiled_peak, step_peak)}


def sample(model: str, side: str, width: int, steps: int) -> dict:
    env = {**os.environ, "FLOWGRAPH_COMPILE_CACHE": "0"}
    env["PYTHONPATH"] = os.pathsep.join([HERE, os.path.dirname(HERE), env.get("PYTHONPATH", "")])
    args = ["--worker", model, side, "--width", str(width), "--steps", str(steps)]
    out = subprocess.run(
        [sys.executable, __file__, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(model: str, width: int, steps: int, repeats: int) -> None:
    runs = {"flowgraph": [], "jax": []}
    for _ in range(repeats):
        for side in runs:
            runs[side].append(sample(model, side, width, steps))
    med = {
        side: {k: statistics.median(r[k] for r in rs) for k in ("step_peak", "whole_peak")}
        for side, rs in runs.items()
    }
    fg, jx = med["flowgraph"], med["jax"]
    label = f"mlp width {width}" if model == "mlp" else "cnn"
    for key, name in (("step_peak", "step peak"), ("whole_peak", "whole peak")):
        print(
            f"{label}: {name} RSS jax {jx[key]:7.1f} MB, flowgraph {fg[key]:7.1f} MB "
            f"(medians of {repeats}); ratio flowgraph/jax {fg[key] / jx[key]:.2f}x, "
            f"difference {fg[key] - jx[key]:+.1f} MB",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", choices=("mlp", "cnn", "all"), default="all")
    parser.add_argument("--width", type=int, default=4096, help="MLP hidden width")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(*args.worker, args.width, args.steps)))
        return
    for model in ("mlp", "cnn") if args.model == "all" else (args.model,):
        measure(model, args.width, args.steps, args.repeats)


if __name__ == "__main__":
    main()
