"""A TF1 input pipeline's throughput: Example records/s from TFRecord files.

Four ways over the same files, measured in one run:
  pipeline: string_input_producer -> TFRecordReader.read_up_to -> parse_example ->
            shuffle_batch(enqueue_many) -> a training step (linear model, SGD), with the
            queue runners' threads filling the queues while the main thread trains;
  tf.data:  TFRecordDataset -> shuffle -> batch -> map(parse_example) -> prefetch ->
            the same training step;
  per-record: TFRecordDataset -> map(parse_single_example) -> batch, input alone;
  python:   a plain loop reading each file's records and parsing each Example proto.
Prints records/s of each (and CPU microseconds per record, which load on a shared machine
disturbs less than wall time), and the share of each pipeline's step time spent waiting
for input: 1 - (the step's time on input that is always ready) / (its time on the pipeline).
Input always ready is a batch repeated by `Dataset.from_tensors(batch).repeat().prefetch`
(a batch fed by `feed_dict` would be no baseline: that path costs more than the iterator's),
trained in a second session of the same process, in blocks of steps paired with the
pipeline's, each of the two going first in every other pair: load that comes and goes on a
shared machine falls on both alike. The share is 1 - the median over pairs of the ready
block's time over the pipeline's. A block's first `SKIP` steps are not timed (the
pipeline's buffers fill while the other block runs; the skipped steps drain them), so the
pipeline's figures are those of a steady state: records/s is the batch over its mean timed
step. A control measures the ready-input step against itself the same way: how far apart
identical steps come out under the machine's load now.

The training step is a 2-hidden-layer MLP (`--hidden 512` by default: a step long enough
for `prefetch` to overlap the next batch with it, as on a real model; `--hidden 0` trains
the linear model alone, where any pipeline outruns the step only if it beats XLA's dispatch).
`--runs N` repeats every measurement N times, interleaved (each run does every way once),
and prints every run's figures and their medians. `--tensorflow PYTHON` also runs the
tf.data pipeline in real TensorFlow with that interpreter (a separate virtualenv) in each
run, for the ratio.
"""

from __future__ import annotations

import argparse
import inspect
import itertools
import os
import statistics
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


def python_loop(paths: list[str]) -> tuple[float, float]:
    """(records/s, CPU s per record) of reading and parsing every record in plain Python,
    one record at a time."""
    start, cpu, n = time.perf_counter(), time.process_time(), 0
    for path in paths:
        for record in iter_records(path):
            example = tf.train.Example.FromString(record)
            x = np.asarray(example.features.feature["x"].float_list.value, np.float32)
            y = example.features.feature["y"].int64_list.value[0]
            n += x.size > 0 and y >= 0
    return n / (time.perf_counter() - start), (time.process_time() - cpu) / n


def queue_pipeline(paths: list[str], batch: int, epochs: int, step=True) -> tuple[float, ...]:
    """`_alternating`'s figures of the step on the pipeline; with no `step`, (records/s,
    CPU s per record) of the batches alone."""
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
        train = _train_step(xb, yb) if step else None
        with tf.Session() as sess:
            coord = tf.train.Coordinator()
            sess.run([tf.global_variables_initializer(), tf.local_variables_initializer()])
            threads = tf.train.start_queue_runners(sess, coord=coord)
            try:
                return _measure(sess, train, batch) if step else _drain(sess, [xb, yb], batch)
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


def tf_data(paths: list[str], batch: int, epochs: int) -> tuple[float, float, float, float]:
    with tf.Graph().as_default():
        xb, yb = data_pipeline(tf, paths, batch, epochs)
        train = _train_step(xb, yb)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            return _measure(sess, train, batch)


HIDDEN = [512]  # hidden layer width of the trained model (0: a linear model)


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


BLOCK, SKIP = 20, 8  # steps per block, of which the first SKIP are not timed


def _measure(sess, train, batch: int) -> tuple[float, float, float, float]:
    """Trains until the input ends, in blocks alternating with blocks of the same step on
    ready input: `_alternating`'s figures."""
    return _alternating(sess.make_callable(train), batch)


