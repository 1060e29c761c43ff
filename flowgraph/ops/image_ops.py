"""Image ops (`tf.image.*`): coding, dtype conversion, resizing, geometry, color, boxes."""

from __future__ import annotations

import numpy as np

from flowgraph.framework import dtypes
from flowgraph.framework.ops import Tensor, apply_op, constant_value
from flowgraph.framework.scopes import name_scope
from flowgraph.ops import array_ops, math_ops, random_ops
from flowgraph.ops.constant_op import convert_to_tensor
from flowgraph.ops.gradients import no_gradient

for _op_type in (
    "DecodePng",
    "DecodeJpeg",
    "DecodeImage",
    "EncodePng",
    "EncodeJpeg",
    "DrawBoundingBoxes",
    "NonMaxSuppressionV3",
):
    no_gradient(_op_type)

# -- coding ------------------------------------------------------------------------------------


def _channels(op: str, channels: int, allowed=(0, 1, 3, 4)) -> int:
    if channels not in allowed:
        raise ValueError(f"{op}: channels must be one of {list(allowed)}, got {channels}")
    return int(channels)


def _contents(contents) -> Tensor:
    contents = convert_to_tensor(contents, dtype=dtypes.string, name="contents")
    if contents.shape.ndims not in (None, 0):
        raise ValueError(f"contents must be a scalar string, got shape {contents.shape}")
    return contents


def decode_png(contents, channels=0, dtype=dtypes.uint8, name=None) -> Tensor:
    """Decodes a PNG-encoded image to a uint8 or uint16 tensor of shape [h, w, channels]."""
    dtype = dtypes.as_dtype(dtype)
    if dtype not in (dtypes.uint8, dtypes.uint16):
        raise TypeError(f"DecodePng: dtype must be uint8 or uint16, got {dtype.name}")
    return apply_op(
        "DecodePng",
        [_contents(contents)],
        name=name,
        channels=_channels("DecodePng", channels),
        dtype=dtype.numpy_dtype,
    )


def decode_jpeg(
    contents,
    channels=0,
    ratio=1,
    fancy_upscaling=True,
    try_recover_truncated=False,
    acceptable_fraction=1,
    dct_method="",
    name=None,
):
    """Decodes a JPEG-encoded image to a uint8 tensor of shape [h, w, channels].

    `ratio` (1, 2, 4 or 8) downscales while decoding; the other decoder options are accepted
    for compatibility and left to Pillow.
    """
    if ratio not in (1, 2, 4, 8):
        raise ValueError(f"DecodeJpeg: ratio must be 1, 2, 4 or 8, got {ratio}")
    return apply_op(
        "DecodeJpeg",
        [_contents(contents)],
        name=name,
        channels=_channels("DecodeJpeg", channels, (0, 1, 3)),
        ratio=int(ratio),
    )


def decode_image(
    contents, channels=None, dtype=dtypes.uint8, name=None, expand_animations=True
) -> Tensor:
    """Decodes a BMP, GIF, JPEG or PNG image (detected from its bytes).

    GIFs decode to [num_frames, h, w, 3], other formats to [h, w, channels]; the result is
    converted to `dtype` as by `convert_image_dtype`.
    """
    dtype = dtypes.as_dtype(dtype)
    with name_scope(name, "decode_image", [contents]) as scope:
        channels = _channels("DecodeImage", channels or 0)
        raw_dtype = dtype if dtype == dtypes.uint16 else dtypes.uint8
        image = apply_op(
            "DecodeImage",
            [_contents(contents)],
            channels=channels,
            dtype=raw_dtype.numpy_dtype,
            expand_animations=bool(expand_animations),
        )
        return convert_image_dtype(image, dtype, name=scope)


def encode_png(image, compression=-1, name=None) -> Tensor:
    """PNG-encodes a uint8 or uint16 image of shape [h, w, channels] (1 to 4 channels)."""
    image = convert_to_tensor(image, name="image")
    if image.dtype.base_dtype not in (dtypes.uint8, dtypes.uint16):
        raise TypeError(f"EncodePng: image must be uint8 or uint16, got {image.dtype.name}")
    if not -1 <= compression <= 9:
        raise ValueError(f"EncodePng: compression must be in [-1, 9], got {compression}")
    _check_rank("EncodePng", image, 3)
    return apply_op("EncodePng", [image], name=name, compression=int(compression))


