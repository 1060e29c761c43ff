"""All-reduce data parallelism: N worker processes train one model on `jax.distributed`.

Every worker process runs the same TF1 program on its own shard of the batch, after

    flowgraph.distribute.enable_allreduce(cluster, task_index)

`cluster` is a `tf.train.ClusterSpec` (or dict) with a `worker` job; worker 0's address is
the `jax.distributed` coordinator. From then on every `Optimizer.apply_gradients` averages
each gradient over the job (`FlowgraphAllReduceMean`) before applying it. The training step
is compiled once over the global device mesh (`shard_map`, the all-reduce a `lax.pmean`:
gloo between CPU processes, NCCL between GPUs): forward pass, gradients, all-reduce and
updates are one program per step, with the variables updated in place. Variables are
replicated: every process starts from the same initial values (give initializers a seed)
and applies the same averaged update, so N processes on batches of B train exactly as one
process on the concatenated batch of N*B (for a loss that is a mean over the batch). Every
process feeds batches of the same shapes: the step is one program over the job.

Faults are fail-stop. A process that dies closes its collective connections: the others'
next all-reduce fails (`UnavailableError`), and the `jax.distributed` coordination service
terminates every survivor once the dead task misses `heartbeat_timeout_seconds` of
heartbeats. Recovery is restart-all: start every process again; `MonitoredTrainingSession`
(with a `checkpoint_dir`) restores the last checkpoint in each of them. A sharded Saver
(MonitoredTrainingSession's) writes one shard of each checkpoint per process, merged by the
chief (`flowgraph.distribute.checkpoint`); every process restores from it, in this mode or
in a single process.
"""

from __future__ import annotations

import jax

from flowgraph.framework.indexed_slices import IndexedSlices
from flowgraph.framework.ops import apply_op
from flowgraph.framework.scopes import name_scope
from flowgraph.ops import math_ops
from flowgraph.train.server_lib import ClusterSpec

_state = {"enabled": False}


def enable_allreduce(
    cluster,
    task_index,
    job_name="worker",
    heartbeat_timeout_seconds=10,
    initialization_timeout=60,
):
    """Joins this process to the cluster's `jax.distributed` job and turns all-reduce on.

    Args:
      cluster: a `tf.train.ClusterSpec`, dict or `ClusterDef` whose `job_name` job lists
        every process; its task 0's address is the coordinator's.
      task_index: this process's task index in `job_name`.
      job_name: the job whose tasks train together.
      heartbeat_timeout_seconds: after this long without a heartbeat from a process, the
        others are terminated (fail-stop).
      initialization_timeout: how long to wait for every process to join, in seconds.
    """
    cluster = ClusterSpec(cluster)
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(
        coordinator_address=cluster.task_address(job_name, 0),
        num_processes=cluster.num_tasks(job_name),
        process_id=task_index,
        initialization_timeout=initialization_timeout,
        heartbeat_timeout_seconds=heartbeat_timeout_seconds,
    )
    _state["enabled"] = True


def allreduce_enabled() -> bool:
    """Whether `enable_allreduce` made this process part of an all-reduce job."""
    return _state["enabled"]


def all_reduce_mean(tensors, name=None):
    """The means of `tensors` over every process of the job (themselves in one process).

    Every process must run the op, with the same shapes and dtypes, in the same order.

    Args:
      tensors: a list of `Tensor`s or `IndexedSlices` (these become dense: their rows
        summed into their `dense_shape`).
      name: a name for the operation.

    Returns:
      A list of `Tensor`s: the means, in the order of `tensors`.
    """
    with name_scope(name, "AllReduceMean", tensors) as scope:
        dense = [_dense(t) for t in tensors]
        out = apply_op("FlowgraphAllReduceMean", dense, name=scope, T=[t.dtype for t in dense])
    return list(out) if isinstance(out, tuple) else [out]


def _dense(tensor):
    if not isinstance(tensor, IndexedSlices):
        return tensor
    return math_ops.unsorted_segment_sum(tensor.values, tensor.indices, tensor.dense_shape[0])


def average_gradients(grads_and_vars) -> list:
    """`grads_and_vars` with every gradient averaged over the job, when all-reduce is on.

    The step's gradients are averaged by one op: one collective launch per step.
    """
    if not allreduce_enabled():
        return grads_and_vars
    pairs = list(grads_and_vars)
    present = [i for i, (g, _) in enumerate(pairs) if g is not None]
    if not present:
        return pairs
    means = all_reduce_mean([pairs[i][0] for i in present])
    for i, mean in zip(present, means):
        pairs[i] = (mean, pairs[i][1])
    return pairs
