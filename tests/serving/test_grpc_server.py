"""The gRPC API against a `flowgraph serve` subprocess, with stubs built from TF Serving's
protos (same method paths and field numbers as the `tensorflow-serving-api` stubs)."""

import grpc
import numpy as np
import pytest

import flowgraph as tf
from flowgraph.serving import apis
from tests.serving.server_process import mlp_outputs, predict_request

X = np.array([[1.0, -2.0, 0.5, 0.0], [0.1, 0.2, 0.3, 0.4], [3.0, 0.0, -1.0, 2.0]], np.float32)


def _error(call, request):
    with pytest.raises(grpc.RpcError) as info:
        call(request, timeout=60)
    return info.value.code(), info.value.details()


def _examples(request, rows):
    for row in rows:
        example = request.input.example_list.examples.add()
        example.features.feature["x"].float_list.value.extend(row)


def test_predict_returns_the_models_outputs_and_its_version(server):
    response = server.prediction.Predict(predict_request("mlp", X), timeout=60)
    np.testing.assert_allclose(tf.make_ndarray(response.outputs["y"]), mlp_outputs(X, 1.0),
                               rtol=1e-5, atol=1e-6)  # fmt: skip
    expected = np.where(mlp_outputs(X, 1.0)[:, 0] > mlp_outputs(X, 1.0)[:, 1], b"first", b"second")
    assert list(tf.make_ndarray(response.outputs["label_bytes"])) == list(expected)
    assert response.model_spec.name == "mlp"
    assert response.model_spec.version.value == 1
    assert response.model_spec.signature_name == "serving_default"


def test_predict_output_filter_and_specific_version(server):
    request = predict_request("mlp", X[:1], version=1)
    request.output_filter.append("y")
    response = server.prediction.Predict(request, timeout=60)
    assert set(response.outputs) == {"y"}
    request.output_filter[:] = ["nope"]
    code, details = _error(server.prediction.Predict, request)
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert details == ("output tensor alias not found in signature: nope Outputs expected to be "
                       "in the set {label_bytes,y}.")  # fmt: skip


def test_classify_and_regress_on_their_signatures(server):
    request = apis.ClassificationRequest()
    request.model_spec.name, request.model_spec.signature_name = "mlp", "classify"
    _examples(request, X)
    response = server.prediction.Classify(request, timeout=60)
    logits = mlp_outputs(X, 1.0)
    softmax = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    for row, classifications in enumerate(response.result.classifications):
        assert [c.label for c in classifications.classes] == ["first", "second"]
        np.testing.assert_allclose([c.score for c in classifications.classes], softmax[row],
                                   rtol=1e-5)  # fmt: skip
    assert response.model_spec.signature_name == "classify"
    request = apis.RegressionRequest()
    request.model_spec.name, request.model_spec.signature_name = "mlp", "regress"
    request.input.example_list_with_context.context.features.feature["x"].float_list.value.extend(
        X[0]
    )
    request.input.example_list_with_context.examples.add()  # every feature from the context
    response = server.prediction.Regress(request, timeout=60)
    np.testing.assert_allclose([r.value for r in response.result.regressions],
                               [logits[0].sum()], rtol=1e-5)  # fmt: skip


def test_multi_inference_runs_each_task_on_one_input(server):
    request = apis.MultiInferenceRequest()
    for signature, method in (("classify", "tensorflow/serving/classify"),
                              ("regress", "tensorflow/serving/regress")):  # fmt: skip
        task = request.tasks.add(method_name=method)
        task.model_spec.name, task.model_spec.signature_name = "mlp", signature
    _examples(request, X[:2])
    response = server.prediction.MultiInference(request, timeout=60)
    assert len(response.results[0].classification_result.classifications) == 2
    np.testing.assert_allclose([r.value for r in response.results[1].regression_result.regressions],
                               mlp_outputs(X[:2], 1.0).sum(1), rtol=1e-5)  # fmt: skip


def test_classify_on_a_predict_signature_names_the_method(server):
    request = apis.ClassificationRequest()
    request.model_spec.name = "mlp"
    _examples(request, X[:1])
    assert _error(server.prediction.Classify, request) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "Expected classification signature method_name to be tensorflow/serving/classify. "
        "Was: tensorflow/serving/predict",
    )


