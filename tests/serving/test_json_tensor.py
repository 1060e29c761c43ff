"""REST JSON ↔ protos: row and columnar formats, b64 bytes, Examples, TF Serving's errors."""

import base64

import numpy as np
import pytest
from tensorboard.compat.proto import meta_graph_pb2

import flowgraph as tf
from flowgraph.serving import apis, json_tensor, status


def _signatures(**inputs):
    signature = meta_graph_pb2.SignatureDef()
    for alias, dtype in inputs.items():
        signature.inputs[alias].name, signature.inputs[alias].dtype = f"{alias}:0", dtype
    return {"serving_default": signature}


def _filled(doc, **inputs):
    request = apis.PredictRequest()
    fmt = json_tensor.fill_predict_request(doc, _signatures(**inputs), request)
    return fmt, {k: tf.make_ndarray(v) for k, v in request.inputs.items()}


def test_row_format_stacks_instances_per_input():
    rows = [{"a": [1, 2], "b": {"b64": "aGk="}}, {"a": [3, 4], "b": {"b64": "eW8="}}]
    fmt, arrays = _filled({"instances": rows}, a=1, b=7)
    assert fmt == "row"
    np.testing.assert_array_equal(arrays["a"], np.array([[1, 2], [3, 4]], np.float32))
    assert list(arrays["b"]) == [b"hi", b"yo"]


def test_columnar_format_one_bare_input():
    fmt, arrays = _filled({"inputs": [[1, 2]]}, a=9)  # int64
    assert fmt == "columnar" and arrays["a"].dtype == np.int64


@pytest.mark.parametrize("body, message", [
    (b"", "JSON Parse error: The document is empty"),
    (b"[1]", "JSON Value not an object"),
    (b'{"a": }', "JSON Parse error: Expecting value. at offset: 6"),
])  # fmt: skip
def test_parse_errors(body, message):
    with pytest.raises(status.ServingError) as info:
        json_tensor.parse(body)
    assert info.value.message == message and info.value.http_status == 400


def test_both_formats_at_once_is_refused():
    with pytest.raises(status.ServingError, match="only one of 'inputs' or 'instances'"):
        _filled({"inputs": [1], "instances": [1]}, a=1)


def test_response_formats_and_bytes_outputs():
    response = apis.PredictResponse()
    response.outputs["y"].CopyFrom(tf.make_tensor_proto(np.array([[0.1], [0.2]], np.float32)))
    response.outputs["name_bytes"].CopyFrom(tf.make_tensor_proto(np.array([b"\xff", b"a"])))
    assert json_tensor.predict_response(response, "row") == {"predictions": [
        {"name_bytes": {"b64": base64.b64encode(b"\xff").decode()}, "y": [0.1]},
        {"name_bytes": {"b64": "YQ=="}, "y": [0.2]},
    ]}  # fmt: skip
    del response.outputs["name_bytes"]
    assert json_tensor.predict_response(response, "columnar") == {"outputs": [[0.1], [0.2]]}


def test_examples_from_json_features():
    request = apis.ClassificationRequest()
    json_tensor.fill_examples_input(
        {"context": {"c": "x"}, "examples": [{"f": 1.5, "i": [1, 2], "s": {"b64": "aGk="}}]},
        request.input,
    )
    [example] = request.input.example_list_with_context.examples
    features = example.features.feature
    assert list(features["f"].float_list.value) == [1.5]
    assert list(features["i"].int64_list.value) == [1, 2]
    assert list(features["s"].bytes_list.value) == [b"hi"]
    assert (
        request.input.example_list_with_context.context.features.feature["c"].bytes_list.value[0]
        == b"x"
    )
