"""More non-max suppression kernels: padded outputs (V4), soft-NMS with scores (V5), and
suppression by a precomputed overlap matrix."""

from __future__ import annotations

import numpy as np

from kernels.image import _iou
from kernels.registry import HOST, Spec, register

_INT32 = np.dtype(np.int32)


def _greedy(scores, overlap, max_output, threshold, score_threshold, sigma=0.0):
    """TF's greedy selection: the best remaining box is kept; every other box is dropped if
    it overlaps it by more than `threshold`, and with `sigma` > 0 its score decays by
    exp(-overlap² / (2 sigma)) (soft-NMS). Returns (indices, their scores)."""
    current = np.asarray(scores, np.float64).copy()
    active = current > score_threshold
    selected, selected_scores = [], []
    while len(selected) < max_output and active.any():
        best = int(np.flatnonzero(active)[np.argmax(current[active])])
        selected.append(best)
        selected_scores.append(current[best])
        active[best] = False
        others = np.flatnonzero(active)
        if not others.size:
            break
        o = overlap(best, others)
        if sigma > 0:
            current[others] *= np.where(o <= threshold, np.exp(-0.5 * o * o / sigma), 0.0)
        else:
            current[others] = np.where(o > threshold, -np.inf, current[others])
        active[others] = current[others] > score_threshold
    return np.array(selected, np.int64), np.array(selected_scores)


def _box_overlap(boxes):
    boxes = np.asarray(boxes, np.float64)
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError(f"boxes must be 2-D [num_boxes, 4], got shape {list(boxes.shape)}")
    return lambda i, others: _iou(boxes[i], boxes[others])


def _padded(values, size: int, pad: bool, dtype):
    out = np.zeros(size if pad else len(values), dtype)
    out[: len(values)] = values
    return out


def _v4_shape(specs, attrs, static_values):
    return [Spec((None,), _INT32), Spec((), _INT32)]


@register("NonMaxSuppressionV4", kind=HOST, shape=_v4_shape)
def non_max_suppression_v4(
    boxes,
    scores,
    max_output_size,
    iou_threshold,
    score_threshold,
    *,
    T=np.float32,
    T_threshold=np.float32,
    pad_to_max_output_size=False,
):
    n = int(max_output_size)
    index, _ = _greedy(scores, _box_overlap(boxes), n, float(iou_threshold), float(score_threshold))
    return _padded(index, n, pad_to_max_output_size, _INT32), np.int32(len(index))


def _v5_shape(specs, attrs, static_values):
    return [
        Spec((None,), _INT32),
        Spec((None,), np.dtype(attrs.get("T", np.float32))),
        Spec((), _INT32),
    ]


@register("NonMaxSuppressionV5", kind=HOST, shape=_v5_shape)
def non_max_suppression_v5(
    boxes,
    scores,
    max_output_size,
    iou_threshold,
    score_threshold,
    soft_nms_sigma,
    *,
    T=np.float32,
    pad_to_max_output_size=False,
):
    n = int(max_output_size)
    index, kept = _greedy(
        scores,
        _box_overlap(boxes),
        n,
        float(iou_threshold),
        float(score_threshold),
        float(soft_nms_sigma),
    )
    return (
        _padded(index, n, pad_to_max_output_size, _INT32),
        _padded(kept, n, pad_to_max_output_size, np.dtype(T)),
        np.int32(len(index)),
    )


@register(
    "NonMaxSuppressionWithOverlaps",
    kind=HOST,
    shape=lambda specs, attrs, static_values: [Spec((None,), _INT32)],
)
def non_max_suppression_with_overlaps(
    overlaps, scores, max_output_size, overlap_threshold, score_threshold
):
    matrix = np.asarray(overlaps, np.float64)
    index, _ = _greedy(
        scores,
        lambda i, others: matrix[i, others],
        int(max_output_size),
        float(overlap_threshold),
        float(score_threshold),
    )
    return index.astype(np.int32)
