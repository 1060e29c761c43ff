"""Neural-network ops (`tf.nn.*`): activations, softmax, bias_add, cross entropies."""

from __future__ import annotations

from flowgraph.framework import dtypes
from flowgraph.framework.ops import Tensor, apply_op
from flowgraph.framework.scopes import name_scope
from flowgraph.ops import array_ops, math_ops
from flowgraph.ops.constant_op import convert_to_tensor

_FLOATS = (dtypes.float16, dtypes.bfloat16, dtypes.float32, dtypes.float64)


def _activation(op_type: str, doc: str):
    def fn(features, name=None) -> Tensor:
        features = convert_to_tensor(features, name="features")
        if features.dtype.base_dtype not in _FLOATS + tuple(dtypes.INTEGER_TYPES):
            raise TypeError(
                f"{op_type}: features must be a real number type, got {features.dtype.name}"
            )
        return apply_op(op_type, [features], name=name, T=features.dtype.numpy_dtype)

    fn.__doc__ = doc
    return fn


relu = _activation("Relu", "max(features, 0).")
relu6 = _activation("Relu6", "min(max(features, 0), 6).")
elu = _activation("Elu", "Exponential linear unit: x if x > 0 else exp(x) - 1.")
selu = _activation("Selu", "Scaled exponential linear unit.")
softplus = _activation("Softplus", "log(exp(features) + 1).")
softsign = _activation("Softsign", "features / (abs(features) + 1).")


def leaky_relu(features, alpha=0.2, name=None) -> Tensor:
    """x if x > 0 else alpha * x."""
    features = convert_to_tensor(features, name="features")
    return apply_op(
        "LeakyRelu", [features], name=name, alpha=float(alpha), T=features.dtype.numpy_dtype
    )


def _along_last_axis(op_type: str, logits, axis, name) -> Tensor:
    logits = convert_to_tensor(logits)
    rank = logits.shape.ndims
    if axis is None or axis == -1 or (rank is not None and axis == rank - 1):
        return apply_op(op_type, [logits], name=name, T=logits.dtype.numpy_dtype)
    perm = _swap_with_last(logits, axis)
    moved = apply_op(op_type, [array_ops.transpose(logits, perm)], T=logits.dtype.numpy_dtype)
    return array_ops.transpose(moved, perm, name=name)


def _swap_with_last(x: Tensor, axis: int):
    """The permutation exchanging `axis` with the last axis (built from tf.rank if needed)."""
    rank = x.shape.ndims
    if rank is not None:
        axis %= rank
        perm = list(range(rank))
        perm[axis], perm[-1] = perm[-1], perm[axis]
        return perm
    if axis < 0:
        raise ValueError(f"axis {axis} needs a known rank")
    last = array_ops.rank(x) - 1
    return array_ops.concat(
        [
            array_ops.range(axis),
            array_ops.expand_dims(last, 0),
            array_ops.range(axis + 1, last),
            [axis],
        ],
        0,
    )


def softmax(logits, axis=None, name=None, dim=None) -> Tensor:
    """exp(logits) / sum(exp(logits), axis); TF1 also takes `dim`."""
    return _along_last_axis("Softmax", logits, axis if axis is not None else dim, name)


def log_softmax(logits, axis=None, name=None, dim=None) -> Tensor:
    """logits - log(sum(exp(logits), axis)); TF1 also takes `dim`."""
    return _along_last_axis("LogSoftmax", logits, axis if axis is not None else dim, name)


def bias_add(value, bias, data_format=None, name=None) -> Tensor:
    """Adds the 1-D `bias` along the channel dimension of `value`."""
    with name_scope(name, "BiasAdd", [value, bias]) as scope:
        value = convert_to_tensor(value, name="input")
        bias = convert_to_tensor(bias, dtype=value.dtype, name="bias")
        return apply_op(
            "BiasAdd",
            [value, bias],
            name=scope,
            data_format=data_format or "NHWC",
            T=value.dtype.numpy_dtype,
        )


def xw_plus_b(x, weights, biases, name=None) -> Tensor:
    """matmul(x, weights) + biases."""
    with name_scope(name, "xw_plus_b", [x, weights, biases]) as scope:
        return bias_add(math_ops.matmul(x, weights), biases, name=scope)


