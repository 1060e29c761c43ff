"""`tf.estimator.DNNLinearCombinedClassifier`: a linear model and a DNN whose logits are
summed ("wide & deep"), each trained by its own optimizer, with TF 1.15's head."""

from __future__ import annotations

import math

from flowgraph.estimator.canned import dnn, head as head_lib, linear, optimizers
from flowgraph.estimator.estimator import Estimator
from flowgraph.framework.ops import GraphKeys
from flowgraph.framework.scopes import control_dependencies, get_collection
from flowgraph.ops import (
    control_flow_ops,
    losses_impl,
    nn_ops,
    partitioned_variables,
    state_ops,
    variable_scope,
)
from flowgraph.train import training_util

_DNN_LEARNING_RATE = 0.001
_LINEAR_LEARNING_RATE = 0.005


def _linear_learning_rate(num_linear_feature_columns):
    """The default learning rate of the linear model: min(0.005, 1/sqrt(#columns))."""
    return min(_LINEAR_LEARNING_RATE, 1.0 / math.sqrt(num_linear_feature_columns))


def _validate_feature_columns(linear_feature_columns, dnn_feature_columns):
    feature_columns = list(linear_feature_columns or []) + list(dnn_feature_columns or [])
    if not feature_columns:
        raise ValueError("Either linear_feature_columns or dnn_feature_columns must be defined.")
    return feature_columns


def _dnn_logits(
    features,
    mode,
    head,
    columns,
    optimizer,
    hidden_units,
    activation_fn,
    dropout,
    batch_norm,
    num_ps_replicas,
    input_layer_partitioner,
):
    optimizer = optimizers.get_optimizer_instance(optimizer, learning_rate=_DNN_LEARNING_RATE)
    if not hidden_units:
        raise ValueError("dnn_hidden_units must be defined when dnn_feature_columns is specified.")
    partitioner = partitioned_variables.min_max_variable_partitioner(max_partitions=num_ps_replicas)
    with variable_scope.variable_scope(
        "dnn", values=tuple(features.values()), partitioner=partitioner
    ) as scope:
        logit_fn = dnn.dnn_logit_fn_builder(
            head.logits_dimension,
            hidden_units,
            columns,
            activation_fn,
            dropout,
            input_layer_partitioner,
            batch_norm,
        )
        return logit_fn(features=features, mode=mode), optimizer, scope.name


def _linear_logits(features, head, columns, optimizer, sparse_combiner, partitioner):
    optimizer = optimizers.get_optimizer_instance(
        optimizer, learning_rate=_linear_learning_rate(len(columns))
    )
    with variable_scope.variable_scope(
        "linear", values=tuple(features.values()), partitioner=partitioner
    ) as scope:
        logit_fn = linear.linear_logit_fn_builder(head.logits_dimension, columns, sparse_combiner)
        logits = logit_fn(features=features)
        dnn._add_hidden_layer_summary(logits, scope.name)
        return logits, optimizer, scope.name


def _dnn_linear_combined_model_fn(
    features,
    labels,
    mode,
    head,
    linear_feature_columns=None,
    linear_optimizer="Ftrl",
    dnn_feature_columns=None,
    dnn_optimizer="Adagrad",
    dnn_hidden_units=None,
    dnn_activation_fn=nn_ops.relu,
    dnn_dropout=None,
    input_layer_partitioner=None,
    config=None,
    batch_norm=False,
    linear_sparse_combiner="sum",
):
    """Deep Neural Net and Linear combined model_fn."""
    if not isinstance(features, dict):
        raise ValueError(
            f"features should be a dictionary of `Tensor`s. Given type: {type(features)}"
        )
    _validate_feature_columns(linear_feature_columns, dnn_feature_columns)
    num_ps_replicas = config.num_ps_replicas if config else 0
    input_layer_partitioner = input_layer_partitioner or (
        partitioned_variables.min_max_variable_partitioner(
            max_partitions=num_ps_replicas, min_slice_size=64 << 20
        )
    )
    parts = []
    if dnn_feature_columns:
        parts.append(
            _dnn_logits(
                features,
                mode,
                head,
                dnn_feature_columns,
                dnn_optimizer,
                dnn_hidden_units,
                dnn_activation_fn,
                dnn_dropout,
                batch_norm,
                num_ps_replicas,
                input_layer_partitioner,
            )
        )
    if linear_feature_columns:
        parts.append(
            _linear_logits(
                features,
                head,
                linear_feature_columns,
                linear_optimizer,
                linear_sparse_combiner,
                input_layer_partitioner,
            )
        )
    logits = parts[0][0] if len(parts) == 1 else parts[0][0] + parts[1][0]

    def _train_op_fn(loss):
        train_ops = [
            optimizer.minimize(
                loss, var_list=get_collection(GraphKeys.TRAINABLE_VARIABLES, scope=scope)
            )
            for _, optimizer, scope in parts
        ]
        with control_dependencies([control_flow_ops.group(*train_ops)]):
            return state_ops.assign_add(training_util.get_global_step(), 1).op

    return head.create_estimator_spec(
        features=features, mode=mode, labels=labels, train_op_fn=_train_op_fn, logits=logits
    )


