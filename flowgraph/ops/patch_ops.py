"""`tf.image.extract_patches`: image patches as the depth of the output (TF2's name and
arguments for `extract_image_patches`)."""

from __future__ import annotations

from flowgraph.ops import image_ops


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
