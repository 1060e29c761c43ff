"""TF 1.15's canned heads: the loss, predictions, metrics and export outputs of the
binary (sigmoid), multi-class (softmax) and regression (squared error) estimators.

A head turns a model's logits into an `EstimatorSpec`. Its training loss is the
per-example loss reduced with `loss_reduction` (v1 canned estimators: `SUM` over the
batch); evaluation reports `average_loss` (the weighted mean per example) and Estimator
adds `loss` (the mean over batches of the training loss).
"""

from __future__ import annotations

import collections

from flowgraph.estimator import export_output
from flowgraph.estimator.canned.metric_keys import MetricKeys
from flowgraph.estimator.canned.prediction_keys import PredictionKeys
from flowgraph.estimator.mode_keys import ModeKeys
from flowgraph.estimator.model_fn import EstimatorSpec, fn_args
from flowgraph.framework import dtypes
from flowgraph.framework.conversion import convert_to_tensor_or_sparse_tensor
from flowgraph.framework.ops import GraphKeys
from flowgraph.framework.scopes import control_dependencies, get_collection, name_scope
from flowgraph.framework.sparse_tensor import SparseTensor
from flowgraph.ops import (
    array_ops,
    check_ops,
    control_flow_ops,
    lookup_ops,
    losses_impl,
    math_ops,
    metrics_impl,
    nn_ops,
    string_ops,
    summary_ops,
)
from flowgraph.ops.constant_op import convert_to_tensor
from flowgraph.saved_model import constants
from flowgraph.train import training_util

_DEFAULT_SERVING_KEY = constants.DEFAULT_SERVING_SIGNATURE_DEF_KEY
_CLASSIFY_SERVING_KEY = "classification"
_REGRESS_SERVING_KEY = "regression"
_PREDICT_SERVING_KEY = "predict"

LossSpec = collections.namedtuple(
    "LossSpec", ["training_loss", "unreduced_loss", "weights", "processed_labels"]
)


def _summary_key(head_name, val):
    return f"{val}/{head_name}" if head_name else val


class _Head:
    """Interface for the head/top of a model: logits in, an `EstimatorSpec` out."""

    def __init__(self, weight_column, loss_reduction, loss_fn, name):
        if loss_reduction not in losses_impl.Reduction.all() or (
            loss_reduction == losses_impl.Reduction.NONE
        ):
            raise ValueError(f"Invalid loss_reduction: {loss_reduction}")
        self._weight_column = weight_column
        self._loss_reduction = loss_reduction
        self._loss_fn = loss_fn
        self._name = name

    @property
    def name(self):
        """The name of this head (a suffix of its metric and summary keys), or None."""
        return self._name

    def create_estimator_spec(
        self,
        features,
        mode,
        logits,
        labels=None,
        optimizer=None,
        train_op_fn=None,
        regularization_losses=None,
    ):
        """Returns `EstimatorSpec` that a model_fn can return.

        Args:
          features: Input `dict` of `Tensor` or `SparseTensor` objects.
          mode: Estimator's `ModeKeys`.
          logits: logits `Tensor` to be used by the head.
          labels: Labels `Tensor`, required in TRAIN and EVAL.
          optimizer: `Optimizer` minimizing the loss in TRAIN mode (and incrementing the
            global step).
          train_op_fn: Function that takes a scalar loss `Tensor` and returns an op to
            optimize the model with the loss in TRAIN mode. Used if `optimizer` is None.
          regularization_losses: A list of additional scalar losses to be added to the
            training loss, such as regularization losses.

        Returns:
          `EstimatorSpec`.
        """
        with name_scope(self._name, "head"):
            logits = _check_logits_final_dim(logits, self.logits_dimension)
            predictions, export_outputs, eval_inputs = self._predictions(logits)
            if mode == ModeKeys.PREDICT:
                return EstimatorSpec(
                    ModeKeys.PREDICT, predictions=predictions, export_outputs=export_outputs
                )
            loss_spec = self.create_loss(features, mode, logits, labels)
            regularization_loss = (
                math_ops.add_n(regularization_losses) if regularization_losses else None
            )
            loss = loss_spec.training_loss
            if regularization_loss is not None:
                loss = math_ops.add_n([loss, regularization_loss])
            if mode == ModeKeys.EVAL:
                metrics = self._eval_metric_ops(loss_spec, eval_inputs, regularization_loss)
                return EstimatorSpec(
                    ModeKeys.EVAL, predictions=predictions, loss=loss, eval_metric_ops=metrics
                )
            train_op = _train_op(loss, optimizer, train_op_fn)
            mean_loss = self._mean_loss(loss_spec)
        _train_summaries(self._name, loss, mean_loss, regularization_loss)
        return EstimatorSpec(ModeKeys.TRAIN, predictions=predictions, loss=loss, train_op=train_op)

    def _mean_loss(self, loss_spec):
        """The per-example mean loss, summarized for SUM reduction only (as TF 1.15 does)."""
        if self._loss_reduction != losses_impl.Reduction.SUM:
            return None
        weights = loss_spec.weights * array_ops.ones_like(loss_spec.unreduced_loss)
        return loss_spec.training_loss / math_ops.reduce_sum(weights)

    def _weighted_loss(self, features, logits, labels, unweighted_loss, per_logit=False):
        weights = _get_weights_and_check_match_logits(
            features, self._weight_column, logits, allow_per_logit_weights=per_logit
        )
        training_loss = losses_impl.compute_weighted_loss(
            unweighted_loss, weights=weights, reduction=self._loss_reduction
        )
        return LossSpec(training_loss, unweighted_loss, weights, labels)

    def _call_loss_fn(self, labels, logits, features, expected_loss_dim):
        return _call_loss_fn(self._loss_fn, labels, logits, features, expected_loss_dim)


