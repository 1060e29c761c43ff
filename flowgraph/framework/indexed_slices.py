"""IndexedSlices: a sparse set of rows of a dense tensor (gradients of gathers)."""

from __future__ import annotations

import collections

# What fetching IndexedSlices returns, as in TF1.
IndexedSlicesValue = collections.namedtuple(
    "IndexedSlicesValue", ["values", "indices", "dense_shape"]
)


class IndexedSlices:
    """Rows `values[i]` of a dense tensor of shape `dense_shape` at rows `indices[i]`.

    Gradients of `tf.gather` and `embedding_lookup` come as IndexedSlices, so an optimizer
    can update only the rows that were read. `tf.convert_to_tensor` densifies them (rows
    listed twice are summed).
    """

    def __init__(self, values, indices, dense_shape=None):
        self._values = values
        self._indices = indices
        self._dense_shape = dense_shape

    @property
    def values(self):
        return self._values

    @property
    def indices(self):
        return self._indices

    @property
    def dense_shape(self):
        return self._dense_shape

    @property
    def name(self) -> str:
        return self._values.name

    @property
    def dtype(self):
        return self._values.dtype

    @property
    def op(self):
        return self._values.op

    @property
    def graph(self):
        return self._values.graph

    @property
    def device(self) -> str:
        return self._values.device

    def __neg__(self) -> "IndexedSlices":
        return IndexedSlices(-self._values, self._indices, self._dense_shape)

    def __repr__(self) -> str:
        shape = f", dense_shape={self._dense_shape}" if self._dense_shape is not None else ""
        return f"IndexedSlices(indices={self._indices}, values={self._values}{shape})"
