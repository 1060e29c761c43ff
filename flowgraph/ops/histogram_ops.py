"""Histograms with equal-width bins: `tf.histogram_fixed_width` and its bin indices."""

from __future__ import annotations

from flowgraph.framework import dtypes
from flowgraph.framework.ops import Tensor, apply_op
from flowgraph.framework.scopes import name_scope
from flowgraph.ops import array_ops, math_ops
from flowgraph.ops.constant_op import convert_to_tensor
from flowgraph.ops.gradients import no_gradient

no_gradient("HistogramFixedWidth")  # integer counts


def histogram_fixed_width(values, value_range, nbins=100, dtype=dtypes.int32, name=None):
    """Counts `values` in `nbins` equal bins over `value_range` = [lo, hi).

    Values below `lo` count in the first bin, values at or above `hi` in the last.

    Example:
      >>> tf.histogram_fixed_width([-1.0, 0.0, 1.5, 2.0, 5.0, 15.0], [0.0, 5.0], nbins=5)
      # [2, 1, 1, 0, 2]
    """
    with name_scope(name, "histogram_fixed_width", [values, value_range, nbins]):
        values = convert_to_tensor(values, name="values")
        value_range = convert_to_tensor(value_range, dtype=values.dtype.base_dtype)
        nbins = convert_to_tensor(nbins, dtype=dtypes.int32, name="nbins")
        return apply_op(
            "HistogramFixedWidth",
            [values, value_range, nbins],
            T=values.dtype.base_dtype.numpy_dtype,
            dtype=dtypes.as_dtype(dtype).numpy_dtype,
        )


def histogram_fixed_width_bins(values, value_range, nbins=100, dtype=dtypes.int32, name=None):
    """The bin index of each of `values` (the bins of `histogram_fixed_width`)."""
    with name_scope(name, "histogram_fixed_width_bins", [values, value_range]):
        values = convert_to_tensor(values, name="values")
        value_range = convert_to_tensor(value_range, dtype=values.dtype.base_dtype)
        nbins = math_ops.cast(convert_to_tensor(nbins, dtype=dtypes.int32), dtypes.float64)
        lo, hi = (math_ops.cast(value_range[i], dtypes.float64) for i in (0, 1))
        scaled = (math_ops.cast(values, dtypes.float64) - lo) / (hi - lo) * nbins
        index = math_ops.minimum(math_ops.maximum(math_ops.floor(scaled), 0.0), nbins - 1)
        return array_ops.reshape(math_ops.cast(index, dtype), array_ops.shape(values))


def confusion_matrix(
    labels, predictions, num_classes=None, dtype=dtypes.int32, name=None, weights=None
) -> Tensor:
    """The confusion matrix: entry [i, j] counts (or sums `weights` of) the examples with
    label i predicted as j. Without `num_classes`, it is one more than the largest label or
    prediction.

    Example:
      >>> tf.confusion_matrix([1, 2, 4], [2, 2, 4])   # a 5x5 matrix, ones at [1,2] [2,2] [4,4]
    """
    with name_scope(name, "confusion_matrix", [labels, predictions, num_classes, weights]):
        labels = math_ops.cast(convert_to_tensor(labels, name="labels"), dtypes.int64)
        predictions = math_ops.cast(convert_to_tensor(predictions), dtypes.int64)
        if num_classes is None:
            num_classes = (
                math_ops.maximum(math_ops.reduce_max(labels), math_ops.reduce_max(predictions)) + 1
            )
        else:
            num_classes = math_ops.cast(convert_to_tensor(num_classes), dtypes.int64)
        dtype = dtypes.as_dtype(dtype)
        if weights is None:
            weights = array_ops.ones_like(predictions, dtype=dtype)
        else:
            weights = math_ops.cast(convert_to_tensor(weights), dtype)
        cells = array_ops.reshape(labels * num_classes + predictions, [-1])
        size = math_ops.cast(num_classes * num_classes, dtypes.int32)
        sums = math_ops.unsorted_segment_sum(array_ops.reshape(weights, [-1]), cells, size)
        side = math_ops.cast(num_classes, dtypes.int32)
        return array_ops.reshape(sums, array_ops.stack([side, side]))
