"""More tf.nn against numpy: dropout, l2_normalize, crelu/swish, LRN, batch norms,
weighted moments, embedding lookups, in_top_k, weighted/Poisson losses; their gradients."""

from __future__ import annotations

import numpy as np
import pytest

import flowgraph as tf
from flowgraph.framework.sparse_tensor import SparseTensor
from tests.gradient_checker import check_gradients

OP_TYPES_TESTED = {"LRN", "InTopKV2", "FusedBatchNorm"}
GRADIENT_CHECKED = {"LRN", "FusedBatchNorm"}
NOT_DIFFERENTIABLE = {"InTopKV2": "bool output (TF1 registers no gradient)"}

rng = np.random.RandomState(0)


def _run(fetches, feed=None):
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        return sess.run(fetches, feed)


# -- dropout -------------------------------------------------------------------------------


def test_dropout_keeps_scaled_values_and_zeroes_the_rest():
    with tf.Graph().as_default():
        x = tf.ones([200, 50])
        y = tf.nn.dropout(x, keep_prob=0.25, seed=3)
        z = tf.nn.dropout(x, rate=0.75, seed=3)
        assert y.shape.as_list() == [200, 50] and y.op.name.startswith("dropout")
        a, b = _run([y, z])
    assert set(np.unique(a)) <= {0.0, 4.0}
    assert abs((a > 0).mean() - 0.25) < 0.02
    np.testing.assert_array_equal(a, b)  # same seeds, same rate: the same mask


def test_dropout_noise_shape_broadcasts_and_graph_seed_repeats():
    with tf.Graph().as_default():
        tf.set_random_seed(7)
        x = tf.placeholder(tf.float32, [None, 30])
        y = tf.nn.dropout(x, 0.5, noise_shape=[1, 30])
        a = _run(y, {x: np.ones([4, 30], np.float32)})
    for r in a[1:]:
        np.testing.assert_array_equal(r, a[0])
    with tf.Graph().as_default():
        tf.set_random_seed(7)
        x = tf.placeholder(tf.float32, [None, 30])
        b = _run(tf.nn.dropout(x, 0.5, noise_shape=[1, 30]), {x: np.ones([4, 30], np.float32)})
    np.testing.assert_array_equal(a, b)


def test_dropout_errors_and_rate_zero():
    with tf.Graph().as_default():
        x = tf.ones([3])
        assert tf.nn.dropout(x, rate=0.0) is x
        with pytest.raises(ValueError, match="range"):
            tf.nn.dropout(x, keep_prob=0.0)
        with pytest.raises(ValueError, match="provide a rate"):
            tf.nn.dropout(x)
        with pytest.raises(ValueError, match="floating point"):
            tf.nn.dropout(tf.constant([1, 2]), 0.5)
        with pytest.raises(ValueError, match="both"):
            tf.nn.dropout(x, keep_prob=0.5, rate=0.5)
        kp = tf.placeholder(tf.float32, [])
        y = tf.nn.dropout(x, kp)
        assert _run(y, {kp: 1.0}).tolist() == [1.0, 1.0, 1.0]


# -- normalisation and activations ---------------------------------------------------------


def test_l2_normalize_crelu_swish():
    x = rng.randn(3, 4).astype(np.float32)
    with tf.Graph().as_default():
        a = tf.nn.l2_normalize(x, axis=1)
        b = tf.nn.l2_normalize(x, dim=0, epsilon=1e-12)
        z = tf.nn.l2_normalize(tf.zeros([2]), 0)
        c = tf.nn.crelu(x)
        s = tf.nn.swish(x)
        got = _run([a, b, z, c, s])
    np.testing.assert_allclose(got[0], x / np.linalg.norm(x, axis=1, keepdims=True), 1e-5)
    np.testing.assert_allclose(got[1], x / np.linalg.norm(x, axis=0, keepdims=True), 1e-5)
    assert got[2].tolist() == [0.0, 0.0]
    np.testing.assert_allclose(got[3], np.maximum(np.concatenate([x, -x], 1), 0))
    np.testing.assert_allclose(got[4], x / (1 + np.exp(-x)), 1e-5)
    check_gradients(lambda t: tf.nn.l2_normalize(t, 1), x.astype(np.float64))
    check_gradients(tf.nn.swish, x.astype(np.float64))


