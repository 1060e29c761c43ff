"""SparseTensor: a sparse value as three dense tensors (indices, values, dense_shape)."""

from __future__ import annotations

import collections

import numpy as np

from flowgraph.framework import dtypes, tensor_shape
from flowgraph.framework.ops import constant_value


class SparseTensorValue(
    collections.namedtuple("SparseTensorValue", ["indices", "values", "dense_shape"])
):
    """A fetched (or fed) sparse value: numpy `indices`, `values` and `dense_shape`."""


class SparseTensor:
    """A sparse tensor: `values[i]` sits at `indices[i]` in a tensor of shape `dense_shape`.

    Example:
      >>> st = tf.SparseTensor(indices=[[0, 0], [1, 2]], values=[1.0, 2.0], dense_shape=[3, 4])
      >>> tf.sparse.to_dense(st)
    """

    @classmethod
    def from_value(cls, value) -> "SparseTensor":
        if isinstance(value, SparseTensor):
            return value
        return cls(value.indices, value.values, value.dense_shape)

    def __init__(self, indices, values, dense_shape):
        from flowgraph.framework.scopes import name_scope
        from flowgraph.ops.constant_op import convert_to_tensor

        with name_scope(None, "SparseTensor", [indices, values, dense_shape]):
            self._indices = convert_to_tensor(indices, name="indices", dtype=dtypes.int64)
            self._values = convert_to_tensor(values, name="values")
            self._dense_shape = convert_to_tensor(
                dense_shape, name="dense_shape", dtype=dtypes.int64
            )
        self._indices.shape.with_rank(2)
        self._values.shape.with_rank(1)
        self._dense_shape.shape.with_rank(1)
        self._indices.shape[0].merge_with(self._values.shape[0])
        self._indices.shape[1].merge_with(self._dense_shape.shape[0])

    indices = property(lambda self: self._indices, doc="The [N, rank] int64 indices.")
    values = property(lambda self: self._values, doc="The [N] values.")
    dense_shape = property(lambda self: self._dense_shape, doc="The [rank] int64 shape.")
    op = property(lambda self: self._values.op, doc="The op that produces `values`.")
    dtype = property(lambda self: self._values.dtype, doc="The dtype of the values.")
    graph = property(lambda self: self._indices.graph, doc="The graph of this tensor.")

    @property
    def shape(self) -> tensor_shape.TensorShape:
        """The static dense shape (known where `dense_shape`'s entries are: a constant, or a
        `stack` of some constants, as TF's `constant_value_as_shape` reads it)."""
        value = constant_value(self._dense_shape)
        if value is not None:
            return tensor_shape.TensorShape([int(d) for d in np.asarray(value)])
        from flowgraph.framework.tensor_util import constant_value_as_shape

        rank = self._dense_shape.shape[0]
        rank = getattr(rank, "value", rank)
        known = constant_value_as_shape(self._dense_shape)
        if known.ndims is not None and (rank is None or known.ndims == rank):
            return known
        return tensor_shape.unknown_shape(rank=rank)

    def get_shape(self) -> tensor_shape.TensorShape:
        return self.shape

    def eval(self, feed_dict=None, session=None) -> SparseTensorValue:
        """This sparse tensor's value in `session` (default: the default session)."""
        from flowgraph.client.session import get_default_session

        session = session or get_default_session()
        if session is None:
            raise ValueError("Cannot evaluate tensor using `eval()`: No default session")
        return session.run(self, feed_dict)

    def __repr__(self) -> str:
        return (
            f"SparseTensor(indices={self._indices}, values={self._values}, "
            f"dense_shape={self._dense_shape})"
        )


def is_sparse(x) -> bool:
    return isinstance(x, (SparseTensor, SparseTensorValue))
