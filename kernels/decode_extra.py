"""More decoders: zlib/gzip strings, JSON Examples, cropped JPEGs and WebP images."""

from __future__ import annotations

import gzip
import zlib

import numpy as np
from google.protobuf import json_format

from kernels.errors import DataLossError, InvalidArgumentError
from kernels.example_proto import Example
from kernels.image import _open, _to_array
from kernels.registry import HOST, Spec, register


def _same_shape_strings(specs, attrs, static_values):
    return [Spec(specs[0].shape, np.dtype(object))]


def _inflate(data: bytes, compression_type: str) -> bytes:
    if not compression_type:
        return data
    try:
        if compression_type == "GZIP":
            return gzip.decompress(data)
        return zlib.decompress(data)
    except (OSError, zlib.error, EOFError) as e:
        raise DataLossError(None, None, f"DecodeCompressed: inflate() failed: {e}") from None


@register("DecodeCompressed", kind=HOST, shape=_same_shape_strings)
def decode_compressed(bytes, *, compression_type=""):
    if compression_type not in ("", "ZLIB", "GZIP"):
        raise ValueError(
            f"DecodeCompressed: compression_type must be '', 'ZLIB' or 'GZIP', "
            f"got {compression_type!r}"
        )
    flat = np.asarray(bytes, dtype=object).reshape(-1)
    out = [_inflate(b, compression_type) for b in flat]
    return np.array(out + [None], dtype=object)[:-1].reshape(np.shape(bytes))


def _json_to_example(text: bytes) -> bytes:
    example = Example()
    try:
        json_format.Parse(text.decode() if isinstance(text, (bytes, np.bytes_)) else text, example)
    except json_format.ParseError as e:
        raise InvalidArgumentError(None, None, f"Error while parsing JSON: {e}") from None
    return example.SerializeToString()


@register("DecodeJSONExample", kind=HOST, shape=_same_shape_strings)
def decode_json_example(json_examples):
    flat = np.asarray(json_examples, dtype=object).reshape(-1)
    out = [_json_to_example(j) for j in flat]
    return np.array(out + [None], dtype=object)[:-1].reshape(np.shape(json_examples))


def _image_shape(specs, attrs, static_values):
    return [Spec((None, None, attrs.get("channels", 0) or None), np.dtype(np.uint8))]


@register("DecodeAndCropJpeg", kind=HOST, shape=_image_shape)
def decode_and_crop_jpeg(
    contents,
    crop_window,
    *,
    channels=0,
    ratio=1,
    fancy_upscaling=True,
    try_recover_truncated=False,
    acceptable_fraction=1.0,
    dct_method="",
):
    image = _open(contents, "DecodeAndCropJpeg")
    if ratio > 1:
        image = image.reduce(ratio)
    y, x, h, w = (int(v) for v in np.asarray(crop_window).reshape(-1))
    if min(y, x, h, w) < 0 or y + h > image.height or x + w > image.width:
        raise InvalidArgumentError(
            None, None, "jpeg::Uncompress failed. Invalid JPEG data or crop window."
        )
    return _to_array(image, channels, np.dtype(np.uint8))[y : y + h, x : x + w]


@register(
    "DecodeWebP",
    kind=HOST,
    shape=lambda specs, attrs, static_values: [
        Spec((None, None, None, attrs.get("channels", 0) or None), np.dtype(np.uint8))
    ],
)
def decode_web_p(contents, *, channels=0, dtype=np.uint8):
    image = _open(contents, "DecodeWebP")
    if image.format != "WEBP":
        raise InvalidArgumentError(
            None, None, f"DecodeWebP: not a WebP image (found {image.format})"
        )
    stored = 4 if "A" in image.getbands() else 3
    if channels not in (0, stored):
        raise InvalidArgumentError(None, None, "Number of channels requested does not match input")
    frames = []
    for k in range(getattr(image, "n_frames", 1)):
        image.seek(k)
        frames.append(_to_array(image, stored, np.dtype(np.uint8)))
    return np.stack(frames)