def l2_loss(t, name=None) -> Tensor:
    """sum(t ** 2) / 2."""
    t = convert_to_tensor(t)
    return apply_op("L2Loss", [t], name=name, T=t.dtype.numpy_dtype)


def softmax_cross_entropy_with_logits_v2(
    labels=None, logits=None, axis=-1, name=None, dim=None
) -> Tensor:
    """Cross entropy between `labels` (a distribution per row) and softmax(`logits`).

    Gradients flow into both labels and logits.
    """
    if labels is None or logits is None:
        raise ValueError(
            "Only call `softmax_cross_entropy_with_logits` with named arguments "
            "(labels=..., logits=..., ...)"
        )
    axis = dim if dim is not None else axis
    with name_scope(name, "softmax_cross_entropy_with_logits", [logits, labels]) as scope:
        logits = convert_to_tensor(logits, name="logits")
        labels = convert_to_tensor(labels, dtype=logits.dtype, name="labels")
        rank = logits.shape.ndims
        if axis not in (-1, None) and rank is not None and axis % rank != rank - 1:
            perm = list(range(rank))
            perm[axis], perm[-1] = perm[-1], perm[axis]
            logits, labels = array_ops.transpose(logits, perm), array_ops.transpose(labels, perm)
        loss, _ = apply_op(
            "SoftmaxCrossEntropyWithLogits", [logits, labels], T=logits.dtype.numpy_dtype
        )
        return array_ops.identity(loss, name=scope)


def softmax_cross_entropy_with_logits(
    _sentinel=None, labels=None, logits=None, dim=-1, name=None, axis=None
) -> Tensor:
    """TF1's version: like `_v2`, but no gradient flows into `labels`."""
    if _sentinel is not None:
        raise ValueError("Only call `softmax_cross_entropy_with_logits` with named arguments")
    labels = array_ops.stop_gradient(convert_to_tensor(labels), name="labels_stop_gradient")
    return softmax_cross_entropy_with_logits_v2(
        labels=labels, logits=logits, axis=dim if axis is None else axis, name=name
    )


def sparse_softmax_cross_entropy_with_logits(
    _sentinel=None, labels=None, logits=None, name=None
) -> Tensor:
    """Cross entropy of softmax(`logits`) against integer class `labels`."""
    if _sentinel is not None or labels is None or logits is None:
        raise ValueError(
            "Only call `sparse_softmax_cross_entropy_with_logits` with named "
            "arguments (labels=..., logits=..., ...)"
        )
    with name_scope(name, "SparseSoftmaxCrossEntropyWithLogits", [labels, logits]) as scope:
        logits = convert_to_tensor(logits)
        labels = convert_to_tensor(labels)
        if not labels.dtype.base_dtype.is_integer:
            raise TypeError(f"labels must be int32 or int64, got {labels.dtype.name}")
        if (
            logits.shape.ndims is not None
            and labels.shape.ndims is not None
            and (labels.shape.ndims != logits.shape.ndims - 1)
        ):
            raise ValueError(
                f"Rank mismatch: Rank of labels (received {labels.shape.ndims}) "
                f"should equal rank of logits minus 1 (received "
                f"{logits.shape.ndims})."
            )
        loss, _ = apply_op(
            "SparseSoftmaxCrossEntropyWithLogits", [logits, labels], T=logits.dtype.numpy_dtype
        )
        return array_ops.identity(loss, name=scope)


def sigmoid_cross_entropy_with_logits(
    _sentinel=None, labels=None, logits=None, name=None
) -> Tensor:
    """max(x, 0) - x * z + log(1 + exp(-|x|)), the stable form TF uses."""
    with name_scope(name, "logistic_loss", [logits, labels]) as scope:
        logits = convert_to_tensor(logits, name="logits")
        labels = convert_to_tensor(labels, dtype=logits.dtype, name="labels")
        zeros = array_ops.zeros_like(logits)
        relu_logits = array_ops.where(logits >= zeros, logits, zeros)
        neg_abs = array_ops.where(logits >= zeros, -logits, logits)
        return math_ops.add(
            relu_logits - logits * labels, math_ops.log1p(math_ops.exp(neg_abs)), name=scope
        )


