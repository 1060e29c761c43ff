"""`tf.losses.mean_pairwise_squared_error`: a loss on the differences between pairs of
elements of each example, not on the elements themselves."""

from __future__ import annotations

from flowgraph.framework import dtypes
from flowgraph.framework.ops import GraphKeys
from flowgraph.framework.scopes import name_scope
from flowgraph.ops import array_ops, losses_impl, math_ops, special_math_ops
from flowgraph.ops.constant_op import convert_to_tensor


def _present_per_example(diffs, weights):
    """How many elements of each example have a non-zero weight: `[batch, 1, ...]`."""
    present = array_ops.where(
        math_ops.equal(weights, 0.0), array_ops.zeros_like(weights), array_ops.ones_like(weights)
    )
    present = present * array_ops.ones_like(diffs)
    axes = array_ops.range(1, array_ops.rank(present))
    return math_ops.reduce_sum(present, axis=axes, keepdims=True)


def mean_pairwise_squared_error(
    labels, predictions, weights=1.0, scope=None, loss_collection=GraphKeys.LOSSES
):
    """The weighted mean pairwise squared error: for each example, the mean over pairs of
    its elements of `((p_i - p_j) - (l_i - l_j))^2`, weighted per example and summed.

    Args:
      labels: the ground truth, `[batch, d0, ... dN]`.
      predictions: the predictions, the same shape as `labels`.
      weights: a scalar or a `[batch]`-broadcastable tensor of example weights.
      scope: the scope of the ops.
      loss_collection: the collection the loss is added to.

    Returns:
      A scalar float32 loss.

    Raises:
      ValueError: if the shapes of `predictions` and `labels` do not match.
    """
    with name_scope(scope, "mean_pairwise_squared_error", [predictions, labels, weights]):
        predictions = math_ops.cast(convert_to_tensor(predictions), dtypes.float32)
        labels = math_ops.cast(convert_to_tensor(labels), dtypes.float32)
        predictions.shape.assert_is_compatible_with(labels.shape)
        weights = math_ops.cast(convert_to_tensor(weights), dtypes.float32)
        diffs = predictions - labels
        axes = array_ops.range(1, array_ops.rank(diffs))
        sum_squares = math_ops.reduce_sum(math_ops.square(diffs), axis=axes, keepdims=True)
        n = _present_per_example(diffs, weights)
        term1 = 2.0 * special_math_ops.div_no_nan(sum_squares, math_ops.maximum(n - 1, 0.0))
        sum_diff = math_ops.reduce_sum(diffs, axis=axes, keepdims=True)
        term2 = 2.0 * special_math_ops.div_no_nan(
            math_ops.square(sum_diff), math_ops.maximum(n * (n - 1), 0.0)
        )
        loss = math_ops.reduce_sum((term1 - term2) * weights)
        mean_loss = array_ops.where(
            math_ops.reduce_sum(n) > 0, loss, array_ops.zeros_like(loss), name="value"
        )
        losses_impl.add_loss(mean_loss, loss_collection)
        return mean_loss
