"""tf.image.combined_non_max_suppression against TensorFlow's values
(tests/fixtures/combined_nms_tf.py)."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

import flowgraph as tf

OP_TYPES_TESTED = {"CombinedNonMaxSuppression"}
NOT_DIFFERENTIABLE = {"CombinedNonMaxSuppression": "a selection (TF: NotDifferentiable)"}

TF = np.load(pathlib.Path(__file__).parent.parent / "fixtures" / "combined_nms_tf.npz")
CASES = [
    dict(max_output_size_per_class=3, max_total_size=5),
    dict(
        max_output_size_per_class=2,
        max_total_size=20,
        pad_per_class=True,
        score_threshold=0.3,
        iou_threshold=0.3,
    ),
    dict(max_output_size_per_class=4, max_total_size=4, clip_boxes=False),
]


@pytest.mark.parametrize("k", range(len(CASES)))
def test_matches_tensorflow(k):
    with tf.Graph().as_default():
        out = tf.image.combined_non_max_suppression(TF["boxes"], TF["scores"], **CASES[k])
        assert out[0].shape.as_list()[:2] == [2, TF[f"case{k}_scores"].shape[1]]
        got = tf.Session().run(out)
    for name, value in zip(("boxes", "scores", "classes", "valid"), got):
        np.testing.assert_allclose(value, TF[f"case{k}_{name}"], rtol=1e-6, err_msg=name)


def test_class_specific_boxes():
    boxes = np.tile(TF["boxes"], [1, 1, 3, 1])
    boxes[:, :, 1] = boxes[:, :, 1] * 0.5  # class 1 has its own boxes
    with tf.Graph().as_default():
        got = tf.Session().run(
            tf.image.combined_non_max_suppression(boxes, TF["scores"], 6, 18, iou_threshold=1.0)
        )
    # Nothing is suppressed at IoU 1: each class keeps its 6 boxes; the best 18 of 18.
    assert got[3].tolist() == [18, 18]
    order = np.argsort(-TF["scores"][0].T.reshape(-1), kind="stable")
    np.testing.assert_allclose(got[1][0], TF["scores"][0].T.reshape(-1)[order])
    classes = order // 6
    np.testing.assert_array_equal(got[2][0], classes)
    np.testing.assert_allclose(got[0][0], np.clip(boxes[0, order % 6, classes], 0, 1))
