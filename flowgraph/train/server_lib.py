"""`tf.train.ClusterSpec` and `tf.train.Server`: a cluster of tasks, and one task's server."""

from __future__ import annotations

import threading

from tensorboard.compat.proto import cluster_pb2

from flowgraph.distributed.protocol_pb2 import ServerDef


class ClusterSpec:
    """Represents a cluster as a set of "tasks", organized into "jobs".

    Example:
      >>> cluster = tf.train.ClusterSpec({"worker": ["w0:2222", "w1:2222"],
      ...                                 "ps": {1: "ps1:2222"}})
      >>> cluster.num_tasks("worker"), cluster.task_address("ps", 1)   # 2, 'ps1:2222'

    Args:
      cluster: a dict mapping job names to a list of addresses (task index = position) or
        a dict of task index to address; or a `ClusterDef` proto; or a `ClusterSpec`.

    Raises:
      TypeError: if `cluster` is none of those.
    """

    def __init__(self, cluster):
        if isinstance(cluster, ClusterSpec):
            cluster = cluster.as_cluster_def()
        if isinstance(cluster, cluster_pb2.ClusterDef):
            cluster = {job.name: dict(job.tasks) for job in cluster.job}
        if not isinstance(cluster, dict):
            raise TypeError(
                "`cluster` must be a dictionary mapping one or more job names to lists of "
                "network addresses, or a `ClusterDef` protocol buffer"
            )
        self._spec = {job: _tasks(job, tasks) for job, tasks in cluster.items()}

    def __bool__(self):
        return bool(self._spec)

    def __eq__(self, other):
        return isinstance(other, ClusterSpec) and self._spec == other._spec

    def __ne__(self, other):
        return not self == other

    def __repr__(self):
        jobs = self.as_dict()
        return f"ClusterSpec({ {job: jobs[job] for job in sorted(jobs)}!r})"

    __str__ = __repr__

    def as_dict(self):
        """A dict from job name to a list of addresses (or a dict when indices have gaps)."""
        out = {}
        for job, tasks in self._spec.items():
            contiguous = sorted(tasks) == list(range(len(tasks)))
            out[job] = [tasks[i] for i in range(len(tasks))] if contiguous else dict(tasks)
        return out

    def as_cluster_def(self):
        """The `tf.train.ClusterDef` protocol buffer of this cluster."""
        cluster_def = cluster_pb2.ClusterDef()
        for job in sorted(self._spec):
            cluster_def.job.add(name=job, tasks=self._spec[job])
        return cluster_def

    @property
    def jobs(self):
        """The job names in this cluster, in the order given."""
        return list(self._spec)

    def num_tasks(self, job_name):
        """The number of tasks of `job_name`."""
        return len(self._job(job_name))

    def task_indices(self, job_name):
        """The sorted task indices of `job_name`."""
        return sorted(self._job(job_name))

    def task_address(self, job_name, task_index):
        """The address of task `task_index` of `job_name`."""
        tasks = self._job(job_name)
        if task_index not in tasks:
            raise ValueError(f"No task with index {task_index!r} in job {job_name!r}")
        return tasks[task_index]

    def job_tasks(self, job_name):
        """The addresses of `job_name` by task index, None where there is no task."""
        tasks = self._job(job_name)
        return [tasks.get(i) for i in range(max(tasks) + 1)] if tasks else []

    def _job(self, job_name):
        if job_name not in self._spec:
            raise ValueError(f"No such job in cluster: {job_name!r}")
        return self._spec[job_name]


def _tasks(job, tasks):
    if isinstance(tasks, dict):
        items = tasks.items()
    elif isinstance(tasks, (list, tuple)):
        items = enumerate(tasks)
    else:
        raise TypeError(f"The tasks for job {job!r} must be a list or a dictionary from "
                        f"integers to strings.")  # fmt: skip
    out = {}
    for index, address in items:
        if not isinstance(index, int):
            raise TypeError(f"Task index for job {job!r} must be an integer, got {index!r}")
        out[index] = address
    return out