def _train_op(loss, optimizer, train_op_fn):
    if optimizer is not None:
        if train_op_fn is not None:
            raise ValueError("train_op_fn and optimizer cannot both be set.")
        train_op = optimizer.minimize(loss, global_step=training_util.get_global_step())
    elif train_op_fn is not None:
        train_op = train_op_fn(loss)
    else:
        raise ValueError("train_op_fn and optimizer cannot both be None.")
    update_ops = get_collection(GraphKeys.UPDATE_OPS)
    return control_flow_ops.group(train_op, *update_ops) if update_ops else train_op


def _train_summaries(head_name, loss, mean_loss, regularization_loss):
    with name_scope(""):
        summary_ops.scalar(_summary_key(head_name, MetricKeys.LOSS), loss)
        if mean_loss is not None:
            summary_ops.scalar(_summary_key(head_name, MetricKeys.LOSS_MEAN), mean_loss)
        if regularization_loss is not None:
            summary_ops.scalar(
                _summary_key(head_name, MetricKeys.LOSS_REGULARIZATION), regularization_loss
            )


class _MultiClassHeadWithSoftmaxCrossEntropyLoss(_Head):
    """Multi class classification: softmax cross entropy of integer (or vocabulary) labels."""

    def __init__(
        self,
        n_classes,
        weight_column=None,
        label_vocabulary=None,
        loss_reduction=losses_impl.Reduction.SUM,
        loss_fn=None,
        name=None,
    ):
        if n_classes is None:
            raise ValueError("n_classes cannot be None")
        super().__init__(weight_column, loss_reduction, loss_fn, name)
        self._n_classes = _validate_n_classes(n_classes)
        self._label_vocabulary = label_vocabulary

    @property
    def logits_dimension(self):
        return self._n_classes

    def _predictions(self, logits):
        with name_scope(None, "predictions", [logits]):
            class_ids = math_ops.argmax(logits, axis=-1, name=PredictionKeys.CLASS_IDS)
            class_ids = array_ops.expand_dims(class_ids, axis=-1)
            probabilities = nn_ops.softmax(logits, name=PredictionKeys.PROBABILITIES)
            predictions = {
                PredictionKeys.LOGITS: logits,
                PredictionKeys.PROBABILITIES: probabilities,
                PredictionKeys.CLASS_IDS: class_ids,
                PredictionKeys.CLASSES: _classes(class_ids, self._label_vocabulary),
                PredictionKeys.ALL_CLASS_IDS: _all_class_ids(logits, self._n_classes),
                PredictionKeys.ALL_CLASSES: _all_classes(
                    logits, self._n_classes, self._label_vocabulary
                ),
            }
        classifier = _classification_output(probabilities, self._n_classes, self._label_vocabulary)
        export_outputs = {
            _DEFAULT_SERVING_KEY: classifier,
            _CLASSIFY_SERVING_KEY: classifier,
            _PREDICT_SERVING_KEY: export_output.PredictOutput(predictions),
        }
        return predictions, export_outputs, {"class_ids": class_ids}

    def _label_ids(self, labels):
        if self._label_vocabulary is None:
            if not labels.dtype.is_integer:
                raise ValueError(f"Labels dtype should be integer. Instead got {labels.dtype}.")
            label_ids = labels
        else:
            if labels.dtype != dtypes.string:
                raise ValueError(
                    "Labels dtype should be string if there is a vocabulary. Instead got "
                    f"{labels.dtype}"
                )
            label_ids = _vocabulary_ids(labels, self._label_vocabulary)
        return _assert_range(label_ids, self._n_classes)

    def create_loss(self, features, mode, logits, labels):
        """Returns a `LossSpec`: the reduced, per-example losses, weights and label ids."""
        logits = convert_to_tensor(logits)
        labels = _check_dense_labels_match_logits_and_reshape(labels, logits, 1)
        label_ids = self._label_ids(labels)
        if self._loss_fn:
            unweighted_loss = self._call_loss_fn(label_ids, logits, features, 1)
        else:
            unweighted_loss = losses_impl.sparse_softmax_cross_entropy(
                labels=label_ids, logits=logits, reduction=losses_impl.Reduction.NONE
            )
            unweighted_loss = array_ops.expand_dims(unweighted_loss, axis=-1)
        return self._weighted_loss(features, logits, label_ids, unweighted_loss)

    def _eval_metric_ops(self, loss_spec, eval_inputs, regularization_loss):
        labels, weights = loss_spec.processed_labels, loss_spec.weights
        with name_scope(None, "metrics"):
            metric_ops = {
                _summary_key(self._name, MetricKeys.LOSS_MEAN): metrics_impl.mean(
                    loss_spec.unreduced_loss, weights=weights, name=MetricKeys.LOSS_MEAN
                ),
                _summary_key(self._name, MetricKeys.ACCURACY): metrics_impl.accuracy(
                    labels, eval_inputs["class_ids"], weights=weights, name=MetricKeys.ACCURACY
                ),
            }
            _add_regularization_metric(metric_ops, self._name, regularization_loss)
        return metric_ops


