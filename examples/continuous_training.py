"""Continuous training: a trainer exports a new SavedModel version every N steps while
`flowgraph serve` answers clients and picks each version up.

The trainer fits a small regression model y = tanh(x W1) W2 to a stream of synthetic
batches. Every `--export_every` steps it writes a SavedModel into a temporary directory
next to the served ones (`<export_dir>/tmp-<step>`, which the server ignores: not an
integer) and renames it to `<export_dir>/<step>` — one atomic rename, so the server never
sees a half-written version. The server (a subprocess, on free 127.0.0.1 ports) loads it,
swaps it in without dropping a request, and unloads the previous one; a client asks it over
REST which version answers and how far its predictions are from the truth.

  python examples/continuous_training.py --export_dir /tmp/continuous --steps 300
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import numpy as np

import flowgraph as tf

TRUE_W = np.array([[1.0], [-2.0], [0.5], [3.0]], np.float32)


def batch(rng, size=64):
    """A batch (x, y) of the task the trainer learns."""
    x = rng.normal(size=(size, 4)).astype(np.float32)
    return x, x @ TRUE_W


def export(sess, x, y, export_dir, step):
    """Writes version `step` into `export_dir` atomically (temporary directory + rename)."""
    tmp = os.path.join(export_dir, f"tmp-{step}")
    shutil.rmtree(tmp, ignore_errors=True)
    builder = tf.saved_model.builder.SavedModelBuilder(tmp)
    signature = tf.saved_model.predict_signature_def({"x": x}, {"y": y})
    signatures = {"serving_default": signature}
    builder.add_meta_graph_and_variables(sess, ["serve"], signature_def_map=signatures)
    builder.save()
    os.rename(tmp, os.path.join(export_dir, str(step)))


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`python -m flowgraph.serving` serving `export_dir` as model `regression`."""

    def __init__(self, export_dir):
        self.port = _free_port()
        flags = [
            "--port=0", f"--rest_api_port={self.port}", "--model_name=regression",
            f"--model_base_path={export_dir}", "--file_system_poll_wait_seconds=0.5",
        ]  # fmt: skip
        # The flowgraph this script imported, installed or not.
        root = os.path.dirname(os.path.dirname(os.path.abspath(tf.__file__)))
        path = os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flowgraph.serving", *flags],
            env=dict(os.environ, PYTHONPATH=path),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip

    def predict(self, x, timeout=60):
        """(version, predictions) for `x`, waiting up to `timeout` s for the server to start."""
        body = json.dumps({"instances": x.tolist()}).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/v1/models/regression:predict", data=body
        )
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(request, timeout=timeout) as response:
                    predictions = np.array(json.load(response)["predictions"])
                return self.version(), predictions
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise
                time.sleep(0.2)

    def version(self):
        """The newest AVAILABLE version."""
        url = f"http://127.0.0.1:{self.port}/v1/models/regression"
        with urllib.request.urlopen(url, timeout=60) as response:
            statuses = json.load(response)["model_version_status"]
        return max(int(s["version"]) for s in statuses if s["state"] == "AVAILABLE")

    def wait_for_version(self, version, timeout=60):
        deadline = time.monotonic() + timeout
        while self.version() != version:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the server did not load version {version}")
            time.sleep(0.1)

    def stop(self):
        self.process.terminate()
        self.process.wait(60)


def main(export_dir="runs/continuous", steps=300, export_every=100, seed=0):
    """Trains for `steps` steps, exporting and serving a version every `export_every`.

    Returns:
      A list of (version served, mean squared error of the server's predictions).
    """
    shutil.rmtree(export_dir, ignore_errors=True)
    os.makedirs(export_dir)
    rng = np.random.default_rng(seed)
    test_x, test_y = batch(rng, 32)
    x = tf.placeholder(tf.float32, [None, 4], name="x")
    target = tf.placeholder(tf.float32, [None, 1], name="target")
    hidden = tf.layers.dense(x, 16, activation=tf.tanh, name="hidden")
    y = tf.layers.dense(hidden, 1, name="y")
    loss = tf.reduce_mean(tf.square(y - target))
    train = tf.train.AdamOptimizer(0.02).minimize(loss)
    server, served = None, []
    try:
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for step in range(1, steps + 1):
                batch_x, batch_y = batch(rng)
                value, _ = sess.run([loss, train], {x: batch_x, target: batch_y})
                if step % export_every:
                    continue
                export(sess, x, y, export_dir, step)
                server = server or Server(export_dir)
                server.predict(test_x)  # waits until the server is up
                server.wait_for_version(step)
                version, predictions = server.predict(test_x)
                error = float(np.mean((predictions - test_y) ** 2))
                served.append((version, error))
                print(f"step {step}: training loss {value:.4f}; server answers with version "
                      f"{version}, test error {error:.4f}")  # fmt: skip
    finally:
        if server is not None:
            server.stop()
    return served


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--export_dir", default="runs/continuous")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--export_every", type=int, default=100)
    flags = parser.parse_args()
    main(flags.export_dir, flags.steps, flags.export_every)
