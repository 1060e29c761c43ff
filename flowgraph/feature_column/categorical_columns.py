"""Categorical columns: ids from hashing, vocabularies, identity, weights and crosses."""

from __future__ import annotations

import collections

import numpy as np

from flowgraph import gfile
from flowgraph.feature_column.base import (
    _CategoricalColumn,
    _FeatureColumn,
    assert_key_is_string,
    assert_string_or_int,
    check_dtype_compatible,
    to_sparse_input_and_drop_ignore_values,
)
from flowgraph.framework import dtypes
from flowgraph.framework.conversion import convert_to_tensor_or_sparse_tensor
from flowgraph.framework.sparse_tensor import SparseTensor
from flowgraph.ops import array_ops, lookup_ops, math_ops, sparse_ops, string_ops
from flowgraph.ops.parsing_ops import VarLenFeature
from flowgraph.ops.sparse_cross_ops import sparse_cross_hashed


def _with_values(sp: SparseTensor, values) -> SparseTensor:
    return SparseTensor(sp.indices, values, sp.dense_shape)


def _sparse_input(inputs, column):
    """The column's raw feature as a SparseTensor whose dtype agrees with the column's."""
    sp = to_sparse_input_and_drop_ignore_values(inputs.get(column.key))
    check_dtype_compatible(column.key, column.dtype, sp.dtype)
    assert_string_or_int(sp.dtype, prefix=f"column_name: {column.key} input_tensor")
    return sp


class _IdsAreTheTransform:
    """Columns whose transformed feature is their id SparseTensor (no weights)."""

    def _get_sparse_tensors(self, inputs, weight_collections=None, trainable=None):
        return _CategoricalColumn.IdWeightPair(inputs.get(self), None)


class _HashedCategoricalColumn(
    _IdsAreTheTransform,
    _CategoricalColumn,
    collections.namedtuple("_HashedCategoricalColumn", ["key", "hash_bucket_size", "dtype"]),
):
    """See `categorical_column_with_hash_bucket`."""

    @property
    def name(self):
        return self.key

    @property
    def _parse_example_spec(self):
        return {self.key: VarLenFeature(self.dtype)}

    def _transform_feature(self, inputs):
        sp = _sparse_input(inputs, self)
        # Integers hash as their decimal strings, as TF's kernel does.
        values = sp.values if self.dtype == dtypes.string else string_ops.as_string(sp.values)
        ids = string_ops.string_to_hash_bucket_fast(values, self.hash_bucket_size, name="lookup")
        return _with_values(sp, ids)

    @property
    def _num_buckets(self):
        return self.hash_bucket_size


def _lookup(table, sp: SparseTensor) -> SparseTensor:
    return _with_values(sp, table.lookup(sp.values))


def _lookup_keys(sp: SparseTensor, column):
    """(key dtype, SparseTensor) to look up: integer keys as int64, as TF's tables want."""
    if sp.dtype.is_integer:
        return dtypes.int64, _with_values(sp, math_ops.cast(sp.values, dtypes.int64))
    return column.dtype, sp


class _VocabularyFileCategoricalColumn(
    _IdsAreTheTransform,
    _CategoricalColumn,
    collections.namedtuple(
        "_VocabularyFileCategoricalColumn",
        ("key", "vocabulary_file", "vocabulary_size", "num_oov_buckets", "dtype",
         "default_value"),
    ),
):  # fmt: skip
    """See `categorical_column_with_vocabulary_file`."""

    @property
    def name(self):
        return self.key

    @property
    def _parse_example_spec(self):
        return {self.key: VarLenFeature(self.dtype)}

    def _transform_feature(self, inputs):
        key_dtype, sp = _lookup_keys(_sparse_input(inputs, self), self)
        table = lookup_ops.index_table_from_file(
            vocabulary_file=self.vocabulary_file,
            num_oov_buckets=self.num_oov_buckets,
            vocab_size=self.vocabulary_size,
            default_value=self.default_value,
            key_dtype=key_dtype,
            name=f"{self.key}_lookup",
        )
        return _lookup(table, sp)

    @property
    def _num_buckets(self):
        return self.vocabulary_size + self.num_oov_buckets


