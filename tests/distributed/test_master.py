"""The master: ops placed on tasks, partitions run on servers of one process (the ps is
still reached over gRPC), state in each server's resource manager, and its errors."""

import collections
import logging
import threading
import time

import numpy as np
import pytest

import flowgraph as tf
from flowgraph.distributed import master as master_lib
from flowgraph.distributed.launch import free_ports
from flowgraph.distributed.worker import Worker


@pytest.fixture
def cluster():
    """One worker and two ps servers in this process; always stopped."""
    workers, ps = tf.test.create_local_cluster(num_workers=2, num_ps=2)
    yield workers, ps
    for server in workers + ps:
        server.stop(grace=0)


def _store(server):
    return server._worker.store


def _model(cluster_spec, task=0):
    """A linear regression with its variables on the ps tasks (round robin)."""
    setter = cluster_spec and tf.train.replica_device_setter(
        worker_device=f"/job:worker/task:{task}", cluster=cluster_spec
    )
    with tf.device(setter):
        step = tf.train.get_or_create_global_step()
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        w = tf.Variable(tf.zeros([3, 1]), name="w")
        b = tf.Variable(0.5, name="b")
        loss = tf.reduce_mean(tf.square(tf.matmul(x, w) + b - [[6.0], [2.0]]))
        train = tf.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=step)
    return x, loss, train, step


_BATCH = np.array([[1, 1, 1], [0, 1, 0]], np.float32)


def _losses(sess, x, loss, train, n=5):
    return [sess.run([loss, train], {x: _BATCH})[0] for _ in range(n)]


def test_training_with_variables_on_ps_matches_one_process(cluster):
    workers, ps = cluster
    spec = tf.train.ClusterSpec(workers[0].server_def.cluster)
    with tf.Graph().as_default():
        x, loss, train, step = _model(spec)
        init = tf.global_variables_initializer()
        with tf.Session(workers[0].target) as sess:
            sess.run(init)
            remote = _losses(sess, x, loss, train)
            assert sess.run(step) == 5
    with tf.Graph().as_default():  # the same model in one process
        x, loss, train, step = _model(None)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            local = _losses(sess, x, loss, train)
    np.testing.assert_allclose(remote, local, rtol=1e-6)
    assert remote[-1] < remote[0]
    # Round robin: global_step and b on ps 0, w on ps 1; nothing on the worker.
    assert set(_store(ps[0]).variables) == {"global_step", "b"}
    assert set(_store(ps[1]).variables) == {"w"}
    assert not _store(workers[0]).variables


def test_state_outlives_sessions_and_is_shared_by_workers(cluster):
    workers, ps = cluster
    spec = tf.train.ClusterSpec(workers[0].server_def.cluster)
    with tf.Graph().as_default():
        x, loss, train, step = _model(spec)
        with tf.Session(workers[0].target) as sess:
            sess.run(tf.global_variables_initializer())
            _losses(sess, x, loss, train, 3)
        with tf.Session(workers[1].target) as sess:  # another worker, a new session
            assert sess.run(step) == 3
            _losses(sess, x, loss, train, 2)
        with tf.Session(workers[0].target) as sess:
            assert sess.run(step) == 5
    # Closed sessions leave no partitions behind; the variables stay.
    assert not any(server._worker._graphs for server in workers + ps)
    assert set(_store(ps[0]).variables) | set(_store(ps[1]).variables) == {"global_step", "w", "b"}


def test_queue_on_ps_shared_between_sessions(cluster):
    workers, _ = cluster
    with tf.Graph().as_default():
        with tf.device("/job:ps/task:1"):
            queue = tf.FIFOQueue(4, tf.int32, shared_name="done_queue")
        enqueue = queue.enqueue(tf.constant(7))
        dequeue = queue.dequeue()
        with tf.Session(workers[1].target) as sess:
            sess.run(enqueue)
        with tf.Session(workers[0].target) as sess:
            assert sess.run(dequeue) == 7


def test_feed_and_fetch_across_tasks(cluster):
    workers, _ = cluster
    with tf.Graph().as_default():
        with tf.device("/job:ps/task:1"):
            a = tf.placeholder(tf.float32, [2], name="a")
            doubled = a * 2.0
        with tf.device("/job:worker/task:1"):
            summed = tf.reduce_sum(doubled) + 1.0
        with tf.device("/job:ps/task:0"):
            back = summed * doubled
        with tf.Session(workers[0].target) as sess:
            out = sess.run([doubled, summed, back, a], {a: [1.0, 2.0]})
    np.testing.assert_allclose(out[0], [2.0, 4.0])
    assert out[1] == 7.0
    np.testing.assert_allclose(out[2], [14.0, 28.0])
    np.testing.assert_allclose(out[3], [1.0, 2.0])


