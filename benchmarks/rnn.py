"""A 2-layer LSTM training step: `tf.nn.dynamic_rnn` against a hand-written `jax.lax.scan`.

The model: two stacked BasicLSTMCells (hidden 256, forget bias 1) over 100 time steps of
batch 64 (inputs of depth 256, batch-major), loss = mean((outputs - y)^2) + mean(h_T^2) of
the top layer; one plain gradient-descent step per run. flowgraph builds it with
`MultiRNNCell` + `dynamic_rnn`; the hand-written step is `jax.value_and_grad` of the same
cells in a `lax.scan` under `jax.jit`, parameters donated, starting from the same weights.
Both are fed the numpy batch and fetch the loss every step; steps of the two alternate.
Prints median step times per round, their ratio (flowgraph / jax, target <= 1.10) and the
losses (which must agree). The jax cells multiply at full float32 precision, as flowgraph
(like TF1) does.
"""

from __future__ import annotations

import argparse
import statistics

import jax
import jax.numpy as jnp
import numpy as np
from timing import interleaved_times, jax_sgd_step

import flowgraph as tf

LR = 0.1


def data(batch: int, steps: int, depth: int, hidden: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    xs = rng.normal(size=(batch, steps, depth)).astype(np.float32)
    ys = rng.normal(scale=0.5, size=(batch, steps, hidden)).astype(np.float32)
    params = []
    for fan_in in (depth + hidden, 2 * hidden):
        kernel = rng.normal(size=(fan_in, 4 * hidden)) / np.sqrt(fan_in)
        params += [kernel.astype(np.float32), np.zeros(4 * hidden, np.float32)]
    return xs, ys, params


def flowgraph_step(xs, ys, params):
    batch, steps, depth = xs.shape
    hidden = ys.shape[2]
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [batch, steps, depth], name="x")
        y = tf.placeholder(tf.float32, [batch, steps, hidden], name="y")
        cell = tf.nn.rnn_cell.MultiRNNCell([tf.nn.rnn_cell.BasicLSTMCell(hidden) for _ in range(2)])
        outputs, state = tf.nn.dynamic_rnn(cell, x, dtype=tf.float32)
        loss = tf.reduce_mean(tf.square(outputs - y)) + tf.reduce_mean(tf.square(state[1].h))
        train = tf.train.GradientDescentOptimizer(LR).minimize(loss)
        init = tf.global_variables_initializer()
        assign = [v.assign(p) for v, p in zip(tf.trainable_variables(), params)]
    sess = tf.Session(graph=graph)
    sess.run(init)
    sess.run(assign)
    feed = {x: xs, y: ys}
    return lambda: sess.run([train, loss], feed)[1]


def lstm_cell(kernel, bias, x, c, h):
    # float32 matmuls at full precision, as flowgraph (and TF1) computes them: no TF32
    gates = jnp.matmul(jnp.concatenate([x, h], 1), kernel, precision=jax.lax.Precision.HIGHEST)
    i, j, f, o = jnp.split(gates + bias, 4, axis=1)
    c = c * jax.nn.sigmoid(f + 1.0) + jax.nn.sigmoid(i) * jnp.tanh(j)
    h = jnp.tanh(c) * jax.nn.sigmoid(o)
    return c, h


def jax_step(xs, ys, params):
    batch, hidden = xs.shape[0], ys.shape[2]

    def loss_fn(params, xs, ys):
        k0, b0, k1, b1 = params

        def step(carry, x):
            (c0, h0), (c1, h1) = carry
            c0, h0 = lstm_cell(k0, b0, x, c0, h0)
            c1, h1 = lstm_cell(k1, b1, h0, c1, h1)
            return ((c0, h0), (c1, h1)), h1

        zeros = jnp.zeros((batch, hidden), jnp.float32)
        (_, (_, h_last)), hs = jax.lax.scan(
            step, ((zeros, zeros), (zeros, zeros)), jnp.swapaxes(xs, 0, 1)
        )
        outputs = jnp.swapaxes(hs, 0, 1)
        return jnp.mean(jnp.square(outputs - ys)) + jnp.mean(jnp.square(h_last))

    return jax_sgd_step(loss_fn, params, LR, xs, ys)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20, help="timed steps per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--time", type=int, default=100)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--depth", type=int, default=256)
    args = parser.parse_args()
    xs, ys, params = data(args.batch, args.time, args.depth, args.hidden)
    fg, jx = flowgraph_step(xs, ys, params), jax_step(xs, ys, params)
    first_fg, first_jx = fg(), jx()  # the first step from the same weights: same loss
    print(f"first-step losses {first_fg:.6f} / {first_jx:.6f}")
    np.testing.assert_allclose(first_fg, first_jx, rtol=1e-4)
    for _ in range(2):  # warm up
        fg(), jx()
    ratios = []
    for _ in range(args.rounds):
        t_fg, t_jx, loss_fg, loss_jx = interleaved_times(fg, jx, args.steps)
        ratios.append(t_fg / t_jx)
        print(
            f"flowgraph {t_fg * 1e3:8.2f} ms   jax {t_jx * 1e3:8.2f} ms   "
            f"ratio {t_fg / t_jx:.3f}   losses {loss_fg:.6f} / {loss_jx:.6f}"
        )
    print(
        f"2-layer LSTM dynamic_rnn ({args.time} steps, hidden {args.hidden}, batch "
        f"{args.batch}) on {jax.devices()[0].platform}: median ratio flowgraph/jax = "
        f"{statistics.median(ratios):.3f}"
    )


if __name__ == "__main__":
    main()
