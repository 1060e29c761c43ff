"""Partitioned variables: one logical variable kept as slices along one axis (`part_N`),
the partitioners that choose the slicing, and `PartitionedVariable`.

Each slice is an ordinary variable named `<name>/part_<i>` that records where it sits in
the full variable (`SaveSliceInfo`). The Saver writes them, as TF's does, as slices of
one full variable under its name in TF's checkpoint format.
"""

from __future__ import annotations

import math

from flowgraph.framework import dtypes, tensor_shape
from flowgraph.framework.scopes import name_scope
from flowgraph.ops import array_ops
from flowgraph.ops.constant_op import convert_to_tensor, register_tensor_conversion_function


class SaveSliceInfo:
    """Where a slice of a partitioned variable sits in the full variable."""

    def __init__(self, full_name=None, full_shape=None, var_offset=None, var_shape=None):
        self.full_name = full_name
        self.full_shape = list(full_shape)
        self.var_offset = list(var_offset)
        self.var_shape = list(var_shape)

    @property
    def spec(self) -> str:
        """TF's slice spec: the full shape, then `offset,length` per dim joined by ':'."""
        full = " ".join(str(d) for d in self.full_shape)
        parts = ":".join(f"{o},{s}" for o, s in zip(self.var_offset, self.var_shape))
        return f"{full} {parts}"


class PartitionInfo:
    """What an initializer learns about the slice it initializes (`partition_info=`)."""

    def __init__(self, full_shape, var_offset):
        self.full_shape = list(full_shape)
        self.var_offset = list(var_offset)

    def single_offset(self, shape) -> int:
        """The offset of the slice of `shape` along its sliced dimension."""
        dim = self.single_slice_dim(shape)
        return 0 if dim is None else self.var_offset[dim]

    def single_slice_dim(self, shape):
        """The one dimension along which a slice of `shape` differs from the full shape."""
        if len(shape) != len(self.full_shape):
            raise ValueError(
                f"Expected equal length, but received shape={shape} of length {len(shape)} "
                f"while self.full_shape={self.full_shape} is of length {len(self.full_shape)}."
            )
        dims = [i for i, (s, f) in enumerate(zip(shape, self.full_shape)) if s != f]
        if len(dims) > 1:
            raise ValueError(
                f"Cannot use single_slice_dim() with shape={shape} and "
                f"self.full_shape={self.full_shape} since slice dim could be one of {dims}"
            )
        return dims[0] if dims else None


def slicing_of(partitioner, shape, dtype) -> list[int]:
    """Calls `partitioner` for a variable of `shape` and `dtype` and checks its answer."""
    if not shape.is_fully_defined():
        raise ValueError(
            f"Shape of a new partitioned variable must be fully defined, but instead was {shape}."
        )
    if shape.ndims < 1:
        raise ValueError(f"A partitioned Variable must have rank at least 1, shape: {shape}")
    slicing = partitioner(shape=shape, dtype=dtype)
    if not isinstance(slicing, (list, tuple)):
        raise ValueError(f"Partitioner must return a sequence, but saw: {slicing}")
    if len(slicing) != shape.ndims:
        raise ValueError(
            "Partitioner returned a partition list that does not match the Variable's rank: "
            f"{slicing} vs. {shape}"
        )
    if any(p < 1 for p in slicing):
        raise ValueError(f"Partitioner returned zero partitions for some axes: {slicing}")
    if sum(p > 1 for p in slicing) > 1:
        raise ValueError(
            f"Can only slice a variable along one dimension: shape: {shape}, "
            f"partitioning: {slicing}"
        )
    return list(slicing)


def slices(full_shape: list[int], slicing: list[int]):
    """(offset, shape) of each slice: the first `size % n` slices are one longer."""
    axis = next((i for i, n in enumerate(slicing) if n > 1), 0)
    count = slicing[axis]
    shortest, longer = divmod(full_shape[axis], count)
    offset = [0] * len(full_shape)
    for i in range(count):
        shape = list(full_shape)
        shape[axis] = shortest + (i < longer)
        yield list(offset), shape
        offset[axis] += shape[axis]


class PartitionedVariable:
    """A variable kept as a list of slices along one axis.

    Iterating gives the slice `Variable`s (`<name>/part_0`, ...); converting it to a tensor
    concatenates them. `tf.nn.embedding_lookup` takes it directly.
    """

    def __init__(self, name, shape, dtype, variable_list, partitions):
        self._name = name
        self._shape = tensor_shape.as_shape(shape)
        self._dtype = dtypes.as_dtype(dtype)
        self._variable_list = sorted(variable_list, key=lambda v: v._save_slice_info.var_offset)
        self._partitions = list(partitions)

    def __iter__(self):
        return iter(self._variable_list)

    def __len__(self) -> int:
        return len(self._variable_list)

    def _get_variable_list(self) -> list:
        return list(self._variable_list)

    def _get_partitions(self) -> list[int]:
        return list(self._partitions)

    def _partition_axis(self) -> int:
        return next((i for i, n in enumerate(self._partitions) if n > 1), 0)

    @property
    def name(self) -> str:
        """The full variable's name (without an output index)."""
        return self._name

    @property
    def dtype(self):
        return self._dtype

    @property
    def shape(self):
        """The full variable's shape."""
        return self._shape

    def get_shape(self):
        return self._shape

    def as_tensor(self):
        """The slices concatenated along the partition axis (an `Identity` named `name`)."""
        with name_scope(None):
            with name_scope(self._name + "/ConcatPartitions/"):
                if len(self._variable_list) == 1:
                    value = array_ops.identity(self._variable_list[0])
                else:
                    value = array_ops.concat(self._variable_list, self._partition_axis())
            return array_ops.identity(value, name=self._name)

    def assign(self, value, use_locking=False, name=None, read_value=True):
        """Assigns the slices of `value` to the slices; returns their assign ops' outputs."""
        value = convert_to_tensor(value, dtype=self._dtype)
        sizes = [v.get_shape().as_list()[self._partition_axis()] for v in self._variable_list]
        parts = array_ops.split(value, sizes, axis=self._partition_axis())
        return [
            v.assign(p, use_locking=use_locking, read_value=read_value)
            for v, p in zip(self._variable_list, parts)
        ]


