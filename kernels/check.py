"""Numerics and assertion kernels: CheckNumerics and Assert, host ops that raise at run time."""

from __future__ import annotations

import numpy as np

from kernels.errors import InvalidArgumentError
from kernels.logging import summarize_value
from kernels.registry import HOST, SIDE_EFFECTS, register
from kernels.shapes import same_as_first


# A host kernel: a failed check must raise from Python, so a graph without checks keeps its
# single compiled segment while a checked tensor leaves it for one host step.
@register("CheckNumerics", kind=HOST, shape=same_as_first)
def check_numerics(tensor, *, message: str):
    tensor = np.asarray(tensor)
    if np.issubdtype(tensor.dtype, np.floating) or tensor.dtype.name == "bfloat16":
        values = tensor.astype(np.float32) if tensor.dtype.name == "bfloat16" else tensor
        nan, inf = bool(np.isnan(values).any()), bool(np.isinf(values).any())
        if nan or inf:
            what = "Inf and NaN" if nan and inf else ("NaN" if nan else "Inf")
            raise InvalidArgumentError(None, None, f"{message} : Tensor had {what} values")
    return tensor


@register("Assert", kind=HOST, effects=SIDE_EFFECTS, shape=lambda specs, attrs, static_values: [])
def assert_(condition, *data, summarize: int = 3) -> tuple:
    condition = np.asarray(condition)
    if condition.ndim != 0:
        raise InvalidArgumentError(
            None, None, f"In[0] is not a scalar: {_shape_string(condition.shape)}"
        )
    if not bool(condition):
        parts = ["[" + summarize_value(np.asarray(d), summarize) + "]" for d in data]
        raise InvalidArgumentError(None, None, "assertion failed: " + " ".join(parts))
    return ()


def _shape_string(shape) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"