class _VocabularyListCategoricalColumn(
    _IdsAreTheTransform,
    _CategoricalColumn,
    collections.namedtuple(
        "_VocabularyListCategoricalColumn",
        ("key", "vocabulary_list", "dtype", "default_value", "num_oov_buckets"),
    ),
):
    """See `categorical_column_with_vocabulary_list`."""

    @property
    def name(self):
        return self.key

    @property
    def _parse_example_spec(self):
        return {self.key: VarLenFeature(self.dtype)}

    def _transform_feature(self, inputs):
        key_dtype, sp = _lookup_keys(_sparse_input(inputs, self), self)
        table = lookup_ops.index_table_from_tensor(
            vocabulary_list=tuple(self.vocabulary_list),
            default_value=self.default_value,
            num_oov_buckets=self.num_oov_buckets,
            dtype=key_dtype,
            name=f"{self.key}_lookup",
        )
        return _lookup(table, sp)

    @property
    def _num_buckets(self):
        return len(self.vocabulary_list) + self.num_oov_buckets


class _IdentityCategoricalColumn(
    _IdsAreTheTransform,
    _CategoricalColumn,
    collections.namedtuple("_IdentityCategoricalColumn", ("key", "num_buckets", "default_value")),
):
    """See `categorical_column_with_identity`."""

    @property
    def name(self):
        return self.key

    @property
    def _parse_example_spec(self):
        return {self.key: VarLenFeature(dtypes.int64)}

    def _transform_feature(self, inputs):
        sp = to_sparse_input_and_drop_ignore_values(inputs.get(self.key))
        if not sp.dtype.is_integer:
            raise ValueError(f"Invalid input, not integer. key: {self.key} dtype: {sp.dtype}")
        values = sp.values
        if values.dtype != dtypes.int64:
            values = math_ops.cast(values, dtypes.int64, name="values")
        if self.default_value is not None:
            out_of_range = math_ops.logical_or(
                values < 0, values >= self.num_buckets, name="out_of_range"
            )
            default = array_ops.fill(
                array_ops.shape(values), np.int64(self.default_value), name="default_values"
            )
            values = array_ops.where(out_of_range, default, values)
        return _with_values(sp, values)

    @property
    def _num_buckets(self):
        return self.num_buckets


class _WeightedCategoricalColumn(
    _CategoricalColumn,
    collections.namedtuple(
        "_WeightedCategoricalColumn", ("categorical_column", "weight_feature_key", "dtype")
    ),
):
    """See `weighted_categorical_column`."""

    @property
    def name(self):
        return f"{self.categorical_column.name}_weighted_by_{self.weight_feature_key}"

    @property
    def _parse_example_spec(self):
        config = dict(self.categorical_column._parse_example_spec)
        if self.weight_feature_key in config:
            raise ValueError(
                f"Parse config {config[self.weight_feature_key]} already exists for "
                f"{self.weight_feature_key}."
            )
        config[self.weight_feature_key] = VarLenFeature(self.dtype)
        return config

    @property
    def _num_buckets(self):
        return self.categorical_column._num_buckets

    def _transform_feature(self, inputs):
        weights = convert_to_tensor_or_sparse_tensor(inputs.get(self.weight_feature_key))
        if self.dtype != weights.dtype.base_dtype:
            raise ValueError(f"Bad dtype, expected {self.dtype}, but got {weights.dtype}.")
        if not isinstance(weights, SparseTensor):
            weights = to_sparse_input_and_drop_ignore_values(weights, ignore_value=0.0)
        if not weights.dtype.is_floating:
            weights = _with_values(weights, math_ops.cast(weights.values, dtypes.float32))
        return (inputs.get(self.categorical_column), weights)

    def _get_sparse_tensors(self, inputs, weight_collections=None, trainable=None):
        ids, weights = inputs.get(self)
        return _CategoricalColumn.IdWeightPair(ids, weights)


def _collect_leaf_level_keys(cross):
    keys = []
    for key in cross.keys:
        keys.extend(_collect_leaf_level_keys(key) if isinstance(key, _CrossedColumn) else [key])
    return keys


class _CrossedColumn(
    _IdsAreTheTransform,
    _CategoricalColumn,
    collections.namedtuple("_CrossedColumn", ["keys", "hash_bucket_size", "hash_key"]),
):
    """See `crossed_column`."""

    @property
    def name(self):
        names = [
            k.name if isinstance(k, _FeatureColumn) else k for k in _collect_leaf_level_keys(self)
        ]
        return "_X_".join(sorted(names))

    @property
    def _parse_example_spec(self):
        config = {}
        for key in self.keys:
            if isinstance(key, _FeatureColumn):
                config.update(key._parse_example_spec)
            else:
                config[key] = VarLenFeature(dtypes.string)
        return config

    def _transform_feature(self, inputs):
        return sparse_cross_hashed(
            [self._leaf_tensor(inputs, key) for key in _collect_leaf_level_keys(self)],
            num_buckets=self.hash_bucket_size,
            hash_key=self.hash_key,
        )

    @staticmethod
    def _leaf_tensor(inputs, key):
        if isinstance(key, str):
            return inputs.get(key)
        if not isinstance(key, _CategoricalColumn):
            raise ValueError(f"Unsupported column type. Given: {key}")
        ids_and_weights = key._get_sparse_tensors(inputs)
        if ids_and_weights.weight_tensor is not None:
            raise ValueError(
                "crossed_column does not support weight_tensor, but the given column "
                f"populates weight_tensor. Given column: {key.name}"
            )
        return ids_and_weights.id_tensor

    @property
    def _num_buckets(self):
        return self.hash_bucket_size


