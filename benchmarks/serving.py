"""Model serving: Predict latency over gRPC and REST, throughput with and without batching
under 8 concurrent clients, and latency while a new version is swapped in.

A small MLP (32 → 64 → 64 → 10) is exported and served by `flowgraph serve` subprocesses
(one plain, one with `--enable_batching`). The baseline is a minimal Python grpcio server
(another subprocess) answering the same Predict with numpy: the cost of gRPC and protobuf
in Python alone. Clients run in this process.

Usage: PYTHONPATH=. python benchmarks/serving.py [--requests 300] [--rounds 3] [--seconds 3]

Latencies are measured in interleaved rounds (baseline, flowgraph gRPC, flowgraph REST);
medians of the rounds' p50/p99 are printed. CPU is shared with whatever else runs, so
compare figures within one run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent import futures

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import grpc  # noqa: E402

import flowgraph as tf  # noqa: E402
from flowgraph.serving import apis  # noqa: E402
from tests.serving.server_process import ServerProcess, free_port  # noqa: E402

SIZES = (32, 64, 64, 10)


def _weights(seed):
    rng = np.random.RandomState(seed)
    return [((rng.randn(a, b) / np.sqrt(a)).astype(np.float32), np.zeros(b, np.float32))
            for a, b in zip(SIZES, SIZES[1:])]  # fmt: skip


def _mlp(x, weights):
    for i, (w, b) in enumerate(weights):
        x = x @ w + b
        x = np.tanh(x) if i < len(weights) - 1 else x
    return x


def export(path, seed):
    """Exports the MLP with `seed`'s weights to `path` (via a temporary dir and a rename)."""
    tmp = f"{path}.tmp"
    with tf.Graph().as_default(), tf.Session() as sess:
        x = tf.placeholder(tf.float32, [None, SIZES[0]], name="x")
        y = x
        for i, (w, b) in enumerate(_weights(seed)):
            y = tf.matmul(y, tf.Variable(w)) + tf.Variable(b)
            y = tf.tanh(y) if i < len(SIZES) - 2 else y
        sess.run(tf.global_variables_initializer())
        tf.saved_model.simple_save(sess, tmp, {"x": x}, {"y": y})
    os.rename(tmp, path)


def baseline_server(port):
    """A minimal grpcio Predict server computing the MLP with numpy (run as a subprocess)."""
    weights = _weights(1)

    def predict(request, context):
        x = tf.make_ndarray(request.inputs["x"])
        response = apis.PredictResponse()
        response.outputs["y"].CopyFrom(tf.make_tensor_proto(_mlp(x, weights)))
        return response

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    handler = grpc.unary_unary_rpc_method_handler(
        predict, request_deserializer=apis.PredictRequest.FromString,
        response_serializer=apis.PredictResponse.SerializeToString,
    )  # fmt: skip
    server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler(
        "tensorflow.serving.PredictionService", {"Predict": handler})])  # fmt: skip
    server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    print("Running gRPC ModelServer at", flush=True)
    server.wait_for_termination()


def _request(x):
    request = apis.PredictRequest()
    request.model_spec.name = "mlp"
    request.inputs["x"].CopyFrom(tf.make_tensor_proto(x))
    return request


def _grpc_call(port):
    stub = apis.PredictionServiceStub(grpc.insecure_channel(f"127.0.0.1:{port}"))
    request = _request(np.ones((1, SIZES[0]), np.float32))
    return lambda: stub.Predict(request, timeout=60)


def _rest_call(port):
    body = json.dumps({"instances": np.ones((1, SIZES[0])).tolist()}).encode()
    url = f"http://127.0.0.1:{port}/v1/models/mlp:predict"
    return lambda: urllib.request.urlopen(urllib.request.Request(url, data=body), timeout=60).read()


def _latencies(call, count):
    out = []
    for _ in range(count):
        start = time.perf_counter()
        call()
        out.append(time.perf_counter() - start)
    return out


def _percentiles(samples):
    return np.percentile(samples, 50) * 1e3, np.percentile(samples, 99) * 1e3


