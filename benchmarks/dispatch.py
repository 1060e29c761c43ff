"""Dispatch overhead of `Session.run` against hand-written `jax.jit`, per call.

Two cases, each measured against its baseline in the same process and run:
  stateless: `sess.run(c, {a, b})` for `c = a + b` on scalars, against
             `jax.jit(lambda a, b: a + b)` called with numpy and returning numpy;
  stateful:  `sess.run(v.assign_add(1.0))` on a scalar variable, against a jitted update
             with the state buffer donated, returning the new value as numpy.
Prints the median per-call times and the ratio flowgraph / jax for each.
"""

from __future__ import annotations

import argparse

import jax
import numpy as np
from timing import per_call

import flowgraph as tf


def per_call_us(fn, calls: int, repeats: int) -> float:
    """Median over `repeats` of the mean time of `calls` calls, in microseconds."""
    return per_call(fn, calls, repeats, warmup=100) * 1e6


def report(name: str, jax_us: float, fg_us: float, repeats: int) -> None:
    print(
        f"{name}: jax.jit {jax_us:8.2f} us/call, flowgraph {fg_us:8.2f} us/call "
        f"(medians of {repeats}); ratio flowgraph/jax: {fg_us / jax_us:.2f}x"
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
    jax_us = per_call_us(baseline, calls, repeats)
    fg_us = per_call_us(flowgraph_run, calls, repeats)
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
    jax_us = per_call_us(baseline, calls, repeats)
    fg_us = per_call_us(flowgraph_run, calls, repeats)
    report("stateful assign_add ", jax_us, fg_us, repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    print(f"device: {jax.devices()[0].device_kind} ({jax.devices()[0].platform})")
    stateless(args.calls, args.repeats)
    stateful(args.calls, args.repeats)


if __name__ == "__main__":
    main()
