"""A TF1 input pipeline's throughput: Example records/s from TFRecord files.

Three ways over the same files, measured in one run:
  pipeline: string_input_producer -> TFRecordReader.read_up_to -> parse_example ->
            shuffle_batch(enqueue_many) -> a training step (linear model, SGD), with the
            queue runners' threads filling the queues while the main thread trains;
  tf.data:  TFRecordDataset -> shuffle -> batch -> map(parse_example) -> prefetch ->
            the same training step;
  per-record: TFRecordDataset -> map(parse_single_example) -> batch, input alone;
  python:   a plain loop reading each file's records and parsing each Example proto.
Prints records/s of each, and the share of each pipeline's step time spent waiting for
input (1 - the step's time on a fed batch / its time on the pipeline's batch).
`--tensorflow PYTHON` also runs the tf.data pipeline in real TensorFlow with that
interpreter (a separate virtualenv) and prints its records/s.
"""

from __future__ import annotations

import argparse
import inspect
import os
import subprocess
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


def queue_pipeline(paths: list[str], batch: int, epochs: int) -> tuple[float, float, float]:
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
        train = _train_step(xb, yb)
        with tf.Session() as sess:
            coord = tf.train.Coordinator()
            sess.run([tf.global_variables_initializer(), tf.local_variables_initializer()])
            threads = tf.train.start_queue_runners(sess, coord=coord)
            try:
                return _measure(sess, train, xb, yb, batch)
            finally:
                coord.request_stop()
                coord.join(threads, stop_grace_period_secs=30)


FEATURES = {"x": ("FixedLenFeature", [WIDTH], "float32"), "y": ("FixedLenFeature", [], "int64")}


def data_pipeline(api, paths: list[str], batch: int, epochs: int):
    """TFRecordDataset -> shuffle -> batch -> map(parse_example) -> prefetch (`api` is
    flowgraph or TensorFlow's compat.v1: the same code runs on both)."""
    features = {
        k: getattr(api, kind)(shape, getattr(api, t)) for k, (kind, shape, t) in FEATURES.items()
    }

    def parse(records):
        parsed = api.parse_example(records, features)
        return parsed["x"], parsed["y"]

    dataset = (
        api.data.TFRecordDataset(paths)
        .shuffle(2 * batch, seed=2)
        .repeat(epochs)
        .batch(batch)
        .map(parse, num_parallel_calls=2)
        .prefetch(2)
    )
    return api.data.make_one_shot_iterator(dataset).get_next()


def tf_data(paths: list[str], batch: int, epochs: int) -> tuple[float, float, float]:
    with tf.Graph().as_default():
        xb, yb = data_pipeline(tf, paths, batch, epochs)
        train = _train_step(xb, yb)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            return _measure(sess, train, xb, yb, batch)


HIDDEN = [0]  # hidden layer width of the trained model (0: a linear model)


def _train_step(xb, yb):
    h = xb
    if HIDDEN[0]:
        for i in range(2):
            h = tf.layers.dense(h, HIDDEN[0], tf.nn.relu, name=f"hidden{i}")
    w = tf.Variable(tf.zeros([h.shape[1].value, 1]))
    logits = tf.squeeze(tf.matmul(h, w), 1)
    labels = tf.cast(yb, tf.float32)
    loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits))
    return tf.train.GradientDescentOptimizer(0.1).minimize(loss)


def _measure(sess, train, xb, yb, batch) -> tuple[float, float, float]:
    """Trains until the input ends: (records/s, step s on the input, step s fed)."""
    x0, y0 = sess.run([xb, yb])
    sess.run(train)  # compiles the step before the clock starts
    steps, start = 0, time.perf_counter()
    try:
        while True:
            sess.run(train)
            steps += 1
    except tf.errors.OutOfRangeError:
        elapsed = time.perf_counter() - start
    sess.run(train, {xb: x0, yb: y0})
    fed_start = time.perf_counter()
    for _ in range(steps):
        sess.run(train, {xb: x0, yb: y0})
    fed = (time.perf_counter() - fed_start) / steps
    return steps * batch / elapsed, elapsed / steps, fed


