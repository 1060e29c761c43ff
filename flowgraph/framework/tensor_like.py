"""`tf.types.experimental`: type annotations for values that convert to tensors."""

from __future__ import annotations

import inspect
from typing import Union

import numpy as np

from flowgraph.framework.indexed_slices import IndexedSlices
from flowgraph.framework.ops import Tensor
from flowgraph.framework.sparse_tensor import SparseTensor

# What `convert_to_tensor` (and so every op's input) accepts, for type annotations.
TensorLike = Union[
    Tensor,
    IndexedSlices,
    SparseTensor,
    int,
    float,
    bool,
    str,
    bytes,
    complex,
    tuple,
    list,
    np.ndarray,
    np.generic,
]


class FunctionType(inspect.Signature):
    """The type of a function's inputs and outputs: an `inspect.Signature` whose
    parameters may be annotated with `TensorLike` or `tf.TensorSpec` values."""

    @classmethod
    def from_callable(cls, obj, *, follow_wrapped=True):
        """The `FunctionType` of a Python callable."""
        return super().from_callable(obj, follow_wrapped=follow_wrapped)
