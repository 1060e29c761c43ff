"""Image kernels: PNG/JPEG coding (Pillow, host), resizing, color spaces, patches, NMS."""

from __future__ import annotations

import io

import jax
import jax.numpy as jnp
import numpy as np

from kernels import png
from kernels.registry import HOST, Spec, register
from kernels.shapes import same_as_first

# -- coding (host, Pillow) ---------------------------------------------------------------------


def _pil():
    from PIL import Image

    return Image


_MODES = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}


def _decoded_shape(specs, attrs, static_values):
    channels = attrs.get("channels", 0) or None
    return [Spec((None, None, channels), np.dtype(attrs.get("dtype", np.uint8)))]


def _open(contents, op: str):
    data = contents.item() if isinstance(contents, np.ndarray) else contents
    if np.ndim(contents) != 0:
        raise ValueError(f"{op}: contents must be scalar, got shape {list(np.shape(contents))}")
    try:
        image = _pil().open(io.BytesIO(bytes(data)))
        image.load()
    except Exception as e:  # Pillow raises many kinds for corrupt data
        raise ValueError(f"{op}: invalid image data: {e}") from None
    return image


def _to_array(image, channels: int, dtype) -> np.ndarray:
    """A Pillow image as an HWC array with `channels` (0: as stored) of `dtype`."""
    sixteen = image.mode in ("I;16", "I;16B", "I;16L", "I") and dtype == np.uint16
    if sixteen and channels in (0, 1):
        return np.asarray(image, dtype=np.int64).astype(np.uint16)[..., None]
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):  # 16-bit gray to 8 bits: keep the high byte
        gray = (np.asarray(image, dtype=np.int64) >> 8).astype(np.uint8)
        image = _pil().fromarray(gray, "L")
    if channels == 0:
        channels = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4}.get(
            image.mode, 4 if "A" in image.getbands() else 3
        )
    array = np.asarray(image.convert(_MODES[channels]), dtype=np.uint8)
    array = array.reshape(array.shape[:2] + (channels,))
    return array.astype(np.uint16) * 257 if dtype == np.uint16 else array


@register("DecodePng", kind=HOST, shape=_decoded_shape)
def decode_png(contents, *, channels: int = 0, dtype=np.uint8):
    return _to_array(_open(contents, "DecodePng"), channels, np.dtype(dtype))


@register("DecodeJpeg", kind=HOST, shape=_decoded_shape)
def decode_jpeg(contents, *, channels: int = 0, ratio: int = 1):
    image = _open(contents, "DecodeJpeg")
    if ratio > 1:
        image = image.reduce(ratio)
    return _to_array(image, channels, np.dtype(np.uint8))


def _decode_image_shape(specs, attrs, static_values):
    return [Spec(None, np.dtype(attrs.get("dtype", np.uint8)))]


@register("DecodeImage", kind=HOST, shape=_decode_image_shape)
def decode_image(contents, *, channels: int = 0, dtype=np.uint8, expand_animations: bool = True):
    image = _open(contents, "DecodeImage")
    dtype = np.dtype(dtype)
    if image.format == "GIF" and expand_animations:
        frames = []
        for k in range(getattr(image, "n_frames", 1)):
            image.seek(k)
            frames.append(_to_array(image, channels or 3, dtype))
        return np.stack(frames)
    return _to_array(image, channels, dtype)


def _string_scalar(specs, attrs, static_values):
    return [Spec((), np.dtype(object))]


def _image_for_encoding(image, op: str):
    image = np.asarray(image)
    if image.ndim != 3:
        raise ValueError(f"{op}: image must be 3-dimensional, got shape {list(image.shape)}")
    if not 1 <= image.shape[2] <= 4:
        raise ValueError(f"{op}: image must have 1, 2, 3 or 4 channels, got {image.shape[2]}")
    return image


@register("EncodePng", kind=HOST, shape=_string_scalar)
def encode_png(image, *, compression: int = -1):
    image = _image_for_encoding(image, "EncodePng")
    if image.dtype not in (np.uint8, np.uint16):
        raise ValueError(f"EncodePng: image must be uint8 or uint16, got {image.dtype.name}")
    return np.array(png.encode(image, compression), dtype=object)


