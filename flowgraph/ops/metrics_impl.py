"""`tf.metrics`: streaming metrics, each a value tensor and an update op over local variables.

Every metric keeps its state in local variables (`LOCAL_VARIABLES` and
`METRIC_VARIABLES`, under the metric's variable scope, e.g. `mean/total`), initialized by
`tf.local_variables_initializer()`; running `update_op` folds a batch in and returns the
new value, reading `value` gives the value so far.
"""

from __future__ import annotations

import numpy as np

from flowgraph.framework import dtypes
from flowgraph.framework.conversion import convert_to_tensor_or_sparse_tensor
from flowgraph.framework.ops import GraphKeys
from flowgraph.framework.scopes import add_to_collections, control_dependencies, name_scope
from flowgraph.framework.sparse_tensor import SparseTensor, is_sparse
from flowgraph.ops import (
    array_ops,
    check_ops,
    init_ops,
    linalg_ops,
    math_ops,
    sparse_ops,
    state_ops,
    variable_scope as vs,
)
from flowgraph.ops.constant_op import constant, convert_to_tensor


def metric_variable(shape, dtype, validate_shape=True, name=None):
    """A zero-initialized local variable holding a metric's state (never partitioned: TF
    makes it with `tf.Variable`, which no scope partitioner reaches)."""
    scope = vs.get_variable_scope()
    partitioner = scope.partitioner
    scope.set_partitioner(None)
    try:
        return vs.get_variable(
            name, shape=shape, dtype=dtype, initializer=init_ops.zeros_initializer(),
            trainable=False, collections=[GraphKeys.LOCAL_VARIABLES, GraphKeys.METRIC_VARIABLES],
            validate_shape=validate_shape,
        )  # fmt: skip
    finally:
        scope.set_partitioner(partitioner)


def _safe_div(numerator, denominator, name):
    """`numerator / denominator`, or 0 where the denominator is not positive."""
    positive = math_ops.greater(denominator, 0.0)
    safe = array_ops.where(positive, denominator, array_ops.ones_like(denominator))
    return array_ops.where(positive, numerator / safe, array_ops.zeros_like(numerator), name=name)


def _publish(value, update_op, metrics_collections, updates_collections):
    if metrics_collections:
        add_to_collections(metrics_collections, value)
    if updates_collections:
        add_to_collections(updates_collections, update_op)
    return value, update_op


def _weighted(values, weights):
    """(weighted values, their weight total) with `weights` broadcast to `values`."""
    if weights is None:
        return values, math_ops.cast(array_ops.size(values), dtypes.float32)
    weights = _broadcast_weights(weights, values)
    return values * weights, math_ops.reduce_sum(weights)


def _remove_squeezable_dimensions(predictions, labels, weights):
    """TF1's: drops a size-1 last dimension that only one of predictions and labels has,
    checks that their shapes agree, and squeezes or expands `weights` by one dimension to
    the rank of predictions."""
    predictions = convert_to_tensor(predictions)
    if labels is not None:
        labels = convert_to_tensor(labels)
        predictions, labels = _squeeze_last(predictions, labels)
        predictions.get_shape().assert_is_compatible_with(labels.get_shape())
    if weights is None:
        return predictions, labels, None
    weights = convert_to_tensor(weights)
    rank, weights_rank = predictions.shape.ndims, weights.shape.ndims
    if rank is None or weights_rank is None or weights_rank == 0:
        return predictions, labels, weights
    if weights_rank - rank == 1:
        weights = array_ops.squeeze(weights, [-1])
    elif rank - weights_rank == 1:
        weights = array_ops.expand_dims(weights, -1)
    return predictions, labels, weights


def _squeeze_last(predictions, labels):
    """(predictions, labels), the one with an extra last dimension of size 1 squeezed."""
    rank, labels_rank = predictions.shape.ndims, labels.shape.ndims
    if rank is None or labels_rank is None:
        return predictions, labels
    if rank - labels_rank == 1 and predictions.shape.as_list()[-1] in (1, None):
        return array_ops.squeeze(predictions, [-1]), labels
    if labels_rank - rank == 1 and labels.shape.as_list()[-1] in (1, None):
        return predictions, array_ops.squeeze(labels, [-1])
    return predictions, labels


def _broadcast_weights(weights, values):
    """float32 `weights` broadcast to `values`, with TF1's checks of their static shapes."""
    weights = math_ops.cast(weights, dtypes.float32)
    shape, values_shape = weights.shape, values.shape
    if shape.ndims in (None, 0) or values_shape.ndims is None:
        return weights * array_ops.ones_like(values)
    received = f"Received weights={weights}, values={values}"
    if shape.ndims != values_shape.ndims:
        raise ValueError(
            f"{_CANNOT_BROADCAST} values.rank={values_shape.ndims}. weights.rank={shape.ndims}."
            f" values.shape={values_shape}. weights.shape={shape}. {received}"
        )
    for i, (size, values_size) in enumerate(zip(shape.as_list(), values_shape.as_list())):
        if None not in (size, values_size) and size not in (1, values_size):
            raise ValueError(
                f"{_CANNOT_BROADCAST} Mismatch at dim {i}. values.shape="
                f"{np.array(values_shape.as_list())}, weights.shape={np.array(shape.as_list())}."
                f" {received}"
            )
    return weights * array_ops.ones_like(values)


