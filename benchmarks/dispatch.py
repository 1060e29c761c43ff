"""Dispatch overhead: `sess.run(c, {a, b})` for `c = a + b` on scalars against `jax.jit`.

Both sides take numpy/Python inputs and return numpy, in the same process and run.
Prints the median per-call time of each and their ratio (flowgraph / jax).
"""

from __future__ import annotations

import argparse
import statistics
import time

import jax
import numpy as np

import flowgraph as tf


def per_call_us(fn, calls: int, repeats: int) -> float:
    """Median over `repeats` of the mean time of `calls` calls, in microseconds."""
    for _ in range(100):
        fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        samples.append((time.perf_counter() - start) / calls * 1e6)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()

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
    jax_us = per_call_us(baseline, args.calls, args.repeats)
    fg_us = per_call_us(flowgraph_run, args.calls, args.repeats)
    print(f"device: {jax.devices()[0].platform}")
    print(f"jax.jit baseline : {jax_us:8.2f} us/call (median of {args.repeats})")
    print(f"flowgraph run    : {fg_us:8.2f} us/call (median of {args.repeats})")
    print(f"ratio flowgraph/jax: {fg_us / jax_us:.2f}x")


if __name__ == "__main__":
    main()
