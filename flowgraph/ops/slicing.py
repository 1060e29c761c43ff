"""Python indexing (`x[...]`) translated into the arguments of TensorFlow's StridedSlice."""

from __future__ import annotations

import operator
import sys
from typing import Any

_SLICE_TYPE_ERROR = (
    "Only integers, slices (`:`), ellipsis (`...`), tf.newaxis (`None`) and "
    "scalar tf.int32/tf.int64 tensors are valid indices"
)

_MASK_NAMES = ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask")

# (begin, end, stride, names of the masks whose bit this position sets)
_ItemSpec = tuple[int, int, int, tuple[str, ...]]


def slice_spec(index: Any) -> tuple[list[int], list[int], list[int], dict[str, int]]:
    """Returns (begin, end, strides, masks) for a Python index, like TF1's _slice_helper.

    Args:
      index: what was written inside `x[...]`: an int (numpy integers included), a slice of
        ints, scalar integer tensors or None, `Ellipsis`, None (tf.newaxis), or a tuple or
        list of these. As in TF, a list is read like a tuple, not as a fancy index.

    Returns:
      `begin`, `end` and `strides` as lists with one entry per index item (Python ints, or
      the scalar integer tensors a slice's bounds or step are given as), and
      a dict holding the five StridedSlice masks (begin_mask, end_mask, ellipsis_mask,
      new_axis_mask, shrink_axis_mask), where bit i describes item i.

    Raises:
      TypeError: an item is not one of the kinds above (a float, a string, a bool, ...).
    """
    items = index if isinstance(index, (tuple, list)) else (index,)
    begin: list[int] = []
    end: list[int] = []
    strides: list[int] = []
    masks = dict.fromkeys(_MASK_NAMES, 0)
    for position, item in enumerate(items):
        item_begin, item_end, item_stride, set_masks = _item_spec(item)
        begin.append(item_begin)
        end.append(item_end)
        strides.append(item_stride)
        for name in set_masks:
            masks[name] |= 1 << position
    return begin, end, strides, masks


def _item_spec(item: Any) -> _ItemSpec:
    if isinstance(item, slice):
        return _slice_item_spec(item)
    if item is Ellipsis:
        return 0, 0, 1, ("ellipsis_mask",)
    if item is None:
        return 0, 0, 1, ("new_axis_mask",)
    value = _as_index(item)
    return value, value + 1, 1, ("shrink_axis_mask",)


def _slice_item_spec(item: slice) -> _ItemSpec:
    set_masks: list[str] = []
    if _is_open(item.start):
        begin = 0
        set_masks.append("begin_mask")
    else:
        begin = _as_index(item.start)
    if _is_open(item.stop):
        end = 0
        set_masks.append("end_mask")
    else:
        end = _as_index(item.stop)
    stride = 1 if item.step is None else _as_index(item.step)
    return begin, end, stride, tuple(set_masks)


def _is_open(bound: Any) -> bool:
    # Python 2 passed sys.maxsize for an omitted stop (`x[a:]`); TF still reads it as open.
    if bound is None:
        return True
    index = _as_index(bound)
    return isinstance(index, int) and index == sys.maxsize


def _as_index(value: Any) -> Any:
    """`value` as a Python int, or as itself where it is a scalar integer tensor (a slice
    bound known only at run time: `x[:t]`)."""
    # bool is an int subclass, but TF would read a bare bool as a boolean mask; refuse both.
    if isinstance(value, bool):
        raise TypeError(f"{_SLICE_TYPE_ERROR}, got {value!r}")
    try:
        return operator.index(value)
    except TypeError:
        if _is_integer_scalar_tensor(value):
            return value
        raise TypeError(f"{_SLICE_TYPE_ERROR}, got {value!r}") from None


def _is_integer_scalar_tensor(value: Any) -> bool:
    dtype, shape = getattr(value, "dtype", None), getattr(value, "shape", None)
    integer = getattr(getattr(dtype, "base_dtype", None), "is_integer", False)
    return integer and getattr(shape, "ndims", -1) in (None, 0)