_CANNOT_BROADCAST = "weights can not be broadcast to values."


def mean(values, weights=None, metrics_collections=None, updates_collections=None, name=None):
    """Computes the (weighted) mean of the given values.

    Returns:
      `(mean, update_op)`: the mean so far (`total / count`), and the op that adds a batch.

    Example:
      >>> loss_mean, update = tf.metrics.mean(loss)
    """
    with vs.variable_scope(name, "mean", (values, weights)):
        values, _, weights = _remove_squeezable_dimensions(values, None, weights)
        values = math_ops.cast(values, dtypes.float32)
        total = metric_variable([], dtypes.float32, name="total")
        count = metric_variable([], dtypes.float32, name="count")
        weighted, num_values = _weighted(values, weights)
        update_total = state_ops.assign_add(total, math_ops.reduce_sum(weighted))
        with control_dependencies([values]):
            update_count = state_ops.assign_add(count, num_values)
        value = _safe_div(total, count, name="value")
        update_op = _safe_div(update_total, update_count, name="update_op")
        return _publish(value, update_op, metrics_collections, updates_collections)


def mean_tensor(values, weights=None, metrics_collections=None, updates_collections=None,
                name=None):  # fmt: skip
    """Computes the element-wise (weighted) mean of the given tensors over the batches."""
    with vs.variable_scope(name, "mean", (values, weights)):
        values, _, weights = _remove_squeezable_dimensions(values, None, weights)
        values = math_ops.cast(values, dtypes.float32)
        total = metric_variable(values.get_shape(), dtypes.float32, name="total_tensor")
        count = metric_variable(values.get_shape(), dtypes.float32, name="count_tensor")
        if weights is None:
            weights = array_ops.ones_like(values)
        weights = _broadcast_weights(weights, values)
        update_total = state_ops.assign_add(total, values * weights)
        with control_dependencies([values]):
            update_count = state_ops.assign_add(count, weights)
        value = _safe_div(total, count, name="value")
        update_op = _safe_div(update_total, update_count, name="update_op")
        return _publish(value, update_op, metrics_collections, updates_collections)


def accuracy(labels, predictions, weights=None, metrics_collections=None,
             updates_collections=None, name=None):  # fmt: skip
    """Calculates how often `predictions` matches `labels` (a weighted mean of equality).

    Example:
      >>> acc, update = tf.metrics.accuracy(labels, tf.argmax(logits, 1))
    """
    predictions, labels, weights = _remove_squeezable_dimensions(predictions, labels, weights)
    predictions = math_ops.cast(predictions, labels.dtype.base_dtype)
    is_correct = math_ops.cast(math_ops.equal(predictions, labels), dtypes.float32)
    return mean(is_correct, weights, metrics_collections, updates_collections,
                name or "accuracy")  # fmt: skip


def mean_absolute_error(labels, predictions, weights=None, metrics_collections=None,
                        updates_collections=None, name=None):  # fmt: skip
    """Computes the mean absolute error between the labels and predictions."""
    predictions, labels, weights = _remove_squeezable_dimensions(predictions, labels, weights)
    errors = math_ops.abs(_float(predictions) - _float(labels))
    return mean(errors, weights, metrics_collections, updates_collections,
                name or "mean_absolute_error")  # fmt: skip


def mean_squared_error(labels, predictions, weights=None, metrics_collections=None,
                       updates_collections=None, name=None):  # fmt: skip
    """Computes the mean squared error between the labels and predictions."""
    predictions, labels, weights = _remove_squeezable_dimensions(predictions, labels, weights)
    errors = math_ops.squared_difference(_float(predictions), _float(labels))
    return mean(errors, weights, metrics_collections, updates_collections,
                name or "mean_squared_error")  # fmt: skip


def root_mean_squared_error(labels, predictions, weights=None, metrics_collections=None,
                            updates_collections=None, name=None):  # fmt: skip
    """Computes the root mean squared error between the labels and predictions."""
    mse, update_mse = mean_squared_error(labels, predictions, weights, None, None,
                                         name or "root_mean_squared_error")  # fmt: skip
    value, update_op = math_ops.sqrt(mse), math_ops.sqrt(update_mse)
    return _publish(value, update_op, metrics_collections, updates_collections)


def percentage_below(values, threshold, weights=None, metrics_collections=None,
                     updates_collections=None, name=None):  # fmt: skip
    """Computes the percentage of values less than the given threshold."""
    below = math_ops.cast(math_ops.less(_float(values), threshold), dtypes.float32)
    return mean(below, weights, metrics_collections, updates_collections,
                name or "percentage_below_threshold")  # fmt: skip


def _float(x):
    return math_ops.cast(x, dtypes.float32)


def _count_condition(condition, weights, metrics_collections, updates_collections):
    count = metric_variable([], dtypes.float32, name="count")
    hits = math_ops.cast(condition, dtypes.float32)
    if weights is not None:
        hits = hits * math_ops.cast(weights, dtypes.float32)
    update_op = state_ops.assign_add(count, math_ops.reduce_sum(hits))
    return _publish(count.value(), update_op, metrics_collections, updates_collections)


