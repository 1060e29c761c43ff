"""Warmup records are replayed on a new servable; bad records fail its load."""

import logging

import numpy as np
import pytest

import flowgraph as tf
from flowgraph.serving import apis, status, warmup
from flowgraph.serving.servable import Servable
from tests.serving.server_process import export_mlp, predict_request


def _servable(path, logs):
    export_mlp(path, warmup_requests=logs)
    return Servable("mlp", 1, str(path))


def test_each_record_is_run_and_counted(tmp_path, caplog):
    log = apis.PredictionLog()
    log.predict_log.request.CopyFrom(predict_request("mlp", np.zeros((2, 4))))
    servable = _servable(tmp_path / "1", [log] * 3)
    calls = []
    run = servable.run
    servable.run = lambda *args: calls.append(args[0]) or run(*args)
    try:
        with caplog.at_level(logging.INFO, logger="flowgraph.serving"):
            warmup.run(servable)
    finally:
        servable.close()
    assert calls == ["serving_default"] * 3
    assert "Number of warmup records read: 3." in caplog.text


def test_a_failing_warmup_request_raises(tmp_path):
    log = apis.PredictionLog()
    log.predict_log.request.CopyFrom(predict_request("mlp", np.zeros((2, 3))))  # wrong shape
    servable = _servable(tmp_path / "1", [log])
    try:
        bad = r"Matrix size-incompatible: In\[0\]: \[2,3\]"  # MatMul's, as TF's C++ runtime
        with pytest.raises(status.ServingError, match=bad):
            warmup.run(servable)
        with tf.python_io.TFRecordWriter(servable.warmup_file()) as writer:
            writer.write(apis.PredictionLog().SerializeToString())
        with pytest.raises(status.ServingError, match="Unsupported log_type for warmup: None"):
            warmup.run(servable)
    finally:
        servable.close()
