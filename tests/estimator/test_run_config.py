"""tf.estimator.RunConfig: TF 1.15's defaults, validation, replace, and TF_CONFIG parsing."""

from __future__ import annotations

import json

import pytest

import flowgraph as tf


def test_defaults():
    config = tf.estimator.RunConfig()
    assert (config.model_dir, config.tf_random_seed, config.save_summary_steps) == (None, None, 100)
    assert (config.save_checkpoints_steps, config.save_checkpoints_secs) == (None, 600)
    assert (config.keep_checkpoint_max, config.log_step_count_steps) == (5, 100)
    assert (config.task_type, config.task_id, config.is_chief, config.master) == (
        "worker",
        0,
        True,
        "",
    )
    assert (config.num_ps_replicas, config.num_worker_replicas) == (0, 1)


def test_checkpoint_steps_or_secs():
    assert tf.estimator.RunConfig(save_checkpoints_steps=10).save_checkpoints_secs is None
    assert tf.estimator.RunConfig(save_checkpoints_secs=10).save_checkpoints_steps is None
    with pytest.raises(ValueError, match="cannot be both set"):
        tf.estimator.RunConfig(save_checkpoints_steps=1, save_checkpoints_secs=1)
    replaced = tf.estimator.RunConfig().replace(save_checkpoints_steps=7)
    assert (replaced.save_checkpoints_steps, replaced.save_checkpoints_secs) == (7, None)


def test_validation_and_replace():
    with pytest.raises(ValueError, match="tf_random_seed must be integer."):
        tf.estimator.RunConfig(tf_random_seed=1.5)
    with pytest.raises(ValueError, match="save_summary_steps should be >= 0"):
        tf.estimator.RunConfig(save_summary_steps=-1)
    with pytest.raises(ValueError, match="model_dir should be non-empty."):
        tf.estimator.RunConfig(model_dir="")
    with pytest.raises(ValueError, match="session_config must be instance of ConfigProto"):
        tf.estimator.RunConfig(session_config={})
    with pytest.raises(ValueError, match="Replacing task_type is not supported"):
        tf.estimator.RunConfig().replace(task_type="ps")
    config = tf.estimator.RunConfig(model_dir="/a")
    assert config.replace(model_dir="/b").model_dir == "/b" and config.model_dir == "/a"


def _tf_config(monkeypatch, value):
    monkeypatch.setenv("TF_CONFIG", json.dumps(value))


CLUSTER = {"chief": ["c:1"], "worker": ["w0:1", "w1:1"], "ps": ["p0:1", "p1:1"]}


def test_tf_config_cluster(monkeypatch):
    _tf_config(monkeypatch, {"cluster": CLUSTER, "task": {"type": "worker", "index": 1}})
    config = tf.estimator.RunConfig()
    assert (config.task_type, config.task_id, config.is_chief) == ("worker", 1, False)
    assert config.master == "grpc://w1:1"
    assert (config.num_ps_replicas, config.num_worker_replicas) == (2, 3)
    assert config.global_id_in_cluster == 2
    assert config.cluster_spec.as_dict() == CLUSTER
    _tf_config(monkeypatch, {"cluster": CLUSTER, "task": {"type": "chief", "index": 0}})
    chief = tf.estimator.RunConfig()
    assert (chief.is_chief, chief.global_id_in_cluster, chief.master) == (True, 0, "grpc://c:1")
    _tf_config(monkeypatch, {"cluster": CLUSTER, "task": {"type": "evaluator", "index": 0}})
    evaluator = tf.estimator.RunConfig()
    assert (evaluator.is_chief, evaluator.master, evaluator.num_ps_replicas) == (False, "", 0)


def test_tf_config_model_dir_and_errors(monkeypatch):
    _tf_config(monkeypatch, {"model_dir": "/from/env"})
    assert tf.estimator.RunConfig().model_dir == "/from/env"
    with pytest.raises(ValueError, match="must have the same value as the model_dir in TF_CONFIG"):
        tf.estimator.RunConfig(model_dir="/other")
    _tf_config(monkeypatch, {"cluster": CLUSTER, "task": {"type": "worker", "index": 5}})
    with pytest.raises(ValueError, match="5 is not a valid task_id for task_type worker"):
        tf.estimator.RunConfig()
    _tf_config(monkeypatch, {"cluster": {"worker": ["w:1"]}, "task": {"type": "worker"}})
    with pytest.raises(ValueError, match='it must have one "chief" node.'):
        tf.estimator.RunConfig()
    _tf_config(monkeypatch, {"task": {"type": "ps", "index": 0}})
    with pytest.raises(ValueError, match="task type must be WORKER."):
        tf.estimator.RunConfig()


def test_estimator_refuses_to_train_as_ps(monkeypatch, tmp_path):
    _tf_config(monkeypatch, {"cluster": CLUSTER, "task": {"type": "ps", "index": 0}})
    estimator = tf.estimator.Estimator(lambda features: None, model_dir=str(tmp_path))
    with pytest.raises(ValueError, match="Train has been called wrong configuration."):
        estimator.train(lambda: ({"x": tf.constant([1.0])}, None), steps=1)


def test_a_cluster_task_gets_tfs_default_device_filters(monkeypatch):
    _tf_config(monkeypatch, {"cluster": CLUSTER, "task": {"type": "worker", "index": 1}})
    config = tf.estimator.RunConfig()
    assert list(config.session_config.device_filters) == ["/job:ps", "/job:worker/task:1"]
    assert config.session_config.allow_soft_placement
    given = tf.ConfigProto(log_device_placement=True)
    assert tf.estimator.RunConfig(session_config=given).session_config is given
