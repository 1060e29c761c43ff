"""Dense columns: numeric, bucketized, indicator, embedding and shared embedding columns."""

from __future__ import annotations

import collections
import math

from flowgraph.feature_column.base import (
    _CategoricalColumn,
    _DenseColumn,
    _SequenceDenseColumn,
    assert_key_is_string,
)
from flowgraph.feature_column.categorical_columns import (
    _SequenceCategoricalColumn,
    _WeightedCategoricalColumn,
)
from flowgraph.framework import dtypes, tensor_shape
from flowgraph.framework.scopes import add_to_collection, get_collection, name_scope
from flowgraph.framework.sparse_tensor import SparseTensor
from flowgraph.ops import (
    array_ops,
    embedding_ops,
    init_ops,
    math_ops,
    sparse_ops,
    sparse_segment_ops,
    variable_scope,
)
from flowgraph.ops.bucketize_ops import bucketize
from flowgraph.ops.parsing_ops import FixedLenFeature
from flowgraph.ops.partitioned_variables import PartitionedVariable
from flowgraph.train import checkpoint_utils


class _NumericColumn(
    _DenseColumn,
    collections.namedtuple(
        "_NumericColumn", ["key", "shape", "default_value", "dtype", "normalizer_fn"]
    ),
):
    """See `numeric_column`."""

    @property
    def name(self):
        return self.key

    @property
    def _parse_example_spec(self):
        return {self.key: FixedLenFeature(self.shape, self.dtype, self.default_value)}

    def _transform_feature(self, inputs):
        tensor = inputs.get(self.key)
        if isinstance(tensor, SparseTensor):
            raise ValueError(
                "The corresponding Tensor of numerical column must be a Tensor. "
                f"SparseTensor is not supported. key: {self.key}"
            )
        if self.normalizer_fn is not None:
            tensor = self.normalizer_fn(tensor)
        return math_ops.cast(tensor, dtypes.float32)

    @property
    def _variable_shape(self):
        return tensor_shape.TensorShape(self.shape)

    def _get_dense_tensor(self, inputs, weight_collections=None, trainable=None):
        return inputs.get(self)


class _BucketizedColumn(
    _DenseColumn,
    _CategoricalColumn,
    collections.namedtuple("_BucketizedColumn", ["source_column", "boundaries"]),
):
    """See `bucketized_column`."""

    @property
    def name(self):
        return f"{self.source_column.name}_bucketized"

    @property
    def _parse_example_spec(self):
        return self.source_column._parse_example_spec

    def _transform_feature(self, inputs):
        return bucketize(inputs.get(self.source_column), boundaries=self.boundaries)

    @property
    def _variable_shape(self):
        return tensor_shape.TensorShape(
            tuple(self.source_column.shape) + (len(self.boundaries) + 1,)
        )

    def _get_dense_tensor(self, inputs, weight_collections=None, trainable=None):
        ids = math_ops.cast(inputs.get(self), dtypes.int64)
        return array_ops.one_hot(ids, depth=len(self.boundaries) + 1, on_value=1.0, off_value=0.0)

    @property
    def _num_buckets(self):
        return (len(self.boundaries) + 1) * self.source_column.shape[0]

    def _get_sparse_tensors(self, inputs, weight_collections=None, trainable=None):
        # Each of the source's dimensions gets its own block of len(boundaries) + 1 ids.
        buckets = inputs.get(self)
        batch_size = array_ops.shape(buckets)[0]
        width = self.source_column.shape[0]
        rows = array_ops.reshape(
            array_ops.tile(array_ops.expand_dims(array_ops.range(0, batch_size), 1), [1, width]),
            (-1,),
        )
        dims = array_ops.tile(array_ops.range(0, width), array_ops.stack([batch_size]))
        ids = array_ops.reshape(buckets, (-1,)) + (len(self.boundaries) + 1) * dims
        indices = math_ops.cast(array_ops.transpose(array_ops.stack((rows, dims))), dtypes.int64)
        dense_shape = math_ops.cast(array_ops.stack([batch_size, width]), dtypes.int64)
        return _CategoricalColumn.IdWeightPair(SparseTensor(indices, ids, dense_shape), None)


