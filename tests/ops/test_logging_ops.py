"""`tf.Print` with `first_n`: TF's per-session, per-node counter (the first `first_n` runs
print, later ones do not), at the top level, in a loop body and in a cond branch.

The expected stderr lines are TensorFlow 2.21's (`tf.compat.v1`, graph mode, the same
graphs and runs; `/work/tfvenv/bin/python`)."""

from __future__ import annotations

import flowgraph as tf


def _printed(capfd) -> list[str]:
    return [line for line in capfd.readouterr().err.splitlines() if line]


def test_first_n_counts_per_session(capfd):
    with tf.Graph().as_default():
        x = tf.constant([1.0, 2.0, 3.0, 4.0, 5.0])
        y = tf.Print(x, [x, tf.reduce_sum(x)], "msg: ", first_n=2, summarize=2)
        never = tf.Print(x, [x], "never: ", first_n=0)
        with tf.Session() as sess:
            for _ in range(3):
                out, _ = sess.run([y, never])
        assert list(out) == [1.0, 2.0, 3.0, 4.0, 5.0]
        assert _printed(capfd) == ["msg: [1 2...][15]"] * 2
        with tf.Session() as sess:  # a new session counts from zero
            for _ in range(3):
                sess.run(y)
        assert _printed(capfd) == ["msg: [1 2...][15]"] * 2


def test_first_n_in_a_while_loop_counts_every_iteration(capfd):
    with tf.Graph().as_default():
        _, total = tf.while_loop(
            lambda i, a: i < 4,
            lambda i, a: (i + 1, tf.Print(a + 1.0, [i, a], "loop: ", first_n=3)),
            [0, 0.0],
        )
        with tf.Session() as sess:
            assert sess.run(total) == 4.0
            assert sess.run(total) == 4.0
    assert _printed(capfd) == ["loop: [0][0]", "loop: [1][1]", "loop: [2][2]"]


def test_first_n_in_a_cond_branch_counts_its_runs(capfd):
    with tf.Graph().as_default():
        p = tf.placeholder(tf.bool, [])
        x = tf.constant(1.5)
        y = tf.cond(p, lambda: tf.Print(x * 2.0, [x], "taken: ", first_n=1), lambda: x)
        with tf.Session() as sess:
            results = [sess.run(y, {p: taken}) for taken in (False, True, True, False)]
    assert results == [1.5, 3.0, 3.0, 1.5]
    assert _printed(capfd) == ["taken: [1.5]"]


def test_without_first_n_every_run_prints(capfd):
    with tf.Graph().as_default():
        y = tf.Print(tf.constant(2), [tf.constant([True, False])], "b=")
        with tf.Session() as sess:
            sess.run(y)
            sess.run(y)
    assert _printed(capfd) == ["b=[1 0]"] * 2
