"""More of `tf.image`'s non-max suppression: padded outputs, soft-NMS with the kept
boxes' scores, and suppression by a given overlap matrix."""

from __future__ import annotations

import numpy as np

from flowgraph.framework import dtypes
from flowgraph.framework.ops import apply_op
from flowgraph.framework.scopes import name_scope
from flowgraph.ops.constant_op import convert_to_tensor
from flowgraph.ops.gradients import no_gradient

for _op_type in ("NonMaxSuppressionV4", "NonMaxSuppressionV5", "NonMaxSuppressionWithOverlaps"):
    no_gradient(_op_type)  # selected indices (TF: NotDifferentiable)
del _op_type


def _floats(*values):
    return [convert_to_tensor(v, dtype=dtypes.float32) for v in values]


def non_max_suppression_padded(
    boxes,
    scores,
    max_output_size,
    iou_threshold=0.5,
    score_threshold=float("-inf"),
    pad_to_max_output_size=False,
    name=None,
    sorted_input=False,
    canonicalized_coordinates=False,
    tile_size=512,
):
    """`non_max_suppression` that also returns the number of valid indices, and with
    `pad_to_max_output_size` pads the indices with zeros to `max_output_size`.

    Returns `(selected_indices, valid_outputs)`.
    """
    with name_scope(name, "non_max_suppression_padded"):
        boxes, scores, iou, score = _floats(boxes, scores, iou_threshold, score_threshold)
        size = convert_to_tensor(max_output_size, dtype=dtypes.int32)
        return tuple(
            apply_op(
                "NonMaxSuppressionV4",
                [boxes, scores, size, iou, score],
                T=np.dtype(np.float32),
                T_threshold=np.dtype(np.float32),
                pad_to_max_output_size=bool(pad_to_max_output_size),
            )
        )


def non_max_suppression_with_scores(
    boxes,
    scores,
    max_output_size,
    iou_threshold=0.5,
    score_threshold=float("-inf"),
    soft_nms_sigma=0.0,
    name=None,
):
    """Greedy NMS returning the kept boxes' scores too; with `soft_nms_sigma` > 0, overlapping
    boxes are not dropped but their scores decay by exp(-IoU² / (2 sigma)) (soft-NMS).

    Returns `(selected_indices, selected_scores)`.
    """
    with name_scope(name, "non_max_suppression_with_scores"):
        boxes, scores, iou, score, sigma = _floats(
            boxes, scores, iou_threshold, score_threshold, soft_nms_sigma
        )
        size = convert_to_tensor(max_output_size, dtype=dtypes.int32)
        indices, kept, _ = apply_op(
            "NonMaxSuppressionV5",
            [boxes, scores, size, iou, score, sigma],
            T=np.dtype(np.float32),
            pad_to_max_output_size=False,
        )
        return indices, kept


def non_max_suppression_overlaps(
    overlaps,
    scores,
    max_output_size,
    overlap_threshold=0.5,
    score_threshold=float("-inf"),
    name=None,
):
    """Greedy NMS with a given [num_boxes, num_boxes] overlap matrix instead of IoU."""
    with name_scope(name, "non_max_suppression_overlaps"):
        overlaps, scores, threshold, score = _floats(
            overlaps, scores, overlap_threshold, score_threshold
        )
        size = convert_to_tensor(max_output_size, dtype=dtypes.int32)
        return apply_op("NonMaxSuppressionWithOverlaps", [overlaps, scores, size, threshold, score])
