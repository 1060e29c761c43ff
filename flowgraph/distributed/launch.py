"""A local cluster: a TF1 between-graph script started as ps and worker processes on
127.0.0.1 (`python -m flowgraph.distributed.launch --ps 1 --workers 2 script.py ARGS`).

Each task gets TF1's flags: `--job_name`, `--task_index`, `--ps_hosts`, `--worker_hosts`.
Once every worker has exited the parameter servers are stopped (SIGTERM, then SIGKILL);
every wait is bounded by `--timeout`. A non-chief MonitoredTrainingSession checks whether
the chief has made the model ready every `FLOWGRAPH_RECOVERY_WAIT_SECS` (TF's 30 s unless
set; the launcher sets 1 s unless its own environment sets it).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time

RECOVERY_WAIT = "FLOWGRAPH_RECOVERY_WAIT_SECS"  # seconds between a worker's readiness checks


def free_ports(n: int) -> list[int]:
    """`n` distinct free TCP ports on 127.0.0.1."""
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


class LocalCluster:
    """ps and worker processes of one script; a context manager that always kills them.

    Example:
      >>> with LocalCluster("train.py", ps=1, workers=2) as cluster:
      ...     codes = cluster.wait(timeout=300)   # the workers' exit codes
    """

    def __init__(
        self, script, ps=1, workers=2, args=(), env=None, log_dir=None, python=sys.executable
    ):
        ports = free_ports(ps + workers)
        self.ps_hosts = [f"127.0.0.1:{p}" for p in ports[:ps]]
        self.worker_hosts = [f"127.0.0.1:{p}" for p in ports[ps:]]
        self.script, self.args = script, list(args)
        self.env = {RECOVERY_WAIT: "1", **os.environ, **(env or {})}
        self.log_dir = log_dir
        self.python = python
        self._logs: list = []
        self.ps: list[subprocess.Popen] = []
        self.workers: list[subprocess.Popen] = []

    def command(self, job: str, task: int) -> list[str]:
        return [
            self.python, self.script, f"--job_name={job}", f"--task_index={task}",
            f"--ps_hosts={','.join(self.ps_hosts)}",
            f"--worker_hosts={','.join(self.worker_hosts)}", *self.args,
        ]  # fmt: skip

    def start_task(self, job: str, task: int) -> subprocess.Popen:
        """Starts (or restarts) one task; its output goes to `log_dir/job_task.log` (to
        this process's when there is no `log_dir`)."""
        out = None
        if self.log_dir:
            out = open(os.path.join(self.log_dir, f"{job}_{task}.log"), "ab")  # noqa: SIM115
            self._logs.append(out)  # the child writes to it; closed by `stop`
        process = subprocess.Popen(
            self.command(job, task), env=self.env, stdout=out, stderr=subprocess.STDOUT
        )
        tasks = self.ps if job == "ps" else self.workers
        if task < len(tasks):
            tasks[task] = process
        else:
            tasks.append(process)
        return process

    def start(self) -> "LocalCluster":
        for i in range(len(self.ps_hosts)):
            self.start_task("ps", i)
        for i in range(len(self.worker_hosts)):
            self.start_task("worker", i)
        return self

    def wait(self, timeout: float) -> list[int]:
        """The workers' exit codes once all have exited; TimeoutError after `timeout` s, or
        RuntimeError as soon as a ps fails (the workers would wait for it forever)."""
        deadline = time.monotonic() + timeout
        while any(w.poll() is None for w in self.workers):
            failed = [i for i, p in enumerate(self.ps) if p.poll() not in (None, 0)]
            if failed:
                raise RuntimeError(f"ps task {failed[0]} exited with {self.ps[failed[0]].poll()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"workers still running after {timeout} s")
            time.sleep(0.1)
        return [w.returncode for w in self.workers]

    def stop(self, grace: float = 5.0) -> None:
        """Stops every process still running: SIGTERM, then SIGKILL after `grace` s."""
        running = [p for p in self.ps + self.workers if p.poll() is None]
        for p in running:
            p.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for p in running:
            try:
                p.wait(max(deadline - time.monotonic(), 0.01))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)
        for log in self._logs:
            log.close()
        self._logs.clear()

    def __enter__(self) -> "LocalCluster":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ps", type=int, default=1, help="number of ps tasks")
    parser.add_argument("--workers", type=int, default=2, help="number of worker tasks")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds to wait for workers")
    parser.add_argument("--log_dir", default=None, help="write each task's output here")
    parser.add_argument("script")
    parser.add_argument("args", nargs=argparse.REMAINDER)
    flags = parser.parse_args(argv)
    if flags.log_dir:
        os.makedirs(flags.log_dir, exist_ok=True)
    cluster = LocalCluster(flags.script, flags.ps, flags.workers, flags.args, log_dir=flags.log_dir)
    print(f"ps: {cluster.ps_hosts}  workers: {cluster.worker_hosts}", flush=True)
    with cluster:
        codes = cluster.wait(flags.timeout)
    print(f"workers exited with {codes}", flush=True)
    return max(codes, key=abs, default=0)


if __name__ == "__main__":
    sys.exit(main())
