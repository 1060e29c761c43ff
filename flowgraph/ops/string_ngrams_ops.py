"""`tf.strings.ngrams`, `tf.strings.unsorted_segment_join`, `tf.strings.bytes_split` and
`tf.fingerprint`."""

from __future__ import annotations

import numpy as np

from flowgraph.framework import dtypes
from flowgraph.framework.ops import apply_op
from flowgraph.framework.ragged_tensor import RaggedTensor
from flowgraph.framework.scopes import name_scope
from flowgraph.ops import array_ops, math_ops, string_ops
from flowgraph.ops.constant_op import convert_to_tensor
from flowgraph.ops.gradients import no_gradient
from flowgraph.ops.manip_ops import repeat

for _op_type in ("StringNGrams", "UnsortedSegmentJoin"):
    no_gradient(_op_type)  # strings
del _op_type


def ngrams(
    data,
    ngram_width,
    separator=" ",
    pad_values=None,
    padding_width=None,
    preserve_short_sequences=False,
    name=None,
):
    """The n-grams of the strings along the last dimension of `data`, for each width in
    `ngram_width`, joined by `separator`.

    With `pad_values` (one string, or a (left, right) pair) each sequence is padded by
    `padding_width` (default width - 1) on both sides. A RaggedTensor gives a RaggedTensor;
    a dense tensor gives a dense one (rows of a dense tensor have equal lengths).

    Example:
      >>> tf.strings.ngrams(["a", "b", "c", "d"], 2)   # [b"a b", b"b c", b"c d"]
    """
    widths = [ngram_width] if isinstance(ngram_width, int) else list(ngram_width)
    if pad_values is None:
        left, right = "", ""
    elif isinstance(pad_values, (list, tuple)):
        left, right = pad_values
    else:
        left = right = pad_values
    pad_width = (0 if pad_values is None else -1) if padding_width is None else padding_width
    attrs = dict(
        separator=separator,
        ngram_widths=tuple(int(w) for w in widths),
        left_pad=left,
        right_pad=right,
        pad_width=int(pad_width),
        preserve_short_sequences=bool(preserve_short_sequences),
        Tsplits=np.dtype(np.int64),
    )
    with name_scope(name, "StringNGrams", [data]):
        if isinstance(data, RaggedTensor):
            values, splits = apply_op("StringNGrams", [data.values, data.row_splits], **attrs)
            return RaggedTensor.from_row_splits(values, splits, validate=False)
        data = convert_to_tensor(data, dtype=dtypes.string, name="data")
        if data.shape.ndims is None:
            raise ValueError("Rank of data must be known.")
        if data.shape.ndims == 0:
            raise ValueError("Data must have rank>0")
        shape = array_ops.shape(data, out_type=dtypes.int64)
        rows = math_ops.reduce_prod(shape[:-1])
        splits = array_ops.range(rows + 1, dtype=dtypes.int64) * shape[-1]
        values, _ = apply_op("StringNGrams", [array_ops.reshape(data, [-1]), splits], **attrs)
        dense_shape = array_ops.concat([shape[:-1], np.array([-1], np.int64)], 0)
        return array_ops.reshape(values, dense_shape)


def unsorted_segment_join(inputs, segment_ids, num_segments, separator="", name=None):
    """Joins the strings of `inputs` sharing a segment id, in order, with `separator`;
    segments without strings give "".

    Example:
      >>> tf.strings.unsorted_segment_join(["a", "b", "c"], [1, 0, 1], 2)   # [b"b", b"ac"]
    """
    inputs = convert_to_tensor(inputs, dtype=dtypes.string, name="inputs")
    ids = convert_to_tensor(segment_ids, name="segment_ids")
    n = convert_to_tensor(num_segments, name="num_segments")
    return apply_op(
        "UnsortedSegmentJoin",
        [inputs, ids, n],
        name=name,
        separator=separator,
        Tindices=ids.dtype.base_dtype.numpy_dtype,
        Tnumsegments=n.dtype.base_dtype.numpy_dtype,
    )


def bytes_split(input, name=None):  # noqa: A002
    """The bytes of a string scalar as a 1-D string tensor (of a vector: a RaggedTensor)."""
    with name_scope(name, "StringsByteSplit", [input]):
        input = convert_to_tensor(input, dtype=dtypes.string, name="input")
        if input.shape.ndims == 0:
            n = string_ops.string_length(input)
            positions = array_ops.range(n)
            return string_ops.substr(
                array_ops.fill(array_ops.reshape(n, [1]), input),
                positions,
                array_ops.ones_like(positions),
            )
        if input.shape.ndims != 1:
            raise ValueError(f"bytes_split takes a scalar or a vector, got {input.shape}")
        lengths = string_ops.string_length(input)
        starts = math_ops.cumsum(lengths, exclusive=True)
        total = math_ops.reduce_sum(lengths)
        owner = repeat(array_ops.range(array_ops.size(lengths)), lengths)
        position = array_ops.range(total) - array_ops.gather(starts, owner)
        chars = string_ops.substr(
            array_ops.gather(input, owner), position, array_ops.ones_like(position)
        )
        return RaggedTensor.from_row_lengths(
            chars, math_ops.cast(lengths, dtypes.int64), validate=False
        )


no_gradient("Fingerprint")  # TF: NotDifferentiable


def fingerprint(data, method="farmhash64", name=None):
    """An 8-byte uint8 fingerprint of each row of `data` (TF's farmhash Fingerprint64: the
    same values as TF)."""
    data = convert_to_tensor(data, name="data")
    method = convert_to_tensor(method, dtype=dtypes.string, name="method")
    return apply_op("Fingerprint", [data, method], name=name, T=data.dtype.base_dtype.numpy_dtype)
