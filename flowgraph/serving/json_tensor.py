"""TF Serving's REST JSON: requests to protos, responses to JSON (`util/json_tensor.cc`).

Predict takes `instances` (row format, one entry per example) or `inputs` (columnar) and
answers `predictions` or `outputs` in the same format; strings travel as `{"b64": …}`
when they are bytes (outputs whose alias ends in `_bytes`). Classify and Regress take
`examples` (and an optional `context`) as JSON objects of features.
"""

from __future__ import annotations

import base64
import binascii
import json

import numpy as np
from tensorboard.compat.proto import types_pb2

from flowgraph.framework import dtypes
from flowgraph.framework.tensor_util import make_ndarray, make_tensor_proto
from flowgraph.serving import status


def parse(body):
    """The JSON object in `body` (bytes), or INVALID_ARGUMENT naming the parse error."""
    if not body.strip():
        raise status.invalid_argument("JSON Parse error: The document is empty")
    try:
        doc = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        where = f" at offset: {e.pos}" if isinstance(e, json.JSONDecodeError) else ""
        raise status.invalid_argument(f"JSON Parse error: {getattr(e, 'msg', e)}.{where}") from None
    if not isinstance(doc, dict):
        raise status.invalid_argument("JSON Value not an object")
    return doc


def fill_predict_request(doc, signatures, request):
    """Fills `request.inputs` from a parsed JSON body; returns "row" or "columnar".

    Args:
      doc: the request's JSON object.
      signatures: the servable's SignatureDefs (for the inputs' names and dtypes).
      request: the `PredictRequest` (its model_spec already set).
    """
    if "instances" in doc and "inputs" in doc:
        raise status.invalid_argument(
            "Not formatted correctly expecting only one of 'inputs' or 'instances' keys exists"
        )
    if "instances" not in doc and "inputs" not in doc:
        raise status.invalid_argument("Missing 'inputs' or 'instances' key")
    name = doc.get("signature_name", "") or "serving_default"
    if name not in signatures:
        raise status.failed_precondition(f'Serving signature key "{name}" not found.')
    request.model_spec.signature_name = doc.get("signature_name", "")
    infos = signatures[name].inputs
    if "instances" in doc:
        values = _columns_of_rows(doc["instances"], infos)
    else:
        values = _named(doc["inputs"], infos)
    for alias, value in values.items():
        if alias not in infos:
            raise status.invalid_argument(
                f"input tensor alias not found in signature: {alias}. Inputs expected to be "
                f"in the set {{{','.join(sorted(infos))}}}."
            )
        request.inputs[alias].CopyFrom(_tensor(alias, value, infos[alias]))
    return "row" if "instances" in doc else "columnar"


def _is_b64(value):
    return isinstance(value, dict) and set(value) == {"b64"}


def _named(value, infos):
    # One input may be given bare; several as an object keyed by input name.
    if isinstance(value, dict) and not _is_b64(value):
        return value
    if len(infos) != 1:
        raise status.invalid_argument(
            f"Expected an object with the inputs {sorted(infos)}, one per named input"
        )
    return {next(iter(infos)): value}


def _columns_of_rows(instances, infos):
    if not isinstance(instances, list) or not instances:
        raise status.invalid_argument("'instances' must be a non-empty JSON list")
    rows = [_named(row, infos) for row in instances]
    keys = set(rows[0])
    for i, row in enumerate(rows):
        if set(row) != keys:
            raise status.invalid_argument(
                f"Failed to process element: {i} of 'instances' list. JSON object: "
                f"{json.dumps(row)} keys {sorted(row)} do not match {sorted(keys)}"
            )
    return {alias: [row[alias] for row in rows] for alias in keys}


def _tensor(alias, value, info):
    try:
        if info.dtype == types_pb2.DT_STRING:
            array = np.asarray(_bytes_of(value), dtype=object)
            if array.dtype != object or any(not isinstance(v, bytes) for v in array.flat):
                raise ValueError("expected strings")
        else:
            array = np.asarray(value, dtype=dtypes.as_dtype(info.dtype).numpy_dtype)
    except (ValueError, TypeError, binascii.Error) as e:
        raise status.invalid_argument(
            f"Failed to convert the JSON value of input '{alias}' to "
            f"{types_pb2.DataType.Name(info.dtype)}: {e}"
        ) from None
    return make_tensor_proto(array)


def _bytes_of(value):
    if _is_b64(value):
        return base64.b64decode(value["b64"], validate=True)
    if isinstance(value, list):
        return [_bytes_of(v) for v in value]
    if isinstance(value, str):
        return value.encode()
    return value


def predict_response(response, fmt):
    """The JSON object of a `PredictResponse` in the request's format."""
    outputs = {alias: _plain(alias, make_ndarray(proto))
               for alias, proto in sorted(response.outputs.items())}  # fmt: skip
    if fmt == "columnar":
        return {"outputs": next(iter(outputs.values())) if len(outputs) == 1 else outputs}
    if len(outputs) == 1:
        return {"predictions": next(iter(outputs.values()))}
    sizes = {alias: len(v) if isinstance(v, list) else None for alias, v in outputs.items()}
    batch = next(iter(sizes.values()))
    for alias, size in sizes.items():
        if size is None or size != batch:
            raise status.invalid_argument(
                f"Tensor name: {alias} has inconsistent batch size: {size} expecting: {batch}"
            )
    return {"predictions": [{a: v[i] for a, v in outputs.items()} for i in range(batch)]}


def _plain(alias, array):
    """A JSON-ready nested list: float32 as its shortest decimal, strings as text or b64."""
    if array.dtype == np.float32:
        flat = [float(str(v)) for v in array.reshape(-1)]
    elif array.dtype == object:
        flat = [_string(alias, v) for v in array.reshape(-1)]
    else:
        return array.tolist()
    out = np.empty(array.size, dtype=object)  # filled, not converted: dicts stay dicts
    out[:] = flat
    return out.reshape(array.shape).tolist()


def _string(alias, value):
    if alias.endswith("_bytes"):
        return {"b64": base64.b64encode(value).decode()}
    return value.decode("utf-8", errors="replace")


def fill_examples_input(doc, input_):
    """Fills an `Input` from a Classify/Regress JSON body's `examples` (and `context`)."""
    examples = doc.get("examples")
    if not isinstance(examples, list) or not examples:
        raise status.invalid_argument("'examples' must be a non-empty JSON list of objects")
    if "context" in doc:
        target = input_.example_list_with_context
        _fill_example(doc["context"], target.context)
    else:
        target = input_.example_list
    for example in examples:
        _fill_example(example, target.examples.add())


def _fill_example(features, example):
    if not isinstance(features, dict):
        raise status.invalid_argument("An example must be a JSON object of features")
    for name, value in features.items():
        values = value if isinstance(value, list) else [value]
        feature = example.features.feature[name]
        if all(isinstance(v, str) or _is_b64(v) for v in values):
            feature.bytes_list.value.extend(_bytes_of(values))
        elif all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            feature.int64_list.value.extend(values)
        elif all(isinstance(v, (int, float)) for v in values):
            feature.float_list.value.extend(values)
        else:
            raise status.invalid_argument(f"Feature '{name}' has values of mixed or bad types")


def classification_response(result):
    """`{"result": [[[label, score], …], …]}` of a `ClassificationResult`."""
    return {"result": [[[c.label, float(str(np.float32(c.score)))] for c in row.classes]
                       for row in result.classifications]}  # fmt: skip


def regression_response(result):
    """`{"result": [value, …]}` of a `RegressionResult`."""
    return {"result": [float(str(np.float32(r.value))) for r in result.regressions]}