class _BinaryLogisticHeadWithSigmoidCrossEntropyLoss(_Head):
    """Binary classification: sigmoid cross entropy of 0/1 (or vocabulary) labels."""

    def __init__(
        self,
        weight_column=None,
        thresholds=None,
        label_vocabulary=None,
        loss_reduction=losses_impl.Reduction.SUM,
        loss_fn=None,
        name=None,
    ):
        super().__init__(weight_column, loss_reduction, loss_fn, name)
        self._thresholds = tuple(thresholds) if thresholds else ()
        self._label_vocabulary = label_vocabulary

    logits_dimension = 1

    def _predictions(self, logits):
        with name_scope(None, "predictions", [logits]):
            logistic = math_ops.sigmoid(logits, name=PredictionKeys.LOGISTIC)
            two_class_logits = array_ops.concat(
                (array_ops.zeros_like(logits), logits), axis=-1, name="two_class_logits"
            )
            probabilities = nn_ops.softmax(two_class_logits, name=PredictionKeys.PROBABILITIES)
            class_ids = math_ops.argmax(two_class_logits, axis=-1, name=PredictionKeys.CLASS_IDS)
            class_ids = array_ops.expand_dims(class_ids, axis=-1)
            predictions = {
                PredictionKeys.LOGITS: logits,
                PredictionKeys.LOGISTIC: logistic,
                PredictionKeys.PROBABILITIES: probabilities,
                PredictionKeys.CLASS_IDS: class_ids,
                PredictionKeys.CLASSES: _classes(class_ids, self._label_vocabulary),
                PredictionKeys.ALL_CLASS_IDS: _all_class_ids(logits, 2),
                PredictionKeys.ALL_CLASSES: _all_classes(logits, 2, self._label_vocabulary),
            }
        classifier = _classification_output(probabilities, 2, self._label_vocabulary)
        export_outputs = {
            _DEFAULT_SERVING_KEY: classifier,
            _CLASSIFY_SERVING_KEY: classifier,
            _REGRESS_SERVING_KEY: export_output.RegressionOutput(value=logistic),
            _PREDICT_SERVING_KEY: export_output.PredictOutput(predictions),
        }
        return predictions, export_outputs, {"logistic": logistic, "class_ids": class_ids}

    def create_loss(self, features, mode, logits, labels):
        """Returns a `LossSpec`: the reduced, per-example losses, weights and 0/1 labels."""
        logits = convert_to_tensor(logits)
        labels = _check_dense_labels_match_logits_and_reshape(labels, logits, 1)
        if self._label_vocabulary is not None:
            labels = _vocabulary_ids(labels, self._label_vocabulary)
        labels = _assert_range(math_ops.to_float(labels), n_classes=2)
        if self._loss_fn:
            unweighted_loss = self._call_loss_fn(labels, logits, features, 1)
        else:
            unweighted_loss = nn_ops.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits)
        return self._weighted_loss(features, logits, labels, unweighted_loss)

    def _eval_metric_ops(self, loss_spec, eval_inputs, regularization_loss):
        labels, weights = loss_spec.processed_labels, loss_spec.weights
        logistic, class_ids = eval_inputs["logistic"], eval_inputs["class_ids"]
        keys = MetricKeys
        with name_scope(None, "metrics"):
            labels_mean = _indicator_labels_mean(labels, weights, name=keys.LABEL_MEAN)
            metric_ops = {
                keys.LOSS_MEAN: metrics_impl.mean(
                    loss_spec.unreduced_loss, weights=weights, name=keys.LOSS_MEAN
                ),
                keys.ACCURACY: metrics_impl.accuracy(
                    labels, class_ids, weights=weights, name=keys.ACCURACY
                ),
                keys.PRECISION: metrics_impl.precision(
                    labels, class_ids, weights=weights, name=keys.PRECISION
                ),
                keys.RECALL: metrics_impl.recall(
                    labels, class_ids, weights=weights, name=keys.RECALL
                ),
                keys.PREDICTION_MEAN: _predictions_mean(logistic, weights, keys.PREDICTION_MEAN),
                keys.LABEL_MEAN: labels_mean,
                keys.ACCURACY_BASELINE: _accuracy_baseline(labels_mean),
                keys.AUC: _auc(labels, logistic, weights, name=keys.AUC),
                keys.AUC_PR: _auc(labels, logistic, weights, curve="PR", name=keys.AUC_PR),
            }
            metric_ops = {_summary_key(self._name, k): v for k, v in metric_ops.items()}
            _add_regularization_metric(metric_ops, self._name, regularization_loss)
            for threshold in self._thresholds:
                self._add_threshold_metrics(metric_ops, labels, logistic, weights, threshold)
        return metric_ops

    def _add_threshold_metrics(self, metric_ops, labels, logistic, weights, threshold):
        accuracy_key = MetricKeys.ACCURACY_AT_THRESHOLD % threshold
        metric_ops[_summary_key(self._name, accuracy_key)] = _accuracy_at_threshold(
            labels, logistic, weights, threshold, accuracy_key
        )
        precision_key = MetricKeys.PRECISION_AT_THRESHOLD % threshold
        metric_ops[_summary_key(self._name, precision_key)] = _at_threshold(
            metrics_impl.precision_at_thresholds,
            labels,
            logistic,
            weights,
            threshold,
            precision_key,
        )
        recall_key = MetricKeys.RECALL_AT_THRESHOLD % threshold
        metric_ops[_summary_key(self._name, recall_key)] = _at_threshold(
            metrics_impl.recall_at_thresholds, labels, logistic, weights, threshold, recall_key
        )


