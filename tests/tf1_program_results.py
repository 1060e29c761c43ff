"""Runs a program of `tests/tf1_programs.py` with a `tf` module and gives its results as
plain JSON values (arrays as `{"array": ..., "dtype": ...}`, an error as `{"error":
[class, message]}`), the same way for TensorFlow and for flowgraph."""

from __future__ import annotations

import numpy as np


def results(tf, program) -> object:
    """`program(tf)` in a new graph, as JSON values."""
    try:
        with tf.Graph().as_default():
            return plain(program(tf))
    except Exception as e:  # noqa: BLE001  (the class is part of the answer)
        return {"error": [type(e).__name__, getattr(e, "message", None) or str(e)]}


def plain(value) -> object:
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, bytes):
        return {"bytes": value.decode("latin-1")}
    if isinstance(value, (np.ndarray, np.generic)):
        array = np.asarray(value)
        if array.dtype == object or array.dtype.kind == "S":
            items = [plain(v) for v in array.reshape(-1).tolist()]
            return {"strings": items, "shape": list(array.shape)}
        data = array.astype(np.float64) if array.dtype.kind == "f" else array
        return {"array": data.tolist(), "dtype": array.dtype.name, "shape": list(array.shape)}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return {"repr": type(value).__name__}
