"""tf.nn.ctc_greedy_decoder and tf.nn.ctc_loss against numpy (brute force over alignments);
tf.nn.ctc_beam_search_decoder against TF's values (tests/fixtures/ctc_beam_search_tf.npz,
written by tests/fixtures/ctc_beam_search_tf.py) and brute force."""

from __future__ import annotations

import collections
import itertools
import pathlib

import numpy as np
import pytest

import flowgraph as tf
from tests.gradient_checker import check_gradients

OP_TYPES_TESTED = {"CTCGreedyDecoder", "CTCLoss", "CTCBeamSearchDecoder"}
GRADIENT_CHECKED = {"CTCLoss"}
NOT_DIFFERENTIABLE = {
    "CTCGreedyDecoder": "a discrete decoding (TF: NotDifferentiable)",
    "CTCBeamSearchDecoder": "a discrete decoding (TF: NotDifferentiable)",
}

rng = np.random.RandomState(0)


def _run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


# -- greedy decoder ----------------------------------------------------------------------------


def _np_greedy(x, seq_len, merge):
    blank = x.shape[2] - 1
    decoded, neg = [], np.zeros((x.shape[1], 1), x.dtype)
    for b in range(x.shape[1]):
        best = x[: seq_len[b], b].argmax(-1)
        neg[b, 0] = -x[: seq_len[b], b].max(-1).sum()
        out = [
            k
            for t, k in enumerate(best)
            if k != blank and not (merge and t > 0 and best[t - 1] == k)
        ]
        decoded.append(out)
    return decoded, neg


def test_greedy_decoder_matches_numpy():
    x = rng.randn(6, 3, 4).astype(np.float32)
    x[1, 0] = x[0, 0]  # a repeat
    x[2:4, 1, 3] = 9.0  # blanks
    seq_len = np.array([6, 4, 0], np.int32)
    for merge in (True, False):
        with tf.Graph().as_default():
            (decoded,), neg = tf.nn.ctc_greedy_decoder(x, seq_len, merge_repeated=merge)
            assert neg.shape.as_list() == [3, 1] and decoded.values.dtype == tf.int64
            got, got_neg = _run([decoded, neg])
        expected, expected_neg = _np_greedy(x, seq_len, merge)
        longest = max(len(d) for d in expected)
        np.testing.assert_array_equal(got.dense_shape, [3, longest])
        np.testing.assert_array_equal(
            got.indices, [[b, j] for b, d in enumerate(expected) for j in range(len(d))]
        )
        np.testing.assert_array_equal(got.values, [k for d in expected for k in d])
        np.testing.assert_allclose(got_neg, expected_neg, rtol=1e-6)


def test_greedy_decoder_merges_only_adjacent_repeats():
    blank, a = 2, 0
    path = [a, a, blank, a]
    x = np.full((4, 1, 3), -1.0, np.float32)
    x[np.arange(4), 0, path] = 1.0
    with tf.Graph().as_default():
        (merged,), _ = tf.nn.ctc_greedy_decoder(x, [4])
        (kept,), _ = tf.nn.ctc_greedy_decoder(x, [4], merge_repeated=False)
        merged, kept = _run([merged, kept])
    np.testing.assert_array_equal(merged.values, [0, 0])
    np.testing.assert_array_equal(kept.values, [0, 0, 0])


# -- ctc loss ----------------------------------------------------------------------------------


def _np_ctc(logits, labels, seq_len, merge=True, collapse=False):
    """-log sum over all alignments (brute force), per batch entry."""
    classes = logits.shape[2]
    blank = classes - 1
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    out = []
    for b, label in enumerate(labels):
        label = list(label)
        if collapse:
            label = [k for i, k in enumerate(label) if i == 0 or label[i - 1] != k]
        total = 0.0
        for path in itertools.product(range(classes), repeat=int(seq_len[b])):
            seq = [k for t, k in enumerate(path) if not (merge and t > 0 and path[t - 1] == k)]
            if [k for k in seq if k != blank] == label:
                total += np.exp(sum(logp[t, b, k] for t, k in enumerate(path)))
        out.append(-np.log(total) if total > 0 else np.inf)
    return np.array(out)


def _sparse(labels):
    indices = [[b, j] for b, row in enumerate(labels) for j in range(len(row))]
    values = [k for row in labels for k in row]
    width = max(len(row) for row in labels)
    return tf.SparseTensor(
        np.array(indices, np.int64).reshape(-1, 2), np.array(values, np.int32), [len(labels), width]
    )


