"""TF Serving's own test model, half_plus_two (a SavedModel written by TF 1.14), served by a
`flowgraph serve` subprocess as TF Serving serves it: its input `x` is (?, 1), and TF
Serving's C++ session feeds a value of any shape (its README's `{"instances": [1.0, 2.0,
5.0]}` answers `{"predictions": [2.5, 3.0, 4.5]}`)."""

import pathlib

import grpc
import numpy as np
import pytest

import flowgraph as tf
from flowgraph.serving import apis
from tests.serving.server_process import ServerProcess

BASE = (pathlib.Path(__file__).resolve().parents[1]
        / "fixtures" / "tf1_serving" / "saved_model_half_plus_two_cpu")  # fmt: skip


@pytest.fixture(scope="module")
def half_plus_two():
    with ServerProcess("--model_name=half_plus_two", f"--model_base_path={BASE}") as process:
        yield process


def _predict(server, x, dtype=np.float32):
    request = apis.PredictRequest()
    request.model_spec.name = "half_plus_two"
    request.inputs["x"].CopyFrom(tf.make_tensor_proto(np.asarray(x, dtype)))
    return server.prediction.Predict(request, timeout=60)


def _examples(request, name, values):
    request.model_spec.name, request.model_spec.signature_name = "half_plus_two", name
    for value in values:
        example = request.input.example_list.examples.add()
        example.features.feature["x"].float_list.value.append(value)


def test_rest_predict_feeds_a_rank_1_batch_to_a_rank_2_input(half_plus_two):
    # TF Serving's README, word for word (row format: each instance a scalar).
    path = "/v1/models/half_plus_two:predict"
    assert half_plus_two.rest(path, {"instances": [1.0, 2.0, 5.0]}) == (
        200, {"predictions": [2.5, 3.0, 4.5]})  # fmt: skip
    assert half_plus_two.rest(path, {"instances": [[1.0], [2.0], [5.0]]}) == (
        200, {"predictions": [[2.5], [3.0], [4.5]]})  # fmt: skip
    assert half_plus_two.rest(path, {"inputs": {"x": [1.0, 2.0, 5.0]}}) == (
        200, {"outputs": [2.5, 3.0, 4.5]})  # fmt: skip
    assert half_plus_two.rest(path, {"inputs": [[4.0], [-2.0]]}) == (
        200, {"outputs": [[4.0], [1.0]]})  # fmt: skip


def test_grpc_predict_keeps_the_fed_shape(half_plus_two):
    for x in ([1.0, 2.0, 5.0], [[1.0], [2.0], [5.0]], [[1.0, 3.0], [2.0, 4.0]], 6.0):
        y = tf.make_ndarray(_predict(half_plus_two, x).outputs["y"])
        assert y.shape == np.shape(x)
        np.testing.assert_array_equal(y, 0.5 * np.asarray(x, np.float32) + 2)


def test_grpc_predict_checks_the_dtype(half_plus_two):
    with pytest.raises(grpc.RpcError) as info:
        _predict(half_plus_two, [1.0, 2.0], np.float64)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert info.value.details().startswith("Expects arg[0] to be float but double is provided")


def test_regress_and_classify(half_plus_two):
    code, doc = half_plus_two.rest("/v1/models/half_plus_two:regress", {
        "signature_name": "regress_x_to_y", "examples": [{"x": 2.0}, {"x": -4.0}]})  # fmt: skip
    assert (code, doc) == (200, {"result": [3.0, 0.0]})
    code, doc = half_plus_two.rest("/v1/models/half_plus_two:classify", {
        "signature_name": "classify_x_to_y", "examples": [{"x": 2.0}]})  # fmt: skip
    assert (code, doc) == (200, {"result": [[["", 3.0]]]})
    request = apis.RegressionRequest()
    _examples(request, "regress_x_to_y2", [1.0, 2.0, 5.0])  # y2 = 0.5 x + 3
    response = half_plus_two.prediction.Regress(request, timeout=60)
    assert [r.value for r in response.result.regressions] == [3.5, 4.0, 5.5]
    request = apis.ClassificationRequest()
    _examples(request, "classify_x_to_y", [1.0, 2.0])
    response = half_plus_two.prediction.Classify(request, timeout=60)
    assert [[(c.label, c.score) for c in r.classes]
            for r in response.result.classifications] == [[("", 2.5)], [("", 3.0)]]  # fmt: skip
