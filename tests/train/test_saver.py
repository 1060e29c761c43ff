"""tf.train.Saver: save/restore through SaveV2/RestoreV2 in TensorFlow's bundle format
(TF's bytes; TF-written checkpoints, sharded and sliced, restore; earlier orbax ones too),
the state file, keeping and deleting checkpoints, SaverDefs, and TF1's errors."""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest

import flowgraph as tf
from flowgraph.train.saver import BaseSaverBuilder
from kernels import errors, io_checkpoint, tensor_bundle
from tests import tf_checkpoints as fixtures

OP_TYPES_TESTED = {"SaveV2", "RestoreV2", "MergeV2Checkpoints", "ShardedFilename"}
NOT_DIFFERENTIABLE = {
    "SaveV2": "writes a checkpoint file; no tensor output",
    "RestoreV2": "reads tensors from a file; no differentiable input",
    "MergeV2Checkpoints": "merges checkpoint files; no tensor output",
    "ShardedFilename": "a string",
}


@pytest.fixture(autouse=True)
def graph():
    g = tf.Graph()
    with g.as_default():
        yield g


def _model():
    """A small Adam-trained regression with a global step; returns (loss, train, w)."""
    rng = np.random.RandomState(0)
    x = tf.constant(rng.randn(8, 3).astype(np.float32))
    y = tf.constant(rng.randn(8, 2).astype(np.float32))
    with tf.variable_scope("dense"):
        w = tf.get_variable("kernel", [3, 2], initializer=tf.ones_initializer())
    step = tf.train.get_or_create_global_step()
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w) - y))
    train = tf.train.AdamOptimizer(0.1).minimize(loss, global_step=step)
    return loss, train, w


def _values(sess):
    return {v.op.name: sess.run(v) for v in tf.global_variables()}


def test_training_resumes_exactly_with_adam_slots_and_global_step(tmp_path):
    loss, train, _ = _model()
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(3):
            sess.run(train)
        path = saver.save(
            sess, str(tmp_path / "model.ckpt"), global_step=tf.train.get_global_step()
        )
        saved = _values(sess)
        continued = [sess.run([train, loss])[1] for _ in range(3)]
    assert path == str(tmp_path / "model.ckpt-3")
    assert sorted(n for n, _ in tf.train.list_variables(path)) == [
        "beta1_power", "beta2_power", "dense/kernel", "dense/kernel/Adam",
        "dense/kernel/Adam_1", "global_step",
    ]  # fmt: skip
    with tf.Session() as sess:  # a fresh session: nothing initialized
        saver.restore(sess, path)
        restored = _values(sess)
        resumed = [sess.run([train, loss])[1] for _ in range(3)]
        assert sess.run(tf.train.get_global_step()) == 6
    for name, value in saved.items():
        np.testing.assert_array_equal(restored[name], value, err_msg=name)
        assert restored[name].dtype == value.dtype
    np.testing.assert_array_equal(resumed, continued)


