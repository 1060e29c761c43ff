"""All-reduce data parallelism on jax.distributed: 2 processes x 1 or 2 CPU devices, 127.0.0.1.

The processes (tests/distribute/allreduce_worker.py) each train on half of a batch; the
result must be one process's on the whole batch. Each writes its shard of every checkpoint.
Then the faults: a killed process stops the other (fail-stop), and restarting both
resumes from the last checkpoint, restored in each.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

import flowgraph as tf
from tests.distribute import allreduce_worker

_WORKER = os.path.join(os.path.dirname(__file__), "allreduce_worker.py")
_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_TIMEOUT = 300


def _free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


class _Job:
    """The two worker processes; `stop()` kills whatever still runs."""

    def __init__(self, steps, checkpoint_dir, hang_after=None, devices=1, save_secs=None):
        ports = _free_ports(2)
        env = dict(os.environ, PYTHONPATH=_ROOT, JAX_PLATFORMS="cpu")
        if devices > 1:  # each process's value is on every one of its devices
            env["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={devices}"
        self.procs = []
        for task in range(2):
            args = [sys.executable, "-u", _WORKER, str(task), *map(str, ports), str(steps)]
            args.append(str(checkpoint_dir))
            if hang_after is not None and task == 1:
                args += ["--hang-after", str(hang_after)]
            if save_secs is not None:
                args += ["--save-secs", str(save_secs)]
            self.procs.append(
                subprocess.Popen(
                    args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
                )
            )

    def wait(self, proc, timeout=_TIMEOUT):
        out, _ = proc.communicate(timeout=timeout)
        return proc.returncode, out

    def stop(self):
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
            proc.communicate()


@pytest.fixture
def jobs():
    started = []

    def start(*args, **kwargs):
        started.append(_Job(*args, **kwargs))
        return started[-1]

    yield start
    for job in started:
        job.stop()


def _final(out):
    line = [ln for ln in out.splitlines() if ln.startswith("final ")]
    assert line, out[-3000:]
    return [np.array(v) for v in json.loads(line[-1][len("final ") :])]


def _steps_run(out, task):
    return sum(1 for ln in out.splitlines() if ln.startswith(f"{task} "))


def _one_process(steps):
    """The weights after `steps` steps on the whole batch in this process."""
    xs, ys = allreduce_worker.data()
    with tf.Graph().as_default():
        x, y, _, train_op, weights = allreduce_worker.model()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for _ in range(steps):
                sess.run(train_op, {x: xs, y: ys})
            return sess.run(weights)


def _finish(job):
    results = [job.wait(proc) for proc in job.procs]
    for rc, out in results:
        assert rc == 0, out[-3000:]
    return [out for _, out in results]


@pytest.fixture(scope="module")
def five_steps(tmp_path_factory):
    """A job of 2 processes x 1 device that ran 5 steps, saving every step (several tests
    read it: a job costs two processes' starts), and its checkpoint directory."""
    checkpoint_dir = tmp_path_factory.mktemp("five_steps")
    job = _Job(5, checkpoint_dir)
    try:
        yield _finish(job), checkpoint_dir
    finally:
        job.stop()


@pytest.mark.parametrize("devices", [1, 2])
def test_two_processes_train_as_one_on_the_concatenated_batch(request, jobs, tmp_path, devices):
    if devices == 1:
        outs = request.getfixturevalue("five_steps")[0]
    else:
        outs = _finish(jobs(5, tmp_path, devices=devices))
    want = _one_process(5)
    for out in outs:
        for got, expected in zip(_final(out), want):
            np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    assert not np.allclose(want[0], 0.0)
    # One compiled program per step: the all-reduce sits in the segment of the forward pass,
    # the gradients and the updates, with the variables updated in place (donated).
    for out in outs:
        segments = [ln.split(" ", 2)[1:] for ln in out.splitlines() if ln.startswith("segment ")]
        (kind, rest), *others = [s for s in segments if "AllReduceMean" in s[1]]
        ops, donated = json.loads(rest[: rest.index("]") + 1]), rest[rest.index("]") + 1 :]
        assert kind == "xla" and not others, segments
        assert any(op.endswith("MatMul") for op in ops), ops
        assert any("ApplyMomentum" in op for op in ops), ops
        assert "w" in json.loads(donated) and len(segments) <= 2, segments


def test_each_process_writes_its_own_shard_of_every_checkpoint(five_steps):
    outs, tmp_path = five_steps
    prefix = tf.train.latest_checkpoint(str(tmp_path))
    assert prefix.endswith("-5"), outs[0][-3000:]
    # TF's sharded layout: one data file per process, one merged index, no leftovers.
    shards = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("model.ckpt-5."))
    assert shards == [
        "model.ckpt-5.data-00000-of-00002",
        "model.ckpt-5.data-00001-of-00002",
        "model.ckpt-5.index",
        "model.ckpt-5.meta",
    ]
    assert all((tmp_path / s).stat().st_size > 0 for s in shards[:2])
    assert not [p for p in tmp_path.iterdir() if "_temp" in p.name]
    names = {name for name, _ in tf.train.list_variables(prefix)}
    assert names == {"w", "b", "w/Momentum", "b/Momentum", "global_step"}
    assert tf.train.load_variable(prefix, "global_step") == 5
    np.testing.assert_allclose(tf.train.load_variable(prefix, "w"), _final(outs[1])[0], rtol=1e-6)


