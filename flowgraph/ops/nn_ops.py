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