def _confusion(kind, labels, predictions, weights, metrics_collections, updates_collections,
               name):  # fmt: skip
    want_label, want_prediction = _CONFUSION[kind]
    with vs.variable_scope(name, kind, (predictions, labels, weights)):
        predictions, labels, weights = _remove_squeezable_dimensions(
            math_ops.cast(predictions, dtypes.bool), math_ops.cast(labels, dtypes.bool), weights
        )
        condition = math_ops.logical_and(
            math_ops.equal(labels, want_label), math_ops.equal(predictions, want_prediction)
        )
        return _count_condition(condition, weights, metrics_collections, updates_collections)


# Per count: the label and the prediction it counts.
_CONFUSION = {
    "true_positives": (True, True),
    "false_positives": (False, True),
    "true_negatives": (False, False),
    "false_negatives": (True, False),
}


def true_positives(labels, predictions, weights=None, metrics_collections=None,
                   updates_collections=None, name=None):  # fmt: skip
    """Sum the weights of true positives (label and prediction both true)."""
    return _confusion("true_positives", labels, predictions, weights, metrics_collections,
                      updates_collections, name)  # fmt: skip


def false_positives(labels, predictions, weights=None, metrics_collections=None,
                    updates_collections=None, name=None):  # fmt: skip
    """Sum the weights of false positives (label false, prediction true)."""
    return _confusion("false_positives", labels, predictions, weights, metrics_collections,
                      updates_collections, name)  # fmt: skip


def true_negatives(labels, predictions, weights=None, metrics_collections=None,
                   updates_collections=None, name=None):  # fmt: skip
    """Sum the weights of true negatives (label and prediction both false)."""
    return _confusion("true_negatives", labels, predictions, weights, metrics_collections,
                      updates_collections, name)  # fmt: skip


def false_negatives(labels, predictions, weights=None, metrics_collections=None,
                    updates_collections=None, name=None):  # fmt: skip
    """Sum the weights of false negatives (label true, prediction false)."""
    return _confusion("false_negatives", labels, predictions, weights, metrics_collections,
                      updates_collections, name)  # fmt: skip


def _ratio(default_name, miss_kind, labels, predictions, weights, metrics_collections,
           updates_collections, name):  # fmt: skip
    """`tp / (tp + miss)`: precision with false positives, recall with false negatives."""
    with vs.variable_scope(name, default_name, (predictions, labels, weights)):
        tp, update_tp = true_positives(labels, predictions, weights, name="true_positives")
        miss, update_miss = _confusion(miss_kind, labels, predictions, weights, None, None,
                                       miss_kind)  # fmt: skip
        value = _safe_div(tp, tp + miss, name="value")
        update_op = _safe_div(update_tp, update_tp + update_miss, name="update_op")
        return _publish(value, update_op, metrics_collections, updates_collections)


def precision(labels, predictions, weights=None, metrics_collections=None,
              updates_collections=None, name=None):  # fmt: skip
    """Computes the precision of the predictions with respect to the labels: tp / (tp + fp).

    Example:
      >>> value, update = tf.metrics.precision(labels, predictions)
    """
    return _ratio("precision", "false_positives", labels, predictions, weights,
                  metrics_collections, updates_collections, name)  # fmt: skip


def recall(labels, predictions, weights=None, metrics_collections=None,
           updates_collections=None, name=None):  # fmt: skip
    """Computes the recall of the predictions with respect to the labels: tp / (tp + fn)."""
    return _ratio("recall", "false_negatives", labels, predictions, weights,
                  metrics_collections, updates_collections, name)  # fmt: skip


# -- metrics over thresholds ---------------------------------------------------------------

_COUNTS = {  # per count: its variable name, then the label and the prediction it counts
    "tp": ("true_positives", True, True),
    "fn": ("false_negatives", True, False),
    "tn": ("true_negatives", False, False),
    "fp": ("false_positives", False, True),
}


def _confusion_at_thresholds(labels, predictions, thresholds, weights=None, includes=None):
    """TF1's `_confusion_matrix_at_thresholds`: counts per threshold, `prediction > t`."""
    predictions, labels, weights = _remove_squeezable_dimensions(
        math_ops.cast(predictions, dtypes.float32), labels, weights
    )
    checks = [
        check_ops.assert_greater_equal(predictions, 0.0, message="predictions must be in [0, 1]"),
        check_ops.assert_less_equal(predictions, 1.0, message="predictions must be in [0, 1]"),
    ]
    hits_weight = None
    if weights is not None:  # broadcast to the predictions' shape, before they are flattened
        weights = math_ops.cast(weights, dtypes.float32) * array_ops.ones_like(predictions)
        hits_weight = array_ops.reshape(weights, [1, -1])
    with control_dependencies(checks):
        predictions = array_ops.reshape(predictions, [1, -1])
    labels = array_ops.reshape(math_ops.cast(labels, dtypes.bool), [1, -1])
    above = math_ops.greater(predictions, array_ops.reshape(constant(thresholds), [-1, 1]))
    values, updates = {}, {}
    for key in includes or ("tp", "fn", "tn", "fp"):
        name, want_label, want_above = _COUNTS[key]
        hits = math_ops.cast(
            math_ops.logical_and(
                math_ops.equal(labels, want_label), math_ops.equal(above, want_above)
            ),
            dtypes.float32,
        )
        if hits_weight is not None:
            hits = hits * hits_weight
        values[key] = metric_variable([len(thresholds)], dtypes.float32, name=name)
        updates[key] = state_ops.assign_add(values[key], math_ops.reduce_sum(hits, 1))
    return values, updates


