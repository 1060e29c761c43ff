"""`input_layer`, `linear_model` and `make_parse_example_spec`: models over feature columns."""

from __future__ import annotations

from flowgraph.feature_column.base import (
    _CategoricalColumn,
    _DenseColumn,
    _FeatureColumn,
    _LazyBuilder,
    normalize_feature_columns,
)
from flowgraph.framework import dtypes
from flowgraph.framework.ops import GraphKeys
from flowgraph.framework.scopes import get_collection, name_scope
from flowgraph.ops import (
    array_ops,
    constant_op,
    embedding_ops,
    init_ops,
    math_ops,
    nn_ops,
    sparse_ops,
    variable_scope,
)
from flowgraph.ops.partitioned_variables import PartitionedVariable


def _with_model_collections(weight_collections):
    collections = list(weight_collections or [])
    for key in (GraphKeys.GLOBAL_VARIABLES, GraphKeys.MODEL_VARIABLES):
        if key not in collections:
            collections.append(key)
    return collections


def _flat_dense_tensor(column, builder, weight_collections, trainable):
    """The column's dense tensor reshaped to [batch_size, elements per example]."""
    tensor = column._get_dense_tensor(
        builder, weight_collections=weight_collections, trainable=trainable
    )
    num_elements = column._variable_shape.num_elements()
    batch_size = array_ops.shape(tensor)[0]
    return array_ops.reshape(tensor, shape=array_ops.stack([batch_size, num_elements]))


def _scope_variables():
    return get_collection(
        GraphKeys.GLOBAL_VARIABLES, scope=variable_scope.get_variable_scope().name
    )


def input_layer(
    features, feature_columns, weight_collections=None, trainable=True, cols_to_vars=None,
    cols_to_output_tensors=None,
):  # fmt: skip
    """Returns a dense `Tensor` as input layer based on given `feature_columns`.

    Generally a single example in training data is described with FeatureColumns. At the
    first layer of the model, this column oriented data should be converted to a single
    `Tensor`: each column's dense tensor, flattened per example, concatenated in the
    order of the columns' names.

    Example:
      >>> price = numeric_column("price")
      >>> keywords_embedded = embedding_column(
      ...     categorical_column_with_hash_bucket("keywords", 10000), dimension=16)
      >>> columns = [price, keywords_embedded]
      >>> features = tf.parse_example(..., features=make_parse_example_spec(columns))
      >>> dense_tensor = input_layer(features, columns)   # [batch_size, 17]

    Args:
      features: A mapping from key to tensors. `_FeatureColumn`s look up via these keys.
        Values can be a `SparseTensor` or a `Tensor` depending on the column.
      feature_columns: An iterable containing the FeatureColumns to use as inputs to your
        model. All items should be instances of classes derived from `_DenseColumn` such
        as `numeric_column`, `embedding_column`, `bucketized_column`, `indicator_column`.
      weight_collections: A list of collection names to which the Variable will be added.
        Note that variables will also be added to collections
        `tf.GraphKeys.GLOBAL_VARIABLES` and `ops.GraphKeys.MODEL_VARIABLES`.
      trainable: If `True` also add the variable to the graph collection
        `GraphKeys.TRAINABLE_VARIABLES` (see `tf.Variable`).
      cols_to_vars: If not `None`, must be a dictionary that will be filled with a mapping
        from `_FeatureColumn` to list of `Variable`s.
      cols_to_output_tensors: If not `None`, must be a dictionary that will be filled with
        a mapping from '_FeatureColumn' to the associated output `Tensor`s.

    Returns:
      A `Tensor` which represents input layer of a model. Its shape is (batch_size,
      first_layer_dimension) and its dtype is `float32`.

    Raises:
      ValueError: if an item in `feature_columns` is not a `_DenseColumn`.
    """
    feature_columns = normalize_feature_columns(feature_columns)
    for column in feature_columns:
        if not isinstance(column, _DenseColumn):
            raise ValueError(
                "Items of feature_columns must be a _DenseColumn. You can wrap a categorical "
                f"column with an embedding_column or indicator_column. Given: {column}"
            )
    weight_collections = _with_model_collections(weight_collections)
    with variable_scope.variable_scope(
        None, default_name="input_layer", values=list(features.values())
    ):
        builder = _LazyBuilder(features)
        outputs, ordered = [], sorted(feature_columns, key=lambda x: x.name)
        for column in ordered:
            with variable_scope.variable_scope(None, default_name=column._var_scope_name):
                output = _flat_dense_tensor(column, builder, weight_collections, trainable)
                outputs.append(output)
                if cols_to_vars is not None:
                    cols_to_vars[column] = _scope_variables()
                if cols_to_output_tensors is not None:
                    cols_to_output_tensors[column] = output
        _verify_static_batch_size_equality(outputs, ordered)
        return array_ops.concat(outputs, 1)


