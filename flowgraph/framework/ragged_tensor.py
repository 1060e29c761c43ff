"""RaggedTensor: rows of varying length, as flat values partitioned by row_splits tensors."""

from __future__ import annotations

import numpy as np

from flowgraph.framework import dtypes, tensor_shape
from flowgraph.framework.ops import Tensor, constant_value
from flowgraph.framework.scopes import control_dependencies, name_scope
from flowgraph.ops import array_ops, check_ops, math_ops
from flowgraph.ops.constant_op import convert_to_tensor


class RaggedTensorValue:
    """A fetched ragged value: numpy `values` (or a nested RaggedTensorValue) split into rows
    by the numpy vector `row_splits` (row i is `values[row_splits[i]:row_splits[i + 1]]`)."""

    def __init__(self, values, row_splits):
        self._values, self._row_splits = values, np.asarray(row_splits)

    values = property(lambda self: self._values, doc="The values, ragged or numpy.")
    row_splits = property(lambda self: self._row_splits, doc="The row boundaries.")

    @property
    def flat_values(self) -> np.ndarray:
        """The innermost numpy values."""
        return self._values.flat_values if is_ragged(self._values) else self._values

    @property
    def nested_row_splits(self) -> tuple:
        inner = self._values.nested_row_splits if is_ragged(self._values) else ()
        return (self._row_splits, *inner)

    ragged_rank = property(lambda self: len(self.nested_row_splits), doc="The ragged dims.")
    dtype = property(lambda self: self.flat_values.dtype, doc="The values' numpy dtype.")

    @property
    def shape(self) -> tuple:
        """The shape, with None for the ragged dims."""
        inner = self._values.shape if is_ragged(self._values) else np.shape(self._values)
        return (len(self._row_splits) - 1, None, *inner[1:])

    def to_list(self) -> list:
        """The value as nested Python lists."""
        values = self._values.to_list() if is_ragged(self._values) else self._values.tolist()
        splits = self._row_splits.tolist()
        return [values[start:limit] for start, limit in zip(splits[:-1], splits[1:])]

    def __repr__(self) -> str:
        return f"<tf.RaggedTensorValue {self.to_list()}>"