@register("EncodeJpeg", kind=HOST, shape=_string_scalar)
def encode_jpeg(
    image,
    *,
    format: str = "",
    quality: int = 95,
    progressive: bool = False,
    optimize_size: bool = False,
    chroma_downsampling: bool = True,
):
    image = _image_for_encoding(image, "EncodeJpeg")
    if format == "grayscale" or (format == "" and image.shape[2] == 1):
        if image.shape[2] != 1:
            raise ValueError("EncodeJpeg: format 'grayscale' needs 1 channel")
        pil = _pil().fromarray(image[..., 0], "L")
    else:
        if image.shape[2] != 3:
            raise ValueError(f"EncodeJpeg: image must have 1 or 3 channels, got {image.shape[2]}")
        pil = _pil().fromarray(image, "RGB")
    buffer = io.BytesIO()
    pil.save(
        buffer,
        format="JPEG",
        quality=quality,
        progressive=progressive,
        optimize=optimize_size,
        subsampling=2 if chroma_downsampling else 0,
    )
    return np.array(buffer.getvalue(), dtype=object)


# -- resizing ----------------------------------------------------------------------------------


def _scale(in_size: int, out_size: int, align_corners: bool) -> float:
    if align_corners and out_size > 1:
        return (in_size - 1) / (out_size - 1)
    return in_size / out_size


def _sources(in_size, out_size, align_corners, half_pixel_centers) -> np.ndarray:
    scale = _scale(in_size, out_size, align_corners)
    out = np.arange(out_size, dtype=np.float64)
    return (out + 0.5) * scale - 0.5 if half_pixel_centers else out * scale


def _bilinear_weights(in_size, out_size, align_corners, half_pixel_centers) -> np.ndarray:
    src = np.float32(_sources(in_size, out_size, align_corners, half_pixel_centers))
    floor = np.floor(src)
    lower = np.maximum(floor, 0).astype(np.int64)
    upper = np.minimum(np.ceil(src), in_size - 1).astype(np.int64)
    lerp = src - floor
    weights = np.zeros((out_size, in_size), np.float64)
    np.add.at(weights, (np.arange(out_size), lower), 1 - lerp)
    np.add.at(weights, (np.arange(out_size), upper), lerp)
    return weights


def _cubic_coefficients(t: np.ndarray, a: float) -> np.ndarray:
    def near(x):
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return np.stack([far(t + 1), near(t), near(1 - t), far(2 - t)], -1)


def _bicubic_weights(in_size, out_size, align_corners, half_pixel_centers) -> np.ndarray:
    src = _sources(in_size, out_size, align_corners, half_pixel_centers)
    start = np.floor(src)
    # TF reads the coefficients from a 1024-entry table.
    t = np.rint((src - start) * 1024) / 1024
    coeffs = _cubic_coefficients(t, -0.5 if half_pixel_centers else -0.75)
    taps = start[:, None].astype(np.int64) + np.arange(-1, 3)
    if half_pixel_centers:  # Keys' cubic: taps outside the image drop out, the rest renormalise
        coeffs = np.where((taps >= 0) & (taps < in_size), coeffs, 0)
        coeffs = coeffs / coeffs.sum(-1, keepdims=True)
    weights = np.zeros((out_size, in_size), np.float64)
    rows = np.repeat(np.arange(out_size), 4)
    np.add.at(weights, (rows, np.clip(taps, 0, in_size - 1).ravel()), coeffs.ravel())
    return weights


def _area_weights(in_size, out_size, align_corners, half_pixel_centers) -> np.ndarray:
    scale = _scale(in_size, out_size, align_corners)
    weights = np.zeros((out_size, in_size), np.float64)
    for o in range(out_size):
        lo, hi = o * scale, (o + 1) * scale
        for i in range(int(np.floor(lo)), int(np.ceil(hi))):
            weights[o, min(max(i, 0), in_size - 1)] += (min(i + 1, hi) - max(i, lo)) / scale
    return weights