def test_saves_by_the_chiefs_clock_happen_at_the_same_steps_in_both(jobs, tmp_path):
    outs = _finish(jobs(24, tmp_path, save_secs=0.4))  # ~0.1 s a step: a save every ~4
    state = tf.train.get_checkpoint_state(str(tmp_path))
    steps = [int(p.rsplit("-", 1)[1]) for p in state.all_model_checkpoint_paths]
    assert len(steps) >= 3 and steps[-1] == 24, steps
    for step in steps:  # both processes wrote their shard of each (else a barrier timed out)
        for shard in range(2):
            assert (tmp_path / f"model.ckpt-{step}.data-0000{shard}-of-00002").is_file()
    for out in outs:
        for got, expected in zip(_final(out), _one_process(24)):
            np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_killed_process_stops_the_other_then_restart_all_restores_the_checkpoint(jobs, tmp_path):
    job = jobs(1000, tmp_path, hang_after=2)
    deadline = time.monotonic() + _TIMEOUT
    hung = job.procs[1]
    lines = []
    while not lines or lines[-1].strip() != "hanging":
        assert time.monotonic() < deadline and hung.poll() is None, "".join(lines)[-3000:]
        lines.append(hung.stdout.readline())
    hung.send_signal(signal.SIGKILL)
    # Fail-stop: the survivor exits non-zero within the heartbeat timeout (3 s), not hangs.
    killed_at = time.monotonic()
    rc, out = job.wait(job.procs[0], timeout=60)
    assert rc != 0, out[-3000:]
    assert time.monotonic() - killed_at < 30
    assert "Traceback" not in out or "UnavailableError" in out, out[-3000:]
    assert tf.train.latest_checkpoint(str(tmp_path)).endswith("-2")
    # Restart-all: both restore step 2 from the chief's checkpoint and finish 6 steps.
    outs = _finish(jobs(6, tmp_path))
    want = _one_process(6)
    for task, out in enumerate(outs):
        assert _steps_run(out, task) == 4, out[-3000:]
        for got, expected in zip(_final(out), want):
            np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    # The job's checkpoint restores in one process too.
    with tf.Graph().as_default():
        *_, weights = allreduce_worker.model()
        with tf.Session() as sess:
            tf.train.Saver().restore(sess, tf.train.latest_checkpoint(str(tmp_path)))
            restored = sess.run(weights + [tf.train.get_global_step()])
    assert restored[-1] == 6
    for got, expected in zip(restored, want):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