def _not_sequence(kind, column):
    if isinstance(column.categorical_column, _SequenceCategoricalColumn):
        raise ValueError(
            f"In {kind}: {column.name}. categorical_column must not be of type "
            "_SequenceCategoricalColumn. Suggested fix A: If you wish to use input_layer, use "
            "a non-sequence categorical_column_with_*. Suggested fix B: If you wish to create "
            "sequence input, use sequence_input_layer instead of input_layer. Given (type "
            f"{type(column.categorical_column)}): {column.categorical_column}"
        )


def _sequence_only(kind, column):
    if not isinstance(column.categorical_column, _SequenceCategoricalColumn):
        raise ValueError(
            f"In {kind}: {column.name}. categorical_column must be of type "
            "_SequenceCategoricalColumn to use sequence_input_layer. Suggested fix: Use one of "
            f"sequence_categorical_column_with_*. Given (type {type(column.categorical_column)}):"
            f" {column.categorical_column}"
        )


def sequence_length_from_sparse_tensor(sp_tensor, num_elements=1):
    """A [batch_size] int64 Tensor with each example's sequence length."""
    with name_scope(None, "sequence_length") as scope:
        rows = sp_tensor.indices[:, 0]
        steps = sp_tensor.indices[:, 1] + 1
        length = math_ops.segment_max(steps, segment_ids=rows)
        length = math_ops.cast(
            math_ops.ceil(math_ops.cast(length, dtypes.float64) / num_elements), dtypes.int64
        )
        # Trailing examples without any step get no segment: pad them with length 0.
        n_pad = math_ops.cast(sp_tensor.dense_shape[:1], dtypes.int32) - array_ops.shape(length)
        padding = array_ops.zeros(n_pad, dtype=length.dtype)
        return array_ops.concat([length, padding], axis=0, name=scope)


def _sequence_pair(column, inputs, dense_tensor):
    ids = column.categorical_column._get_sparse_tensors(inputs).id_tensor
    return _SequenceDenseColumn.TensorSequenceLengthPair(
        dense_tensor=dense_tensor, sequence_length=sequence_length_from_sparse_tensor(ids)
    )


def _embed(column, inputs, weights, weight_collections, trainable):
    """The combined embeddings of the column's ids, from `weights` (restored from
    `ckpt_to_load_from` when set)."""
    if column.ckpt_to_load_from is not None:
        to_restore = list(weights) if isinstance(weights, PartitionedVariable) else weights
        checkpoint_utils.init_from_checkpoint(
            column.ckpt_to_load_from, {column.tensor_name_in_ckpt: to_restore}
        )
    pair = column.categorical_column._get_sparse_tensors(
        inputs, weight_collections=weight_collections, trainable=trainable
    )
    return embedding_ops.safe_embedding_lookup_sparse(
        weights,
        pair.id_tensor,
        pair.weight_tensor,
        combiner=column.combiner,
        name=f"{column.name}_weights",
        max_norm=column.max_norm,
    )


