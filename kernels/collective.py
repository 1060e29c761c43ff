"""The collective ops of data parallelism on `jax.distributed` (flowgraph-specific ops).

`FlowgraphAllReduceMean`: every process of a `jax.distributed` job contributes its values
(a step's gradients, all in one op); their means over the job's devices are XLA
all-reduces (gloo between CPU processes, NCCL between GPUs) compiled into the step itself:
a segment holding the op is traced per device under `shard_map` over the job's mesh
(`device.collective`), where the op is `lax.pmean` over the mesh's axis. In a single
process it is the identity.

`FlowgraphJobBarrier`: every process waits there until all have reached it, their pending
checkpoint writes done first (a save of one bundle shard per process, merged by the chief
once every shard exists). In a single process it only waits for the writes.
"""

from __future__ import annotations

import functools

import jax
import numpy as np
from jax import lax
from jax.sharding import Mesh

from kernels import io_checkpoint
from kernels.errors import DeadlineExceededError, UnimplementedError
from kernels.op_def import declare
from kernels.registry import HOST, SIDE_EFFECTS, register

AXIS = "replicas"  # the job mesh's one axis: every device of every process
OPS = frozenset({"FlowgraphAllReduceMean"})  # op types that reduce over the mesh's axis

# flowgraph-specific: TF1's collective ops (CollectiveReduce) need group/instance keys that
# the data-parallel mode has no use for; one job-wide mean is all it takes.
declare(
    "FlowgraphAllReduceMean",
    inputs=("input: T",),
    outputs=("output: T",),
    attrs=("T: list(type) >= 1",),
    stateful=True,
)

_chosen = {"mesh": None}


@register(
    "FlowgraphAllReduceMean",
    effects=SIDE_EFFECTS,
    shape=lambda specs, attrs, static_values: list(specs),
)
def all_reduce_mean(*input):
    # In all-reduce mode the compiled step calls `mean_over_mesh` instead (device.collective).
    if job_mesh() is None:
        return tuple(input)
    raise UnimplementedError(
        None, None, "FlowgraphAllReduceMean runs only in a compiled step, not inside a loop body"
    )


def mean_over_mesh(*input):
    """The op's values in a step traced per device under `shard_map` over the job's mesh."""
    return tuple(lax.pmean(x, AXIS) for x in input)


def job_mesh() -> Mesh | None:
    """The mesh collective ops reduce over: every device of the `jax.distributed` job (None
    in a single process, unless `use_mesh` set one)."""
    if _chosen["mesh"] is not None:
        return _chosen["mesh"]
    return _every_device() if jax.process_count() > 1 else None


@functools.cache
def _every_device() -> Mesh:
    return Mesh(np.array(jax.devices()), (AXIS,))


def use_mesh(mesh: Mesh | None) -> None:
    """Makes collective ops reduce over `mesh` from now on (None: the job's devices)."""
    _chosen["mesh"] = mesh


# flowgraph-specific: TF1 synchronizes workers through queues on a ps; this job has none.
declare(
    "FlowgraphJobBarrier",
    inputs=("key: string", "wait_for: string"),
    attrs=("timeout_seconds: int = 600",),
    stateful=True,
)

_barriers_passed: dict[str, int] = {}  # every process passes the same barriers in order


@register("FlowgraphJobBarrier", kind=HOST, effects=SIDE_EFFECTS, shape=lambda *_: [])
def job_barrier(key, wait_for, *, timeout_seconds=600):
    """Waits for the pending writes of the checkpoint prefixes `wait_for`, then for every
    process of the job to reach the barrier `key` (DeadlineExceededError after
    `timeout_seconds`)."""
    prefixes = [p.decode() if isinstance(p, bytes) else str(p) for p in np.ravel(wait_for)]
    for prefix in prefixes:
        io_checkpoint.wait(prefix)
    if jax.process_count() == 1:
        return ()
    key = key.decode() if isinstance(key, bytes) else str(key)
    count = _barriers_passed[key] = _barriers_passed.get(key, 0) + 1
    from jax._src.distributed import global_state  # jax's coordination client, no API

    try:
        global_state.client.wait_at_barrier(f"flowgraph/{count}/{key}", 1000 * timeout_seconds)
    except jax.errors.JaxRuntimeError as e:
        raise DeadlineExceededError(
            None, None, f"Processes of the job did not all reach the barrier: {e}"
        ) from None
    return ()