@pytest.mark.parametrize("damage", ["truncate", "flip"])
def test_damaged_checkpoint_is_a_data_loss_error_naming_the_file(tmp_path, damage):
    v = tf.Variable(np.arange(1000.0), name="v")
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        prefix = saver.save(sess, str(tmp_path / "model"))
        data = [p for p in tmp_path.rglob("*") if p.is_file() and ".data-" in str(p)]
        victim = max(data, key=lambda p: p.stat().st_size)  # the tensor bytes
        raw = victim.read_bytes()
        if damage == "truncate":
            victim.write_bytes(raw[: len(raw) // 2])
        else:
            victim.write_bytes(raw[:-20] + bytes(b ^ 0xFF for b in raw[-20:]))
        with pytest.raises(tf.errors.DataLossError, match=str(victim)):
            saver.restore(sess, prefix)
        victim.write_bytes(raw)
        sess.run(v.assign(v * 0))
        saver.restore(sess, prefix)
        np.testing.assert_array_equal(sess.run(v), np.arange(1000.0))


def test_corrupted_checkpoint_index_is_a_data_loss_error_naming_it(tmp_path):
    tf.Variable(1.0, name="v")
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        prefix = saver.save(sess, str(tmp_path / "model"))
        index = tmp_path / "model.index"
        index.write_bytes(index.read_bytes()[:20])
        with pytest.raises(tf.errors.DataLossError, match=str(index)):
            saver.restore(sess, prefix)


def test_state_file_is_tf_text_format_and_names_recent_checkpoints(tmp_path):
    v = tf.Variable([1.0, 2.0], name="v")
    saver = tf.train.Saver(max_to_keep=2)
    prefix = str(tmp_path / "model.ckpt")
    with tf.Session() as sess:
        sess.run(v.initializer)
        paths = [saver.save(sess, prefix, global_step=i) for i in (10, 20, 30)]
    assert paths == [prefix + "-10", prefix + "-20", prefix + "-30"]
    assert (tmp_path / "checkpoint").read_text() == (
        f'model_checkpoint_path: "{prefix}-30"\n'
        f'all_model_checkpoint_paths: "{prefix}-20"\n'
        f'all_model_checkpoint_paths: "{prefix}-30"\n'
    )
    assert saver.last_checkpoints == paths[1:]
    assert not tf.train.checkpoint_exists(paths[0])  # deleted: past max_to_keep
    assert not [f for f in os.listdir(tmp_path) if f.startswith("model.ckpt-10")]
    assert tf.train.latest_checkpoint(str(tmp_path)) == paths[2]


def test_relative_paths_padded_steps_and_latest_filename(tmp_path):
    v = tf.Variable(3, name="v")
    saver = tf.train.Saver(save_relative_paths=True, pad_step_number=True)
    with tf.Session() as sess:
        sess.run(v.initializer)
        path = saver.save(sess, str(tmp_path / "m"), global_step=7, latest_filename="latest")
    assert path == str(tmp_path / "m-00000007")
    assert (tmp_path / "latest").read_text() == (
        'model_checkpoint_path: "m-00000007"\nall_model_checkpoint_paths: "m-00000007"\n'
    )
    assert tf.train.latest_checkpoint(str(tmp_path), "latest") == path
    assert tf.train.latest_checkpoint(str(tmp_path)) is None  # no "checkpoint" file


def test_max_to_keep_zero_keeps_everything_and_hours_keep_old_ones(tmp_path):
    v = tf.Variable(1.0, name="v")
    keep_all = tf.train.Saver(max_to_keep=0)
    hourly = tf.train.Saver(max_to_keep=1, keep_checkpoint_every_n_hours=1e-9)
    with tf.Session() as sess:
        sess.run(v.initializer)
        a = [keep_all.save(sess, str(tmp_path / "a"), global_step=i) for i in range(3)]
        b = [hourly.save(sess, str(tmp_path / "b"), global_step=i) for i in range(3)]
    assert keep_all.last_checkpoints == []
    assert all(tf.train.checkpoint_exists(p) for p in a)
    assert hourly.last_checkpoints == b[-1:]
    assert all(tf.train.checkpoint_exists(p) for p in b)  # each one was "N hours" newer


def test_recover_last_checkpoints_skips_missing_and_resumes_deletion(tmp_path):
    v = tf.Variable(1.0, name="v")
    first = tf.train.Saver(max_to_keep=3)
    with tf.Session() as sess:
        sess.run(v.initializer)
        paths = [first.save(sess, str(tmp_path / "m"), global_step=i) for i in range(3)]
        tf.train.remove_checkpoint(paths[0])
        second = tf.train.Saver(max_to_keep=2)
        state = tf.train.get_checkpoint_state(str(tmp_path))
        second.recover_last_checkpoints(list(state.all_model_checkpoint_paths))
        assert second.last_checkpoints == paths[1:]
        newest = second.save(sess, str(tmp_path / "m"), global_step=3)
    assert second.last_checkpoints == [paths[2], newest]
    assert not tf.train.checkpoint_exists(paths[1])
    second.set_last_checkpoints_with_time([(paths[2], 1.0)])
    assert second.last_checkpoints == [paths[2]]


def test_var_list_dict_names_and_restoring_into_other_variables(tmp_path):
    a = tf.Variable([1, 2, 3], dtype=tf.int64, name="a")
    b = tf.Variable([True, False], name="b")
    saver = tf.train.Saver({"renamed/a": a, "flag": b})
    with tf.Session() as sess:
        sess.run([a.initializer, b.initializer])
        path = saver.save(sess, str(tmp_path / "m"))
    assert tf.train.list_variables(path) == [("flag", [2]), ("renamed/a", [3])]
    with tf.Graph().as_default():
        other = tf.Variable([0, 0, 0], dtype=tf.int64, name="other")
        with tf.Session() as sess:
            tf.train.Saver({"renamed/a": other}).restore(sess, path)
            np.testing.assert_array_equal(sess.run(other), [1, 2, 3])


def test_missing_variable_raises_not_found_naming_it(tmp_path):
    v = tf.Variable([1.0, 2.0], name="v")
    with tf.Session() as sess:
        sess.run(v.initializer)
        path = tf.train.Saver().save(sess, str(tmp_path / "m"))
    with tf.Graph().as_default():
        tf.Variable([1.0, 2.0], name="v")
        tf.Variable([1.0], name="u")
        with tf.Session() as sess, pytest.raises(tf.errors.NotFoundError, match="Key u not found"):
            tf.train.Saver().restore(sess, path)


def test_shape_mismatch_raises_invalid_argument_naming_both_shapes(tmp_path):
    v = tf.Variable([1.0, 2.0], name="v")
    with tf.Session() as sess:
        sess.run(v.initializer)
        path = tf.train.Saver().save(sess, str(tmp_path / "m"))
    with tf.Graph().as_default():
        tf.Variable([1.0, 2.0, 3.0], name="v")
        saver = tf.train.Saver()
        with tf.Session() as sess:
            with pytest.raises(tf.errors.InvalidArgumentError, match=r"\[3\].*\[2\]"):
                saver.restore(sess, path)


def test_dtype_mismatch_raises_invalid_argument(tmp_path):
    v = tf.Variable([1.0, 2.0], dtype=tf.float64, name="v")
    with tf.Session() as sess:
        sess.run(v.initializer)
        path = tf.train.Saver().save(sess, str(tmp_path / "m"))
    with tf.Graph().as_default():
        tf.Variable([1.0, 2.0], name="v")
        with tf.Session() as sess:
            with pytest.raises(tf.errors.InvalidArgumentError, match="float32.*float64"):
                tf.train.Saver().restore(sess, path)


def test_reshape_restores_same_size_other_shape(tmp_path):
    v = tf.Variable(np.arange(6.0).reshape(2, 3), name="v")
    with tf.Session() as sess:
        sess.run(v.initializer)
        path = tf.train.Saver().save(sess, str(tmp_path / "m"))
    with tf.Graph().as_default():
        w = tf.Variable(np.zeros((3, 2)), name="v")
        with tf.Session() as sess:
            tf.train.Saver(reshape=True).restore(sess, path)
            np.testing.assert_array_equal(sess.run(w), np.arange(6.0).reshape(3, 2))


def test_saver_def_names_tf_ops_and_rebuilds_a_saver(tmp_path, graph):
    v = tf.Variable([1.0, 2.0], name="v")
    saver = tf.train.Saver(max_to_keep=4, keep_checkpoint_every_n_hours=2.0, sharded=True)
    second = tf.train.Saver([v])
    sd = saver.as_saver_def()
    # A sharded saver's save tensor follows MergeV2Checkpoints: TF names it save/Identity.
    assert (sd.filename_tensor_name, sd.save_tensor_name, sd.restore_op_name) == (
        "save/Const:0",
        "save/Identity:0",
        "save/restore_all",
    )
    assert graph.get_operation_by_name("save/MergeV2Checkpoints").type == "MergeV2Checkpoints"
    assert (sd.max_to_keep, sd.keep_checkpoint_every_n_hours, sd.sharded) == (4, 2.0, True)
    assert sd.version == tf.train.SaverDef.V2
    assert second.as_saver_def().restore_op_name == "save_1/restore_all"
    assert graph.get_operation_by_name("save/SaveV2").type == "SaveV2"
    assert graph.get_operation_by_name("save/RestoreV2").type == "RestoreV2"
    n_ops = len(graph.get_operations())
    rebuilt = tf.train.Saver(saver_def=sd)  # only names: no new ops
    assert len(graph.get_operations()) == n_ops
    with tf.Session() as sess:
        sess.run(v.initializer)
        path = rebuilt.save(sess, str(tmp_path / "m"), global_step=1)
        sess.run(v.assign([5.0, 6.0]))
        rebuilt.restore(sess, path)
        np.testing.assert_array_equal(sess.run(v), [1.0, 2.0])
    assert tf.train.Saver.from_proto(sd).as_saver_def() == sd
    assert saver.to_proto("save").restore_op_name == "restore_all"


def test_saveable_objects_collection(tmp_path):
    class DoubledSaveable(BaseSaverBuilder.SaveableObject):
        """Saves a variable's value doubled; restores half of it."""

        def __init__(self, var):
            self.var = var
            spec = BaseSaverBuilder.SaveSpec(var.value() * 2.0, "", "doubled")
            super().__init__(var.value(), [spec], "doubled")

        def restore(self, restored_tensors, restored_shapes):
            return self.var.assign(restored_tensors[0] / 2.0)

    v = tf.Variable([1.0, 3.0], name="v", collections=[])
    tf.add_to_collection(tf.GraphKeys.SAVEABLE_OBJECTS, DoubledSaveable(v))
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(v.initializer)
        path = saver.save(sess, str(tmp_path / "m"))
        sess.run(v.assign([0.0, 0.0]))
        saver.restore(sess, path)
        np.testing.assert_array_equal(sess.run(v), [1.0, 3.0])
    np.testing.assert_array_equal(tf.train.load_variable(path, "doubled"), [2.0, 6.0])


def test_resaving_a_prefix_replaces_it_and_leaves_no_debris(tmp_path):
    v = tf.Variable(1.0, name="v")
    saver = tf.train.Saver()
    prefix = str(tmp_path / "m")
    with tf.Session() as sess:
        sess.run(v.initializer)
        saver.save(sess, prefix)
        # An interrupted save of this prefix left a half-written data dir and index temp.
        os.makedirs(prefix + ".data-deadbeef.orbax-checkpoint-tmp-1")
        (tmp_path / "m.index.tmp-x").write_text("{")
        sess.run(v.assign(2.0))
        saver.save(sess, prefix)
    assert tf.train.load_variable(prefix, "v") == 2.0
    names = sorted(f.split("-")[0] for f in os.listdir(tmp_path))
    assert names == ["checkpoint", "m.data", "m.index", "m.meta"]  # one data dir, no temporaries


def test_interrupted_save_leaves_previous_checkpoint_readable(tmp_path, monkeypatch):
    v = tf.Variable([1.0], name="v")
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(v.initializer)
        first = saver.save(sess, str(tmp_path / "m"), global_step=1)
        sess.run(v.assign([2.0]))

        def crash(*args):
            raise KeyboardInterrupt  # dies after the data is written, before the index

        monkeypatch.setattr(tensor_bundle, "write_index", crash)
        with pytest.raises(KeyboardInterrupt):
            saver.save(sess, str(tmp_path / "m"), global_step=2)
    assert not tf.train.checkpoint_exists(str(tmp_path / "m-2"))
    assert tf.train.latest_checkpoint(str(tmp_path)) == first
    np.testing.assert_array_equal(tf.train.load_variable(first, "v"), [1.0])


def test_empty_and_deferred_savers():
    with pytest.raises(ValueError, match="No variables to save"):
        tf.train.Saver()
    empty = tf.train.Saver(allow_empty=True)
    with tf.Session() as sess:
        assert empty.save(sess, "/nonexistent/m", write_meta_graph=False) is None
        empty.restore(sess, "/nonexistent/m")
    v = tf.Variable(1.0, name="v")
    with pytest.raises(ValueError, match="cannot be deferred"):
        tf.train.Saver([v], defer_build=True)
    deferred = tf.train.Saver(defer_build=True)
    with tf.Session() as sess, pytest.raises(RuntimeError, match="build"):
        deferred.save(sess, "/tmp/m")
    deferred.build()
    assert deferred.as_saver_def().restore_op_name == "save/restore_all"


def test_bad_arguments_raise_tf_errors(tmp_path):
    v = tf.Variable(1.0, name="v")
    with pytest.raises(ValueError, match="same name: v"):
        tf.train.Saver([v, v])
    with pytest.raises(TypeError, match="not a Variable"):
        tf.train.Saver([v.value()])
    with pytest.raises(ValueError, match="saver_def must specify"):
        tf.train.Saver(saver_def=tf.train.SaverDef())
    saver = tf.train.Saver()
    with tf.Session() as sess:
        with pytest.raises(tf.errors.FailedPreconditionError, match="uninitialized value v"):
            saver.save(sess, str(tmp_path / "m"))
        sess.run(v.initializer)
        # TF's SaveV2 makes a missing last directory (tmp/no/m saves), not a deeper one.
        with pytest.raises(ValueError, match="Parent directory of .* doesn't exist"):
            saver.save(sess, str(tmp_path / "no" / "deeper" / "m"))
        assert saver.save(sess, str(tmp_path / "no" / "m")) == str(tmp_path / "no" / "m")
        with pytest.raises(ValueError, match="path components"):
            saver.save(sess, str(tmp_path / "m"), latest_filename="a/b")
        with pytest.raises(ValueError, match="collides"):
            saver.save(sess, str(tmp_path / "checkpoint"))
        with pytest.raises(TypeError, match="must be a Session"):
            saver.save("sess", str(tmp_path / "m"))
        with pytest.raises(ValueError, match="None"):
            saver.restore(sess, None)
        with pytest.raises(ValueError, match="not a valid checkpoint"):
            saver.restore(sess, str(tmp_path / "missing"))


def test_write_meta_graph_false_writes_no_meta_file(tmp_path):
    v = tf.Variable(1.0, name="v")
    with tf.Session() as sess:
        sess.run(v.initializer)
        tf.train.Saver().save(sess, str(tmp_path / "m"), write_meta_graph=False)
    assert not (tmp_path / "m.meta").exists()
    assert (tmp_path / "m.index").exists()


def test_save_writes_a_meta_graph_that_imports_without_the_model_code(tmp_path):
    loss, train, w = _model()
    tf.add_to_collection("train_op", train)
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        path = saver.save(sess, str(tmp_path / "m"), global_step=0)
        want = sess.run(w)
    assert os.listdir(tmp_path).count("m-0.meta") == 1
    with tf.Graph().as_default():
        imported = tf.train.import_meta_graph(path + ".meta", import_scope="net")
        assert imported.as_saver_def().restore_op_name == "net/save/restore_all"
        with tf.Session() as sess:
            imported.restore(sess, path)
            got = sess.run("net/dense/kernel:0")
    np.testing.assert_array_equal(got, want)


# -- TensorFlow's format --------------------------------------------------------------------


def _bytes(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def _variables_for(values: dict) -> dict:
    return {
        name: tf.Variable(v, name=name, dtype=tf.string if v.dtype == object else None)
        for name, v in values.items()
    }


def test_saver_writes_tf_bytes_and_restores_tf_checkpoints_of_every_dtype(tmp_path):
    values = fixtures.expected("dtypes")
    variables = _variables_for(values)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        path = tf.train.Saver().save(sess, str(tmp_path / "model.ckpt"), write_meta_graph=False)
        for suffix in (".index", ".data-00000-of-00001"):
            assert _bytes(path + suffix) == _bytes(fixtures.path("dtypes") + suffix)
    with tf.Graph().as_default():
        zeros = {
            n: np.zeros_like(v) if v.dtype != object else np.full(v.shape, b"", object)
            for n, v in values.items()
        }
        variables = _variables_for(zeros)
        with tf.Session() as sess:
            tf.train.Saver().restore(sess, fixtures.path("dtypes"))
            for name, value in values.items():
                got = np.asarray(sess.run(variables[name]))
                assert got.shape == value.shape, name
                np.testing.assert_array_equal(got.astype(value.dtype), value)


def test_sharded_saver_writes_a_data_file_per_device_as_tf_does(tmp_path):
    values = fixtures.expected("sharded")
    with tf.device("/cpu:0"):
        first = _variables_for({k: values[k] for k in "ab"})
    with tf.device("/cpu:1"):
        second = _variables_for({k: values[k] for k in "cd"})
    saver = tf.train.Saver(sharded=True)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        path = saver.save(sess, str(tmp_path / "model.ckpt"))
        assert path == str(tmp_path / "model.ckpt")
        for suffix in (".index", ".data-00000-of-00002", ".data-00001-of-00002"):
            assert _bytes(path + suffix) == _bytes(fixtures.path("sharded") + suffix)
        assert not os.path.exists(path + "_temp")  # the shards' directory is merged away
        sess.run([v.assign(np.zeros_like(values[n])) for n, v in first.items()])
        saver.restore(sess, fixtures.path("sharded"))  # TF's own sharded checkpoint
        for name, var in {**first, **second}.items():
            np.testing.assert_array_equal(np.asarray(sess.run(var)), values[name])
    assert tf.train.latest_checkpoint(str(tmp_path)) == path


class _SliceInfo:
    """What a partitioned variable's slice carries (TF's Variable.SaveSliceInfo)."""

    def __init__(self, full_name, spec):
        self.full_name, self.spec = full_name, spec


def test_sliced_variables_save_as_tf_partitioned_ones_and_restore(tmp_path):
    full = fixtures.expected("partitioned")["emb"]
    parts = []
    for i, (start, rows) in enumerate(((0, 3), (3, 2), (5, 2))):
        part = tf.Variable(full[start : start + rows], name=f"emb/part_{i}")
        part._save_slice_info = _SliceInfo("emb", f"7 2 {start},{rows}:0,2")
        parts.append(part)
    saver = tf.train.Saver(parts)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        path = saver.save(sess, str(tmp_path / "model.ckpt"), write_meta_graph=False)
        for suffix in (".index", ".data-00000-of-00001"):
            assert _bytes(path + suffix) == _bytes(fixtures.path("partitioned") + suffix)
        sess.run([p.assign(np.zeros_like(sess.run(p))) for p in parts])
        saver.restore(sess, fixtures.path("partitioned"))
        np.testing.assert_array_equal(np.concatenate(sess.run(parts)), full)
    np.testing.assert_array_equal(tf.train.load_variable(path, "emb"), full)


def test_training_resumed_from_a_tf_checkpoint_continues_with_tf_losses():
    data = fixtures.raw("resume")
    x = tf.constant(np.array(data["x"], np.float32))
    with tf.variable_scope("dense"):
        w = tf.get_variable("kernel", [3, 1], initializer=tf.zeros_initializer())
        b = tf.get_variable("bias", [1], initializer=tf.zeros_initializer())
    step = tf.train.get_or_create_global_step()
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w) + b - np.array(data["y"], np.float32)))
    train = tf.train.AdamOptimizer(0.1).minimize(loss, global_step=step)
    with tf.Session() as sess:
        latest = tf.train.latest_checkpoint(os.path.dirname(fixtures.path("resume")))
        assert os.path.basename(latest) == data["saved"]
        tf.train.Saver().restore(sess, latest)
        assert sess.run(step) == 3
        losses = [sess.run([loss, train])[0] for _ in range(5)]
    np.testing.assert_allclose(losses, data["next_losses"], rtol=1e-5)


