"""More image kernels: crops resized by boxes (CropAndResize), BMP and GIF decoding and
JPEG shape extraction (Pillow, host)."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from kernels.image import _open, _to_array
from kernels.registry import HOST, Spec, register


def _crop_shape(specs, attrs, static_values):
    size = static_values[3]
    height, width = (None, None) if size is None else (int(size[0]), int(size[1]))
    boxes = specs[1].shape[0] if specs[1].shape else None
    depth = specs[0].shape[3] if specs[0].shape else None
    return [Spec((boxes, height, width, depth), np.dtype(np.float32))]


def _sample_points(start, end, size: int, crop: int):
    """Where each of `crop` output rows (or columns) samples an input of `size`, per box."""
    if crop > 1:
        step = (end - start) * (size - 1) / (crop - 1)
        return start[:, None] * (size - 1) + jnp.arange(crop)[None, :] * step[:, None]
    return (0.5 * (start + end) * (size - 1))[:, None]


@register("CropAndResize", static=("crop_size",), shape=_crop_shape)
def crop_and_resize(
    image, boxes, box_ind, crop_size, *, method="bilinear", extrapolation_value=0.0
):
    crop_h, crop_w = (int(v) for v in np.asarray(crop_size))
    _, height, width, _ = image.shape
    image = jnp.asarray(image, jnp.float32)[box_ind]  # [boxes, H, W, C]
    ys = _sample_points(boxes[:, 0], boxes[:, 2], height, crop_h).astype(jnp.float32)
    xs = _sample_points(boxes[:, 1], boxes[:, 3], width, crop_w).astype(jnp.float32)
    inside = ((ys >= 0) & (ys <= height - 1))[:, :, None] & ((xs >= 0) & (xs <= width - 1))[:, None]
    if method == "nearest":
        out = _take(image, jnp.round(ys), jnp.round(xs), height, width)
    else:
        out = _bilinear(image, ys, xs, height, width)
    return jnp.where(inside[..., None], out, jnp.float32(extrapolation_value))


def _take(image, ys, xs, height: int, width: int):
    rows = jnp.clip(ys, 0, height - 1).astype(jnp.int32)
    cols = jnp.clip(xs, 0, width - 1).astype(jnp.int32)
    batch = jnp.arange(image.shape[0])[:, None, None]
    return image[batch, rows[:, :, None], cols[:, None, :]]


def _bilinear(image, ys, xs, height: int, width: int):
    top, left = jnp.floor(ys), jnp.floor(xs)
    y_lerp, x_lerp = (ys - top)[:, :, None, None], (xs - left)[:, None, :, None]
    corners = [_take(image, y, x, height, width) for y in (top, top + 1) for x in (left, left + 1)]
    upper = corners[0] + (corners[1] - corners[0]) * x_lerp
    lower = corners[2] + (corners[3] - corners[2]) * x_lerp
    return upper + (lower - upper) * y_lerp


def _bmp_shape(specs, attrs, static_values):
    return [Spec((None, None, attrs.get("channels", 0) or None), np.dtype(np.uint8))]


@register("DecodeBmp", kind=HOST, shape=_bmp_shape)
def decode_bmp(contents, *, channels: int = 0):
    image = _open(contents, "DecodeBmp")
    if image.format != "BMP":
        raise ValueError(f"DecodeBmp: not a BMP image (found {image.format})")
    return _to_array(image, channels, np.dtype(np.uint8))


@register(
    "DecodeGif",
    kind=HOST,
    shape=lambda specs, attrs, static_values: [Spec((None, None, None, 3), np.dtype(np.uint8))],
)
def decode_gif(contents):
    image = _open(contents, "DecodeGif")
    if image.format != "GIF":
        raise ValueError(f"DecodeGif: not a GIF image (found {image.format})")
    frames = []
    for k in range(getattr(image, "n_frames", 1)):
        image.seek(k)
        frames.append(_to_array(image, 3, np.dtype(np.uint8)))
    return np.stack(frames)


@register(
    "ExtractJpegShape",
    kind=HOST,
    shape=lambda specs, attrs, static_values: [
        Spec((3,), np.dtype(attrs.get("output_type", np.int32)))
    ],
)
def extract_jpeg_shape(contents, *, output_type=np.int32):
    image = _open(contents, "ExtractJpegShape")
    channels = {"L": 1, "CMYK": 4}.get(image.mode, 3)
    return np.array([image.height, image.width, channels], np.dtype(output_type))
