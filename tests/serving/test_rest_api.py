"""The REST API (`/v1/models/…`) against a `flowgraph serve` subprocess."""

import base64

import numpy as np
import pytest

from tests.serving.server_process import mlp_outputs

X = np.array([[1.0, -2.0, 0.5, 0.0], [0.1, 0.2, 0.3, 0.4]], np.float32)


def test_predict_row_format(server):
    code, doc = server.rest("/v1/models/mlp:predict", {"instances": X.tolist()})
    assert code == 200
    y = mlp_outputs(X, 1.0)
    np.testing.assert_allclose([p["y"] for p in doc["predictions"]], y, rtol=1e-5, atol=1e-6)
    labels = [base64.b64decode(p["label_bytes"]["b64"]) for p in doc["predictions"]]
    assert labels == [b"first" if a > b else b"second" for a, b in y]


def test_predict_columnar_format_with_version_and_signature_name(server):
    body = {"signature_name": "serving_default", "inputs": {"x": X.tolist()}}
    code, doc = server.rest("/v1/models/mlp/versions/1:predict", body)
    assert code == 200
    np.testing.assert_allclose(doc["outputs"]["y"], mlp_outputs(X, 1.0), rtol=1e-5, atol=1e-6)
    assert len(doc["outputs"]["label_bytes"]) == 2


def test_classify_and_regress(server):
    body = {"signature_name": "classify", "examples": [{"x": row} for row in X.tolist()]}
    code, doc = server.rest("/v1/models/mlp:classify", body)
    assert code == 200
    logits = mlp_outputs(X, 1.0)
    softmax = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    assert [[c[0] for c in row] for row in doc["result"]] == [["first", "second"]] * 2
    np.testing.assert_allclose([[c[1] for c in row] for row in doc["result"]], softmax, rtol=1e-5)
    body = {"signature_name": "regress", "context": {"x": X[1].tolist()}, "examples": [{}]}
    code, doc = server.rest("/v1/models/mlp:regress", body)
    assert code == 200
    np.testing.assert_allclose(doc["result"], [logits[1].sum()], rtol=1e-5)


def test_status_and_metadata(server):
    assert server.rest("/v1/models/mlp") == (200, {"model_version_status": [
        {"version": "1", "state": "AVAILABLE", "status": {"error_code": "OK",
                                                          "error_message": ""}}]})  # fmt: skip
    code, doc = server.rest("/v1/models/mlp/versions/1/metadata")
    assert code == 200
    assert doc["model_spec"] == {"name": "mlp", "version": "1", "signature_name": ""}
    signature = doc["metadata"]["signature_def"]["signature_def"]["serving_default"]
    assert signature["method_name"] == "tensorflow/serving/predict"
    assert signature["inputs"]["x"]["dtype"] == "DT_FLOAT"


@pytest.mark.parametrize("path, body, code, error", [
    ("/v1/models/nope:predict", {"instances": [[0, 0, 0, 0]]}, 404,
     "Servable not found for request: Latest(nope)"),
    ("/v1/models/mlp/versions/3:predict", {"instances": [[0, 0, 0, 0]]}, 404,
     "Servable not found for request: Specific(mlp, 3)"),
    ("/v1/models/mlp/labels/stable:predict", {"instances": [[0, 0, 0, 0]]}, 400,
     "Unrecognized servable version label: stable"),
    ("/v1/models/mlp:predict", {"signature_name": "x", "instances": [[0, 0, 0, 0]]}, 400,
     'Serving signature key "x" not found.'),
    ("/v1/models/mlp:predict", b"{not json", 400,
     "JSON Parse error: Expecting property name enclosed in double quotes. at offset: 1"),
    ("/v1/models/mlp:predict", {"instance": []}, 400, "Missing 'inputs' or 'instances' key"),
    ("/v1/models/mlp:predict", {"instances": [["a", 0, 0, 0]]}, 400,
     "Failed to convert the JSON value of input 'x' to DT_FLOAT: could not convert string to "
     "float: 'a'"),
    # TF Serving's C++ session feeds any shape: the op that cannot take it fails, in TF's words.
    ("/v1/models/mlp:predict", {"instances": [[0, 0, 0]]}, 400,
     "Matrix size-incompatible: In[0]: [1,3], In[1]: [4,2]\n\t [[{{node MatMul}}]]"),
    ("/v1/models/mlp:predict", {"inputs": {"x": [[0, 0, 0, 0]], "z": 1}}, 400,
     "input tensor alias not found in signature: z. Inputs expected to be in the set {x}."),
    ("/v1/models/mlp:explode", {}, 400, "Malformed request: POST /v1/models/mlp:explode"),
])  # fmt: skip
def test_errors_have_tf_servings_http_codes_and_messages(server, path, body, code, error):
    assert server.rest(path, body) == (code, {"error": error})
    assert server.rest("/v1/models/mlp")[0] == 200  # still serving


def test_b64_strings_feed_a_string_input(server):
    # The regress signature's input is serialized Examples: bytes sent as {"b64": …}.
    from flowgraph.serving import apis

    example = apis.Example()
    example.features.feature["x"].float_list.value.extend(X[0])
    encoded = base64.b64encode(example.SerializeToString()).decode()
    body = {"signature_name": "regress", "instances": [{"b64": encoded}]}
    code, doc = server.rest("/v1/models/mlp:predict", body)
    assert code == 200
    np.testing.assert_allclose(doc["predictions"], [mlp_outputs(X[:1], 1.0).sum()], rtol=1e-5)