def _flat_per_example(sp):
    """`sp` reshaped to [batch_size, everything else]."""
    shape = array_ops.concat([sp.dense_shape[:1], constant_op.constant([-1], dtypes.int64)], 0)
    return sparse_ops.sparse_reshape(sp, shape)


def _categorical_weighted_sum(column, builder, units, sparse_combiner, collections, trainable):
    """A categorical column's ids times its weights: TF's sparse lookup, `sparse_combiner`
    combining each example's ids (its indicator vector times the weights)."""
    pair = column._get_sparse_tensors(builder, weight_collections=collections, trainable=trainable)
    ids, weights = _flat_per_example(pair.id_tensor), pair.weight_tensor
    if weights is not None:
        weights = _flat_per_example(weights)
    variable = variable_scope.get_variable(
        name="weights",
        shape=(column._num_buckets, units),
        initializer=init_ops.zeros_initializer(),
        trainable=trainable,
        collections=collections,
    )
    return embedding_ops.safe_embedding_lookup_sparse(
        variable, ids, sparse_weights=weights, combiner=sparse_combiner, name="weighted_sum"
    )


def _dense_weighted_sum(column, builder, units, collections, trainable):
    tensor = _flat_dense_tensor(column, builder, collections, trainable)
    variable = variable_scope.get_variable(
        name="weights",
        shape=[column._variable_shape.num_elements(), units],
        initializer=init_ops.zeros_initializer(),
        trainable=trainable,
        collections=collections,
    )
    return math_ops.matmul(tensor, variable, name="weighted_sum")


def _weighted_sum(column, builder, units, sparse_combiner, collections, trainable):
    if isinstance(column, _CategoricalColumn):
        return _categorical_weighted_sum(
            column, builder, units, sparse_combiner, collections, trainable
        )
    return _dense_weighted_sum(column, builder, units, collections, trainable)


def _reserve_scope_names(default_names):
    """A unique variable-scope name for each default name, taken in the current scope.

    TF's `_LinearModel` names itself and its columns' layers there before it builds them
    (inside its own scope), so a second model's weights are `linear_model_1/<column>_1/...`.
    """
    names = []
    for default_name in default_names:
        with variable_scope.variable_scope(None, default_name=default_name) as scope:
            names.append(scope.name.rsplit("/", 1)[-1])
    return names