class _RegressionHeadWithMeanSquaredErrorLoss(_Head):
    """Regression: squared error of float labels, `label_dimension` values per example."""

    def __init__(
        self,
        label_dimension,
        weight_column=None,
        loss_reduction=losses_impl.Reduction.SUM,
        loss_fn=None,
        inverse_link_fn=None,
        name=None,
    ):
        if label_dimension < 1:
            raise ValueError(f"Invalid label_dimension {label_dimension}.")
        super().__init__(weight_column, loss_reduction, loss_fn, name)
        self._logits_dimension = label_dimension
        self._inverse_link_fn = inverse_link_fn

    @property
    def logits_dimension(self):
        return self._logits_dimension

    def _predictions(self, logits):
        predictions = {PredictionKeys.PREDICTIONS: logits}
        predicted_value = logits
        if self._inverse_link_fn:
            predicted_value = self._inverse_link_fn(logits)
            predictions = {
                PredictionKeys.PREDICTIONS: predicted_value,
                PredictionKeys.LOGITS: logits,
            }
        regression = export_output.RegressionOutput(value=predicted_value)
        export_outputs = {
            _DEFAULT_SERVING_KEY: regression,
            _REGRESS_SERVING_KEY: regression,
            _PREDICT_SERVING_KEY: export_output.PredictOutput(predictions),
        }
        return predictions, export_outputs, {"predicted_value": predicted_value}

    def create_loss(self, features, mode, logits, labels):
        """Returns a `LossSpec`: the reduced, per-example losses, weights and float labels."""
        logits = convert_to_tensor(logits)
        labels = _check_dense_labels_match_logits_and_reshape(
            labels, logits, self._logits_dimension
        )
        labels = math_ops.to_float(labels)
        if self._loss_fn:
            unweighted_loss = self._call_loss_fn(labels, logits, features, self._logits_dimension)
        else:
            unweighted_loss = losses_impl.mean_squared_error(
                labels=labels, predictions=logits, reduction=losses_impl.Reduction.NONE
            )
        return self._weighted_loss(features, logits, labels, unweighted_loss, per_logit=True)

    def _eval_metric_ops(self, loss_spec, eval_inputs, regularization_loss):
        weights = loss_spec.weights
        metric_ops = {
            _summary_key(self._name, MetricKeys.LOSS_MEAN): metrics_impl.mean(
                loss_spec.unreduced_loss, weights=weights
            ),
            _summary_key(self._name, MetricKeys.PREDICTION_MEAN): _predictions_mean(
                eval_inputs["predicted_value"], weights, MetricKeys.PREDICTION_MEAN
            ),
            _summary_key(self._name, MetricKeys.LABEL_MEAN): metrics_impl.mean(
                loss_spec.processed_labels, weights=weights
            ),
        }
        _add_regularization_metric(metric_ops, self._name, regularization_loss)
        return metric_ops