class _EmbeddingColumn(
    _DenseColumn,
    _SequenceDenseColumn,
    collections.namedtuple(
        "_EmbeddingColumn",
        ("categorical_column", "dimension", "combiner", "initializer", "ckpt_to_load_from",
         "tensor_name_in_ckpt", "max_norm", "trainable"),
    ),
):  # fmt: skip
    """See `embedding_column`."""

    @property
    def name(self):
        return f"{self.categorical_column.name}_embedding"

    @property
    def _parse_example_spec(self):
        return self.categorical_column._parse_example_spec

    def _transform_feature(self, inputs):
        return inputs.get(self.categorical_column)

    @property
    def _variable_shape(self):
        return tensor_shape.TensorShape([self.dimension])

    def _get_dense_tensor_internal(self, inputs, weight_collections=None, trainable=None):
        weights = variable_scope.get_variable(
            name="embedding_weights",
            shape=(self.categorical_column._num_buckets, self.dimension),
            dtype=dtypes.float32,
            initializer=self.initializer,
            trainable=self.trainable and trainable is not False,
            collections=weight_collections,
        )
        return _embed(self, inputs, weights, weight_collections, trainable)

    def _get_dense_tensor(self, inputs, weight_collections=None, trainable=None):
        _not_sequence("embedding_column", self)
        return self._get_dense_tensor_internal(inputs, weight_collections, trainable)

    def _get_sequence_dense_tensor(self, inputs, weight_collections=None, trainable=None):
        _sequence_only("embedding_column", self)
        dense = self._get_dense_tensor_internal(inputs, weight_collections, trainable)
        return _sequence_pair(self, inputs, dense)


class _SharedEmbeddingColumn(
    _DenseColumn,
    _SequenceDenseColumn,
    collections.namedtuple(
        "_SharedEmbeddingColumn",
        ("categorical_column", "dimension", "combiner", "initializer",
         "shared_embedding_collection_name", "ckpt_to_load_from", "tensor_name_in_ckpt",
         "max_norm", "trainable"),
    ),
):  # fmt: skip
    """See `shared_embedding_columns`."""

    @property
    def name(self):
        return f"{self.categorical_column.name}_shared_embedding"

    @property
    def _var_scope_name(self):
        return self.shared_embedding_collection_name

    @property
    def _parse_example_spec(self):
        return self.categorical_column._parse_example_spec

    def _transform_feature(self, inputs):
        return inputs.get(self.categorical_column)

    @property
    def _variable_shape(self):
        return tensor_shape.TensorShape([self.dimension])

    def _shared_weights(self, weight_collections, trainable):
        """The collection's one embedding variable, made by the first column that asks."""
        shape = (self.categorical_column._num_buckets, self.dimension)
        shared = get_collection(self.shared_embedding_collection_name)
        if not shared:
            weights = variable_scope.get_variable(
                name="embedding_weights",
                shape=shape,
                dtype=dtypes.float32,
                initializer=self.initializer,
                trainable=self.trainable and trainable is not False,
                collections=weight_collections,
            )
            add_to_collection(self.shared_embedding_collection_name, weights)
            return weights
        fix = (
            "Suggested fix A: Choose a unique name for this collection. Suggested fix B: Do not "
            "add any variables to this collection. The feature_column library already adds a "
            "variable under the hood."
        )
        if len(shared) > 1:
            raise ValueError(f"Collection {shared} can only contain one variable. {fix}")
        if tuple(shared[0].get_shape().as_list()) != shape:
            raise ValueError(
                f"Shared embedding collection {self.shared_embedding_collection_name} contains "
                f"variable {shared[0].name} of unexpected shape {shared[0].get_shape()}. "
                f"Expected shape is {shape}. {fix}"
            )
        return shared[0]

    def _get_dense_tensor_internal(self, inputs, weight_collections=None, trainable=None):
        with name_scope(None, default_name=self.name):
            weights = self._shared_weights(weight_collections, trainable)
            return _embed(self, inputs, weights, weight_collections, trainable)

    def _get_dense_tensor(self, inputs, weight_collections=None, trainable=None):
        _not_sequence("embedding_column", self)
        return self._get_dense_tensor_internal(inputs, weight_collections, trainable)

    def _get_sequence_dense_tensor(self, inputs, weight_collections=None, trainable=None):
        _sequence_only("embedding_column", self)
        dense = self._get_dense_tensor_internal(inputs, weight_collections, trainable)
        return _sequence_pair(self, inputs, dense)


