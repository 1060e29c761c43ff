"""Parameter-server training over TF's runtime protocol: step time of 1 ps + 1 and + 2
async workers, and of 1 ps + 2 synchronous workers (`SyncReplicasOptimizer(2, 2)`), all
separate processes on 127.0.0.1, against the same model in one process; bytes on the
wire per step against the ideal (2 x model bytes per worker per step: the variable down,
its gradient up); gRPC calls per step by method and task (RunGraph: the target is one
per task per step); time to first step.

Usage: PYTHONPATH=. python benchmarks/distributed.py [--steps 200] [--repeats 2]
       [--tf_python /work/tfvenv/bin/python]   # also TensorFlow's own ps/worker runtime

The model is one 1 MiB variable (512 x 512 float32) and a squared loss on a batch of 8.
Cluster runs and one-process runs alternate, `--repeats` times each; medians are printed.
The machine is shared with other jobs: compare ratios within one run. A sync worker's
calls include the chief's queue runner (one aggregated update per pair of steps).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

import numpy as np

N = 512  # 512 x 512 float32 = 1 MiB
MODEL_BYTES = N * N * 4


def framework(name: str = "flowgraph"):
    if name == "tensorflow":
        import tensorflow.compat.v1 as tf

        tf.disable_v2_behavior()
        return tf
    import flowgraph as tf

    return tf


def build(setter=None, name="flowgraph", sync_replicas=0):
    """The model; with `sync_replicas`, trained by SyncReplicasOptimizer over that many
    workers (the optimizer is returned too, else None)."""
    tf = framework(name)
    with tf.device(setter):
        step = tf.train.get_or_create_global_step()
        x = tf.placeholder(tf.float32, [8, N], name="x")
        w = tf.Variable(tf.zeros([N, N]), name="w")
        loss = tf.reduce_mean(tf.square(tf.matmul(x, w) - 1.0))
        opt = tf.train.GradientDescentOptimizer(0.01)
        if sync_replicas:
            opt = tf.train.SyncReplicasOptimizer(opt, sync_replicas, sync_replicas)
        train = opt.minimize(loss, global_step=step)
    return tf, x, train, opt if sync_replicas else None


def timed_steps(sess, x, train, steps: int, options=None) -> list[float]:
    """Each step's time; a sync worker stops at a step that times out (`options`): its
    pair has finished, and stale gradients may leave it one token short."""
    batch = np.random.RandomState(0).rand(8, N).astype(np.float32)
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        try:
            sess.run(train, {x: batch}, options=options)
        except Exception as e:  # DeadlineExceededError of either framework
            if options is None or "Deadline" not in type(e).__name__:
                raise
            break
        times.append(time.perf_counter() - start)
    return times


def one_process(steps: int) -> float:
    tf, x, train, _ = build()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        timed_steps(sess, x, train, 10)
        return statistics.median(timed_steps(sess, x, train, steps))


def task(flags) -> None:
    """A ps (serves until stopped) or a worker (reports its timings as JSON)."""
    start = time.perf_counter()
    tf = framework(flags.framework)
    counter = Counter() if flags.framework == "flowgraph" else None  # before the server
    workers = flags.worker_hosts.split(",")
    cluster = tf.train.ClusterSpec({"ps": flags.ps_hosts.split(","), "worker": workers})
    server = tf.train.Server(cluster, job_name=flags.job_name, task_index=flags.task_index)
    if flags.job_name == "ps":
        server.join()
        return
    setter = tf.train.replica_device_setter(
        worker_device=f"/job:worker/task:{flags.task_index}", cluster=cluster
    )
    sync = len(workers) if flags.sync else 0
    tf, x, train, opt = build(setter, flags.framework, sync)
    config = tf.ConfigProto(device_filters=["/job:ps", f"/job:worker/task:{flags.task_index}"])
    options = tf.RunOptions(timeout_in_ms=20000) if sync else None
    with tf.Session(server.target, config=config) as sess:
        if sync:
            start_sync(tf, sess, opt, flags.task_index == 0)
        else:
            sess.run(tf.global_variables_initializer())
        timed_steps(sess, x, train, 1, options)
        first = time.perf_counter() - start
        timed_steps(sess, x, train, 10, options)
        times = timed_steps(sess, x, train, flags.steps, options)
        calls, wire = counter.steps(sess, x, train, options) if counter else ({}, 0)
    result = {"step": statistics.median(times), "first": first, "calls": calls, "bytes": wire}
    print("RESULT " + json.dumps(result), flush=True)
    os._exit(0)  # a sync chief's queue runner may be waiting for a pair that never comes


def start_sync(tf, sess, opt, is_chief: bool) -> None:
    """What SyncReplicasOptimizer's session hook does: the chief initializes, puts the
    first tokens in and starts its queue runner; the others wait for the chief."""
    if is_chief:
        sess.run(tf.global_variables_initializer())
        sess.run(opt.chief_init_op)
        sess.run(opt.get_init_tokens_op())
        opt.get_chief_queue_runner().create_threads(sess, daemon=True, start=True)
        return
    not_ready = tf.report_uninitialized_variables(tf.global_variables())
    deadline = time.monotonic() + 120
    while len(sess.run(not_ready)) and time.monotonic() < deadline:
        time.sleep(0.1)
    sess.run(opt.local_step_init_op)


class Counter:
    """gRPC calls by method and task, RunGraph calls by task (the in-process one too), and
    the bytes of tensor messages this process sends and receives, while `steps` runs."""

    def __init__(self):
        from flowgraph.distributed import master, rpc, wire

        self.on = False
        self.calls: dict[str, float] = {}
        self.bytes = 0
        # RunGraph is counted where the master runs a partition: its own task's too.
        self._wrap(
            rpc.Stub, "call", lambda stub, m, *a, **k: m != "RunGraph" and f"{m} {stub.task}"
        )
        self._wrap(master._MasterSession, "_run_piece", lambda s, p, *a: "RunGraph " + (
            "own task (in-process)" if p.task == s.master.task else p.task))  # fmt: skip
        serialize, parse = wire.Codec.SerializeToString, wire.Codec.FromString

        def counted_serialize(codec, value):
            data = serialize(codec, value)
            self.bytes += len(data) if self.on else 0
            return data

        def counted_parse(codec, data):
            self.bytes += len(data) if self.on else 0
            return parse(codec, data)

        wire.Codec.SerializeToString, wire.Codec.FromString = counted_serialize, counted_parse

    def _wrap(self, cls, name: str, key) -> None:
        original = getattr(cls, name)

        def counted(*args, **kwargs):
            label = self.on and key(*args, **kwargs)
            if label:
                self.calls[label] = self.calls.get(label, 0) + 1
            return original(*args, **kwargs)

        setattr(cls, name, counted)

    def steps(self, sess, x, train, options, steps: int = 20) -> tuple[dict, float]:
        """Calls (by method and task) and tensor bytes on the wire per step."""
        self.on = True
        try:
            done = len(timed_steps(sess, x, train, steps, options))
        finally:
            self.on = False
        calls = {k.replace("/replica:0", ""): v / done for k, v in self.calls.items()}
        return calls, self.bytes / done


def cluster_run(workers: int, steps: int, python: str = sys.executable, sync=False) -> list:
    from flowgraph.distributed.launch import LocalCluster

    name = "flowgraph" if python == sys.executable else "tensorflow"
    args = [f"--steps={steps}", f"--framework={name}"] + (["--sync"] if sync else [])
    with tempfile.TemporaryDirectory() as logs:
        cluster = LocalCluster(
            __file__, 1, workers, args,
            env={"PYTHONPATH": os.getcwd()}, log_dir=logs, python=python,
        )  # fmt: skip
        with cluster:
            codes = cluster.wait(600)
        results = []
        for i in range(workers):
            text = open(os.path.join(logs, f"worker_{i}.log")).read()
            lines = [line for line in text.splitlines() if line.startswith("RESULT ")]
            if codes[i] != 0 or not lines:
                raise RuntimeError(f"worker {i} failed:\n{text[-3000:]}")
            results.append(json.loads(lines[-1][len("RESULT ") :]))
        return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--job_name")
    parser.add_argument("--task_index", type=int)
    parser.add_argument("--ps_hosts")
    parser.add_argument("--worker_hosts")
    parser.add_argument("--framework", default="flowgraph")
    parser.add_argument("--sync", action="store_true", help="(a task) SyncReplicasOptimizer")
    parser.add_argument("--tf_python", default=None, help="a python with tensorflow")
    flags = parser.parse_args()
    if flags.job_name:
        return task(flags)
    rows: dict[str, list] = {}
    for _ in range(flags.repeats):
        rows.setdefault("one process", []).append(one_process(flags.steps))
        for workers, sync in ((1, False), (2, False), (2, True)):
            name = f"1 ps + {workers} {'sync ' if sync else ''}worker"
            rows.setdefault(name, []).append(cluster_run(workers, flags.steps, sync=sync))
            if flags.tf_python:
                results = cluster_run(workers, flags.steps, flags.tf_python, sync)
                rows.setdefault("TF " + name, []).append(results)
    local = statistics.median(rows["one process"])
    print(f"model: one {MODEL_BYTES / 2**20:.0f} MiB variable; medians of {flags.repeats} runs")
    print(f"{'one process':<26} step {local * 1e3:7.2f} ms")
    for name in rows:
        if name == "one process":
            continue
        runs = [r for results in rows[name] for r in results]
        step = statistics.median(r["step"] for r in runs)
        first = statistics.median(r["first"] for r in runs)
        line = (
            f"{name + 's':<26} step {step * 1e3:7.2f} ms ({step / local:.1f}x one process), "
            f"first step {first:.2f} s"
        )
        if runs[0]["calls"]:
            wire = statistics.median(r["bytes"] for r in runs)
            calls = {
                k: statistics.median(r["calls"].get(k, 0) for r in runs) for k in runs[0]["calls"]
            }
            line += (
                f", wire {wire / 2**20:.2f} MiB/step per worker (ideal "
                f"{2 * MODEL_BYTES / 2**20:.2f})\n{'':<26} calls/step per worker: "
                + ", ".join(f"{k} {v:.2f}" for k, v in sorted(calls.items()))
            )
        print(line)


if __name__ == "__main__":
    sys.exit(main())