class _SequenceCategoricalColumn(
    _CategoricalColumn,
    collections.namedtuple("_SequenceCategoricalColumn", ["categorical_column"]),
):
    """A categorical column of sequences: ids shaped [batch, time, ids per step]."""

    @property
    def name(self):
        return self.categorical_column.name

    @property
    def _parse_example_spec(self):
        return self.categorical_column._parse_example_spec

    def _transform_feature(self, inputs):
        return self.categorical_column._transform_feature(inputs)

    @property
    def _num_buckets(self):
        return self.categorical_column._num_buckets

    def _get_sparse_tensors(self, inputs, weight_collections=None, trainable=None):
        pair = self.categorical_column._get_sparse_tensors(inputs)
        dense_shape = pair.id_tensor.dense_shape  # [batch, time, ids...] -> [batch, time, ids]
        target = array_ops.concat(
            [dense_shape[:2], array_ops.reshape(math_ops.reduce_prod(dense_shape[2:]), [1])], 0
        )
        ids = sparse_ops.sparse_reshape(pair.id_tensor, target)
        weights = pair.weight_tensor
        if weights is not None:
            weights = sparse_ops.sparse_reshape(weights, target)
        return _CategoricalColumn.IdWeightPair(ids, weights)


# -- constructors ----------------------------------------------------------------------------


def categorical_column_with_hash_bucket(key, hash_bucket_size, dtype=dtypes.string):
    """Represents sparse feature where ids are set by hashing.

    Use this when your sparse features are in string or integer format, and you want to
    distribute your inputs into a finite number of buckets by hashing:
    `output_id = Hash(input_feature_string) % bucket_size` (TF's Fingerprint64; integers
    are hashed as their decimal strings). Dense inputs drop '' and -1 values.

    Example:
      >>> keywords = categorical_column_with_hash_bucket("keywords", 10000)
      >>> columns = [keywords, ...]
      >>> prediction = linear_model(features, columns)

    Args:
      key: A unique string identifying the input feature.
      hash_bucket_size: An int > 1. The number of buckets.
      dtype: The type of features. Only string and integer types are supported.

    Returns:
      A `_HashedCategoricalColumn`.

    Raises:
      ValueError: `hash_bucket_size` is not greater than 1, or `dtype` is neither string
        nor integer.
    """
    if hash_bucket_size is None:
        raise ValueError(f"hash_bucket_size must be set. key: {key}")
    if hash_bucket_size < 1:
        raise ValueError(
            f"hash_bucket_size must be at least 1. hash_bucket_size: {hash_bucket_size}, key: {key}"
        )
    assert_key_is_string(key)
    dtype = dtypes.as_dtype(dtype)
    assert_string_or_int(dtype, prefix=f"column_name: {key}")
    return _HashedCategoricalColumn(key, hash_bucket_size, dtype)


def _vocabulary_file_size(key, vocabulary_file, vocabulary_size):
    if not vocabulary_file:
        raise ValueError(f"Missing vocabulary_file in {key}.")
    if vocabulary_size is None:
        if not gfile.Exists(vocabulary_file):
            raise ValueError(f"vocabulary_file in {key} does not exist.")
        with gfile.GFile(vocabulary_file) as f:
            vocabulary_size = sum(1 for _ in f)
    if vocabulary_size < 1:
        raise ValueError(f"Invalid vocabulary_size in {key}.")
    return vocabulary_size


def _check_oov(key, num_oov_buckets, default_value, no_default):
    if num_oov_buckets:
        if default_value != no_default:
            raise ValueError(f"Can't specify both num_oov_buckets and default_value in {key}.")
        if num_oov_buckets < 0:
            raise ValueError(f"Invalid num_oov_buckets {num_oov_buckets} in {key}.")