class RaggedTensor:
    """A tensor whose dimension 1 (and, nested, further ones) has rows of varying length.

    Row `i` is `values[row_splits[i]:row_splits[i + 1]]`; `values` is a Tensor or another
    RaggedTensor. Build one with the `from_*` factories or `tf.ragged.constant`.

    Example:
      >>> rt = tf.RaggedTensor.from_row_splits([3, 1, 4, 1, 5], row_splits=[0, 2, 2, 5])
      >>> sess.run(rt).to_list()   # [[3, 1], [], [4, 1, 5]]
    """

    def __init__(self, values, row_splits, internal=False):
        if not internal:
            raise ValueError(
                "RaggedTensor constructor is private; please use one of the factory methods "
                "instead (e.g., RaggedTensor.from_row_lengths())"
            )
        self._values, self._row_splits = values, row_splits

    # -- factories ---------------------------------------------------------------------------

    @classmethod
    def from_row_splits(cls, values, row_splits, name=None, validate=True) -> "RaggedTensor":
        """Row i is `values[row_splits[i]:row_splits[i + 1]]`; `row_splits` starts at 0,
        never decreases and ends at `nvals` (checked when `validate`)."""
        with name_scope(name, "RaggedFromRowSplits", [values, row_splits]):
            values = _convert_values(values)
            row_splits = _convert_partition(row_splits, "row_splits")
            row_splits.shape.with_rank(1)
            if validate:
                row_splits = _validated(row_splits, values)
            return cls(values, row_splits, internal=True)

    @classmethod
    def from_row_lengths(cls, values, row_lengths, name=None, validate=True) -> "RaggedTensor":
        """Row i holds the next `row_lengths[i]` values."""
        with name_scope(name, "RaggedFromRowLengths", [values, row_lengths]):
            row_lengths = _convert_partition(row_lengths, "row_lengths")
            zero = array_ops.zeros([1], row_lengths.dtype)
            row_splits = array_ops.concat([zero, math_ops.cumsum(row_lengths)], 0)
            return cls.from_row_splits(values, row_splits, validate=validate)

    @classmethod
    def from_value_rowids(
        cls, values, value_rowids, nrows=None, name=None, validate=True
    ) -> "RaggedTensor":
        """Value j goes to row `value_rowids[j]` (sorted ascending); `nrows` defaults to
        `value_rowids[-1] + 1` (0 without values)."""
        with name_scope(name, "RaggedFromValueRowIds", [values, value_rowids, nrows]):
            value_rowids = _convert_partition(value_rowids, "value_rowids")
            if nrows is None:
                rowids = constant_value(value_rowids)
                if rowids is not None:
                    nrows = int(np.asarray(rowids)[-1]) + 1 if np.size(rowids) else 0
                else:
                    minus_one = convert_to_tensor([-1], value_rowids.dtype)
                    nrows = array_ops.concat([value_rowids[-1:], minus_one], 0)[0] + 1
            rowids, nrows = (math_ops.cast(t, dtypes.int32) for t in (value_rowids, nrows))
            row_lengths = math_ops.bincount(
                rowids, minlength=nrows, maxlength=nrows, dtype=value_rowids.dtype
            )
            return cls.from_row_lengths(values, row_lengths, validate=validate)

    @classmethod
    def from_nested_row_splits(
        cls, flat_values, nested_row_splits, name=None, validate=True
    ) -> "RaggedTensor":
        """`flat_values` partitioned by each of `nested_row_splits`, innermost last."""
        with name_scope(name, "RaggedFromNestedRowSplits", [flat_values, *nested_row_splits]):
            result = flat_values
            for splits in reversed(list(nested_row_splits)):
                result = cls.from_row_splits(result, splits, validate=validate)
            return result

    @classmethod
    def from_nested_row_lengths(
        cls, flat_values, nested_row_lengths, name=None, validate=True
    ) -> "RaggedTensor":
        """`flat_values` partitioned by each of `nested_row_lengths`, innermost last."""
        with name_scope(name, "RaggedFromNestedRowLengths", [flat_values, *nested_row_lengths]):
            result = flat_values
            for lengths in reversed(list(nested_row_lengths)):
                result = cls.from_row_lengths(result, lengths, validate=validate)
            return result

    @classmethod
    def from_tensor(
        cls, tensor, lengths=None, padding=None, ragged_rank=1, name=None
    ) -> "RaggedTensor":
        """The ragged form of a dense `tensor`: dims 1..ragged_rank become ragged. Rows are
        cut to `lengths`, or just after their last value that is not `padding`."""
        if lengths is not None and padding is not None:
            raise ValueError("Specify lengths or padding, but not both")
        if not isinstance(ragged_rank, int) or ragged_rank < 1:
            raise ValueError(f"ragged_rank must be a positive int, got {ragged_rank!r}")
        with name_scope(name, "RaggedFromTensor", [tensor, lengths, padding]):
            tensor = convert_to_tensor(tensor, name="tensor")
            tensor.shape.with_rank_at_least(ragged_rank + 1)
            dims = array_ops.shape(tensor, out_type=dtypes.int64)
            outer = [_dim(tensor, dims, i) for i in range(ragged_rank)]
            flat = _merge_outer(tensor, ragged_rank)
            if lengths is not None:
                lengths = array_ops.reshape(_convert_partition(lengths, "lengths"), [-1])
            result = _rows_from_tensor(flat, lengths, padding)
            for i in range(ragged_rank - 1, 0, -1):  # the uniform outer dims, innermost first
                nrows = math_ops.reduce_prod(array_ops.stack(outer[:i]))
                row_splits = array_ops.range(nrows + 1, dtype=dtypes.int64) * outer[i]
                result = cls.from_row_splits(result, row_splits, validate=False)
            return result

    # -- properties --------------------------------------------------------------------------

    values = property(lambda self: self._values, doc="The concatenated rows.")
    row_splits = property(lambda self: self._row_splits, doc="Where each row starts and ends.")
    dtype = property(lambda self: self._values.dtype, doc="The dtype of the values.")
    row_splits_dtype = property(lambda self: self._row_splits.dtype, doc="int32 or int64.")
    graph = property(lambda self: self._row_splits.graph, doc="The graph of this tensor.")

    @property
    def flat_values(self) -> Tensor:
        """The innermost values: a Tensor."""
        return self._values.flat_values if is_ragged(self._values) else self._values

    @property
    def nested_row_splits(self) -> tuple:
        """The row_splits of every ragged dim, outermost first."""
        inner = self._values.nested_row_splits if is_ragged(self._values) else ()
        return (self._row_splits, *inner)

    ragged_rank = property(lambda self: len(self.nested_row_splits), doc="The ragged dims.")

    @property
    def shape(self) -> tensor_shape.TensorShape:
        """The static shape: the number of rows (if known), None for the ragged dim, then
        the values' dims."""
        nsplits = self._row_splits.shape[0].value
        nrows = None if nsplits is None else nsplits - 1
        return tensor_shape.TensorShape([nrows, None]).concatenate(self._values.shape[1:])

    def get_shape(self) -> tensor_shape.TensorShape:
        return self.shape

    # -- row partitions ----------------------------------------------------------------------

    def nrows(self, out_type=None, name=None) -> Tensor:
        """The number of rows (a scalar)."""
        with name_scope(name, "RaggedNRows", [self._row_splits]):
            n = array_ops.shape(self._row_splits, out_type=self.row_splits_dtype)[0] - 1
            return n if out_type is None else math_ops.cast(n, out_type)

    def row_starts(self, name=None) -> Tensor:
        with name_scope(name, "RaggedRowStarts", [self._row_splits]):
            return self._row_splits[:-1]

    def row_limits(self, name=None) -> Tensor:
        with name_scope(name, "RaggedRowLimits", [self._row_splits]):
            return self._row_splits[1:]

    def row_lengths(self, axis=1, name=None) -> Tensor:
        """The length of each row (`axis` 1; deeper axes give a ragged result)."""
        if axis == 0:
            return self.nrows(name=name)
        with name_scope(name, "RaggedRowLengths", [self._row_splits]):
            if axis == 1:
                return self._row_splits[1:] - self._row_splits[:-1]
            if not is_ragged(self._values):
                raise ValueError(f"axis={axis} is out of bounds for ragged_rank 1")
            return self.with_values(self._values.row_lengths(axis - 1))

    def value_rowids(self, name=None) -> Tensor:
        """The row of each value: `values[j]` is in row `value_rowids()[j]`."""
        with name_scope(name, "RaggedValueRowIds", [self._row_splits]):
            return splits_to_rowids(self._row_splits)

    def with_values(self, new_values) -> "RaggedTensor":
        """This tensor's row partition over `new_values`."""
        return RaggedTensor(_convert_values(new_values), self._row_splits, internal=True)

    def with_flat_values(self, new_values) -> "RaggedTensor":
        """This tensor's nested row partitions over `new_values`."""
        if is_ragged(self._values):
            return self.with_values(self._values.with_flat_values(new_values))
        return self.with_values(new_values)

    # -- conversion --------------------------------------------------------------------------

    def to_tensor(self, default_value=None, name=None) -> Tensor:
        """The dense form: rows padded with `default_value` (zeros) to the longest row."""
        with name_scope(name, "RaggedToTensor", [self, default_value]):
            values = self._values
            if is_ragged(values):
                values = values.to_tensor(default_value)
            value_shape = array_ops.shape(values, out_type=self.row_splits_dtype)
            if default_value is None:
                default = array_ops.zeros(value_shape[1:], values.dtype)
            else:
                default = convert_to_tensor(default_value, values.dtype, name="default_value")
                default = array_ops.broadcast_to(default, value_shape[1:])
            lengths = self._row_splits[1:] - self._row_splits[:-1]
            ncols = math_ops.maximum(math_ops.reduce_max(lengths), 0)
            starts = array_ops.expand_dims(self._row_splits[:-1], 1)
            limits = array_ops.expand_dims(self._row_splits[1:], 1)
            columns = array_ops.expand_dims(array_ops.range(ncols, dtype=ncols.dtype), 0)
            # output[r, c] = values_and_default[index[r, c]]; index nvals is the default.
            values_and_default = array_ops.concat([values, array_ops.stack([default])], 0)
            index = starts + columns
            fallback = array_ops.fill(array_ops.stack([self.nrows(), ncols]), value_shape[0])
            dense = array_ops.gather(
                values_and_default, array_ops.where(index < limits, index, fallback)
            )
            dense.set_shape(self.shape[:1].concatenate([None]).concatenate(values.shape[1:]))
            return dense

    def __repr__(self) -> str:
        return f"tf.RaggedTensor(values={self._values}, row_splits={self._row_splits})"


