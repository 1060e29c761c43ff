"""Predict, Classify, Regress, MultiInference and metadata on one servable (TF Serving's
`predict_util`, `classifier`, `regressor`, `multi_inference` and `get_model_metadata_impl`).
"""

from __future__ import annotations

import numpy as np
from tensorboard.compat.proto import types_pb2

from flowgraph.framework import dtypes
from flowgraph.framework.tensor_util import make_ndarray, make_tensor_proto
from flowgraph.saved_model import constants
from flowgraph.serving import apis, status

_METHOD_WORD = {constants.CLASSIFY_METHOD_NAME: "classification",
                constants.REGRESS_METHOD_NAME: "regression"}  # fmt: skip


def _type_name(dtype_enum):
    # TF's DataTypeString: DT_FLOAT → "float".
    return types_pb2.DataType.Name(dtype_enum)[3:].lower()


def fill_model_spec(spec, servable, signature_name):
    """Sets `spec` to the servable's name and version and `signature_name`."""
    spec.name = servable.name
    spec.version.value = servable.version
    spec.signature_name = signature_name


def predict(servable, request):
    """A `PredictResponse` for `request` (TF Serving's `RunPredict`)."""
    name = request.model_spec.signature_name or constants.DEFAULT_SERVING_SIGNATURE_DEF_KEY
    if name not in servable.signatures:
        raise status.failed_precondition(f'Serving signature key "{name}" not found.')
    signature = servable.signatures[name]
    _check_input_size(signature, request.inputs)
    feeds = {alias: _input_array(signature, i, alias, request.inputs[alias])
             for i, alias in enumerate(sorted(request.inputs))}  # fmt: skip
    aliases = _output_aliases(signature, request.output_filter)
    outputs = servable.run(name, feeds, aliases)
    response = apis.PredictResponse()
    fill_model_spec(response.model_spec, servable, name)
    for alias, value in outputs.items():
        response.outputs[alias].CopyFrom(_tensor_proto(value, signature.outputs[alias].dtype))
    return response


def _check_input_size(signature, inputs):
    sent, wanted = set(inputs), set(signature.inputs)
    if len(sent) > len(wanted) or (len(sent) < len(wanted) and not signature.defaults):
        raise status.invalid_argument(
            f"input size does not match signature: {len(sent)}!={len(wanted)} "
            f"len({{{','.join(sorted(sent))}}}) != len({{{','.join(sorted(wanted))}}}). "
            f"Sent extra: {{{','.join(sorted(sent - wanted))}}}. "
            f"Missing but required: {{{','.join(sorted(wanted - sent))}}}."
        )
    if sent - wanted:
        raise status.invalid_argument(
            f"input tensor alias not found in signature: {sorted(sent - wanted)[0]}. Inputs "
            f"expected to be in the set {{{','.join(sorted(wanted))}}}."
        )


def _input_array(signature, index, alias, proto):
    info = signature.inputs[alias]
    if proto.dtype != info.dtype:
        raise status.invalid_argument(
            f"Expects arg[{index}] to be {_type_name(info.dtype)} but "
            f"{_type_name(proto.dtype)} is provided (input '{alias}')"
        )
    try:
        array = make_ndarray(proto)
    except (ValueError, TypeError, KeyError):
        raise status.invalid_argument(f"tensor parsing error: {alias}") from None
    # No check of the shape against the signature's: TF Serving's C++ session feeds any
    # shape, and an op that cannot take it fails at run time (INVALID_ARGUMENT).
    return array


def _output_aliases(signature, output_filter):
    if not output_filter:
        return list(signature.outputs)
    for alias in output_filter:
        if alias not in signature.outputs:
            raise status.invalid_argument(
                f"output tensor alias not found in signature: {alias} Outputs expected to be "
                f"in the set {{{','.join(sorted(signature.outputs))}}}."
            )
    if len(set(output_filter)) != len(output_filter):
        duplicate = next(a for a in output_filter if list(output_filter).count(a) > 1)
        raise status.invalid_argument(f"duplicate output tensor alias: {duplicate}")
    return list(output_filter)


def _tensor_proto(value, dtype_enum):
    array = np.asarray(value)
    if dtype_enum != types_pb2.DT_STRING:
        array = array.astype(dtypes.as_dtype(dtype_enum).numpy_dtype, copy=False)
    return make_tensor_proto(array)


def classification_signature(servable, model_spec):
    """The (name, SignatureDef) a Classify request runs (TF's checks and messages)."""
    return _method_signature(servable, model_spec, constants.CLASSIFY_METHOD_NAME)


def regression_signature(servable, model_spec):
    """The (name, SignatureDef) a Regress request runs."""
    return _method_signature(servable, model_spec, constants.REGRESS_METHOD_NAME)


def _method_signature(servable, model_spec, method):
    name = model_spec.signature_name or constants.DEFAULT_SERVING_SIGNATURE_DEF_KEY
    if name not in servable.signatures:
        raise status.invalid_argument(f"No signature was found with the name: {name}")
    signature = servable.signatures[name]
    if signature.method_name != method:
        raise status.invalid_argument(
            f"Expected {_METHOD_WORD[method]} signature method_name to be {method}. "
            f"Was: {signature.method_name}"
        )
    return name, signature