def test_checkpoints_of_earlier_flowgraph_versions_still_restore(tmp_path):
    prefix = str(tmp_path / "old.ckpt")
    io_checkpoint.write_orbax(prefix, {"v": np.array([3.0, 4.0], np.float32)})
    assert _bytes(prefix + ".index").startswith(b"{")  # the old JSON index
    v = tf.Variable([0.0, 0.0], name="v")
    saver = tf.train.Saver()
    with tf.Session() as sess:
        saver.restore(sess, prefix)
        np.testing.assert_array_equal(sess.run(v), [3.0, 4.0])
        saver.save(sess, prefix)  # re-saved: now a bundle, the orbax directory gone
    assert not _bytes(prefix + ".index").startswith(b"{")
    assert sorted(os.listdir(tmp_path)) == [
        "checkpoint",
        "old.ckpt.data-00000-of-00001",
        "old.ckpt.index",
        "old.ckpt.meta",
    ]
    np.testing.assert_array_equal(tf.train.load_variable(prefix, "v"), [3.0, 4.0])


def test_restoring_a_corrupted_checkpoint_is_data_loss_naming_the_file(tmp_path):
    v = tf.Variable(np.arange(100, dtype=np.float32), name="v")
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(v.initializer)
        path = saver.save(sess, str(tmp_path / "m"))
        data = bytearray(_bytes(path + ".data-00000-of-00001"))
        data[123] ^= 0xFF
        with open(path + ".data-00000-of-00001", "wb") as f:
            f.write(data)
        with pytest.raises(errors.DataLossError, match=r"m\.data-00000-of-00001.*Checksum"):
            saver.restore(sess, path)
        with open(path + ".index", "wb") as f:
            f.write(_bytes(path + ".index")[:-9])
        with pytest.raises(errors.DataLossError, match=r"m\.index"):
            saver.restore(sess, path)


