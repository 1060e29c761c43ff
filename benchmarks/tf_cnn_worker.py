"""TensorFlow's side of the CNN benchmark: run under a TensorFlow install, never in CI.

`train_step.py --tf-python PATH` starts this script with that interpreter and asks it for
blocks of steps over stdin ("N" → runs N steps, prints "seconds loss cpu_seconds"), so TensorFlow's
blocks interleave with flowgraph's and jax's. It builds the same CNN (`cnn_model.py`) in
`tf.compat.v1` graph mode with the same weights and batch.
"""

from __future__ import annotations

import sys
import time

import tensorflow.compat.v1 as tf
from cnn_model import cnn_batch, cnn_graph, cnn_initial_weights


def main() -> None:
    tf.disable_eager_execution()
    x, y, loss, train = cnn_graph(tf, cnn_initial_weights())
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    x_value, y_value = cnn_batch()
    feed = {x: x_value, y: y_value}
    print("ready", flush=True)
    for line in sys.stdin:
        start, cpu = time.perf_counter(), time.process_time()
        for _ in range(int(line)):
            value = sess.run([train, loss], feed)[1]
        print(f"{time.perf_counter() - start} {value} {time.process_time() - cpu}", flush=True)


if __name__ == "__main__":
    main()