class _IndicatorColumn(
    _DenseColumn,
    _SequenceDenseColumn,
    collections.namedtuple("_IndicatorColumn", ["categorical_column"]),
):
    """See `indicator_column`."""

    @property
    def name(self):
        return f"{self.categorical_column.name}_indicator"

    def _transform_feature(self, inputs):
        pair = self.categorical_column._get_sparse_tensors(inputs)
        depth = self.categorical_column._num_buckets
        if pair.weight_tensor is not None:
            merged = sparse_segment_ops.sparse_merge(
                sp_ids=pair.id_tensor, sp_values=pair.weight_tensor, vocab_size=depth
            )
            merged = sparse_ops.sparse_slice(merged, [0, 0], merged.dense_shape)
            return array_ops.scatter_nd(merged.indices, merged.values, merged.dense_shape)
        dense_ids = sparse_ops.sparse_tensor_to_dense(pair.id_tensor, default_value=-1)
        one_hot = array_ops.one_hot(dense_ids, depth=depth, on_value=1.0, off_value=0.0)
        return math_ops.reduce_sum(one_hot, axis=[-2])

    @property
    def _parse_example_spec(self):
        return self.categorical_column._parse_example_spec

    @property
    def _variable_shape(self):
        return tensor_shape.TensorShape([1, self.categorical_column._num_buckets])

    def _get_dense_tensor(self, inputs, weight_collections=None, trainable=None):
        _not_sequence("indicator_column", self)
        return inputs.get(self)

    def _get_sequence_dense_tensor(self, inputs, weight_collections=None, trainable=None):
        _sequence_only("indicator_column", self)
        return _sequence_pair(self, inputs, inputs.get(self))


# -- constructors ----------------------------------------------------------------------------


def _check_shape(shape, key):
    shape = tuple(shape) if isinstance(shape, (list, tuple)) else (shape,)
    for dimension in shape:
        if not isinstance(dimension, int):
            raise TypeError(f"shape dimensions must be integer. shape: {shape}, key: {key}")
        if dimension < 1:
            raise ValueError(f"shape dimensions must be greater than 0. shape: {shape}, key: {key}")
    return shape


def _filled(shape, value):
    return tuple(_filled(shape[1:], value) for _ in range(shape[0])) if shape else value


def _nested_tuple(value, shape):
    """`value` as nested tuples if its nesting matches `shape`, else None."""
    if not shape:
        return None if isinstance(value, (list, tuple)) else value
    if not isinstance(value, (list, tuple)) or len(value) != shape[0]:
        return None
    items = [_nested_tuple(v, shape[1:]) for v in value]
    return None if any(i is None for i in items) else tuple(items)


def _flat(value):
    return [x for v in value for x in _flat(v)] if isinstance(value, tuple) else [value]


def _check_default_value(shape, default_value, dtype, key):
    """`default_value` as nested tuples of `shape`, checked against `dtype` (TF's rules)."""
    if default_value is None:
        return None
    if isinstance(default_value, int) or (isinstance(default_value, float) and dtype.is_floating):
        return _filled(shape, default_value)
    if callable(getattr(default_value, "tolist", None)):
        default_value = default_value.tolist()
    if isinstance(default_value, (list, tuple)):
        value = _nested_tuple(default_value, shape)
        if value is None:
            raise ValueError(
                "The shape of default_value must be equal to given shape. "
                f"default_value: {default_value}, shape: {shape}, key: {key}"
            )
        items = _flat(value)
        if all(isinstance(v, int) for v in items) or dtype.is_floating:
            return value
    raise TypeError(
        "default_value must be compatible with dtype. "
        f"default_value: {default_value}, dtype: {dtype}, key: {key}"
    )


