"""`Session.explain` (`device/explain.py`): the input shapes each segment was compiled for,
and whether a run's feed shapes compile it again."""

from __future__ import annotations

import numpy as np

import flowgraph as tf


def _model():
    x = tf.placeholder(tf.float32, [None, 4], name="x")
    w = tf.Variable(np.ones((4, 2), np.float32), name="w")
    loss = tf.reduce_sum(tf.matmul(x, w))
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    return x, loss, train


def _batch(n):
    return np.ones((n, 4), np.float32)


def test_a_new_batch_size_is_said_to_compile_once_and_a_seen_one_not():
    with tf.Graph().as_default():
        x, loss, train = _model()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            fetches = [train, loss]
            first = sess.explain(fetches, {x: _batch(8)})
            assert [s.compiles_again for s in first.segments] == [True]  # never compiled
            assert first.segments[0].compiled_shapes == []

            sess.run(fetches, {x: _batch(8)})
            seen = sess.explain(fetches, {x: _batch(8)})
            assert seen.plan_cache_hit  # the same plan for every batch size
            assert seen.segments[0].compiles_again is False
            assert seen.segments[0].compiled_shapes == [{"x:0": (8, 4)}]
            assert "compiled for them" in str(seen) and "compiled for: x:0 [8, 4]" in str(seen)

            partial = sess.explain(fetches, {x: _batch(5)})  # a partial last batch
            assert partial.segments[0].compiles_again is True
            assert "these feed shapes compile it again" in str(partial)

            for n in (5, 8, 5, 8):
                sess.run(fetches, {x: _batch(n)})
            after = sess.explain(fetches, {x: _batch(5)})
            assert after.segments[0].compiles_again is False
            assert after.segments[0].compiled_shapes == [{"x:0": (8, 4)}, {"x:0": (5, 4)}]


def test_without_feeds_or_for_host_segments_it_is_not_said():
    with tf.Graph().as_default():
        x, loss, _ = _model()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            plan = sess.explain(loss, {x: _batch(2)})
            assert plan.segments[0].compiles_again is True
            init = sess.explain(tf.global_variables_initializer())
            assert all(s.compiles_again is None for s in init.segments)
            assert "compile it again" not in str(init) and "compiled for them" not in str(init)
