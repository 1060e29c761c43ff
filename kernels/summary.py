"""Summary kernels (host): serialized `Summary` protos for scalars, histograms, images, audio
and tensors, and their merge, built as TensorFlow's summary kernels build them."""

from __future__ import annotations

import io
import sys
import wave

import numpy as np
from tensorboard.compat.proto.summary_pb2 import HistogramProto, Summary, SummaryMetadata
from tensorboard.util.tensor_util import make_tensor_proto

from kernels.errors import InvalidArgumentError
from kernels.image import encode_png
from kernels.registry import HOST, Spec, register


def _summary_shape(specs, attrs, static_values):
    return [Spec((), np.dtype(object))]


def _tag(tag) -> str:
    return np.asarray(tag).item().decode()


def _serialized(summary: Summary) -> np.ndarray:
    return np.array(summary.SerializeToString(), dtype=object)


def _shape_string(shape) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"


# -- scalars ------------------------------------------------------------------------------------


@register("ScalarSummary", kind=HOST, shape=_summary_shape)
def scalar_summary(tags, values):
    tags, values = np.asarray(tags), np.asarray(values)
    if tags.shape != values.shape:
        single = f" (tag '{tags.reshape(-1)[0].decode()}')" if tags.size == 1 else ""
        raise InvalidArgumentError(
            None,
            None,
            f"tags and values are not the same shape: {_shape_string(tags.shape)} != "
            f"{_shape_string(values.shape)}{single}",
        )
    summary = Summary()
    for tag, value in zip(tags.reshape(-1), values.reshape(-1)):
        summary.value.add(tag=tag.decode(), simple_value=float(value))
    return _serialized(summary)


# -- histograms ---------------------------------------------------------------------------------


def default_bucket_limits() -> np.ndarray:
    """TF's default histogram bucket limits (tensorflow/core/lib/histogram/histogram.cc).

    Limits grow by 10% from 1e-12 to 1e20 on each side of 0, closed by +-DBL_MAX; the loop
    multiplies as TF's does, so every limit is the same double.
    """
    positive = []
    v = 1.0e-12
    while v < 1.0e20:
        positive.append(v)
        v *= 1.1
    positive.append(sys.float_info.max)
    return np.array([-p for p in reversed(positive)] + [0.0] + positive)


_BUCKET_LIMITS = default_bucket_limits()


def histogram_proto(values: np.ndarray) -> HistogramProto:
    """`values` as TF's `Histogram::EncodeToProto` encodes them (runs of empty buckets merged)."""
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    # A value v falls in the first bucket whose limit exceeds it (std::upper_bound).
    index = np.minimum(
        np.searchsorted(_BUCKET_LIMITS, values, side="right"), _BUCKET_LIMITS.size - 1
    )
    counts = np.bincount(index, minlength=_BUCKET_LIMITS.size).astype(np.float64)
    histo = HistogramProto()
    histo.min = values.min() if values.size else sys.float_info.max
    histo.max = values.max() if values.size else -sys.float_info.max
    histo.num = values.size
    histo.sum = np.cumsum(values)[-1] if values.size else 0.0  # TF adds one value at a time
    histo.sum_squares = np.cumsum(values * values)[-1] if values.size else 0.0
    limits, buckets = _collapse_empty_runs(counts)
    histo.bucket_limit.extend(limits)
    histo.bucket.extend(buckets)
    return histo


def _collapse_empty_runs(counts: np.ndarray) -> tuple[list[float], list[float]]:
    # A run of empty buckets becomes one empty bucket ending where the run ends.
    nonzero = counts > 0
    keep = nonzero | np.append(nonzero[1:], True)
    return _BUCKET_LIMITS[keep].tolist(), counts[keep].tolist()


@register("HistogramSummary", kind=HOST, shape=_summary_shape)
def histogram_summary(tag, values):
    values = np.asarray(values)
    if values.dtype.kind == "f":
        if np.isnan(values).any():
            raise InvalidArgumentError(None, None, f"Nan in summary histogram for: {_tag(tag)}")
        if np.isinf(values).any():
            raise InvalidArgumentError(
                None, None, f"Infinity in summary histogram for: {_tag(tag)}"
            )
    summary = Summary()
    value = summary.value.add(tag=_tag(tag))
    value.histo.CopyFrom(histogram_proto(values))
    return _serialized(summary)


# -- images -------------------------------------------------------------------------------------


def _image_tags(base: str, count: int, max_outputs: int, kind: str) -> list[str]:
    # TF numbers the tags only when more than one output was allowed.
    if max_outputs > 1:
        return [f"{base}/{kind}/{i}" for i in range(count)]
    return [f"{base}/{kind}"] * count