def numeric_column(key, shape=(1,), default_value=None, dtype=dtypes.float32, normalizer_fn=None):
    """Represents real valued or numerical features.

    Example:
      >>> price = numeric_column("price")
      >>> columns = [price, ...]
      >>> features = tf.parse_example(..., features=make_parse_example_spec(columns))
      >>> dense_tensor = input_layer(features, columns)

    Args:
      key: A unique string identifying the input feature. It is used as the column name
        and the dictionary key for feature parsing configs, feature `Tensor` objects, and
        feature columns.
      shape: An iterable of integers specifies the shape of the `Tensor`. An integer can
        be given which means a single dimension `Tensor` with given width.
      default_value: A single value compatible with `dtype` or an iterable of values
        compatible with `dtype` which the column takes on during `tf.Example` parsing if
        data is missing.
      dtype: defines the type of values. Default value is `tf.float32`. Must be a
        non-quantized, real integer or floating point type.
      normalizer_fn: If not `None`, a function that can be used to normalize the value of
        the tensor after `default_value` is applied for parsing.

    Returns:
      A `_NumericColumn`.

    Raises:
      TypeError: if any dimension in shape is not an int, or `default_value` is not
        compatible with `dtype`.
      ValueError: if any dimension in shape is not a positive integer, or `dtype` is not
        convertible to `tf.float32`.
    """
    shape = _check_shape(shape, key)
    dtype = dtypes.as_dtype(dtype)
    if not (dtype.is_integer or dtype.is_floating):
        raise ValueError(f"dtype must be convertible to float. dtype: {dtype}, key: {key}")
    default_value = _check_default_value(shape, default_value, dtype, key)
    if normalizer_fn is not None and not callable(normalizer_fn):
        raise TypeError(f"normalizer_fn must be a callable. Given: {normalizer_fn}")
    assert_key_is_string(key)
    return _NumericColumn(key, shape, default_value, dtype, normalizer_fn)


def bucketized_column(source_column, boundaries):
    """Represents discretized dense input.

    Buckets include the left boundary, and exclude the right boundary: `boundaries=[0., 1.,
    2.]` generates buckets `(-inf, 0.)`, `[0., 1.)`, `[1., 2.)`, and `[2., +inf)`.

    Example:
      >>> price = numeric_column("price")
      >>> bucketized_price = bucketized_column(price, boundaries=[0., 10., 100.])
      >>> dense_tensor = input_layer(features, [bucketized_price])   # one-hot, width 4

    Args:
      source_column: A one-dimensional dense column which is generated with
        `numeric_column`.
      boundaries: A sorted list or tuple of floats specifying the boundaries.

    Returns:
      A `_BucketizedColumn`.

    Raises:
      ValueError: If `source_column` is not a numeric column, or if it is not
        one-dimensional, or if `boundaries` is not a sorted list or tuple.
    """
    if not isinstance(source_column, _NumericColumn):
        raise ValueError(
            "source_column must be a column generated with numeric_column(). "
            f"Given: {source_column}"
        )
    if len(source_column.shape) > 1:
        raise ValueError(f"source_column must be one-dimensional column. Given: {source_column}")
    if not boundaries or not isinstance(boundaries, (list, tuple)):
        raise ValueError("boundaries must be a sorted list.")
    if any(a >= b for a, b in zip(boundaries, boundaries[1:])):
        raise ValueError("boundaries must be a sorted list.")
    return _BucketizedColumn(source_column, tuple(boundaries))


def indicator_column(categorical_column):
    """Represents multi-hot representation of given categorical column.

    Each id of an example counts once in its row (a count if repeated; the weight with
    `weighted_categorical_column`).

    Example:
      >>> name = indicator_column(categorical_column_with_vocabulary_list(
      ...     "name", ["bob", "george", "wanda"]))
      >>> dense_tensor = input_layer(features, [name])   # "bob" -> [1, 0, 0]

    Args:
      categorical_column: A `_CategoricalColumn` which is created by
        `categorical_column_with_*` or `crossed_column` functions.

    Returns:
      An `_IndicatorColumn`.
    """
    return _IndicatorColumn(categorical_column)