def _multi_class_head_with_softmax_cross_entropy_loss(
    n_classes,
    weight_column=None,
    label_vocabulary=None,
    loss_reduction=losses_impl.Reduction.SUM,
    loss_fn=None,
    name=None,
):
    """Creates a `_Head` for multi class classification (labels in `[0, n_classes)`)."""
    if label_vocabulary is not None and not isinstance(label_vocabulary, (list, tuple)):
        raise ValueError(
            f"label_vocabulary should be a list or a tuple. Given type: {type(label_vocabulary)}"
        )
    _validate_loss_fn_args(loss_fn)
    return _MultiClassHeadWithSoftmaxCrossEntropyLoss(
        n_classes, weight_column, label_vocabulary, loss_reduction, loss_fn, name
    )


def _binary_logistic_head_with_sigmoid_cross_entropy_loss(
    weight_column=None,
    thresholds=None,
    label_vocabulary=None,
    loss_reduction=losses_impl.Reduction.SUM,
    loss_fn=None,
    name=None,
):
    """Creates a `_Head` for single label binary classification."""
    thresholds = tuple(thresholds) if thresholds else ()
    if label_vocabulary is not None and not isinstance(label_vocabulary, (list, tuple)):
        raise TypeError(
            f"label_vocabulary should be a list or tuple. Given type: {type(label_vocabulary)}"
        )
    for threshold in thresholds:
        if threshold <= 0.0 or threshold >= 1.0:
            raise ValueError(f"thresholds not in (0, 1): {thresholds}.")
    _validate_loss_fn_args(loss_fn)
    return _BinaryLogisticHeadWithSigmoidCrossEntropyLoss(
        weight_column, thresholds, label_vocabulary, loss_reduction, loss_fn, name
    )


def _regression_head(
    weight_column=None,
    label_dimension=1,
    loss_reduction=losses_impl.Reduction.SUM,
    loss_fn=None,
    inverse_link_fn=None,
    name=None,
):
    """Creates a `_Head` for regression using the mean squared loss."""
    _validate_loss_fn_args(loss_fn)
    return _RegressionHeadWithMeanSquaredErrorLoss(
        label_dimension, weight_column, loss_reduction, loss_fn, inverse_link_fn, name
    )


