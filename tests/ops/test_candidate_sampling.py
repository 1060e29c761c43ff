"""tf.nn candidate samplers, nce_loss / sampled_softmax_loss against numpy; their gradients."""

from __future__ import annotations

import numpy as np

import flowgraph as tf

cs = tf.nn  # the ops under test

OP_TYPES_TESTED = {"UniformCandidateSampler", "LogUniformCandidateSampler"}
GRADIENT_CHECKED: set[str] = set()
NOT_DIFFERENTIABLE = {
    "UniformCandidateSampler": "a random draw of int64 classes (TF: NotDifferentiable)",
    "LogUniformCandidateSampler": "a random draw of int64 classes (TF: NotDifferentiable)",
}

rng = np.random.RandomState(0)


def _run(fetches, feed=None):
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        return sess.run(fetches, feed)


def _log_uniform_p(k, n):
    return (np.log(k + 2.0) - np.log(k + 1.0)) / np.log(n + 1.0)


# -- candidate samplers ---------------------------------------------------------------------


def test_unique_log_uniform_sampler_draws_distinct_classes_and_repeats_with_a_seed():
    with tf.Graph().as_default():
        true = tf.constant([[1, 4], [7, 0]], tf.int64)
        out = cs.log_uniform_candidate_sampler(true, 2, 6, True, 10, seed=5)
        assert [t.shape.as_list() for t in out] == [[6], [2, 2], [6]]
        assert out[0].dtype == tf.int64 and out[1].dtype == tf.float32
        sampled, true_exp, sampled_exp = _run(out)
        again = _run(out)
    assert len(set(sampled)) == 6 and sampled.min() >= 0 and sampled.max() < 10
    np.testing.assert_array_equal(sampled, again[0])
    # Without replacement, TF's expected count is 1 - (1 - p)^num_tries, num_tries >= 6:
    # recover num_tries from one entry, then every entry must agree with it.
    p_true, p_sampled = _log_uniform_p(np.array([[1, 4], [7, 0]]), 10), _log_uniform_p(sampled, 10)
    tries = np.log1p(-sampled_exp[0]) / np.log1p(-p_sampled[0])
    assert tries >= 6 - 1e-3 and abs(tries - round(tries)) < 1e-2
    tries = round(tries)
    if tries == 6:
        np.testing.assert_allclose(sampled_exp, 6 * p_sampled, rtol=1e-5)
    else:
        np.testing.assert_allclose(sampled_exp, -np.expm1(tries * np.log1p(-p_sampled)),
                                   rtol=1e-4)
        np.testing.assert_allclose(true_exp, -np.expm1(tries * np.log1p(-p_true)), rtol=1e-4)


def test_samplers_with_replacement_follow_their_distribution():
    with tf.Graph().as_default():
        true = tf.constant([[3]], tf.int64)
        uni = cs.uniform_candidate_sampler(true, 1, 20000, False, 5, seed=1)
        log = cs.log_uniform_candidate_sampler(true, 1, 20000, False, 5, seed=1)
        (us, ut, ue), (ls, lt, le) = _run([uni, log])
    np.testing.assert_allclose(np.bincount(us, minlength=5) / 20000, 0.2, atol=0.015)
    np.testing.assert_allclose(ut, [[20000 / 5]], rtol=1e-5)
    np.testing.assert_allclose(ue, 20000 / 5, rtol=1e-5)
    p = _log_uniform_p(np.arange(5), 5)
    np.testing.assert_allclose(np.bincount(ls, minlength=5) / 20000, p, atol=0.015)
    np.testing.assert_allclose(lt, [[20000 * p[3]]], rtol=1e-5)
    np.testing.assert_allclose(le, 20000 * p[ls], rtol=1e-5)


def test_unique_uniform_sampler_can_take_every_class():
    with tf.Graph().as_default():
        out = cs.uniform_candidate_sampler(tf.constant([[0]], tf.int64), 1, 4, True, 4, seed=2)
        sampled, _, _ = _run(out)
    assert sorted(sampled) == [0, 1, 2, 3]


# -- nce_loss and sampled_softmax_loss --------------------------------------------------------