def categorical_column_with_vocabulary_file(
    key, vocabulary_file, vocabulary_size=None, num_oov_buckets=0, default_value=None,
    dtype=dtypes.string,
):  # fmt: skip
    """A `_CategoricalColumn` with a vocabulary file.

    Use this when your inputs are in string or integer format, and you have a vocabulary
    file that maps each value to an integer ID (its line number). Out-of-vocabulary values
    get `default_value` (-1 when None, dropped by the models), or with `num_oov_buckets` a
    hash bucket in `[vocabulary_size, vocabulary_size + num_oov_buckets)`.

    Example:
      >>> states = categorical_column_with_vocabulary_file(
      ...     key="states", vocabulary_file="/us/states.txt", vocabulary_size=50,
      ...     num_oov_buckets=5)

    Args:
      key: A unique string identifying the input feature.
      vocabulary_file: The vocabulary file name.
      vocabulary_size: Number of the elements in the vocabulary (at most the number of
        lines of the file; None: the number of lines).
      num_oov_buckets: Non-negative integer, the number of out-of-vocabulary buckets.
      default_value: The integer ID value to return for out-of-vocabulary values.
      dtype: The type of features. Only string and integer types are supported.

    Returns:
      A `_CategoricalColumn` with a vocabulary file.

    Raises:
      ValueError: `vocabulary_file` is missing or does not exist, `vocabulary_size` is
        below 1, `num_oov_buckets` is negative or given with `default_value`, or `dtype`
        is neither string nor integer.
    """
    vocabulary_size = _vocabulary_file_size(key, vocabulary_file, vocabulary_size)
    _check_oov(key, num_oov_buckets, default_value, None)
    dtype = dtypes.as_dtype(dtype)
    assert_string_or_int(dtype, prefix=f"column_name: {key}")
    assert_key_is_string(key)
    return _VocabularyFileCategoricalColumn(
        key=key,
        vocabulary_file=vocabulary_file,
        vocabulary_size=vocabulary_size,
        num_oov_buckets=0 if num_oov_buckets is None else num_oov_buckets,
        default_value=-1 if default_value is None else default_value,
        dtype=dtype,
    )


def categorical_column_with_vocabulary_list(
    key, vocabulary_list, dtype=None, default_value=-1, num_oov_buckets=0
):
    """A `_CategoricalColumn` with in-memory vocabulary.

    Each value's ID is its position in `vocabulary_list`; out-of-vocabulary values get
    `default_value` (-1: dropped by the models), or with `num_oov_buckets` a hash bucket
    past the vocabulary.

    Example:
      >>> colors = categorical_column_with_vocabulary_list(
      ...     key="colors", vocabulary_list=("R", "G", "B", "Y"), num_oov_buckets=2)

    Args:
      key: A unique string identifying the input feature.
      vocabulary_list: An ordered iterable defining the vocabulary (unique values).
      dtype: The type of features (None: inferred from `vocabulary_list`).
      default_value: The integer ID value to return for out-of-vocabulary values.
      num_oov_buckets: Non-negative integer, the number of out-of-vocabulary buckets.

    Returns:
      A `_CategoricalColumn` with in-memory vocabulary.

    Raises:
      ValueError: `vocabulary_list` is empty or has duplicates, `num_oov_buckets` is
        negative or given with `default_value`, or `dtype` disagrees with the vocabulary.
    """
    if vocabulary_list is None or len(vocabulary_list) < 1:
        raise ValueError(f"vocabulary_list {vocabulary_list} must be non-empty, column_name: {key}")
    if len(set(vocabulary_list)) != len(vocabulary_list):
        raise ValueError(f"Duplicate keys in vocabulary_list {vocabulary_list}, column_name: {key}")
    vocabulary_dtype = _vocabulary_dtype(vocabulary_list)
    _check_oov(key, num_oov_buckets, default_value, -1)
    assert_string_or_int(vocabulary_dtype, prefix=f"column_name: {key} vocabulary")
    if dtype is None:
        dtype = vocabulary_dtype
    dtype = dtypes.as_dtype(dtype)
    if dtype.is_integer != vocabulary_dtype.is_integer:
        raise ValueError(
            f"dtype {dtype} and vocabulary dtype {vocabulary_dtype} do not match, "
            f"column_name: {key}"
        )
    assert_string_or_int(dtype, prefix=f"column_name: {key}")
    assert_key_is_string(key)
    return _VocabularyListCategoricalColumn(
        key=key,
        vocabulary_list=tuple(vocabulary_list),
        dtype=dtype,
        default_value=default_value,
        num_oov_buckets=num_oov_buckets,
    )


def _vocabulary_dtype(vocabulary_list):
    kind = np.array(vocabulary_list).dtype
    return dtypes.string if kind.kind in "USO" else dtypes.as_dtype(kind)


