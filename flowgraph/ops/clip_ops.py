"""Clipping ops: tensors (and gradients) clipped by value, by norm, and by global norm."""

from __future__ import annotations

from collections.abc import Sequence

from flowgraph.framework.indexed_slices import IndexedSlices
from flowgraph.framework.scopes import name_scope
from flowgraph.ops import array_ops, math_ops
from flowgraph.ops.constant_op import constant, convert_to_tensor


def _values(t, name: str):
    """The dense tensor of `t`: its values when `t` is `IndexedSlices`."""
    return convert_to_tensor(t.values if isinstance(t, IndexedSlices) else t, name=name)


def _like(t, values):
    """`values` wrapped like `t`: IndexedSlices with `t`'s indices, or as is."""
    if isinstance(t, IndexedSlices):
        return IndexedSlices(values, t.indices, t.dense_shape)
    return values


def clip_by_value(t, clip_value_min, clip_value_max, name=None):
    """Clips tensor values to a specified min and max.

    Given a tensor `t`, this operation returns a tensor of the same type and shape as `t`
    with its values clipped to `clip_value_min` and `clip_value_max`. Any values less than
    `clip_value_min` are set to `clip_value_min`. Any values greater than `clip_value_max`
    are set to `clip_value_max`.

    Example:
      >>> a = tf.constant([[1, 20, 13], [3, 21, 13]])
      >>> tf.clip_by_value(a, clip_value_min=0, clip_value_max=3)   # [[1, 3, 3], [3, 3, 3]]

    Args:
      t: A `Tensor` or `IndexedSlices`.
      clip_value_min: A 0-D (scalar) `Tensor`, or a `Tensor` with the same shape as `t`.
        The minimum value to clip by.
      clip_value_max: A 0-D (scalar) `Tensor`, or a `Tensor` with the same shape as `t`.
        The maximum value to clip by.
      name: A name for the operation (optional).

    Returns:
      A clipped `Tensor` or `IndexedSlices`.

    Raises:
      ValueError: If the clip tensors would trigger array broadcasting that would make the
        returned tensor larger than the input.
    """
    with name_scope(name, "clip_by_value", [t, clip_value_min, clip_value_max]) as scope:
        values = _values(t, "t")
        t_min = math_ops.minimum(values, clip_value_max)
        values.shape.merge_with(t_min.shape)  # no broadcasting past the input's shape
        t_max = math_ops.maximum(t_min, clip_value_min, name=scope)
        values.shape.merge_with(t_max.shape)
        return _like(t, t_max)


def clip_by_norm(t, clip_norm, axes=None, name=None):
    """Clips tensor values to a maximum L2-norm.

    Given a tensor `t`, and a maximum clip value `clip_norm`, this operation normalizes
    `t` so that its L2-norm is less than or equal to `clip_norm`, along the dimensions
    given in `axes`. Specifically, in the default case where all dimensions are used for
    calculation, if the L2-norm of `t` is already less than or equal to `clip_norm`, then
    `t` is not modified. If the L2-norm is greater than `clip_norm`, then this operation
    returns a tensor of the same type and shape as `t` with its values set to:

        t * clip_norm / l2norm(t)

    In this case, the L2-norm of the output tensor is `clip_norm`. If `t` is a matrix and
    `axes == [1]`, then each row of the output will have L2-norm less than or equal to
    `clip_norm`.

    Args:
      t: A `Tensor` or `IndexedSlices`.
      clip_norm: A 0-D (scalar) `Tensor` > 0. A maximum clipping value.
      axes: A 1-D (vector) `Tensor` of type int32 containing the dimensions to use for
        computing the L2-norm. If `None` (the default), uses all dimensions.
      name: A name for the operation (optional).

    Returns:
      A clipped `Tensor` or `IndexedSlices`.
    """
    with name_scope(name, "clip_by_norm", [t, clip_norm]) as scope:
        values = _values(t, "t")
        l2norm = _safe_norm(math_ops.reduce_sum(values * values, axes, keepdims=True))
        intermediate = values * clip_norm
        values.shape.merge_with(intermediate.shape)  # no broadcasting past the input's shape
        clipped = array_ops.identity(intermediate / math_ops.maximum(l2norm, clip_norm), name=scope)
        return _like(t, clipped)


def _safe_norm(l2sum):
    """sqrt(l2sum) through TF1's two-tap select, so a zero sum has a zero, not NaN, gradient."""
    pred = l2sum > 0
    l2sum_safe = array_ops.where(pred, l2sum, array_ops.ones_like(l2sum))
    return array_ops.where(pred, math_ops.sqrt(l2sum_safe), l2sum)


def _as_list(t_list) -> list:
    if not isinstance(t_list, Sequence) or isinstance(t_list, str):
        raise TypeError("t_list should be a sequence")
    return list(t_list)


def _values_list(t_list) -> list:
    return [None if t is None else _values(t, f"t_{i}") for i, t in enumerate(t_list)]


