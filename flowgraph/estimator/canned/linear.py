"""`tf.estimator.LinearClassifier` and `LinearRegressor`: linear models over feature columns
(`tf.feature_column.linear_model`, variables `linear/linear_model/<column>/weights` and
`linear/linear_model/bias_weights`) with TF 1.15's heads."""

from __future__ import annotations

import math

from flowgraph.estimator.canned import head as head_lib, optimizers
from flowgraph.estimator.estimator import Estimator
from flowgraph.feature_column.feature_column import linear_model
from flowgraph.framework import dtypes
from flowgraph.framework.scopes import name_scope
from flowgraph.ops import (
    array_ops,
    losses_impl,
    math_ops,
    nn_impl,
    partitioned_variables,
    summary_ops,
    variable_scope,
)
from flowgraph.train.ftrl import FtrlOptimizer

_LEARNING_RATE = 0.2


def _get_default_optimizer(feature_columns):
    learning_rate = min(_LEARNING_RATE, 1.0 / math.sqrt(len(feature_columns)))
    return FtrlOptimizer(learning_rate=learning_rate)


def _compute_fraction_of_zero(variables):
    """The fraction of zero weights (the sparsity) of the linear model."""
    with name_scope("zero_fraction"):
        variables = [v for v in variables if v.shape.num_elements()]
        with name_scope("total_size"):
            sizes = [array_ops.size(v, out_type=dtypes.int64) for v in variables]
            total_size = math_ops.add_n(sizes)
        with name_scope("total_zero"):
            total_zero = math_ops.add_n(
                [nn_impl.zero_fraction(v) * math_ops.to_float(s) for v, s in zip(variables, sizes)]
            )
        with name_scope("compute"):
            size = math_ops.cast(total_size, dtype=dtypes.float32, name="float32_size")
            fraction = total_zero / size
        return array_ops.identity(fraction, name="zero_fraction_or_nan")


def linear_logit_fn_builder(units, feature_columns, sparse_combiner="sum"):
    """Function builder for a linear logit_fn `(features) -> logits`.

    Args:
      units: An int indicating the dimension of the logit layer.
      feature_columns: An iterable containing all the feature columns used by the model.
      sparse_combiner: A string specifying how to reduce if a categorical column is
        multivalent. One of "mean", "sqrtn", and "sum".

    Returns:
      A logit_fn.
    """

    def linear_logit_fn(features):
        cols_to_vars = {}
        logits = linear_model(
            features,
            feature_columns,
            units=units,
            sparse_combiner=sparse_combiner,
            cols_to_vars=cols_to_vars,
        )
        bias = cols_to_vars.pop("bias")
        variables = [part for parts in cols_to_vars.values() for part in parts]
        if units > 1:
            summary_ops.histogram("bias", array_ops.concat(bias, axis=0))
        else:
            summary_ops.scalar("bias", bias[0][0])
        summary_ops.scalar("fraction_of_zero_weights", _compute_fraction_of_zero(variables))
        return logits

    return linear_logit_fn


def _linear_model_fn(
    features,
    labels,
    mode,
    head,
    feature_columns,
    optimizer,
    partitioner,
    config,
    sparse_combiner="sum",
):
    """A model_fn for linear models that use a gradient-based optimizer."""
    if not isinstance(features, dict):
        raise ValueError(
            f"features should be a dictionary of `Tensor`s. Given type: {type(features)}"
        )
    num_ps_replicas = config.num_ps_replicas if config else 0
    partitioner = partitioner or partitioned_variables.min_max_variable_partitioner(
        max_partitions=num_ps_replicas, min_slice_size=64 << 20
    )
    with variable_scope.variable_scope(
        "linear", values=tuple(features.values()), partitioner=partitioner
    ):
        logit_fn = linear_logit_fn_builder(head.logits_dimension, feature_columns, sparse_combiner)
        logits = logit_fn(features=features)
        optimizer = optimizers.get_optimizer_instance(
            optimizer or _get_default_optimizer(feature_columns), learning_rate=_LEARNING_RATE
        )
        return head.create_estimator_spec(
            features=features, mode=mode, labels=labels, optimizer=optimizer, logits=logits
        )