def categorical_column_with_identity(key, num_buckets, default_value=None):
    """A `_CategoricalColumn` that returns identity values.

    Use this when your inputs are integers in the range `[0, num_buckets)`, and you want
    to use the input value itself as the categorical ID. Values outside this range give
    `default_value` if specified, otherwise they fail when run.

    Example:
      >>> video_id = categorical_column_with_identity(key="video_id", num_buckets=1000,
      ...                                             default_value=0)

    Args:
      key: A unique string identifying the input feature.
      num_buckets: Range of inputs and outputs is `[0, num_buckets)`.
      default_value: If set, values outside of range `[0, num_buckets)` will be replaced
        with this value.

    Returns:
      A `_CategoricalColumn` that returns identity values.

    Raises:
      ValueError: `num_buckets` is less than one, or `default_value` is not in range.
    """
    if num_buckets < 1:
        raise ValueError(f"num_buckets {num_buckets} < 1, column_name {key}")
    if default_value is not None and not 0 <= default_value < num_buckets:
        raise ValueError(
            f"default_value {default_value} not in range [0, {num_buckets}), column_name {key}"
        )
    assert_key_is_string(key)
    return _IdentityCategoricalColumn(key=key, num_buckets=num_buckets, default_value=default_value)


def weighted_categorical_column(categorical_column, weight_feature_key, dtype=dtypes.float32):
    """Applies weight values to a `_CategoricalColumn`.

    Use this when each of your sparse inputs has both an ID and a value (a term and its
    frequency): the ids come from `categorical_column`, the weights from the feature
    `weight_feature_key` (with the same indices).

    Example:
      >>> categorical_column = categorical_column_with_identity("terms", num_buckets=1000)
      >>> weighted = weighted_categorical_column(categorical_column, "frequencies")

    Args:
      categorical_column: A `_CategoricalColumn` created by `categorical_column_with_*`.
      weight_feature_key: String key for weight values.
      dtype: Type of weights, such as `tf.float32`. Only float and integer weights are
        supported.

    Returns:
      A `_CategoricalColumn` composed of two sparse features: one represents id, the other
      represents weight (value) of the id feature in that example.

    Raises:
      ValueError: if `dtype` is not convertible to float.
    """
    if dtype is None or not (
        dtypes.as_dtype(dtype).is_integer or dtypes.as_dtype(dtype).is_floating
    ):
        raise ValueError(f"dtype {dtype} is not convertible to float.")
    return _WeightedCategoricalColumn(
        categorical_column=categorical_column,
        weight_feature_key=weight_feature_key,
        dtype=dtypes.as_dtype(dtype),
    )


def crossed_column(keys, hash_bucket_size, hash_key=None):
    """Returns a column for performing crosses of categorical features.

    Crossed features are hashed according to `hash_bucket_size`, with TF's
    `SparseCrossHashed` fingerprint crossing:
    `Hash(cartesian product of features) % hash_bucket_size`.

    Example:
      >>> keywords = categorical_column_with_vocabulary_file("keywords", "/vocab.txt")
      >>> keywords_x_doc_terms = crossed_column([keywords, "doc_terms"], 50000)
      >>> prediction = linear_model(features, [keywords_x_doc_terms])

    Args:
      keys: An iterable identifying the features to be crossed. Each element can be a
        string (the raw feature of that key) or a `_CategoricalColumn` other than
        `_HashedCategoricalColumn`.
      hash_bucket_size: An int > 1. The number of buckets.
      hash_key: Specify the hash_key that will be used by the `FingerprintCat64` function
        to combine the crosses fingerprints on SparseCrossOp (optional).

    Returns:
      A `_CrossedColumn`.

    Raises:
      ValueError: If `len(keys) < 2`, a key is neither a string nor a
        `_CategoricalColumn`, a key is a `_HashedCategoricalColumn`, or
        `hash_bucket_size < 1`.
    """
    if not hash_bucket_size or hash_bucket_size < 1:
        raise ValueError(f"hash_bucket_size must be > 1. hash_bucket_size: {hash_bucket_size}")
    if not keys or len(keys) < 2:
        raise ValueError(f"keys must be a list with length > 1. Given: {keys}")
    for key in keys:
        if not isinstance(key, (str, _CategoricalColumn)):
            raise ValueError(
                "Unsupported key type. All keys must be either string, or categorical column "
                f"except _HashedCategoricalColumn. Given: {key}"
            )
        if isinstance(key, _HashedCategoricalColumn):
            raise ValueError(
                "categorical_column_with_hash_bucket is not supported for crossing. Hashing "
                "before crossing will increase probability of collision. Instead, use the "
                f"feature name as a string. Given: {key}"
            )
    return _CrossedColumn(keys=tuple(keys), hash_bucket_size=hash_bucket_size, hash_key=hash_key)
