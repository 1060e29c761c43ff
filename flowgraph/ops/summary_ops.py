"""Summary ops (`tf.summary.scalar`, `histogram`, `image`, ...): string tensors holding
serialized `Summary` protos, computed by host kernels after the ops that feed them."""

from __future__ import annotations

import contextlib
import re

import numpy as np
from tensorboard.compat.proto.summary_pb2 import SummaryMetadata

from flowgraph.framework import dtypes
from flowgraph.framework.ops import GraphKeys, Tensor, apply_op, get_default_graph
from flowgraph.framework.scopes import name_scope
from flowgraph.ops.constant_op import convert_to_tensor

_INVALID_TAG_CHARACTERS = re.compile(r"[^-/\w\.]")
_IMAGE_DTYPES = (dtypes.uint8, dtypes.float32, dtypes.float16, dtypes.float64)


def clean_tag(name: str | None) -> str | None:
    """`name` with characters TensorBoard does not allow in tags replaced by "_"."""
    if name is None:
        return None
    return _INVALID_TAG_CHARACTERS.sub("_", name).lstrip("/")


@contextlib.contextmanager
def summary_scope(name, family=None, default_name=None, values=None):
    """Opens the name scope of a summary op and yields `(tag, scope)`, as TF1 does.

    The tag is the scope's full name; with a `family` the scope is `family/name` and the tag
    is prefixed by `family/` again, so TensorBoard shows it in that family's tab.
    """
    name, family = clean_tag(name), clean_tag(family)
    base = name if family is None else f"{family}/{name}"
    with name_scope(base, default_name, values) as scope:
        tag = scope.rstrip("/") if family is None else f"{family}/{scope.rstrip('/')}"
        yield tag, scope


def _collect(value: Tensor, collections, default_collections) -> None:
    for key in default_collections if collections is None else collections:
        value.graph.add_to_collection(key, value)


def _tag_tensor(tag: str, name: str) -> Tensor:
    return convert_to_tensor(tag, dtypes.string, name=name)


def _check_dtype(tensor: Tensor, allowed, op_type: str, param: str) -> None:
    if tensor.dtype.base_dtype not in allowed:
        names = ", ".join(d.name for d in allowed)
        raise TypeError(
            f"Value passed to parameter '{param}' has DataType {tensor.dtype.base_dtype.name} "
            f"not in list of allowed values: {names} (op '{op_type}')"
        )


def _check_real(tensor: Tensor, op_type: str, param: str) -> None:
    dtype = tensor.dtype.base_dtype
    if not (dtype.is_integer or dtype.is_floating):
        raise TypeError(
            f"Value passed to parameter '{param}' has DataType {dtype.name} not in list of "
            f"allowed values: real number types (op '{op_type}')"
        )


def scalar(name, tensor, collections=None, family=None) -> Tensor:
    """A summary of one real number, shown as a scalar chart.

    Args:
      name: the summary's name (name scopes and `family` prefix its tag).
      tensor: a real numeric scalar Tensor.
      collections: graph collections to add it to (default `[GraphKeys.SUMMARIES]`).
      family: a tag prefix that groups summaries into one TensorBoard tab.

    Returns:
      A scalar string Tensor: a serialized `Summary` proto.

    Example:
      >>> tf.summary.scalar("loss", loss)
    """
    tensor = convert_to_tensor(tensor)
    _check_real(tensor, "ScalarSummary", "values")
    with summary_scope(name, family, values=[tensor]) as (tag, scope):
        value = apply_op(
            "ScalarSummary",
            [_tag_tensor(tag, "tags"), tensor],
            name=scope,
            T=tensor.dtype.numpy_dtype,
        )
        _collect(value, collections, [GraphKeys.SUMMARIES])
    return value


def histogram(name, values, collections=None, family=None) -> Tensor:
    """A histogram of `values` in TF's default buckets (10% wide, from 1e-12 to 1e20).

    Running it raises InvalidArgumentError if `values` holds a NaN or an infinity.

    Example:
      >>> tf.summary.histogram("weights", w)
    """
    values = convert_to_tensor(values)
    _check_real(values, "HistogramSummary", "values")
    with summary_scope(name, family, values=[values]) as (tag, scope):
        value = apply_op(
            "HistogramSummary",
            [_tag_tensor(tag, "tag"), values],
            name=scope,
            T=values.dtype.numpy_dtype,
        )
        _collect(value, collections, [GraphKeys.SUMMARIES])
    return value


