"""`tf.estimator.DNNClassifier` and `DNNRegressor`: feed-forward networks over feature
columns with TF 1.15's variable names (`dnn/hiddenlayer_<i>/kernel`, `dnn/logits/...`,
`dnn/input_from_feature_columns/input_layer/...`) and heads."""

from __future__ import annotations

from flowgraph.estimator.canned import head as head_lib, optimizers
from flowgraph.estimator.estimator import Estimator
from flowgraph.estimator.mode_keys import ModeKeys
from flowgraph.feature_column.feature_column import input_layer
from flowgraph.layers import core as core_layers, normalization
from flowgraph.ops import (
    init_ops,
    losses_impl,
    nn_impl,
    nn_ops,
    partitioned_variables,
    summary_ops,
    variable_scope,
)

_LEARNING_RATE = 0.05


def _add_hidden_layer_summary(value, tag):
    summary_ops.scalar(f"{tag}/fraction_of_zero_values", nn_impl.zero_fraction(value))
    summary_ops.histogram(f"{tag}/activation", value)


def dnn_logit_fn_builder(
    units,
    hidden_units,
    feature_columns,
    activation_fn,
    dropout,
    input_layer_partitioner,
    batch_norm,
):
    """Function builder for a dnn logit_fn `(features, mode) -> logits`.

    Args:
      units: An int indicating the dimension of the logit layer.
      hidden_units: Iterable of integer number of hidden units per layer.
      feature_columns: Iterable of `feature_column._FeatureColumn` model inputs.
      activation_fn: Activation function applied to each layer.
      dropout: When not `None`, the probability we will drop out a given coordinate.
      input_layer_partitioner: Partitioner for input layer.
      batch_norm: Whether to use batch normalization after each hidden layer.

    Returns:
      A logit_fn.

    Raises:
      ValueError: If units is not an int.
    """
    if not isinstance(units, int):
        raise ValueError(f"units must be an int.  Given type: {type(units)}")

    def dnn_logit_fn(features, mode):
        is_training = mode == ModeKeys.TRAIN
        with variable_scope.variable_scope(
            "input_from_feature_columns", partitioner=input_layer_partitioner
        ):
            net = input_layer(features, feature_columns)
        for layer_id, num_hidden_units in enumerate(hidden_units):
            with variable_scope.variable_scope(f"hiddenlayer_{layer_id}") as scope:
                net = _dense(net, num_hidden_units, activation_fn, scope)
                if dropout is not None and is_training:
                    net = core_layers.dropout(net, rate=dropout, training=True)
                if batch_norm:
                    net = normalization.batch_normalization(
                        net, momentum=0.999, training=is_training, name=f"batchnorm_{layer_id}"
                    )
            _add_hidden_layer_summary(net, scope.name)
        with variable_scope.variable_scope("logits") as scope:
            logits = _dense(net, units, None, scope)
        _add_hidden_layer_summary(logits, scope.name)
        return logits

    return dnn_logit_fn


def _dense(net, units, activation, scope):
    return core_layers.dense(
        net,
        units=units,
        activation=activation,
        kernel_initializer=init_ops.glorot_uniform_initializer(),
        name=scope,
    )


def _validate_features(features):
    if not isinstance(features, dict):
        raise ValueError(
            f"features should be a dictionary of `Tensor`s. Given type: {type(features)}"
        )


def _dnn_model_fn(
    features,
    labels,
    mode,
    head,
    hidden_units,
    feature_columns,
    optimizer="Adagrad",
    activation_fn=nn_ops.relu,
    dropout=None,
    input_layer_partitioner=None,
    config=None,
    batch_norm=False,
):
    """Deep Neural Net model_fn v1: the logits of `dnn_logit_fn_builder` into `head`."""
    optimizer = optimizers.get_optimizer_instance(optimizer, learning_rate=_LEARNING_RATE)
    _validate_features(features)
    num_ps_replicas = config.num_ps_replicas if config else 0
    partitioner = partitioned_variables.min_max_variable_partitioner(max_partitions=num_ps_replicas)
    with variable_scope.variable_scope(
        "dnn", values=tuple(features.values()), partitioner=partitioner
    ):
        input_layer_partitioner = input_layer_partitioner or (
            partitioned_variables.min_max_variable_partitioner(
                max_partitions=num_ps_replicas, min_slice_size=64 << 20
            )
        )
        logit_fn = dnn_logit_fn_builder(
            head.logits_dimension,
            hidden_units,
            feature_columns,
            activation_fn,
            dropout,
            input_layer_partitioner,
            batch_norm,
        )
        logits = logit_fn(features=features, mode=mode)
        return head.create_estimator_spec(
            features=features, mode=mode, labels=labels, optimizer=optimizer, logits=logits
        )


