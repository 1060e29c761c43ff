"""`tf.train.warm_start`: chosen variables load from a checkpoint, vocabularies remapped."""

import numpy as np
import pytest

import flowgraph as tf


@pytest.fixture
def checkpoint(tmp_path):
    (tmp_path / "old.txt").write_text("a\nb\nc\n")
    (tmp_path / "new.txt").write_text("c\nz\na\n")
    with tf.Graph().as_default():
        tf.get_variable("emb", initializer=np.arange(6, dtype=np.float32).reshape(3, 2))
        tf.get_variable("out", initializer=np.arange(6, dtype=np.float32).reshape(2, 3))
        tf.get_variable("w", initializer=np.float32([7.0, 8.0]))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            return tmp_path, tf.train.Saver().save(sess, str(tmp_path / "model"))


def test_vocabularies_are_remapped_along_either_axis(checkpoint):
    directory, path = checkpoint
    new, old = str(directory / "new.txt"), str(directory / "old.txt")
    with tf.Graph().as_default():
        emb = tf.get_variable("emb", [4, 2], initializer=tf.ones_initializer())
        out = tf.get_variable("out2", [2, 4], initializer=tf.ones_initializer())
        w = tf.get_variable("w", [2])
        other = tf.get_variable("other", [1], initializer=tf.ones_initializer())
        tf.train.warm_start(
            path,
            vars_to_warm_start=["emb", "out2", "w"],
            var_name_to_vocab_info={
                "emb": tf.train.VocabInfo(new, 3, 1, old),
                "out2": tf.train.VocabInfo(
                    new, 3, 1, old, axis=1, backup_initializer=tf.constant_initializer(-1.0)
                ),
            },  # fmt: skip
            var_name_to_prev_var_name={"out2": "out"},
        )
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            got = sess.run([emb, out, w, other])
    # new vocab c, z, a (+1 OOV) against old a, b, c: c <- old 2, a <- old 0, others backup.
    np.testing.assert_array_equal(got[0], [[4, 5], [0, 0], [0, 1], [0, 0]])
    np.testing.assert_array_equal(got[1], [[2, -1, 0, -1], [5, -1, 3, -1]])
    np.testing.assert_array_equal(got[2], [7, 8])
    np.testing.assert_array_equal(got[3], [1])  # not chosen: its own initializer


def test_default_regex_warm_starts_trainable_variables(checkpoint):
    _, path = checkpoint
    with tf.Graph().as_default():
        w = tf.get_variable("w", [2])
        step = tf.get_variable("emb", [3, 2], trainable=False, initializer=tf.zeros_initializer())
        tf.train.warm_start(path)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            np.testing.assert_array_equal(sess.run(w), [7, 8])
            np.testing.assert_array_equal(sess.run(step), np.zeros([3, 2]))


def test_unused_entries_and_bad_vocab_sizes_are_errors(checkpoint):
    directory, path = checkpoint
    with tf.Graph().as_default():
        tf.get_variable("w", [2])
        with pytest.raises(
            ValueError, match=r"var_name_to_prev_var_name that were not used: \['nope'\]"
        ):
            tf.train.warm_start(path, var_name_to_prev_var_name={"nope": "x"})
        tf.get_variable("emb", [5, 2])
        info = tf.train.VocabInfo(str(directory / "new.txt"), 3, 1, str(directory / "old.txt"))
        with pytest.raises(ValueError, match="emb has 5 rows along axis 0"):
            tf.train.warm_start(path, ["emb"], var_name_to_vocab_info={"emb": info})
    with pytest.raises(ValueError, match="supported values for the axis"):
        tf.train.VocabInfo("n", 1, 0, "o", axis=2)