def image(name, tensor, max_outputs=3, collections=None, family=None) -> Tensor:
    """PNG images of the first `max_outputs` entries of a [batch, height, width, channels]
    tensor (1, 3 or 4 channels).

    uint8 images are used as they are. Float images are scaled per image: if no value is
    negative, so the largest is 255; otherwise so the largest magnitude is 127 around 128.
    Tags are `tag/image/0`, `tag/image/1`, ... (`tag/image` when `max_outputs` is 1).

    Example:
      >>> tf.summary.image("inputs", images, max_outputs=4)
    """
    tensor = convert_to_tensor(tensor)
    _check_dtype(tensor, _IMAGE_DTYPES, "ImageSummary", "tensor")
    with summary_scope(name, family, values=[tensor]) as (tag, scope):
        value = apply_op(
            "ImageSummary",
            [_tag_tensor(tag, "tag"), tensor],
            name=scope,
            max_images=int(max_outputs),
            T=tensor.dtype.numpy_dtype,
            bad_color=np.array([255, 0, 0, 255], dtype=np.uint8),
        )
        _collect(value, collections, [GraphKeys.SUMMARIES])
    return value


def audio(name, tensor, sample_rate, max_outputs=3, collections=None, family=None) -> Tensor:
    """16-bit PCM WAV clips of the first `max_outputs` entries of a float32 tensor of shape
    [batch, frames] or [batch, frames, channels] with values in [-1, 1].

    Example:
      >>> tf.summary.audio("speech", waves, sample_rate=16000)
    """
    tensor = convert_to_tensor(tensor)
    _check_dtype(tensor, (dtypes.float32,), "AudioSummaryV2", "tensor")
    with summary_scope(name, family, values=[tensor]) as (tag, scope):
        rate = convert_to_tensor(sample_rate, dtypes.float32, name="sample_rate")
        value = apply_op(
            "AudioSummaryV2",
            [_tag_tensor(tag, "tag"), tensor, rate],
            name=scope,
            max_outputs=int(max_outputs),
        )
        _collect(value, collections, [GraphKeys.SUMMARIES])
    return value


def tensor_summary(
    name,
    tensor,
    summary_description=None,
    collections=None,
    summary_metadata=None,
    family=None,
    display_name=None,
) -> Tensor:
    """A summary holding the whole value of `tensor` (a `TensorProto`) and its metadata.

    Example:
      >>> tf.summary.tensor_summary("logits", logits)
    """
    metadata = SummaryMetadata()
    if summary_metadata is not None:
        metadata.CopyFrom(summary_metadata)
    if summary_description is not None:
        metadata.summary_description = summary_description
    if display_name is not None:
        metadata.display_name = display_name
    tensor = convert_to_tensor(tensor)
    with summary_scope(name, family, values=[tensor]) as (tag, scope):
        serialized = convert_to_tensor(
            metadata.SerializeToString(), dtypes.string, name="serialized_summary_metadata"
        )
        value = apply_op(
            "TensorSummaryV2",
            [_tag_tensor(tag, "tag"), tensor, serialized],
            name=scope,
            T=tensor.dtype.numpy_dtype,
        )
        _collect(value, collections, [GraphKeys.SUMMARIES])
    return value


def text(name, tensor, collections=None) -> Tensor:
    """A summary of a string tensor, shown (as Markdown) in TensorBoard's Text tab.

    Example:
      >>> tf.summary.text("config", tf.constant("lr = 0.1"))
    """
    tensor = convert_to_tensor(tensor)
    if tensor.dtype.base_dtype != dtypes.string:
        raise ValueError(
            f"Expected tensor {tensor.name} to have dtype string, got {tensor.dtype.name}"
        )
    metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="text"))
    return tensor_summary(name, tensor, summary_metadata=metadata, collections=collections)


def merge(inputs, collections=None, name=None) -> Tensor:
    """One `Summary` holding every value of the serialized summaries `inputs`.

    Running it raises InvalidArgumentError if two values share a tag.

    Example:
      >>> merged = tf.summary.merge([loss_summary, accuracy_summary])
    """
    inputs = [convert_to_tensor(x, dtypes.string) for x in inputs]
    name = clean_tag(name)
    with name_scope(name, "Merge", inputs):
        value = apply_op("MergeSummary", inputs, name=name, N=len(inputs))
        _collect(value, collections, [])
    return value


def merge_all(key=GraphKeys.SUMMARIES, scope=None, name=None) -> Tensor | None:
    """Merges every summary in collection `key` (those under `scope` if given); None if the
    collection is empty.

    Example:
      >>> merged = tf.summary.merge_all()
      >>> writer.add_summary(sess.run(merged), step)
    """
    summaries = get_default_graph().get_collection(key, scope=scope)
    return merge(summaries, name=name) if summaries else None
