"""CTCBeamSearchDecoder: TF's prefix beam search over time-major logits (host).

The blank is the last class. As TF's CTCBeamSearchDecoder with its default scorer, each
step scores the log-softmax of the logits, a prefix keeps its probability of ending in a
blank and in its last label, and a prefix evicted from the beam forgets them (TF's
hibernating beam). Arithmetic is in the logits' dtype, as TF's.
"""

from __future__ import annotations

import numpy as np

from kernels.errors import FailedPreconditionError, InvalidArgumentError
from kernels.registry import HOST, Spec, register


class _Probs:
    """A prefix's log probabilities: in total, ending in a blank, ending in its label."""

    __slots__ = ("total", "blank", "label")

    def __init__(self, zero):
        self.total = self.blank = self.label = zero

    def copy(self, zero) -> _Probs:
        out = _Probs(zero)
        out.total, out.blank, out.label = self.total, self.blank, self.label
        return out


class _Entry:
    """A node of the prefix tree: its label, parent, children and probabilities."""

    __slots__ = ("parent", "label", "children", "oldp", "newp")

    def __init__(self, parent, label, zero):
        self.parent, self.label, self.children = parent, label, {}
        self.oldp, self.newp = _Probs(zero), _Probs(zero)

    def active(self, zero) -> bool:
        return self.newp.total != zero

    def child(self, label, zero) -> _Entry:
        if label not in self.children:
            self.children[label] = _Entry(self, label, zero)
        return self.children[label]

    def labels(self, merge_repeated: bool) -> list[int]:
        out, prev, node = [], -1, self
        while node.parent is not None:
            if not merge_repeated or node.label != prev:
                out.append(node.label)
            prev, node = node.label, node.parent
        return out[::-1]


def _log_sum_exp(a, b, zero):
    if a == zero:
        return b
    if b == zero:
        return a
    hi, lo = (a, b) if a > b else (b, a)
    return hi + np.log1p(np.exp(lo - hi))


class _Beam:
    """The prefixes in the beam, at most `width` of them (TF's TopN by total probability)."""

    def __init__(self, width: int):
        self.width, self.entries = width, []

    def push(self, entry) -> None:
        self.entries.append(entry)
        if len(self.entries) > self.width:
            self.entries.remove(self.bottom())

    def bottom(self) -> _Entry:
        return min(self.entries, key=lambda e: e.newp.total)

    def extract(self) -> list[_Entry]:
        out, self.entries = sorted(self.entries, key=lambda e: -e.newp.total), []
        return out


def _step(beam: _Beam, logits, zero) -> None:
    """One time step of TF's CTCBeamSearchDecoder::Step."""
    shifted = logits - logits.max()
    shifted = shifted - np.log(np.exp(shifted).sum())  # log-softmax
    blank = len(logits) - 1
    branches = beam.extract()
    for b in branches:
        b.oldp = b.newp.copy(zero)
    for b in branches:
        if b.parent is not None:
            if b.parent.active(zero):
                previous = (
                    b.parent.oldp.blank if b.label == b.parent.label else (b.parent.oldp.total)
                )
                b.newp.label = _log_sum_exp(b.newp.label, previous, zero)
            b.newp.label = b.newp.label + shifted[b.label]
        b.newp.blank = b.oldp.total + shifted[blank]
        b.newp.total = _log_sum_exp(b.newp.blank, b.newp.label, zero)
        beam.push(b)
    for b in branches:
        if _candidate(beam, b.oldp, zero):
            _grow(beam, b, shifted, zero)


def _candidate(beam: _Beam, probs: _Probs, zero) -> bool:
    return probs.total > zero and (
        len(beam.entries) < beam.width or probs.total > beam.bottom().newp.total
    )


def _grow(beam: _Beam, b: _Entry, shifted, zero) -> None:
    """Extends prefix `b` by every non-blank label not already in the beam."""
    for label in range(len(shifted) - 1):
        c = b.child(label, zero)
        if c.active(zero):
            continue
        c.newp.blank = zero
        previous = b.oldp.blank if label == b.label else b.oldp.total
        c.newp.label = c.newp.total = shifted[label] + previous
        if _candidate(beam, c.newp, zero):
            if len(beam.entries) == beam.width:
                beam.bottom().newp = _Probs(zero)  # leaves the beam: forgets its state
            beam.push(c)
        else:
            c.oldp, c.newp = _Probs(zero), _Probs(zero)


def _decode_one(logits, length: int, beam_width: int, top_paths: int, merge_repeated: bool):
    zero = logits.dtype.type(-np.inf)
    root = _Entry(None, -1, zero)
    root.newp.total = root.newp.blank = logits.dtype.type(0)
    beam = _Beam(beam_width)
    beam.push(root)
    for t in range(length):
        _step(beam, logits[t], zero)
    if top_paths > beam_width:
        raise InvalidArgumentError(None, None, "requested more paths than the beam width.")
    if top_paths > len(beam.entries):
        raise InvalidArgumentError(None, None, "Less leaves in the beam search than requested.")
    best = beam.extract()[:top_paths]
    return [e.labels(merge_repeated) for e in best], [e.newp.total for e in best]


def _beam_shape(specs, attrs, static_values):
    shape, top = specs[0].shape, attrs["top_paths"]
    batch = shape[1] if shape is not None else None
    i64 = np.dtype(np.int64)
    return (
        [Spec((None, 2), i64)] * top
        + [Spec((None,), i64)] * top
        + [Spec((2,), i64)] * top
        + [Spec((batch, top), specs[0].dtype)]
    )


@register("CTCBeamSearchDecoder", kind=HOST, shape=_beam_shape)
def ctc_beam_search_decoder(inputs, sequence_length, *, beam_width, top_paths, merge_repeated=True):
    inputs, seq_len = np.asarray(inputs), np.asarray(sequence_length)
    if inputs.ndim != 3:
        raise ValueError(f"inputs is not a 3-Tensor: {list(inputs.shape)}")
    max_time, batch, _ = inputs.shape
    if seq_len.shape != (batch,):
        raise ValueError(
            f"len(sequence_length) != batch_size.  len(sequence_length):  "
            f"{seq_len.size} batch_size: {batch}"
        )
    for b in range(batch):
        if seq_len[b] > max_time:
            raise FailedPreconditionError(None, None, f"sequence_length({b}) <= {max_time}")
    paths = [[] for _ in range(top_paths)]
    log_probs = np.zeros((batch, top_paths), inputs.dtype)
    for b in range(batch):
        best, scores = _decode_one(
            inputs[:, b], int(seq_len[b]), beam_width, top_paths, bool(merge_repeated)
        )
        for i, labels in enumerate(best):
            paths[i].append(labels)
        log_probs[b] = scores
    return (*_sparse(paths), log_probs)


def _sparse(paths) -> tuple:
    """Per path rank: its indices, then values, then dense shapes, as TF's op lists them."""
    indices, values, shapes = [], [], []
    for per_batch in paths:
        indices.append(
            np.asarray(
                [(b, j) for b, labels in enumerate(per_batch) for j in range(len(labels))], np.int64
            ).reshape(-1, 2)
        )
        values.append(np.asarray([v for labels in per_batch for v in labels], np.int64))
        longest = max((len(labels) for labels in per_batch), default=0)
        shapes.append(np.asarray([len(per_batch), longest], np.int64))
    return (*indices, *values, *shapes)