def auc(
    labels,
    predictions,
    weights=None,
    num_thresholds=200,
    metrics_collections=None,
    updates_collections=None,
    curve="ROC",
    name=None,
    summation_method="trapezoidal",
    thresholds=None,
):
    """Computes the approximate AUC (area under the ROC or PR curve) via a Riemann sum.

    `predictions` must be in [0, 1]; they are compared with `num_thresholds` thresholds
    spread evenly over [0, 1] (or the given `thresholds`). `summation_method` is
    'trapezoidal', 'careful_interpolation' (PR curve), 'minoring' or 'majoring'.

    Example:
      >>> auc, update = tf.metrics.auc(labels, tf.sigmoid(logits))
    """
    with vs.variable_scope(name, "auc", (labels, predictions, weights)):
        if curve not in ("ROC", "PR"):
            raise ValueError(f"Curve must be either ROC or PR. Curve {curve} is unknown.")
        if thresholds is not None:
            inner, num_thresholds = sorted(thresholds), len(thresholds) + 2
        else:
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        edges = [0.0 - _KEPSILON] + list(inner) + [1.0 + _KEPSILON]
        values, updates = _confusion_at_thresholds(labels, predictions, edges, weights)
        area = _AreaUnderCurve(curve, summation_method, num_thresholds)
        value = area(values, "value")
        update_op = area(updates, "update_op")
        return _publish(value, update_op, metrics_collections, updates_collections)


_KEPSILON = 1e-7  # thresholds just outside [0, 1], for floating point imprecision


class _AreaUnderCurve:
    """TF1's `compute_auc` for one curve and summation method."""

    def __init__(self, curve, summation_method, num_thresholds):
        if summation_method not in ("trapezoidal", "careful_interpolation", "minoring", "majoring"):
            raise ValueError(
                f"Invalid summation_method: {summation_method} summation_method should be "
                "'trapezoidal', 'careful_interpolation', 'minoring', or 'majoring'."
            )
        self.curve, self.method, self.n = curve, summation_method, num_thresholds

    def __call__(self, counts, name):
        tp, fn, tn, fp = (counts[k] for k in ("tp", "fn", "tn", "fp"))
        if self.curve == "PR" and self.method == "careful_interpolation":
            return self._interpolate_pr(tp, fp, fn, name)
        epsilon = 1.0e-6
        recall = (tp + epsilon) / (tp + fn + epsilon)
        if self.curve == "ROC":
            x, y = fp / (fp + tn + epsilon), recall
        else:
            x, y = recall, (tp + epsilon) / (tp + fp + epsilon)
        heights = {"minoring": math_ops.minimum, "majoring": math_ops.maximum}.get(
            self.method, lambda a, b: (a + b) / 2.0
        )(y[: self.n - 1], y[1:])
        return math_ops.reduce_sum((x[: self.n - 1] - x[1:]) * heights, name=name)

    def _interpolate_pr(self, tp, fp, fn, name):
        """Davis & Goadrich's interpolation of the PR curve between thresholds."""
        n = self.n
        dtp = tp[: n - 1] - tp[1:]
        p = tp + fp
        slope = _div_no_nan(dtp, math_ops.maximum(p[: n - 1] - p[1:], 0.0))
        intercept = tp[1:] - slope * p[1:]
        both = math_ops.logical_and(p[: n - 1] > 0, p[1:] > 0)
        ratio = array_ops.where(
            both, _div_no_nan(p[: n - 1], math_ops.maximum(p[1:], 0.0)), array_ops.ones_like(p[1:])
        )
        increments = _div_no_nan(
            slope * (dtp + intercept * math_ops.log(ratio)), math_ops.maximum(tp[1:] + fn[1:], 0.0)
        )
        return math_ops.reduce_sum(increments, name=name)


def _div_no_nan(x, y):
    nonzero = math_ops.not_equal(y, 0.0)
    safe = array_ops.where(nonzero, y, array_ops.ones_like(y))
    return array_ops.where(nonzero, x / safe, array_ops.zeros_like(x))


def _counts_at_thresholds(
    key,
    default_name,
    labels,
    predictions,
    thresholds,
    weights,
    metrics_collections,
    updates_collections,
    name,
):
    with vs.variable_scope(name, default_name, (predictions, labels, weights)):
        values, updates = _confusion_at_thresholds(
            labels, predictions, thresholds, weights, includes=(key,)
        )
        return _publish(values[key].value(), updates[key], metrics_collections, updates_collections)


def true_positives_at_thresholds(
    labels,
    predictions,
    thresholds,
    weights=None,
    metrics_collections=None,
    updates_collections=None,
    name=None,
):
    """Computes true positives at provided threshold values (`prediction > threshold`)."""
    return _counts_at_thresholds(
        "tp",
        "true_positives",
        labels,
        predictions,
        thresholds,
        weights,
        metrics_collections,
        updates_collections,
        name,
    )


def false_positives_at_thresholds(
    labels,
    predictions,
    thresholds,
    weights=None,
    metrics_collections=None,
    updates_collections=None,
    name=None,
):
    """Computes false positives at provided threshold values."""
    return _counts_at_thresholds(
        "fp",
        "false_positives",
        labels,
        predictions,
        thresholds,
        weights,
        metrics_collections,
        updates_collections,
        name,
    )