def _lrn_ref(x, r, bias, alpha, beta):
    sq = np.square(x)
    d = x.shape[-1]
    s = np.stack([sq[..., max(0, i - r): i + r + 1].sum(-1) for i in range(d)], -1)
    return x / (bias + alpha * s) ** beta


def test_lrn_against_numpy_and_gradient():
    x = rng.rand(2, 3, 3, 7).astype(np.float32)
    with tf.Graph().as_default():
        p = tf.placeholder(tf.float32, [None, 3, None, 7])
        y = tf.nn.lrn(p, depth_radius=2, bias=1.5, alpha=0.3, beta=0.75)
        assert y.shape.as_list() == [None, 3, None, 7] and y.op.type == "LRN"
        got = _run(y, {p: x})
        with pytest.raises(ValueError, match="rank 4"):
            tf.nn.local_response_normalization(tf.ones([2, 3]))
    np.testing.assert_allclose(got, _lrn_ref(x, 2, 1.5, 0.3, 0.75), 1e-5)
    check_gradients(lambda t: tf.nn.lrn(t, 1, 1.0, 0.5, 0.75), x[:1, :2, :2, :4],
                    atol=5e-3, rtol=5e-3)


def test_batch_normalization():
    x = rng.randn(4, 3)
    m, v, o, s = rng.randn(3), rng.rand(3) + 0.5, rng.randn(3), rng.randn(3)
    with tf.Graph().as_default():
        y = tf.nn.batch_normalization(x, m, v, o, s, 1e-3)
        y2 = tf.nn.batch_normalization(x, m, v, None, None, 1e-3)
        got, got2 = _run([y, y2])
    np.testing.assert_allclose(got, (x - m) / np.sqrt(v + 1e-3) * s + o, 1e-10)
    np.testing.assert_allclose(got2, (x - m) / np.sqrt(v + 1e-3), 1e-10)
    check_gradients(lambda a, b, c: tf.nn.batch_normalization(a, b, c, o, s, 1e-3), x, m, v)


@pytest.mark.parametrize("data_format", ["NHWC", "NCHW"])
def test_fused_batch_norm_training_and_inference(data_format):
    x = rng.randn(2, 3, 4, 5).astype(np.float32)
    axes = (0, 1, 2) if data_format == "NHWC" else (0, 2, 3)
    c = x.shape[3] if data_format == "NHWC" else x.shape[1]
    scale, offset = rng.rand(c).astype(np.float32) + 0.5, rng.randn(c).astype(np.float32)
    bshape = [1, 1, 1, c] if data_format == "NHWC" else [1, c, 1, 1]
    with tf.Graph().as_default():
        p = tf.placeholder(tf.float32, [None, None, None, None])
        y, m, v = tf.nn.fused_batch_norm(p, scale, offset, data_format=data_format)
        mi, vi = np.arange(c, dtype=np.float32), np.arange(1, c + 1, dtype=np.float32)
        yi, m2, v2 = tf.nn.fused_batch_norm(x, scale, offset, mi, vi, epsilon=1e-9,
                                            data_format=data_format, is_training=False)
        assert y.op.type == "FusedBatchNorm"
        got = _run([y, m, v, yi, m2, v2], {p: x})
    mean, var = x.mean(axes), x.var(axes)
    n = x.size // c
    np.testing.assert_allclose(got[1], mean, 1e-5, 1e-6)
    np.testing.assert_allclose(got[2], var * n / (n - 1), 1e-5)
    ref = (x - mean.reshape(bshape)) / np.sqrt(var.reshape(bshape) + 1e-3)
    np.testing.assert_allclose(got[0], ref * scale.reshape(bshape) + offset.reshape(bshape),
                               1e-4, 1e-5)
    ref = (x - mi.reshape(bshape)) / np.sqrt(vi.reshape(bshape) + 1.001e-5)
    np.testing.assert_allclose(got[3], ref * scale.reshape(bshape) + offset.reshape(bshape),
                               1e-4, 1e-5)
    np.testing.assert_array_equal(got[4], mi)
    np.testing.assert_array_equal(got[5], vi)


