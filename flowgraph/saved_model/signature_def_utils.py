"""`tf.saved_model.signature_def_utils`: SignatureDefs for TF Serving's three methods."""

from __future__ import annotations

from tensorboard.compat.proto import meta_graph_pb2, types_pb2

from flowgraph.framework.ops import Tensor
from flowgraph.saved_model import constants
from flowgraph.saved_model.utils import build_tensor_info


def build_signature_def(inputs=None, outputs=None, method_name=None, defaults=None):
    """Utility function to build a SignatureDef protocol buffer.

    Args:
      inputs: map of string to `TensorInfo` protos.
      outputs: map of string to `TensorInfo` protos.
      method_name: the method name of the signature (e.g. `PREDICT_METHOD_NAME`).
    """
    signature = meta_graph_pb2.SignatureDef()
    for key, info in (inputs or {}).items():
        signature.inputs[key].CopyFrom(info)
    for key, info in (outputs or {}).items():
        signature.outputs[key].CopyFrom(info)
    if method_name is not None:
        signature.method_name = method_name
    return signature


def predict_signature_def(inputs, outputs):
    """A prediction SignatureDef from dicts of name to tensor.

    Example:
      >>> sig = tf.saved_model.predict_signature_def({"x": x}, {"y": y})
    """
    if not inputs:
        raise ValueError("Prediction inputs cannot be None or empty.")
    if not outputs:
        raise ValueError("Prediction outputs cannot be None or empty.")
    return build_signature_def(
        {k: build_tensor_info(t) for k, t in inputs.items()},
        {k: build_tensor_info(t) for k, t in outputs.items()},
        constants.PREDICT_METHOD_NAME,
    )


def classification_signature_def(examples, classes, scores):
    """A classification SignatureDef: string `examples` in; string `classes` and/or float
    `scores` out."""
    if examples is None:
        raise ValueError("Classification examples cannot be None.")
    examples_info = _typed(examples, types_pb2.DT_STRING,
                           "Classification examples must be a string Tensor.")  # fmt: skip
    if classes is None and scores is None:
        raise ValueError("Classification classes and scores cannot both be None.")
    outputs = {}
    if classes is not None:
        outputs[constants.CLASSIFY_OUTPUT_CLASSES] = _typed(
            classes, types_pb2.DT_STRING, "Classification classes must be a string Tensor."
        )
    if scores is not None:
        outputs[constants.CLASSIFY_OUTPUT_SCORES] = _typed(
            scores, types_pb2.DT_FLOAT, "Classification scores must be a float Tensor."
        )
    inputs = {constants.CLASSIFY_INPUTS: examples_info}
    return build_signature_def(inputs, outputs, constants.CLASSIFY_METHOD_NAME)


def regression_signature_def(examples, predictions):
    """A regression SignatureDef: string `examples` in, float `predictions` out."""
    if examples is None:
        raise ValueError("Regression examples cannot be None.")
    examples_info = _typed(
        examples, types_pb2.DT_STRING, "Regression examples must be a string Tensor."
    )
    if predictions is None:
        raise ValueError("Regression predictions cannot be None.")
    predictions_info = _typed(
        predictions, types_pb2.DT_FLOAT, "Regression predictions must be a float Tensor."
    )
    return build_signature_def(
        {constants.REGRESS_INPUTS: examples_info},
        {constants.REGRESS_OUTPUTS: predictions_info},
        constants.REGRESS_METHOD_NAME,
    )


def is_valid_signature(signature_def):
    """Whether `signature_def` is a well-formed predict, classify or regress signature."""
    if signature_def is None:
        return False
    checks = {
        constants.PREDICT_METHOD_NAME: _valid_predict,
        constants.CLASSIFY_METHOD_NAME: _valid_classify,
        constants.REGRESS_METHOD_NAME: _valid_regress,
    }
    check = checks.get(signature_def.method_name)
    return bool(check and check(signature_def))


def _valid_predict(sig):
    return bool(sig.inputs) and bool(sig.outputs)


def _valid_classify(sig):
    if set(sig.inputs) != {constants.CLASSIFY_INPUTS} or not sig.outputs:
        return False
    if sig.inputs[constants.CLASSIFY_INPUTS].dtype != types_pb2.DT_STRING:
        return False
    wanted = {constants.CLASSIFY_OUTPUT_CLASSES: types_pb2.DT_STRING,
              constants.CLASSIFY_OUTPUT_SCORES: types_pb2.DT_FLOAT}  # fmt: skip
    return all(key in wanted and info.dtype == wanted[key] for key, info in sig.outputs.items())


def _valid_regress(sig):
    return (
        set(sig.inputs) == {constants.REGRESS_INPUTS}
        and set(sig.outputs) == {constants.REGRESS_OUTPUTS}
        and sig.inputs[constants.REGRESS_INPUTS].dtype == types_pb2.DT_STRING
        and sig.outputs[constants.REGRESS_OUTPUTS].dtype == types_pb2.DT_FLOAT
    )


def _typed(tensor, dtype, message):
    if not isinstance(tensor, Tensor):
        raise ValueError(message)
    info = build_tensor_info(tensor)
    if info.dtype != dtype:
        raise ValueError(message)
    return info