@pytest.mark.parametrize("mib", [5, 65])
def test_large_variable_crosses_the_wire(cluster, mib):
    workers, ps = cluster
    n = mib * 2**20 // 4
    with tf.Graph().as_default():
        with tf.device("/job:ps/task:0"):
            big = tf.Variable(tf.zeros([n]), name="big")
        value = tf.placeholder(tf.float32, [n])
        with tf.device("/job:worker/task:0"):
            assign = tf.assign(big, value * 1.0)  # computed on the worker, assigned on the ps
            total = tf.reduce_sum(big.read_value())
        with tf.Session(workers[0].target) as sess:
            sess.run(big.initializer)
            fed = np.arange(n, dtype=np.float32) % 7
            sess.run(assign, {value: fed})
            back = sess.run(big)
            assert sess.run(total) == pytest.approx(float(fed.sum(dtype=np.float64)), rel=1e-5)
    np.testing.assert_array_equal(back, fed)
    np.testing.assert_array_equal(np.asarray(_store(ps[0]).variables["big"]), fed)


def test_client_over_grpc_runs_steps(cluster, monkeypatch):
    workers, ps = cluster
    monkeypatch.setattr(master_lib, "LOCAL_MASTERS", {})  # no in-process shortcut
    monkeypatch.setattr("flowgraph.distributed.remote.LOCAL_MASTERS", {})
    spec = tf.train.ClusterSpec(workers[0].server_def.cluster)
    with tf.Graph().as_default():
        x, loss, train, step = _model(spec)
        with tf.Session(workers[0].target) as sess:
            sess.run(tf.global_variables_initializer())
            losses = _losses(sess, x, loss, train)
            extra = tf.identity(step) * 10  # ExtendSession: a node added after the first run
            assert sess.run(extra) == 50
            names = [d.name for d in sess.list_devices()]
    assert losses[-1] < losses[0]
    assert "/job:ps/replica:0/task:1/device:CPU:0" in names


@pytest.mark.parametrize("device", ["/job:foo/task:0", "/job:ps/task:3"])
def test_op_on_missing_job_or_task(cluster, device):
    workers, _ = cluster
    with tf.Graph().as_default():
        with tf.device(device):
            c = tf.constant(1.0, name="lonely")
        with tf.Session(workers[0].target) as sess:
            with pytest.raises(tf.errors.InvalidArgumentError, match=f"lonely.*'{device}'"):
                sess.run(c)


def test_unreachable_task_times_out_naming_it():
    (port, dead) = free_ports(2)
    spec = {"worker": [f"127.0.0.1:{port}"], "ps": [f"127.0.0.1:{dead}"]}
    server = tf.train.Server(spec, job_name="worker", task_index=0)
    try:
        with tf.Graph().as_default():
            c = tf.constant(1.0)
            config = tf.ConfigProto(operation_timeout_in_ms=1500)
            start = time.monotonic()
            with pytest.raises(tf.errors.DeadlineExceededError, match="/job:ps/replica:0/task:0"):
                with tf.Session(server.target, config=config) as sess:
                    sess.run(c)
            assert time.monotonic() - start < 10
            # device_filters: only the worker itself is waited for.
            config = tf.ConfigProto(device_filters=["/job:worker"])
            with tf.Session(server.target, config=config) as sess:
                assert sess.run(c) == 1.0
    finally:
        server.stop(grace=0)


def test_worker_waits_for_its_ps_and_proceeds(monkeypatch, caplog):
    monkeypatch.setattr(master_lib, "WAIT_LOG_SECONDS", 0.2)
    ports = free_ports(2)
    spec = tf.train.ClusterSpec(
        {"worker": [f"127.0.0.1:{ports[0]}"], "ps": [f"127.0.0.1:{ports[1]}"]}
    )
    worker = tf.train.Server(spec, job_name="worker", task_index=0)
    servers = [worker]
    late = threading.Timer(1.5, lambda: servers.append(tf.train.Server(spec, "ps", 0)))
    late.start()
    try:
        with tf.Graph().as_default():
            with tf.device("/job:ps/task:0"):
                v = tf.Variable(3.0)
            with caplog.at_level(logging.WARNING), tf.Session(worker.target) as sess:
                sess.run(v.initializer)
                assert sess.run(v) == 3.0
        assert "CreateSession still waiting for response from worker: /job:ps/replica:0/task:0" in (
            caplog.text
        )
    finally:
        late.join(10)
        for server in servers:
            server.stop(grace=0)


