"""CombinedNonMaxSuppression: greedy NMS per class and batch element, the survivors of all
classes merged by score."""

from __future__ import annotations

import numpy as np

from kernels.nms import _box_overlap, _greedy
from kernels.registry import HOST, Spec, register


def _combined_shape(specs, attrs, static_values):
    batch = specs[0].shape[0] if specs[0].shape else None
    size = _detections(static_values[3], static_values[2], specs[1].shape, attrs)
    f32 = np.dtype(np.float32)
    return [
        Spec((batch, size, 4), f32),
        Spec((batch, size), f32),
        Spec((batch, size), f32),
        Spec((batch,), np.dtype(np.int32)),
    ]


def _detections(max_total, per_class, scores_shape, attrs):
    if max_total is None:
        return None
    if attrs.get("pad_per_class", False):
        classes = scores_shape[2] if scores_shape else None
        if per_class is None or classes is None:
            return None
        return min(int(per_class) * classes, int(max_total))
    return int(max_total)


def _one_image(boxes, scores, per_class, iou, score_threshold):
    """(score, class, box) of every box NMS keeps in any class, best first."""
    kept = []
    for c in range(scores.shape[1]):
        class_boxes = boxes[:, c if boxes.shape[1] > 1 else 0]
        index, _ = _greedy(scores[:, c], _box_overlap(class_boxes), per_class, iou, score_threshold)
        kept += [(scores[i, c], c, class_boxes[i]) for i in index]
    kept.sort(key=lambda k: -k[0])  # stable: ties keep class order
    return kept


@register(
    "CombinedNonMaxSuppression",
    kind=HOST,
    static=("max_output_size_per_class", "max_total_size"),
    shape=_combined_shape,
)
def combined_non_max_suppression(
    boxes,
    scores,
    max_output_size_per_class,
    max_total_size,
    iou_threshold,
    score_threshold,
    *,
    pad_per_class=False,
    clip_boxes=True,
):
    boxes, scores = np.asarray(boxes, np.float32), np.asarray(scores, np.float32)
    if boxes.ndim != 4 or boxes.shape[3] != 4 or boxes.shape[2] not in (1, scores.shape[2]):
        raise ValueError(
            f"CombinedNonMaxSuppression: boxes must be [batch, num_boxes, q, 4] "
            f"with q 1 or num_classes, got {list(boxes.shape)}"
        )
    per_class, total = int(max_output_size_per_class), int(max_total_size)
    size = min(per_class * scores.shape[2], total) if pad_per_class else total
    batch = boxes.shape[0]
    out_boxes = np.zeros((batch, size, 4), np.float32)
    out_scores = np.zeros((batch, size), np.float32)
    out_classes = np.zeros((batch, size), np.float32)
    valid = np.zeros(batch, np.int32)
    for b in range(batch):
        kept = _one_image(
            boxes[b], scores[b], per_class, float(iou_threshold), float(score_threshold)
        )[:size]
        valid[b] = len(kept)
        for k, (score, c, box) in enumerate(kept):
            out_boxes[b, k] = np.clip(box, 0.0, 1.0) if clip_boxes else box
            out_scores[b, k], out_classes[b, k] = score, c
    return out_boxes, out_scores, out_classes, valid