def true_negatives_at_thresholds(
    labels,
    predictions,
    thresholds,
    weights=None,
    metrics_collections=None,
    updates_collections=None,
    name=None,
):
    """Computes true negatives at provided threshold values."""
    return _counts_at_thresholds(
        "tn",
        "true_negatives",
        labels,
        predictions,
        thresholds,
        weights,
        metrics_collections,
        updates_collections,
        name,
    )


def false_negatives_at_thresholds(
    labels,
    predictions,
    thresholds,
    weights=None,
    metrics_collections=None,
    updates_collections=None,
    name=None,
):
    """Computes false negatives at provided threshold values."""
    return _counts_at_thresholds(
        "fn",
        "false_negatives",
        labels,
        predictions,
        thresholds,
        weights,
        metrics_collections,
        updates_collections,
        name,
    )


def _ratio_at_thresholds(
    default_name,
    miss,
    labels,
    predictions,
    thresholds,
    weights,
    metrics_collections,
    updates_collections,
    name,
):
    with vs.variable_scope(name, default_name, (predictions, labels, weights)):
        values, updates = _confusion_at_thresholds(
            labels, predictions, thresholds, weights, includes=("tp", miss)
        )
        epsilon = 1e-7
        value = math_ops.divide(
            values["tp"], epsilon + values["tp"] + values[miss], name=default_name.split("_")[0]
        )
        update_op = math_ops.divide(
            updates["tp"], epsilon + updates["tp"] + updates[miss], name="update_op"
        )
        return _publish(value, update_op, metrics_collections, updates_collections)


def precision_at_thresholds(
    labels,
    predictions,
    thresholds,
    weights=None,
    metrics_collections=None,
    updates_collections=None,
    name=None,
):
    """Computes precision values for different `thresholds` on `predictions`."""
    return _ratio_at_thresholds(
        "precision_at_thresholds",
        "fp",
        labels,
        predictions,
        thresholds,
        weights,
        metrics_collections,
        updates_collections,
        name,
    )


def recall_at_thresholds(
    labels,
    predictions,
    thresholds,
    weights=None,
    metrics_collections=None,
    updates_collections=None,
    name=None,
):
    """Computes various recall values for different `thresholds` on `predictions`."""
    return _ratio_at_thresholds(
        "recall_at_thresholds",
        "fn",
        labels,
        predictions,
        thresholds,
        weights,
        metrics_collections,
        updates_collections,
        name,
    )


# -- more means ------------------------------------------------------------------------------


def mean_relative_error(
    labels,
    predictions,
    normalizer,
    weights=None,
    metrics_collections=None,
    updates_collections=None,
    name=None,
):
    """Computes the mean relative error `|labels - predictions| / normalizer` (0 where the
    normalizer is 0)."""
    predictions, labels, weights = _remove_squeezable_dimensions(predictions, labels, weights)
    predictions, normalizer = _squeeze_last(predictions, convert_to_tensor(normalizer))
    predictions.get_shape().assert_is_compatible_with(normalizer.get_shape())
    labels, predictions = _float(labels), _float(predictions)
    normalizer = _float(normalizer) * array_ops.ones_like(labels)
    zero = math_ops.equal(normalizer, 0.0)
    safe = array_ops.where(zero, array_ops.ones_like(normalizer), normalizer)
    errors = array_ops.where(
        zero, array_ops.zeros_like(labels), math_ops.abs(labels - predictions) / safe
    )
    return mean(
        errors, weights, metrics_collections, updates_collections, name or "mean_relative_error"
    )


def mean_cosine_distance(
    labels,
    predictions,
    dim,
    weights=None,
    metrics_collections=None,
    updates_collections=None,
    name=None,
):
    """Computes the cosine distance `1 - sum(labels * predictions, dim)` of unit vectors."""
    predictions, labels, weights = _remove_squeezable_dimensions(predictions, labels, weights)
    radial = math_ops.reduce_sum(_float(predictions) * _float(labels), axis=[dim], keepdims=True)
    distance, update_op = mean(radial, weights, None, None, name or "mean_cosine_distance")
    value, update_op = 1.0 - distance, 1.0 - update_op
    return _publish(value, update_op, metrics_collections, updates_collections)


def mean_per_class_accuracy(
    labels,
    predictions,
    num_classes,
    weights=None,
    metrics_collections=None,
    updates_collections=None,
    name=None,
):
    """Calculates the mean of the per-class accuracies.

    Returns:
      `(mean_accuracy, update_op)`; `update_op` gives the per-class accuracies.
    """
    with vs.variable_scope(name, "mean_accuracy", (predictions, labels, weights)):
        labels = array_ops.reshape(math_ops.cast(labels, dtypes.int64), [-1])
        predictions = array_ops.reshape(math_ops.cast(predictions, dtypes.int64), [-1])
        predictions.get_shape().assert_is_compatible_with(labels.get_shape())
        total = metric_variable([num_classes], dtypes.float32, name="total")
        count = metric_variable([num_classes], dtypes.float32, name="count")
        ones = array_ops.ones_like(labels, dtype=dtypes.float32)
        is_correct = math_ops.cast(math_ops.equal(predictions, labels), dtypes.float32)
        if weights is not None:
            weights = array_ops.reshape(_float(weights), [-1])
            is_correct, ones = is_correct * weights, ones * weights
        update_total = state_ops.scatter_add(total, labels, ones)
        update_count = state_ops.scatter_add(count, labels, is_correct)
        value = math_ops.reduce_mean(_safe_div(count, total, name=None), name="mean_accuracy")
        update_op = _safe_div(update_count, update_total, name="update_op")
        return _publish(value, update_op, metrics_collections, updates_collections)


