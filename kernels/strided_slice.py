"""TensorFlow's `StridedSlice` op: a sparse slice spec applied to an array."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

_MASK_NAMES = ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask")


@dataclasses.dataclass(frozen=True)
class _DenseDim:
    """The slice of one input dimension, after the sparse spec has been expanded."""

    axis: int
    begin: int
    end: int
    stride: int
    begin_masked: bool
    end_masked: bool
    shrink: bool


# One entry per output position before shrinking: a `_DenseDim` for an input dimension, or
# None for an inserted size-1 axis.
_DenseSpec = list[_DenseDim | None]


def strided_slice(
    input: Any,
    begin: Any,
    end: Any,
    strides: Any,
    *,
    begin_mask: int = 0,
    end_mask: int = 0,
    ellipsis_mask: int = 0,
    new_axis_mask: int = 0,
    shrink_axis_mask: int = 0,
) -> Any:
    """Slices `input` exactly as TensorFlow's `StridedSlice` op does.

    Args:
      input: a jax array (or tracer) or a numpy array, including object arrays of bytes.
      begin: 1-D concrete ints, the start of each sparse slice position.
      end: 1-D concrete ints, the (exclusive) stop of each sparse slice position.
      strides: 1-D concrete ints, the step of each sparse slice position.
      begin_mask: bit i set means position i starts at the beginning (begin[i] ignored).
      end_mask: bit i set means position i runs to the end (end[i] ignored).
      ellipsis_mask: bit i set means position i covers all the dimensions not named.
      new_axis_mask: bit i set means position i inserts a size-1 dimension.
      shrink_axis_mask: bit i set means position i takes the single element begin[i].

    Returns:
      `input[index]` for the equivalent Python index, with TF's shape and values. For a
      numpy input the result is always an ndarray (never a numpy or Python scalar).

    Raises:
      ValueError: the spec is malformed or a shrunk index is out of bounds.
    """
    masks = {
        "begin_mask": begin_mask,
        "end_mask": end_mask,
        "ellipsis_mask": ellipsis_mask,
        "new_axis_mask": new_axis_mask,
        "shrink_axis_mask": shrink_axis_mask,
    }
    shape = tuple(int(d) for d in input.shape)
    dense = _dense_spec(len(shape), begin, end, strides, masks)
    index = tuple(None if dim is None else _resolve(dim, shape[dim.axis]) for dim in dense)
    # A trailing Ellipsis makes numpy return a 0-d array instead of a scalar when every axis
    # is shrunk; it is a no-op otherwise.
    return input[index + (Ellipsis,)]


def strided_slice_shape(
    shape: Sequence[int | None], begin: Any, end: Any, strides: Any, **masks: int
) -> tuple[int | None, ...]:
    """Computes the output shape of `strided_slice` without touching any data.

    Args:
      shape: the input shape; None marks a dimension of unknown size.
      begin: as for `strided_slice`.
      end: as for `strided_slice`.
      strides: as for `strided_slice`.
      **masks: the five bit masks of `strided_slice`, by keyword; missing ones are 0.

    Returns:
      The output shape, with None where it depends on an unknown input dimension.

    Raises:
      ValueError: the spec is malformed or a shrunk index is out of bounds.
    """
    unknown = set(masks) - set(_MASK_NAMES)
    if unknown:
        raise TypeError(f"unexpected strided_slice masks: {sorted(unknown)}")
    dense = _dense_spec(len(shape), begin, end, strides, masks)
    out: list[int | None] = []
    for dim in dense:
        if dim is None:
            out.append(1)
            continue
        size = shape[dim.axis]
        if size is None:
            if not dim.shrink:
                out.append(None)
            continue
        resolved = _resolve(dim, int(size))
        if isinstance(resolved, slice):
            out.append(len(range(*resolved.indices(int(size)))))
    return tuple(out)


def _as_spec_vector(name: str, value: Any) -> list[int]:
    array = np.asarray(value)
    if array.ndim != 1:
        raise ValueError(f"{name} must be a 1-D vector, got shape {array.shape}")
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{name} must hold integers, got dtype {array.dtype}")
    return [int(v) for v in array]


def _sparse_vectors(begin: Any, end: Any, strides: Any) -> tuple[list[int], ...]:
    vectors = tuple(
        _as_spec_vector(name, value)
        for name, value in (("begin", begin), ("end", end), ("strides", strides))
    )
    if len({len(vector) for vector in vectors}) != 1:
        lengths = ", ".join(str(len(vector)) for vector in vectors)
        raise ValueError(
            "Expected begin, end, and strides to be 1D equal size tensors, but got "
            f"lengths {lengths} instead."
        )
    return vectors


def _dense_spec(ndim: int, begin: Any, end: Any, strides: Any, masks: dict[str, int]) -> _DenseSpec:
    """Expands the sparse spec to one entry per input dimension (TF's BuildDenseSpec)."""
    begin, end, strides = _sparse_vectors(begin, end, strides)
    ellipsis_mask = masks.get("ellipsis_mask", 0)
    new_axis_mask = masks.get("new_axis_mask", 0)
    if ellipsis_mask & (ellipsis_mask - 1):
        raise ValueError("Multiple ellipses in slice spec not allowed")
    positions = len(strides)
    ellipsis_at = next((i for i in range(positions) if ellipsis_mask >> i & 1), None)
    if ellipsis_at is None:
        # TF appends an implicit ellipsis, so unnamed trailing dimensions are taken whole.
        ellipsis_at = positions
        positions += 1
    new_axes_after = sum(new_axis_mask >> i & 1 for i in range(ellipsis_at + 1, positions))

    dense: _DenseSpec = []
    axis = 0
    for i in range(positions):
        if i == ellipsis_at:
            # Leave room for the input dimensions named after the ellipsis; new axes take none.
            stop = min(ndim - (positions - i) + 1 + new_axes_after, ndim)
            while axis < stop:
                dense.append(_DenseDim(axis, 0, 0, 1, True, True, False))
                axis += 1
        elif new_axis_mask >> i & 1:
            dense.append(None)
        else:
            if axis == ndim:
                if ndim == 0:
                    raise ValueError("Attempting to slice scalar input.")
                raise ValueError(
                    f"Index out of range using input dim {axis}; input has only {ndim} dims"
                )
            dense.append(
                _DenseDim(
                    axis,
                    begin[i],
                    end[i],
                    strides[i],
                    bool(masks.get("begin_mask", 0) >> i & 1),
                    bool(masks.get("end_mask", 0) >> i & 1),
                    bool(masks.get("shrink_axis_mask", 0) >> i & 1),
                )
            )
            axis += 1
    _check_strides(dense)
    return dense


def _check_strides(dense: _DenseSpec) -> None:
    for dim in dense:
        if dim is None:
            continue
        if dim.stride == 0:
            raise ValueError(f"strides[{dim.axis}] must be non-zero")
        if dim.shrink and dim.stride < 0:
            raise ValueError("only stride 1 allowed on non-range indexing.")


def _resolve(dim: _DenseDim, size: int) -> int | slice:
    """Turns one dense entry into a Python int (shrink) or canonical slice for `size`."""
    if dim.shrink:
        # begin_mask is ignored on a shrunk axis, as in TF.
        index = dim.begin + size if dim.begin < 0 else dim.begin
        if not 0 <= index < size:
            raise ValueError(f"slice index {index} of dimension {dim.axis} out of bounds.")
        return index
    # Valid bounds: [0, size] going forward, [-1, size - 1] going backward (-1 = before 0).
    low, high = (0, size) if dim.stride > 0 else (-1, size - 1)
    first, last = (low, high) if dim.stride > 0 else (high, low)
    begin = first if dim.begin_masked else _clamp(dim.begin, size, low, high)
    end = last if dim.end_masked else _clamp(dim.end, size, low, high)
    interval = end - begin
    if interval == 0 or (interval < 0) != (dim.stride < 0):
        return slice(0, 0, 1)
    # Python reads a stop of -1 as "the last element", so "before 0" must be spelled None.
    return slice(begin, None if end < 0 else end, dim.stride)


def _clamp(value: int, size: int, low: int, high: int) -> int:
    value = value + size if value < 0 else value
    return min(max(value, low), high)