def _sizes(images, size, op: str) -> tuple[int, int]:
    size = np.asarray(size)
    if size.shape != (2,):
        raise ValueError(
            f"{op}: size must be a 1-D tensor of 2 elements, got shape {list(size.shape)}"
        )
    if images.ndim != 4:
        raise ValueError(f"{op}: input must be 4-dimensional, got shape {list(images.shape)}")
    height, width = int(size[0]), int(size[1])
    if height <= 0 or width <= 0:
        raise ValueError(f"{op}: output dimensions must be positive, got [{height}, {width}]")
    if images.shape[1] == 0 or images.shape[2] == 0:
        raise ValueError(f"{op}: input image must be of non-zero size")
    return height, width


def _check_flags(align_corners, half_pixel_centers, op):
    if align_corners and half_pixel_centers:
        raise ValueError(f"{op}: If half_pixel_centers is True, align_corners must be False.")


def _separable(make_weights, op_type: str):
    def kernel(images, size, *, align_corners: bool = False, half_pixel_centers: bool = False):
        _check_flags(align_corners, half_pixel_centers, op_type)
        height, width = _sizes(images, size, op_type)
        wy = make_weights(images.shape[1], height, align_corners, half_pixel_centers)
        wx = make_weights(images.shape[2], width, align_corners, half_pixel_centers)
        x = images.astype(jnp.float32)
        out = jnp.einsum(
            "oh,bhwc->bowc", jnp.asarray(wy, jnp.float32), x, precision=jax.lax.Precision.HIGHEST
        )
        return jnp.einsum(
            "pw,bowc->bopc", jnp.asarray(wx, jnp.float32), out, precision=jax.lax.Precision.HIGHEST
        )

    kernel.__name__ = op_type
    return kernel


resize_bilinear = register("ResizeBilinear", static=("size",))(
    _separable(_bilinear_weights, "ResizeBilinear")
)
resize_bicubic = register("ResizeBicubic", static=("size",))(
    _separable(_bicubic_weights, "ResizeBicubic")
)


@register("ResizeArea", static=("size",))
def resize_area(images, size, *, align_corners: bool = False):
    return _separable(_area_weights, "ResizeArea")(images, size, align_corners=align_corners)


def _nearest_indices(in_size, out_size, align_corners, half_pixel_centers) -> np.ndarray:
    scale = _scale(in_size, out_size, align_corners)
    out = np.arange(out_size, dtype=np.float32)
    src = np.float32((out + 0.5) * scale) if half_pixel_centers else np.float32(out * scale)
    # roundf rounds halves away from zero
    index = np.floor(src + 0.5) if align_corners else np.floor(src)
    return np.clip(index.astype(np.int64), 0, in_size - 1)


@register("ResizeNearestNeighbor", static=("size",))
def resize_nearest_neighbor(
    images, size, *, align_corners: bool = False, half_pixel_centers: bool = False
):
    _check_flags(align_corners, half_pixel_centers, "ResizeNearestNeighbor")
    height, width = _sizes(images, size, "ResizeNearestNeighbor")
    rows = _nearest_indices(images.shape[1], height, align_corners, half_pixel_centers)
    cols = _nearest_indices(images.shape[2], width, align_corners, half_pixel_centers)
    return images[:, rows][:, :, cols]


# -- color -------------------------------------------------------------------------------------


def _channels3(images, op: str):
    if images.ndim < 1 or images.shape[-1] != 3:
        raise ValueError(
            f"{op}: input must have 3 channels in the last dimension, got shape "
            f"{list(images.shape)}"
        )


