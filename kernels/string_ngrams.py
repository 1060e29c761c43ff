"""String n-grams (StringNGrams) and segment joins (UnsortedSegmentJoin): host kernels."""

from __future__ import annotations

import numpy as np

from kernels.errors import InvalidArgumentError
from kernels.registry import HOST, Spec, register

_OBJECT = np.dtype(object)


def _row_ngrams(
    row: list,
    widths,
    separator: bytes,
    left: bytes,
    right: bytes,
    pad_width: int,
    preserve_short: bool,
) -> list:
    out = []
    for width in widths:
        pad = min(width - 1 if pad_width < 0 else pad_width, width - 1)
        tokens = [left] * pad + row + [right] * pad
        out += [separator.join(tokens[i : i + width]) for i in range(len(tokens) - width + 1)]
    if not out and preserve_short and row:
        pad = min(max(widths) - 1 if pad_width < 0 else pad_width, max(widths) - 1)
        out.append(separator.join([left] * pad + row + [right] * pad))
    return out


def _ngrams_shape(specs, attrs, static_values):
    return [Spec((None,), _OBJECT), Spec((None,), np.dtype(attrs.get("Tsplits", np.int64)))]


@register("StringNGrams", kind=HOST, shape=_ngrams_shape)
def string_n_grams(
    data,
    data_splits,
    *,
    separator,
    ngram_widths,
    left_pad,
    right_pad,
    pad_width,
    preserve_short_sequences,
    Tsplits=np.int64,
):
    values = [bytes(v) for v in np.asarray(data, dtype=object).reshape(-1)]
    splits = np.asarray(data_splits).reshape(-1)
    if splits.size == 0 or splits[0] != 0 or splits[-1] != len(values):
        raise InvalidArgumentError(
            None,
            None,
            "Invalid split values: data_splits must start "
            f"at 0 and end at {len(values)}, got {splits.tolist()}",
        )
    out, out_splits = [], [0]
    sep, left, right = (s.encode() for s in (separator, left_pad, right_pad))
    for start, end in zip(splits[:-1], splits[1:]):
        out += _row_ngrams(
            values[start:end], ngram_widths, sep, left, right, pad_width, preserve_short_sequences
        )
        out_splits.append(len(out))
    return np.array(out, dtype=object).reshape(-1), np.array(out_splits, dtype=Tsplits)


def _join_shape(specs, attrs, static_values):
    inputs, ids, n = specs[0].shape, specs[1].shape, static_values[2]
    count = None if n is None else int(np.asarray(n))
    if inputs is None or ids is None:
        return [Spec(None, _OBJECT)]
    return [Spec((count,) + tuple(inputs[len(ids) :]), _OBJECT)]


@register("UnsortedSegmentJoin", kind=HOST, shape=_join_shape)
def unsorted_segment_join(
    inputs,
    segment_ids,
    num_segments,
    *,
    separator="",
    Tindices=None,
    Tnumsegments=np.dtype(np.int32),
):
    inputs, ids = np.asarray(inputs, dtype=object), np.asarray(segment_ids)
    n = int(np.asarray(num_segments))
    if inputs.shape[: ids.ndim] != ids.shape:
        raise InvalidArgumentError(
            None,
            None,
            f"segment_ids.shape {list(ids.shape)} must be a "
            f"prefix of inputs.shape {list(inputs.shape)}",
        )
    inner = inputs.shape[ids.ndim :]
    parts: list = [[] for _ in range(n)]
    for index, segment in zip(np.ndindex(*ids.shape), ids.reshape(-1).tolist()):
        if segment >= n:
            raise InvalidArgumentError(
                None, None, f"segment_ids[{index}] = {segment} is out of range [0, {n})"
            )
        if segment >= 0:
            parts[segment].append(np.asarray(inputs[index], dtype=object))
    sep, out = separator.encode(), np.empty((n,) + inner, dtype=object)
    for k, members in enumerate(parts):
        for position in np.ndindex(*inner):
            out[(k,) + position] = sep.join(bytes(m[position]) for m in members)
    return out