def global_norm(t_list, name=None):
    """Computes the global norm of multiple tensors.

    Given a tuple or list of tensors `t_list`, this operation returns the global norm of
    the elements in all tensors in `t_list`. The global norm is computed as:

        global_norm = sqrt(sum([l2norm(t)**2 for t in t_list]))

    Any entries in `t_list` that are of type None are ignored.

    Args:
      t_list: A tuple or list of mixed `Tensors`, `IndexedSlices`, or None.
      name: A name for the operation (optional).

    Returns:
      A 0-D (scalar) `Tensor` of type `float`.

    Raises:
      TypeError: If `t_list` is not a sequence.
    """
    t_list = _as_list(t_list)
    with name_scope(name, "global_norm", t_list):
        values = [v for v in _values_list(t_list) if v is not None]
        squared_norms = array_ops.stack([math_ops.reduce_sum(v * v) for v in values])
        return math_ops.sqrt(math_ops.reduce_sum(squared_norms), name="global_norm")


def clip_by_global_norm(t_list, clip_norm, use_norm=None, name=None):
    """Clips values of multiple tensors by the ratio of the sum of their norms.

    Given a tuple or list of tensors `t_list`, and a clipping ratio `clip_norm`, this
    operation returns a list of clipped tensors `list_clipped` and the global norm
    (`global_norm`) of all tensors in `t_list`. Optionally, if you've already computed the
    global norm for `t_list`, you can specify the global norm with `use_norm`.

    To perform the clipping, the values `t_list[i]` are set to:

        t_list[i] * clip_norm / max(global_norm, clip_norm)

    where:

        global_norm = sqrt(sum([l2norm(t)**2 for t in t_list]))

    If `clip_norm > global_norm` then the entries in `t_list` remain as they are, otherwise
    they're all shrunk by the global ratio. If `global_norm` is infinite or NaN then the
    entries in `t_list` are all set to `NaN` to signal that an error occurred. Any of the
    entries of `t_list` that are of type `None` are ignored.

    Example:
      >>> grads = tf.gradients(loss, params)
      >>> clipped, norm = tf.clip_by_global_norm(grads, 5.0)

    Args:
      t_list: A tuple or list of mixed `Tensors`, `IndexedSlices`, or None.
      clip_norm: A 0-D (scalar) `Tensor` > 0. The clipping ratio.
      use_norm: A 0-D (scalar) `Tensor` of type `float` (optional). The global norm to use.
        If not provided, `global_norm()` is used to compute the norm.
      name: A name for the operation (optional).

    Returns:
      list_clipped: A list of `Tensors` of the same type as `list_t`.
      global_norm: A 0-D (scalar) `Tensor` representing the global norm.

    Raises:
      TypeError: If `t_list` is not a sequence.
    """
    t_list = _as_list(t_list)
    if use_norm is None:
        use_norm = global_norm(t_list, name)
    use_norm = convert_to_tensor(use_norm)
    with name_scope(name, "clip_by_global_norm", t_list + [clip_norm]) as scope:
        one = constant(1.0, dtype=use_norm.dtype.base_dtype)
        scale_for_finite = clip_norm * math_ops.minimum(1.0 / use_norm, one / clip_norm)
        # A no-op for any finite norm; inf - inf and NaN make the scale (so every output) NaN.
        scale = scale_for_finite + (use_norm - use_norm)
        clipped = [
            None if v is None else _scaled(v, scale, f"{scope}_{i}")
            for i, v in enumerate(_values_list(t_list))
        ]
        return [_like(t, c) for t, c in zip(t_list, clipped)], use_norm


def _scaled(v, scale, name: str):
    if scale.dtype.base_dtype != v.dtype.base_dtype:
        scale = math_ops.cast(scale, v.dtype.base_dtype)
    return array_ops.identity(v * scale, name=name)


def clip_by_average_norm(t, clip_norm, name=None):
    """Clips tensor values to a maximum average L2-norm.

    Given a tensor `t`, and a maximum clip value `clip_norm`, this operation normalizes `t`
    so that its average L2-norm is less than or equal to `clip_norm`. Specifically, if the
    average L2-norm is already less than or equal to `clip_norm`, then `t` is not
    modified. If the average L2-norm is greater than `clip_norm`, then this operation
    returns a tensor of the same type and shape as `t` with its values set to:

        t * clip_norm / l2norm_avg(t)

    In this case, the average L2-norm of the output tensor is `clip_norm`.

    Args:
      t: A `Tensor`.
      clip_norm: A 0-D (scalar) `Tensor` > 0. A maximum clipping value.
      name: A name for the operation (optional).

    Returns:
      A clipped `Tensor`.
    """
    with name_scope(name, "clip_by_average_norm", [t, clip_norm]) as scope:
        t = convert_to_tensor(t, name="t")
        dtype = t.dtype.base_dtype
        n_element = math_ops.cast(array_ops.size(t), dtype)
        l2norm_inv = math_ops.rsqrt(math_ops.reduce_sum(t * t))
        factor = math_ops.minimum(l2norm_inv * n_element, constant(1.0, dtype=dtype) / clip_norm)
        return array_ops.identity(t * clip_norm * factor, name=scope)
