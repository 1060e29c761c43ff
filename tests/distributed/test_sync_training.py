"""Synchronous training across processes: `SyncReplicasOptimizer` with 1 ps + 2 worker
processes on 127.0.0.1 (the step advances once per pair of fresh gradients, stale ones
are dropped), and a worker killed holding a token: the chief's step ends at its deadline
(DeadlineExceededError) rather than hanging, and with a backup worker training goes on."""

import os
import pathlib
import queue
import signal
import subprocess
import sys
import threading
import time

import pytest

from flowgraph.distributed.launch import free_ports

HERE = pathlib.Path(__file__).resolve().parent
ENV = dict(
    os.environ, PYTHONPATH=str(HERE.parent.parent), XLA_FLAGS="", FLOWGRAPH_RECOVERY_WAIT_SECS="0.2"
)


class Task:
    """A task process of `sync_train_script.py` that answers commands on stdin."""

    def __init__(self, job, index, ps_hosts, worker_hosts, args=()):
        command = [
            sys.executable, str(HERE / "sync_train_script.py"), f"--job_name={job}",
            f"--task_index={index}", f"--ps_hosts={ps_hosts}", f"--worker_hosts={worker_hosts}",
            *args,
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command, env=ENV, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        self.lines: queue.Queue = queue.Queue()
        self.log: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self.log.append(line)
            if line.startswith(("OK", "ERROR", "READY")):
                self.lines.put(line.split())

    def send(self, command: str) -> None:
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()

    def answer(self, timeout: float = 60) -> list[str]:
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(
                "no answer; the task's output:\n" + "".join(self.log[-60:])
            ) from None

    def ask(self, command: str, timeout: float = 60) -> list[str]:
        self.send(command)
        return self.answer(timeout)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)


@pytest.fixture
def cluster_of():
    """Starts a ps and `n` workers (`args` for each); every process is killed after."""
    started = []

    def start(n, args=()):
        ports = free_ports(n + 1)
        ps_hosts = f"127.0.0.1:{ports[0]}"
        worker_hosts = ",".join(f"127.0.0.1:{p}" for p in ports[1:])
        started.append(Task("ps", 0, ps_hosts, worker_hosts, args))
        workers = [Task("worker", i, ps_hosts, worker_hosts, args) for i in range(n)]
        started.extend(workers)
        for worker in workers:
            assert worker.answer(120) == ["READY"]
        return workers

    yield start
    for task in started:
        task.stop()


def _state(worker, want_step, timeout=20.0):
    """(global step, gradients accumulated) once the step is `want_step` (bounded)."""
    deadline = time.monotonic() + timeout
    while True:
        _, step, accumulated = worker.ask("state")
        if int(step) == want_step or time.monotonic() > deadline:
            return int(step), int(accumulated)
        time.sleep(0.05)


def test_step_advances_once_per_pair_stale_gradients_are_dropped_and_a_dead_pair_times_out(
    cluster_of,
):
    chief, other = cluster_of(2, ["--replicas_to_aggregate=2"])
    assert chief.ask("train") == ["OK", "0"]  # a gradient of step 0; an initial token
    time.sleep(0.5)  # time enough for the chief's queue runner, were it to apply one alone
    assert _state(chief, 0) == (0, 1)  # one gradient is not a pair: no update
    assert other.ask("train") == ["OK", "0"]
    assert _state(chief, 1) == (1, 0)  # the pair applied once: step 1
    # Both still hold step 0's token: their next gradients are stale, dropped.
    assert chief.ask("train") == ["OK", "1"]  # it takes a token of step 1
    assert other.ask("train") == ["OK", "1"]
    assert _state(chief, 1) == (1, 0)
    chief.send("train")  # fresh now; no tokens are left: it waits for the pair
    time.sleep(0.5)
    assert _state(other, 1) == (1, 1)  # (the chief is busy waiting)
    assert other.ask("train") == ["OK", "2"]
    assert chief.answer() == ["OK", "2"]
    assert _state(chief, 2) == (2, 0)
    # The other worker dies holding step 2's token: the chief's next step, short of its
    # pair, ends at the step's deadline (TF's operation timeout) instead of hanging.
    other.process.send_signal(signal.SIGKILL)
    assert other.process.wait(10) == -signal.SIGKILL
    start = time.monotonic()
    answer = chief.ask("train 3000", timeout=60)
    assert answer[:2] == ["ERROR", "DeadlineExceededError"], answer
    assert time.monotonic() - start < 30
    assert _state(chief, 2) == (2, 1)  # its gradient waits for a pair; nothing corrupt


def test_backup_worker_keeps_training_when_a_worker_is_killed(cluster_of):
    chief, first, second = cluster_of(3, ["--replicas_to_aggregate=2"])  # one backup
    assert chief.ask("train") == ["OK", "0"]
    assert first.ask("train") == ["OK", "0"]
    assert _state(chief, 1) == (1, 0)  # the first two make the pair
    assert second.ask("train") == ["OK", "1"]  # its gradient is stale; 3 tokens a step
    second.process.send_signal(signal.SIGKILL)  # dies holding a token of step 1
    assert second.process.wait(10) == -signal.SIGKILL
    assert chief.ask("train") == ["OK", "1"]  # stale too: the last tokens of step 1
    assert first.ask("train") == ["OK", "1"]
    chief.send("train")  # the two left make the pair
    assert first.ask("train") == ["OK", "2"]
    assert chief.answer() == ["OK", "2"]
    assert _state(chief, 2) == (2, 0)
    chief.send("train")  # and the next (one token of step 2 is left over: a race for it)
    answers = [first.ask("train"), chief.answer()]
    assert all(a[0] == "OK" and a[1] in ("2", "3") for a in answers), answers
    assert _state(chief, 3) == (3, 0)