def test_save_writes_outside_the_state_lock_from_a_snapshot(tmp_path, monkeypatch):
    v = tf.Variable(1.0, name="v")
    bump = v.assign_add(1.0)
    saver = tf.train.Saver()
    release, writing = threading.Event(), threading.Event()
    finish = tensor_bundle.BundleWriter.finish

    def slow_finish(self):
        writing.set()
        assert release.wait(30)
        finish(self)

    monkeypatch.setattr(tensor_bundle.BundleWriter, "finish", slow_finish)
    with tf.Session() as sess:
        sess.run(v.initializer)
        saver_thread = threading.Thread(target=saver.save, args=(sess, str(tmp_path / "m")))
        saver_thread.start()
        assert writing.wait(30)
        assert [sess.run(bump) for _ in range(3)] == [2.0, 3.0, 4.0]  # steps run meanwhile
        assert not tf.train.checkpoint_exists(str(tmp_path / "m")) or not saver_thread.is_alive()
        release.set()
        saver_thread.join(30)
    assert not saver_thread.is_alive()
    assert tf.train.load_variable(str(tmp_path / "m"), "v") == 1.0  # the value when saved


def test_a_damaged_earlier_flowgraph_checkpoint_is_data_loss_naming_the_file(tmp_path):
    prefix = str(tmp_path / "old.ckpt")
    io_checkpoint.write_orbax(prefix, {"v": np.arange(1000, dtype=np.float32)})
    data = [p for p in tmp_path.rglob("*") if p.is_file() and ".data-" in str(p)]
    victim = max(data, key=lambda p: p.stat().st_size)
    victim.write_bytes(victim.read_bytes()[:-10])
    with pytest.raises(errors.DataLossError, match=str(victim)):
        tf.train.load_variable(prefix, "v")
    (tmp_path / "old.ckpt.index").write_text('{"data": ')
    with pytest.raises(errors.DataLossError, match="old.ckpt.index"):
        tf.train.load_variable(prefix, "v")


