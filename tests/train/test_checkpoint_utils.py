"""Checkpoint reading (`load_checkpoint`, `list_variables`, `load_variable`),
`init_from_checkpoint`, and the `checkpoint` state file helpers."""

from __future__ import annotations

import os

import numpy as np
import pytest

import flowgraph as tf
from flowgraph.train import checkpoint_management
from tests import tf_checkpoints as fixtures


@pytest.fixture(autouse=True)
def graph():
    g = tf.Graph()
    with g.as_default():
        yield g


KERNEL = np.arange(6, dtype=np.float32).reshape(2, 3)
BIAS = np.array([7.0, 8.0, 9.0], np.float32)


@pytest.fixture
def ckpt(tmp_path):
    """A checkpoint of old/dense/{kernel,bias} (float32) and step (int64); its path."""
    with tf.Graph().as_default():
        with tf.variable_scope("old/dense"):
            tf.get_variable("kernel", initializer=KERNEL)
            tf.get_variable("bias", initializer=BIAS)
        tf.Variable(np.int64(42), name="step")
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            return tf.train.Saver().save(sess, str(tmp_path / "model.ckpt"), global_step=5)


def test_reader_maps_and_tensors(ckpt, tmp_path):
    reader = tf.train.load_checkpoint(str(tmp_path))  # a directory: its latest checkpoint
    assert reader.get_variable_to_shape_map() == {
        "old/dense/kernel": [2, 3],
        "old/dense/bias": [3],
        "step": [],
    }
    assert reader.get_variable_to_dtype_map() == {
        "old/dense/kernel": tf.float32,
        "old/dense/bias": tf.float32,
        "step": tf.int64,
    }
    assert reader.has_tensor("step") and not reader.has_tensor("nope")
    np.testing.assert_array_equal(reader.get_tensor("old/dense/kernel"), KERNEL)
    assert reader.get_tensor("step") == 42 and reader.get_tensor("step").dtype == np.int64
    assert b"old/dense/bias (DT_FLOAT) [3]\n" in reader.debug_string()  # TF's text
    with pytest.raises(tf.errors.NotFoundError, match="Key nope not found in checkpoint"):
        reader.get_tensor("nope")


def test_list_and_load_variable(ckpt):
    assert tf.train.list_variables(ckpt) == [
        ("old/dense/bias", [3]),
        ("old/dense/kernel", [2, 3]),
        ("step", []),
    ]
    np.testing.assert_array_equal(tf.train.load_variable(ckpt, "old/dense/bias:0"), BIAS)


def test_missing_checkpoints(tmp_path):
    with pytest.raises(tf.errors.NotFoundError, match="Failed to find any matching files"):
        tf.train.NewCheckpointReader(str(tmp_path / "nothing"))
    with pytest.raises(ValueError, match="Couldn't find 'checkpoint' file"):
        tf.train.load_checkpoint(str(tmp_path))


def test_init_from_checkpoint_scope_to_scope(ckpt):
    with tf.variable_scope("new/dense"):
        kernel = tf.get_variable("kernel", [2, 3])
        bias = tf.get_variable("bias", [3])
    other = tf.get_variable("other", initializer=[1.0])
    tf.train.init_from_checkpoint(ckpt, {"old/": "new/"})
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_array_equal(sess.run(kernel), KERNEL)
        np.testing.assert_array_equal(sess.run(bias), BIAS)
        np.testing.assert_array_equal(sess.run(other), [1.0])  # not mapped: own initializer


def test_init_from_checkpoint_single_variables_by_name_and_object(ckpt):
    a = tf.get_variable("a", [3])
    b = tf.Variable(np.zeros((2, 3), np.float32), name="b")
    step = tf.Variable(np.int64(0), name="s")
    tf.train.init_from_checkpoint(
        ckpt, {"old/dense/bias": "a", "old/dense/kernel": b, "step": step}
    )
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_array_equal(sess.run(a), BIAS)
        np.testing.assert_array_equal(sess.run(b), KERNEL)
        assert sess.run(step) == 42


def test_init_from_checkpoint_root_into_scope(tmp_path):
    with tf.Graph().as_default():
        tf.get_variable("w", initializer=[3.0, 4.0])
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            path = tf.train.Saver().save(sess, str(tmp_path / "m"))
    with tf.variable_scope("net"):
        w = tf.get_variable("w", [2])
    tf.train.init_from_checkpoint(path, {"/": "net/"})
    with tf.Session() as sess:
        sess.run(w.initializer)
        np.testing.assert_array_equal(sess.run(w), [3.0, 4.0])


def test_init_from_checkpoint_errors(ckpt):
    tf.get_variable("a", [4])
    with tf.variable_scope("new"):
        tf.get_variable("missing", [1])
    with pytest.raises(ValueError, match="Tensor nope is not found"):
        tf.train.init_from_checkpoint(ckpt, {"nope": "a"})
    with pytest.raises(
        ValueError, match=r"Shape of variable a:0 .*doesn't match .* old/dense/bias \(\[3\]\)"
    ):
        tf.train.init_from_checkpoint(ckpt, {"old/dense/bias": "a"})
    with pytest.raises(ValueError, match="should map to scope only"):
        tf.train.init_from_checkpoint(ckpt, {"old/dense/bias": "new/"})
    with pytest.raises(ValueError, match="Tensor old/missing .* is not found"):
        tf.train.init_from_checkpoint(ckpt, {"old/": "new/"})


