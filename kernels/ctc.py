"""Connectionist temporal classification: the greedy decoder (host) and the CTC loss (xla).

Both take time-major logits [max_time, batch, num_classes]; the blank is the last class.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from kernels.registry import HOST, Spec, register


def _greedy_shape(specs, attrs, static_values):
    shape = specs[0].shape
    batch = shape[1] if shape is not None else None
    i64 = np.dtype(np.int64)
    return [
        Spec((None, 2), i64),
        Spec((None,), i64),
        Spec((2,), i64),
        Spec((batch, 1), specs[0].dtype),
    ]


@register("CTCGreedyDecoder", kind=HOST, shape=_greedy_shape)
def ctc_greedy_decoder(inputs, sequence_length, *, merge_repeated: bool = False):
    inputs = np.asarray(inputs)
    seq_len = np.asarray(sequence_length)
    if inputs.ndim != 3:
        raise ValueError(f"inputs must be 3-D [max_time, batch, classes], got {inputs.shape}")
    max_time, batch, classes = inputs.shape
    if seq_len.shape != (batch,):
        raise ValueError(f"sequence_length must be [{batch}], got {list(seq_len.shape)}")
    if np.any(seq_len > max_time) or np.any(seq_len < 0):
        raise ValueError(f"sequence_length {seq_len.tolist()} out of range [0, {max_time}]")
    blank = classes - 1
    neg_sum = np.zeros((batch, 1), inputs.dtype)
    indices, values, longest = [], [], 0
    for b in range(batch):
        prev, decoded = -1, []
        for t in range(int(seq_len[b])):
            k = int(np.argmax(inputs[t, b]))
            neg_sum[b, 0] -= inputs[t, b, k]
            if k != blank and not (merge_repeated and k == prev):
                decoded.append(k)
            prev = k
        indices += [(b, j) for j in range(len(decoded))]
        values += decoded
        longest = max(longest, len(decoded))
    return (
        np.asarray(indices, np.int64).reshape(-1, 2),
        np.asarray(values, np.int64),
        np.asarray([batch, longest], np.int64),
        neg_sum,
    )


_LOG_ZERO = -1e30  # finite, so a path-free state keeps finite gradients


def _dense_labels(indices, values, batch, max_len, blank):
    """Labels as [batch, max_len] (padded with the blank) and their lengths [batch]."""
    rows, cols = indices[:, 0].astype(jnp.int32), indices[:, 1].astype(jnp.int32)
    labels = (
        jnp.full((batch, max_len), blank, jnp.int32)
        .at[rows, cols]
        .set(values.astype(jnp.int32), mode="drop")
    )
    lengths = jnp.zeros((batch,), jnp.int32).at[rows].add(1, mode="drop")
    return labels, lengths


def _collapse(labels, lengths, blank):
    """Merges runs of equal labels (TF's preprocess_collapse_repeated)."""
    batch, max_len = labels.shape
    pos = jnp.arange(max_len)
    valid = pos[None, :] < lengths[:, None]
    prev = jnp.concatenate([jnp.full((batch, 1), -1, labels.dtype), labels[:, :-1]], 1)
    keep = valid & ((pos[None, :] == 0) | (labels != prev))
    target = jnp.where(keep, jnp.cumsum(keep, 1) - 1, max_len)
    out = (
        jnp.full_like(labels, blank).at[jnp.arange(batch)[:, None], target].set(labels, mode="drop")
    )
    return out, keep.sum(1).astype(jnp.int32)


def _ctc_nll(logits, labels, lengths, seq_len, merge_repeated):
    """-log p(labels | logits) per batch entry (about 1e30 where no alignment exists)."""
    max_time, batch, classes = logits.shape
    blank = classes - 1
    logp = jax.nn.log_softmax(logits, axis=-1)
    size = 2 * labels.shape[1] + 1
    ext = jnp.full((batch, size), blank, jnp.int32).at[:, 1::2].set(labels)
    s = jnp.arange(size)
    is_blank = ext == blank
    prev2 = jnp.concatenate([jnp.full((batch, 2), -1, jnp.int32), ext[:, :-2]], 1)
    allow_stay = jnp.ones_like(is_blank) if merge_repeated else is_blank
    allow_skip = (~is_blank) & (s[None, :] >= 2)
    if merge_repeated:
        allow_skip = allow_skip & (ext != prev2)
    neg = jnp.asarray(_LOG_ZERO, logp.dtype)

    def step(alpha, xs):
        lp, t = xs  # lp: [batch, classes]
        stay = jnp.where(allow_stay, alpha, neg)
        one = jnp.concatenate([jnp.full((batch, 1), neg), alpha[:, :-1]], 1)
        two = jnp.concatenate([jnp.full((batch, 2), neg), alpha[:, :-2]], 1)
        two = jnp.where(allow_skip, two, neg)
        total = jnp.logaddexp(jnp.logaddexp(stay, one), two)
        new = jnp.maximum(total + jnp.take_along_axis(lp, ext, axis=1), neg)
        return jnp.where((t < seq_len)[:, None], new, alpha), None

    # Before t=0 every path sits at a virtual state that feeds positions 0 and 1 only.
    empty = jnp.where(s[None, :] == 0, 0.0, neg).astype(logp.dtype)  # for seq_len 0
    lp0 = jnp.take_along_axis(logp[0], ext, axis=1)
    alpha = jnp.where(s[None, :] <= 1, lp0, neg)
    alpha = jnp.where((seq_len > 0)[:, None], alpha, jnp.broadcast_to(empty, alpha.shape))
    alpha, _ = lax.scan(step, alpha, (logp[1:], jnp.arange(1, max_time)))
    end = 2 * lengths
    last = jnp.take_along_axis(alpha, end[:, None], axis=1)[:, 0]
    before = jnp.take_along_axis(alpha, jnp.maximum(end - 1, 0)[:, None], axis=1)[:, 0]
    before = jnp.where(lengths > 0, before, neg)
    return -jnp.logaddexp(last, before)


def _ctc_loss(inputs, indices, values, seq_len, max_len, collapse, merge, ignore_longer):
    max_time, batch, classes = inputs.shape
    labels, lengths = _dense_labels(indices, values, batch, max_len, classes - 1)
    if collapse:
        labels, lengths = _collapse(labels, lengths, classes - 1)
    dtype = jnp.promote_types(inputs.dtype, jnp.float32)
    nll = _ctc_nll(inputs.astype(dtype), labels, lengths, seq_len.astype(jnp.int32), merge)
    nll = jnp.where(nll > 1e29, jnp.inf, nll)
    if ignore_longer:
        nll = jnp.where(lengths > seq_len, 0.0, nll)
    return nll.astype(inputs.dtype)


@register("CTCLoss")
def ctc_loss(
    inputs,
    labels_indices,
    labels_values,
    sequence_length,
    *,
    _max_label_length: int,
    preprocess_collapse_repeated: bool = False,
    ctc_merge_repeated: bool = True,
    ignore_longer_outputs_than_inputs: bool = False,
):
    args = (
        labels_indices,
        labels_values,
        sequence_length,
        _max_label_length,
        bool(preprocess_collapse_repeated),
        bool(ctc_merge_repeated),
        bool(ignore_longer_outputs_than_inputs),
    )

    def finite_total(x):
        loss = _ctc_loss(x, *args)
        return jnp.where(jnp.isfinite(loss), loss, 0.0).sum()

    return _ctc_loss(inputs, *args), jax.grad(finite_total)(inputs)