@register("RGBToHSV", shape=same_as_first)
def rgb_to_hsv(images):
    _channels3(images, "RGBToHSV")
    r, g, b = images[..., 0], images[..., 1], images[..., 2]
    value = jnp.maximum(jnp.maximum(r, g), b)
    spread = value - jnp.minimum(jnp.minimum(r, g), b)
    safe_value = jnp.where(value > 0, value, 1)
    saturation = jnp.where(value > 0, spread / safe_value, 0)
    norm = 1 / (6 * jnp.where(spread > 0, spread, 1))
    hue = jnp.where(
        r == value,
        norm * (g - b),
        jnp.where(g == value, norm * (b - r) + 2 / 6, norm * (r - g) + 4 / 6),
    )
    hue = jnp.where(spread > 0, hue, 0)
    hue = jnp.where(hue < 0, hue + 1, hue)
    return jnp.stack([hue, saturation, value], -1).astype(images.dtype)


@register("HSVToRGB", shape=same_as_first)
def hsv_to_rgb(images):
    _channels3(images, "HSVToRGB")
    h, s, v = images[..., 0], images[..., 1], images[..., 2]
    c = s * v
    m = v - c
    dh = h * 6
    category = jnp.floor(dh)
    x = c * (1 - jnp.abs(jnp.mod(dh, 2) - 1))
    zero = jnp.zeros_like(c)
    table = [(c, x, zero), (x, c, zero), (zero, c, x), (zero, x, c), (x, zero, c), (c, zero, x)]
    channels = []
    for k in range(3):
        out = zero
        for cat, rgb in enumerate(table):
            out = jnp.where(category == cat, rgb[k], out)
        channels.append(out + m)
    return jnp.stack(channels, -1).astype(images.dtype)


@register("AdjustHue", shape=same_as_first)
def adjust_hue(images, delta):
    hsv = rgb_to_hsv(images)
    hue = jnp.mod(hsv[..., 0] + delta, 1.0)
    return hsv_to_rgb(jnp.stack([hue, hsv[..., 1], hsv[..., 2]], -1))


@register("AdjustSaturation", shape=same_as_first)
def adjust_saturation(images, scale):
    hsv = rgb_to_hsv(images)
    saturation = jnp.clip(hsv[..., 1] * scale, 0, 1)
    return hsv_to_rgb(jnp.stack([hsv[..., 0], saturation, hsv[..., 2]], -1))


@register("AdjustContrastv2", shape=same_as_first)
def adjust_contrastv2(images, contrast_factor):
    if images.ndim < 3:
        raise ValueError(
            f"AdjustContrastv2: input must be at least 3-D, got shape {list(images.shape)}"
        )
    mean = jnp.mean(images, axis=(-3, -2), keepdims=True)
    return ((images - mean) * contrast_factor + mean).astype(images.dtype)


# -- patches and boxes -------------------------------------------------------------------------


@register("ExtractImagePatches")
def extract_image_patches(images, *, ksizes, strides, rates, padding: str):
    if images.ndim != 4:
        raise ValueError(
            f"ExtractImagePatches: input must be 4-dimensional, got shape {list(images.shape)}"
        )
    kh, kw = ksizes[1], ksizes[2]
    depth = images.shape[3]
    patches = jax.lax.conv_general_dilated_patches(
        images.astype(jnp.float32) if images.dtype != jnp.float64 else images,
        (kh, kw),
        tuple(strides[1:3]),
        padding,
        rhs_dilation=tuple(rates[1:3]),
        dimension_numbers=("NHWC", "HWIO", "NHWC"),
        precision=jax.lax.Precision.HIGHEST,
    )
    n, oh, ow, _ = patches.shape
    # jax orders a patch's features (depth, row, col); TF orders them (row, col, depth).
    patches = patches.reshape(n, oh, ow, depth, kh * kw).swapaxes(-1, -2)
    return patches.reshape(n, oh, ow, kh * kw * depth).astype(images.dtype)


_BOX_COLORS = np.array(
    [
        [1, 1, 0, 1],
        [0, 0, 1, 1],
        [1, 0, 0, 1],
        [0, 1, 0, 1],
        [0.5, 0, 0.5, 1],
        [0.5, 0.5, 0, 1],
        [0.5, 0, 0, 1],
        [0, 0, 0.5, 1],
        [0, 1, 1, 1],
        [1, 0, 1, 1],
    ]
)