def test_the_snapshot_pins_the_variables_buffers_while_training_steps_donate(
    tmp_path, monkeypatch
):
    """SaveV2 keeps zero-copy views of the variables' device buffers, no copy under the
    state lock; the steps that run before the write starts update the variables (jax
    does not donate a buffer a view still references) and the checkpoint holds the values
    of when the save op ran."""
    w0 = np.arange(256 * 64, dtype=np.float32).reshape(256, 64) / 1000
    w = tf.Variable(w0, name="w")
    loss = tf.reduce_sum(tf.square(w))
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    saver = tf.train.Saver([w])
    release, started = threading.Event(), threading.Event()
    write_bundle = io_checkpoint._write_bundle
    snapshots = []

    def gated_write(prefix, items):
        snapshots.extend(value for _, _, value in items)
        started.set()
        assert release.wait(30)
        write_bundle(prefix, items)

    monkeypatch.setattr(io_checkpoint, "_write_bundle", gated_write)
    with tf.Session() as sess:
        sess.run(w.initializer)
        sess.run(train)
        saved = sess.run(w)
        saver_thread = threading.Thread(target=saver.save, args=(sess, str(tmp_path / "m")))
        saver_thread.start()
        assert started.wait(60)
        (snapshot,) = snapshots
        assert not snapshot.flags.writeable and not snapshot.flags.owndata  # a view, no copy
        for _ in range(3):
            sess.run(train)
        after = sess.run(w)
        np.testing.assert_allclose(after, saved * 0.8**3, rtol=1e-5)  # the steps ran
        np.testing.assert_array_equal(snapshot, saved)  # the snapshot did not change
        release.set()
        saver_thread.join(60)
    assert not saver_thread.is_alive()
    np.testing.assert_array_equal(tf.train.load_variable(str(tmp_path / "m"), "w"), saved)


def test_the_snapshot_copies_what_is_not_a_view_of_a_device_buffer():
    import jax

    view = np.asarray(jax.device_put(np.ones(4, np.float32)))
    assert io_checkpoint._snapshot(view) is view
    host = np.ones(4, np.float32)
    copy = io_checkpoint._snapshot(host)
    host[0] = 5.0
    assert copy[0] == 1.0
    strings = np.array([b"a"], object)
    assert io_checkpoint._snapshot(strings) is not strings
