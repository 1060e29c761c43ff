"""Checkpoint speed: save and restore MB/s of a 100 MB model, TF's bundle format vs orbax
(the format of earlier flowgraph versions), and the training-step stall while a
background thread saves (as a Supervisor does), three ways: now (the save op keeps
zero-copy views of the variables' buffers and the write runs outside the session's state
lock), "copied" (the op copied the 100 MB under the lock, then wrote outside it: session 7)
and "before" (the op wrote while holding the lock).

Usage: PYTHONPATH=. python benchmarks/checkpoint.py [--mb 100] [--repeats 3]

The variants run interleaved, `--repeats` times each; medians are printed. Disk and CPU
are shared with whatever else runs, so compare ratios within one run.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import tempfile
import threading
import time
from unittest import mock

import numpy as np

import flowgraph as tf
from kernels import io_checkpoint

_MB = 1 << 20


def _tensors(total_mb: int) -> dict[str, np.ndarray]:
    rng = np.random.RandomState(0)
    n = max(1, total_mb // 4)
    return {f"layer_{i:02d}/kernel": rng.rand(1024, 1024).astype(np.float32) for i in range(n)}


def _timed(fn, *args, **kwargs) -> float:
    start = time.perf_counter()
    fn(*args, **kwargs)
    return time.perf_counter() - start


def format_throughput(tensors, directory, repeats) -> dict[str, list[float]]:
    """MB/s of save and restore for each format, interleaved."""
    mb = sum(t.nbytes for t in tensors.values()) / _MB
    names = list(tensors)
    out: dict[str, list[float]] = {}
    for r in range(repeats):
        for fmt, write in (("bundle", io_checkpoint.write), ("orbax", io_checkpoint.write_orbax)):
            prefix = f"{directory}/{fmt}-{r}"
            out.setdefault(f"{fmt} save", []).append(mb / _timed(write, prefix, tensors))
            read = _timed(io_checkpoint.read, prefix, names)
            out.setdefault(f"{fmt} restore", []).append(mb / read)
            io_checkpoint.remove(prefix)
    return out


def _synchronous_submit(prefix, fn, *args):
    fn(*args)  # the write runs inside SaveV2, under the state lock, as before


def _copied_snapshot(value):
    return np.array(value, copy=True)  # session 7: the snapshot copied, under the lock


def save_stall(tensors, directory, repeats) -> dict[str, list[float]]:
    """Step times (ms) of a training loop while another thread saves the 100 MB model."""
    with tf.Graph().as_default():
        for name, value in tensors.items():
            tf.Variable(value, name=name.split("/")[0])
        w = tf.Variable(np.ones((256, 256), np.float32), name="w")
        x = tf.constant(np.random.RandomState(1).rand(64, 256).astype(np.float32))
        loss = tf.reduce_mean(tf.square(tf.matmul(x, w)))
        train = tf.train.GradientDescentOptimizer(1e-3).minimize(loss)
        saver = tf.train.Saver(max_to_keep=1)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for _ in range(20):
                sess.run(train)
            saver.save(sess, f"{directory}/warm", write_meta_graph=False)  # plans the save
            quiet = [_timed(lambda: sess.run(train)) for _ in range(50)]
            out = {"step, no save (median ms)": [1e3 * statistics.median(quiet)]}
            for r in range(repeats):
                variants = (
                    ("after", None, None),
                    ("copied", "_snapshot", _copied_snapshot),
                    ("before", "_submit", _synchronous_submit),
                )
                for label, name, patch in variants:
                    ctx = mock.patch.object(io_checkpoint, name, patch) if patch else None
                    with ctx or contextlib.nullcontext():
                        steps = _steps_during_save(sess, saver, train, f"{directory}/s{r}")
                    out.setdefault(f"{label}: longest step during save (ms)", []).append(
                        1e3 * max(steps)
                    )
                    out.setdefault(f"{label}: steps done during save", []).append(len(steps))
                    out.setdefault(f"{label}: median step during save (ms)", []).append(
                        1e3 * statistics.median(steps)
                    )
            return out


def _steps_during_save(sess, saver, train, prefix) -> list[float]:
    thread = threading.Thread(
        target=saver.save, args=(sess, prefix), kwargs={"write_meta_graph": False}
    )
    thread.start()
    steps = []
    while thread.is_alive():
        steps.append(_timed(lambda: sess.run(train)))
    thread.join()
    return steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    tensors = _tensors(args.mb)
    with tempfile.TemporaryDirectory() as directory:
        results = format_throughput(tensors, directory, args.repeats)
        results.update(save_stall(tensors, directory, args.repeats))
    print(f"model: {sum(t.nbytes for t in tensors.values()) / _MB:.0f} MB, {len(tensors)} tensors")
    for name, values in results.items():
        rounded = [round(v, 1) for v in values]
        print(f"{name:45s} median {statistics.median(values):9.1f}   all {rounded}")


if __name__ == "__main__":
    main()
