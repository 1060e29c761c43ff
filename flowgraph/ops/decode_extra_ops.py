"""More decoders: `tf.io.decode_compressed`, `decode_json_example`, `decode_and_crop_jpeg`
and `decode_webp`."""

from __future__ import annotations

from flowgraph.framework import dtypes
from flowgraph.framework.ops import apply_op
from flowgraph.ops import image_ops
from flowgraph.ops.constant_op import convert_to_tensor
from flowgraph.ops.gradients import no_gradient

for _op_type in ("DecodeCompressed", "DecodeJSONExample", "DecodeAndCropJpeg", "DecodeWebP"):
    no_gradient(_op_type)  # byte strings in (TF: NotDifferentiable)
del _op_type


def decode_compressed(bytes, compression_type="", name=None):
    """Decompresses each string of `bytes` ("" (none), "ZLIB" or "GZIP").

    Example:
      >>> tf.io.decode_compressed(zlib.compress(b"hello"), "ZLIB")   # b"hello"
    """
    if compression_type not in ("", "ZLIB", "GZIP"):
        raise ValueError(f"compression_type must be '', 'ZLIB' or 'GZIP', got {compression_type!r}")
    bytes = convert_to_tensor(bytes, dtype=dtypes.string, name="bytes")
    return apply_op("DecodeCompressed", [bytes], name=name, compression_type=compression_type)


def decode_json_example(json_examples, name=None):
    """Converts JSON-encoded `Example` protos (protobuf's JSON mapping) to binary ones.

    Example:
      >>> tf.io.decode_json_example('{"features": {"feature": {"a": {"int64List": '
      ...                           '{"value": ["1"]}}}}}')   # a serialized tf.train.Example
    """
    json_examples = convert_to_tensor(json_examples, dtype=dtypes.string, name="json_examples")
    return apply_op("DecodeJSONExample", [json_examples], name=name)


def decode_and_crop_jpeg(
    contents,
    crop_window,
    channels=0,
    ratio=1,
    fancy_upscaling=True,
    try_recover_truncated=False,
    acceptable_fraction=1,
    dct_method="",
    name=None,
):
    """Decodes the `crop_window` (`[y, x, height, width]`) of a JPEG image: uint8
    `[height, width, channels]`.

    Raises (when run):
      InvalidArgumentError: if the window is not inside the image.
    """
    if ratio not in (1, 2, 4, 8):
        raise ValueError(f"DecodeAndCropJpeg: ratio must be 1, 2, 4 or 8, got {ratio}")
    crop_window = convert_to_tensor(crop_window, dtype=dtypes.int32, name="crop_window")
    return apply_op(
        "DecodeAndCropJpeg",
        [image_ops._contents(contents), crop_window],
        name=name,
        channels=image_ops._channels("DecodeAndCropJpeg", channels, (0, 1, 3)),
        ratio=int(ratio),
        fancy_upscaling=bool(fancy_upscaling),
        try_recover_truncated=bool(try_recover_truncated),
        acceptable_fraction=float(acceptable_fraction),
        dct_method=dct_method,
    )


def decode_webp(contents, channels=0, dtype=dtypes.uint8, name=None):
    """Decodes a WebP image: uint8 `[num_frames, height, width, channels]` (one frame for a
    still image).

    Args:
      contents: a scalar string, the WebP-encoded image.
      channels: 0 (as stored), 3 or 4; it must match the image.
      dtype: uint8.
      name: a name for the operation.
    """
    if dtypes.as_dtype(dtype) != dtypes.uint8:
        raise ValueError(f"DecodeWebP: dtype must be uint8, got {dtype}")
    return apply_op(
        "DecodeWebP",
        [image_ops._contents(contents)],
        name=name,
        channels=image_ops._channels("DecodeWebP", channels, (0, 3, 4)),
        dtype=dtypes.uint8.numpy_dtype,
    )
