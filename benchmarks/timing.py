"""Timing helpers shared by the benchmarks (run as scripts: `from timing import ...`)."""

from __future__ import annotations

import statistics
import time


def per_call(fn, calls: int, repeats: int, warmup: int = 5) -> float:
    """Median over `repeats` of the mean time of `calls` calls of `fn`, in seconds."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        samples.append((time.perf_counter() - start) / calls)
    return statistics.median(samples)


def interleaved_times(fg, jx, steps: int) -> tuple[float, float, float, float]:
    """Median step times of `fg` and `jx` run alternately (the order flipping every pair),
    so load changes on a shared machine hit both alike; and their last losses."""
    times = {fg: [], jx: []}
    losses = {}
    for i in range(steps):
        for fn in (fg, jx) if i % 2 else (jx, fg):
            start = time.perf_counter()
            losses[fn] = fn()
            times[fn].append(time.perf_counter() - start)
    return (statistics.median(times[fg]), statistics.median(times[jx]),
            float(losses[fg]), float(losses[jx]))  # fmt: skip


def jax_sgd_step(loss_fn, params, lr: float, *data):
    """A hand-written training step: `jax.value_and_grad` of `loss_fn(params, *data)` and
    plain gradient descent under `jax.jit`, parameters donated. Returns `run() -> loss`."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    def step(params, *data):
        loss, grads = jax.value_and_grad(loss_fn)(params, *data)
        return [p - lr * g for p, g in zip(params, grads)], loss

    step = jax.jit(step, donate_argnums=0)
    state = {"params": [jnp.asarray(p) for p in params]}

    def run():
        state["params"], loss = step(state["params"], *data)
        return np.asarray(loss)

    return run
