"""`tf.image.combined_non_max_suppression`: per-class greedy NMS over a batch, the kept boxes
of all classes merged by score."""

from __future__ import annotations

from flowgraph.framework import dtypes
from flowgraph.framework.ops import apply_op
from flowgraph.framework.scopes import name_scope
from flowgraph.ops.constant_op import convert_to_tensor
from flowgraph.ops.gradients import no_gradient

no_gradient("CombinedNonMaxSuppression")  # a selection (TF: NotDifferentiable)


def combined_non_max_suppression(
    boxes,
    scores,
    max_output_size_per_class,
    max_total_size,
    iou_threshold=0.5,
    score_threshold=float("-inf"),
    pad_per_class=False,
    clip_boxes=True,
    name=None,
):
    """Greedily selects boxes by score per class and batch element, dropping boxes that
    overlap a kept one by more than `iou_threshold` (IoU) or score below
    `score_threshold`; then keeps the best `max_total_size` over all classes.

    Args:
      boxes: float32 `[batch, num_boxes, q, 4]` (`q` 1: boxes shared by the classes, or
        `num_classes`), each `[y1, x1, y2, x2]`.
      scores: float32 `[batch, num_boxes, num_classes]`.
      max_output_size_per_class: the most boxes kept per class.
      max_total_size: the most boxes kept per batch element.
      iou_threshold: the overlap above which a box is suppressed.
      score_threshold: boxes scoring at most this are dropped.
      pad_per_class: pad to `min(max_output_size_per_class * num_classes,
        max_total_size)` rather than `max_total_size`.
      clip_boxes: clip the kept boxes to [0, 1].
      name: a name scope.

    Returns:
      (nmsed_boxes `[batch, max_detections, 4]`, nmsed_scores `[batch, max_detections]`,
      nmsed_classes `[batch, max_detections]` (float32), valid_detections int32 `[batch]`),
      zero-padded beyond `valid_detections`.
    """
    with name_scope(name, "combined_non_max_suppression"):
        inputs = [
            convert_to_tensor(boxes, dtypes.float32, name="boxes"),
            convert_to_tensor(scores, dtypes.float32, name="scores"),
            convert_to_tensor(
                max_output_size_per_class, dtypes.int32, name="max_output_size_per_class"
            ),
            convert_to_tensor(max_total_size, dtypes.int32, name="max_total_size"),
            convert_to_tensor(iou_threshold, dtypes.float32, name="iou_threshold"),
            convert_to_tensor(score_threshold, dtypes.float32, name="score_threshold"),
        ]
        return apply_op(
            "CombinedNonMaxSuppression",
            inputs,
            pad_per_class=bool(pad_per_class),
            clip_boxes=bool(clip_boxes),
        )