# -- Dropout, normalisation, more activations ------------------------------------------


def dropout(x, keep_prob=None, noise_shape=None, seed=None, name=None, rate=None) -> Tensor:
    """Zeroes each element with probability `rate` (= 1 - `keep_prob`) and scales the rest
    by 1 / keep_prob; `noise_shape` broadcasts one draw over dimensions of size 1."""
    import numbers

    from flowgraph.framework.ops import constant_value
    from flowgraph.ops import random_ops

    if keep_prob is not None:
        if rate is not None:
            raise ValueError("Cannot specify both 'rate' and 'keep_prob'")
        try:
            rate = 1.0 - keep_prob
        except TypeError as e:
            raise ValueError(
                f"keep_prob must be a floating point number or Tensor (got {keep_prob!r})"
            ) from e
    if rate is None:
        raise ValueError("You must provide a rate to dropout.")
    with name_scope(name, "dropout", [x]) as scope:
        x = convert_to_tensor(x, name="x")
        if not x.dtype.is_floating:
            raise ValueError(
                "x has to be a floating point tensor since it's going to be scaled. "
                f"Got a {x.dtype.name} tensor instead."
            )
        if isinstance(rate, numbers.Real):
            if not 0 <= rate < 1:
                raise ValueError(
                    f"rate must be a scalar tensor or a float in the range [0, 1), got {rate:g}"
                )
        else:
            rate = convert_to_tensor(rate, dtype=x.dtype, name="rate")
            rate.shape.assert_is_compatible_with([])
        rate_value = rate if isinstance(rate, numbers.Real) else constant_value(rate)
        if rate_value is not None and float(rate_value) == 0:
            return x
        shape = array_ops.shape(x) if noise_shape is None else noise_shape
        random_tensor = random_ops.random_uniform(shape, seed=seed, dtype=x.dtype)
        keep_mask = math_ops.cast(random_tensor >= rate, x.dtype)
        ret = math_ops.multiply(x * (1 / (1 - rate)), keep_mask, name=scope)
        ret.set_shape(x.shape)
        return ret


def l2_normalize(x, axis=None, epsilon=1e-12, name=None, dim=None) -> Tensor:
    """x / sqrt(max(sum(x ** 2, axis), epsilon)); TF1 also takes `dim`."""
    if axis is not None and dim is not None:
        raise ValueError("Cannot specify both 'axis' and 'dim'")
    axis = dim if axis is None else axis
    with name_scope(name, "l2_normalize", [x]) as scope:
        x = convert_to_tensor(x, name="x")
        square_sum = math_ops.reduce_sum(math_ops.square(x), axis, keepdims=True)
        x_inv_norm = math_ops.rsqrt(math_ops.maximum(square_sum, epsilon))
        return math_ops.multiply(x, x_inv_norm, name=scope)


def crelu(features, name=None, axis=-1) -> Tensor:
    """relu(concat([features, -features], axis)): twice the channels."""
    with name_scope(name, "CRelu", [features]) as scope:
        features = convert_to_tensor(features, name="features")
        c = array_ops.concat([features, -features], axis, name="concat")
        return relu(c, name=scope)


def swish(features, name=None) -> Tensor:
    """features * sigmoid(features)."""
    with name_scope(name, "swish", [features]) as scope:
        features = convert_to_tensor(features, name="features")
        return math_ops.multiply(features, math_ops.sigmoid(features), name=scope)


def local_response_normalization(
    input, depth_radius=5, bias=1.0, alpha=1.0, beta=0.5, name=None
) -> Tensor:
    """input / (bias + alpha * sum(input[..., d-r:d+r+1] ** 2)) ** beta over the last axis
    of a 4-D float tensor."""
    input = convert_to_tensor(input, name="input")
    if input.dtype.base_dtype not in (dtypes.float16, dtypes.bfloat16, dtypes.float32):
        raise TypeError(f"LRN: input must be float32, float16 or bfloat16, got {input.dtype.name}")
    if input.shape.ndims is not None and input.shape.ndims != 4:
        raise ValueError(f"Shape must be rank 4 but is rank {input.shape.ndims} for 'LRN'")
    return apply_op(
        "LRN",
        [input],
        name=name,
        depth_radius=int(depth_radius),
        bias=float(bias),
        alpha=float(alpha),
        beta=float(beta),
        T=input.dtype.numpy_dtype,
    )