def control(batch: int, steps: int) -> tuple[float, float, float, float]:
    """`_measure` of the ready-input step against itself (`steps` of them): how far apart
    two identical steps come out on this machine now (the noise in the waiting share)."""
    with tf.Graph().as_default():
        train = _ready_train(batch)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            step, count = sess.make_callable(train), iter(range(steps + 1))

            def limited():
                if next(count) == steps:
                    raise tf.errors.OutOfRangeError(None, None, "End of sequence")
                step()

            return _alternating(limited, batch)


def _alternating(piped, batch: int) -> tuple[float, float, float, float]:
    """Blocks of `piped` steps paired with blocks of the ready-input step, which goes first
    in every other pair: (records/s, mean timed step s, the same on ready input, the
    waiting share: 1 - the median over pairs of ready block time / piped block time)."""
    with tf.Graph().as_default() as graph:
        ready_train = _ready_train(batch)
        with tf.Session(graph=graph) as ready_sess:
            ready_sess.run(tf.global_variables_initializer())
            ready = ready_sess.make_callable(ready_train)
            ready(), piped()  # compiled before the clock starts
            times: dict = {piped: [], ready: []}
            try:
                for i in itertools.count():
                    for step in (piped, ready) if i % 2 == 0 else (ready, piped):
                        times[step].append(_block(step))
            except tf.errors.OutOfRangeError:
                pass
    pairs = list(zip(times[piped], times[ready]))  # complete pairs
    step = statistics.fmean(p for p, _ in pairs) / (BLOCK - SKIP)
    on_ready = statistics.fmean(r for _, r in pairs) / (BLOCK - SKIP)
    waiting = 1 - statistics.median(r / p for p, r in pairs)
    return batch / step, step, on_ready, waiting


def _block(step) -> float:
    """Seconds of the last BLOCK - SKIP of BLOCK steps."""
    for _ in range(SKIP):
        step()
    start = time.perf_counter()
    for _ in range(BLOCK - SKIP):
        step()
    return time.perf_counter() - start


def _ready_train(batch: int):
    """The training step on one batch repeated (input always ready)."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(batch, WIDTH)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    dataset = tf.data.Dataset.from_tensors((x, y)).repeat().prefetch(2)
    return _train_step(*tf.data.make_one_shot_iterator(dataset).get_next())


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
    n, start, cpu = 0, time.perf_counter(), time.process_time()
    try:
        while True:
            sess.run([xb, yb]); n += 1
    except tf.errors.OutOfRangeError:
        print(n * batch / (time.perf_counter() - start), (time.process_time() - cpu) / n / batch)
"""


def tensorflow_rate(python: str, paths, batch, epochs) -> tuple[float, float]:
    """(records/s, CPU s per record) of `data_pipeline` (input only) in real TensorFlow run
    by `python`."""
    script = _TF_SCRIPT.format(
        width=WIDTH,
        features=FEATURES,
        source=inspect.getsource(data_pipeline),
        paths=paths,
        batch=batch,
        epochs=epochs,
    )
    out = subprocess.run([python, "-c", script], capture_output=True, text=True, timeout=600)
    rate, cpu = out.stdout.strip().splitlines()[-1].split()
    return float(rate), float(cpu)


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


def input_rate(paths, batch: int, epochs: int, pipeline=data_pipeline) -> tuple[float, float]:
    """(records/s, CPU s per record) of a tf.data pipeline's batches alone (no step)."""
    with tf.Graph().as_default():
        xb, yb = pipeline(tf, paths, batch, epochs)
        with tf.Session() as sess:
            return _drain(sess, [xb, yb], batch)


def _drain(sess, batches, batch: int) -> tuple[float, float]:
    """(records/s, CPU s per record) of running `batches` until the input ends."""
    sess.run(batches)
    n, start, cpu = 0, time.perf_counter(), time.process_time()
    try:
        while True:
            sess.run(batches)
            n += 1
    except tf.errors.OutOfRangeError:
        rate = n * batch / (time.perf_counter() - start)
        return rate, (time.process_time() - cpu) / n / batch


