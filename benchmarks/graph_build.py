"""Graph-building speed: ops per second for a graph of repeated dense layers.

TF1 builds about 2,600 ops/s on such graphs; flowgraph aims for at least 20,000. Prints the
median ops/s over several builds and the ratio to TF1's figure.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import flowgraph as tf

TF1_OPS_PER_SECOND = 2600.0


def build(n_layers: int) -> tf.Graph:
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [None, 64], name="x")
        w = tf.constant(np.ones((64, 64), np.float32), name="w")
        b = tf.constant(np.ones((64,), np.float32), name="b")
        h = x
        for _ in range(n_layers):
            with tf.name_scope("layer"):
                h = tf.tanh(tf.matmul(h, w) + b)
    return graph


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--layers", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    build(10)  # warm the shape-inference cache as a real model's first layer would
    rates = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        graph = build(args.layers)
        rates.append(len(graph.get_operations()) / (time.perf_counter() - start))
    median = statistics.median(rates)
    print(f"graph build: {median:,.0f} ops/s (median of {args.repeats})")
    print(f"ratio flowgraph/TF1 (2,600 ops/s): {median / TF1_OPS_PER_SECOND:.1f}x")


if __name__ == "__main__":
    main()
