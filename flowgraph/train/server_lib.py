"""`tf.train.ClusterSpec`: a cluster as a set of jobs, each a set of task addresses."""

from __future__ import annotations

from tensorboard.compat.proto import cluster_pb2


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
