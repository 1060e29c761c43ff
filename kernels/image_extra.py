"""More image kernels: crops resized by boxes (CropAndResize), BMP and GIF decoding and
JPEG shape extraction (Pillow, host)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from kernels.image import _open, _to_array
from kernels.random import _split
from kernels.registry import HOST, RNG, Spec, register


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


# -- random crops ------------------------------------------------------------------------------


def _crop_candidates(key, height, width, attempts: int, aspect_ratio_range, area_range):
    """`attempts` random crops drawn as TF's GenerateRandomCrop draws one: (y, x, h, w, ok)."""
    k1, k2, k3, k4, k5 = jax.random.split(key, 5)
    ratio = jax.random.uniform(
        k1, (attempts,), minval=aspect_ratio_range[0], maxval=aspect_ratio_range[1]
    )
    fraction = jax.random.uniform(k2, (attempts,), minval=area_range[0], maxval=area_range[1])
    total = (height * width).astype(jnp.float32)
    min_area, max_area = area_range[0] * total, area_range[1] * total
    lo = jnp.rint(jnp.sqrt(fraction * total / ratio)).astype(jnp.int32)
    hi = jnp.rint(jnp.sqrt(max_area / ratio)).astype(jnp.int32)
    hi = jnp.where(
        jnp.rint(hi * ratio) > width, ((width + 0.5 - 1e-7) / ratio).astype(jnp.int32), hi
    )
    hi = jnp.minimum(hi, height)
    lo = jnp.minimum(lo, hi)
    h = lo + jnp.floor(jax.random.uniform(k3, (attempts,)) * (hi - lo + 1)).astype(jnp.int32)
    w = jnp.rint(h * ratio).astype(jnp.int32)
    area = (h * w).astype(jnp.float32)
    ok = (area >= min_area) & (area <= max_area) & (w <= width) & (h <= height) & (w > 0) & (h > 0)
    y = jnp.floor(jax.random.uniform(k4, (attempts,)) * jnp.maximum(height - h, 0)).astype(
        jnp.int32
    )
    x = jnp.floor(jax.random.uniform(k5, (attempts,)) * jnp.maximum(width - w, 0)).astype(jnp.int32)
    return y, x, h, w, ok


def _covers(y, x, h, w, boxes, height, width, min_object_covered):
    """Whether each crop covers at least `min_object_covered` of some box (in pixels)."""
    scale = jnp.stack([height, width, height, width]).astype(jnp.float32)
    b = boxes.reshape(-1, 4) * scale
    top, left = jnp.maximum(y[:, None], b[:, 0]), jnp.maximum(x[:, None], b[:, 1])
    bottom, right = jnp.minimum((y + h)[:, None], b[:, 2]), jnp.minimum((x + w)[:, None], b[:, 3])
    inter = jnp.maximum(bottom - top, 0) * jnp.maximum(right - left, 0)
    box_area = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    coverage = jnp.where(box_area > 0, inter / jnp.where(box_area > 0, box_area, 1), 0)
    return jnp.any(coverage >= min_object_covered, axis=1)


def _sample_shape(specs, attrs, static_values):
    dtype = specs[0].dtype
    return [Spec((3,), dtype), Spec((3,), dtype), Spec((1, 1, 4), np.dtype(np.float32))]


@register("SampleDistortedBoundingBoxV2", effects=RNG, shape=_sample_shape)
def sample_distorted_bounding_box_v2(
    key,
    image_size,
    bounding_boxes,
    min_object_covered,
    *,
    seed=0,
    seed2=0,
    aspect_ratio_range=(0.75, 1.33),
    area_range=(0.05, 1.0),
    max_attempts=100,
    use_image_if_no_bounding_boxes=False,
):
    key, sub = _split(key)
    boxes = jnp.asarray(bounding_boxes, jnp.float32).reshape(-1, 4)
    if boxes.shape[0] == 0:
        if not use_image_if_no_bounding_boxes:
            raise ValueError(
                "No bounding boxes provided as input. One must enable "
                "use_image_if_no_bounding_boxes=True if no bounding boxes are "
                "supplied."
            )
        boxes = jnp.array([[0.0, 0.0, 1.0, 1.0]], jnp.float32)
    size = jnp.asarray(image_size)
    height, width = size[0].astype(jnp.int32), size[1].astype(jnp.int32)
    y, x, h, w, ok = _crop_candidates(
        sub, height, width, max_attempts, aspect_ratio_range, area_range
    )
    ok = ok & _covers(y, x, h, w, boxes, height, width, min_object_covered)
    first = jnp.argmax(ok)
    found = ok[first]
    y, x = jnp.where(found, y[first], 0), jnp.where(found, x[first], 0)
    h, w = jnp.where(found, h[first], height), jnp.where(found, w[first], width)
    dtype = size.dtype
    begin = jnp.stack([y, x, 0]).astype(dtype)
    extent = jnp.stack([h, w, -1]).astype(dtype)
    corners = jnp.stack([y / height, x / width, (y + h) / height, (x + w) / width])
    return (begin, extent, corners.astype(jnp.float32).reshape(1, 1, 4)), key
