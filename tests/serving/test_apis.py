"""TF Serving's messages as built here: the bytes on the wire and the method paths are
those of the `tensorflow-serving-api` stubs."""

import json
import pathlib

import numpy as np
import pytest
from google.protobuf import text_format

import flowgraph as tf
from flowgraph.serving import apis


def test_predict_request_bytes_are_tf_servings():
    # PredictRequest{model_spec{name:"m" version{value:2} signature_name:"s"}
    #                inputs{"x": TensorProto{dtype: DT_FLOAT}} output_filter:"y"}, by hand
    # from predict.proto (1 model_spec, 2 inputs, 3 output_filter) and model.proto
    # (1 name, 2 version, 3 signature_name).
    request = apis.PredictRequest(output_filter=["y"])
    request.model_spec.name, request.model_spec.signature_name = "m", "s"
    request.model_spec.version.value = 2
    request.inputs["x"].dtype = 1
    spec = b"\x0a\x01m" + b"\x12\x02\x08\x02" + b"\x1a\x01s"
    entry = b"\x0a\x01x" + b"\x12\x02\x08\x01"
    expected = b"\x0a" + bytes([len(spec)]) + spec + b"\x12" + bytes([len(entry)]) + entry
    assert request.SerializeToString(deterministic=True) == expected + b"\x1a\x01y"


def test_field_numbers_of_tf_servings_protos():
    numbers = [
        (apis.PredictResponse, "model_spec", 2), (apis.PredictResponse, "outputs", 1),
        (apis.ModelSpec, "version_label", 4), (apis.ClassificationResponse, "result", 1),
        (apis.ClassificationResponse, "model_spec", 2), (apis.Input, "example_list", 1),
        (apis.Input, "example_list_with_context", 2),
        (apis.InferenceResult, "regression_result", 3),
        (apis.GetModelMetadataResponse, "metadata", 2), (apis.ModelVersionStatus, "status", 3),
        (apis.PredictionLog, "predict_log", 6), (apis.PredictionLog, "multi_inference_log", 4),
        (apis.ServableVersionPolicy, "specific", 102), (apis.ModelConfig, "version_labels", 8),
        (apis.ModelConfig, "model_version_policy", 7),
        (apis.BatchingParameters, "allowed_batch_sizes", 6),
    ]  # fmt: skip
    for message, field, number in numbers:
        assert message.DESCRIPTOR.fields_by_name[field].number == number, (message, field)
    assert apis.ModelVersionStatus.State.Value("AVAILABLE") == 30
    assert apis.FloatList.DESCRIPTOR.fields_by_name["value"].is_packed


def test_examples_round_trip_with_tensorflows_example_bytes():
    example = tf.train.Example()
    example.features.feature["x"].float_list.value.extend([1.0, 2.0])
    ours = apis.Example.FromString(example.SerializeToString())
    assert list(ours.features.feature["x"].float_list.value) == [1.0, 2.0]
    assert ours.SerializeToString() == example.SerializeToString()


def test_stubs_call_tf_servings_method_paths():
    paths = []

    class Channel:
        def unary_unary(self, path, request_serializer, response_deserializer):
            paths.append(path)
            return lambda request: response_deserializer(request_serializer(request))

    apis.PredictionServiceStub(Channel())
    stub = apis.ModelServiceStub(Channel())
    assert paths == [
        "/tensorflow.serving.PredictionService/Classify",
        "/tensorflow.serving.PredictionService/Regress",
        "/tensorflow.serving.PredictionService/Predict",
        "/tensorflow.serving.PredictionService/MultiInference",
        "/tensorflow.serving.PredictionService/GetModelMetadata",
        "/tensorflow.serving.ModelService/GetModelStatus",
        "/tensorflow.serving.ModelService/HandleReloadConfigRequest",
    ]
    request = apis.GetModelStatusRequest()
    request.model_spec.name = "m"
    assert stub.GetModelStatus(request).SerializeToString() == request.SerializeToString()


def test_tensors_are_tf_make_tensor_protos():
    request = apis.PredictRequest()
    request.inputs["x"].CopyFrom(tf.make_tensor_proto(np.eye(2, dtype=np.float32)))
    np.testing.assert_array_equal(tf.make_ndarray(request.inputs["x"]), np.eye(2))


FIXTURE = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "tf_serving_messages.json"


@pytest.mark.parametrize("record", json.loads(FIXTURE.read_text()), ids=lambda r: r["type"])
def test_messages_written_by_tensorflow_serving_api_read_and_write_back_the_same(record):
    # tests/fixtures/make_tf_serving_messages.py built them with TF Serving's own classes.
    data = bytes.fromhex(record["hex"])
    message = apis.message_class(record["type"]).FromString(data)
    assert message.SerializeToString(deterministic=True) == data
    if record["type"] != "GetModelMetadataResponse":  # TF's text expands the Any by type
        assert text_format.MessageToString(message) == record["text"]
    else:
        packed = message.metadata["signature_def"]
        assert packed.type_url == apis.SIGNATURE_DEF_MAP_TYPE_URL
        signature = apis.SignatureDefMap.FromString(packed.value).signature_def["serving_default"]
        assert signature.inputs["x"].name == "x:0"