def test_fused_batch_norm_gradient_and_errors():
    x = rng.randn(2, 2, 2, 3)
    s, o = rng.rand(3) + 0.5, rng.randn(3)
    check_gradients(lambda a, b, c: tf.nn.fused_batch_norm(a, b, c)[0], x, s, o)
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="must be None"):
            tf.nn.fused_batch_norm(x, s, o, mean=s)
        with pytest.raises(ValueError, match="1D tensor"):
            tf.nn.fused_batch_norm(x, s, o, is_training=False)
        with pytest.raises(ValueError, match="rank 4"):
            tf.nn.fused_batch_norm(np.ones([2, 3]), s, o)


def test_weighted_moments():
    x = rng.randn(4, 3)
    w = rng.rand(4, 1)
    with tf.Graph().as_default():
        m, v = tf.nn.weighted_moments(x, [0], w)
        mk, _ = tf.nn.weighted_moments(x, [0], w, keep_dims=True)
        assert mk.shape.as_list() == [1, 3]
        gm, gv = _run([m, v])
    ref_m = (w * x).sum(0) / (w * np.ones_like(x)).sum(0)
    np.testing.assert_allclose(gm, ref_m)
    np.testing.assert_allclose(gv, (w * (x - ref_m) ** 2).sum(0) / (w * np.ones_like(x)).sum(0))


# -- embeddings ----------------------------------------------------------------------------


@pytest.mark.parametrize("strategy", ["mod", "div"])
def test_embedding_lookup_sharded(strategy):
    table = rng.randn(11, 3).astype(np.float32)
    if strategy == "mod":
        shards = [table[i::3] for i in range(3)]
    else:  # div: 11 rows over 3 shards -> 4, 4, 3
        shards = [table[:4], table[4:8], table[8:]]
    ids = np.array([[0, 5, 10], [3, 3, 7]])
    with tf.Graph().as_default():
        out = tf.nn.embedding_lookup([tf.constant(s) for s in shards], ids,
                                     partition_strategy=strategy)
        assert out.shape.as_list() == [2, 3, 3]
        got = _run(out)
    np.testing.assert_allclose(got, table[ids])


def test_embedding_lookup_gradient_is_indexed_slices_and_max_norm():
    table = rng.randn(5, 2).astype(np.float32) * 3
    with tf.Graph().as_default():
        v = tf.Variable(table)
        out = tf.nn.embedding_lookup(v, [1, 3, 1], max_norm=1.0)
        plain = tf.nn.embedding_lookup(v, [[4]])
        (g,) = tf.gradients(tf.reduce_sum(plain), [v])
        assert isinstance(g, tf.IndexedSlices)
        with pytest.raises(ValueError, match="at least one"):
            tf.nn.embedding_lookup([], [0])
        with pytest.raises(ValueError, match="partition strategy"):
            tf.nn.embedding_lookup([v, v], [0], partition_strategy="xyz")
        got, gp = _run([out, plain])
    rows = table[[1, 3, 1]]
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    np.testing.assert_allclose(got, rows * np.minimum(1, 1 / norms), 1e-5)
    np.testing.assert_allclose(gp, table[[[4]]])
    check_gradients(lambda t: tf.nn.embedding_lookup([t[:3], t[3:]], [0, 4, 2, 4]),
                    rng.randn(5, 2))


