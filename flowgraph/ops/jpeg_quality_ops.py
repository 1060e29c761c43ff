"""`tf.image.adjust_jpeg_quality` and `random_jpeg_quality`: JPEG compression artifacts,
by encoding and decoding the image."""

from __future__ import annotations

from flowgraph.framework import dtypes
from flowgraph.framework.ops import apply_op
from flowgraph.framework.scopes import name_scope
from flowgraph.ops import image_ops, random_ops
from flowgraph.ops.constant_op import convert_to_tensor
from flowgraph.ops.gradients import no_gradient

no_gradient("EncodeJpegVariableQuality")  # uint8 in, bytes out (TF: NotDifferentiable)


def adjust_jpeg_quality(image, jpeg_quality, dct_method="", name=None):
    """The image after JPEG encoding at `jpeg_quality` (0-100) and decoding: the same shape
    (1 or 3 channels) and dtype, with JPEG's compression artifacts.

    Args:
      image: `[height, width, channels]`, uint8 or float in [0, 1].
      jpeg_quality: an int or an int32 scalar tensor, 0 to 100.
      dct_method: accepted for TF's signature.
      name: a name scope.
    """
    with name_scope(name, "adjust_jpeg_quality", [image]):
        image = convert_to_tensor(image, name="image")
        channels = image.shape.as_list()[-1] if image.shape.ndims else None
        original = image.dtype
        image = image_ops.convert_image_dtype(image, dtypes.uint8, saturate=True)
        quality = convert_to_tensor(jpeg_quality, dtype=dtypes.int32, name="jpeg_quality")
        encoded = apply_op("EncodeJpegVariableQuality", [image, quality])
        decoded = image_ops.decode_jpeg(encoded, channels=channels or 0, dct_method=dct_method)
        return image_ops.convert_image_dtype(decoded, original, saturate=True)


def random_jpeg_quality(image, min_jpeg_quality, max_jpeg_quality, seed=None):
    """`adjust_jpeg_quality` with a quality drawn uniformly from
    `[min_jpeg_quality, max_jpeg_quality)` each run.

    Raises:
      ValueError: if the range is not inside [0, 100] or is empty.
    """
    if not (0 <= min_jpeg_quality <= 100 and 0 <= max_jpeg_quality <= 100):
        raise ValueError("jpeg encoding range must be between 0 and 100.")
    if min_jpeg_quality >= max_jpeg_quality:
        raise ValueError("`min_jpeg_quality` must be less than `max_jpeg_quality`.")
    quality = random_ops.random_uniform(
        [], min_jpeg_quality, max_jpeg_quality, seed=seed, dtype=dtypes.int32
    )
    return adjust_jpeg_quality(image, quality)
