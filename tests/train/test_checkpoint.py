"""`tf.train.Checkpoint` / `CheckpointManager` in graph mode: object keys, save and restore."""

import os

import numpy as np
import pytest

import flowgraph as tf


@pytest.fixture(autouse=True)
def fresh_graph():
    with tf.Graph().as_default() as graph:
        yield graph


def _model():
    x = tf.constant([[1.0, 2.0]])
    layer = tf.layers.Dense(1, kernel_initializer=tf.ones_initializer())
    loss = tf.reduce_sum(layer(x))
    optimizer = tf.train.AdamOptimizer(0.1)
    train = optimizer.minimize(loss)
    return layer, optimizer, train


def test_object_keys_follow_tfs_object_graph():
    layer, optimizer, _ = _model()
    extra = tf.Variable(3.0, name="extra")
    checkpoint = tf.train.Checkpoint(model=layer, optimizer=optimizer, v=extra)
    from flowgraph.train.checkpoint import object_variables

    keys = set(object_variables(checkpoint))
    value = ".ATTRIBUTES/VARIABLE_VALUE"
    assert {f"model/kernel/{value}", f"model/bias/{value}", f"v/{value}",
            f"optimizer/beta1_power/{value}", f"optimizer/beta2_power/{value}",
            f"model/kernel/.OPTIMIZER_SLOT/optimizer/m/{value}",
            f"model/bias/.OPTIMIZER_SLOT/optimizer/v/{value}"} <= keys  # fmt: skip
    assert len(keys) == 2 + 1 + 2 + 4


def test_save_numbers_and_restore_values(tmp_path):
    layer, optimizer, train = _model()
    checkpoint = tf.train.Checkpoint(model=layer, optimizer=optimizer)
    prefix = str(tmp_path / "ckpt" / "model")
    os.makedirs(tmp_path / "ckpt")
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        first = checkpoint.save(prefix, session=sess)
        sess.run(train)
        kernel_after_step = sess.run(layer.kernel)
        with sess.as_default():
            second = checkpoint.save(prefix)
        assert (first, second) == (prefix + "-1", prefix + "-2")
        checkpoint.restore(first).run_restore_ops(sess)
        np.testing.assert_allclose(sess.run(layer.kernel), [[1.0], [1.0]])
        assert sess.run(checkpoint.save_counter) == 1
        checkpoint.restore(second).run_restore_ops(sess)
        np.testing.assert_allclose(sess.run(layer.kernel), kernel_after_step)
        assert checkpoint.restore(second).assert_consumed() is not None
    with tf.Session() as sess:  # a new session: restore, or initialize without a path
        checkpoint.restore(None).initialize_or_restore(sess)
        np.testing.assert_allclose(sess.run(layer.kernel), [[1.0], [1.0]])


def test_manager_keeps_the_newest_and_recovers_them(tmp_path):
    v = tf.Variable(0.0, name="v")
    checkpoint = tf.train.Checkpoint(v=v)
    manager = tf.train.CheckpointManager(checkpoint, str(tmp_path), max_to_keep=2)
    assert manager.latest_checkpoint is None and manager.restore_or_initialize() is None
    with tf.Session() as sess:
        sess.run(v.initializer)
        for value in (1.0, 2.0, 3.0):
            sess.run(v.assign(value))
            manager.save(session=sess)
        named = manager.save(checkpoint_number=100, session=sess)
    paths = [str(tmp_path / f"ckpt-{n}") for n in (3, 100)]
    assert manager.checkpoints == paths and named == paths[1]
    assert not os.path.exists(str(tmp_path / "ckpt-1.index"))
    assert tf.train.latest_checkpoint(str(tmp_path)) == paths[1]
    again = tf.train.CheckpointManager(checkpoint, str(tmp_path), max_to_keep=2)
    assert again.checkpoints == paths
    with tf.Session() as sess:
        assert again.restore_or_initialize(session=sess) == paths[1]
        assert sess.run(v) == 3.0
    with pytest.raises(ValueError, match="max_to_keep"):
        tf.train.CheckpointManager(checkpoint, str(tmp_path), max_to_keep=0)


def test_checkpoint_options_skip_slots_and_call_back(tmp_path):
    layer, optimizer, train = _model()
    checkpoint = tf.train.Checkpoint(model=layer, optimizer=optimizer)
    written = []
    options = tf.train.CheckpointOptions(experimental_skip_slot_variables=True,
                                         experimental_write_callbacks=[written.append])
    manager = tf.train.CheckpointManager(checkpoint, str(tmp_path), max_to_keep=2)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train)
        path = manager.save(options=options, session=sess)
        full = checkpoint.write(str(tmp_path / "full"), session=sess)
    assert written == [path]
    skipped = {name for name, _ in tf.train.list_variables(path)}
    everything = {name for name, _ in tf.train.list_variables(full)}
    slots = {name for name in everything if ".OPTIMIZER_SLOT" in name}
    assert len(slots) == 4 and skipped == everything - slots
    assert "CheckpointOptions(" in repr(options) and options.enable_async is False