def splits_to_rowids(row_splits: Tensor) -> Tensor:
    """The row of each value: row r starts at `row_splits[r]`, so a value's row is how many
    inner splits lie at or before it (a bincount of the splits, summed up)."""
    nvals = math_ops.cast(row_splits[-1], dtypes.int32)
    inner_splits = math_ops.cast(row_splits[1:-1], dtypes.int32)
    starts = math_ops.bincount(inner_splits, minlength=nvals, maxlength=nvals)
    return math_ops.cast(math_ops.cumsum(starts), row_splits.dtype)


def is_ragged(value) -> bool:
    """Whether `value` is a RaggedTensor or a RaggedTensorValue."""
    return isinstance(value, (RaggedTensor, RaggedTensorValue))


def convert_to_tensor_or_ragged_tensor(value, dtype=None, name=None):
    """`value` itself if ragged (a RaggedTensorValue becomes constants), else a Tensor."""
    if isinstance(value, RaggedTensor):
        if dtype is not None and value.dtype.base_dtype != dtypes.as_dtype(dtype):
            raise ValueError(f"Tensor conversion requested dtype {dtype} for a {value.dtype}")
        return value
    if isinstance(value, RaggedTensorValue):
        with name_scope(name, "ConvertToTensorOrRaggedTensor"):
            flat = convert_to_tensor(value.flat_values, dtype, name="flat_values")
            return RaggedTensor.from_nested_row_splits(flat, value.nested_row_splits)
    return convert_to_tensor(value, dtype, name=name)


