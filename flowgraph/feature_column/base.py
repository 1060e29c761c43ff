"""The feature-column protocol (`_FeatureColumn`, dense and categorical) and `_LazyBuilder`."""

from __future__ import annotations

import collections
import collections.abc

from flowgraph.framework import dtypes
from flowgraph.framework.conversion import convert_to_tensor_or_sparse_tensor
from flowgraph.framework.scopes import control_dependencies, name_scope
from flowgraph.framework.sparse_tensor import SparseTensor
from flowgraph.ops import array_ops, check_ops, math_ops, sparse_ops


class _FeatureColumn:
    """Represents a feature column abstraction (TF1's private protocol).

    A column is an immutable namedtuple; `_transform_feature` turns the raw features (read
    through a `_LazyBuilder`) into the tensor the column stands for.
    """

    @property
    def name(self):
        """Returns string. Used for naming and for sorting."""
        raise NotImplementedError

    def __lt__(self, other):
        return str(self) < str(other)

    def __gt__(self, other):
        return str(self) > str(other)

    @property
    def _var_scope_name(self):
        return self.name

    @property
    def parse_example_spec(self):
        """The `tf.parse_example` spec of the features this column reads."""
        return self._parse_example_spec


class _DenseColumn(_FeatureColumn):
    """A column that gives a dense `Tensor` (`_get_dense_tensor`) of `_variable_shape`."""

    @property
    def variable_shape(self):
        """The `TensorShape` of one example's dense tensor."""
        return self._variable_shape


class _CategoricalColumn(_FeatureColumn):
    """A column of ids: `_get_sparse_tensors` gives an `IdWeightPair` of `SparseTensor`s."""

    IdWeightPair = collections.namedtuple("IdWeightPair", ["id_tensor", "weight_tensor"])


class _SequenceDenseColumn(_FeatureColumn):
    """A dense column of sequences (`_get_sequence_dense_tensor`)."""

    TensorSequenceLengthPair = collections.namedtuple(
        "TensorSequenceLengthPair", ["dense_tensor", "sequence_length"]
    )


class _LazyBuilder:
    """Caches the transformed tensor of each column while a model is built.

    A column used twice (bucketized on its own and inside a cross) is transformed once.
    `get` takes a raw feature's key (a `str`) or a `_FeatureColumn`.
    """

    def __init__(self, features):
        self._features = features.copy()
        self._feature_tensors = {}

    def get(self, key):
        """Returns the (transformed) `Tensor` or `SparseTensor` for `key`."""
        if key in self._feature_tensors:
            return self._feature_tensors[key]
        if key in self._features:
            self._feature_tensors[key] = _raw_feature_as_tensor(self._features[key], key)
            return self._feature_tensors[key]
        if isinstance(key, str):
            raise ValueError(f"Feature {key} is not in features dictionary.")
        if not isinstance(key, _FeatureColumn):
            raise TypeError(f'"key" must be either a "str" or "_FeatureColumn". Provided: {key}')
        transformed = key._transform_feature(self)
        if transformed is None:
            raise ValueError(f"Column {key.name} is not supported.")
        self._feature_tensors[key] = transformed
        return transformed


def _expand_dims(tensor):
    if isinstance(tensor, SparseTensor):
        rows = math_ops.cast(tensor.dense_shape[0], dtypes.int64)
        return sparse_ops.sparse_reshape(tensor, array_ops.stack([rows, 1]))
    return array_ops.expand_dims(tensor, -1)


def _raw_feature_as_tensor(raw, key):
    """The raw feature as a (sparse) tensor of rank >= 2 (a rank-1 one gets a last dim)."""
    tensor = convert_to_tensor_or_sparse_tensor(raw)
    rank = tensor.shape.ndims
    if rank == 0:
        raise ValueError(f"Feature (key: {key}) cannot have rank 0. Given: {tensor}")
    if rank is not None or isinstance(tensor, SparseTensor):
        return _expand_dims(tensor) if rank == 1 else tensor
    # Unknown rank: a reshape that appends a dimension of 1 exactly when the rank is 1 (one
    # graph for both cases, where TF1 uses a cond whose branches differ in shape).
    message = f"Feature (key: {key}) cannot have rank 0. Given: {tensor}"
    rank = array_ops.rank(tensor)
    with control_dependencies([check_ops.assert_positive(rank, message=message)]):
        extra = array_ops.ones(
            array_ops.reshape(math_ops.cast(math_ops.equal(rank, 1), dtypes.int32), [1]),
            dtypes.int32,
        )
        return array_ops.reshape(tensor, array_ops.concat([array_ops.shape(tensor), extra], 0))


def to_sparse_input_and_drop_ignore_values(input_tensor, ignore_value=None):
    """`input_tensor` as a `SparseTensor` without the cells equal to `ignore_value`.

    A `SparseTensor` is returned as it is. `ignore_value` None means '' for strings, -1 for
    integers (a missing feature) and 0 otherwise.
    """
    input_tensor = convert_to_tensor_or_sparse_tensor(input_tensor)
    if isinstance(input_tensor, SparseTensor):
        return input_tensor
    with name_scope(None, "to_sparse_input", [input_tensor]):
        dtype = input_tensor.dtype.base_dtype
        if ignore_value is None:
            ignore_value = "" if dtype == dtypes.string else -1 if dtype.is_integer else 0
        ignore_value = math_ops.cast(ignore_value, dtype, name="ignore_value")
        indices = array_ops.where(math_ops.not_equal(input_tensor, ignore_value), name="indices")
        return SparseTensor(
            indices=indices,
            values=array_ops.gather_nd(input_tensor, indices, name="values"),
            dense_shape=array_ops.shape(input_tensor, out_type=dtypes.int64, name="dense_shape"),
        )


def normalize_feature_columns(feature_columns):
    """`feature_columns` as a list of `_FeatureColumn`s with distinct names."""
    if isinstance(feature_columns, _FeatureColumn):
        feature_columns = [feature_columns]
    if isinstance(feature_columns, collections.abc.Iterator):
        feature_columns = list(feature_columns)
    if isinstance(feature_columns, dict):
        raise ValueError("Expected feature_columns to be iterable, found dict.")
    for column in feature_columns:
        if not isinstance(column, _FeatureColumn):
            raise ValueError(
                "Items of feature_columns must be a _FeatureColumn. "
                f"Given (type {type(column)}): {column}."
            )
    if not feature_columns:
        raise ValueError("feature_columns must not be empty.")
    by_name = {}
    for column in feature_columns:
        if column.name in by_name:
            raise ValueError(
                f"Duplicate feature column name found for columns: {column} and "
                f"{by_name[column.name]}. This usually means that these columns refer to "
                "same base feature. Either one must be discarded or a duplicated but renamed "
                "item must be inserted in features dict."
            )
        by_name[column.name] = column
    return feature_columns


def assert_string_or_int(dtype, prefix):
    if dtype != dtypes.string and not dtype.is_integer:
        raise ValueError(f"{prefix} dtype must be string or integer. dtype: {dtype}.")


def assert_key_is_string(key):
    if not isinstance(key, str):
        raise ValueError(f"key must be a string. Got: type {type(key)}. Given key: {key}.")


def check_dtype_compatible(key, column_dtype, tensor_dtype):
    """Raises TF's ValueError when a column's and its input's dtypes are not both integer
    or both not."""
    if column_dtype.is_integer != tensor_dtype.is_integer:
        raise ValueError(
            "Column dtype and SparseTensors dtype must be compatible. "
            f"key: {key}, column dtype: {column_dtype}, tensor dtype: {tensor_dtype}"
        )
