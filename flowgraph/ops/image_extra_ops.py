"""More of `tf.image`: YUV/YIQ color spaces, PSNR and SSIM, Sobel edges,
crops resized by boxes, padding resizes, and BMP/GIF decoding and JPEG sniffing."""

from __future__ import annotations

import numpy as np

from flowgraph.framework import dtypes
from flowgraph.framework.ops import Tensor, apply_op
from flowgraph.framework.scopes import name_scope
from flowgraph.ops import array_ops, conv_ops, image_ops, math_ops, nn_ops, string_ops
from flowgraph.ops.constant_op import constant, convert_to_tensor
from flowgraph.ops.gradients import no_gradient
from flowgraph.ops.random_ops import _seeds

for _op_type in ("DecodeBmp", "DecodeGif", "ExtractJpegShape"):
    no_gradient(_op_type)  # byte strings in (TF: NotDifferentiable)
del _op_type

# TF's color conversion matrices (rows: input channels, columns: output channels).
_RGB_TO_YIQ = [
    [0.299, 0.59590059, 0.2115],
    [0.587, -0.27455667, -0.52273617],
    [0.114, -0.32134392, 0.31119955],
]
_YIQ_TO_RGB = [
    [1, 1, 1],
    [0.95598634, -0.27201283, -1.10674021],
    [0.6208248, -0.64720424, 1.70423049],
]
_RGB_TO_YUV = [
    [0.299, -0.14714119, 0.61497538],
    [0.587, -0.28886916, -0.51496512],
    [0.114, 0.43601035, -0.10001026],
]
_YUV_TO_RGB = [[1, 1, 1], [0, -0.394642334, 2.03206185], [1.13988303, -0.58062185, 0]]


def _linear_color(images, matrix, name, default_name) -> Tensor:
    with name_scope(name, default_name, [images]):
        images = convert_to_tensor(images, name="images")
        kernel = constant(np.array(matrix), dtype=images.dtype.base_dtype, name="kernel")
        flat = array_ops.reshape(images, [-1, 3])
        return array_ops.reshape(math_ops.matmul(flat, kernel), array_ops.shape(images))


def rgb_to_yiq(images, name=None) -> Tensor:
    """RGB images (floats in [0, 1], channels last) to YIQ."""
    return _linear_color(images, _RGB_TO_YIQ, name, "rgb_to_yiq")


def yiq_to_rgb(images, name=None) -> Tensor:
    """YIQ images to RGB."""
    return _linear_color(images, _YIQ_TO_RGB, name, "yiq_to_rgb")


def rgb_to_yuv(images, name=None) -> Tensor:
    """RGB images (floats in [0, 1], channels last) to YUV."""
    return _linear_color(images, _RGB_TO_YUV, name, "rgb_to_yuv")


def yuv_to_rgb(images, name=None) -> Tensor:
    """YUV images to RGB."""
    return _linear_color(images, _YUV_TO_RGB, name, "yuv_to_rgb")


# -- image quality ----------------------------------------------------------------------------


def _as_float_images(a, b, max_val):
    a, b = convert_to_tensor(a, name="a"), convert_to_tensor(b, name="b")
    max_val = math_ops.cast(convert_to_tensor(max_val), a.dtype.base_dtype)
    max_val = image_ops.convert_image_dtype(max_val, dtypes.float32)
    return (
        image_ops.convert_image_dtype(a, dtypes.float32),
        image_ops.convert_image_dtype(b, dtypes.float32),
        max_val,
    )


def psnr(a, b, max_val, name=None) -> Tensor:
    """The peak signal-to-noise ratio of images `a` and `b` (last three dims: H, W, C),
    in dB: 20 log10(max_val) - 10 log10(mean squared error)."""
    with name_scope(name, "PSNR", [a, b]):
        a, b, max_val = _as_float_images(a, b, max_val)
        mse = math_ops.reduce_mean(math_ops.squared_difference(a, b), [-3, -2, -1])
        log10 = np.float32(np.log(10.0))
        return math_ops.subtract(
            20 * math_ops.log(max_val) / log10,
            np.float32(10 / np.log(10)) * math_ops.log(mse),
            name="psnr",
        )


def _gaussian_kernel(size: int, sigma: float, channels) -> Tensor:
    coords = np.arange(size, dtype=np.float32) - (size - 1) / 2.0
    g = np.square(coords) * (-0.5 / np.float32(sigma) ** 2)
    g = (g[None, :] + g[:, None]).reshape(1, -1)
    kernel = array_ops.reshape(nn_ops.softmax(constant(g)), [size, size, 1, 1])
    return array_ops.tile(kernel, array_ops.stack([1, 1, channels, 1]))


