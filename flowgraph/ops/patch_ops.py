"""Patches as the depth of the output: `tf.image.extract_patches` (TF2's name and
arguments for `extract_image_patches`) and `tf.extract_volume_patches` (3-D)."""

from __future__ import annotations

from flowgraph.framework.ops import apply_op
from flowgraph.ops import image_ops
from flowgraph.ops.constant_op import convert_to_tensor


def extract_patches(images, sizes, strides, rates, padding, name=None):
    """Extracts `patches` from `images` and puts them in the depth dimension.

    Args:
      images: a 4-D `Tensor` `[batch, in_rows, in_cols, depth]`.
      sizes: `[1, size_rows, size_cols, 1]`, the size of each patch.
      strides: `[1, stride_rows, stride_cols, 1]`, how far apart patches start.
      rates: `[1, rate_rows, rate_cols, 1]`, the dilation within a patch.
      padding: "VALID" or "SAME".
      name: a name for the operation.

    Returns:
      `[batch, out_rows, out_cols, size_rows * size_cols * depth]`, each patch flattened
      in (row, col, depth) order.
    """
    return image_ops.extract_image_patches(
        images, sizes=sizes, strides=strides, rates=rates, padding=padding, name=name
    )


def extract_volume_patches(input, ksizes, strides, padding, name=None):
    """Extracts 3-D patches from `input` and puts them in the depth dimension.

    Args:
      input: a 5-D `Tensor` `[batch, in_planes, in_rows, in_cols, depth]`.
      ksizes: `[1, planes, rows, cols, 1]`, the size of each patch.
      strides: `[1, stride_planes, stride_rows, stride_cols, 1]`.
      padding: "VALID" or "SAME".
      name: a name for the operation.

    Returns:
      `[batch, out_planes, out_rows, out_cols, planes * rows * cols * depth]`, each patch
      flattened in (plane, row, col, depth) order.
    """
    input = convert_to_tensor(input, name="input")
    for what, value in (("ksizes", ksizes), ("strides", strides)):
        if value is None or len(value) != 5 or value[0] != 1 or value[4] != 1:
            raise ValueError(
                f"ExtractVolumePatches: {what} must be [1, planes, rows, cols, 1], got {value}"
            )
    if padding not in ("SAME", "VALID"):
        raise ValueError(
            f"ExtractVolumePatches: padding must be 'SAME' or 'VALID', got {padding!r}"
        )
    if input.shape.ndims not in (None, 5):
        raise ValueError(
            f"ExtractVolumePatches: input must be 5-dimensional, got shape {input.shape}"
        )
    return apply_op(
        "ExtractVolumePatches",
        [input],
        name=name,
        ksizes=tuple(int(v) for v in ksizes),
        strides=tuple(int(v) for v in strides),
        padding=padding,
    )
