"""TensorFlow's side of `conv_parts.py`: run under a TensorFlow install, never in CI.

Builds TensorFlow's op for each piece of the CNN step (`tf.compat.v1` graph mode, inputs in
variables so nothing is constant-folded) and answers `name<TAB>calls` lines on stdin with
`wall_ms cpu_ms` per call, so its blocks interleave with the jax side's.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import tensorflow.compat.v1 as tf
from cnn_model import CNN_BATCH

_ONES, _POOL = [1, 1, 1, 1], [1, 2, 2, 1]


def _pool_grad(h, pooled, g):
    return tf.raw_ops.MaxPoolGrad(
        orig_input=h, orig_output=pooled, grad=g, ksize=_POOL, strides=_POOL, padding="SAME"
    )


def pieces():
    rng = np.random.default_rng(0)

    def v(*shape):
        return tf.Variable(rng.normal(size=shape).astype(np.float32))

    def pooled(h):  # MaxPool's output as a variable: the gradient op alone is timed
        return tf.Variable(tf.nn.max_pool(h.read_value(), _POOL, _POOL, "SAME"))

    def conv_dx(sizes, w, g):
        return tf.raw_ops.Conv2DBackpropInput(
            input_sizes=sizes, filter=w, out_backprop=g, strides=_ONES, padding="SAME"
        )

    def conv_dw(x, sizes, g):
        return tf.raw_ops.Conv2DBackpropFilter(
            input=x, filter_sizes=sizes, out_backprop=g, strides=_ONES, padding="SAME"
        )

    n = CNN_BATCH
    x1, w1, g1 = v(n, 28, 28, 1), v(5, 5, 1, 32), v(n, 28, 28, 32)
    x2, w2, g2 = v(n, 14, 14, 32), v(5, 5, 32, 64), v(n, 14, 14, 64)
    p1, p2 = v(n, 14, 14, 32), v(n, 7, 7, 64)
    h, wd, gd = v(n, 7 * 7 * 64), v(7 * 7 * 64, 1024), v(n, 1024)
    return {
        "conv1 fwd": tf.nn.conv2d(x1, w1, _ONES, "SAME"),
        "conv1 dW": conv_dw(x1, [5, 5, 1, 32], g1),
        "conv2 fwd": tf.nn.conv2d(x2, w2, _ONES, "SAME"),
        "conv2 dX": conv_dx([n, 14, 14, 32], w2, g2),
        "conv2 dW": conv_dw(x2, [5, 5, 32, 64], g2),
        "pool1 fwd": tf.nn.max_pool(g1, _POOL, _POOL, "SAME"),
        "pool1 bwd": _pool_grad(g1, pooled(g1), p1),
        "pool2 fwd": tf.nn.max_pool(g2, _POOL, _POOL, "SAME"),
        "pool2 bwd": _pool_grad(g2, pooled(g2), p2),
        "dense fwd": tf.matmul(h, wd),
        "dense dW": tf.matmul(h, gd, transpose_a=True),
        "dense dX": tf.matmul(gd, wd, transpose_b=True),
    }


def main() -> None:
    tf.disable_eager_execution()
    ops = {name: t.op for name, t in pieces().items()}
    sess = tf.Session()
    for variable in tf.global_variables():  # in order: a pooled value reads its input
        sess.run(variable.initializer)
    print("ready", flush=True)
    for line in sys.stdin:
        name, calls = line.rstrip("\n").split("\t")
        op, calls = ops[name], int(calls)
        sess.run(op)
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(calls):
            sess.run(op)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(f"{wall / calls * 1e3} {cpu / calls * 1e3}", flush=True)


if __name__ == "__main__":
    main()
