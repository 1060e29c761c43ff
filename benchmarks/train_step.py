"""Training-step time: a 784-512-512-10 ReLU MLP, softmax cross entropy, Adam, batch 128.

Two cases, each against a hand-written `jax.jit` train step (parameters and Adam state
donated, the same Adam, data and initial weights) measured in the same run:
  (a) feed:     the batch is fed through `feed_dict` each step;
  (b) resident: the batch lives in the graph (a constant).
Both sides fetch the loss every step. Prints median step times, their ratio
(flowgraph / jax) and the final losses, which must agree to 1e-4.
"""

from __future__ import annotations

import argparse
import statistics
import time

import jax
import jax.numpy as jnp
import numpy as np

import flowgraph as tf

SIZES = (784, 512, 512, 10)
LR, BETA1, BETA2, EPS = 1e-3, 0.9, 0.999, 1e-8


def initial_weights(seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:]):
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        params.append(rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32))
        params.append(np.zeros(fan_out, np.float32))
    return params


def batch(seed: int = 1, size: int = 128) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(size, SIZES[0])).astype(np.float32), rng.integers(0, 10, size)


# -- flowgraph -------------------------------------------------------------------------


def flowgraph_step(weights, x_value, y_value, resident: bool):
    graph = tf.Graph()
    with graph.as_default():
        if resident:
            x, y = tf.constant(x_value), tf.constant(y_value.astype(np.int32))
        else:
            x = tf.placeholder(tf.float32, [None, SIZES[0]], name="x")
            y = tf.placeholder(tf.int32, [None], name="y")
        params = [tf.Variable(w, name=f"p{i}") for i, w in enumerate(weights)]
        h = x
        for i in range(0, len(params), 2):
            h = tf.matmul(h, params[i]) + params[i + 1]
            if i + 2 < len(params):
                h = tf.nn.relu(h)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=h))
        train = tf.train.AdamOptimizer(LR, BETA1, BETA2, EPS).minimize(loss)
        init = tf.global_variables_initializer()
    sess = tf.Session(graph=graph)
    sess.run(init)
    fetches = [train, loss]
    if resident:
        return lambda: sess.run(fetches)[1]
    feed = {x: x_value, y: y_value.astype(np.int32)}
    return lambda: sess.run(fetches, feed)[1]


# -- hand-written jax --------------------------------------------------------------------


def _loss(params, x, y):
    h = x
    for i in range(0, len(params), 2):
        h = h @ params[i] + params[i + 1]
        if i + 2 < len(params):
            h = jax.nn.relu(h)
    logp = jax.nn.log_softmax(h)
    return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))


@jax.jit
def _adam(params, m, v, t, x, y):
    loss, grads = jax.value_and_grad(_loss)(params, x, y)
    t = t + 1
    lr_t = LR * jnp.sqrt(1 - BETA2**t) / (1 - BETA1**t)
    m = [BETA1 * mi + (1 - BETA1) * g for mi, g in zip(m, grads)]
    v = [BETA2 * vi + (1 - BETA2) * g * g for vi, g in zip(v, grads)]
    params = [p - lr_t * mi / (jnp.sqrt(vi) + EPS) for p, mi, vi in zip(params, m, v)]
    return params, m, v, t, loss


_adam_donated = jax.jit(_adam.__wrapped__, donate_argnums=(0, 1, 2, 3))


def jax_step(weights, x_value, y_value, resident: bool):
    state = {
        "params": [jnp.asarray(w) for w in weights],
        "m": [jnp.zeros_like(w) for w in weights],
        "v": [jnp.zeros_like(w) for w in weights],
        "t": jnp.zeros((), jnp.float32),
    }
    y_int = y_value.astype(np.int32)
    if resident:
        x_dev, y_dev = jnp.asarray(x_value), jnp.asarray(y_int)

    def step():
        x, y = (x_dev, y_dev) if resident else (x_value, y_int)
        p, m, v, t, loss = _adam_donated(state["params"], state["m"], state["v"], state["t"],
                                         x, y)
        state.update(params=p, m=m, v=v, t=t)
        return np.asarray(loss)

    return step


def block_ms(step, steps: int) -> tuple[float, float]:
    """The mean step time in ms over `steps` steps, and the last loss."""
    start = time.perf_counter()
    for _ in range(steps):
        loss = step()
    return (time.perf_counter() - start) / steps * 1e3, float(loss)


def interleaved_medians(fg, jx, steps: int, repeats: int):
    """Blocks of both sides alternate, so machine noise falls on both alike."""
    fg_ms, jx_ms = [], []
    for _ in range(repeats):
        t, fg_loss = block_ms(fg, steps)
        fg_ms.append(t)
        t, jx_loss = block_ms(jx, steps)
        jx_ms.append(t)
    return statistics.median(fg_ms), fg_loss, statistics.median(jx_ms), jx_loss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    weights = initial_weights()
    x_value, y_value = batch()
    print(f"device: {jax.devices()[0].device_kind} ({jax.devices()[0].platform})")
    for resident, label in ((False, "(a) feed_dict"), (True, "(b) resident ")):
        fg, jx = flowgraph_step(weights, x_value, y_value, resident), jax_step(
            weights, x_value, y_value, resident)
        fg(), jx()  # compile both
        fg_ms, fg_loss, jx_ms, jx_loss = interleaved_medians(fg, jx, args.steps, args.repeats)
        agree = "agree" if abs(fg_loss - jx_loss) <= 1e-4 else "DIFFER"
        print(f"{label}: jax.jit {jx_ms:7.3f} ms/step, flowgraph {fg_ms:7.3f} ms/step "
              f"(medians of {args.repeats}x{args.steps}); ratio flowgraph/jax: "
              f"{fg_ms / jx_ms:.3f}x; final losses {fg_loss:.6f} vs {jx_loss:.6f} ({agree})")


if __name__ == "__main__":
    main()