def test_checkpoint_state_round_trip_relative_and_absolute(tmp_path):
    tf.train.update_checkpoint_state(
        str(tmp_path), "m-2", all_model_checkpoint_paths=["m-1", "m-2"]
    )
    text = (tmp_path / "checkpoint").read_text()
    assert text == (
        'model_checkpoint_path: "m-2"\n'
        'all_model_checkpoint_paths: "m-1"\n'
        'all_model_checkpoint_paths: "m-2"\n'
    )
    state = tf.train.get_checkpoint_state(str(tmp_path))
    assert state.model_checkpoint_path == str(tmp_path / "m-2")
    assert list(state.all_model_checkpoint_paths) == [str(tmp_path / "m-1"), str(tmp_path / "m-2")]
    assert tf.train.latest_checkpoint(str(tmp_path)) is None  # named, but no files


def test_generate_checkpoint_state_proto_appends_newest_and_relativizes():
    state = tf.train.generate_checkpoint_state_proto(
        "run", "run/m-3", all_model_checkpoint_paths=["run/m-1"]
    )
    assert state.model_checkpoint_path == "m-3"
    assert list(state.all_model_checkpoint_paths) == ["m-1", "m-3"]
    with pytest.raises(ValueError, match="timestamps"):
        tf.train.generate_checkpoint_state_proto("/r", "/r/m", ["/r/m"], [1.0, 2.0])


def test_state_file_conflicts_and_garbage(tmp_path):
    with pytest.raises(RuntimeError, match="conflicts"):
        tf.train.update_checkpoint_state(str(tmp_path), str(tmp_path / "checkpoint"))
    (tmp_path / "checkpoint").write_text("this is { not a proto")
    assert tf.train.get_checkpoint_state(str(tmp_path)) is None
    (tmp_path / "checkpoint").write_text('all_model_checkpoint_paths: "m"\n')
    with pytest.raises(ValueError, match="Invalid checkpoint state"):
        tf.train.get_checkpoint_state(str(tmp_path))
    assert tf.train.get_checkpoint_state(str(tmp_path / "nowhere")) is None


def test_exists_mtimes_remove_and_meta_filename(ckpt):
    assert tf.train.checkpoint_exists(ckpt)
    assert not tf.train.checkpoint_exists(ckpt + "0")
    (mtime,) = tf.train.get_checkpoint_mtimes([ckpt, ckpt + "0"])
    assert mtime == os.stat(ckpt + ".index").st_mtime
    tf.train.remove_checkpoint(ckpt)
    assert not tf.train.checkpoint_exists(ckpt)
    assert not [f for f in os.listdir(os.path.dirname(ckpt)) if f.startswith("model.ckpt-5.")]
    assert checkpoint_management.meta_graph_filename("/r/model.ckpt-5") == "/r/model.ckpt-5.meta"
    assert checkpoint_management.meta_graph_filename("/r/m-00000-of-00002", "txt") == "/r/m.txt"


# -- checkpoints written by TensorFlow --------------------------------------------------------


def test_tf_checkpoints_list_and_load():
    values = fixtures.expected("dtypes")
    directory = os.path.dirname(fixtures.path("dtypes"))
    assert tf.train.list_variables(directory) == [
        (name, list(values[name].shape)) for name in sorted(values)
    ]
    assert tf.train.load_variable(directory, "s_vec").tolist() == values["s_vec"].tolist()
    reader = tf.train.NewCheckpointReader(fixtures.path("dtypes"))
    assert reader.get_variable_to_dtype_map()["c64"] == tf.complex64
    assert reader.get_variable_to_dtype_map()["s_scalar"] == tf.string
    np.testing.assert_array_equal(reader.get_tensor("f16"), values["f16"])
    got = reader.get_tensor("i32")
    got[0, 0] = 99  # the caller's own copy
    assert reader.get_tensor("i32")[0, 0] == 1
    assert reader.debug_string().startswith(  # TF's text
        b"b (DT_BOOL) [3]\nc128 (DT_COMPLEX128) [1,1]\nc64 (DT_COMPLEX64) [2]\n"
        b"empty (DT_FLOAT) [0,3]\nf16 (DT_HALF) [2,2]\nf32 (DT_FLOAT) [2,3]\n"
    )


def test_tf_sharded_and_partitioned_checkpoints_read_whole():
    reader = tf.train.load_checkpoint(os.path.dirname(fixtures.path("sharded")))
    for name, value in fixtures.expected("sharded").items():
        assert reader.get_tensor(name).tolist() == value.tolist()
    emb = fixtures.expected("partitioned")["emb"]
    assert tf.train.list_variables(fixtures.path("partitioned")) == [("emb", [7, 2])]
    np.testing.assert_array_equal(tf.train.load_variable(fixtures.path("partitioned"), "emb"), emb)


def test_init_from_a_tf_checkpoint():
    with tf.variable_scope("new"):
        kernel = tf.get_variable("kernel", [3, 1])
    step = tf.get_variable("step", [], dtype=tf.int64)
    directory = os.path.dirname(fixtures.path("resume"))
    tf.train.init_from_checkpoint(directory, {"dense/": "new/", "global_step": step})
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_array_equal(
            sess.run(kernel), tf.train.load_variable(directory, "dense/kernel")
        )
        assert sess.run(step) == 3
