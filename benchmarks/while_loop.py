"""An RNN of 100 steps written with `tf.while_loop` + TensorArray against `jax.lax.scan`.

The model: h_t = tanh(x_t W + h_{t-1} U + b), hidden 256, input 64, batch 64, 100 steps;
loss = mean((h_T - y)^2) + mean(h_1..h_T); one plain gradient-descent step per run.
flowgraph's loop `t < 100` is a counting loop, so it compiles to a plain `lax.scan` (the
output TensorArray written at `t` becomes the scan's outputs) that gradients pass
through; the hand-written step is `jax.value_and_grad` of a `lax.scan`
under `jax.jit` with the parameters donated. Both fetch the loss every step; their steps
alternate. Prints the median step times, their ratio (flowgraph / jax) and the losses
(which must agree).

The dynamic case (`--dynamic`): the same RNN over sequences padded to 100 steps whose
length is fed (`t < n`, n a placeholder: a trip count only known at run time), trained
at 20 distinct lengths against the hand-written `lax.scan` of exactly that length
(compiled per length, its compiles not timed). flowgraph runs the fed count's steps; the
gradient stores each step's residuals in rows of a power-of-two bucket (one compile per
bucket). Prints the ratio per length, their median and how many XLA computations
flowgraph lowered across the 20 lengths; beside the wall-clock ratio, the ratio of the
CPU time the process spent (all threads), which other jobs on a shared machine disturb
far less.
"""

from __future__ import annotations

import argparse
import statistics
import time

import jax
import jax.numpy as jnp
import numpy as np
from timing import interleaved_times, jax_sgd_step

import flowgraph as tf

T, B, D, H, LR = 100, 64, 64, 256, 0.1


def data(seed: int = 0):
    rng = np.random.default_rng(seed)
    xs = rng.normal(size=(T, B, D)).astype(np.float32)
    ys = rng.normal(size=(B, H)).astype(np.float32)
    w = (rng.normal(size=(D, H)) / np.sqrt(D)).astype(np.float32)
    u = (rng.normal(size=(H, H)) / np.sqrt(H)).astype(np.float32)
    b = np.zeros(H, np.float32)
    return xs, ys, [w, u, b]


def flowgraph_step(xs, ys, params):
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [T, B, D], name="x")
        y = tf.placeholder(tf.float32, [B, H], name="y")
        w, u, b = (tf.Variable(p, name=n) for p, n in zip(params, "wub"))
        inputs = tf.TensorArray(tf.float32, size=T).unstack(x)

        def body(t, h, outs):
            h = tf.tanh(tf.matmul(inputs.read(t), w) + tf.matmul(h, u) + b)
            return t + 1, h, outs.write(t, h)

        _, h, outs = tf.while_loop(
            lambda t, h, outs: t < T,
            body,
            [0, tf.zeros([B, H]), tf.TensorArray(tf.float32, size=T)],
            maximum_iterations=T,
        )
        loss = tf.reduce_mean(tf.square(h - y)) + tf.reduce_mean(outs.stack())
        train = tf.train.GradientDescentOptimizer(LR).minimize(loss)
        init = tf.global_variables_initializer()
    sess = tf.Session(graph=graph)
    sess.run(init)
    feed = {x: xs, y: ys}
    return lambda: sess.run([train, loss], feed)[1]


def jax_step(xs, ys, params):
    def loss_fn(params, xs, ys):
        w, u, b = params

        def cell(h, x):
            h = jnp.tanh(x @ w + h @ u + b)
            return h, h

        h, hs = jax.lax.scan(cell, jnp.zeros((B, H), jnp.float32), xs)
        return jnp.mean(jnp.square(h - ys)) + jnp.mean(hs)

    return jax_sgd_step(loss_fn, params, LR, xs, ys)


def flowgraph_dynamic_step(xs, ys, params):
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [T, B, D], name="x")
        n = tf.placeholder(tf.int32, [], name="length")
        y = tf.placeholder(tf.float32, [B, H], name="y")
        w, u, b = (tf.Variable(p, name=n) for p, n in zip(params, "wub"))
        inputs = tf.TensorArray(tf.float32, size=T).unstack(x)

        def body(t, h, outs):
            h = tf.tanh(tf.matmul(inputs.read(t), w) + tf.matmul(h, u) + b)
            return t + 1, h, outs.write(t, h)

        _, h, outs = tf.while_loop(
            lambda t, h, outs: t < n, body, [0, tf.zeros([B, H]), tf.TensorArray(tf.float32, T)]
        )
        loss = tf.reduce_mean(tf.square(h - y)) + tf.reduce_mean(outs.stack())
        train = tf.train.GradientDescentOptimizer(LR).minimize(loss)
        init = tf.global_variables_initializer()
    sess = tf.Session(graph=graph)

    def at(length: int):  # the step at `length`, from freshly initialized parameters
        sess.run(init)
        return lambda: sess.run([train, loss], {x: xs, n: length, y: ys})[1]

    return at