def test_stopped_ps_gives_unavailable(cluster):
    workers, ps = cluster
    with tf.Graph().as_default():
        with tf.device("/job:ps/task:0"):
            v = tf.Variable(3.0)
        with tf.Session(workers[0].target) as sess:
            sess.run(v.initializer)
            ps[0].stop(grace=0)
            with pytest.raises(
                (tf.errors.UnavailableError, tf.errors.AbortedError), match="ps/replica:0/task:0"
            ):
                sess.run(v, options=tf.RunOptions(timeout_in_ms=5000))


def _embedding_model(setter):
    with tf.device(setter):
        ids = tf.placeholder(tf.int64, [None], name="ids")
        emb = tf.get_variable(
            "emb",
            [10, 4],
            initializer=tf.ones_initializer(),
            partitioner=tf.fixed_size_partitioner(2),
        )
        loss = tf.reduce_sum(tf.square(tf.nn.embedding_lookup(emb, ids)))
        train = tf.train.GradientDescentOptimizer(0.01).minimize(loss)
    return ids, emb, loss, train


def test_partitioned_embedding_updated_sparsely_on_its_ps_tasks(cluster):
    workers, ps = cluster
    spec = tf.train.ClusterSpec(workers[0].server_def.cluster)
    feeds = [1, 7, 7, 3]
    with tf.Graph().as_default():
        ids, emb, loss, train = _embedding_model(tf.train.replica_device_setter(cluster=spec))
        with tf.Session(workers[0].target) as sess:
            sess.run(tf.global_variables_initializer())
            remote = [sess.run([loss, train], {ids: feeds})[0] for _ in range(3)]
            remote_value = sess.run(emb.as_tensor())
    with tf.Graph().as_default():
        ids, emb, loss, train = _embedding_model(None)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            local = [sess.run([loss, train], {ids: feeds})[0] for _ in range(3)]
            local_value = sess.run(emb.as_tensor())
    np.testing.assert_allclose(remote, local, rtol=1e-6)
    np.testing.assert_allclose(remote_value, local_value, rtol=1e-6)
    # One part per ps task.
    assert set(_store(ps[0]).variables) == {"emb/part_0"}
    assert set(_store(ps[1]).variables) == {"emb/part_1"}
    # "mod" partitioning: ids 1, 3, 7 are rows 0, 1, 3 of part 1 (on ps 1); part 0 untouched.
    np.testing.assert_array_equal(np.asarray(_store(ps[0]).variables["emb/part_0"]), 1.0)
    part_1 = np.asarray(_store(ps[1]).variables["emb/part_1"])
    assert (part_1[[0, 1, 3]] < 1.0).all() and (part_1[[2, 4]] == 1.0).all()


def test_monitored_session_restores_after_ps_restart(tmp_path):
    ports = free_ports(2)
    spec = tf.train.ClusterSpec(
        {"worker": [f"127.0.0.1:{ports[0]}"], "ps": [f"127.0.0.1:{ports[1]}"]}
    )
    worker, ps = tf.train.Server(spec, "worker", 0), tf.train.Server(spec, "ps", 0)
    servers = [worker, ps]
    try:
        with tf.Graph().as_default():
            x, loss, train, step = _model(spec)
            saver_hook_dir = str(tmp_path)
            with tf.train.MonitoredTrainingSession(
                master=worker.target,
                is_chief=True,
                checkpoint_dir=saver_hook_dir,
                save_checkpoint_steps=4,
                save_summaries_steps=None,
                config=tf.ConfigProto(operation_timeout_in_ms=20000),
            ) as sess:
                for _ in range(6):
                    sess.run(train, {x: _BATCH})
                assert tf.train.latest_checkpoint(saver_hook_dir).endswith("model.ckpt-4")
                ps.stop(grace=0)  # the ps dies: its variables are gone
                servers.append(tf.train.Server(spec, "ps", 0))  # and comes back empty
                sess.run(train, {x: _BATCH})  # Unavailable -> a new session from the checkpoint
                restored = sess.run(step)
        assert 5 <= restored <= 6  # the checkpoint's 4, plus the retried step
        assert set(_store(servers[-1]).variables) == {"global_step", "w", "b"}
    finally:
        for server in servers:
            server.stop(grace=0)


