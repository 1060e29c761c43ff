"""Clusters of real processes on 127.0.0.1: async training on a ps, the launcher, the
example script."""

import json
import os
import pathlib
import signal
import subprocess
import sys
import time

import pytest

from flowgraph.distributed.launch import LocalCluster

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
ENV = {"PYTHONPATH": str(ROOT), "XLA_FLAGS": ""}


def _report(log: pathlib.Path) -> dict:
    lines = [line for line in log.read_text().splitlines() if line.startswith("REPORT ")]
    assert lines, log.read_text()[-3000:]
    return json.loads(lines[-1][len("REPORT ") :])


@pytest.fixture
def cluster_of(tmp_path):
    """Starts LocalClusters that are always stopped (SIGTERM, then SIGKILL)."""
    started = []

    def start(script, ps=1, workers=2, args=()):
        cluster = LocalCluster(str(script), ps, workers, args, env=ENV, log_dir=str(tmp_path))
        started.append(cluster)
        return cluster.start()

    yield start
    for cluster in started:
        cluster.stop(grace=2)


def test_async_training_one_ps_two_workers(cluster_of, tmp_path):
    cluster = cluster_of(HERE / "async_train_script.py", args=["--steps=30"])
    assert cluster.wait(timeout=120) == [0, 0]
    assert cluster.ps[0].wait(60) == 0  # the ps exits once both workers said they are done
    ps = _report(tmp_path / "ps_0.log")
    assert ps["global_step"] == 60  # every worker's 30 updates applied on the ps
    assert ps["finished"] == [0, 1]
    assert ps["variables"] == ["global_step", "w"]
    for i in range(2):
        worker = _report(tmp_path / f"worker_{i}.log")
        assert worker["last_loss"] < 0.5 * worker["first_loss"]
        assert worker["variables"] == []  # nothing lives on the workers


def test_killed_worker_restarts_and_rejoins_while_the_chief_trains_on(cluster_of, tmp_path):
    cluster = cluster_of(HERE / "async_train_script.py", args=["--steps=150"])
    log = tmp_path / "worker_1.log"
    deadline = time.monotonic() + 120
    while "TRAINING" not in (log.read_text() if log.exists() else ""):
        assert time.monotonic() < deadline and cluster.workers[1].poll() is None
        time.sleep(0.05)
    cluster.workers[1].send_signal(signal.SIGKILL)  # mid-training, holding nothing
    assert cluster.workers[1].wait(10) == -signal.SIGKILL
    cluster.start_task("worker", 1)  # the same task again: it rejoins
    assert cluster.wait(timeout=120) == [0, 0]
    assert cluster.ps[0].wait(60) == 0
    ps = _report(tmp_path / "ps_0.log")
    assert ps["finished"] == [0, 1]
    assert ps["global_step"] >= 300  # the chief's 150, the restarted worker's 150, and more
    assert _report(log)["last_loss"] < _report(log)["first_loss"]


def test_launcher_runs_the_example_as_a_local_cluster(tmp_path):
    command = [
        sys.executable, "-m", "flowgraph.distributed.launch", "--ps=1", "--workers=2",
        "--timeout=240", f"--log_dir={tmp_path}", str(ROOT / "examples" / "distributed_mnist.py"),
        "--train_steps=100", f"--train_dir={tmp_path / 'train'}",
    ]  # fmt: skip
    done = subprocess.run(
        command, env=dict(os.environ, **ENV), capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "workers exited with [0, 0]" in done.stdout
    for i in range(2):
        log = (tmp_path / f"worker_{i}.log").read_text()
        last = [line for line in log.splitlines() if "test accuracy" in line]
        assert last, log[-3000:]
        assert float(last[0].rsplit(" ", 1)[1]) > 0.5  # chance is 0.1 (~0.75 after 100 steps)
    assert (tmp_path / "train" / "model.ckpt-100.index").exists() or any(
        p.name.endswith(".index") and int(p.name.split("-")[1].split(".")[0]) >= 100
        for p in (tmp_path / "train").iterdir()
    )


def test_workers_check_readiness_often_in_a_local_cluster_and_every_30_s_elsewhere(monkeypatch):
    import flowgraph as tf
    from flowgraph.distributed.launch import RECOVERY_WAIT

    monkeypatch.delenv(RECOVERY_WAIT, raising=False)
    assert LocalCluster("s.py").env[RECOVERY_WAIT] == "1"
    assert LocalCluster("s.py", env={RECOVERY_WAIT: "5"}).env[RECOVERY_WAIT] == "5"
    with tf.Graph().as_default():
        tf.Variable(1.0)
        creator = tf.train.WorkerSessionCreator()
        assert creator._get_session_manager()._recovery_wait_secs == 30  # TF's
        monkeypatch.setenv(RECOVERY_WAIT, "0.5")
        creator = tf.train.WorkerSessionCreator()
        assert creator._get_session_manager()._recovery_wait_secs == 0.5
