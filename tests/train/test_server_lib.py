"""`tf.train.ClusterSpec`: jobs, tasks and the ClusterDef proto, as TF's."""

import pytest

import flowgraph as tf


def test_cluster_spec_views():
    cluster = tf.train.ClusterSpec({"worker": ["w0:1", "w1:1"], "ps": {1: "p1:1", 3: "p3:1"}})
    # Values as TF 2.21 gives them.
    assert repr(cluster) == (
        "ClusterSpec({'ps': {1: 'p1:1', 3: 'p3:1'}, 'worker': ['w0:1', 'w1:1']})"
    )
    assert cluster.jobs == ["worker", "ps"]
    assert cluster.num_tasks("ps") == 2 and cluster.task_indices("ps") == [1, 3]
    assert cluster.job_tasks("ps") == [None, "p1:1", None, "p3:1"]
    assert cluster.as_dict() == {"worker": ["w0:1", "w1:1"], "ps": {1: "p1:1", 3: "p3:1"}}
    assert cluster.task_address("worker", 1) == "w1:1"
    cluster_def = cluster.as_cluster_def()
    assert isinstance(cluster_def, tf.train.ClusterDef)
    assert [job.name for job in cluster_def.job] == ["ps", "worker"]
    assert dict(cluster_def.job[0].tasks) == {1: "p1:1", 3: "p3:1"}
    assert tf.train.ClusterSpec(cluster_def) == cluster == tf.train.ClusterSpec(cluster)
    assert not tf.train.ClusterSpec({}) and cluster
    assert isinstance(cluster_def.job[0], tf.train.JobDef)


def test_cluster_spec_errors():
    cluster = tf.train.ClusterSpec({"ps": {1: "p1:1"}})
    with pytest.raises(ValueError, match="No task with index 0 in job 'ps'"):
        cluster.task_address("ps", 0)
    with pytest.raises(ValueError, match="No such job in cluster: 'chief'"):
        cluster.num_tasks("chief")
    with pytest.raises(TypeError, match="must be a dictionary"):
        tf.train.ClusterSpec(["a"])
    with pytest.raises(TypeError, match="must be an integer"):
        tf.train.ClusterSpec({"ps": {"0": "a"}})


def test_replica_device_setter_takes_a_cluster_spec():
    cluster = tf.train.ClusterSpec({"ps": ["p0:1", "p1:1"], "worker": ["w0:1"]})
    with tf.Graph().as_default():
        with tf.device(tf.train.replica_device_setter(cluster=cluster)):
            a, b = tf.Variable(1.0, name="a"), tf.Variable(2.0, name="b")
    assert [a.device, b.device] == ["/job:ps/task:0", "/job:ps/task:1"]