def _np_sampled_logits(w, b, labels, x, sampled, true_exp, sampled_exp, remove_hits):
    true_logits = np.einsum("bd,btd->bt", x, w[labels]) + b[labels] - np.log(true_exp)
    sampled_logits = x @ w[sampled].T + b[sampled]
    if remove_hits:
        hits = (labels[:, :, None] == sampled[None, None, :]).any(1)
        sampled_logits = sampled_logits + np.where(hits, np.finfo(np.float32).min, 0)
    sampled_logits = sampled_logits - np.log(sampled_exp)
    num_true = labels.shape[1]
    logits = np.concatenate([true_logits, sampled_logits], 1)
    targets = np.concatenate([np.full(true_logits.shape, 1.0 / num_true),
                              np.zeros(sampled_logits.shape)], 1)
    return logits, targets


def _np_nce(logits, targets):
    return (np.maximum(logits, 0) - logits * targets + np.log1p(np.exp(-np.abs(logits)))).sum(1)


def _np_sampled_softmax(logits, targets):
    z = logits - logits.max(1, keepdims=True)
    return -(targets * (z - np.log(np.exp(z).sum(1, keepdims=True)))).sum(1)


def _losses_against_numpy(loss_fn, np_loss, num_true, remove_hits):
    classes, dim, batch, num_sampled = 12, 3, 4, 5
    w = rng.randn(classes, dim).astype(np.float32)
    b = rng.randn(classes).astype(np.float32)
    x = rng.randn(batch, dim).astype(np.float32)
    labels = rng.randint(0, classes, (batch, num_true)).astype(np.int64)
    with tf.Graph().as_default():
        wt, bt, xt = tf.constant(w), tf.constant(b), tf.constant(x)
        sv = cs.log_uniform_candidate_sampler(labels, num_true, num_sampled, True, classes,
                                              seed=11)
        loss = loss_fn(wt, bt, labels, xt, num_sampled, classes, num_true=num_true,
                       sampled_values=sv, remove_accidental_hits=remove_hits)
        grads = [tf.convert_to_tensor(g) for g in tf.gradients(tf.reduce_sum(loss), [wt, bt, xt])]
        got, (sampled, true_exp, sampled_exp), g = _run([loss, sv, grads])
    assert loss.shape.as_list() == [batch]
    expected = np_loss(*_np_sampled_logits(w, b, labels, x, sampled, true_exp, sampled_exp,
                                           remove_hits))
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
    gw, gb, gx = (_dense(v) for v in g)
    used = np.zeros(classes, bool)
    used[labels.reshape(-1)] = used[sampled] = True
    assert np.abs(gx).sum() > 0 and np.abs(gb[used]).sum() > 0
    assert not np.any(gb[~used]) and not np.any(gw[~used])
    return w, b, x, labels


def _dense(g):
    if hasattr(g, "indices"):  # IndexedSlicesValue
        out = np.zeros(g.dense_shape, g.values.dtype)
        np.add.at(out, g.indices, g.values)
        return out
    return g


def test_nce_loss_matches_numpy_and_its_gradients_reach_weights_biases_inputs():
    for num_true, hits in ((1, False), (2, True)):
        _losses_against_numpy(cs.nce_loss, _np_nce, num_true, hits)


def test_sampled_softmax_loss_matches_numpy_and_its_gradients_reach_weights_biases_inputs():
    for num_true, hits in ((1, True), (2, False)):
        _losses_against_numpy(cs.sampled_softmax_loss, _np_sampled_softmax, num_true, hits)


def test_sampled_losses_gradients_match_finite_differences():
    from tests.gradient_checker import check_gradients

    classes, dim, batch = 6, 2, 3
    labels = np.array([[1], [4], [0]], np.int64)
    sampled = (np.array([2, 5, 3], np.int64), np.full([3, 1], 0.4, np.float32),
               np.full([3], 0.3, np.float32))  # a fixed sampled set
    w = rng.randn(classes, dim)
    b = rng.randn(classes)
    x = rng.randn(batch, dim)
    for fn in (cs.nce_loss, cs.sampled_softmax_loss):
        check_gradients(lambda w, b, x, fn=fn: fn(w, b, labels, x, 3, classes,
                                                  sampled_values=sampled), w, b, x)