_TF_SCRIPT = """
import time
import tensorflow.compat.v1 as tf
tf.disable_eager_execution()
WIDTH, FEATURES = {width}, {features!r}
{source}
paths, batch, epochs = {paths!r}, {batch}, {epochs}
xb, yb = data_pipeline(tf, paths, batch, epochs)
with tf.Session() as sess:
    sess.run([xb, yb])
    n, start = 0, time.perf_counter()
    try:
        while True:
            sess.run([xb, yb]); n += 1
    except tf.errors.OutOfRangeError:
        print(n * batch / (time.perf_counter() - start))
"""


def tensorflow_rate(python: str, paths, batch, epochs) -> float:
    """records/s of `data_pipeline` (input only) in real TensorFlow run by `python`."""
    script = _TF_SCRIPT.format(
        width=WIDTH,
        features=FEATURES,
        source=inspect.getsource(data_pipeline),
        paths=paths,
        batch=batch,
        epochs=epochs,
    )
    out = subprocess.run([python, "-c", script], capture_output=True, text=True, timeout=600)
    return float(out.stdout.strip().splitlines()[-1])


def per_record_pipeline(api, paths: list[str], batch: int, epochs: int):
    """TFRecordDataset -> map(parse_single_example) -> batch: parsing written per record
    (flowgraph fuses it into one parse per batch)."""
    features = {
        k: getattr(api, kind)(shape, getattr(api, t)) for k, (kind, shape, t) in FEATURES.items()
    }

    def parse(record):
        parsed = api.parse_single_example(record, features)
        return parsed["x"], parsed["y"]

    dataset = api.data.TFRecordDataset(paths).repeat(epochs).map(parse).batch(batch)
    return api.data.make_one_shot_iterator(dataset).get_next()


def input_rate(paths: list[str], batch: int, epochs: int, pipeline=data_pipeline) -> float:
    """records/s of a tf.data pipeline's batches alone (no training step)."""
    with tf.Graph().as_default():
        xb, yb = pipeline(tf, paths, batch, epochs)
        with tf.Session() as sess:
            sess.run([xb, yb])
            n, start = 0, time.perf_counter()
            try:
                while True:
                    sess.run([xb, yb])
                    n += 1
            except tf.errors.OutOfRangeError:
                return n * batch / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--records", type=int, default=2000, help="records per file")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--tensorflow", help="a Python with TensorFlow, to compare tf.data")
    parser.add_argument("--hidden", type=int, default=0, help="train a 2-hidden-layer MLP")
    args = parser.parse_args()
    HIDDEN[0] = args.hidden
    with tempfile.TemporaryDirectory() as directory:
        paths = write_files(directory, args.files, args.records)
        plain = python_loop(paths * args.epochs)
        queue = queue_pipeline(paths, args.batch, args.epochs)
        data = tf_data(paths, args.batch, args.epochs)
        data_input = input_rate(paths, args.batch, args.epochs)
        per_record = input_rate(paths, args.batch, args.epochs, per_record_pipeline)
        plain = (plain + python_loop(paths * args.epochs)) / 2  # before and after: load drifts
        real = args.tensorflow and tensorflow_rate(args.tensorflow, paths, args.batch, args.epochs)
    print(f"python loop (read + parse):                      {plain:10.0f} records/s")
    for name, (rate, step, fed) in (("queues (shuffle_batch)", queue), ("tf.data", data)):
        print(
            f"{name:22s} + train step: {rate:10.0f} records/s ({rate / plain:.2f}x python); "
            f"step {step * 1e3:.2f} ms, {fed * 1e3:.2f} ms fed: waiting for input "
            f"{max(0.0, 1 - fed / step):.0%} of the step"
        )
    print(
        f"tf.data input alone:                             {data_input:10.0f} records/s "
        f"({data_input / plain:.2f}x python)"
    )
    print(
        f"tf.data map(parse_single_example).batch:       {per_record:10.0f} records/s "
        f"({per_record / plain:.2f}x python)"
    )
    if real:
        print(
            f"TensorFlow tf.data input alone:                  {real:10.0f} records/s "
            f"(flowgraph/TensorFlow: {data_input / real:.2f}x)"
        )


if __name__ == "__main__":
    main()