def linear_model(
    features, feature_columns, units=1, sparse_combiner="sum", weight_collections=None,
    trainable=True, cols_to_vars=None,
):  # fmt: skip
    """Returns a linear prediction `Tensor` based on given `feature_columns`.

    This function generates a weighted sum based on output dimension `units`. Weighted sum
    refers to logits in classification problems. It refers to the prediction itself for
    linear regression problems. Categorical columns count as their `indicator_column`s;
    each column's weights are `linear_model/<column name>/weights` (zeros initially) and
    the bias `linear_model/bias_weights`.

    Example:
      >>> price = numeric_column("price")
      >>> price_buckets = bucketized_column(price, boundaries=[0., 10., 100., 1000.])
      >>> keywords = categorical_column_with_hash_bucket("keywords", 10000)
      >>> keywords_price = crossed_column([keywords, price_buckets], 1000)
      >>> columns = [price_buckets, keywords, keywords_price]
      >>> features = tf.parse_example(..., features=make_parse_example_spec(columns))
      >>> prediction = linear_model(features, columns)

    Args:
      features: A mapping from key to tensors. `_FeatureColumn`s look up via these keys.
      feature_columns: An iterable containing the FeatureColumns to use as inputs to your
        model. All items should be instances of classes derived from `_FeatureColumn`s.
      units: An integer, dimensionality of the output space. Default value is 1.
      sparse_combiner: A string specifying how to reduce if a categorical column is
        multivalent. "mean", "sqrtn" and "sum" are supported, with "sum" the default.
      weight_collections: A list of collection names to which the Variable will be added.
        Note that, variables will also be added to collections
        `tf.GraphKeys.GLOBAL_VARIABLES` and `ops.GraphKeys.MODEL_VARIABLES`.
      trainable: If `True` also add the variable to the graph collection
        `GraphKeys.TRAINABLE_VARIABLES` (see `tf.Variable`).
      cols_to_vars: If not `None`, must be a dictionary that will be filled with a mapping
        from `_FeatureColumn` to associated list of `Variable`s, and 'bias' to the bias.

    Returns:
      A `Tensor` which represents predictions/logits of a linear model. Its shape is
      (batch_size, units) and its dtype is `float32`.

    Raises:
      ValueError: if an item in `feature_columns` is neither a `_DenseColumn` nor
        `_CategoricalColumn`.
    """
    feature_columns = normalize_feature_columns(feature_columns)
    for column in feature_columns:
        if not isinstance(column, (_DenseColumn, _CategoricalColumn)):
            raise ValueError(
                "Items of feature_columns must be either a _DenseColumn or _CategoricalColumn. "
                f"Given: {column}"
            )
    collections = _with_model_collections(weight_collections)
    (model_name,) = _reserve_scope_names(["linear_model"])
    ordered = sorted(feature_columns, key=lambda x: x.name)
    column_names = _reserve_scope_names([c._var_scope_name for c in ordered])
    with variable_scope.variable_scope(model_name, values=list(features.values())):
        builder, sums = _LazyBuilder(features), []
        for column, scope_name in zip(ordered, column_names):
            with variable_scope.variable_scope(scope_name):
                sums.append(
                    _weighted_sum(column, builder, units, sparse_combiner, collections, trainable)
                )
                if cols_to_vars is not None:
                    cols_to_vars[column] = _scope_variables()
        _verify_static_batch_size_equality(sums, ordered)
        no_bias = math_ops.add_n(sums, name="weighted_sum_no_bias")
        bias = variable_scope.get_variable(
            "bias_weights",
            shape=[units],
            initializer=init_ops.zeros_initializer(),
            trainable=trainable,
            collections=collections,
        )
        if cols_to_vars is not None:
            cols_to_vars["bias"] = list(bias) if isinstance(bias, PartitionedVariable) else [bias]
        return nn_ops.bias_add(no_bias, bias, name="weighted_sum")


def _verify_static_batch_size_equality(tensors, columns):
    expected, first = None, None
    for tensor, column in zip(tensors, columns):
        size = tensor.shape.dims[0] if tensor.shape.dims else None
        if size is None or getattr(size, "value", size) is None:
            continue
        if expected is None:
            expected, first = size, column
        elif not expected.is_compatible_with(size):
            raise ValueError(
                "Batch size (first dimension) of each feature must be same. Batch size of "
                f"columns ({first.name}, {column.name}): ({expected}, {size})"
            )


def _transform_features(features, feature_columns):
    """Returns transformed features based on features columns passed in (a dict from each
    column to its `Tensor` or `SparseTensor`)."""
    feature_columns = normalize_feature_columns(feature_columns)
    outputs = {}
    with name_scope(None, default_name="transform_features", values=list(features.values())):
        builder = _LazyBuilder(features)
        for column in sorted(feature_columns, key=lambda x: x.name):
            with name_scope(None, default_name=column.name):
                outputs[column] = builder.get(column)
    return outputs


def make_parse_example_spec(feature_columns):
    """Creates parsing spec dictionary from input feature_columns.

    The returned dictionary can be used as arg 'features' in `tf.parse_example`.

    Example:
      >>> feature_columns = [numeric_column("feature_b"), embedding_column(
      ...     categorical_column_with_hash_bucket("feature_a", 100), dimension=8)]
      >>> features = tf.parse_example(serialized, make_parse_example_spec(feature_columns))
      >>> # {"feature_a": VarLenFeature(tf.string),
      >>> #  "feature_b": FixedLenFeature([1], dtype=tf.float32)}

    Args:
      feature_columns: An iterable containing all feature columns. All items should be
        instances of classes derived from `_FeatureColumn`.

    Returns:
      A dict mapping each feature key to a `FixedLenFeature` or `VarLenFeature` value.

    Raises:
      ValueError: If any of the given `feature_columns` is not a `_FeatureColumn` instance,
        or two columns want different specs for one key.
    """
    result = {}
    for column in feature_columns:
        if not isinstance(column, _FeatureColumn):
            raise ValueError(
                f"All feature_columns must be _FeatureColumn instances. Given: {column}"
            )
        config = column._parse_example_spec
        for key, value in config.items():
            if key in result and value != result[key]:
                raise ValueError(
                    f"feature_columns contain different parse_spec for key {key}. Given "
                    f"{value} and {result[key]}"
                )
        result.update(config)
    return result