class DNNClassifier(Estimator):
    """A classifier for TensorFlow DNN models.

    Example:
      >>> age = tf.feature_column.numeric_column("age")
      >>> estimator = tf.estimator.DNNClassifier(
      ...     feature_columns=[age], hidden_units=[1024, 512, 256])
      >>> estimator.train(input_fn=input_fn_train)

    Loss is calculated by using softmax cross entropy (sigmoid for `n_classes=2`),
    summed over the batch (`loss_reduction=SUM`).

    Args:
      hidden_units: Iterable of number hidden units per layer. All layers are fully
        connected. Ex. `[64, 32]` means first layer has 64 nodes and second one has 32.
      feature_columns: An iterable containing all the feature columns used by the model.
      model_dir: Directory to save model parameters, graph and etc.
      n_classes: Number of label classes. Defaults to 2, namely binary classification.
      weight_column: A string or a `_NumericColumn` defining the example weights.
      label_vocabulary: A list of strings represents possible label values.
      optimizer: An instance of `tf.Optimizer` used to train the model, or a string
        (one of 'Adagrad', 'Adam', 'Ftrl', 'RMSProp', 'SGD'), or callable. Defaults to
        Adagrad optimizer (learning rate 0.05).
      activation_fn: Activation function applied to each layer. Defaults to `relu`.
      dropout: When not `None`, the probability we will drop out a given coordinate.
      input_layer_partitioner: Optional. Partitioner for input layer.
      config: `RunConfig` object to configure the runtime settings.
      warm_start_from: A checkpoint path or a `WarmStartSettings`.
      loss_reduction: One of `tf.losses.Reduction` except `NONE`. Defaults to `SUM`.
      batch_norm: Whether to use batch normalization after each hidden layer.
    """

    def __init__(
        self,
        hidden_units,
        feature_columns,
        model_dir=None,
        n_classes=2,
        weight_column=None,
        label_vocabulary=None,
        optimizer="Adagrad",
        activation_fn=nn_ops.relu,
        dropout=None,
        input_layer_partitioner=None,
        config=None,
        warm_start_from=None,
        loss_reduction=losses_impl.Reduction.SUM,
        batch_norm=False,
    ):
        head = head_lib._binary_logistic_or_multi_class_head(
            n_classes, weight_column, label_vocabulary, loss_reduction
        )

        def _model_fn(features, labels, mode, config):
            return _dnn_model_fn(
                features,
                labels,
                mode,
                head,
                hidden_units,
                tuple(feature_columns or []),
                optimizer,
                activation_fn,
                dropout,
                input_layer_partitioner,
                config,
                batch_norm,
            )

        super().__init__(
            _model_fn, model_dir=model_dir, config=config, warm_start_from=warm_start_from
        )


class DNNRegressor(Estimator):
    """A regressor for TensorFlow DNN models.

    Example:
      >>> estimator = tf.estimator.DNNRegressor(
      ...     feature_columns=[tf.feature_column.numeric_column("x")], hidden_units=[32])

    Loss is calculated by using mean squared error, summed over the batch.

    Args:
      hidden_units: Iterable of number hidden units per layer.
      feature_columns: An iterable containing all the feature columns used by the model.
      model_dir: Directory to save model parameters, graph and etc.
      label_dimension: Number of regression targets per example.
      weight_column: A string or a `_NumericColumn` defining the example weights.
      optimizer: An `Optimizer`, a string or a callable (default Adagrad, rate 0.05).
      activation_fn: Activation function applied to each layer. Defaults to `relu`.
      dropout: When not `None`, the probability we will drop out a given coordinate.
      input_layer_partitioner: Optional. Partitioner for input layer.
      config: `RunConfig` object to configure the runtime settings.
      warm_start_from: A checkpoint path or a `WarmStartSettings`.
      loss_reduction: One of `tf.losses.Reduction` except `NONE`. Defaults to `SUM`.
      batch_norm: Whether to use batch normalization after each hidden layer.
    """

    def __init__(
        self,
        hidden_units,
        feature_columns,
        model_dir=None,
        label_dimension=1,
        weight_column=None,
        optimizer="Adagrad",
        activation_fn=nn_ops.relu,
        dropout=None,
        input_layer_partitioner=None,
        config=None,
        warm_start_from=None,
        loss_reduction=losses_impl.Reduction.SUM,
        batch_norm=False,
    ):
        head = head_lib._regression_head(
            label_dimension=label_dimension,
            weight_column=weight_column,
            loss_reduction=loss_reduction,
        )

        def _model_fn(features, labels, mode, config):
            return _dnn_model_fn(
                features,
                labels,
                mode,
                head,
                hidden_units,
                tuple(feature_columns or []),
                optimizer,
                activation_fn,
                dropout,
                input_layer_partitioner,
                config,
                batch_norm,
            )

        super().__init__(
            _model_fn, model_dir=model_dir, config=config, warm_start_from=warm_start_from
        )
