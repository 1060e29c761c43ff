"""All-reduce data parallelism: the step time of 2 processes x 1 CPU device on jax.distributed
against the same model in one process, and against the floor of a bare 2-process jax
all-reduce of the same bytes (gloo, no flowgraph: one `shard_map` + `pmean` program), and
against the same training step written in bare jax over the 2 processes (`jax_step_2`).

Usage: PYTHONPATH=. python benchmarks/allreduce.py [--mb 1] [--steps 50] [--repeats 3]

The model is one dense layer with an `--mb` MiB weight, trained by SGD on a batch of 64
rows (32 per process in the 2-process job). Each variant runs in fresh processes, the
variants interleaved `--repeats` times; medians of the per-step medians are printed, plus
the time to the first step (from start of the process to its first step's end). The
machine is shared with whatever else runs: compare ratios within one run.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time

import numpy as np

_BATCH = 64
_T0 = time.perf_counter()  # the process's start, for the time to the first step


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _timings(step, steps: int) -> dict:
    step()
    first = time.perf_counter() - _T0
    for _ in range(4):
        step()
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    return {"step_ms": 1e3 * statistics.median(times), "first_s": first}


def _flowgraph_step(mb: float, rows: slice):
    import flowgraph as tf

    width = int(np.sqrt(mb * (1 << 20) / 4))
    rng = np.random.RandomState(0)
    xs = rng.randn(_BATCH, width).astype(np.float32)
    x = tf.placeholder(tf.float32, [None, width])
    w = tf.Variable(tf.zeros([width, width]))
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w) - 1.0))
    train = tf.train.GradientDescentOptimizer(0.01).minimize(loss)
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    run = sess.make_callable([train, loss], [x])  # the loss: each step waits for its end
    return lambda: run(xs[rows])


def _jax_step(mb: float):
    """A bare jax all-reduce of the same bytes: one `shard_map` + `pmean` program."""
    import jax
    from jax.sharding import Mesh, NamedSharding, PartitionSpec

    mesh = Mesh(np.array(jax.devices()), ("replicas",))
    mean = jax.jit(
        jax.shard_map(
            lambda v: jax.lax.pmean(v, "replicas"),
            mesh=mesh,
            in_specs=PartitionSpec(),
            out_specs=PartitionSpec(),
            check_vma=False,
        )
    )
    value = jax.device_put(np.ones(int(mb * (1 << 20) / 4), np.float32))
    sharding = NamedSharding(mesh, PartitionSpec())
    block = jax.make_array_from_single_device_arrays(value.shape, sharding, [value])
    return lambda: mean(block).block_until_ready()


def _jax_train_step(mb: float, rows: slice):
    """The same training step in bare jax, the way flowgraph compiles it: one `shard_map`
    program (forward, gradient, `pmean`, update), the weight donated; the loss fetched."""
    import jax
    import jax.numpy as jnp
    from jax.sharding import Mesh, NamedSharding, PartitionSpec

    width = int(np.sqrt(mb * (1 << 20) / 4))
    xs = np.random.RandomState(0).randn(_BATCH, width).astype(np.float32)
    mesh = Mesh(np.array(jax.devices()), ("replicas",))
    replicated = NamedSharding(mesh, PartitionSpec())

    def step(w, x):
        loss, grad = jax.value_and_grad(lambda w: jnp.mean(jnp.square(x @ w - 1.0)))(w)
        return w - 0.01 * jax.lax.pmean(grad, "replicas"), loss

    spec = PartitionSpec()
    per_device = jax.shard_map(step, mesh=mesh, in_specs=spec, out_specs=spec, check_vma=False)
    compiled = jax.jit(per_device, donate_argnums=0)

    def as_global(value):
        return jax.make_array_from_single_device_arrays(
            value.shape, replicated, [jax.device_put(value, jax.local_devices()[0])]
        )

    state = {"w": jnp.zeros((width, width))}

    def run():
        w, loss = compiled(as_global(state["w"]), as_global(xs[rows]))
        state["w"] = w.addressable_data(0)
        return np.asarray(loss.addressable_data(0))

    return run


def _worker(args) -> None:
    if args.task is not None:
        from flowgraph.distribute import enable_allreduce

        cluster = {"worker": [f"127.0.0.1:{args.port}", "127.0.0.1:0"]}
        enable_allreduce(cluster, args.task)
    half = _BATCH // 2
    if args.variant == "one_process":
        step = _flowgraph_step(args.mb, slice(0, _BATCH))
    elif args.variant == "allreduce_2":
        step = _flowgraph_step(args.mb, slice(args.task * half, (args.task + 1) * half))
    elif args.variant == "jax_step_2":
        step = _jax_train_step(args.mb, slice(args.task * half, (args.task + 1) * half))
    else:
        step = _jax_step(args.mb)
    print(json.dumps(_timings(step, args.steps)), flush=True)


def _run(variant: str, args) -> dict:
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    base = [sys.executable, __file__, "--variant", variant, "--mb", str(args.mb)]
    base += ["--steps", str(args.steps)]
    if variant == "one_process":
        commands = [base]
    else:
        port = str(_free_port())
        commands = [base + ["--task", str(t), "--port", port] for t in range(2)]
    procs = [subprocess.Popen(c, env=env, stdout=subprocess.PIPE, text=True) for c in commands]
    outs = [p.communicate(timeout=600)[0] for p in procs]
    results = [json.loads(out.strip().splitlines()[-1]) for out in outs]
    return {k: max(r[k] for r in results) for k in results[0]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=float, default=1.0)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--variant")
    parser.add_argument("--task", type=int)
    parser.add_argument("--port", type=int)
    args = parser.parse_args()
    if args.variant:
        _worker(args)
        return
    variants = ["one_process", "allreduce_2", "jax_step_2", "jax_allreduce_floor"]
    runs = {v: [] for v in variants}
    for _ in range(args.repeats):
        for v in variants:
            runs[v].append(_run(v, args))
    print(f"{args.mb} MiB weight, batch {_BATCH}, medians of {args.repeats} runs:")
    for v in variants:
        step = statistics.median(r["step_ms"] for r in runs[v])
        first = statistics.median(r["first_s"] for r in runs[v])
        print(f"  {v:22s} step {step:7.2f} ms   first step after {first:5.1f} s")


if __name__ == "__main__":
    main()
