"""Padded, soft and overlap-matrix non-max suppression against TF's results (TF 2.21)."""

from __future__ import annotations

import numpy as np

import flowgraph as tf
from flowgraph.ops import nms_ops

OP_TYPES_TESTED = {"NonMaxSuppressionV4", "NonMaxSuppressionV5", "NonMaxSuppressionWithOverlaps"}
NOT_DIFFERENTIABLE = {t: "selected indices (TF: NotDifferentiable)" for t in OP_TYPES_TESTED}

BOXES = [
    [0, 0, 1, 1],
    [0, 0.1, 1, 1.1],
    [0, -0.1, 1, 0.9],
    [0, 10, 1, 11],
    [0, 10.1, 1, 11.1],
    [0, 100, 1, 101],
]
SCORES = [0.9, 0.75, 0.6, 0.95, 0.5, 0.3]
OVERLAPS = [[1, 0.6, 0.2], [0.6, 1, 0.8], [0.2, 0.8, 1]]


def test_matches_tf():
    with tf.Graph().as_default():
        outs = [
            nms_ops.non_max_suppression_padded(BOXES, SCORES, 5, 0.5, pad_to_max_output_size=True),
            nms_ops.non_max_suppression_padded(BOXES, SCORES, 3, 0.5, 0.4),
            nms_ops.non_max_suppression_with_scores(BOXES, SCORES, 6, 1.0, 0.1, soft_nms_sigma=0.5),
            nms_ops.non_max_suppression_with_scores(BOXES, SCORES, 6, 0.5),
            nms_ops.non_max_suppression_overlaps(OVERLAPS, [0.9, 0.8, 0.7], 3, 0.5),
        ]
        with tf.Session() as sess:
            got = sess.run(outs)
    assert got[0][0].tolist() == [3, 0, 5, 0, 0] and got[0][1] == 3
    assert got[1][0].tolist() == [3, 0] and got[1][1] == 2
    assert got[2][0].tolist() == [3, 0, 1, 5, 4, 2]
    np.testing.assert_allclose(
        got[2][1], [0.95, 0.9, 0.38400355, 0.3, 0.2560026, 0.19697244], rtol=1e-6
    )
    assert got[3][0].tolist() == [3, 0, 5]
    np.testing.assert_allclose(got[3][1], [0.95, 0.9, 0.3])
    assert got[4].tolist() == [0, 2]