def _binary_logistic_or_multi_class_head(
    n_classes, weight_column, label_vocabulary, loss_reduction
):
    """The binary head for `n_classes == 2`, else the multi-class one."""
    if n_classes == 2:
        return _binary_logistic_head_with_sigmoid_cross_entropy_loss(
            weight_column=weight_column,
            label_vocabulary=label_vocabulary,
            loss_reduction=loss_reduction,
        )
    return _multi_class_head_with_softmax_cross_entropy_loss(
        n_classes,
        weight_column=weight_column,
        label_vocabulary=label_vocabulary,
        loss_reduction=loss_reduction,
    )


def _validate_n_classes(n_classes):
    if isinstance(n_classes, int) and n_classes <= 2:
        raise ValueError(f"n_classes must be > 2: {n_classes}.")
    return n_classes


def _validate_loss_fn_args(loss_fn):
    if loss_fn is None:
        return
    args = set(fn_args(loss_fn))
    for required in ("labels", "logits"):
        if required not in args:
            raise ValueError(
                f"loss_fn must contain argument: {required}. Given arguments: {tuple(args)}"
            )
    invalid = list(args - {"labels", "logits", "features"})
    if invalid:
        raise ValueError(f"loss_fn has unexpected args: {invalid}")


def _call_loss_fn(loss_fn, labels, logits, features, expected_loss_dim):
    kwargs = {"features": features} if "features" in fn_args(loss_fn) else {}
    with name_scope(None, "call_loss_fn", [labels, logits]):
        unweighted_loss = loss_fn(labels=labels, logits=logits, **kwargs)
        logits_shape = array_ops.shape(logits, name="logits_shape")
        expected_shape = array_ops.concat(
            [logits_shape[:-1], [expected_loss_dim]], axis=0, name="expected_loss_shape"
        )
        loss_shape = array_ops.shape(unweighted_loss, name="loss_shape")
        check = check_ops.assert_equal(
            expected_shape,
            loss_shape,
            data=[
                f"loss_fn must return Tensor of shape [D0, D1, ... DN, {expected_loss_dim}]. ",
                "logits_shape: ",
                logits_shape,
                "loss_shape: ",
                loss_shape,
            ],
            name="check_loss_shape",
        )
        with control_dependencies([check]):
            return array_ops.identity(unweighted_loss)


_SPARSE_LABELS_MESSAGE = (
    "SparseTensor labels are not supported. labels must be a Tensor of shape "
    "[D0, D1, ..., DN, {0}], e.g. [batch_size, {0}]. Suggested Fix (1): Check the label "
    "feature in your data. Each example must contain {0} value(s). If not, your choice of "
    "label was probably incorrect. Suggested Fix (2): In your input_fn, use "
    "tf.sparse_tensor_to_dense() to turn labels into a Tensor."
)


def _check_dense_labels_match_logits_and_reshape(labels, logits, expected_labels_dimension):
    """`labels` as `[D0, ..., DN, expected_labels_dimension]`, checked against `logits`."""
    if labels is None:
        raise ValueError(
            "You must provide a labels Tensor. Given: None. Suggested troubleshooting steps: "
            "Check that your data contain your label feature. Check that your input_fn "
            "properly parses and returns labels."
        )
    with name_scope(None, "labels", [labels, logits]) as scope:
        labels = convert_to_tensor_or_sparse_tensor(labels)
        if isinstance(labels, SparseTensor):
            raise ValueError(_SPARSE_LABELS_MESSAGE.format(expected_labels_dimension))
        if (
            labels.shape.ndims is not None
            and logits.shape.ndims is not None
            and (labels.shape.ndims == logits.shape.ndims - 1)
        ):
            labels = array_ops.expand_dims(labels, -1)
        message = (
            f"labels shape must be [D0, D1, ... DN, {expected_labels_dimension}]. Suggested "
            "Fix: check your n_classes argument to the estimator and/or the shape of your label."
        )
        assert_rank = check_ops.assert_rank_at_least(labels, 2, message=message)
        with control_dependencies([assert_rank]):
            _check_static_label_dimension(labels, expected_labels_dimension)
            expected_shape = array_ops.concat(
                [array_ops.shape(logits)[:-1], [expected_labels_dimension]], axis=0
            )
            labels_shape = array_ops.shape(labels)
            assert_dimension = check_ops.assert_equal(
                expected_shape,
                labels_shape,
                message=message,
                data=["expected_labels_shape: ", expected_shape, "labels_shape: ", labels_shape],
            )
            with control_dependencies([assert_dimension]):
                return array_ops.identity(labels, name=scope)