def _check_embedding_args(dimension, combiner, initializer, ckpt_to_load_from, tensor_name, what):
    if dimension is None or dimension < 1:
        raise ValueError(f"Invalid dimension {dimension}.")
    if (ckpt_to_load_from is None) != (tensor_name is None):
        raise ValueError(
            "Must specify both `ckpt_to_load_from` and `tensor_name_in_ckpt` or none of them."
        )
    if initializer is not None and not callable(initializer):
        raise ValueError(f"initializer must be callable if specified.{what}")
    if combiner not in ("mean", "sqrtn", "sum"):
        raise ValueError(f"combiner must be one of 'mean', 'sqrtn' or 'sum', got {combiner!r}")
    if initializer is None:
        return init_ops.truncated_normal_initializer(mean=0.0, stddev=1 / math.sqrt(dimension))
    return initializer


def embedding_column(
    categorical_column, dimension, combiner="mean", initializer=None, ckpt_to_load_from=None,
    tensor_name_in_ckpt=None, max_norm=None, trainable=True,
):  # fmt: skip
    """`_DenseColumn` that converts from sparse, categorical input.

    Use this when your inputs are sparse, but you want to convert them to a dense
    representation (e.g., to feed to a DNN). The embedding variable is
    `<scope>/<column name>/embedding_weights`, of shape `[num_buckets, dimension]`.

    Example:
      >>> video_id = categorical_column_with_identity(key="video_id", num_buckets=1000000)
      >>> columns = [embedding_column(video_id, 9), ...]
      >>> dense_tensor = input_layer(features, columns)

    Args:
      categorical_column: A `_CategoricalColumn` created by a `categorical_column_with_*`
        function. This column produces the sparse IDs that are inputs to the embedding
        lookup.
      dimension: An integer specifying dimension of the embedding, must be > 0.
      combiner: A string specifying how to reduce if there are multiple entries in a
        single row. Currently 'mean', 'sqrtn' and 'sum' are supported, with 'mean' the
        default.
      initializer: A variable initializer function to be used in embedding variable
        initialization. If not specified, defaults to `truncated_normal_initializer` with
        mean `0.0` and standard deviation `1/sqrt(dimension)`.
      ckpt_to_load_from: String representing checkpoint name/pattern from which to restore
        column weights. Required if `tensor_name_in_ckpt` is not `None`.
      tensor_name_in_ckpt: Name of the `Tensor` in `ckpt_to_load_from` from which to
        restore the column weights. Required if `ckpt_to_load_from` is not `None`.
      max_norm: If not `None`, embedding values are l2-normalized to this value.
      trainable: Whether or not the embedding is trainable. Default is True.

    Returns:
      `_DenseColumn` that converts from sparse input.

    Raises:
      ValueError: if `dimension` not > 0, if exactly one of `ckpt_to_load_from` and
        `tensor_name_in_ckpt` is specified, or if `initializer` is specified and is not
        callable.
    """
    what = f" Embedding of column_name: {categorical_column.name}"
    initializer = _check_embedding_args(
        dimension, combiner, initializer, ckpt_to_load_from, tensor_name_in_ckpt, what
    )
    return _EmbeddingColumn(
        categorical_column=categorical_column,
        dimension=dimension,
        combiner=combiner,
        initializer=initializer,
        ckpt_to_load_from=ckpt_to_load_from,
        tensor_name_in_ckpt=tensor_name_in_ckpt,
        max_norm=max_norm,
        trainable=trainable,
    )


