"""`tf.metrics`: streaming metrics, each a value tensor and an update op over local variables.

Every metric keeps its state in local variables (`LOCAL_VARIABLES` and
`METRIC_VARIABLES`, under the metric's variable scope, e.g. `mean/total`), initialized by
`tf.local_variables_initializer()`; running `update_op` folds a batch in and returns the
new value, reading `value` gives the value so far.
"""

from __future__ import annotations

from flowgraph.framework import dtypes
from flowgraph.framework.ops import GraphKeys
from flowgraph.framework.scopes import add_to_collections, control_dependencies
from flowgraph.ops import array_ops, init_ops, math_ops, state_ops, variable_scope as vs
from flowgraph.ops.constant_op import convert_to_tensor


def metric_variable(shape, dtype, validate_shape=True, name=None):
    """A zero-initialized local variable holding a metric's state."""
    return vs.get_variable(
        name, shape=shape, dtype=dtype, initializer=init_ops.zeros_initializer(),
        trainable=False, collections=[GraphKeys.LOCAL_VARIABLES, GraphKeys.METRIC_VARIABLES],
        validate_shape=validate_shape,
    )  # fmt: skip


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
    weights = math_ops.cast(weights, dtypes.float32) * array_ops.ones_like(values)
    return values * weights, math_ops.reduce_sum(weights)


def mean(values, weights=None, metrics_collections=None, updates_collections=None, name=None):
    """Computes the (weighted) mean of the given values.

    Returns:
      `(mean, update_op)`: the mean so far (`total / count`), and the op that adds a batch.

    Example:
      >>> loss_mean, update = tf.metrics.mean(loss)
    """
    with vs.variable_scope(name, "mean", (values, weights)):
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
        values = math_ops.cast(values, dtypes.float32)
        total = metric_variable(values.get_shape(), dtypes.float32, name="total_tensor")
        count = metric_variable(values.get_shape(), dtypes.float32, name="count_tensor")
        if weights is None:
            weights = array_ops.ones_like(values)
        weights = math_ops.cast(weights, dtypes.float32) * array_ops.ones_like(values)
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
    predictions = convert_to_tensor(predictions)
    labels = math_ops.cast(labels, predictions.dtype.base_dtype)
    is_correct = math_ops.cast(math_ops.equal(predictions, labels), dtypes.float32)
    return mean(is_correct, weights, metrics_collections, updates_collections,
                name or "accuracy")  # fmt: skip


def mean_absolute_error(labels, predictions, weights=None, metrics_collections=None,
                        updates_collections=None, name=None):  # fmt: skip
    """Computes the mean absolute error between the labels and predictions."""
    errors = math_ops.abs(_float(predictions) - _float(labels))
    return mean(errors, weights, metrics_collections, updates_collections,
                name or "mean_absolute_error")  # fmt: skip


def mean_squared_error(labels, predictions, weights=None, metrics_collections=None,
                       updates_collections=None, name=None):  # fmt: skip
    """Computes the mean squared error between the labels and predictions."""
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
        labels = math_ops.cast(labels, dtypes.bool)
        predictions = math_ops.cast(predictions, dtypes.bool)
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