def encode_jpeg(
    image,
    format="",
    quality=95,
    progressive=False,
    optimize_size=False,  # noqa: A002
    chroma_downsampling=True,
    density_unit="in",
    x_density=300,
    y_density=300,
    xmp_metadata="",
    name=None,
) -> Tensor:
    """JPEG-encodes a uint8 image of shape [h, w, 1 or 3]."""
    image = convert_to_tensor(image, name="image")
    if image.dtype.base_dtype != dtypes.uint8:
        raise TypeError(f"EncodeJpeg: image must be uint8, got {image.dtype.name}")
    if format not in ("", "grayscale", "rgb"):
        raise ValueError(f"EncodeJpeg: format must be '', 'grayscale' or 'rgb', got {format!r}")
    if not 0 <= quality <= 100:
        raise ValueError(f"EncodeJpeg: quality must be in [0, 100], got {quality}")
    _check_rank("EncodeJpeg", image, 3)
    return apply_op(
        "EncodeJpeg",
        [image],
        name=name,
        format=format,
        quality=int(quality),
        progressive=bool(progressive),
        optimize_size=bool(optimize_size),
        chroma_downsampling=bool(chroma_downsampling),
    )


def _check_rank(op: str, image: Tensor, *ranks: int) -> None:
    if image.shape.ndims is not None and image.shape.ndims not in ranks:
        raise ValueError(
            f"{op}: image must have rank {' or '.join(map(str, ranks))}, got shape {image.shape}"
        )


# -- dtype conversion --------------------------------------------------------------------------