class Server:
    """An in-process TensorFlow server, for use in distributed training.

    It runs TensorFlow's master and worker services over gRPC: a session whose target is
    `server.target` (from this or any other process) places ops on the cluster's tasks,
    and the variables, queues and accumulators placed on this task live in this server,
    shared by every session that uses them, until the server stops.

    Example:
      >>> cluster = tf.train.ClusterSpec({"ps": ["127.0.0.1:2222"],
      ...                                 "worker": ["127.0.0.1:2223"]})
      >>> server = tf.train.Server(cluster, job_name="ps", task_index=0)
      >>> server.join()   # returns once `server.stop()` is called (e.g. from a signal)

    Args:
      server_or_cluster_def: a `tf.train.ServerDef` or `tf.train.ClusterDef` proto, or a
        `tf.train.ClusterSpec` or a dict of job name to addresses.
      job_name: this task's job (may be omitted when the cluster has one job).
      task_index: this task's index in its job (may be omitted when the job has one task).
      protocol: "grpc" (the only one).
      config: a `tf.ConfigProto`: the default configuration of sessions on this server.
      start: whether to start the server now.

    Raises:
      ValueError: if the job or task is not given and cannot be inferred, or is not in the
        cluster, or the protocol is not "grpc".
    """

    def __init__(
        self,
        server_or_cluster_def,
        job_name=None,
        task_index=None,
        protocol=None,
        config=None,
        start=True,
    ):
        self._server_def = _make_server_def(
            server_or_cluster_def, job_name, task_index, protocol, config
        )
        self._grpc = None
        self._stopped = threading.Event()
        spec = ClusterSpec(self._server_def.cluster)
        self._address = spec.task_address(self._server_def.job_name, self._server_def.task_index)
        self._worker = self._master = None
        if start:
            self.start()

    @staticmethod
    def create_local_server(config=None, start=True):
        """A server on a free local port, in a cluster of one task (`localhost:0`)."""
        return Server({"localhost": ["localhost:0"]}, protocol="grpc", config=config, start=start)

    @property
    def server_def(self):
        """The `tf.train.ServerDef` of this server."""
        return self._server_def

    @property
    def target(self):
        """The session target of this server: `grpc://host:port`."""
        return f"grpc://{self._address}"

    def start(self):
        """Starts the server's services (a second call does nothing)."""
        if self._grpc is not None:
            return
        from flowgraph.distributed import master, rpc, worker

        job, task = self._server_def.job_name, self._server_def.task_index
        self._worker = worker.Worker(f"{master.task_name(job, task)}/device:CPU:0")
        self._master = master.Master(
            _tasks_of(self._server_def.cluster),
            job,
            task,
            self._worker,
            self._server_def.default_session_config,
        )
        services = {
            "tensorflow.MasterService": self._master,
            "tensorflow.WorkerService": self._worker,
        }
        self._grpc, port = rpc.serve(_bind_address(self._address), services)
        if self._address.endswith(":0"):  # a free port was asked for: the one bound
            self._address = f"{self._address[:-2]}:{port}"
            self._master.cluster[job][task] = self._address
            self._server_def.cluster.job[_job_index(self._server_def, job)].tasks[task] = (
                self._address
            )
        master.LOCAL_MASTERS[self._address] = self._master

    def join(self):
        """Blocks until the server stops (`stop()`, from another thread or a signal)."""
        self._stopped.wait()

    def stop(self, grace=1.0):
        """Stops the server: its services, sessions and resources (queue waits cancel).

        A parameter server usually stops once every worker is done: a worker can tell it
        through a queue on the ps, or the local-cluster launcher stops it.
        """
        if self._grpc is None:
            self._stopped.set()
            return
        from flowgraph.distributed import master

        master.LOCAL_MASTERS.pop(self._address, None)
        self._grpc.stop(grace).wait()
        self._master.close()
        self._worker.close()
        self._grpc = None
        self._stopped.set()


def _make_server_def(server_or_cluster_def, job_name, task_index, protocol, config):
    """TF's rules: the job and task default when the cluster leaves only one choice."""
    if isinstance(server_or_cluster_def, ServerDef):
        server_def = ServerDef()
        server_def.CopyFrom(server_or_cluster_def)
        job_name = job_name or server_def.job_name
        task_index = server_def.task_index if task_index is None else task_index
        protocol = protocol or server_def.protocol
        cluster = ClusterSpec(server_def.cluster)
    else:
        server_def = ServerDef()
        cluster = ClusterSpec(server_or_cluster_def)
    if not job_name:
        if len(cluster.jobs) != 1:
            raise ValueError("Must specify an explicit `job_name`.")
        job_name = cluster.jobs[0]
    if task_index is None:
        if cluster.num_tasks(job_name) != 1:
            raise ValueError("Must specify an explicit `task_index`.")
        task_index = cluster.task_indices(job_name)[0]
    cluster.task_address(job_name, task_index)  # ValueError naming a missing job or task
    protocol = protocol or "grpc"
    if protocol != "grpc":
        raise ValueError(f"Unknown protocol {protocol!r}: only 'grpc' is supported.")
    server_def.cluster.CopyFrom(cluster.as_cluster_def())
    server_def.job_name, server_def.task_index, server_def.protocol = job_name, task_index, protocol
    if config is not None:
        server_def.default_session_config.CopyFrom(config)
    return server_def


def _tasks_of(cluster_def) -> dict:
    return {job.name: dict(job.tasks) for job in cluster_def.job}


def _job_index(server_def, job_name) -> int:
    return [job.name for job in server_def.cluster.job].index(job_name)


def _bind_address(address: str) -> str:
    """Where to listen: the task's own host and port (a `localhost` task stays local)."""
    host, _, port = address.rpartition(":")
    return f"{host or '127.0.0.1'}:{port}"