def shared_embedding_columns(
    categorical_columns, dimension, combiner="mean", initializer=None,
    shared_embedding_collection_name=None, ckpt_to_load_from=None, tensor_name_in_ckpt=None,
    max_norm=None, trainable=True,
):  # fmt: skip
    """List of dense columns that convert from sparse, categorical input.

    Like `embedding_column`, except that the columns share one embedding variable,
    `<scope>/<shared_embedding_collection_name>/embedding_weights`, kept in the graph
    collection of that name. The categorical columns must have the same number of buckets.

    Example:
      >>> watched = categorical_column_with_identity("watched_video_id", 1000000)
      >>> impression = categorical_column_with_identity("impression_video_id", 1000000)
      >>> columns = shared_embedding_columns([watched, impression], dimension=10)
      >>> dense_tensor = input_layer(features, columns)

    Args:
      categorical_columns: List of categorical columns created by a
        `categorical_column_with_*` function, with the same number of buckets.
      dimension: An integer specifying dimension of the embedding, must be > 0.
      combiner: 'mean' (default), 'sqrtn' or 'sum': how to reduce the entries of a row.
      initializer: A variable initializer function (default: truncated normal with
        standard deviation `1/sqrt(dimension)`).
      shared_embedding_collection_name: Optional name of the collection where shared
        embedding weights are added (default: the sorted column names joined by '_',
        with '_shared_embedding').
      ckpt_to_load_from: String representing checkpoint name/pattern from which to restore
        column weights. Required if `tensor_name_in_ckpt` is not `None`.
      tensor_name_in_ckpt: Name of the `Tensor` in `ckpt_to_load_from` from which to
        restore the column weights. Required if `ckpt_to_load_from` is not `None`.
      max_norm: If not `None`, each embedding is clipped if its l2-norm is larger than
        this value, before combining.
      trainable: Whether or not the embedding is trainable. Default is True.

    Returns:
      A list of dense columns that converts from sparse input, in the order of
      `categorical_columns`.

    Raises:
      ValueError: if `dimension` not > 0, the columns are not categorical, of different
        types (or sequence kinds) or bucket counts, or the checkpoint or initializer
        arguments are invalid.
    """
    initializer = _check_embedding_args(
        dimension, combiner, initializer, ckpt_to_load_from, tensor_name_in_ckpt,
        "",
    )  # fmt: skip
    _check_shareable(categorical_columns)
    if not shared_embedding_collection_name:
        names = sorted(c.name for c in categorical_columns)
        shared_embedding_collection_name = "_".join(names) + "_shared_embedding"
    return [
        _SharedEmbeddingColumn(
            categorical_column=c,
            dimension=dimension,
            combiner=combiner,
            initializer=initializer,
            shared_embedding_collection_name=shared_embedding_collection_name,
            ckpt_to_load_from=ckpt_to_load_from,
            tensor_name_in_ckpt=tensor_name_in_ckpt,
            max_norm=max_norm,
            trainable=trainable,
        )
        for c in categorical_columns
    ]


def _unwrapped(column):
    while isinstance(column, (_WeightedCategoricalColumn, _SequenceCategoricalColumn)):
        column = column.categorical_column
    return column


def _check_shareable(categorical_columns):
    """TF's checks: categorical columns of one type (under weights or sequences) and one
    bucket count."""
    columns = sorted(categorical_columns, key=lambda x: x.name)
    first = columns[0]
    if not isinstance(first, _CategoricalColumn):
        raise ValueError(
            "All categorical_columns must be subclasses of _CategoricalColumn. "
            f"Given: {first}, of type: {type(first)}"
        )
    num_buckets, first = first._num_buckets, _unwrapped(first)
    for c in map(_unwrapped, columns[1:]):
        if not isinstance(c, type(first)):
            raise ValueError(
                "To use shared_embedding_column, all categorical_columns must have the same "
                "type, or be weighted_categorical_column or sequence column of the same type. "
                f"Given column: {first} of type: {type(first)} does not match given column: "
                f"{c} of type: {type(c)}"
            )
        if num_buckets != c._num_buckets:
            raise ValueError(
                "To use shared_embedding_column, all categorical_columns must have the same "
                f"number of buckets. Given column: {first} with buckets: {num_buckets} does "
                f"not match column: {c} with buckets: {c._num_buckets}"
            )