def test_supervisor_chief_initializes_and_a_worker_uses_its_variables(cluster, tmp_path):
    workers, _ = cluster
    spec = tf.train.ClusterSpec(workers[0].server_def.cluster)

    def build(task):
        setter = tf.train.replica_device_setter(
            worker_device=f"/job:worker/task:{task}", cluster=spec
        )
        with tf.device(setter):
            step = tf.train.get_or_create_global_step()
            return step, tf.assign_add(step, 1)

    with tf.Graph().as_default():
        step, train = build(0)
        chief = tf.train.Supervisor(
            is_chief=True, logdir=str(tmp_path), global_step=step, save_model_secs=0,
            save_summaries_secs=0,
        )  # fmt: skip
        with chief.managed_session(workers[0].target) as sess:
            for _ in range(3):
                sess.run(train)
    with tf.Graph().as_default():
        step, train = build(1)
        worker = tf.train.Supervisor(
            is_chief=False, logdir=str(tmp_path), global_step=step, recovery_wait_secs=1
        )
        with worker.managed_session(workers[1].target) as sess:  # ready: no initialization
            assert sess.run(train) == 4


def test_reset_closes_sessions_and_clears_the_default_container_on_every_task(cluster):
    workers, ps = cluster
    target = workers[0].target
    spec = tf.train.ClusterSpec(workers[0].server_def.cluster)
    with tf.Graph().as_default():
        x, loss, train, step = _model(spec)
        with tf.device("/job:ps/task:1"):
            queue = tf.FIFOQueue(4, tf.float32, shared_name="q")
        with tf.Session(target) as sess:
            sess.run([tf.global_variables_initializer(), queue.enqueue(2.0)])
            tf.Session.reset(target, containers=["another"])  # not the default container
            with pytest.raises(tf.errors.AbortedError, match="not found"):
                sess.run(step)  # the master closed every session, as TF's does
        with tf.Session(target) as sess:
            assert sess.run(queue.size()) == 1 and sess.run(step) == 0
            assert any(_store(server).variables for server in ps)
            tf.Session.reset(target)
        assert not any(_store(server).variables for server in ps + workers)
        assert "q" not in _store(ps[1]).resources
        with tf.Session(target) as sess:
            with pytest.raises(tf.errors.FailedPreconditionError):
                sess.run(step)  # the variables are gone
            assert sess.run(queue.size()) == 0  # a new, empty queue


def test_reset_of_local_sessions():
    with tf.Graph().as_default():
        v = tf.Variable(3.0)
        with tf.Session() as sess:
            sess.run(v.initializer)
            tf.Session.reset("")
            with pytest.raises(tf.errors.CancelledError, match="Session has been closed."):
                sess.run(v)  # TF's DirectSession reset closes its sessions
        with tf.Session() as sess:
            with pytest.raises(tf.errors.FailedPreconditionError):
                sess.run(v)  # a new session: the variable is uninitialized


def test_one_run_graph_per_task_per_step_and_tensors_cross_by_recv_tensor(cluster, monkeypatch):
    workers, ps = cluster
    spec = tf.train.ClusterSpec(workers[0].server_def.cluster)
    runs, pulls = collections.Counter(), collections.Counter()
    run_graph, pull = Worker.run_graph, Worker._pull

    def counting_run(worker, *args, **kwargs):
        runs[worker.task_device.split("/device")[0]] += 1
        return run_graph(worker, *args, **kwargs)

    def counting_pull(worker, step, key, timeout):
        send_device, _, recv_device, tensor, _ = key.split(";")
        pulls[send_device.split("/device")[0], recv_device.split("/device")[0], tensor] += 1
        return pull(worker, step, key, timeout)

    monkeypatch.setattr(Worker, "run_graph", counting_run)
    monkeypatch.setattr(Worker, "_pull", counting_pull)
    with tf.Graph().as_default():
        x, loss, train, step = _model(spec)
        with tf.Session(workers[0].target) as sess:
            sess.run(tf.global_variables_initializer())
            sess.run([loss, train], {x: _BATCH})
            runs.clear(), pulls.clear()
            for _ in range(5):
                sess.run([loss, train], {x: _BATCH})
    tasks = ["/job:worker/replica:0/task:0", "/job:ps/replica:0/task:0", "/job:ps/replica:0/task:1"]
    assert runs == {task: 5 for task in tasks}  # one RunGraph per task per step
    assert set(pulls.values()) == {5}  # each crossing tensor pulled once per step
    # The variables go down to the worker, their gradients up to their ps.
    down = {t for (frm, to, t) in pulls if frm.startswith("/job:ps") and to == tasks[0]}
    assert {"w/read:0", "b/read:0"} <= down
    to_ps = {t for (_, to, t) in pulls if to.startswith("/job:ps")}
    assert {"gradients/MatMul_grad/VJP:0", "gradients/Identity_1:0"} <= to_ps