lrn = local_response_normalization


def batch_normalization(x, mean, variance, offset, scale, variance_epsilon, name=None):
    """(x - mean) * scale / sqrt(variance + variance_epsilon) + offset, broadcasting."""
    with name_scope(name, "batchnorm", [x, mean, variance, scale, offset]):
        x = convert_to_tensor(x, name="x")
        inv = math_ops.rsqrt(convert_to_tensor(variance) + variance_epsilon)
        if scale is not None:
            inv = inv * scale
        shift = -convert_to_tensor(mean) * inv if offset is None else offset - mean * inv
        return x * math_ops.cast(inv, x.dtype) + math_ops.cast(shift, x.dtype)


def fused_batch_norm(
    x,
    scale,
    offset=None,
    mean=None,
    variance=None,
    epsilon=0.001,
    data_format="NHWC",
    is_training=True,
    name=None,
):
    """Batch normalisation of a 4-D `x` over all but its channel axis, as one op.

    Returns `(y, batch_mean, batch_variance)`: with `is_training` the batch statistics
    (the variance Bessel-corrected, as TF reports it), otherwise `mean` and `variance`.
    """
    if data_format not in ("NHWC", "NCHW"):
        raise ValueError(f"FusedBatchNorm: data_format must be NHWC or NCHW, got {data_format!r}")
    x = convert_to_tensor(x, name="input")
    scale = convert_to_tensor(scale, name="scale")
    offset = (
        array_ops.zeros_like(scale) if offset is None else convert_to_tensor(offset, name="offset")
    )
    if is_training:
        if mean is not None or variance is not None:
            raise ValueError("Both 'mean' and 'variance' must be None if is_training is True.")
        # FusedBatchNorm's inputs share one type T (V3 gives mean and variance their own).
        mean = convert_to_tensor([], dtype=scale.dtype.base_dtype)
        variance = convert_to_tensor([], dtype=scale.dtype.base_dtype)
    elif mean is None or variance is None:
        raise ValueError(
            "Both 'mean' and 'variance' must be a 1D tensor when is_training is False."
        )
    else:
        mean = convert_to_tensor(mean, name="mean")
        variance = convert_to_tensor(variance, name="variance")
    if x.shape.ndims is not None and x.shape.ndims != 4:
        raise ValueError(f"Shape must be rank 4 but is rank {x.shape.ndims} for 'FusedBatchNorm'")
    if x.dtype.base_dtype not in (dtypes.float16, dtypes.bfloat16, dtypes.float32, dtypes.float64):
        raise TypeError(f"FusedBatchNorm: x must be a float type, got {x.dtype.name}")
    epsilon = max(float(epsilon), 1.001e-5)  # cuDNN's minimum, as TF enforces
    y, batch_mean, batch_var, _, _ = apply_op(
        "FusedBatchNorm",
        [x, scale, offset, mean, variance],
        name=name,
        epsilon=epsilon,
        data_format=data_format,
        is_training=bool(is_training),
        T=x.dtype.numpy_dtype,
    )
    return y, batch_mean, batch_var


def weighted_moments(x, axes, frequency_weights, name=None, keep_dims=None, keepdims=None):
    """The weighted mean and variance of `x` across `axes` (weights broadcast against x)."""
    if keep_dims is not None and keepdims is not None:
        raise ValueError("Cannot specify both 'keep_dims' and 'keepdims'")
    keep_dims = bool(keepdims if keep_dims is None else keep_dims)
    with name_scope(name, "weighted_moments", [x, frequency_weights, axes]):
        x = convert_to_tensor(x, name="x")
        weights = convert_to_tensor(frequency_weights, name="frequency_weights")
        needs_cast = x.dtype.base_dtype == dtypes.float16
        if needs_cast:
            x = math_ops.cast(x, dtypes.float32)
        weights = math_ops.cast(weights, x.dtype)
        weighted_input_sum = math_ops.reduce_sum(
            weights * x, axes, name="weighted_input_sum", keepdims=True
        )
        broadcasted_weights = weights + array_ops.zeros_like(x)
        sum_of_weights = math_ops.reduce_sum(
            broadcasted_weights, axes, name="sum_of_weights", keepdims=True
        )
        divisor = math_ops.divide(1.0, sum_of_weights, name="inv_weight_sum")
        mean = math_ops.multiply(weighted_input_sum, divisor)
        distsq = math_ops.reduce_sum(
            weights * math_ops.squared_difference(x, mean),
            axes,
            name="weighted_distsq",
            keepdims=True,
        )
        variance = math_ops.multiply(distsq, divisor)
        if not keep_dims:
            mean, variance = array_ops.squeeze(mean, axes), array_ops.squeeze(variance, axes)
        if needs_cast:
            mean, variance = (
                math_ops.cast(mean, dtypes.float16),
                math_ops.cast(variance, dtypes.float16),
            )
        return mean, variance