@pytest.mark.parametrize("combiner", ["sum", "mean", "sqrtn"])
def test_embedding_lookup_sparse(combiner):
    table = rng.randn(6, 2)
    indices = [[0, 0], [0, 1], [2, 0], [2, 1], [2, 2]]
    ids = [1, 4, 4, 0, 5]
    wts = [2.0, 0.5, 1.0, 3.0, 1.5]
    with tf.Graph().as_default():
        sp_ids = SparseTensor(indices, tf.constant(ids, tf.int64), [3, 3])
        sp_w = SparseTensor(indices, tf.constant(wts, tf.float64), [3, 3])
        a = tf.nn.embedding_lookup_sparse(tf.constant(table), sp_ids, sp_w, combiner=combiner)
        b = tf.nn.embedding_lookup_sparse([tf.constant(table[:3]), tf.constant(table[3:])],
                                          sp_ids, None, combiner=combiner,
                                          partition_strategy="div")
        with pytest.raises(ValueError, match="combiner"):
            tf.nn.embedding_lookup_sparse(table, sp_ids, None, combiner="max")
        with pytest.raises(TypeError, match="SparseTensor"):
            tf.nn.embedding_lookup_sparse(table, [1], None)
        got_a, got_b = _run([a, b])
    for got, w in ((got_a, np.array(wts)), (got_b, np.ones(5))):
        rows = []
        for sel in (slice(0, 2), slice(0, 0), slice(2, 5)):
            e, ww = table[ids[sel]], w[sel]
            total = (e * ww[:, None]).sum(0)
            div = {"sum": 1.0, "mean": ww.sum(), "sqrtn": np.sqrt((ww ** 2).sum())}[combiner]
            rows.append(total / div if len(ww) else np.zeros(2))
        ref = np.stack(rows)
        np.testing.assert_allclose(got[[0, 2]], ref[[0, 2]], 1e-10)


# -- in_top_k and losses -------------------------------------------------------------------


def test_in_top_k():
    pred = np.array([[0.1, 0.3, 0.3, 0.2], [0.5, np.nan, 0.1, 0.2], [1, 2, 3, 4]], np.float32)
    with tf.Graph().as_default():
        t = tf.placeholder(tf.int32, [None])
        k = tf.placeholder(tf.int32, [])
        y = tf.nn.in_top_k(pred, t, k)
        y1 = tf.nn.in_top_k(pred, tf.constant([2, 1, 9], tf.int64), 1)
        assert y.dtype == tf.bool and y.shape.as_list() == [3]
        got = _run(y, {t: [2, 0, 1], k: 1})
        got2 = _run(y, {t: [3, 1, 1], k: 3})
        got3 = _run(y1)
        with pytest.raises(TypeError, match="float32"):
            tf.nn.in_top_k(pred.astype(np.float64), t, 1)
        with pytest.raises(ValueError):
            tf.nn.in_top_k(pred[0], t, 1)
    assert got.tolist() == [True, True, False]  # ties count for the target
    assert got2.tolist() == [True, False, True]  # nan target score is never in the top k
    assert got3.tolist() == [True, False, False]  # out of range target


def test_weighted_cross_entropy_and_log_poisson():
    x, z = rng.randn(3, 4), rng.rand(3, 4)
    with tf.Graph().as_default():
        a = tf.nn.weighted_cross_entropy_with_logits(targets=z, logits=x, pos_weight=2.5)
        b = tf.nn.log_poisson_loss(z * 3, x)
        c = tf.nn.log_poisson_loss(z * 3, x, compute_full_loss=True)
        with pytest.raises(ValueError, match="same shape"):
            tf.nn.weighted_cross_entropy_with_logits(targets=z[:1, :2], logits=x, pos_weight=2.)
        got = _run([a, b, c])
    sig = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(got[0], -(2.5 * z * np.log(sig) + (1 - z) * np.log(1 - sig)))
    t = z * 3
    np.testing.assert_allclose(got[1], np.exp(x) - x * t)
    stirling = t * np.log(t) - t + 0.5 * np.log(2 * np.pi * t)
    np.testing.assert_allclose(got[2], np.exp(x) - x * t + np.where(t <= 1, 0, stirling))
    check_gradients(lambda a: tf.nn.weighted_cross_entropy_with_logits(
        targets=z, logits=a, pos_weight=2.5), x)