def one_run(args, paths: list[str]) -> dict[str, tuple]:
    """Every way once, each after the other (the python loop before and after: load
    drifts): name -> (records/s, ...)."""
    before = python_loop(paths * args.epochs)
    out = {
        "queues": queue_pipeline(paths, args.batch, args.epochs),
        "tf.data": tf_data(paths, args.batch, args.epochs),
        "control": control(args.batch, args.files * args.records * args.epochs // args.batch),
        "input": input_rate(paths, args.batch, args.epochs),
        "queue input": queue_pipeline(paths, args.batch, args.epochs, step=False),
        "per-record": input_rate(paths, args.batch, args.epochs, per_record_pipeline),
    }
    if args.tensorflow:
        out["tensorflow"] = tensorflow_rate(args.tensorflow, paths, args.batch, args.epochs)
    after = python_loop(paths * args.epochs)
    out["python"] = tuple((a + b) / 2 for a, b in zip(before, after))
    return out


def _median(runs: list[dict], name: str, i: int) -> float:
    return statistics.median(run[name][i] for run in runs)


def _waiting(run: dict, name: str) -> float:
    """The share of the step spent waiting for input in `run`."""
    return max(0.0, run[name][3])


def report(runs: list[dict]) -> None:
    """Medians over `runs`: records/s, ratios, CPU per record and the waiting share (with
    every run's figures)."""
    plain = _median(runs, "python", 0)
    print(f"medians of {len(runs)} interleaved runs; load average {os.getloadavg()[0]:.1f}")
    print(
        f"python loop (read + parse):                     {plain:10.0f} records/s, "
        f"{_median(runs, 'python', 1) * 1e6:.2f} CPU us/record"
    )
    for name in ("queues", "tf.data"):
        rate = _median(runs, name, 0)
        waits = [_waiting(run, name) for run in runs]
        print(
            f"{name:8s} + train step:                       {rate:10.0f} records/s "
            f"({rate / plain:.2f}x python); step {_median(runs, name, 1) * 1e3:.2f} ms, "
            f"{_median(runs, name, 2) * 1e3:.2f} ms on ready input: waiting for input "
            f"{statistics.median(waits):.0%} of the step"
        )
        print(
            "    runs (waiting, records/s, x python): "
            + "; ".join(
                f"{w:.0%} {run[name][0]:.0f} {run[name][0] / run['python'][0]:.2f}x"
                for w, run in zip(waits, runs)
            )
        )
    spreads = [run["control"][3] for run in runs]
    print(
        "the ready-input step against itself (noise in the waiting share): "
        + ", ".join(f"{d:+.0%}" for d in spreads)
    )
    for name, label in (
        ("queue input", "queues input alone:                            "),
        ("input", "tf.data input alone:                           "),
        ("per-record", "tf.data map(parse_single_example).batch:       "),
        ("tensorflow", "TensorFlow tf.data input alone:                "),
    ):
        if name in runs[0]:
            rate = _median(runs, name, 0)
            print(
                f"{label}{rate:10.0f} records/s ({rate / plain:.2f}x python), "
                f"{_median(runs, name, 1) * 1e6:.2f} CPU us/record"
            )
    if "tensorflow" in runs[0]:
        ours, theirs = _median(runs, "input", 0), _median(runs, "tensorflow", 0)
        cpu = _median(runs, "input", 1) / _median(runs, "tensorflow", 1)
        print(
            f"flowgraph/TensorFlow tf.data input alone: {ours / theirs:.2f}x records/s, "
            f"{cpu:.2f}x CPU per record"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--records", type=int, default=2000, help="records per file")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3, help="interleaved runs (medians)")
    parser.add_argument("--tensorflow", help="a Python with TensorFlow, to compare tf.data")
    parser.add_argument("--hidden", type=int, default=512, help="the MLP's width (0: linear)")
    args = parser.parse_args()
    HIDDEN[0] = args.hidden
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as directory:
        paths = write_files(directory, args.files, args.records)
        report([one_run(args, paths) for _ in range(args.runs)])


if __name__ == "__main__":
    main()
