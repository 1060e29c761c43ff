"""Sequence feature columns (`sequence_*`) and `sequence_input_layer` (TF1's contrib)."""

from __future__ import annotations

import collections

from flowgraph.feature_column import categorical_columns as cat
from flowgraph.feature_column.base import (
    _LazyBuilder,
    _SequenceDenseColumn,
    assert_key_is_string,
    normalize_feature_columns,
)
from flowgraph.feature_column.dense_columns import _check_shape, sequence_length_from_sparse_tensor
from flowgraph.feature_column.feature_column import _verify_static_batch_size_equality
from flowgraph.framework import dtypes, tensor_shape
from flowgraph.framework.scopes import control_dependencies, name_scope
from flowgraph.ops import array_ops, check_ops, constant_op, sparse_ops, variable_scope
from flowgraph.ops.parsing_ops import VarLenFeature


class _SequenceNumericColumn(
    _SequenceDenseColumn,
    collections.namedtuple(
        "_SequenceNumericColumn", ["key", "shape", "default_value", "dtype", "normalizer_fn"]
    ),
):
    """See `sequence_numeric_column`."""

    @property
    def name(self):
        return self.key

    @property
    def _parse_example_spec(self):
        return {self.key: VarLenFeature(self.dtype)}

    def _transform_feature(self, inputs):
        tensor = inputs.get(self.key)
        return tensor if self.normalizer_fn is None else self.normalizer_fn(tensor)

    @property
    def _variable_shape(self):
        return tensor_shape.TensorShape(self.shape)

    def _get_sequence_dense_tensor(self, inputs, weight_collections=None, trainable=None):
        sp = inputs.get(self)
        dense = sparse_ops.sparse_tensor_to_dense(sp, default_value=self.default_value)
        shape = array_ops.concat(
            [array_ops.shape(dense)[:1], constant_op.constant([-1] + list(self.shape))], 0
        )
        dense = array_ops.reshape(dense, shape)
        # A [batch, values] input holds each step's `shape` elements one after the other.
        per_step = self._variable_shape.num_elements() if sp.shape.ndims == 2 else 1
        length = sequence_length_from_sparse_tensor(sp, num_elements=per_step)
        return _SequenceDenseColumn.TensorSequenceLengthPair(dense, length)


def sequence_categorical_column_with_identity(key, num_buckets, default_value=None):
    """Returns a feature column that represents sequences of integers.

    Pass this to `embedding_column` or `indicator_column` to convert sequence categorical
    data into dense representation for input to `sequence_input_layer`.

    Example:
      >>> watches = sequence_categorical_column_with_identity("watches", num_buckets=1000)
      >>> columns = [embedding_column(watches, dimension=10)]
      >>> input_layer, sequence_length = sequence_input_layer(features, columns)

    Args:
      key: A unique string identifying the input feature.
      num_buckets: Range of inputs. Namely, inputs are expected to be in the range
        `[0, num_buckets)`.
      default_value: If `None`, this column's graph operations will fail for
        out-of-range inputs. Otherwise, this value must be in the range
        `[0, num_buckets)`, and will replace out-of-range inputs.

    Returns:
      A `_SequenceCategoricalColumn`.
    """
    column = cat.categorical_column_with_identity(key, num_buckets, default_value)
    return cat._SequenceCategoricalColumn(column)


def sequence_categorical_column_with_hash_bucket(key, hash_bucket_size, dtype=dtypes.string):
    """A sequence of categorical terms where ids are set by hashing.

    Example:
      >>> tokens = sequence_categorical_column_with_hash_bucket("tokens", 1000)
      >>> columns = [indicator_column(tokens)]

    Args:
      key: A unique string identifying the input feature.
      hash_bucket_size: An int > 1. The number of buckets.
      dtype: The type of features. Only string and integer types are supported.

    Returns:
      A `_SequenceCategoricalColumn`.
    """
    column = cat.categorical_column_with_hash_bucket(key, hash_bucket_size, dtype)
    return cat._SequenceCategoricalColumn(column)


def sequence_categorical_column_with_vocabulary_file(
    key, vocabulary_file, vocabulary_size=None, num_oov_buckets=0, default_value=None,
    dtype=dtypes.string,
):  # fmt: skip
    """A sequence of categorical terms where ids use a vocabulary file.

    Example:
      >>> states = sequence_categorical_column_with_vocabulary_file(
      ...     "states", "/us/states.txt", vocabulary_size=50, num_oov_buckets=5)

    Args:
      key: A unique string identifying the input feature.
      vocabulary_file: The vocabulary file name.
      vocabulary_size: Number of the elements in the vocabulary.
      num_oov_buckets: Non-negative integer, the number of out-of-vocabulary buckets.
      default_value: The integer ID value to return for out-of-vocabulary values.
      dtype: The type of features. Only string and integer types are supported.

    Returns:
      A `_SequenceCategoricalColumn`.
    """
    column = cat.categorical_column_with_vocabulary_file(
        key, vocabulary_file, vocabulary_size, num_oov_buckets, default_value, dtype
    )
    return cat._SequenceCategoricalColumn(column)


