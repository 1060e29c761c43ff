"""all_candidate_sampler, fixed_unigram_candidate_sampler and compute_accidental_hits
against TF's values and the distributions they define."""

from __future__ import annotations

import numpy as np
import pytest

import flowgraph as tf

OP_TYPES_TESTED = {"AllCandidateSampler", "FixedUnigramCandidateSampler", "ComputeAccidentalHits"}
NOT_DIFFERENTIABLE = {t: "int64 classes (TF: NotDifferentiable)" for t in OP_TYPES_TESTED}

TRUE = np.array([[0, 3], [2, 1]], np.int64)


def test_all_candidate_sampler_matches_tf():
    with tf.Graph().as_default():
        got = tf.Session().run(tf.nn.all_candidate_sampler(TRUE, 2, 5, False))
    assert got[0].tolist() == [0, 1, 2, 3, 4] and got[0].dtype == np.int64
    assert got[1].tolist() == [[1.0, 1.0], [1.0, 1.0]] and got[2].tolist() == [1.0] * 5


def test_compute_accidental_hits_matches_tf():
    with tf.Graph().as_default():
        got = tf.Session().run(
            tf.nn.compute_accidental_hits([[0, 3], [2, 5]], np.array([3, 2, 0, 7, 3], np.int64), 2)
        )
    # TF 2.21's output: a repeated sampled value counts at its last position.
    assert got[0].tolist() == [0, 0, 1] and got[0].dtype == np.int32
    assert got[1].tolist() == [2, 4, 1]
    assert (got[2] == np.float32(-3.4028235e38)).all()


@pytest.mark.parametrize("unique", [False, True])
def test_fixed_unigram_expected_counts_match_tf(unique):
    weights = np.sqrt(np.arange(1, 7.0))
    p = weights / weights.sum()
    with tf.Graph().as_default():
        out = tf.nn.fixed_unigram_candidate_sampler(
            TRUE, 2, 3, unique, 6, unigrams=[1, 2, 3, 4, 5, 6], distortion=0.5, seed=3
        )
        samples = tf.random.fixed_unigram_candidate_sampler(
            TRUE, 2, 4000, False, 6, unigrams=[1, 2, 3, 4, 5, 6], distortion=0.5, seed=4
        )[0]
        with tf.Session() as sess:
            sampled, true_count, sampled_count = sess.run(out)
            many = sess.run(samples)
    if unique:
        assert len(set(sampled.tolist())) == 3
        assert (true_count <= 1).all() and (true_count > 3 * p[TRUE] * 0.9).all()
    else:
        # TF 2.21 (with replacement): the expected counts are 3 * p.
        np.testing.assert_allclose(
            true_count, [[0.2769617, 0.5539234], [0.47971174, 0.39168298]], rtol=1e-5
        )
        np.testing.assert_allclose(sampled_count, 3 * p[sampled], rtol=1e-5)
    np.testing.assert_allclose(np.bincount(many, minlength=6) / 4000, p, atol=0.03)


def test_fixed_unigram_reserved_ids_shards_and_vocab_file(tmp_path):
    vocab = tmp_path / "vocab.csv"
    vocab.write_text("a,1\nb,2\nc,3\nd,4\n")
    with tf.Graph().as_default():
        reserved = tf.nn.fixed_unigram_candidate_sampler(
            TRUE, 2, 3, False, 6, vocab_file=str(vocab), num_reserved_ids=2
        )
        shard = tf.nn.fixed_unigram_candidate_sampler(
            TRUE, 2, 50, False, 6, unigrams=[1, 1, 1, 1, 1, 1], num_shards=2, shard=1
        )
        got = tf.Session().run([reserved, shard])
        with pytest.raises(ValueError, match="Exactly one of vocab_file and unigrams"):
            tf.nn.fixed_unigram_candidate_sampler(TRUE, 2, 3, False, 6)
    # TF 2.21: ids 0 and 1 are reserved (weight 0); counts 1..4 follow.
    np.testing.assert_allclose(got[0][1], [[0.0, 0.6], [0.3, 0.0]], rtol=1e-5)
    assert set(got[0][0].tolist()) <= {2, 3, 4, 5}
    assert set(got[1][0].tolist()) <= {1, 3, 5}
