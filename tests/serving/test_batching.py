"""Server-side batching: tasks joined, padded to allowed sizes (bounded compiles), split back;
oversized tasks refused; a batching server answers 8 concurrent clients correctly."""

import threading

import grpc
import numpy as np
import pytest
from google.protobuf import text_format

import flowgraph as tf
from flowgraph.serving import apis, status
from flowgraph.serving.batching import BatchScheduler, read_batching_parameters
from flowgraph.serving.servable import Servable
from tests.serving.server_process import ServerProcess, export_mlp, mlp_outputs, predict_request


def _params(text):
    return text_format.Parse(text, apis.BatchingParameters())


PARAMS = ("max_batch_size { value: 8 } batch_timeout_micros { value: 50000 } "
          "num_batch_threads { value: 2 } allowed_batch_sizes: [2, 4, 8]")  # fmt: skip


def _concurrently(function, args):
    results = [None] * len(args)

    def call(i):
        results[i] = function(*args[i])

    threads = [threading.Thread(target=call, args=(i,)) for i in range(len(args))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_tasks_are_padded_to_allowed_sizes_and_split_back():
    shapes = []

    def run(signature, feeds, aliases):
        shapes.append(feeds["x"].shape[0])
        return {"y": feeds["x"] * 2.0}

    scheduler = BatchScheduler(_params(PARAMS), run)
    try:
        inputs = [np.full((n, 3), float(n), np.float32) for n in (1, 2, 3, 1, 5, 1, 2, 7)]
        results = _concurrently(lambda x: scheduler.run("sig", {"x": x}, ("y",)),
                                [(x,) for x in inputs])  # fmt: skip
        for x, result in zip(inputs, results):
            np.testing.assert_array_equal(result["y"], x * 2.0)
        for n in range(1, 9):  # one at a time: every size pads to an allowed one
            scheduler.run("sig", {"x": np.zeros((n, 3), np.float32)}, ("y",))
    finally:
        scheduler.stop()
    assert set(shapes) <= {2, 4, 8}


def test_oversized_and_ragged_tasks_are_invalid_arguments():
    scheduler = BatchScheduler(_params(PARAMS), lambda *a: {})
    try:
        with pytest.raises(status.ServingError) as info:
            scheduler.run("sig", {"x": np.zeros((9, 3))}, ("y",))
        assert info.value.message == "Task size 9 is larger than maximum input batch size 8"
        with pytest.raises(status.ServingError) as info:
            scheduler.run("sig", {"x": np.zeros((2, 3)), "z": np.zeros((3,))}, ("y",))
        assert "must have equal 0th-dimension size" in info.value.message
    finally:
        scheduler.stop()


def test_a_failed_batch_fails_each_of_its_tasks():
    def run(signature, feeds, aliases):
        raise status.invalid_argument("boom")

    scheduler = BatchScheduler(_params(PARAMS), run)
    try:
        with pytest.raises(status.ServingError, match="boom"):
            scheduler.run("sig", {"x": np.zeros((1, 3))}, ("y",))
    finally:
        scheduler.stop()


def test_parameters_file_is_checked(tmp_path):
    path = tmp_path / "batching.config"
    path.write_text("max_batch_size { value: 8 } allowed_batch_sizes: [2, 4]")
    with pytest.raises(ValueError, match="must match max_batch_size; last entry was 4; expected 8"):
        read_batching_parameters(str(path))
    path.write_text(PARAMS)
    assert list(read_batching_parameters(str(path)).allowed_batch_sizes) == [2, 4, 8]


def test_a_batching_servable_runs_only_allowed_batch_sizes(tmp_path):
    servable = Servable("mlp", 1, str(export_mlp(tmp_path / "1")), batching=_params(PARAMS))
    fed = []
    run = servable.session.run
    servable.session.run = lambda fetches, feeds: fed.append(
        next(iter(feeds.values())).shape[0]) or run(fetches, feeds)  # fmt: skip
    try:
        inputs = [np.random.RandomState(n).randn(n, 4).astype(np.float32) for n in range(1, 9)]
        results = _concurrently(lambda x: servable.run("serving_default", {"x": x}, ["y"]),
                                [(x,) for x in inputs])  # fmt: skip
        for x, result in zip(inputs, results):
            np.testing.assert_allclose(result["y"], mlp_outputs(x, 1.0), rtol=1e-5, atol=1e-6)
    finally:
        servable.close()
    assert set(fed) <= {2, 4, 8}


def test_batching_server_answers_eight_concurrent_clients(tmp_path):
    export_mlp(tmp_path / "mlp" / "1")
    (tmp_path / "batching.config").write_text(PARAMS)
    flags = ("--model_name=mlp", f"--model_base_path={tmp_path / 'mlp'}", "--enable_batching",
             f"--batching_parameters_file={tmp_path / 'batching.config'}")  # fmt: skip
    with ServerProcess(*flags, rest=False) as server:
        inputs = [np.random.RandomState(n).randn(1 + n % 3, 4).astype(np.float32) for n in range(8)]

        def predict(x):
            return [server.prediction.Predict(predict_request("mlp", x), timeout=60)
                    for _ in range(5)]  # fmt: skip

        for x, responses in zip(inputs, _concurrently(predict, [(x,) for x in inputs])):
            for response in responses:
                np.testing.assert_allclose(tf.make_ndarray(response.outputs["y"]),
                                           mlp_outputs(x, 1.0), rtol=1e-5, atol=1e-6)  # fmt: skip
        with pytest.raises(grpc.RpcError) as info:
            server.prediction.Predict(predict_request("mlp", np.zeros((9, 4))), timeout=60)
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert info.value.details() == "Task size 9 is larger than maximum input batch size 8"