def test_metadata_is_a_signature_def_map_in_an_any(server):
    request = apis.GetModelMetadataRequest(metadata_field=["signature_def"])
    request.model_spec.name = "mlp"
    response = server.prediction.GetModelMetadata(request, timeout=60)
    packed = response.metadata["signature_def"]
    assert packed.type_url == "type.googleapis.com/tensorflow.serving.SignatureDefMap"
    signatures = apis.SignatureDefMap.FromString(packed.value).signature_def
    assert set(signatures) == {"serving_default", "classify", "regress"}
    assert signatures["serving_default"].inputs["x"].name == "x:0"
    assert response.model_spec.version.value == 1
    request.metadata_field[:] = ["nope"]
    assert _error(server.prediction.GetModelMetadata, request) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "Metadata field nope is not supported",
    )


def test_model_status(server):
    request = apis.GetModelStatusRequest()
    request.model_spec.name = "mlp"
    response = server.model_service.GetModelStatus(request, timeout=60)
    [status] = response.model_version_status
    assert (status.version, status.state, status.status.error_code) == (1, 30, 0)
    request.model_spec.version.value = 9
    assert _error(server.model_service.GetModelStatus, request) == (
        grpc.StatusCode.NOT_FOUND,
        "Could not find version 9 of model mlp",
    )


@pytest.mark.parametrize("request_, code, details", [
    (predict_request("nope", X), grpc.StatusCode.NOT_FOUND,
     "Servable not found for request: Latest(nope)"),
    (predict_request("mlp", X, version=7), grpc.StatusCode.NOT_FOUND,
     "Servable not found for request: Specific(mlp, 7)"),
    (predict_request("mlp", X, label="canary"), grpc.StatusCode.INVALID_ARGUMENT,
     "Unrecognized servable version label: canary"),
    (predict_request("mlp", X, signature="nope"), grpc.StatusCode.FAILED_PRECONDITION,
     'Serving signature key "nope" not found.'),
    (predict_request("mlp", X[:, :3]), grpc.StatusCode.INVALID_ARGUMENT,
     "Matrix size-incompatible: In[0]: [3,3], In[1]: [4,2]\n\t [[{{node MatMul}}]]"),
])  # fmt: skip
def test_unknown_model_version_label_signature_and_bad_shape(server, request_, code, details):
    assert _error(server.prediction.Predict, request_) == (code, details)


def test_wrong_dtype_missing_and_extra_inputs_name_the_input(server):
    request = predict_request("mlp", X)
    request.inputs["x"].CopyFrom(tf.make_tensor_proto(X.astype(np.int32)))
    assert _error(server.prediction.Predict, request) == (
        grpc.StatusCode.INVALID_ARGUMENT, "Expects arg[0] to be float but int32 is provided "
        "(input 'x')")  # fmt: skip
    request = predict_request("mlp", X)
    request.inputs["z"].CopyFrom(tf.make_tensor_proto(X))
    assert _error(server.prediction.Predict, request) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "input size does not match signature: 2!=1 len({x,z}) != len({x}). Sent extra: {z}. "
        "Missing but required: {}.",
    )
    del request.inputs["x"]
    assert _error(server.prediction.Predict, request)[0] == grpc.StatusCode.INVALID_ARGUMENT
    assert "input tensor alias not found in signature: z" in _error(server.prediction.Predict,
                                                                    request)[1]  # fmt: skip


def test_malformed_request_bytes_are_invalid_argument_and_the_server_keeps_serving(server):
    channel = grpc.insecure_channel(f"127.0.0.1:{server.port}")
    raw = channel.unary_unary("/tensorflow.serving.PredictionService/Predict")
    with pytest.raises(grpc.RpcError) as info:
        raw(b"\x0a\xff\xff\xff\xff\x0f", timeout=60)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert info.value.details() == "Malformed request: could not parse PredictRequest"
    channel.close()
    assert server.prediction.Predict(predict_request("mlp", X), timeout=60).outputs["y"]