def jax_dynamic_step(xs, ys, params, length: int):
    def loss_fn(params, xs, ys):
        w, u, b = params

        def cell(h, x):
            h = jnp.tanh(x @ w + h @ u + b)
            return h, h

        h, hs = jax.lax.scan(cell, jnp.zeros((B, H), jnp.float32), xs)
        return jnp.mean(jnp.square(h - ys)) + jnp.sum(hs) / (T * B * H)  # padded steps: 0

    return jax_sgd_step(loss_fn, params, LR, xs[:length], ys)


class _Lowerings:
    """Counts the XLA computations jax lowers (one per compile, cached on disk or not)."""

    def __init__(self):
        self.count = 0
        jax.monitoring.register_event_duration_secs_listener(self._heard)

    def _heard(self, event: str, duration: float, **kwargs) -> None:
        if event == "/jax/core/compile/jaxpr_to_mlir_module_duration":
            self.count += 1


def dynamic(steps: int) -> None:
    lowerings = _Lowerings()
    xs, ys, params = data()
    fg = flowgraph_dynamic_step(xs, ys, params)
    lengths = np.random.default_rng(0).permutation(np.arange(12, T + 1))[:20]
    ratios, cpu_ratios, compiles = [], [], 0
    for length in lengths:
        fg_step, jx = fg(int(length)), jax_dynamic_step(xs, ys, params, int(length))
        before = lowerings.count
        fg_step()
        compiles += lowerings.count - before
        jx()
        for _ in range(2):  # warm up both
            fg_step(), jx()
        cpu_fg, cpu_jx = [], []
        t_fg, t_jx, loss_fg, loss_jx = interleaved_times(
            _cpu_timed(fg_step, cpu_fg), _cpu_timed(jx, cpu_jx), steps
        )
        ratios.append(t_fg / t_jx)
        cpu_ratios.append(statistics.median(cpu_fg) / statistics.median(cpu_jx))
        print(
            f"length {length:3d}: flowgraph {t_fg * 1e3:8.2f} ms   jax {t_jx * 1e3:8.2f} ms   "
            f"ratio {t_fg / t_jx:.3f} (cpu {cpu_ratios[-1]:.3f})   "
            f"losses {loss_fg:.6f} / {loss_jx:.6f}"
        )
    print(
        f"RNN while_loop, fed length (20 lengths in 12..{T}, hidden {H}, batch {B}) on "
        f"{jax.devices()[0].platform}: median ratio flowgraph/jax = "
        f"{statistics.median(ratios):.3f} (cpu time {statistics.median(cpu_ratios):.3f}); "
        f"flowgraph lowered {compiles} XLA computations"
    )


def _cpu_timed(fn, samples: list):
    """`fn`, appending the CPU time each call spends (the process's, all threads)."""

    def run():
        start = time.process_time()
        out = fn()
        samples.append(time.process_time() - start)
        return out

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dynamic", action="store_true", help="the fed-length case")
    args = parser.parse_args()
    if args.dynamic:
        dynamic(args.steps)
        return
    xs, ys, params = data()
    fg, jx = flowgraph_step(xs, ys, params), jax_step(xs, ys, params)
    for _ in range(3):  # compile and warm up both
        fg(), jx()
    ratios = []
    for _ in range(args.rounds):  # steps alternate between the sides: noise hits both
        t_fg, t_jx, loss_fg, loss_jx = interleaved_times(fg, jx, args.steps)
        ratios.append(t_fg / t_jx)
        print(
            f"flowgraph {t_fg * 1e3:8.2f} ms   jax {t_jx * 1e3:8.2f} ms   "
            f"ratio {t_fg / t_jx:.3f}   losses {loss_fg:.6f} / {loss_jx:.6f}"
        )
    print(
        f"RNN while_loop ({T} steps, hidden {H}, batch {B}) on {jax.devices()[0].platform}: "
        f"median ratio flowgraph/jax = {statistics.median(ratios):.3f}"
    )


if __name__ == "__main__":
    main()