CASES = [  # (max_time, classes, labels, seq_len)
    (4, 3, [[0, 1], [1]], [4, 3]),
    (4, 3, [[0, 0], [1, 0, 1]], [4, 4]),
    (3, 2, [[0], []], [3, 2]),
    (4, 3, [[1, 1], [0]], [3, 1]),
]


@pytest.mark.parametrize("merge", [True, False])
@pytest.mark.parametrize("collapse", [False, True])
@pytest.mark.parametrize("case", range(len(CASES)))
def test_ctc_loss_matches_brute_force(case, merge, collapse):
    max_time, classes, labels, seq_len = CASES[case]
    x = rng.randn(max_time, 2, classes)
    with tf.Graph().as_default():
        loss = tf.nn.ctc_loss(
            _sparse(labels),
            x,
            seq_len,
            preprocess_collapse_repeated=collapse,
            ctc_merge_repeated=merge,
        )
        assert loss.shape.as_list() == [2] and loss.dtype == tf.float64
        got = _run(loss)
    np.testing.assert_allclose(got, _np_ctc(x, labels, seq_len, merge, collapse), rtol=1e-10)


def test_ctc_loss_batch_major_float32_and_ignored_entries():
    x = rng.randn(4, 2, 3).astype(np.float32)
    labels = [[0, 1, 0], [1]]
    with tf.Graph().as_default():
        major = tf.nn.ctc_loss(
            _sparse(labels), np.transpose(x, [1, 0, 2]), [4, 2], time_major=False
        )
        strict = tf.nn.ctc_loss(_sparse(labels), x, [2, 2])
        ignored = tf.nn.ctc_loss(_sparse(labels), x, [2, 2], ignore_longer_outputs_than_inputs=True)
        got = _run([major, strict, ignored])
    np.testing.assert_allclose(got[0], _np_ctc(x.astype(np.float64), labels, [4, 2]), rtol=1e-5)
    assert got[1][0] == np.inf and np.isfinite(got[1][1])
    assert got[2][0] == 0.0 and got[2][1] == got[1][1]


def test_ctc_loss_needs_a_sparse_label_with_a_constant_shape():
    with tf.Graph().as_default():
        with pytest.raises(TypeError, match="SparseTensor"):
            tf.nn.ctc_loss([[0]], np.zeros((2, 1, 2)), [2])
        shape = tf.placeholder(tf.int64, [2])
        with pytest.raises(ValueError, match="constant"):
            tf.nn.ctc_loss(tf.SparseTensor([[0, 0]], [0], shape), np.zeros((2, 1, 2)), [2])


@pytest.mark.parametrize("merge", [True, False])
def test_ctc_loss_gradients_match_finite_differences(merge):
    x = rng.randn(4, 2, 3)
    check_gradients(
        lambda x: tf.nn.ctc_loss(_sparse([[0, 1], [1, 1]]), x, [4, 3], ctc_merge_repeated=merge), x
    )


def test_ctc_loss_gradients_float32_and_ignored_entries_get_none():
    x = rng.randn(3, 2, 3).astype(np.float32)
    labels = [[0, 1, 0], [1]]
    check_gradients(
        lambda x: tf.nn.ctc_loss(
            _sparse(labels), x, [3, 2], ignore_longer_outputs_than_inputs=True
        ),
        x,
        atol=5e-3,
        rtol=5e-3,
    )
    with tf.Graph().as_default():
        xt = tf.constant(x)
        loss = tf.nn.ctc_loss(_sparse(labels), xt, [2, 3], ignore_longer_outputs_than_inputs=True)
        g = _run(tf.gradients(tf.reduce_sum(loss), xt)[0])
    assert not np.any(g[:, 0]) and np.any(g[:, 1])
    # Softmax outputs: each step's gradient sums to zero over classes.
    np.testing.assert_allclose(g.sum(-1), 0, atol=1e-5)


# -- beam search decoder -----------------------------------------------------------------------

BEAM_TF = np.load(pathlib.Path(__file__).parent.parent / "fixtures" / "ctc_beam_search_tf.npz")
BEAM_CASES = sorted(k[: -len("_params")] for k in BEAM_TF.files if k.endswith("_params"))


