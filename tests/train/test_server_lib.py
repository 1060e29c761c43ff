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


def test_server_target_server_def_and_stop():
    server = tf.train.Server.create_local_server()
    try:
        assert server.target.startswith("grpc://localhost:")
        port = int(server.target.rsplit(":", 1)[1])
        assert port > 0
        server_def = server.server_def
        assert isinstance(server_def, tf.train.ServerDef)
        assert (server_def.job_name, server_def.task_index, server_def.protocol) == (
            "localhost",
            0,
            "grpc",
        )
        assert dict(server_def.cluster.job[0].tasks) == {0: f"localhost:{port}"}
        with tf.Graph().as_default():
            with tf.Session(server.target) as sess:
                assert sess.run(tf.constant(2.0) * 3.0) == 6.0
    finally:
        server.stop()
    server.join()  # returns at once: the server has stopped


def test_server_join_returns_when_stopped_from_another_thread():
    import threading

    server = tf.train.Server({"local": ["127.0.0.1:0"]})
    stopper = threading.Timer(0.2, server.stop)
    stopper.start()
    joined = threading.Thread(target=server.join)
    joined.start()
    joined.join(10)
    assert not joined.is_alive()


def test_server_job_and_task_inferred_or_required():
    cluster = {"ps": ["127.0.0.1:1"], "worker": ["127.0.0.1:2", "127.0.0.1:3"]}
    with pytest.raises(ValueError, match="Must specify an explicit `job_name`"):
        tf.train.Server(cluster, start=False)
    with pytest.raises(ValueError, match="Must specify an explicit `task_index`"):
        tf.train.Server(cluster, job_name="worker", start=False)
    with pytest.raises(ValueError, match="No such job in cluster: 'chief'"):
        tf.train.Server(cluster, job_name="chief", task_index=0, start=False)
    with pytest.raises(ValueError, match="Unknown protocol"):
        tf.train.Server(cluster, job_name="ps", protocol="grpc+verbs", start=False)
    server = tf.train.Server(cluster, job_name="ps", start=False)  # one ps task: index 0
    assert server.server_def.task_index == 0 and server.target == "grpc://127.0.0.1:1"
    config = tf.ConfigProto(device_filters=["/job:ps"])
    again = tf.train.Server(server.server_def, config=config, start=False)
    assert again.server_def.default_session_config.device_filters == ["/job:ps"]
    assert again.server_def.job_name == "ps"


def test_create_local_cluster():
    workers, ps = tf.test.create_local_cluster(num_workers=2, num_ps=1)
    try:
        with tf.Graph().as_default():
            with tf.device("/job:ps/task:0"):
                v = tf.Variable(5.0)
            with tf.device("/job:worker/task:1"):
                w = v * 2.0
            with tf.Session(workers[0].target) as sess:
                sess.run(v.initializer)
                assert sess.run(w) == 10.0
    finally:
        for server in workers + ps:
            server.stop()