def mean_iou(
    labels,
    predictions,
    num_classes,
    weights=None,
    metrics_collections=None,
    updates_collections=None,
    name=None,
):
    """Calculates the per-step mean Intersection-Over-Union over the classes present.

    Returns:
      `(mean_iou, update_op)`; `update_op` gives the accumulated confusion matrix.
    """
    with vs.variable_scope(name, "mean_iou", (predictions, labels, weights)):
        predictions, labels = convert_to_tensor(predictions), convert_to_tensor(labels)
        predictions.get_shape().assert_is_compatible_with(labels.get_shape())
        total_cm = metric_variable(
            [num_classes, num_classes], dtypes.float64, name="total_confusion_matrix"
        )
        labels = array_ops.reshape(math_ops.cast(labels, dtypes.int64), [-1])
        predictions = array_ops.reshape(math_ops.cast(predictions, dtypes.int64), [-1])
        counts = array_ops.ones_like(labels, dtype=dtypes.float64)
        if weights is not None:
            counts = array_ops.reshape(math_ops.cast(weights, dtypes.float64), [-1])
        cells = math_ops.unsorted_segment_sum(
            counts, labels * num_classes + predictions, num_classes * num_classes
        )
        update_op = state_ops.assign_add(
            total_cm, array_ops.reshape(cells, [num_classes, num_classes])
        )
        return _publish(_mean_iou(total_cm), update_op, metrics_collections, updates_collections)


def _mean_iou(total_cm):
    cm = math_ops.cast(total_cm, dtypes.float32)
    diagonal = linalg_ops.matrix_diag_part(cm)
    denominator = math_ops.reduce_sum(cm, 0) + math_ops.reduce_sum(cm, 1) - diagonal
    valid = math_ops.reduce_sum(math_ops.cast(math_ops.not_equal(denominator, 0.0), dtypes.float32))
    iou = _safe_div(diagonal, denominator, name=None)
    return _safe_div(math_ops.reduce_sum(iou, name="mean_iou"), valid, name=None)


def sensitivity_at_specificity(
    labels,
    predictions,
    specificity,
    weights=None,
    num_thresholds=200,
    metrics_collections=None,
    updates_collections=None,
    name=None,
):
    """Computes the sensitivity (recall) at the threshold whose specificity is nearest."""
    if not 0 <= specificity <= 1:
        raise ValueError(
            "`specificity` must be in the range [0, 1]. Currently, `specificity` "
            f"got {specificity}."
        )
    with vs.variable_scope(name, "sensitivity_at_specificity", (predictions, labels, weights)):
        values, updates = _confusion_at_thresholds(
            labels, predictions, _even_thresholds(num_thresholds), weights
        )

        def at(counts, name):
            tp, tn, fp, fn = (counts[k] for k in ("tp", "tn", "fp", "fn"))
            specificities = tn / (tn + fp + _KEPSILON)
            index = math_ops.argmin(math_ops.abs(specificities - specificity), 0)
            index = math_ops.cast(index, dtypes.int32)
            return math_ops.divide(tp[index], tp[index] + fn[index] + _KEPSILON, name=name)

        return _publish(
            at(values, "value"), at(updates, "update_op"), metrics_collections, updates_collections
        )


def specificity_at_sensitivity(
    labels,
    predictions,
    sensitivity,
    weights=None,
    num_thresholds=200,
    metrics_collections=None,
    updates_collections=None,
    name=None,
):
    """Computes the specificity at the threshold whose sensitivity is nearest (the last
    such threshold on ties, as TF1)."""
    if not 0 <= sensitivity <= 1:
        raise ValueError(
            f"`sensitivity` must be in the range [0, 1]. Currently, `sensitivity` is {sensitivity}."
        )
    with vs.variable_scope(name, "specificity_at_sensitivity", (predictions, labels, weights)):
        values, updates = _confusion_at_thresholds(
            labels, predictions, _even_thresholds(num_thresholds), weights
        )

        def at(counts, name):
            tp, tn, fp, fn = (counts[k] for k in ("tp", "tn", "fp", "fn"))
            gaps = math_ops.abs(tp / (tp + fn + _KEPSILON) - sensitivity)
            ties = math_ops.cast(math_ops.equal(gaps, math_ops.reduce_min(gaps)), dtypes.int64)
            index = math_ops.cast(math_ops.argmax(math_ops.cumsum(ties), 0), dtypes.int32)
            return math_ops.divide(tn[index], tn[index] + fp[index] + _KEPSILON, name=name)

        return _publish(
            at(values, "value"), at(updates, "update_op"), metrics_collections, updates_collections
        )


def _even_thresholds(num_thresholds):
    inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
    return [0.0 - _KEPSILON] + inner + [1.0 + _KEPSILON]


# -- metrics over the top k classes --------------------------------------------------------
# TF1 counts these with set operations per row (a class predicted or labelled twice counts
# once); here the sets are compared element-wise, so no set ops are needed.