@pytest.mark.parametrize("case", BEAM_CASES)
def test_beam_search_decoder_is_tfs(case):
    beam, top, merge = (int(v) for v in BEAM_TF[case + "_params"])
    logits = BEAM_TF[case + "_logits"]
    with tf.Graph().as_default():
        decoded, log_probs = tf.nn.ctc_beam_search_decoder(
            logits,
            BEAM_TF[case + "_lengths"],
            beam_width=beam,
            top_paths=top,
            merge_repeated=bool(merge),
        )
        assert len(decoded) == top and log_probs.shape.as_list() == [logits.shape[1], top]
        decoded, log_probs = _run([decoded, log_probs])
    assert log_probs.dtype == logits.dtype
    np.testing.assert_allclose(log_probs, BEAM_TF[case + "_log_probs"], rtol=1e-5, atol=1e-6)
    for i, path in enumerate(decoded):
        np.testing.assert_array_equal(path.indices, BEAM_TF[f"{case}_path{i}_indices"])
        np.testing.assert_array_equal(path.values, BEAM_TF[f"{case}_path{i}_values"])
        np.testing.assert_array_equal(path.dense_shape, BEAM_TF[f"{case}_path{i}_shape"])


def _np_labelings(logits, length):
    """Every labeling's log probability: a sum over the alignments that collapse to it."""
    blank = logits.shape[1] - 1
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    probs = collections.defaultdict(float)
    for path in itertools.product(range(logits.shape[1]), repeat=length):
        seq = tuple(k for t, k in enumerate(path) if k != blank and not (t and path[t - 1] == k))
        probs[seq] += np.exp(sum(logp[t, k] for t, k in enumerate(path)))
    return {seq: np.log(p) for seq, p in probs.items()}


def test_beam_search_with_a_full_beam_is_exact():
    # A beam holding every prefix never drops one: it ranks all labelings exactly.
    logits = rng.randn(5, 2, 3) * 2
    with tf.Graph().as_default():
        decoded, log_probs = tf.nn.ctc_beam_search_decoder_v2(
            logits, [5, 4], beam_width=200, top_paths=3
        )
        decoded, log_probs = _run([decoded, log_probs])
    for b, length in enumerate([5, 4]):
        best = sorted(_np_labelings(logits[:, b], length).items(), key=lambda kv: -kv[1])[:3]
        np.testing.assert_allclose(log_probs[b], [p for _, p in best], rtol=1e-9)
        for i, (seq, _) in enumerate(best):
            rows = decoded[i].indices[:, 0] == b
            assert tuple(decoded[i].values[rows]) == seq


def test_beam_search_v2_keeps_repeats_and_merge_collapses_them():
    # Peaked logits: the best alignment is 0 0 blank 0 1 1, one beam "0 0 1" with and without
    # merging; merge_repeated=True only merges the label runs it returns.
    hot = [0, 0, 2, 0, 1, 1]
    logits = np.full((6, 1, 3), -10.0, np.float32)
    logits[np.arange(6), 0, hot] = 10.0
    with tf.Graph().as_default():
        v2, _ = tf.nn.ctc_beam_search_decoder_v2(logits, [6], beam_width=5)
        merged, _ = tf.nn.ctc_beam_search_decoder(logits, [6], beam_width=5)
        v2, merged = _run([v2[0].values, merged[0].values])
    np.testing.assert_array_equal(v2, [0, 0, 1])
    np.testing.assert_array_equal(merged, [0, 1])


def test_beam_search_errors():
    logits = rng.rand(4, 2, 3).astype(np.float32)
    with tf.Graph().as_default():
        too_many, _ = tf.nn.ctc_beam_search_decoder(logits, [3, 3], beam_width=2, top_paths=3)
        short, _ = tf.nn.ctc_beam_search_decoder(logits, [0, 3], beam_width=4, top_paths=2)
        too_long, _ = tf.nn.ctc_beam_search_decoder(logits, [5, 3], beam_width=4)
        with tf.Session() as sess:
            with pytest.raises(
                tf.errors.InvalidArgumentError, match="requested more paths than the beam width"
            ):
                sess.run(too_many[0].values)
            with pytest.raises(tf.errors.InvalidArgumentError, match="Less leaves"):
                sess.run(short[0].values)
            with pytest.raises(tf.errors.FailedPreconditionError, match=r"sequence_length\(0\)"):
                sess.run(too_long[0].values)
