"""`flowgraph serve`'s command line: the console script, flags, and a clean stop on SIGTERM
and SIGINT with the requests in flight answered."""

import signal
import socket
import subprocess
import sys
import threading
import time
import tomllib

import numpy as np
import pytest

import flowgraph as tf
from flowgraph.serving import main
from tests.serving.server_process import (
    ROOT,
    ServerProcess,
    export_mlp,
    mlp_outputs,
    predict_request,
)


def test_console_script_and_usage(capsys):
    with open(ROOT / "pyproject.toml", "rb") as f:
        scripts = tomllib.load(f)["project"]["scripts"]
    assert scripts["flowgraph"] == "flowgraph.serving.main:main"
    assert main.main(["train"]) == 2
    assert "usage: flowgraph serve" in capsys.readouterr().err


def test_without_a_model_it_says_so_and_exits():
    result = subprocess.run([sys.executable, "-m", "flowgraph.serving", "--port=0"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)  # fmt: skip
    assert result.returncode == 2
    assert "Both server config file and model base path are missing" in result.stderr


def test_a_port_in_use_is_reported_and_the_models_unloaded(tmp_path):
    export_mlp(tmp_path / "mlp" / "1")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "flowgraph.serving", f"--port={port}", "--model_name=mlp",
             f"--model_base_path={tmp_path / 'mlp'}"],
            cwd=ROOT, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    assert result.returncode == 1
    assert (
        f"Failed to start the server: Failed to bind to address 127.0.0.1:{port}" in result.stderr
    )
    assert "Done unloading servable version {name: mlp version: 1}" in result.stderr


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_the_server_after_the_request_in_flight(tmp_path, signum):
    export_mlp(tmp_path / "mlp" / "1")
    # A request waits 1.5 s in the batch queue: the signal arrives while it is in flight.
    (tmp_path / "batching.config").write_text(
        "max_batch_size { value: 8 } batch_timeout_micros { value: 1500000 }"
    )
    flags = ("--model_name=mlp", f"--model_base_path={tmp_path / 'mlp'}", "--enable_batching",
             f"--batching_parameters_file={tmp_path / 'batching.config'}")  # fmt: skip
    x = np.ones((1, 4), np.float32)
    with ServerProcess(*flags, rest=False) as server:
        answers = []
        thread = threading.Thread(target=lambda: answers.append(
            server.prediction.Predict(predict_request("mlp", x), timeout=60)))  # fmt: skip
        thread.start()
        time.sleep(0.5)
        assert server.stop(signum) == 0
        thread.join(60)
        np.testing.assert_allclose(tf.make_ndarray(answers[0].outputs["y"]), mlp_outputs(x, 1.0),
                                   rtol=1e-5)  # fmt: skip
        log = server.log()
        assert "Done unloading servable version {name: mlp version: 1}" in log
        assert log.rstrip().endswith("Server stopped")
