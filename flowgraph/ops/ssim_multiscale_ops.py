"""`tf.image.ssim_multiscale`: MS-SSIM, the structural similarity over a pyramid of scales."""

from __future__ import annotations

from flowgraph.framework import dtypes
from flowgraph.framework.scopes import name_scope
from flowgraph.ops import array_ops, conv_ops, math_ops, nn_ops
from flowgraph.ops.image_extra_ops import _as_float_images, _ssim_per_channel

_MSSSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)


def _halved(images, heads):
    """Each image average-pooled 2x2 (padded symmetrically to even sizes first)."""
    tail = array_ops.shape(images[0])[-3:]
    remainder = tail % [2, 2, 1]
    # Padding by a zero remainder is a no-op, so this needs no branch on the size.
    padding = array_ops.pad(array_ops.expand_dims(remainder, -1), [[1, 0], [1, 0]])
    out = []
    for x, head in zip(images, heads):
        flat = array_ops.reshape(x, array_ops.concat([[-1], array_ops.shape(x)[-3:]], 0))
        flat = array_ops.pad(flat, padding, mode="SYMMETRIC")
        down = conv_ops.avg_pool(flat, [1, 2, 2, 1], [1, 2, 2, 1], "VALID")
        out.append(array_ops.reshape(down, array_ops.concat([head, array_ops.shape(down)[1:]], 0)))
    return out


def ssim_multiscale(
    img1,
    img2,
    max_val,
    power_factors=_MSSSIM_WEIGHTS,
    filter_size=11,
    filter_sigma=1.5,
    k1=0.01,
    k2=0.03,
):
    """The multi-scale structural similarity (MS-SSIM) of images (last three dims: H, W, C),
    averaged over channels: the contrast-structure terms of each scale and the SSIM of the
    last, raised to `power_factors` and multiplied, the images halved between scales.

    Args:
      img1, img2: images of the same shape `[..., H, W, C]`, float or integer.
      max_val: the dynamic range of the images (e.g. 1.0 or 255).
      power_factors: the weight of each scale (their count is the number of scales).
      filter_size: the size of the Gaussian filter (images must be at least this big at
        the smallest scale).
      filter_sigma: the width of the Gaussian filter.
      k1, k2: SSIM's stabilising constants.

    Returns:
      The MS-SSIM of each image pair: `[...]`.
    """
    with name_scope(None, "MS-SSIM", [img1, img2]):
        img1, img2, max_val = _as_float_images(img1, img2, max_val)
        imgs = [img1, img2]
        heads = [array_ops.shape(x)[:-3] for x in imgs]
        mcs = []
        for k in range(len(power_factors)):
            with name_scope(None, f"Scale{k}", imgs):
                if k > 0:
                    imgs = _halved(imgs, heads)
                ssim, cs = _ssim_per_channel(*imgs, max_val, filter_size, filter_sigma, k1, k2)
                mcs.append(nn_ops.relu(cs))
        stacked = array_ops.stack(mcs[:-1] + [nn_ops.relu(ssim)], axis=-1)
        weights = math_ops.cast(power_factors, dtypes.float32)
        return math_ops.reduce_mean(
            math_ops.reduce_prod(math_ops.pow(stacked, weights), [-1]), [-1]
        )