def _at_k_name(name, k=None, class_id=None):
    name = f"{name}_at_{k}" if k is not None else f"{name}_at_k"
    return name if class_id is None else f"{name}_class{class_id}"


def _label_sets(labels, predictions_idx):
    """(dense int64 labels with `predictions_idx`'s rank, the mask of their real entries)."""
    labels = convert_to_tensor_or_sparse_tensor(labels)
    if is_sparse(labels):
        present = SparseTensor(
            labels.indices, array_ops.ones_like(labels.values), labels.dense_shape
        )
        valid = math_ops.cast(sparse_ops.sparse_tensor_to_dense(present), dtypes.bool)
        labels = sparse_ops.sparse_tensor_to_dense(labels, default_value=-1)
    else:
        valid = array_ops.ones_like(labels, dtype=dtypes.bool)
    labels = math_ops.cast(labels, dtypes.int64)
    rank, predictions_rank = labels.shape.ndims, predictions_idx.shape.ndims
    if rank is not None and predictions_rank == rank + 1:
        return array_ops.expand_dims(labels, -1), array_ops.expand_dims(valid, -1)
    if rank is not None and predictions_rank is not None and predictions_rank != rank:
        raise ValueError(
            f"Unexpected labels shape {labels.shape} for predictions shape "
            f"{predictions_idx.shape}. Predictions rank should be the same rank as labels "
            "rank or labels rank plus one ."
        )
    return labels, valid


def _first_occurrences(ids, valid):
    """Marks the valid entries of `ids` whose value no earlier valid entry of their row has."""
    same = math_ops.equal(array_ops.expand_dims(ids, -1), array_ops.expand_dims(ids, -2))
    position = array_ops.range(array_ops.shape(ids)[-1])
    earlier = math_ops.less(array_ops.expand_dims(position, 0), array_ops.expand_dims(position, 1))
    repeated = math_ops.reduce_any(
        math_ops.logical_and(math_ops.logical_and(same, earlier), array_ops.expand_dims(valid, -2)),
        -1,
    )
    return math_ops.logical_and(valid, math_ops.logical_not(repeated))


def _top_k_counts(labels, predictions_idx, class_id):
    """Per row: |predicted ∩ labelled|, |predicted − labelled|, |labelled − predicted|."""
    predictions_idx = math_ops.cast(predictions_idx, dtypes.int64)
    labels, valid = _label_sets(labels, predictions_idx)
    predicted = array_ops.ones_like(predictions_idx, dtype=dtypes.bool)
    if class_id is not None:  # both sets shrink to {class_id} or {}
        valid = math_ops.logical_and(valid, math_ops.equal(labels, class_id))
        predicted = math_ops.equal(predictions_idx, class_id)
    match = math_ops.logical_and(
        math_ops.equal(
            array_ops.expand_dims(predictions_idx, -1), array_ops.expand_dims(labels, -2)
        ),
        array_ops.expand_dims(valid, -2),
    )
    hit, found = math_ops.reduce_any(match, -1), math_ops.reduce_any(match, -2)
    predicted = _first_occurrences(predictions_idx, predicted)
    labelled = _first_occurrences(labels, valid)
    return (
        _row_count(math_ops.logical_and(predicted, hit)),
        _row_count(math_ops.logical_and(predicted, math_ops.logical_not(hit))),
        _row_count(math_ops.logical_and(labelled, math_ops.logical_not(found))),
    )


def _row_count(mask):
    return math_ops.reduce_sum(math_ops.cast(mask, dtypes.float64), -1)


def _streaming_sum(per_row, weights, name):
    """A float64 metric variable `name` and the op adding the (weighted) sum of `per_row`."""
    if weights is not None:
        per_row = per_row * math_ops.cast(weights, dtypes.float64)
    total = metric_variable([], dtypes.float64, name=name)
    with name_scope(name):
        return total.value(), state_ops.assign_add(
            total, math_ops.reduce_sum(per_row), name="update"
        )


def _top_k_ratio(metric, labels, predictions_idx, k, class_id, weights, metrics_collections,
                 updates_collections, name):  # fmt: skip
    """`tp / (tp + miss)` over the top-k predictions; 0/0 is NaN, as in TF1."""
    miss = "false_positive" if metric == "precision" else "false_negative"
    with vs.variable_scope(name, _at_k_name(metric, k, class_id), (predictions_idx, labels)):
        tp, fp, fn = _top_k_counts(labels, predictions_idx, class_id)
        tp, tp_update = _streaming_sum(tp, weights, _at_k_name("true_positive", k, class_id))
        wrong = fp if metric == "precision" else fn
        wrong, wrong_update = _streaming_sum(wrong, weights, _at_k_name(miss, k, class_id))
        value = math_ops.divide(tp, tp + wrong, name="value")
        update_op = math_ops.divide(tp_update, tp_update + wrong_update, name="update")
        return _publish(value, update_op, metrics_collections, updates_collections)


def _top_k_indices(predictions, k):
    return array_ops.top_k(predictions, k)[1]