def _convert_values(values):
    return values if isinstance(values, RaggedTensor) else convert_to_tensor(values, name="values")


def _convert_partition(value, name: str) -> Tensor:
    """A row partition tensor: int64 unless given as an int32 tensor."""
    if isinstance(value, Tensor):
        if value.dtype.base_dtype not in (dtypes.int32, dtypes.int64):
            raise ValueError(f"{name} must have dtype int32 or int64, got {value.dtype.name}")
        return value
    return convert_to_tensor(value, dtypes.int64, name=name)


def _validated(row_splits: Tensor, values) -> Tensor:
    """`row_splits`, checked to start at 0, never decrease, and end at the number of values:
    at once where all are known while building, else by assertions run with it."""
    message = "Arguments to from_row_splits do not form a valid RaggedTensor"
    splits = constant_value(row_splits)
    nvals = None if is_ragged(values) else values.shape[0].value
    if splits is not None:
        splits = np.asarray(splits)
        if splits.size == 0 or splits[0] != 0 or np.any(np.diff(splits) < 0):
            raise ValueError(message)
        if nvals is not None:
            if splits[-1] != nvals:
                raise ValueError(message)
            return row_splits
    dtype = row_splits.dtype
    nvals = values.nrows(dtype) if is_ragged(values) else array_ops.shape(values, out_type=dtype)[0]
    checks = [
        check_ops.assert_equal(row_splits[:1], array_ops.zeros([1], dtype), message=message),
        check_ops.assert_non_negative(row_splits[1:] - row_splits[:-1], message=message),
        check_ops.assert_equal(row_splits[-1:], array_ops.reshape(nvals, [1]), message=message),
    ]
    with control_dependencies(checks):
        return array_ops.identity(row_splits)


def _merge_outer(tensor: Tensor, k: int) -> Tensor:
    """`tensor` with its first `k` dims merged into one."""
    inner = tensor.shape[k:]
    if inner.is_fully_defined():
        return array_ops.reshape(tensor, [-1] + inner.as_list())
    return array_ops.reshape(tensor, array_ops.concat([[-1], array_ops.shape(tensor)[k:]], 0))


def _dim(tensor: Tensor, dims: Tensor, i: int):
    """Dimension `i` of `tensor`: an int64 constant when static, else from `dims`."""
    size = tensor.shape[i].value
    return dims[i] if size is None else convert_to_tensor(size, dtypes.int64)


def _rows_from_tensor(tensor: Tensor, lengths, padding) -> RaggedTensor:
    """ragged_rank-1 `from_tensor` of `tensor` ([nrows, ncols, ...])."""
    dims = array_ops.shape(tensor, out_type=dtypes.int64)
    nrows, ncols = _dim(tensor, dims, 0), _dim(tensor, dims, 1)
    if padding is not None:
        padding = convert_to_tensor(padding, tensor.dtype, name="padding")
        is_value = math_ops.logical_not(math_ops.equal(tensor, padding))
        if tensor.shape.ndims is None or tensor.shape.ndims > 2:
            is_value = math_ops.reduce_any(
                is_value, axis=array_ops.range(2, array_ops.rank(tensor))
            )
        positions = array_ops.range(1, ncols + 1, dtype=dtypes.int64)
        lengths = math_ops.reduce_max(math_ops.cast(is_value, dtypes.int64) * positions, axis=1)
    if lengths is not None:
        lengths = math_ops.minimum(math_ops.maximum(math_ops.cast(lengths, dtypes.int64), 0), ncols)
        mask = array_ops.sequence_mask(lengths, ncols)
        return RaggedTensor.from_row_lengths(
            array_ops.boolean_mask(tensor, mask), lengths, validate=False
        )
    values = _merge_outer(tensor, 2)
    row_splits = array_ops.range(nrows + 1, dtype=dtypes.int64) * ncols
    return RaggedTensor.from_row_splits(values, row_splits, validate=False)
