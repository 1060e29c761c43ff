"""Ops on variables: the variable node, `assign`, `assign_add`, `assign_sub`, initialization."""

from __future__ import annotations

from flowgraph.framework import dtypes, tensor_shape
from flowgraph.framework.ops import Tensor, apply_op
from flowgraph.ops import cond_branch_values
from flowgraph.ops.constant_op import convert_to_tensor


def variable_op_v2(shape, dtype, name="Variable", container="", shared_name="") -> Tensor:
    """A `VariableV2` node: a ref tensor whose value lives in each session."""
    dtype = dtypes.as_dtype(dtype).base_dtype
    ref = apply_op(
        "VariableV2",
        [],
        name=name,
        shape=tensor_shape.as_shape(shape).as_tuple(),
        dtype=dtype.numpy_dtype,
        container=container,
        shared_name=shared_name,
    )
    ref._dtype = dtype._as_ref
    return ref


def _ref_tensor(ref) -> Tensor:
    """The ref tensor of a Variable (or a ref tensor itself)."""
    tensor = ref._as_graph_element() if hasattr(ref, "_as_graph_element") else ref
    if not isinstance(tensor, Tensor) or not tensor.dtype._is_ref_dtype:
        raise TypeError(f"'ref' needs to be a Variable or a ref tensor, got {ref!r}")
    return tensor


def _update(op_type: str, ref, value, name, **attrs) -> Tensor:
    ref = _ref_tensor(ref)
    base = ref.dtype.base_dtype
    value = convert_to_tensor(value, dtype=base)
    if op_type in ("Assign", "AssignAdd", "AssignSub"):
        value = cond_branch_values.live_update(op_type, ref, value)
    out = apply_op(op_type, [ref, value], name=name, T=base.numpy_dtype, **attrs)
    out._dtype = ref.dtype
    return out


def assign(ref, value, validate_shape=None, use_locking=None, name=None) -> Tensor:
    """Assigns `value` to the variable `ref`; returns `ref` after the assignment.

    Example:
      >>> sess.run(tf.assign(v, [1.0, 2.0]))
    """
    if hasattr(ref, "assign") and not isinstance(ref, Tensor) and validate_shape is not False:
        return ref.assign(value, use_locking=use_locking, name=name)
    return _assign_op(ref, value, validate_shape, use_locking, name)


def _assign_op(ref, value, validate_shape, use_locking, name) -> Tensor:
    validate = True if validate_shape is None else bool(validate_shape)
    tensor = _ref_tensor(ref)
    value = convert_to_tensor(value, dtype=tensor.dtype.base_dtype)
    return _update(
        "Assign",
        tensor,
        value,
        name,
        validate_shape=validate,
        use_locking=True if use_locking is None else bool(use_locking),
    )


def assign_add(ref, value, use_locking=None, name=None) -> Tensor:
    """Adds `value` to the variable `ref`; returns `ref` after the update."""
    if hasattr(ref, "assign_add") and not isinstance(ref, Tensor):
        return ref.assign_add(value, use_locking=use_locking, name=name)
    return _update("AssignAdd", ref, value, name, use_locking=bool(use_locking))


def assign_sub(ref, value, use_locking=None, name=None) -> Tensor:
    """Subtracts `value` from the variable `ref`; returns `ref` after the update."""
    if hasattr(ref, "assign_sub") and not isinstance(ref, Tensor):
        return ref.assign_sub(value, use_locking=use_locking, name=name)
    return _update("AssignSub", ref, value, name, use_locking=bool(use_locking))


def is_variable_initialized(ref, name=None) -> Tensor:
    """A bool scalar: whether the variable has been assigned in this session."""
    tensor = _ref_tensor(ref)
    return apply_op(
        "IsVariableInitialized", [tensor], name=name, dtype=tensor.dtype.base_dtype.numpy_dtype
    )


