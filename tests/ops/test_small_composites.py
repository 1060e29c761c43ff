"""mean_pairwise_squared_error (TF's values), vectorized_map, batch_scatter_update,
image.extract_patches, extract_volume_patches and summary.get_summary_description."""

from __future__ import annotations

import numpy as np
import pytest
from tensorboard.compat.proto.node_def_pb2 import NodeDef

import flowgraph as tf
from tests.gradient_checker import check_gradients

OP_TYPES_TESTED = {"ExtractVolumePatches"}
GRADIENT_CHECKED = {"ExtractVolumePatches"}

LABELS = np.array([[1.0, 2, 3], [4, 5, 6]], np.float32)
PREDICTIONS = np.array([[1.5, 2, 2], [4, 7, 6.5]], np.float32)


def test_mean_pairwise_squared_error_matches_tf():
    with tf.Graph().as_default():
        losses = [
            tf.losses.mean_pairwise_squared_error(LABELS, PREDICTIONS),
            tf.losses.mean_pairwise_squared_error(LABELS, PREDICTIONS, weights=[[2.0], [0.0]]),
            tf.losses.mean_pairwise_squared_error(
                LABELS[:, :, None], PREDICTIONS[:, :, None], weights=0.5
            ),
        ]
        assert len(tf.get_collection(tf.GraphKeys.LOSSES)) == 3
        got = tf.Session().run(losses)
        with pytest.raises(ValueError):
            tf.losses.mean_pairwise_squared_error(LABELS, PREDICTIONS[:, :2])
    # TF 2.21's tf.compat.v1.losses.mean_pairwise_squared_error on the same inputs.
    np.testing.assert_allclose(got, [3.3333335, 2.3333333, 1.6666667], rtol=1e-6)


def test_vectorized_map():
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    with tf.Graph().as_default():
        sums = tf.vectorized_map(lambda row: tf.reduce_sum(row), x)
        pairs = tf.vectorized_map(
            lambda e: (e[0] * 2, tf.cast(e[1], tf.int64)), (x, np.array([1, 2, 3], np.int32))
        )
        got = tf.Session().run([sums, pairs])
    np.testing.assert_allclose(got[0], x.sum(1))
    np.testing.assert_allclose(got[1][0], 2 * x)
    assert got[1][1].dtype == np.int64 and got[1][1].tolist() == [1, 2, 3]


def test_batch_scatter_update():
    with tf.Graph().as_default():
        ref = tf.Variable(np.zeros((2, 4), np.float32))
        out = tf.batch_scatter_update(ref, [[1, 3], [0, 0]], [[1.0, 2.0], [3.0, 3.0]])
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            got = sess.run(out)
    assert got.tolist() == [[0, 1, 0, 2], [3, 0, 0, 0]]


def test_extract_patches_is_extract_image_patches():
    images = np.arange(2 * 5 * 5 * 2, dtype=np.float32).reshape(2, 5, 5, 2)
    with tf.Graph().as_default():
        got = tf.Session().run(
            tf.image.extract_patches(images, [1, 2, 2, 1], [1, 3, 3, 1], [1, 1, 1, 1], "VALID")
        )
    assert got.shape == (2, 2, 2, 8)
    np.testing.assert_array_equal(got[1, 1, 0], images[1, 3:5, 0:2].reshape(-1))


def test_get_summary_description():
    node = NodeDef(name="s", op="TensorSummary")
    node.attr["description"].s = b'{"type_hint": "image"}'
    assert tf.summary.get_summary_description(node).type_hint == "image"
    with pytest.raises(ValueError, match="Can't get_summary_description on Add"):
        tf.summary.get_summary_description(NodeDef(name="a", op="Add"))


def _volume_patches(x, k, s, padding):
    """numpy: TF's SAME pads `total // 2` before each spatial dim, the rest after."""
    pads = [(0, 0)]
    for size, kk, ss in zip(x.shape[1:4], k, s):
        out = -(-size // ss) if padding == "SAME" else (size - kk) // ss + 1
        total = max((out - 1) * ss + kk - size, 0) if padding == "SAME" else 0
        pads.append((total // 2, total - total // 2))
    xp = np.pad(x, pads + [(0, 0)])
    outs = [(xp.shape[i + 1] - k[i]) // s[i] + 1 for i in range(3)]
    result = np.zeros((x.shape[0], *outs, k[0] * k[1] * k[2] * x.shape[4]), x.dtype)
    for p, r, c in np.ndindex(*outs):
        block = xp[
            :, p * s[0] : p * s[0] + k[0], r * s[1] : r * s[1] + k[1], c * s[2] : c * s[2] + k[2]
        ]
        result[:, p, r, c] = block.reshape(x.shape[0], -1)
    return result


@pytest.mark.parametrize(
    "k, s, padding", [((2, 3, 2), (2, 1, 1), "VALID"), ((3, 2, 2), (1, 2, 2), "SAME")]
)
def test_extract_volume_patches(k, s, padding):
    x = np.arange(1 * 4 * 5 * 3 * 2, dtype=np.float32).reshape(1, 4, 5, 3, 2)
    with tf.Graph().as_default():
        got = tf.Session().run(tf.extract_volume_patches(x, [1, *k, 1], [1, *s, 1], padding))
    np.testing.assert_array_equal(got, _volume_patches(x, k, s, padding))
    check_gradients(
        lambda t: tf.extract_volume_patches(t, [1, *k, 1], [1, *s, 1], padding),
        x[:, :3, :4].astype(np.float64) / 100,
    )
