"""Composite `tf.nn` helpers: zero_fraction, sufficient statistics and moments from them,
relu_layer, and the per-replica loss scaling helpers."""

from __future__ import annotations

from flowgraph.framework import dtypes
from flowgraph.framework.ops import Tensor
from flowgraph.framework.scopes import name_scope
from flowgraph.ops import array_ops, math_ops, nn_ops
from flowgraph.ops.constant_op import convert_to_tensor


def zero_fraction(value, name=None) -> Tensor:
    """The fraction of zeros in `value` (a float32 scalar).

    Example:
      >>> tf.nn.zero_fraction([0.0, 1.0, 0.0, 2.0])   # 0.5
    """
    with name_scope(name, "zero_fraction", [value]):
        value = convert_to_tensor(value, name="value")
        zeros = math_ops.cast(math_ops.equal(value, array_ops.zeros_like(value)), dtypes.float32)
        return math_ops.reduce_mean(zeros)


def sufficient_statistics(x, axes, shift=None, keep_dims=None, name=None, keepdims=None):
    """The count, sum, sum of squares (around `shift` if given) and shift of `x` over `axes`.

    Returns `(count, mean_ss, variance_ss, shift)` for `normalize_moments`.
    """
    keepdims = bool(keepdims if keepdims is not None else keep_dims)
    with name_scope(name, "sufficient_statistics", [x, shift]):
        x = convert_to_tensor(x, name="x")
        shape = array_ops.shape(x)
        count = math_ops.reduce_prod(math_ops.cast(array_ops.gather(shape, list(axes)), x.dtype))
        centered = x
        if shift is not None:
            shift = convert_to_tensor(shift, dtype=x.dtype, name="shift")
            centered = x - shift
        mean_ss = math_ops.reduce_sum(centered, axes, keepdims=keepdims, name="mean_ss")
        var_ss = math_ops.reduce_sum(
            math_ops.square(centered), axes, keepdims=keepdims, name="var_ss"
        )
        return count, mean_ss, var_ss, shift


def normalize_moments(counts, mean_ss, variance_ss, shift, name=None):
    """The mean and variance from `sufficient_statistics`."""
    with name_scope(name, "normalize", [counts, mean_ss, variance_ss, shift]):
        divisor = math_ops.reciprocal(counts, name="divisor")
        shifted_mean = math_ops.multiply(mean_ss, divisor, name="shifted_mean")
        mean = shifted_mean + shift if shift is not None else shifted_mean
        variance = math_ops.subtract(
            math_ops.multiply(variance_ss, divisor), math_ops.square(shifted_mean), name="variance"
        )
        return mean, variance


def relu_layer(x, weights, biases, name=None) -> Tensor:
    """relu(matmul(x, weights) + biases)."""
    with name_scope(name, "relu_layer", [x, weights, biases]) as scope:
        return nn_ops.relu(nn_ops.bias_add(math_ops.matmul(x, weights), biases), name=scope)


def compute_average_loss(per_example_loss, sample_weight=None, global_batch_size=None):
    """The sum of the (weighted) per-example losses divided by the global batch size (the
    batch size of this replica by default: flowgraph runs one replica per graph)."""
    loss = convert_to_tensor(per_example_loss)
    if sample_weight is not None:
        loss = loss * convert_to_tensor(sample_weight, dtype=loss.dtype)
    if global_batch_size is None:
        global_batch_size = math_ops.cast(array_ops.shape(loss)[0], loss.dtype)
    else:
        global_batch_size = math_ops.cast(convert_to_tensor(global_batch_size), loss.dtype)
    return math_ops.reduce_sum(loss) / global_batch_size


def scale_regularization_loss(regularization_loss):
    """The sum of the regularization losses, scaled for one replica (flowgraph has one)."""
    if isinstance(regularization_loss, (list, tuple)):
        return math_ops.add_n(list(regularization_loss))
    return convert_to_tensor(regularization_loss)
