"""`tf.train.replica_device_setter`: variables round-robin over parameter-server tasks."""

from __future__ import annotations

from absl import logging

from device.spec import DeviceSpec
from flowgraph.framework.ops import Operation

STANDARD_PS_OPS = (
    "Variable",
    "VariableV2",
    "AutoReloadVariable",
    "MutableHashTable",
    "MutableHashTableV2",
    "MutableHashTableOfTensors",
    "MutableHashTableOfTensorsV2",
    "MutableDenseHashTable",
    "MutableDenseHashTableV2",
    "VarHandleOp",
    "BoostedTreesEnsembleResourceHandleOp",
    "BoostedTreesQuantileStreamResourceHandleOp",
)


class _RoundRobinStrategy:
    """Hands out ps tasks 0, 1, ..., n-1, 0, ... in the order ops are created."""

    def __init__(self, num_tasks: int):
        self._num_tasks = num_tasks
        self._next_task = 0

    def __call__(self, unused_op) -> int:
        task = self._next_task
        self._next_task = (self._next_task + 1) % self._num_tasks
        return task


class _ReplicaDeviceChooser:
    """The device function: ps ops to a ps task, everything else to the worker device."""

    def __init__(self, ps_tasks, ps_device, worker_device, merge_devices, ps_ops, ps_strategy):
        self._ps_tasks = ps_tasks
        self._ps_device = ps_device
        self._worker_device = worker_device
        self._merge_devices = merge_devices
        self._ps_ops = ps_ops
        self._ps_strategy = ps_strategy

    def device_function(self, op) -> str:
        if not self._merge_devices and op.device:
            return op.device
        current = DeviceSpec.from_string(op.device or "")
        op_type = op.type if isinstance(op, Operation) else op.op  # an Operation or a NodeDef
        if self._ps_tasks and self._ps_device and op_type in self._ps_ops:
            ps_device = DeviceSpec.from_string(self._ps_device)
            # The task comes from the strategy unless the op names another job.
            if ps_device.job and (not current.job or current.job == ps_device.job):
                ps_device = ps_device.replace(task=self._ps_strategy(op))
            return ps_device.make_merged_spec(current).to_string()
        worker = DeviceSpec.from_string(self._worker_device or "")
        return worker.make_merged_spec(current).to_string()


def replica_device_setter(
    ps_tasks=0,
    ps_device="/job:ps",
    worker_device="/job:worker",
    merge_devices=True,
    cluster=None,
    ps_ops=None,
    ps_strategy=None,
):
    """A device function for `tf.device` placing variables on parameter servers.

    Ops whose type is in `ps_ops` (variables, by default) go to `ps_device` with a task
    chosen by `ps_strategy` (round-robin by default); every other op goes to
    `worker_device`. Devices the op already requests win when `merge_devices`.

    Args:
      ps_tasks: the number of ps tasks (ignored when `cluster` is given).
      ps_device: the ps job's device, e.g. "/job:ps".
      worker_device: the worker's device, e.g. "/job:worker/task:0".
      merge_devices: merge with (rather than keep) devices the op already requests.
      cluster: a `ClusterSpec`-like object or a dict `{job: [addresses]}`; its ps job's size
        sets `ps_tasks`.
      ps_ops: op types placed on the ps.
      ps_strategy: a callable `op -> task index`.

    Returns:
      The device function, or None when there are no ps tasks.

    Example:
      >>> with tf.device(tf.train.replica_device_setter(ps_tasks=2)):
      ...     a = tf.Variable(1.0)   # /job:ps/task:0
      ...     b = tf.Variable(2.0)   # /job:ps/task:1
      ...     c = a + b              # /job:worker
    """
    if cluster is not None:
        spec = cluster.as_dict() if hasattr(cluster, "as_dict") else dict(cluster)
        ps_job = DeviceSpec.from_string(ps_device).job
        if spec.get(ps_job) is None:
            return None
        ps_tasks = len(spec[ps_job])
    if ps_tasks == 0:
        return None
    if ps_ops is None:
        ps_ops = list(STANDARD_PS_OPS)
    if not merge_devices:
        logging.warning(
            "DEPRECATION: It is recommended to set merge_devices=true in replica_device_setter"
        )
    if ps_strategy is None:
        ps_strategy = _RoundRobinStrategy(ps_tasks)
    if not callable(ps_strategy):
        raise TypeError("ps_strategy must be callable")
    chooser = _ReplicaDeviceChooser(
        ps_tasks, ps_device, worker_device, merge_devices, ps_ops, ps_strategy
    )
    return chooser.device_function
