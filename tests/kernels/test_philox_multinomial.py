"""Multinomial (`tf.multinomial`, `tf.random.categorical`) draws TensorFlow's numbers for the
same seeds: TF's Philox stream, uniform doubles and cumulative-sum search.

The expected draws are TF 2.21's (`tests/fixtures/multinomial_tf.py`): each case ran its op
three times in one session, so the stream's advance between runs is checked too. Bigger runs
are split into shards by TF's CPU threads; those draws were recorded for 2, 3 and 4 threads.
"""

import json
import os

import jax
import numpy as np
import pytest

import flowgraph as tf
from kernels import philox
from tests.kernels import multinomial_cases
from tests.kernels.multinomial_cases import SHARDED, SHARDED_THREADS, cases
from tests.kernels.seeded_runs import seeded_runs

with open(os.path.join(os.path.dirname(__file__), "..", "fixtures", "multinomial_tf.json")) as f:
    TF_DRAWS = json.load(f)

CASES = cases(tf)
_multinomial = jax.jit(philox.multinomial, static_argnums=(2, 3), static_argnames="threads")


@pytest.mark.parametrize("name", sorted(CASES))
def test_three_runs_draw_tensorflows_classes(name):
    build, graph_seed = CASES[name]
    runs = seeded_runs(tf, build, graph_seed)
    expected = TF_DRAWS[name]
    assert all(r.dtype == np.dtype(expected["dtype"]) for r in runs)
    np.testing.assert_array_equal(np.stack(runs), np.array(expected["runs"]))


def test_a_multinomial_after_other_random_ops_and_empty_draws():
    """An empty run reserves nothing (TF skips the kernel): the next run draws as if first."""
    logits = np.log(np.array([[0.1, 0.2, 0.7]], np.float32))
    with tf.Graph().as_default():
        tf.set_random_seed(4)
        none = tf.multinomial(logits, 0, seed=1)
        some = tf.multinomial(logits, 5, seed=1)
        with tf.Session() as sess:
            assert sess.run(none).shape == (1, 0)
            first = sess.run(some)
    with tf.Graph().as_default():
        tf.set_random_seed(4)
        some = tf.multinomial(logits, 5, seed=1)
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run(some), first)


@pytest.mark.parametrize("name", sorted(SHARDED))
def test_rows_sharded_over_threads_draw_tensorflows_classes(name):
    _, _, samples, _, op_seed = SHARDED[name]
    logits = multinomial_cases.sharded_logits(name)
    state = philox.initial_state(5, op_seed)  # graph seed 5, the op's seed
    draws = {}
    for threads in SHARDED_THREADS:
        got, _ = _multinomial(state, logits, samples, np.int64, threads=threads)
        expected = np.array(TF_DRAWS["sharded"][f"{name}_threads_{threads}"])
        np.testing.assert_array_equal(np.asarray(got), expected)
        draws[threads] = expected
    assert not np.array_equal(draws[2], draws[4])  # the shards matter: 2 and 4 threads differ


def test_tf_num_intraop_threads_sets_the_sharding_as_in_tensorflow(monkeypatch):
    monkeypatch.setenv("TF_NUM_INTRAOP_THREADS", "4")  # this host may have 2 CPUs
    _, _, samples, _, op_seed = SHARDED["rows_120"]
    with tf.Graph().as_default():
        tf.set_random_seed(5)
        t = tf.multinomial(multinomial_cases.sharded_logits("rows_120"), samples, seed=op_seed)
        with tf.Session() as sess:
            draws = sess.run(t)
    np.testing.assert_array_equal(draws, np.array(TF_DRAWS["sharded"]["rows_120_threads_4"]))