def _ssim_per_channel(img1, img2, max_val, filter_size, filter_sigma, k1, k2):
    kernel = _gaussian_kernel(filter_size, filter_sigma, array_ops.shape(img1)[-1])

    def reducer(x):
        shape = array_ops.shape(x)
        x = array_ops.reshape(x, array_ops.concat([[-1], shape[-3:]], 0))
        y = conv_ops.depthwise_conv2d(x, kernel, strides=[1, 1, 1, 1], padding="VALID")
        return array_ops.reshape(y, array_ops.concat([shape[:-3], array_ops.shape(y)[1:]], 0))

    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    mean0, mean1 = reducer(img1), reducer(img2)
    num0 = mean0 * mean1 * 2.0
    den0 = math_ops.square(mean0) + math_ops.square(mean1)
    luminance = (num0 + c1) / (den0 + c1)
    num1 = reducer(img1 * img2) * 2.0
    den1 = reducer(math_ops.square(img1) + math_ops.square(img2))
    cs = (num1 - num0 + c2) / (den1 - den0 + c2)
    return math_ops.reduce_mean(luminance * cs, [-3, -2]), math_ops.reduce_mean(cs, [-3, -2])


def ssim(img1, img2, max_val, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03) -> Tensor:
    """The structural similarity of images (last three dims: H, W, C), averaged over the
    channels: TF's SSIM with an 11x11 Gaussian window (VALID) and constants k1, k2."""
    with name_scope(None, "SSIM", [img1, img2]):
        img1, img2, max_val = _as_float_images(img1, img2, max_val)
        value, _ = _ssim_per_channel(img1, img2, max_val, filter_size, filter_sigma, k1, k2)
        return math_ops.reduce_mean(value, [-1])


def sobel_edges(image) -> Tensor:
    """The Sobel gradients of `image` [batch, h, w, c]: [batch, h, w, c, 2] holding dy, dx
    (edges reflected)."""
    with name_scope(None, "sobel_edges", [image]):
        image = convert_to_tensor(image, name="image")
        kernels = np.array(
            [[[-1, -2, -1], [0, 0, 0], [1, 2, 1]], [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]], np.float64
        )
        kernels = np.expand_dims(np.transpose(kernels, (1, 2, 0)), -2)
        shape = array_ops.shape(image)
        kernel = array_ops.tile(
            constant(kernels, dtype=image.dtype.base_dtype), array_ops.stack([1, 1, shape[-1], 1])
        )
        padded = array_ops.pad(image, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="REFLECT")
        out = conv_ops.depthwise_conv2d(padded, kernel, [1, 1, 1, 1], "VALID")
        out = array_ops.reshape(out, array_ops.concat([shape, [2]], 0))
        out.set_shape(image.shape.concatenate([2]))
        return out


# -- geometry ----------------------------------------------------------------------------------


def crop_and_resize(
    image,
    boxes,
    box_ind=None,
    crop_size=None,
    method="bilinear",
    extrapolation_value=0.0,
    name=None,
    box_indices=None,
) -> Tensor:
    """Crops `boxes` [num_boxes, 4] (normalized y1, x1, y2, x2) out of the images
    `box_ind` picks from `image` [batch, h, w, c] and resizes each to `crop_size`
    (float32 output [num_boxes, crop_h, crop_w, c]); samples outside the image get
    `extrapolation_value`."""
    box_ind = box_indices if box_ind is None else box_ind
    if method not in ("bilinear", "nearest"):
        raise ValueError(f"method must be 'bilinear' or 'nearest', got {method!r}")
    image = convert_to_tensor(image, name="image")
    boxes = convert_to_tensor(boxes, dtype=dtypes.float32, name="boxes")
    box_ind = convert_to_tensor(box_ind, dtype=dtypes.int32, name="box_ind")
    crop_size = convert_to_tensor(crop_size, dtype=dtypes.int32, name="crop_size")
    return apply_op(
        "CropAndResize",
        [image, boxes, box_ind, crop_size],
        name=name,
        T=image.dtype.base_dtype.numpy_dtype,
        method=method,
        extrapolation_value=float(extrapolation_value),
    )


# -- codecs ------------------------------------------------------------------------------------


def decode_bmp(contents, channels=0, name=None) -> Tensor:
    """Decodes a BMP image to uint8 [h, w, channels] (0: as stored)."""
    contents = convert_to_tensor(contents, dtype=dtypes.string, name="contents")
    return apply_op("DecodeBmp", [contents], name=name, channels=int(channels))


def decode_gif(contents, name=None) -> Tensor:
    """Decodes a (possibly animated) GIF to uint8 [num_frames, h, w, 3]."""
    contents = convert_to_tensor(contents, dtype=dtypes.string, name="contents")
    return apply_op("DecodeGif", [contents], name=name)


