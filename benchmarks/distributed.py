"""Parameter-server training over TF's runtime protocol: step time of 1 ps + 1 and + 2
async workers (separate processes on 127.0.0.1) against the same model in one process;
bytes on the wire per step against the ideal (2 x model bytes per worker per step: the
variable down, its gradient up); gRPC calls per step; time to first step.

Usage: PYTHONPATH=. python benchmarks/distributed.py [--steps 200] [--repeats 2]
       [--tf_python /work/tfvenv/bin/python]   # also TensorFlow's own ps/worker runtime

The model is one 1 MiB variable (512 x 512 float32) and a squared loss on a batch of 8.
Cluster runs and one-process runs alternate, `--repeats` times each; medians are printed.
The machine is shared with other jobs: compare ratios within one run.
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


def build(setter=None, name="flowgraph"):
    tf = framework(name)
    with tf.device(setter):
        step = tf.train.get_or_create_global_step()
        x = tf.placeholder(tf.float32, [8, N], name="x")
        w = tf.Variable(tf.zeros([N, N]), name="w")
        loss = tf.reduce_mean(tf.square(tf.matmul(x, w) - 1.0))
        train = tf.train.GradientDescentOptimizer(0.01).minimize(loss, global_step=step)
    return tf, x, train


def timed_steps(sess, x, train, steps: int) -> list[float]:
    batch = np.random.RandomState(0).rand(8, N).astype(np.float32)
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        sess.run(train, {x: batch})
        times.append(time.perf_counter() - start)
    return times


def one_process(steps: int) -> float:
    tf, x, train = build()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        timed_steps(sess, x, train, 10)
        return statistics.median(timed_steps(sess, x, train, steps))


def task(flags) -> None:
    """A ps (serves until stopped) or a worker (reports its timings as JSON)."""
    start = time.perf_counter()
    tf = framework(flags.framework)
    workers = flags.worker_hosts.split(",")
    cluster = tf.train.ClusterSpec({"ps": flags.ps_hosts.split(","), "worker": workers})
    server = tf.train.Server(cluster, job_name=flags.job_name, task_index=flags.task_index)
    if flags.job_name == "ps":
        server.join()
        return
    setter = tf.train.replica_device_setter(
        worker_device=f"/job:worker/task:{flags.task_index}", cluster=cluster
    )
    tf, x, train = build(setter, flags.framework)
    config = tf.ConfigProto(device_filters=["/job:ps", f"/job:worker/task:{flags.task_index}"])
    with tf.Session(server.target, config=config) as sess:
        sess.run(tf.global_variables_initializer())
        timed_steps(sess, x, train, 1)
        first = time.perf_counter() - start
        timed_steps(sess, x, train, 10)
        times = timed_steps(sess, x, train, flags.steps)
        calls, wire = count_rpcs(sess, x, train) if flags.framework == "flowgraph" else ({}, 0)
    result = {"step": statistics.median(times), "first": first, "calls": calls, "bytes": wire}
    print("RESULT " + json.dumps(result), flush=True)


def count_rpcs(sess, x, train, steps: int = 20) -> tuple[dict, float]:
    """gRPC calls (by method) and bytes on the wire per step."""
    from flowgraph.distributed import rpc

    calls, sizes = {}, [0]
    call = rpc.Stub.call

    def counting(stub, method, request, *args, **kwargs):
        response = call(stub, method, request, *args, **kwargs)
        calls[method] = calls.get(method, 0) + 1
        codecs = (rpc.MASTER_METHODS | rpc.WORKER_METHODS)[method]  # the bytes gRPC sends
        sizes[0] += sum(len(c.SerializeToString(m)) for c, m in zip(codecs, (request, response)))
        return response

    rpc.Stub.call = counting
    try:
        timed_steps(sess, x, train, steps)
    finally:
        rpc.Stub.call = call
    return {k: v / steps for k, v in calls.items()}, sizes[0] / steps


def cluster_run(workers: int, steps: int, python: str = sys.executable) -> list[dict]:
    from flowgraph.distributed.launch import LocalCluster

    name = "flowgraph" if python == sys.executable else "tensorflow"
    with tempfile.TemporaryDirectory() as logs:
        cluster = LocalCluster(
            __file__, 1, workers, [f"--steps={steps}", f"--framework={name}"],
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
    parser.add_argument("--tf_python", default=None, help="a python with tensorflow")
    flags = parser.parse_args()
    if flags.job_name:
        return task(flags)
    rows: dict[str, list] = {}
    for _ in range(flags.repeats):
        rows.setdefault("one process", []).append(one_process(flags.steps))
        for workers in (1, 2):
            results = cluster_run(workers, flags.steps)
            rows.setdefault(f"1 ps + {workers} worker", []).append(results)
            if flags.tf_python:
                results = cluster_run(workers, flags.steps, flags.tf_python)
                rows.setdefault(f"TF 1 ps + {workers} worker", []).append(results)
    local = statistics.median(rows["one process"])
    print(f"model: one {MODEL_BYTES / 2**20:.0f} MiB variable; medians of {flags.repeats} runs")
    print(f"{'one process':<21} step {local * 1e3:7.2f} ms")
    for name in rows:
        if name == "one process":
            continue
        runs = [r for results in rows[name] for r in results]
        step = statistics.median(r["step"] for r in runs)
        first = statistics.median(r["first"] for r in runs)
        line = (
            f"{name + 's':<21} step {step * 1e3:7.2f} ms ({step / local:.1f}x one process), "
            f"first step {first:.2f} s"
        )
        if runs[0]["calls"]:
            wire = statistics.median(r["bytes"] for r in runs)
            calls = {
                k: statistics.median(r["calls"].get(k, 0) for r in runs) for k in runs[0]["calls"]
            }
            line += (
                f", wire {wire / 2**20:.2f} MiB/step per worker (ideal "
                f"{2 * MODEL_BYTES / 2**20:.2f}), RPCs/step per worker {calls}"
            )
        print(line)


if __name__ == "__main__":
    sys.exit(main())
