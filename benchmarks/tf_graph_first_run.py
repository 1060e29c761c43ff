"""TensorFlow's side of `graph_build.py --first-run`: run under a TensorFlow install, never
in CI. Builds the same dense tanh layers in `tf.compat.v1` graph mode, runs the graph once
in a new Session and prints the seconds from the start of building to the first result."""

from __future__ import annotations

import sys
import time

import numpy as np
import tensorflow.compat.v1 as tf


def main() -> None:
    tf.disable_eager_execution()
    n_layers = int(sys.argv[1])
    start = time.perf_counter()
    x = tf.placeholder(tf.float32, [None, 64], name="x")
    w = tf.constant(np.ones((64, 64), np.float32), name="w")
    b = tf.constant(np.ones((64,), np.float32), name="b")
    h = x
    for _ in range(n_layers):
        with tf.name_scope("layer"):
            h = tf.tanh(tf.matmul(h, w) + b)
    with tf.Session() as sess:
        sess.run(h, {x: np.ones((8, 64), np.float32)})
    print(time.perf_counter() - start)


if __name__ == "__main__":
    main()