def extract_jpeg_shape(contents, output_type=dtypes.int32, name=None) -> Tensor:
    """The [height, width, channels] of a JPEG image, without decoding it."""
    contents = convert_to_tensor(contents, dtype=dtypes.string, name="contents")
    return apply_op(
        "ExtractJpegShape",
        [contents],
        name=name,
        output_type=dtypes.as_dtype(output_type).numpy_dtype,
    )


def is_jpeg(contents, name=None) -> Tensor:
    """Whether `contents` starts with JPEG's magic bytes (FF D8 FF)."""
    with name_scope(name, "is_jpeg"):
        contents = convert_to_tensor(contents, dtype=dtypes.string)
        substr = string_ops.substr(contents, 0, 3)
        return math_ops.equal(substr, b"\xff\xd8\xff", name=name)


# -- random crops ------------------------------------------------------------------------------

no_gradient("SampleDistortedBoundingBoxV2")  # a random draw


def sample_distorted_bounding_box(
    image_size,
    bounding_boxes,
    seed=None,
    seed2=None,
    min_object_covered=0.1,
    aspect_ratio_range=None,
    area_range=None,
    max_attempts=None,
    use_image_if_no_bounding_boxes=None,
    name=None,
):
    """A random crop of an image of `image_size` [h, w, c] that covers at least
    `min_object_covered` of one of `bounding_boxes` [batch, N, 4] (normalized y1, x1, y2,
    x2), with an aspect ratio in `aspect_ratio_range` and an area fraction in
    `area_range`; the whole image when `max_attempts` draws find none.

    Returns `(begin, size, bboxes)`: `tf.slice(image, begin, size)` is the crop, and
    `bboxes` [1, 1, 4] its box (for `tf.image.draw_bounding_boxes`).
    """
    with name_scope(name, "sample_distorted_bounding_box", [image_size, bounding_boxes]):
        image_size = convert_to_tensor(image_size, name="image_size")
        boxes = convert_to_tensor(bounding_boxes, dtype=dtypes.float32, name="bounding_boxes")
        covered = convert_to_tensor(min_object_covered, dtype=dtypes.float32)
        seeds = _seeds(seed) if seed2 is None else {"seed": seed or 0, "seed2": seed2}
        return apply_op(
            "SampleDistortedBoundingBoxV2",
            [image_size, boxes, covered],
            T=image_size.dtype.base_dtype.numpy_dtype,
            aspect_ratio_range=tuple(float(v) for v in aspect_ratio_range or (0.75, 1.33)),
            area_range=tuple(float(v) for v in area_range or (0.05, 1.0)),
            max_attempts=int(max_attempts or 100),
            use_image_if_no_bounding_boxes=bool(use_image_if_no_bounding_boxes),
            **seeds,
        )


def resize_image_with_pad(
    image, target_height, target_width, method=image_ops.ResizeMethod.BILINEAR, align_corners=False
):
    """Resizes `image` to fit in target_height x target_width keeping its aspect ratio,
    then pads it with zeros (centered) to exactly that size."""
    with name_scope(None, "resize_image_with_pad", [image]):
        image = convert_to_tensor(image, name="image")
        batched = image.shape.ndims == 4
        images = image if batched else array_ops.expand_dims(image, 0)
        shape = array_ops.shape(images)
        height, width = (math_ops.cast(shape[i], dtypes.float64) for i in (1, 2))
        target_h = math_ops.cast(convert_to_tensor(target_height), dtypes.float64)
        target_w = math_ops.cast(convert_to_tensor(target_width), dtypes.float64)
        ratio = math_ops.maximum(width / target_w, height / target_h)
        # TF pads by half the gap to the unrounded resized size.
        float_h, float_w = height / ratio, width / ratio
        new_h = math_ops.cast(math_ops.floor(float_h), dtypes.int32)
        new_w = math_ops.cast(math_ops.floor(float_w), dtypes.int32)
        pad_h = math_ops.cast(
            math_ops.maximum(math_ops.floor((target_h - float_h) / 2), 0), dtypes.int32
        )
        pad_w = math_ops.cast(
            math_ops.maximum(math_ops.floor((target_w - float_w) / 2), 0), dtypes.int32
        )
        resized = image_ops.resize_images(
            images, array_ops.stack([new_h, new_w]), method, align_corners
        )
        after_h = convert_to_tensor(target_height, dtypes.int32) - new_h - pad_h
        after_w = convert_to_tensor(target_width, dtypes.int32) - new_w - pad_w
        zeros = array_ops.zeros([2], dtypes.int32)
        paddings = array_ops.stack(
            [zeros, array_ops.stack([pad_h, after_h]), array_ops.stack([pad_w, after_w]), zeros]
        )
        padded = array_ops.pad(resized, paddings)
        return padded if batched else array_ops.squeeze(padded, [0])