def _as_tensor(value, dtype=None, name=None, as_ref=False):
    if dtype is not None and not dtype.is_compatible_with(value.dtype):
        raise ValueError(
            f"Incompatible type conversion requested to type '{dtype.name}' for variable "
            f"of type '{value.dtype.name}'"
        )
    if as_ref:
        raise NotImplementedError("PartitionedVariable doesn't support being used as a reference.")
    return value.as_tensor()


register_tensor_conversion_function(PartitionedVariable, _as_tensor)


# -- partitioners ---------------------------------------------------------------------------


def _element_size(dtype, bytes_per_string_element: int) -> int:
    dtype = dtypes.as_dtype(dtype)
    return bytes_per_string_element if dtype.base_dtype == dtypes.string else dtype.size


def fixed_size_partitioner(num_shards, axis=0):
    """A partitioner of `num_shards` shards along `axis` (fewer if the axis is shorter).

    Example:
      >>> w = tf.get_variable("w", [10, 4], partitioner=tf.fixed_size_partitioner(3))
      >>> [p.shape.as_list() for p in w]   # [[4, 4], [3, 4], [3, 4]]
    """

    def _partitioner(shape, **unused_args):
        partitions = [1] * len(shape)
        partitions[axis] = min(num_shards, shape.dims[axis].value)
        return partitions

    return _partitioner


def variable_axis_size_partitioner(
    max_shard_bytes, axis=0, bytes_per_string_element=16, max_shards=None
):
    """A partitioner keeping each shard along `axis` under `max_shard_bytes` (at least one
    slice per shard, at most `max_shards` shards)."""
    if max_shard_bytes < 1 or bytes_per_string_element < 1:
        raise ValueError("Both max_shard_bytes and bytes_per_string_element must be positive.")
    if max_shards and max_shards < 1:
        raise ValueError("max_shards must be positive.")

    def _partitioner(shape, dtype):
        if not isinstance(shape, tensor_shape.TensorShape):
            raise ValueError(f"shape is not a TensorShape: {shape}")
        if not shape.is_fully_defined():
            raise ValueError(f"shape is not fully defined: {shape}")
        length = shape.dims[axis].value
        slice_bytes = shape.num_elements() / length * _element_size(dtype, bytes_per_string_element)
        slices_per_shard = max(1, math.floor(max_shard_bytes / slice_bytes))
        shards = int(math.ceil(length / slices_per_shard))
        partitions = [1] * shape.ndims
        partitions[axis] = min(max_shards, shards) if max_shards else shards
        return partitions

    return _partitioner


def min_max_variable_partitioner(
    max_partitions=1, axis=0, min_slice_size=256 << 10, bytes_per_string_element=16
):
    """A partitioner giving each partition at least `min_slice_size` bytes, with at most
    `max_partitions` partitions along `axis`."""

    def _partitioner(shape, dtype):
        if axis >= len(shape):
            raise ValueError(
                f"Can not partition variable along axis {axis} when shape is only {shape}"
            )
        total = shape.num_elements() * _element_size(dtype, bytes_per_string_element)
        partitions = [1] * len(shape)
        wanted = int(math.ceil(total / min_slice_size))
        partitions[axis] = max(1, min(shape.dims[axis].value, max_partitions, wanted))
        return partitions

    return _partitioner


def create_partitioned_variables(
    shape,
    slicing,
    initializer,
    dtype=dtypes.float32,
    trainable=True,
    collections=None,
    name=None,
    reuse=None,
):
    """Creates the slices of a variable of `shape` cut as `slicing` says (deprecated in
    TF1 for `get_variable(partitioner=)`); returns the list of slice Variables."""
    from flowgraph.ops import variable_scope  # variable_scope builds on this module

    if len(shape) != len(slicing):
        raise ValueError(
            "The 'shape' and 'slicing' of a partitioned Variable must have the length: "
            f"shape: {shape}, slicing: {slicing}"
        )
    if len(shape) < 1:
        raise ValueError(f"A partitioned Variable must have rank at least 1: shape: {shape}")
    with variable_scope.variable_scope(name, "PartitionedVariable", reuse=reuse):
        store = variable_scope._get_default_variable_store()
        full_name = variable_scope.get_variable_scope().name
        return list(
            store.get_variable(
                full_name,
                shape=shape,
                dtype=dtype,
                initializer=initializer,
                trainable=trainable,
                collections=collections,
                partitioner=lambda **unused: slicing,
                reuse=variable_scope.get_variable_scope().reuse,
            )
        )
