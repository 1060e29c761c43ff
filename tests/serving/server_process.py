"""Test harness: tiny SavedModels, and `python -m flowgraph.serving` run as a subprocess on
free 127.0.0.1 ports, with bounded waits and guaranteed teardown."""

from __future__ import annotations

import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import grpc
import numpy as np

import flowgraph as tf
from flowgraph.serving import apis

ROOT = pathlib.Path(__file__).resolve().parents[2]
START_TIMEOUT = 180  # seconds; importing jax and loading under a loaded 2-core machine


def weights(scale):
    """The MLP's (w, b) for `scale` (each version of a test model has its own scale)."""
    w = (np.arange(8, dtype=np.float32).reshape(4, 2) - 3.5) * scale
    return w, np.array([0.5, -0.5], np.float32) * scale


def mlp_outputs(x, scale):
    """What the exported MLP's `serving_default` answers for `x` (numpy)."""
    w, b = weights(scale)
    return np.tanh(np.asarray(x, np.float32) @ w + b)


def export_mlp(path, scale=1.0, warmup_requests=None):
    """Writes a SavedModel of a one-layer MLP to `path` with three signatures:
    `serving_default` (predict: x [?, 4] → y [?, 2] and label_bytes [?] string),
    `classify` (Examples with feature x → classes, scores) and `regress` (→ outputs).

    `warmup_requests`: `PredictionLog`s written to `assets.extra/tf_serving_warmup_requests`.
    """
    w0, b0 = weights(scale)
    with tf.Graph().as_default(), tf.Session() as sess:
        x = tf.placeholder(tf.float32, [None, 4], name="x")
        w, b = tf.Variable(w0, name="w"), tf.Variable(b0, name="b")
        y = tf.tanh(tf.matmul(x, w) + b)
        label = tf.where(y[:, 0] > y[:, 1], tf.fill(tf.shape(y[:, 0]), "first"),
                         tf.fill(tf.shape(y[:, 0]), "second"))  # fmt: skip
        serialized = tf.placeholder(tf.string, [None], name="examples")
        features = tf.parse_example(serialized, {"x": tf.FixedLenFeature([4], tf.float32)})
        logits = tf.tanh(tf.matmul(features["x"], w) + b)
        classes = tf.tile(tf.constant([["first", "second"]]),
                          tf.stack([tf.shape(logits)[0], 1]))  # fmt: skip
        utils = tf.saved_model.signature_def_utils
        signatures = {
            "serving_default": utils.predict_signature_def({"x": x},
                                                           {"y": y, "label_bytes": label}),
            "classify": utils.classification_signature_def(serialized, classes,
                                                           tf.nn.softmax(logits)),
            "regress": utils.regression_signature_def(serialized, tf.reduce_sum(logits, 1)),
        }  # fmt: skip
        sess.run(tf.global_variables_initializer())
        builder = tf.saved_model.builder.SavedModelBuilder(str(path))
        builder.add_meta_graph_and_variables(sess, ["serve"], signature_def_map=signatures)
        builder.save()
    if warmup_requests:
        os.makedirs(os.path.join(path, "assets.extra"))
        warmup = os.path.join(path, "assets.extra", "tf_serving_warmup_requests")
        with tf.python_io.TFRecordWriter(warmup) as writer:
            for log in warmup_requests:
                writer.write(log.SerializeToString())
    return path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def predict_request(name, x, version=None, label=None, signature=""):
    request = apis.PredictRequest()
    request.model_spec.name = name
    request.model_spec.signature_name = signature
    if version is not None:
        request.model_spec.version.value = version
    if label is not None:
        request.model_spec.version_label = label
    request.inputs["x"].CopyFrom(tf.make_tensor_proto(np.asarray(x, np.float32)))
    return request


class ServerProcess:
    """`python -m flowgraph.serving FLAGS` on free ports; a context manager that stops it.

    Attributes:
      prediction, model_service: gRPC stubs built from the TF Serving protos.
    """

    def __init__(self, *flags, rest=True):
        self.port = free_port()
        self.rest_port = free_port() if rest else 0
        self._log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)
        args = [sys.executable, "-m", "flowgraph.serving", f"--port={self.port}",
                f"--rest_api_port={self.rest_port}", *flags]  # fmt: skip
        env = dict(os.environ, PYTHONPATH=str(ROOT), JAX_PLATFORMS="cpu")
        self.process = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT,
                                        env=env, cwd=ROOT)  # fmt: skip
        self._channel = grpc.insecure_channel(f"127.0.0.1:{self.port}")
        self.prediction = apis.PredictionServiceStub(self._channel)
        self.model_service = apis.ModelServiceStub(self._channel)

    def __enter__(self):
        try:
            self.wait_for_log("Running gRPC ModelServer at", START_TIMEOUT)
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()

    def log(self):
        with open(self._log.name) as f:
            return f.read()

    def wait_for_log(self, text, timeout, count=1):
        """Waits until `text` appears `count` times in the server's log; fails on exit or
        after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while self.log().count(text) < count:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited ({self.process.returncode}):\n{self.log()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no {text!r} after {timeout} s:\n{self.log()}")
            time.sleep(0.05)

    def rest(self, path, body=None, method=None):
        """(HTTP status, JSON) of a REST request; `body` a JSON-able object or raw bytes."""
        data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"http://127.0.0.1:{self.rest_port}{path}", data=data,
                                         method=method)  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.load(response)
        except urllib.error.HTTPError as e:
            return e.code, json.load(e)

    def stop(self, signum=signal.SIGTERM, timeout=60):
        """Sends `signum` and waits for the exit status (kills after `timeout` seconds)."""
        if self.process.poll() is None:
            self.process.send_signal(signum)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self._channel.close()
        return self.process.returncode