def serialized_examples(input_):
    """The serialized Examples of an `Input`, each with the context's features merged in."""
    kind = input_.WhichOneof("kind")
    if kind == "example_list":
        examples = list(input_.example_list.examples)
    elif kind == "example_list_with_context":
        context = input_.example_list_with_context.context
        examples = []
        for example in input_.example_list_with_context.examples:
            merged = apis.Example()
            merged.CopyFrom(context)
            merged.MergeFrom(example)
            examples.append(merged)
    else:
        examples = []
    if not examples:
        raise status.invalid_argument("Input is empty.")
    return np.array([e.SerializeToString() for e in examples], dtype=object)


def classify(servable, request):
    """A `ClassificationResponse` for `request`."""
    name, signature = classification_signature(servable, request.model_spec)
    response = apis.ClassificationResponse()
    response.result.CopyFrom(_classification(servable, name, signature, request.input))
    fill_model_spec(response.model_spec, servable, name)
    return response


def _classification(servable, name, signature, input_):
    examples = serialized_examples(input_)
    aliases = [a for a in (constants.CLASSIFY_OUTPUT_CLASSES, constants.CLASSIFY_OUTPUT_SCORES)
               if a in signature.outputs]  # fmt: skip
    outputs = servable.run(name, {constants.CLASSIFY_INPUTS: examples}, aliases)
    classes = outputs.get(constants.CLASSIFY_OUTPUT_CLASSES)
    scores = outputs.get(constants.CLASSIFY_OUTPUT_SCORES)
    shape = np.shape(classes if classes is not None else scores)
    if len(shape) != 2 or shape[0] != len(examples):
        raise status.invalid_argument(
            f"Expected Tensor shape: [{len(examples)} num_classes] but got {list(shape)}"
        )
    result = apis.ClassificationResult()
    for row in range(shape[0]):
        classifications = result.classifications.add()
        for k in range(shape[1]):
            entry = classifications.classes.add()
            if classes is not None:
                label = classes[row, k]
                entry.label = label.decode() if isinstance(label, bytes) else str(label)
            if scores is not None:
                entry.score = float(scores[row, k])
    return result


def regress(servable, request):
    """A `RegressionResponse` for `request`."""
    name, signature = regression_signature(servable, request.model_spec)
    response = apis.RegressionResponse()
    response.result.CopyFrom(_regression(servable, name, request.input))
    fill_model_spec(response.model_spec, servable, name)
    return response


def _regression(servable, name, input_):
    examples = serialized_examples(input_)
    outputs = servable.run(name, {constants.REGRESS_INPUTS: examples},
                           [constants.REGRESS_OUTPUTS])  # fmt: skip
    values = np.asarray(outputs[constants.REGRESS_OUTPUTS])
    if values.shape not in ((len(examples),), (len(examples), 1)):
        raise status.invalid_argument(
            f"Expected output Tensor shape to be either [batch_size] or [batch_size, 1] but "
            f"got {list(values.shape)}"
        )
    result = apis.RegressionResult()
    for value in values.reshape(-1):
        result.regressions.add(value=float(value))
    return result


def multi_inference(servable, request):
    """A `MultiInferenceResponse`: every task's classification or regression of one input."""
    response = apis.MultiInferenceResponse()
    seen = set()
    for task in request.tasks:
        if task.model_spec.name != servable.name:
            raise status.invalid_argument(
                "All ModelSpecs in a MultiInferenceRequest must access the same model name."
            )
        signature_name = (task.model_spec.signature_name
                          or constants.DEFAULT_SERVING_SIGNATURE_DEF_KEY)  # fmt: skip
        if signature_name in seen:
            raise status.invalid_argument(f"Duplicate evaluation of signature: {signature_name}")
        seen.add(signature_name)
        response.results.add().CopyFrom(_task_result(servable, task, request.input))
    return response


def _task_result(servable, task, input_):
    result = apis.InferenceResult()
    if task.method_name == constants.CLASSIFY_METHOD_NAME:
        name, signature = classification_signature(servable, task.model_spec)
        result.classification_result.CopyFrom(_classification(servable, name, signature, input_))
    elif task.method_name == constants.REGRESS_METHOD_NAME:
        name, _ = regression_signature(servable, task.model_spec)
        result.regression_result.CopyFrom(_regression(servable, name, input_))
    else:
        raise status.invalid_argument(f"Unrecognized signature method_name: {task.method_name}")
    fill_model_spec(result.model_spec, servable, name)
    return result


def metadata(servable, request):
    """A `GetModelMetadataResponse`: the signatures, packed as TF Serving's `SignatureDefMap`."""
    if not request.metadata_field:
        raise status.invalid_argument(
            "GetModelMetadataRequest must specify at least one metadata_field"
        )
    for field in request.metadata_field:
        if field != "signature_def":
            raise status.invalid_argument(f"Metadata field {field} is not supported")
    signature_map = apis.SignatureDefMap()
    for key, signature in servable.signatures.items():
        signature_map.signature_def[key].CopyFrom(signature)
    response = apis.GetModelMetadataResponse()
    response.model_spec.name = servable.name
    response.model_spec.version.value = servable.version
    packed = response.metadata["signature_def"]
    packed.type_url = apis.SIGNATURE_DEF_MAP_TYPE_URL
    packed.value = signature_map.SerializeToString()
    return response
