"""A TF1 input pipeline's throughput: Example records/s from TFRecord files.

Two ways over the same files, measured in one run:
  pipeline: string_input_producer -> TFRecordReader.read_up_to -> parse_example ->
            shuffle_batch(enqueue_many) -> a training step (linear model, SGD), with the
            queue runners' threads filling the queues while the main thread trains;
  python:   a plain loop reading each file's records and parsing each Example proto.
Prints records/s of both, and the share of the pipeline's step time spent waiting for
input (1 - the step's time on a fed batch / its time on the pipeline's batch).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np

import flowgraph as tf
from kernels.tfrecord import iter_records

WIDTH = 16


def write_files(directory: str, files: int, records: int) -> list[str]:
    rng = np.random.default_rng(0)
    paths = []
    for f in range(files):
        path = os.path.join(directory, f"data-{f}.tfrecord")
        with tf.python_io.TFRecordWriter(path) as writer:
            for _ in range(records):
                x = rng.normal(size=WIDTH).astype(np.float32)
                feature = {
                    "x": tf.train.Feature(float_list=tf.train.FloatList(value=x)),
                    "y": tf.train.Feature(int64_list=tf.train.Int64List(value=[int(x[0] > 0)])),
                }
                example = tf.train.Example(features=tf.train.Features(feature=feature))
                writer.write(example.SerializeToString())
        paths.append(path)
    return paths


def python_loop(paths: list[str]) -> float:
    """Records/s of reading and parsing every record in plain Python."""
    start, n = time.perf_counter(), 0
    for path in paths:
        for record in iter_records(path):
            example = tf.train.Example.FromString(record)
            x = np.asarray(example.features.feature["x"].float_list.value, np.float32)
            y = example.features.feature["y"].int64_list.value[0]
            n += x.size > 0 and y >= 0
    return n / (time.perf_counter() - start)


def pipeline(paths: list[str], batch: int, epochs: int) -> tuple[float, float, float]:
    """(records/s, mean step s on the pipeline, mean step s on a fed batch)."""
    with tf.Graph().as_default():
        filenames = tf.train.string_input_producer(paths, num_epochs=epochs, seed=1)
        _, records = tf.TFRecordReader().read_up_to(filenames, batch)
        parsed = tf.parse_example(
            records,
            {
                "x": tf.FixedLenFeature([WIDTH], tf.float32),
                "y": tf.FixedLenFeature([], tf.int64),
            },
        )
        xb, yb = tf.train.shuffle_batch(
            [parsed["x"], parsed["y"]],
            batch,
            capacity=8 * batch,
            min_after_dequeue=2 * batch,
            enqueue_many=True,
            seed=2,
        )
        w = tf.Variable(tf.zeros([WIDTH, 1]))
        logits = tf.squeeze(tf.matmul(xb, w), 1)
        loss = tf.reduce_mean(
            tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.cast(yb, tf.float32), logits=logits)
        )
        train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
        with tf.Session() as sess:
            sess.run([tf.global_variables_initializer(), tf.local_variables_initializer()])
            coord = tf.train.Coordinator()
            threads = tf.train.start_queue_runners(sess, coord=coord)
            x0, y0 = sess.run([xb, yb])  # also warms up every plan
            steps, start = 0, time.perf_counter()
            try:
                while True:
                    sess.run(train)
                    steps += 1
            except tf.errors.OutOfRangeError:
                elapsed = time.perf_counter() - start
            finally:
                coord.request_stop()
            coord.join(threads, stop_grace_period_secs=30)
            sess.run(train, {xb: x0, yb: y0})
            fed_start = time.perf_counter()
            for _ in range(steps):
                sess.run(train, {xb: x0, yb: y0})
            fed = (time.perf_counter() - fed_start) / steps
    return (steps + 1) * batch / elapsed, elapsed / steps, fed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--records", type=int, default=2000, help="records per file")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        paths = write_files(directory, args.files, args.records)
        plain = python_loop(paths * args.epochs)
        rate, step, fed = pipeline(paths, args.batch, args.epochs)
    print(f"python loop (read + parse):     {plain:10.0f} records/s")
    print(f"pipeline (parse_example + shuffle_batch + train step): {rate:10.0f} records/s")
    print(
        f"step: {step * 1e3:.2f} ms on the pipeline, {fed * 1e3:.2f} ms on a fed batch; "
        f"waiting for input: {max(0.0, 1 - fed / step):.0%} of the step"
    )
    print(f"ratio pipeline/python: {rate / plain:.2f}x")


if __name__ == "__main__":
    main()