def _check_static_label_dimension(labels, expected):
    if labels.shape.ndims is None:
        return
    dim = labels.shape.as_list()[-1]
    if dim is not None and dim != expected:
        raise ValueError(
            f"Mismatched label shape. Expected labels dimension={expected}.  Received {dim}. "
            "Suggested Fix:If your classifier expects one-hot encoding label,check your "
            "n_classes argument to the estimator and/or the shape of your label. Otherwise, "
            "check the shape of your label."
        )


def _weight_tensor(features, weight_column):
    """The weight column's dense values, `[batch]` made `[batch, 1]` as a numeric column's."""
    if isinstance(weight_column, str):
        weights = convert_to_tensor(features[weight_column])
    elif hasattr(weight_column, "key") and hasattr(weight_column, "normalizer_fn"):
        weights = convert_to_tensor(features[weight_column.key])
        if weight_column.normalizer_fn is not None:
            weights = weight_column.normalizer_fn(weights)
    else:
        raise TypeError(
            "Weight column must be either a string or _NumericColumn. Given type: "
            f"{type(weight_column)}."
        )
    return array_ops.expand_dims(weights, -1) if weights.shape.ndims == 1 else weights


def _get_weights_and_check_match_logits(
    features, weight_column, logits, allow_per_logit_weights=False
):
    """The example weights as `[D0, ..., DN, 1]` (or per logit), or 1. without a column."""
    if allow_per_logit_weights:
        message = (
            "weights shape must be [D0, D1, ... DN], [D0, D1, ... DN, 1] or "
            "[D0, D1, ... DN, logits_dimension]"
        )
    else:
        message = "weights shape must be [D0, D1, ... DN] or [D0, D1, ... DN, 1]"
    if weight_column is None:
        return 1.0
    with name_scope(None, "weights", list(features.values()) + [logits]) as scope:
        weights = _weight_tensor(features, weight_column)
        if not (weights.dtype.is_floating or weights.dtype.is_integer):
            raise ValueError(
                f"Weight column should be castable to float. Given dtype: {weights.dtype}"
            )
        weights = math_ops.to_float(weights, name="weights")
        weights_shape = array_ops.shape(weights, name="weights_shape")
        logits_shape = array_ops.shape(logits, name="logits_shape")
        supported = array_ops.concat([logits_shape[:-1], [1]], axis=0)
        if allow_per_logit_weights:
            condition = math_ops.logical_or(
                math_ops.reduce_all(math_ops.equal(logits_shape, weights_shape)),
                math_ops.reduce_all(math_ops.equal(supported, weights_shape)),
            )
            check = check_ops.Assert(
                condition,
                [message, "logits_shape: ", logits_shape, "weights_shape: ", weights_shape],
            )
        else:
            check = check_ops.assert_equal(
                supported,
                weights_shape,
                message=message,
                data=["logits_shape: ", logits_shape, "weights_shape: ", weights_shape],
            )
        with control_dependencies([check]):
            return array_ops.identity(weights, name=scope)


def _check_logits_final_dim(logits, expected_logits_dimension):
    """`logits` as float, checked to be `[D0, D1, ... DN, logits_dimension]`."""
    message = "logits shape must be [D0, D1, ... DN, logits_dimension]"
    with name_scope(None, "logits", [logits]) as scope:
        logits = math_ops.to_float(logits)
        logits_shape = array_ops.shape(logits)
        assert_rank = check_ops.assert_rank_at_least(
            logits, 2, data=[logits_shape], message=message
        )
        with control_dependencies([assert_rank]):
            static = logits.shape
            if static.ndims is not None and static.as_list()[-1] is not None:
                if static.as_list()[-1] != expected_logits_dimension:
                    raise ValueError(f"{message}, got {static}.")
                return logits
            assert_dimension = check_ops.assert_equal(
                expected_logits_dimension, logits_shape[-1], data=[logits_shape], message=message
            )
            with control_dependencies([assert_dimension]):
                return array_ops.identity(logits, name=scope)