def to_uint8_image(image: np.ndarray, bad_color: np.ndarray) -> np.ndarray:
    """One [height, width, depth] image as uint8 pixels, by TF's `NormalizeFloatImage` rule.

    Non-negative images are scaled so their largest value is 255; an image with a negative
    value is scaled so the largest magnitude is 127 and shifted so 0 is at 128. Pixels with a
    non-finite channel are drawn in `bad_color`; the scale ignores them.
    """
    if image.dtype == np.uint8:
        return image
    finite = np.isfinite(image).all(axis=-1)
    good = image[finite]
    low = float(good.min()) if good.size else np.inf
    high = float(good.max()) if good.size else -np.inf
    if low < 0:
        top = max(abs(low), abs(high))
        scale, offset = (0.0 if top < 1e-6 else 127.0 / top), 128.0
    else:
        scale, offset = (0.0 if high < 1e-6 else 255.0 / high), 0.0
    scaled = image * image.dtype.type(scale) + image.dtype.type(offset)
    pixels = np.where(finite[..., None], scaled, 0).astype(np.uint8)  # truncates, as a C cast
    pixels[~finite] = bad_color[: image.shape[-1]]
    return pixels


@register("ImageSummary", kind=HOST, shape=_summary_shape)
def image_summary(tag, tensor, *, max_images: int = 3, bad_color=None):
    tensor = np.asarray(tensor)
    if tensor.ndim != 4 or tensor.shape[-1] not in (1, 3, 4):
        raise InvalidArgumentError(
            None,
            None,
            f"Tensor must be 4-D with last dim 1, 3, or 4, not {_shape_string(tensor.shape)}",
        )
    bad = np.asarray([255, 0, 0, 255] if bad_color is None else bad_color, dtype=np.uint8)
    count = min(tensor.shape[0], max_images)
    summary = Summary()
    for i, name in enumerate(_image_tags(_tag(tag), count, max_images, "image")):
        pixels = to_uint8_image(tensor[i], bad)
        image = summary.value.add(tag=name).image
        image.height, image.width, image.colorspace = pixels.shape
        image.encoded_image_string = encode_png(pixels).item()
    return _serialized(summary)


# -- audio --------------------------------------------------------------------------------------


def encode_wav(samples: np.ndarray, sample_rate: float) -> bytes:
    """[frames, channels] float samples as 16-bit PCM WAV (TF's `EncodeAudioAsS16LEWav`)."""
    scaled = samples.astype(np.float32) * np.float32(32768.0)
    rounded = np.sign(scaled) * np.floor(np.abs(scaled) + 0.5)  # C's roundf: half away from 0
    pcm = np.clip(rounded, -32768, 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(samples.shape[1])
        out.setsampwidth(2)
        out.setframerate(int(sample_rate))
        out.writeframes(pcm.tobytes())
    return buffer.getvalue()


@register("AudioSummaryV2", kind=HOST, shape=_summary_shape)
def audio_summary_v2(tag, tensor, sample_rate, *, max_outputs: int = 3):
    tensor, rate = np.asarray(tensor), np.asarray(sample_rate)
    if tensor.ndim not in (2, 3):
        raise InvalidArgumentError(
            None, None, f"Tensor must be 3-D or 2-D, got: {_shape_string(tensor.shape)}"
        )
    if rate.ndim != 0:
        raise InvalidArgumentError(
            None, None, f"sample_rate must be rank-0, got: {_shape_string(rate.shape)}"
        )
    clips = tensor[..., None] if tensor.ndim == 2 else tensor
    count = min(clips.shape[0], max_outputs)
    summary = Summary()
    for i, name in enumerate(_image_tags(_tag(tag), count, max_outputs, "audio")):
        audio = summary.value.add(tag=name).audio
        audio.sample_rate = float(rate)
        audio.num_channels = clips.shape[2]
        audio.length_frames = clips.shape[1]
        audio.encoded_audio_string = encode_wav(clips[i], float(rate))
        audio.content_type = "audio/wav"
    return _serialized(summary)


# -- tensors and merging ------------------------------------------------------------------------


@register("TensorSummaryV2", kind=HOST, shape=_summary_shape)
def tensor_summary_v2(tag, tensor, serialized_summary_metadata):
    summary = Summary()
    value = summary.value.add(tag=_tag(tag))
    value.tensor.CopyFrom(make_tensor_proto(np.asarray(tensor)))
    value.metadata.CopyFrom(
        SummaryMetadata.FromString(np.asarray(serialized_summary_metadata).item())
    )
    return _serialized(summary)


@register("MergeSummary", kind=HOST, shape=_summary_shape)
def merge_summary(*inputs):
    merged = Summary()
    tags: set[str] = set()
    for serialized in (s for x in inputs for s in np.asarray(x, dtype=object).reshape(-1)):
        try:
            summary = Summary.FromString(serialized)
        except Exception:  # protobuf's DecodeError, or a non-bytes element
            raise InvalidArgumentError(
                None, None, "Could not parse one of the summary inputs"
            ) from None
        for value in summary.value:
            if value.tag and value.tag in tags:
                raise InvalidArgumentError(
                    None, None, f"Duplicate tag {value.tag} found in summary inputs"
                )
            tags.add(value.tag)
            merged.value.append(value)
    return _serialized(merged)