def convert_image_dtype(image, dtype, saturate=False, name=None) -> Tensor:
    """Converts `image` to `dtype`, rescaling values (floats lie in [0, 1), integers in
    [0, MAX]); float-to-int conversion truncates, and `saturate` clips before casting."""
    image = convert_to_tensor(image, name="image")
    dtype = dtypes.as_dtype(dtype)
    src = image.dtype.base_dtype
    if not (src.is_floating or src.is_integer) or not (dtype.is_floating or dtype.is_integer):
        raise AttributeError("Image dtype must be either floating point or integer")
    if src == dtype:
        return array_ops.identity(image, name=name)
    with name_scope(name, "convert_image", [image]) as scope:
        if src.is_integer and dtype.is_integer:
            scale_in, scale_out = int(src.max), int(dtype.max)
            if scale_in > scale_out:
                scaled = math_ops.floordiv(image, (scale_in + 1) // (scale_out + 1))
                return _cast(scaled, dtype, saturate, scope)
            cast = _cast(image, dtype, saturate, None)
            return math_ops.multiply(cast, (scale_out + 1) // (scale_in + 1), name=scope)
        if src.is_floating and dtype.is_floating:
            return math_ops.cast(image, dtype, name=scope)
        if src.is_integer:
            return math_ops.multiply(math_ops.cast(image, dtype), 1.0 / int(src.max), name=scope)
        scaled = math_ops.multiply(image, float(dtype.max) + 0.5)
        return _cast(scaled, dtype, saturate, scope)


def _cast(x, dtype, saturate, name):
    if saturate:
        return array_ops.saturate_cast(x, dtype, name=name)
    return math_ops.cast(x, dtype, name=name)


# -- resizing ----------------------------------------------------------------------------------


class ResizeMethod:
    """The interpolation methods of `resize_images`."""

    BILINEAR = 0
    NEAREST_NEIGHBOR = 1
    BICUBIC = 2
    AREA = 3


_RESIZE_OPS = {
    ResizeMethod.BILINEAR: "ResizeBilinear",
    ResizeMethod.NEAREST_NEIGHBOR: "ResizeNearestNeighbor",
    ResizeMethod.BICUBIC: "ResizeBicubic",
    ResizeMethod.AREA: "ResizeArea",
    "bilinear": "ResizeBilinear",
    "nearest": "ResizeNearestNeighbor",
    "bicubic": "ResizeBicubic",
    "area": "ResizeArea",
}


def _resize_op(op_type: str, images, size, align_corners, half_pixel_centers, name) -> Tensor:
    images = convert_to_tensor(images, name="images")
    size = convert_to_tensor(size, dtype=dtypes.int32, name="size")
    if align_corners and half_pixel_centers:
        raise ValueError(f"{op_type}: If half_pixel_centers is True, align_corners must be False.")
    attrs = {"align_corners": bool(align_corners)}
    if op_type != "ResizeArea":
        attrs["half_pixel_centers"] = bool(half_pixel_centers)
    return apply_op(op_type, [images, size], name=name, T=images.dtype.numpy_dtype, **attrs)


def resize_bilinear(images, size, align_corners=False, name=None, half_pixel_centers=False):
    """Resizes 4-D `images` to `size` = [height, width] by bilinear interpolation (float32)."""
    return _resize_op("ResizeBilinear", images, size, align_corners, half_pixel_centers, name)


def resize_nearest_neighbor(images, size, align_corners=False, name=None, half_pixel_centers=False):
    """Resizes 4-D `images` to `size` with nearest-neighbor interpolation (dtype kept)."""
    return _resize_op(
        "ResizeNearestNeighbor", images, size, align_corners, half_pixel_centers, name
    )


def resize_bicubic(images, size, align_corners=False, name=None, half_pixel_centers=False):
    """Resizes 4-D `images` to `size` by bicubic interpolation (float32)."""
    return _resize_op("ResizeBicubic", images, size, align_corners, half_pixel_centers, name)


def resize_area(images, size, align_corners=False, name=None):
    """Resizes 4-D `images` to `size` by area (pixel-overlap) averaging (float32)."""
    return _resize_op("ResizeArea", images, size, align_corners, False, name)


def resize_images(
    images,
    size,
    method=ResizeMethod.BILINEAR,
    align_corners=False,
    preserve_aspect_ratio=False,
    name=None,
) -> Tensor:
    """Resizes 3-D [h, w, c] or 4-D [batch, h, w, c] `images` to `size` = [height, width].

    Bilinear, bicubic and area results are float32; nearest neighbor keeps the dtype. An
    image already of the target size is returned unchanged.
    """
    with name_scope(name, "resize_images", [images, size]):
        images = convert_to_tensor(images, name="images")
        if images.shape.ndims is None:
            raise ValueError("'images' contains no shape.")
        if images.shape.ndims not in (3, 4):
            raise ValueError("'images' must have either 3 or 4 dimensions.")
        if method not in _RESIZE_OPS:
            raise ValueError(f"Resize method is not implemented: {method!r}")
        batched = images.shape.ndims == 4
        if not batched:
            images = array_ops.expand_dims(images, 0)
        height, width = images.shape.as_list()[1:3]
        size = _static_size(size)
        if preserve_aspect_ratio and height and width:
            scale = min(size[0] / height, size[1] / width)
            size = [max(int(round(height * scale)), 1), max(int(round(width * scale)), 1)]
        if [height, width] == list(size):
            out = images
        else:
            out = _resize_op(_RESIZE_OPS[method], images, size, align_corners, False, None)
        return out if batched else array_ops.squeeze(out, [0])


resize = resize_images


def _static_size(size) -> list[int]:
    value = (
        constant_value(convert_to_tensor(size, dtype=dtypes.int32))
        if isinstance(size, Tensor)
        else np.asarray(size)
    )
    if value is None:
        raise ValueError("resize_images: size must be a constant 1-D int32 tensor of 2 elements")
    value = np.asarray(value)
    if value.shape != (2,):
        raise ValueError(
            f"'size' must be a 1-D Tensor of 2 elements: new_height, new_width; got "
            f"{value.tolist()}"
        )
    if np.any(value <= 0):
        raise ValueError(f"'size' must be positive, got {value.tolist()}")
    return [int(v) for v in value]


# -- geometry ----------------------------------------------------------------------------------


def _image(image, op: str) -> tuple[Tensor, int]:
    """`image` as a tensor and the offset of its height axis (1 for a batch, 0 otherwise)."""
    image = convert_to_tensor(image, name="image")
    rank = image.shape.ndims
    if rank is None:
        raise ValueError(f"{op}: 'image' contains no shape.")
    if rank not in (3, 4):
        raise ValueError(f"{op}: 'image' (shape {image.shape}) must have either 3 or 4 dimensions.")
    return image, rank - 3


def flip_left_right(image, name=None) -> Tensor:
    """Flips an image (or a batch) horizontally."""
    with name_scope(name, "flip_left_right", [image]) as scope:
        image, h = _image(image, "flip_left_right")
        return array_ops.reverse_v2(image, [h + 1], name=scope)


def flip_up_down(image, name=None) -> Tensor:
    """Flips an image (or a batch) vertically."""
    with name_scope(name, "flip_up_down", [image]) as scope:
        image, h = _image(image, "flip_up_down")
        return array_ops.reverse_v2(image, [h], name=scope)


def transpose_image(image, name=None) -> Tensor:
    """Swaps the height and width of an image (or a batch)."""
    with name_scope(name, "transpose_image", [image]) as scope:
        image, h = _image(image, "transpose_image")
        perm = [0, 2, 1, 3] if h else [1, 0, 2]
        return array_ops.transpose(image, perm, name=scope)


def rot90(image, k=1, name=None) -> Tensor:
    """Rotates an image (or a batch) counter-clockwise by `k` quarter turns (`k` a Python
    int here; TF also takes a tensor)."""
    with name_scope(name, "rot90", [image, k]) as scope:
        image, h = _image(image, "rot90")
        k = int(k) % 4
        if k == 0:
            return array_ops.identity(image, name=scope)
        if k == 2:
            return array_ops.reverse_v2(image, [h, h + 1], name=scope)
        if k == 1:
            return transpose_image(array_ops.reverse_v2(image, [h + 1]), name=scope)
        return array_ops.reverse_v2(transpose_image(image), [h + 1], name=scope)


def _dims(image: Tensor, h: int) -> tuple:
    return tuple(image.shape.as_list()[h : h + 3])


def crop_to_bounding_box(image, offset_height, offset_width, target_height, target_width):
    """Crops the [target_height, target_width] window at (offset_height, offset_width)."""
    with name_scope(None, "crop_to_bounding_box", [image]):
        image, h = _image(image, "crop_to_bounding_box")
        height, width, _ = _dims(image, h)
        if offset_height < 0 or offset_width < 0:
            raise ValueError("offset_height and offset_width must be >= 0.")
        if target_height <= 0 or target_width <= 0:
            raise ValueError("target_width and target_height must be > 0.")
        if height is not None and height < offset_height + target_height:
            raise ValueError("height must be >= target + offset.")
        if width is not None and width < offset_width + target_width:
            raise ValueError("width must be >= target + offset.")
        begin = [0] * h + [offset_height, offset_width, 0]
        size = [-1] * h + [target_height, target_width, -1]
        return array_ops.slice(image, begin, size)


def pad_to_bounding_box(image, offset_height, offset_width, target_height, target_width):
    """Zero-pads `image` to [target_height, target_width], placing it at the offsets."""
    with name_scope(None, "pad_to_bounding_box", [image]):
        image, h = _image(image, "pad_to_bounding_box")
        height, width, _ = _dims(image, h)
        if offset_height < 0 or offset_width < 0:
            raise ValueError("offset_height and offset_width must be >= 0")
        if height is None or width is None:
            raise ValueError("pad_to_bounding_box: flowgraph needs the image's height and width")
        after_h = target_height - offset_height - height
        after_w = target_width - offset_width - width
        if after_h < 0:
            raise ValueError("height must be <= target - offset")
        if after_w < 0:
            raise ValueError("width must be <= target - offset")
        paddings = [[0, 0]] * h + [[offset_height, after_h], [offset_width, after_w], [0, 0]]
        return array_ops.pad(image, paddings)


def resize_image_with_crop_or_pad(image, target_height, target_width) -> Tensor:
    """Centrally crops and/or zero-pads `image` to [target_height, target_width]."""
    with name_scope(None, "resize_image_with_crop_or_pad", [image]):
        image, h = _image(image, "resize_image_with_crop_or_pad")
        if target_height <= 0 or target_width <= 0:
            raise ValueError("target_width and target_height must be > 0.")
        height, width, _ = _dims(image, h)
        if height is None or width is None:
            raise ValueError(
                "resize_image_with_crop_or_pad: flowgraph needs the image's height and width"
            )
        crop_h, crop_w = min(height, target_height), min(width, target_width)
        cropped = crop_to_bounding_box(
            image,
            max((height - target_height) // 2, 0),
            max((width - target_width) // 2, 0),
            crop_h,
            crop_w,
        )
        return pad_to_bounding_box(
            cropped,
            max((target_height - height) // 2, 0),
            max((target_width - width) // 2, 0),
            target_height,
            target_width,
        )


resize_with_crop_or_pad = resize_image_with_crop_or_pad


def central_crop(image, central_fraction) -> Tensor:
    """Crops the central `central_fraction` (in (0, 1]) of an image's height and width."""
    if central_fraction <= 0.0 or central_fraction > 1.0:
        raise ValueError("central_fraction must be within (0, 1]")
    with name_scope(None, "central_crop", [image]):
        image, h = _image(image, "central_crop")
        if central_fraction == 1.0:
            return image
        height, width, _ = _dims(image, h)
        if height is None or width is None:
            raise ValueError("central_crop: flowgraph needs the image's height and width")
        top = int((height - height * central_fraction) / 2)
        left = int((width - width * central_fraction) / 2)
        return crop_to_bounding_box(image, top, left, height - 2 * top, width - 2 * left)


def random_flip_left_right(image, seed=None) -> Tensor:
    """Flips an image (each image of a batch) horizontally with probability 1/2."""
    return _random_flip(image, 1, seed, "random_flip_left_right")


def random_flip_up_down(image, seed=None) -> Tensor:
    """Flips an image (each image of a batch) vertically with probability 1/2."""
    return _random_flip(image, 0, seed, "random_flip_up_down")


def _random_flip(image, axis: int, seed, scope_name: str) -> Tensor:
    with name_scope(None, scope_name, [image]) as scope:
        image, h = _image(image, scope_name)
        batch = [array_ops.shape(image)[0]] if h else []
        draw = random_ops.random_uniform(batch, 0, 1.0, seed=seed)
        mirror = math_ops.less(draw, 0.5)
        if h:
            mirror = array_ops.reshape(mirror, [-1, 1, 1, 1])
        flipped = array_ops.reverse_v2(image, [h + axis])
        mirror = math_ops.logical_and(mirror, array_ops.ones_like(image, dtype=dtypes.bool))
        return array_ops.where(mirror, flipped, image, name=scope)


def random_crop(value, size, seed=None, name=None) -> Tensor:
    """A `size`-shaped crop of `value` at a uniformly random offset (`size` a constant)."""
    with name_scope(name, "random_crop", [value, size]) as scope:
        value = convert_to_tensor(value, name="value")
        size = [int(s) for s in np.asarray(size).reshape(-1)]
        shape = value.shape.as_list() if value.shape.ndims is not None else None
        if shape is None or len(shape) != len(size):
            raise ValueError(
                f"random_crop: size {size} must give one dim for each of value's "
                f"(shape {value.shape})"
            )
        for dim, s in zip(shape, size):
            if dim is not None and s > dim:
                raise ValueError(f"Need value.shape >= size, got {shape} and {size}")
        limit = array_ops.shape(value) - np.array(size, np.int32) + 1
        offset = math_ops.floormod(
            random_ops.random_uniform(
                [len(size)], maxval=np.iinfo(np.int32).max, dtype=dtypes.int32, seed=seed
            ),
            limit,
        )
        out = value
        for axis, s in enumerate(size):
            out = array_ops.gather(out, offset[axis] + np.arange(s, dtype=np.int32), axis=axis)
        return array_ops.identity(out, name=scope)


# -- color -------------------------------------------------------------------------------------


def _float_op(op: str, image, fn, name, scope_name):
    with name_scope(name, scope_name, [image]) as scope:
        image = convert_to_tensor(image, name="image")
        orig = image.dtype.base_dtype
        flt = (
            image
            if orig in (dtypes.float16, dtypes.float32)
            else convert_image_dtype(image, dtypes.float32)
        )
        return convert_image_dtype(fn(flt), orig, saturate=True, name=scope)


def rgb_to_grayscale(images, name=None) -> Tensor:
    """Weighted sum 0.2989 R + 0.5870 G + 0.1140 B, keeping a last axis of size 1."""
    with name_scope(name, "rgb_to_grayscale", [images]) as scope:
        images = convert_to_tensor(images, name="images")
        orig = images.dtype.base_dtype
        flt = convert_image_dtype(images, dtypes.float32)
        weights = np.array([0.2989, 0.5870, 0.1140], np.float32)
        gray = math_ops.reduce_sum(flt * weights, -1, keepdims=True)
        return convert_image_dtype(gray, orig, name=scope)


def grayscale_to_rgb(images, name=None) -> Tensor:
    """Repeats the single channel of `images` three times."""
    with name_scope(name, "grayscale_to_rgb", [images]) as scope:
        images = convert_to_tensor(images, name="images")
        if images.shape.ndims is not None and images.shape[-1] not in (None, 1):
            raise ValueError(f"grayscale_to_rgb: last dimension must be 1, got {images.shape}")
        rank = images.shape.ndims
        if rank is None:
            raise ValueError("grayscale_to_rgb: images needs a known rank")
        return array_ops.tile(images, [1] * (rank - 1) + [3], name=scope)


def _float_image(images, op: str) -> Tensor:
    images = convert_to_tensor(images, name="images")
    if images.dtype.base_dtype not in (
        dtypes.float16,
        dtypes.bfloat16,
        dtypes.float32,
        dtypes.float64,
    ):
        raise TypeError(f"{op}: images must be a float tensor, got {images.dtype.name}")
    if images.shape.ndims is not None and images.shape[-1] not in (None, 3):
        raise ValueError(
            f"{op}: images must have 3 channels in the last dimension, got shape {images.shape}"
        )
    return images


def rgb_to_hsv(images, name=None) -> Tensor:
    """Converts float RGB images (values in [0, 1]) to HSV (hue in [0, 1))."""
    images = _float_image(images, "RGBToHSV")
    return apply_op("RGBToHSV", [images], name=name, T=images.dtype.numpy_dtype)


def hsv_to_rgb(images, name=None) -> Tensor:
    """Converts float HSV images to RGB."""
    images = _float_image(images, "HSVToRGB")
    return apply_op("HSVToRGB", [images], name=name, T=images.dtype.numpy_dtype)


def adjust_brightness(image, delta) -> Tensor:
    """Adds `delta` to an image's values (in float, converted back with saturation)."""
    return _float_op(
        "adjust_brightness",
        image,
        lambda x: math_ops.add(x, math_ops.cast(delta, x.dtype), name="adjust_brightness"),
        None,
        "adjust_brightness",
    )


def adjust_contrast(images, contrast_factor) -> Tensor:
    """(x - mean) * contrast_factor + mean, the mean per image and channel."""

    def contrast(x):
        factor = convert_to_tensor(contrast_factor, dtype=dtypes.float32)
        return apply_op(
            "AdjustContrastv2", [x, math_ops.cast(factor, x.dtype)], T=x.dtype.numpy_dtype
        )

    with name_scope(None, "adjust_contrast", [images]) as scope:
        images = convert_to_tensor(images, name="images")
        orig = images.dtype.base_dtype
        flt = convert_image_dtype(images, dtypes.float32)
        return convert_image_dtype(contrast(flt), orig, saturate=True, name=scope)


def adjust_gamma(image, gamma=1, gain=1) -> Tensor:
    """gain * image ** gamma on values scaled to [0, 1] (integer images converted back)."""
    with name_scope(None, "adjust_gamma", [image, gamma, gain]) as scope:
        image = convert_to_tensor(image, name="image")
        orig = image.dtype.base_dtype
        flt = (
            image
            if orig in (dtypes.float16, dtypes.float32)
            else convert_image_dtype(image, dtypes.float32)
        )
        if isinstance(gamma, (int, float)) and gamma < 0:
            raise ValueError("Gamma should be a non-negative real number.")
        gamma = math_ops.cast(gamma, flt.dtype)
        adjusted = math_ops.multiply(math_ops.cast(gain, flt.dtype), math_ops.pow(flt, gamma))
        return convert_image_dtype(adjusted, orig, saturate=True, name=scope)


def _hsv_adjust(op_type: str, image, amount, name, scope_name) -> Tensor:
    with name_scope(name, scope_name, [image]) as scope:
        image = convert_to_tensor(image, name="image")
        orig = image.dtype.base_dtype
        flt = convert_image_dtype(image, dtypes.float32)
        _float_image(flt, op_type)
        amount = convert_to_tensor(amount, dtype=dtypes.float32)
        adjusted = apply_op(op_type, [flt, amount], T=np.float32)
        return convert_image_dtype(adjusted, orig, name=scope)


def adjust_hue(image, delta, name=None) -> Tensor:
    """Rotates hue by `delta` (in [-1, 1]), wrapping around."""
    if isinstance(delta, (int, float)) and not -1 <= delta <= 1:
        raise ValueError("delta must be in the interval [-1, 1]")
    return _hsv_adjust("AdjustHue", image, delta, name, "adjust_hue")


def adjust_saturation(image, saturation_factor, name=None) -> Tensor:
    """Multiplies saturation by `saturation_factor`, clipped to [0, 1]."""
    return _hsv_adjust("AdjustSaturation", image, saturation_factor, name, "adjust_saturation")


def random_brightness(image, max_delta, seed=None) -> Tensor:
    """adjust_brightness by a delta drawn uniformly from [-max_delta, max_delta)."""
    if max_delta < 0:
        raise ValueError("max_delta must be non-negative.")
    delta = random_ops.random_uniform([], -max_delta, max_delta, seed=seed)
    return adjust_brightness(image, delta)


def random_contrast(image, lower, upper, seed=None) -> Tensor:
    """adjust_contrast by a factor drawn uniformly from [lower, upper)."""
    if upper <= lower:
        raise ValueError("upper must be > lower.")
    if lower < 0:
        raise ValueError("lower must be non-negative.")
    factor = random_ops.random_uniform([], lower, upper, seed=seed)
    return adjust_contrast(image, factor)


def random_hue(image, max_delta, seed=None) -> Tensor:
    """adjust_hue by a delta drawn uniformly from [-max_delta, max_delta]."""
    if max_delta > 0.5:
        raise ValueError("max_delta must be <= 0.5.")
    if max_delta < 0:
        raise ValueError("max_delta must be non-negative.")
    return adjust_hue(image, random_ops.random_uniform([], -max_delta, max_delta, seed=seed))


def random_saturation(image, lower, upper, seed=None) -> Tensor:
    """adjust_saturation by a factor drawn uniformly from [lower, upper]."""
    if upper <= lower:
        raise ValueError("upper must be > lower.")
    if lower < 0:
        raise ValueError("lower must be non-negative.")
    return adjust_saturation(image, random_ops.random_uniform([], lower, upper, seed=seed))


def per_image_standardization(image) -> Tensor:
    """(x - mean) / max(stddev, 1 / sqrt(num_elements)) per image, in float32."""
    with name_scope(None, "per_image_standardization", [image]) as scope:
        image, h = _image(image, "per_image_standardization")
        image = math_ops.cast(image, dtypes.float32)
        axes = [-1, -2, -3]
        count = math_ops.cast(math_ops.reduce_prod(array_ops.shape(image)[h:]), dtypes.float32)
        mean = math_ops.reduce_mean(image, axes, keepdims=True)
        variance = math_ops.reduce_mean(
            math_ops.square(image), axes, keepdims=True
        ) - math_ops.square(mean)
        stddev = math_ops.sqrt(math_ops.maximum(variance, 0.0))
        adjusted = math_ops.maximum(stddev, math_ops.rsqrt(count))
        return math_ops.divide(image - mean, adjusted, name=scope)


def total_variation(images, name=None) -> Tensor:
    """Sum of absolute differences of neighbouring pixels, per image of a batch."""
    with name_scope(name, "total_variation", [images]) as scope:
        images, h = _image(images, "total_variation")
        dy = images[:, 1:, :, :] - images[:, :-1, :, :] if h else images[1:] - images[:-1]
        dx = images[:, :, 1:, :] - images[:, :, :-1, :] if h else images[:, 1:] - images[:, :-1]
        axes = [1, 2, 3] if h else None
        return math_ops.add(
            math_ops.reduce_sum(math_ops.abs(dy), axes),
            math_ops.reduce_sum(math_ops.abs(dx), axes),
            name=scope,
        )


def image_gradients(image):
    """(dy, dx): forward differences of a 4-D batch, zero in the last row / column."""
    image = convert_to_tensor(image, name="image")
    if image.shape.ndims != 4:
        raise ValueError(
            f"image_gradients expects a 4D tensor [batch_size, h, w, d], not {image.shape}."
        )
    with name_scope(None, "image_gradients", [image]):
        dy = image[:, 1:, :, :] - image[:, :-1, :, :]
        dx = image[:, :, 1:, :] - image[:, :, :-1, :]
        dy = array_ops.concat([dy, array_ops.zeros_like(image[:, :1, :, :])], 1)
        dx = array_ops.concat([dx, array_ops.zeros_like(image[:, :, :1, :])], 2)
        return dy, dx


# -- patches and boxes -------------------------------------------------------------------------


def extract_image_patches(
    images, ksizes=None, strides=None, rates=None, padding=None, name=None, sizes=None
) -> Tensor:
    """Patches of `images` [batch, h, w, d] as the depth of the output, ordered (row, col, d)."""
    ksizes = ksizes if ksizes is not None else sizes
    images = convert_to_tensor(images, name="images")
    for what, value in (("ksizes", ksizes), ("strides", strides), ("rates", rates)):
        if value is None or len(value) != 4 or value[0] != 1 or value[3] != 1:
            raise ValueError(f"ExtractImagePatches: {what} must be [1, rows, cols, 1], got {value}")
    if padding not in ("SAME", "VALID"):
        raise ValueError(f"ExtractImagePatches: padding must be 'SAME' or 'VALID', got {padding!r}")
    _check_rank("ExtractImagePatches", images, 4)
    return apply_op(
        "ExtractImagePatches",
        [images],
        name=name,
        ksizes=tuple(int(v) for v in ksizes),
        strides=tuple(int(v) for v in strides),
        rates=tuple(int(v) for v in rates),
        padding=padding,
        T=images.dtype.numpy_dtype,
    )


def draw_bounding_boxes(images, boxes, name=None) -> Tensor:
    """Draws `boxes` [batch, n, 4] (y_min, x_min, y_max, x_max in [0, 1]) on float images."""
    images = convert_to_tensor(images, name="images")
    if not images.dtype.base_dtype.is_floating:
        raise TypeError(f"DrawBoundingBoxes: images must be float, got {images.dtype.name}")
    boxes = convert_to_tensor(boxes, dtype=dtypes.float32, name="boxes")
    return apply_op("DrawBoundingBoxes", [images, boxes], name=name, T=images.dtype.numpy_dtype)


def non_max_suppression(
    boxes, scores, max_output_size, iou_threshold=0.5, score_threshold=float("-inf"), name=None
) -> Tensor:
    """Indices (int32) of the highest-scoring boxes, greedily dropping any whose IoU with a
    kept box exceeds `iou_threshold`."""
    with name_scope(name, "non_max_suppression"):
        boxes = convert_to_tensor(boxes, dtype=dtypes.float32, name="boxes")
        scores = convert_to_tensor(scores, dtype=dtypes.float32, name="scores")
        max_output_size = convert_to_tensor(max_output_size, dtype=dtypes.int32)
        iou = convert_to_tensor(iou_threshold, dtype=dtypes.float32, name="iou_threshold")
        score = convert_to_tensor(score_threshold, dtype=dtypes.float32, name="score_threshold")
        return apply_op("NonMaxSuppressionV3", [boxes, scores, max_output_size, iou, score])