def sequence_categorical_column_with_vocabulary_list(
    key, vocabulary_list, dtype=None, default_value=-1, num_oov_buckets=0
):
    """A sequence of categorical terms where ids use an in-memory list.

    Example:
      >>> colors = sequence_categorical_column_with_vocabulary_list(
      ...     "colors", ("R", "G", "B", "Y"), num_oov_buckets=2)

    Args:
      key: A unique string identifying the input feature.
      vocabulary_list: An ordered iterable defining the vocabulary.
      dtype: The type of features (None: inferred from `vocabulary_list`).
      default_value: The integer ID value to return for out-of-vocabulary values.
      num_oov_buckets: Non-negative integer, the number of out-of-vocabulary buckets.

    Returns:
      A `_SequenceCategoricalColumn`.
    """
    column = cat.categorical_column_with_vocabulary_list(
        key, vocabulary_list, dtype, default_value, num_oov_buckets
    )
    return cat._SequenceCategoricalColumn(column)


def sequence_numeric_column(
    key, shape=(1,), default_value=0.0, dtype=dtypes.float32, normalizer_fn=None
):
    """Returns a feature column that represents sequences of numeric data.

    Example:
      >>> temperature = sequence_numeric_column("temperature")
      >>> input_layer, sequence_length = sequence_input_layer(features, [temperature])

    Args:
      key: A unique string identifying the input features.
      shape: The shape of the input data per sequence id. E.g. if `shape=(2,)`, each
        example must contain `2 * sequence_length` values.
      default_value: A single value compatible with `dtype` that is used for padding the
        sparse data into a dense `Tensor`.
      dtype: The type of values.
      normalizer_fn: If not `None`, a function that can be used to normalize the value of
        the tensor.

    Returns:
      A `_SequenceNumericColumn`.

    Raises:
      TypeError: if any dimension in shape is not an int, or `normalizer_fn` is not
        callable.
      ValueError: if any dimension in shape is not a positive integer, or `dtype` is not
        convertible to `tf.float32`.
    """
    shape = _check_shape(shape, key)
    dtype = dtypes.as_dtype(dtype)
    if not (dtype.is_integer or dtype.is_floating):
        raise ValueError(f"dtype must be convertible to float. dtype: {dtype}, key: {key}")
    if normalizer_fn is not None and not callable(normalizer_fn):
        raise TypeError(f"normalizer_fn must be a callable. Given: {normalizer_fn}")
    assert_key_is_string(key)
    return _SequenceNumericColumn(key, shape, default_value, dtype, normalizer_fn)


def _assert_all_equal_and_return(tensors, name=None):
    with name_scope(name, "assert_all_equal", tensors):
        if len(tensors) == 1:
            return tensors[0]
        checks = [check_ops.assert_equal(tensors[0], t) for t in tensors[1:]]
        with control_dependencies(checks):
            return array_ops.identity(tensors[0])


def sequence_input_layer(features, feature_columns, weight_collections=None, trainable=True):
    """Builds input layer for sequence input.

    All `feature_columns` must be sequence dense columns with the same `sequence_length`.
    The output of this method can be fed into sequence networks, such as RNN. The output
    is a 3D `Tensor` [batch_size, T, D]: T is the maximum sequence length of the batch, D
    the sum of the columns' `num_elements`.

    Example:
      >>> rating = sequence_numeric_column("rating")
      >>> watches = sequence_categorical_column_with_identity("watches", num_buckets=1000)
      >>> columns = [rating, embedding_column(watches, dimension=10)]
      >>> input_layer, sequence_length = sequence_input_layer(features, columns)

    Args:
      features: A dict mapping keys to tensors.
      feature_columns: An iterable of dense sequence columns (`sequence_numeric_column`,
        and `embedding_column` or `indicator_column` of a sequence categorical column).
      weight_collections: A list of collection names to which the Variable will be added.
      trainable: If `True` also add the variable to the graph collection
        `GraphKeys.TRAINABLE_VARIABLES`.

    Returns:
      An `(input_layer, sequence_length)` tuple: a float `Tensor` of shape [batch_size, T,
      D] and an int64 `Tensor` of shape [batch_size].

    Raises:
      ValueError: If any of the `feature_columns` is the wrong type.
    """
    feature_columns = normalize_feature_columns(feature_columns)
    for c in feature_columns:
        if not isinstance(c, _SequenceDenseColumn):
            raise ValueError(
                "All feature_columns must be of type _SequenceDenseColumn. You can wrap a "
                "sequence_categorical_column with an embedding_column or indicator_column. "
                f"Given (type {type(c)}): {c}"
            )
    with variable_scope.variable_scope(
        None, default_name="sequence_input_layer", values=list(features.values())
    ):
        builder, outputs, lengths = _LazyBuilder(features), [], []
        ordered = sorted(feature_columns, key=lambda x: x.name)
        for column in ordered:
            with variable_scope.variable_scope(None, default_name=column._var_scope_name):
                dense, length = column._get_sequence_dense_tensor(
                    builder, weight_collections=weight_collections, trainable=trainable
                )
                shape = array_ops.shape(dense)
                target = array_ops.stack(
                    [shape[0], shape[1], column._variable_shape.num_elements()]
                )
                outputs.append(array_ops.reshape(dense, target))
                lengths.append(length)
        _verify_static_batch_size_equality(outputs, ordered)
        _verify_static_batch_size_equality(lengths, ordered)
        return array_ops.concat(outputs, -1), _assert_all_equal_and_return(lengths)
