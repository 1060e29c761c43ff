"""Variable kernels: the variable node itself and the ops that assign to it."""

from __future__ import annotations

import numpy as np

from kernels.array import merge_shapes
from kernels.registry import Effects, Spec, register

_UPDATES_REF = Effects(updates=("ref",), ref_output=True)


def _variable_shape(specs, attrs, static_values):
    return [Spec(attrs["shape"], attrs["dtype"])]


@register("VariableV2", effects=Effects(variable=True), shape=_variable_shape)
def variable_v2(*, shape, dtype, container="", shared_name=""):
    # Never called: a variable's value comes from the session's store (device/lower.py).
    raise AssertionError("VariableV2 is resolved by the runtime")


def _assign_shape(specs, attrs, static_values):
    if attrs.get("validate_shape", True):  # TF's shape function merges the two shapes
        merge_shapes([specs[0].shape, specs[1].shape])
        return [specs[0]]
    return [specs[1]]


@register("Assign", effects=Effects(writes=("ref",), ref_output=True), shape=_assign_shape)
def assign(ref, value, *, validate_shape: bool = True, use_locking: bool = True):
    if validate_shape and ref is not None and tuple(ref.shape) != tuple(value.shape):
        raise ValueError(
            f"Assign requires shapes of both tensors to match. lhs shape= "
            f"{list(ref.shape)} rhs shape= {list(value.shape)}"
        )
    return value


def _ref_shape(specs, attrs, static_values):
    return [specs[0]]


def _merged_shape(specs, attrs, static_values):
    """TF's MergeBothInputsShapeFn: the update has the variable's shape."""
    return [Spec(merge_shapes([specs[0].shape, specs[1].shape]), specs[0].dtype)]


@register("AssignAdd", effects=_UPDATES_REF, shape=_merged_shape)
def assign_add(ref, value, *, use_locking: bool = False):
    return ref + value


@register("AssignSub", effects=_UPDATES_REF, shape=_merged_shape)
def assign_sub(ref, value, *, use_locking: bool = False):
    return ref - value


@register(
    "IsVariableInitialized",
    effects=Effects(probes=("ref",)),
    shape=lambda specs, attrs, static_values: [Spec((), np.dtype(bool))],
)
def is_variable_initialized(ref, *, dtype=None):
    return ref


# -- scatter updates: rows `indices` of a variable ---------------------------------------------


def _scatter_shape(specs, attrs, static_values):
    ref, indices, updates = (s.shape for s in specs)
    if None in (ref, indices, updates) or updates == ():
        return [specs[0]]
    expected = tuple(indices) + tuple(ref[1:])
    known = len(updates) == len(expected) and all(
        a is None or b is None or a == b for a, b in zip(updates, expected)
    )
    if not known:
        raise ValueError(
            f"Must have updates.shape = indices.shape + params.shape[1:] or updates.shape = [], "
            f"got updates.shape {_dims(updates)}, indices.shape {_dims(indices)}, "
            f"params.shape {_dims(ref)}"
        )
    return [specs[0]]


def _dims(shape) -> str:
    return "[" + ",".join("?" if d is None else str(d) for d in shape) + "]"


# Indices past the first dimension are dropped (TF raises; a compiled step cannot).
@register("ScatterAdd", effects=_UPDATES_REF, shape=_scatter_shape)
def scatter_add(ref, indices, updates, *, use_locking: bool = False):
    return ref.at[indices].add(updates, mode="drop")


@register("ScatterSub", effects=_UPDATES_REF, shape=_scatter_shape)
def scatter_sub(ref, indices, updates, *, use_locking: bool = False):
    return ref.at[indices].add(-updates, mode="drop")


@register("ScatterUpdate", effects=_UPDATES_REF, shape=_scatter_shape)
def scatter_update(ref, indices, updates, *, use_locking: bool = True):
    return ref.at[indices].set(updates, mode="drop")


@register("ScatterMul", effects=_UPDATES_REF, shape=_scatter_shape)
def scatter_mul(ref, indices, updates, *, use_locking: bool = False):
    return ref.at[indices].multiply(updates, mode="drop")


@register("ScatterDiv", effects=_UPDATES_REF, shape=_scatter_shape)
def scatter_div(ref, indices, updates, *, use_locking: bool = False):
    return ref.at[indices].divide(updates, mode="drop")


@register("ScatterMin", effects=_UPDATES_REF, shape=_scatter_shape)
def scatter_min(ref, indices, updates, *, use_locking: bool = False):
    return ref.at[indices].min(updates, mode="drop")


@register("ScatterMax", effects=_UPDATES_REF, shape=_scatter_shape)
def scatter_max(ref, indices, updates, *, use_locking: bool = False):
    return ref.at[indices].max(updates, mode="drop")


def _nd_index(ref, indices, updates):
    k = indices.shape[-1]
    want = tuple(indices.shape[:-1]) + tuple(ref.shape[k:])
    if k > ref.ndim or tuple(updates.shape) != want:
        raise ValueError(
            f"updates.shape {list(updates.shape)} must be indices.shape[:-1] + ref.shape"
            f"[indices.shape[-1]:] = {list(want)} (indices.shape {list(indices.shape)}, "
            f"ref.shape {list(ref.shape)})"
        )
    return tuple(indices[..., i] for i in range(k))


@register("ScatterNdAdd", effects=_UPDATES_REF, shape=_ref_shape)
def scatter_nd_add(ref, indices, updates, *, use_locking: bool = False):
    return ref.at[_nd_index(ref, indices, updates)].add(updates, mode="drop")


@register("ScatterNdSub", effects=_UPDATES_REF, shape=_ref_shape)
def scatter_nd_sub(ref, indices, updates, *, use_locking: bool = False):
    return ref.at[_nd_index(ref, indices, updates)].add(-updates, mode="drop")


@register("ScatterNdUpdate", effects=_UPDATES_REF, shape=_ref_shape)
def scatter_nd_update(ref, indices, updates, *, use_locking: bool = True):
    return ref.at[_nd_index(ref, indices, updates)].set(updates, mode="drop")