def latency(calls, requests, rounds):
    """{name: (median p50 ms, median p99 ms)} over interleaved rounds."""
    for call in calls.values():
        _latencies(call, 20)  # warm up connections and compiled shapes
    rows = {name: [] for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            rows[name].append(_percentiles(_latencies(call, requests)))
    return {name: tuple(statistics.median(r[i] for r in rs) for i in (0, 1))
            for name, rs in rows.items()}  # fmt: skip


def throughput(port, seconds, clients=8):
    """Predicts per second of `clients` threads, each sending one row at a time."""
    calls = [_grpc_call(port) for _ in range(clients)]
    counts, stop = [0] * clients, threading.Event()

    def loop(i):
        while not stop.is_set():
            calls[i]()
            counts[i] += 1

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    return sum(counts) / seconds


def swap_latency(server, base, swaps):
    """p50/p99 (ms) of Predict while versions 2.. are exported and swapped in, and how many
    requests failed."""
    call, samples, failures, stop = _grpc_call(server.port), [], [], threading.Event()

    def loop():
        while not stop.is_set():
            start = time.perf_counter()
            try:
                call()
                samples.append(time.perf_counter() - start)
            except grpc.RpcError as e:
                failures.append(e)

    thread = threading.Thread(target=loop)
    thread.start()
    for version in range(2, 2 + swaps):
        export(os.path.join(base, str(version)), seed=version)
        text = f"Done unloading servable version {{name: mlp version: {version - 1}}}"
        server.wait_for_log(text, 120)
    stop.set()
    thread.join()
    return (*_percentiles(samples), len(samples), len(failures))


def main(requests, rounds, seconds):
    work = tempfile.mkdtemp(prefix="serving-bench-")
    batching = os.path.join(work, "batching.config")
    with open(batching, "w") as f:
        f.write("max_batch_size { value: 8 } batch_timeout_micros { value: 2000 } "
                "num_batch_threads { value: 2 } allowed_batch_sizes: [1, 2, 4, 8]")  # fmt: skip
    bases = {}
    for name in ("plain", "batched"):
        bases[name] = os.path.join(work, name)
        os.makedirs(bases[name])
        export(os.path.join(bases[name], "1"), seed=1)
    port = free_port()
    baseline = subprocess.Popen([sys.executable, __file__, "--baseline_server", str(port)],
                                stdout=subprocess.PIPE, text=True)  # fmt: skip
    common = ("--model_name=mlp", "--file_system_poll_wait_seconds=0.5")
    try:
        baseline.stdout.readline()
        with ServerProcess(*common, f"--model_base_path={bases['plain']}") as plain, \
                ServerProcess(*common, f"--model_base_path={bases['batched']}",
                              "--enable_batching", f"--batching_parameters_file={batching}",
                              rest=False) as batched:  # fmt: skip
            calls = {"baseline grpcio (numpy)": _grpc_call(port),
                     "flowgraph gRPC": _grpc_call(plain.port),
                     "flowgraph REST": _rest_call(plain.rest_port)}  # fmt: skip
            lat = latency(calls, requests, rounds)
            for name, (p50, p99) in lat.items():
                print(f"Predict latency, {name:24s} p50 {p50:6.2f} ms   p99 {p99:6.2f} ms")
            rates = {"baseline grpcio (numpy)": [], "flowgraph": [], "flowgraph + batching": []}
            for _ in range(rounds):
                for name, p in zip(rates, (port, plain.port, batched.port)):
                    rates[name].append(throughput(p, seconds))
            for name, values in rates.items():
                print(f"8 clients, {name:24s} {statistics.median(values):7.0f} predicts/s")
            p50, p99, count, failed = swap_latency(plain, bases["plain"], swaps=3)
            print(f"During 3 version swaps: p50 {p50:.2f} ms, p99 {p99:.2f} ms over {count} "
                  f"requests, {failed} failed")  # fmt: skip
    finally:
        baseline.terminate()
        baseline.wait(60)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--baseline_server", type=int, default=None)
    flags = parser.parse_args()
    if flags.baseline_server is not None:
        baseline_server(flags.baseline_server)
    else:
        main(flags.requests, flags.rounds, flags.seconds)