def in_top_k(predictions, targets, k, name=None) -> Tensor:
    """Whether `targets[i]` is among the top `k` of `predictions[i]` (ties count for it)."""
    predictions = convert_to_tensor(predictions, name="predictions")
    targets = convert_to_tensor(targets, name="targets")
    if predictions.dtype.base_dtype != dtypes.float32:
        raise TypeError(f"InTopKV2: predictions must be float32, got {predictions.dtype.name}")
    if targets.dtype.base_dtype not in (dtypes.int32, dtypes.int64):
        raise TypeError(f"InTopKV2: targets must be int32 or int64, got {targets.dtype.name}")
    predictions.shape.with_rank(2)
    targets.shape.with_rank(1)
    predictions.shape[0].merge_with(targets.shape[0])
    k = convert_to_tensor(k, dtype=targets.dtype, name="k")
    return apply_op("InTopKV2", [predictions, targets, k], name=name, T=targets.dtype.numpy_dtype)


# -- More losses -------------------------------------------------------------------------


def weighted_cross_entropy_with_logits(
    targets=None, logits=None, pos_weight=None, name=None, labels=None
) -> Tensor:
    """Sigmoid cross entropy with positive examples weighted by `pos_weight`:
    (1 - z) * x + (1 + (q - 1) * z) * (log1p(exp(-|x|)) + max(-x, 0))."""
    if labels is not None:
        if targets is not None:
            raise ValueError("Cannot specify both 'labels' and 'targets'")
        targets = labels
    with name_scope(name, "logistic_loss", [logits, targets]) as scope:
        logits = convert_to_tensor(logits, name="logits")
        targets = convert_to_tensor(targets, dtype=logits.dtype, name="targets")
        if not logits.shape.is_compatible_with(targets.shape):
            raise ValueError(
                f"logits and targets must have the same shape ({logits.shape} vs {targets.shape})"
            )
        log_weight = 1 + (pos_weight - 1) * targets
        return math_ops.add(
            (1 - targets) * logits,
            log_weight * (math_ops.log1p(math_ops.exp(-math_ops.abs(logits))) + relu(-logits)),
            name=scope,
        )


def log_poisson_loss(targets, log_input, compute_full_loss=False, name=None) -> Tensor:
    """exp(log_input) - log_input * targets, plus Stirling's approximation of
    log(targets!) for targets > 1 when `compute_full_loss`."""
    import math

    with name_scope(name, "log_poisson_loss", [log_input, targets]) as scope:
        log_input = convert_to_tensor(log_input, name="log_input")
        targets = convert_to_tensor(targets, dtype=log_input.dtype, name="targets")
        if not log_input.shape.is_compatible_with(targets.shape):
            raise ValueError(
                f"log_input and targets must have the same shape ({log_input.shape} vs "
                f"{targets.shape})"
            )
        result = math_ops.exp(log_input) - log_input * targets
        if not compute_full_loss:
            return array_ops.identity(result, name=scope)
        stirling = (
            targets * math_ops.log(targets) - targets + 0.5 * math_ops.log(2 * math.pi * targets)
        )
        zeros, ones = array_ops.zeros_like(targets), array_ops.ones_like(targets)
        small = math_ops.logical_and(targets >= zeros, targets <= ones)
        return math_ops.add(result, array_ops.where(small, zeros, stirling), name=scope)