class LinearClassifier(Estimator):
    """Linear classifier model.

    Train a linear model to classify instances into one of multiple possible classes.
    When number of possible classes is 2, this is binary classification.

    Example:
      >>> estimator = tf.estimator.LinearClassifier(
      ...     feature_columns=[categorical_column_a, crossed_column_a_x_b])
      >>> estimator.train(input_fn=input_fn_train)

    Args:
      feature_columns: An iterable containing all the feature columns used by the model.
      model_dir: Directory to save model parameters, graph and etc.
      n_classes: number of label classes. Default is binary classification.
      weight_column: A string or a `_NumericColumn` defining the example weights.
      label_vocabulary: A list of strings represents possible label values.
      optimizer: An `Optimizer`, a string or a callable. Defaults to FTRL optimizer
        (learning rate 0.2).
      config: `RunConfig` object to configure the runtime settings.
      partitioner: Optional. Partitioner for input layer.
      warm_start_from: A checkpoint path or a `WarmStartSettings`.
      loss_reduction: One of `tf.losses.Reduction` except `NONE`. Defaults to `SUM`.
      sparse_combiner: A string specifying how to reduce if a categorical column is
        multivalent. One of "mean", "sqrtn", and "sum".
    """

    def __init__(
        self,
        feature_columns,
        model_dir=None,
        n_classes=2,
        weight_column=None,
        label_vocabulary=None,
        optimizer="Ftrl",
        config=None,
        partitioner=None,
        warm_start_from=None,
        loss_reduction=losses_impl.Reduction.SUM,
        sparse_combiner="sum",
    ):
        head = head_lib._binary_logistic_or_multi_class_head(
            n_classes, weight_column, label_vocabulary, loss_reduction
        )

        def _model_fn(features, labels, mode, config):
            return _linear_model_fn(
                features,
                labels,
                mode,
                head,
                tuple(feature_columns or []),
                optimizer,
                partitioner,
                config,
                sparse_combiner,
            )

        super().__init__(
            _model_fn, model_dir=model_dir, config=config, warm_start_from=warm_start_from
        )


class LinearRegressor(Estimator):
    """An estimator for TensorFlow Linear regression problems.

    Train a linear regression model to predict label value given observation of feature
    values. Loss is calculated by using mean squared error, summed over the batch.

    Args:
      feature_columns: An iterable containing all the feature columns used by the model.
      model_dir: Directory to save model parameters, graph and etc.
      label_dimension: Number of regression targets per example.
      weight_column: A string or a `_NumericColumn` defining the example weights.
      optimizer: An `Optimizer`, a string or a callable. Defaults to FTRL optimizer.
      config: `RunConfig` object to configure the runtime settings.
      partitioner: Optional. Partitioner for input layer.
      warm_start_from: A checkpoint path or a `WarmStartSettings`.
      loss_reduction: One of `tf.losses.Reduction` except `NONE`. Defaults to `SUM`.
      sparse_combiner: A string specifying how to reduce if a categorical column is
        multivalent. One of "mean", "sqrtn", and "sum".
    """

    def __init__(
        self,
        feature_columns,
        model_dir=None,
        label_dimension=1,
        weight_column=None,
        optimizer="Ftrl",
        config=None,
        partitioner=None,
        warm_start_from=None,
        loss_reduction=losses_impl.Reduction.SUM,
        sparse_combiner="sum",
    ):
        head = head_lib._regression_head(
            label_dimension=label_dimension,
            weight_column=weight_column,
            loss_reduction=loss_reduction,
        )

        def _model_fn(features, labels, mode, config):
            return _linear_model_fn(
                features,
                labels,
                mode,
                head,
                tuple(feature_columns or []),
                optimizer,
                partitioner,
                config,
                sparse_combiner,
            )

        super().__init__(
            _model_fn, model_dir=model_dir, config=config, warm_start_from=warm_start_from
        )
