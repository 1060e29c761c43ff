"""Dispatch overhead of `Session.run` against hand-written `jax.jit`, per call.

Two cases, each measured against its baseline in the same process, interleaved (each
round times a block of calls of one side, then of the other, the order flipping every
round, so load on a shared machine hits both alike):
  stateless: `sess.run(c, {a, b})` for `c = a + b` on scalars, against
             `jax.jit(lambda a, b: a + b)` called with numpy and returning numpy;
  stateful:  `sess.run(v.assign_add(1.0))` on a scalar variable, against a jitted update
             with the state buffer donated, returning the new value as numpy.
Prints the median per-call times, their ratio flowgraph / jax, and the ratio of the
fastest blocks (the least disturbed by other jobs).

`--fed` also times a training step fed by `feed_dict` against the same step fed by a
`tf.data` iterator (`from_tensors(batch).repeat().prefetch(2)`): a 784-512-512-10 ReLU MLP,
sparse softmax cross entropy, Adam, batch 128, step by step interleaved.
"""

from __future__ import annotations

import argparse
import statistics
import time

import jax
import numpy as np

import flowgraph as tf


def interleaved(first, second, calls: int, repeats: int, warmup: int = 100) -> tuple:
    """Per-call microseconds of `first` and `second` over `repeats` blocks of `calls`
    calls each, alternating: ((median, min) of first, (median, min) of second)."""
    for fn in (first, second):
        for _ in range(warmup):
            fn()
    samples = {first: [], second: []}
    for r in range(repeats):
        for fn in (first, second) if r % 2 else (second, first):
            start = time.perf_counter()
            for _ in range(calls):
                fn()
            samples[fn].append((time.perf_counter() - start) / calls * 1e6)
    return tuple((statistics.median(samples[f]), min(samples[f])) for f in (first, second))


def report(name: str, jax_us: tuple, fg_us: tuple, repeats: int) -> None:
    print(
        f"{name}: jax.jit {jax_us[0]:8.2f} us/call, flowgraph {fg_us[0]:8.2f} us/call "
        f"(medians of {repeats}); ratio flowgraph/jax: {fg_us[0] / jax_us[0]:.2f}x "
        f"(fastest blocks {fg_us[1]:.2f} / {jax_us[1]:.2f} us: {fg_us[1] / jax_us[1]:.2f}x)"
    )


def stateless(calls: int, repeats: int) -> None:
    graph = tf.Graph()
    with graph.as_default():
        a = tf.placeholder(tf.float32, shape=[], name="a")
        b = tf.placeholder(tf.float32, shape=[], name="b")
        c = a + b
    sess = tf.Session(graph=graph)
    x, y = np.float32(1.5), np.float32(2.25)

    add = jax.jit(lambda a, b: a + b)

    def baseline():
        return np.asarray(add(x, y))

    def flowgraph_run():
        return sess.run(c, {a: x, b: y})

    assert flowgraph_run() == baseline() == np.float32(3.75)
    jax_us, fg_us = interleaved(baseline, flowgraph_run, calls, repeats)
    report("stateless a + b     ", jax_us, fg_us, repeats)


def stateful(calls: int, repeats: int) -> None:
    graph = tf.Graph()
    with graph.as_default():
        v = tf.Variable(0.0, name="v")
        update = v.assign_add(1.0)
        init = tf.global_variables_initializer()
    sess = tf.Session(graph=graph)
    sess.run(init)

    step = jax.jit(lambda state, delta: state + delta, donate_argnums=0)
    state = [jax.device_put(np.float32(0.0))]
    delta = np.float32(1.0)

    def baseline():
        state[0] = step(state[0], delta)
        return np.asarray(state[0])

    def flowgraph_run():
        return sess.run(update)

    assert flowgraph_run() == baseline() == np.float32(1.0)
    jax_us, fg_us = interleaved(baseline, flowgraph_run, calls, repeats)
    report("stateful assign_add ", jax_us, fg_us, repeats)


def _mlp_step(x, y):
    h = x
    for i in range(2):
        h = tf.layers.dense(h, 512, tf.nn.relu, name=f"hidden{i}")
    logits = tf.layers.dense(h, 10, name="logits")
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    return [tf.train.AdamOptimizer(1e-3).minimize(loss), loss]


def fed_step(steps: int) -> None:
    """A `feed_dict` training step against the same step fed by a `tf.data` iterator."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(128, 784)).astype(np.float32)
    y = rng.integers(0, 10, size=128).astype(np.int32)
    with tf.Graph().as_default():
        dataset = tf.data.Dataset.from_tensors((x, y)).repeat().prefetch(2)
        from_iterator = _mlp_step(*tf.data.make_one_shot_iterator(dataset).get_next())
        iterator_sess = tf.Session()
        iterator_sess.run(tf.global_variables_initializer())
    with tf.Graph().as_default():
        xs = tf.placeholder(tf.float32, [None, 784])
        ys = tf.placeholder(tf.int32, [None])
        fed = _mlp_step(xs, ys)
        fed_sess = tf.Session()
        fed_sess.run(tf.global_variables_initializer())
    feed = {xs: x, ys: y}
    iterator_ms, fed_ms = interleaved(
        lambda: iterator_sess.run(from_iterator), lambda: fed_sess.run(fed, feed), 1, steps, 5
    )
    print(
        f"MLP step, Adam, batch 128: tf.data iterator {iterator_ms[0] / 1e3:.3f} ms, feed_dict "
        f"{fed_ms[0] / 1e3:.3f} ms (medians of {steps} steps); ratio feed/iterator: "
        f"{fed_ms[0] / iterator_ms[0]:.2f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=200, help="calls per timed block")
    parser.add_argument("--repeats", type=int, default=150, help="timed blocks per side")
    parser.add_argument("--fed", action="store_true", help="also time a fed training step")
    parser.add_argument("--steps", type=int, default=300, help="steps per side (--fed)")
    args = parser.parse_args()
    print(f"device: {jax.devices()[0].device_kind} ({jax.devices()[0].platform})")
    stateless(args.calls, args.repeats)
    stateful(args.calls, args.repeats)
    if args.fed:
        fed_step(args.steps)


if __name__ == "__main__":
    main()