def _scatter(op_type: str, ref, indices, updates, use_locking, name) -> Tensor:
    ref = _ref_tensor(ref)
    base = ref.dtype.base_dtype
    indices = convert_to_tensor(indices)
    if not indices.dtype.is_integer:
        raise TypeError(
            f"{op_type}: indices must be int32 or int64, got {indices.dtype.name} ({indices})"
        )
    updates = convert_to_tensor(updates, dtype=base)
    indices, updates = cond_branch_values.live_scatter(op_type, ref, indices, updates)
    out = apply_op(
        op_type,
        [ref, indices, updates],
        name=name,
        T=base.numpy_dtype,
        Tindices=indices.dtype.numpy_dtype,
        use_locking=bool(use_locking),
    )
    out._dtype = ref.dtype
    return out


def scatter_add(ref, indices, updates, use_locking=False, name=None) -> Tensor:
    """Adds sparse updates to the rows `indices` of the variable `ref`.

    `ref[indices[i, ...], ...] += updates[i, ...]`; duplicate indices add up. Returns `ref`
    after the update.

    Example:
      >>> v = tf.Variable([1.0, 2.0, 3.0])
      >>> sess.run(tf.scatter_add(v, [0, 2, 0], [10.0, 20.0, 30.0]))
      array([41.,  2., 23.], dtype=float32)
    """
    return _scatter("ScatterAdd", ref, indices, updates, use_locking, name)


def scatter_sub(ref, indices, updates, use_locking=False, name=None) -> Tensor:
    """Subtracts sparse updates from the rows `indices` of the variable `ref`.

    `ref[indices[i, ...], ...] -= updates[i, ...]`; duplicate indices add up. Returns `ref`
    after the update.
    """
    return _scatter("ScatterSub", ref, indices, updates, use_locking, name)


def scatter_update(ref, indices, updates, use_locking=True, name=None) -> Tensor:
    """Writes `updates` into the rows `indices` of the variable `ref`.

    `ref[indices[i, ...], ...] = updates[i, ...]`; with duplicate indices the row written
    last is undefined, as in TF. Returns `ref` after the update.
    """
    return _scatter("ScatterUpdate", ref, indices, updates, use_locking, name)


def scatter_mul(ref, indices, updates, use_locking=False, name=None) -> Tensor:
    """Multiplies the rows `indices` of the variable `ref` by `updates`; returns `ref`.

    `ref[indices[i, ...], ...] *= updates[i, ...]`; duplicate indices multiply together.
    """
    return _scatter("ScatterMul", ref, indices, updates, use_locking, name)


def scatter_div(ref, indices, updates, use_locking=False, name=None) -> Tensor:
    """Divides the rows `indices` of the variable `ref` by `updates`; returns `ref`."""
    return _scatter("ScatterDiv", ref, indices, updates, use_locking, name)


def scatter_min(ref, indices, updates, use_locking=False, name=None) -> Tensor:
    """`ref[indices[i, ...], ...] = min(ref[...], updates[i, ...])`; returns `ref`."""
    return _scatter("ScatterMin", ref, indices, updates, use_locking, name)


def scatter_max(ref, indices, updates, use_locking=False, name=None) -> Tensor:
    """`ref[indices[i, ...], ...] = max(ref[...], updates[i, ...])`; returns `ref`."""
    return _scatter("ScatterMax", ref, indices, updates, use_locking, name)


def scatter_nd_add(ref, indices, updates, use_locking=False, name=None) -> Tensor:
    """Adds `updates` to the elements or slices of the variable `ref` at the index tuples
    `indices[..., :]` (the last dimension indexes `ref`'s leading dimensions); returns `ref`.

    Example:
      >>> v = tf.Variable([1, 2, 3, 4])
      >>> sess.run(tf.scatter_nd_add(v, [[3], [1]], [9, 10]))   # [1, 12, 3, 13]
    """
    return _scatter("ScatterNdAdd", ref, indices, updates, use_locking, name)


def scatter_nd_sub(ref, indices, updates, use_locking=False, name=None) -> Tensor:
    """Subtracts `updates` at the index tuples `indices` of the variable `ref`."""
    return _scatter("ScatterNdSub", ref, indices, updates, use_locking, name)


def scatter_nd_update(ref, indices, updates, use_locking=True, name=None) -> Tensor:
    """Writes `updates` at the index tuples `indices` of the variable `ref`."""
    return _scatter("ScatterNdUpdate", ref, indices, updates, use_locking, name)