class DNNLinearCombinedClassifier(Estimator):
    """An estimator for TensorFlow Linear and DNN joined classification models.

    Example:
      >>> estimator = tf.estimator.DNNLinearCombinedClassifier(
      ...     linear_feature_columns=[category_x_category],
      ...     dnn_feature_columns=[numeric_feature, category_embedding],
      ...     dnn_hidden_units=[1000, 500, 100])
      >>> estimator.train(input_fn=input_fn_train)

    Loss is calculated by using softmax cross entropy (sigmoid for two classes), summed
    over the batch.

    Args:
      model_dir: Directory to save model parameters, graph and etc.
      linear_feature_columns: An iterable containing all the feature columns used by
        linear part of the model.
      linear_optimizer: An `Optimizer`, string or callable for the linear part.
        Defaults to FTRL optimizer.
      dnn_feature_columns: An iterable containing all the feature columns used by deep
        part of the model.
      dnn_optimizer: An `Optimizer`, string or callable for the deep part. Defaults to
        Adagrad optimizer.
      dnn_hidden_units: List of hidden units per layer.
      dnn_activation_fn: Activation function applied to each layer. Defaults to `relu`.
      dnn_dropout: When not None, the probability we will drop out a given coordinate.
      n_classes: Number of label classes. Defaults to 2, namely binary classification.
      weight_column: A string or a `_NumericColumn` defining the example weights.
      label_vocabulary: A list of strings represents possible label values.
      input_layer_partitioner: Partitioner for input layer.
      config: RunConfig object to configure the runtime settings.
      warm_start_from: A checkpoint path or a `WarmStartSettings`.
      loss_reduction: One of `tf.losses.Reduction` except `NONE`. Defaults to `SUM`.
      batch_norm: Whether to use batch normalization after each hidden layer.
      linear_sparse_combiner: A string specifying how to reduce the linear model if a
        categorical column is multivalent. One of "mean", "sqrtn", and "sum".

    Raises:
      ValueError: If both linear_feature_columns and dnn_features_columns are empty at
        the same time.
    """

    def __init__(
        self,
        model_dir=None,
        linear_feature_columns=None,
        linear_optimizer="Ftrl",
        dnn_feature_columns=None,
        dnn_optimizer="Adagrad",
        dnn_hidden_units=None,
        dnn_activation_fn=nn_ops.relu,
        dnn_dropout=None,
        n_classes=2,
        weight_column=None,
        label_vocabulary=None,
        input_layer_partitioner=None,
        config=None,
        warm_start_from=None,
        loss_reduction=losses_impl.Reduction.SUM,
        batch_norm=False,
        linear_sparse_combiner="sum",
    ):
        self._feature_columns = _validate_feature_columns(
            linear_feature_columns, dnn_feature_columns
        )
        head = head_lib._binary_logistic_or_multi_class_head(
            n_classes, weight_column, label_vocabulary, loss_reduction
        )

        def _model_fn(features, labels, mode, config):
            return _dnn_linear_combined_model_fn(
                features,
                labels,
                mode,
                head,
                linear_feature_columns,
                linear_optimizer,
                dnn_feature_columns,
                dnn_optimizer,
                dnn_hidden_units,
                dnn_activation_fn,
                dnn_dropout,
                input_layer_partitioner,
                config,
                batch_norm,
                linear_sparse_combiner,
            )

        super().__init__(
            _model_fn, model_dir=model_dir, config=config, warm_start_from=warm_start_from
        )