def _assert_range(labels, n_classes, message=None):
    with name_scope(None, "assert_range", [labels]):
        assert_less = check_ops.assert_less_equal(
            labels,
            convert_to_tensor(n_classes - 1, dtype=labels.dtype),
            message=message or "Labels must <= n_classes - 1",
        )
        assert_greater = check_ops.assert_non_negative(
            labels, message=message or "Labels must >= 0"
        )
        with control_dependencies([assert_less, assert_greater]):
            return array_ops.identity(labels)


def _vocabulary_ids(labels, vocabulary):
    table = lookup_ops.index_table_from_tensor(
        vocabulary_list=tuple(vocabulary), name="class_id_lookup"
    )
    return table.lookup(labels)


def _classes(class_ids, label_vocabulary):
    if label_vocabulary:
        table = lookup_ops.index_to_string_table_from_tensor(
            vocabulary_list=label_vocabulary, name="class_string_lookup"
        )
        return table.lookup(class_ids)
    return string_ops.as_string(class_ids, name="str_classes")


def _tile_rows(row, logits):
    batch_size = array_ops.shape(logits)[0]
    multiples = array_ops.stack([batch_size, 1])
    return array_ops.tile(array_ops.expand_dims(row, axis=0), multiples)


def _all_class_ids(logits, n_classes):
    return _tile_rows(array_ops.range(n_classes), logits)


def _all_classes(logits, n_classes, label_vocabulary=None):
    if label_vocabulary:
        return _tile_rows(convert_to_tensor(list(label_vocabulary)), logits)
    return _tile_rows(string_ops.as_string(array_ops.range(n_classes)), logits)


def _classification_output(scores, n_classes, label_vocabulary=None):
    return export_output.ClassificationOutput(
        scores=scores, classes=_all_classes(scores, n_classes, label_vocabulary)
    )


def _add_regularization_metric(metric_ops, head_name, regularization_loss):
    if regularization_loss is not None:
        metric_ops[_summary_key(head_name, MetricKeys.LOSS_REGULARIZATION)] = metrics_impl.mean(
            regularization_loss, name=MetricKeys.LOSS_REGULARIZATION
        )


def _broadcast(weights, values):
    return math_ops.to_float(weights) * array_ops.ones_like(values)


def _indicator_labels_mean(labels, weights=None, name=None):
    with name_scope(name, "labels_mean", [labels, weights]) as scope:
        labels = math_ops.to_float(labels, name="labels")
        return metrics_impl.mean(labels, weights=_broadcast(weights, labels), name=scope)


def _accuracy_baseline(labels_mean):
    """The accuracy of always predicting the commoner class: max(mean, 1 - mean)."""
    with name_scope(None, "accuracy_baseline", list(labels_mean)):
        value, update_op = labels_mean
        return (
            math_ops.maximum(value, 1.0 - value, name="value"),
            math_ops.maximum(update_op, 1 - update_op, name="update_op"),
        )


def _predictions_mean(predictions, weights=None, name=None):
    with name_scope(name, "predictions_mean", [predictions, weights]) as scope:
        predictions = math_ops.to_float(predictions, name="predictions")
        return metrics_impl.mean(predictions, weights=_broadcast(weights, predictions), name=scope)


def _auc(labels, predictions, weights=None, curve="ROC", name=None):
    with name_scope(name, "auc", [predictions, labels, weights]) as scope:
        predictions = math_ops.to_float(predictions, name="predictions")
        return metrics_impl.auc(
            labels=labels,
            predictions=predictions,
            weights=_broadcast(weights, predictions),
            curve=curve,
            name=scope,
        )


def _accuracy_at_threshold(labels, predictions, weights, threshold, name=None):
    with name_scope(name, f"accuracy_at_{threshold}", [predictions, labels, weights]) as scope:
        threshold_predictions = math_ops.to_float(math_ops.greater_equal(predictions, threshold))
        return metrics_impl.accuracy(
            labels=labels, predictions=threshold_predictions, weights=weights, name=scope
        )


def _at_threshold(metric, labels, predictions, weights, threshold, name):
    with name_scope(name, None, [predictions, labels, weights]) as scope:
        value, update_op = metric(
            labels=labels,
            predictions=predictions,
            thresholds=(threshold,),
            weights=weights,
            name=scope,
        )
        return array_ops.squeeze(value), array_ops.squeeze(update_op)