@register("DrawBoundingBoxes", kind=HOST, shape=lambda specs, attrs, sv: [specs[0]])
def draw_bounding_boxes(images, boxes):
    canvas = np.array(images, copy=True)
    boxes = np.asarray(boxes, np.float32)
    if canvas.ndim != 4 or canvas.shape[3] not in (1, 3, 4):
        raise ValueError(
            f"DrawBoundingBoxes: images must be 4-D with 1, 3 or 4 channels, got "
            f"shape {list(canvas.shape)}"
        )
    if boxes.ndim != 3 or boxes.shape[2] != 4 or boxes.shape[0] != canvas.shape[0]:
        raise ValueError(
            f"DrawBoundingBoxes: boxes must be [batch, num_boxes, 4], got shape {list(boxes.shape)}"
        )
    _, height, width, depth = canvas.shape
    for b in range(canvas.shape[0]):
        for k in range(boxes.shape[1]):
            color = _BOX_COLORS[k % len(_BOX_COLORS)][:depth]
            _draw_box(canvas[b], boxes[b, k], height, width, color)
    return canvas


def _draw_box(canvas, box, height, width, color) -> None:
    top, left = int(box[0] * np.float32(height - 1)), int(box[1] * np.float32(width - 1))
    bottom, right = int(box[2] * np.float32(height - 1)), int(box[3] * np.float32(width - 1))
    if top > bottom or left > right or top >= height or bottom < 0 or left >= width or right < 0:
        return  # TF skips such boxes with a warning
    rows = slice(max(top, 0), min(bottom, height - 1) + 1)
    cols = slice(max(left, 0), min(right, width - 1) + 1)
    if top >= 0:
        canvas[top, cols] = color
    if bottom < height:
        canvas[bottom, cols] = color
    if left >= 0:
        canvas[rows, left] = color
    if right < width:
        canvas[rows, right] = color


def _iou(box, others) -> np.ndarray:
    def spans(b):
        return (
            np.minimum(b[..., 0], b[..., 2]),
            np.minimum(b[..., 1], b[..., 3]),
            np.maximum(b[..., 0], b[..., 2]),
            np.maximum(b[..., 1], b[..., 3]),
        )

    y0, x0, y1, x1 = spans(box)
    oy0, ox0, oy1, ox1 = spans(others)
    area, other_area = (y1 - y0) * (x1 - x0), (oy1 - oy0) * (ox1 - ox0)
    inter = np.maximum(np.minimum(y1, oy1) - np.maximum(y0, oy0), 0) * np.maximum(
        np.minimum(x1, ox1) - np.maximum(x0, ox0), 0
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = inter / (area + other_area - inter)
    return np.where((area <= 0) | (other_area <= 0), 0.0, iou)


@register(
    "NonMaxSuppressionV3",
    kind=HOST,
    shape=lambda specs, attrs, sv: [Spec((None,), np.dtype(np.int32))],
)
def non_max_suppression_v3(boxes, scores, max_output_size, iou_threshold, score_threshold):
    boxes, scores = np.asarray(boxes, np.float64), np.asarray(scores, np.float64)
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError(
            f"NonMaxSuppressionV3: boxes must be 2-D [num_boxes, 4], got shape {list(boxes.shape)}"
        )
    if scores.shape != boxes.shape[:1]:
        raise ValueError(
            f"NonMaxSuppressionV3: scores has incompatible shape "
            f"{list(scores.shape)}; expected [{boxes.shape[0]}]"
        )
    if not 0 <= float(iou_threshold) <= 1:
        raise ValueError("NonMaxSuppressionV3: iou_threshold must be in [0, 1]")
    selected: list[int] = []
    for i in np.argsort(-scores, kind="stable"):
        if len(selected) >= int(max_output_size) or scores[i] <= float(score_threshold):
            break
        if not selected or np.all(_iou(boxes[i], boxes[selected]) <= float(iou_threshold)):
            selected.append(int(i))
    return np.array(selected, np.int32)