def precision_at_top_k(labels, predictions_idx, k=None, class_id=None, weights=None,
                       metrics_collections=None, updates_collections=None, name=None):  # fmt: skip
    """Computes precision@k of the top-k predictions with respect to sparse labels.

    Per row, the classes in `predictions_idx` that are also in `labels` are true
    positives and the others false positives (with `class_id`, only that class counts).

    Args:
      labels: `int64` `Tensor` or `SparseTensor` of class ids, `[D1, ... DN, num_labels]`
        or `[D1, ... DN]`.
      predictions_idx: Integer `Tensor` `[D1, ... DN, k]` of the predicted class ids.
      k: Only names the metric (`precision_at_<k>`).
      class_id: Optional class whose precision is computed.
      weights: Optional weights broadcastable to `[D1, ... DN]`.
      metrics_collections: Collections to add the value to.
      updates_collections: Collections to add `update_op` to.
      name: Name of the variable scope.

    Returns:
      (precision, update_op): float64; NaN while nothing was predicted.
    """
    return _top_k_ratio("precision", labels, predictions_idx, k, class_id, weights,
                        metrics_collections, updates_collections, name)  # fmt: skip


def recall_at_top_k(labels, predictions_idx, k=None, class_id=None, weights=None,
                    metrics_collections=None, updates_collections=None, name=None):  # fmt: skip
    """Computes recall@k of the top-k predictions with respect to sparse labels.

    Arguments as `precision_at_top_k`; labelled classes missing from `predictions_idx` are
    false negatives. Returns (recall, update_op), float64, NaN while nothing was labelled.
    """
    return _top_k_ratio("recall", labels, predictions_idx, k, class_id, weights,
                        metrics_collections, updates_collections, name)  # fmt: skip


def precision_at_k(labels, predictions, k, class_id=None, weights=None,
                   metrics_collections=None, updates_collections=None, name=None):  # fmt: skip
    """Computes precision@k of the predictions with respect to sparse labels.

    `precision_at_top_k` of the `k` classes with the highest `predictions` (logits or
    probabilities, `[D1, ... DN, num_classes]`).

    Example:
      >>> precision, update_op = tf.metrics.precision_at_k(labels, logits, k=5)
    """
    return precision_at_top_k(labels, _top_k_indices(predictions, k), k, class_id, weights,
                              metrics_collections, updates_collections, name)  # fmt: skip


def recall_at_k(labels, predictions, k, class_id=None, weights=None,
                metrics_collections=None, updates_collections=None, name=None):  # fmt: skip
    """Computes recall@k of the predictions with respect to sparse labels.

    `recall_at_top_k` of the `k` classes with the highest `predictions`
    (`[D1, ... DN, num_classes]`); labels outside `[0, num_classes)` are false negatives.
    """
    return recall_at_top_k(labels, _top_k_indices(predictions, k), k, class_id, weights,
                           metrics_collections, updates_collections, name)  # fmt: skip


def average_precision_at_k(labels, predictions, k, weights=None, metrics_collections=None,
                           updates_collections=None, name=None):  # fmt: skip
    """Computes average precision@k of predictions with respect to sparse labels.

    Per row, AveP = sum over i <= k of precision@i * rel(i), divided by
    min(k, number of labels); the metric is the (weighted) mean of AveP over rows. Labels
    outside `[0, num_classes)` are never relevant.

    Returns:
      (mean_average_precision, update_op): float64, 0 while no row was seen.

    Raises:
      ValueError: If `k` is less than 1.
    """
    if k < 1:
        raise ValueError(f"Invalid k={k}. `k` should be >= 1.")
    with vs.variable_scope(name, _at_k_name("average_precision", k), (predictions, labels)):
        predictions_idx = math_ops.cast(_top_k_indices(predictions, k), dtypes.int64)
        average = _average_precision(labels, predictions_idx, array_ops.shape(predictions)[-1], k)
        row_weights = array_ops.ones_like(average)
        if weights is not None:
            row_weights = row_weights * math_ops.cast(weights, dtypes.float64)
        # TF1 opens a name scope `max` and names the variable inside it, which makes `max_1`.
        most, most_update = _streaming_sum(row_weights, None, "max_1")
        total, total_update = _streaming_sum(average * row_weights, None, "total")
        return _publish(_div_no_nan(total, most), _div_no_nan(total_update, most_update),
                        metrics_collections, updates_collections)  # fmt: skip


def _average_precision(labels, predictions_idx, num_classes, k):
    """Per row: AveP@k, the mean of precision@i over the relevant ranks i <= k."""
    sparse = is_sparse(labels)
    labels, valid = _label_sets(labels, predictions_idx)
    # As TF1: labels past the last class become -1 (never relevant, but a set member).
    in_range = math_ops.less(labels, math_ops.cast(num_classes, dtypes.int64))
    labels = array_ops.where(in_range, labels, -array_ops.ones_like(labels))
    match = math_ops.equal(
        array_ops.expand_dims(predictions_idx, -1), array_ops.expand_dims(labels, -2)
    )
    relevant = math_ops.cast(
        math_ops.reduce_any(math_ops.logical_and(match, array_ops.expand_dims(valid, -2)), -1),
        dtypes.float64,
    )
    ranks = math_ops.cast(array_ops.range(1, k + 1), dtypes.float64)
    precision_sum = math_ops.reduce_sum(math_ops.cumsum(relevant, axis=-1) / ranks * relevant, -1)
    # TF1 counts a sparse row's distinct labels, a dense row's non-negative ones.
    counted = _first_occurrences(labels, valid) if sparse else math_ops.greater_equal(labels, 0)
    return math_ops.divide(precision_sum, math_ops.minimum(_row_count(counted), float(k)))
