"""The all-reduce of data parallelism on `jax.distributed` (a flowgraph-specific op).

Every process of a `jax.distributed` job contributes its value; the mean over the job's
devices is one XLA all-reduce (gloo between CPU processes, NCCL between GPUs) compiled over
the global device mesh. In a single process it is the identity.
"""

from __future__ import annotations

import functools

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from kernels.errors import UnavailableError
from kernels.op_def import declare
from kernels.registry import HOST, SIDE_EFFECTS, register
from kernels.shapes import same_as_first

# flowgraph-specific: TF1's collective ops (CollectiveReduce) need group/instance keys that
# the data-parallel mode has no use for; one job-wide mean is all it takes.
declare(
    "FlowgraphAllReduceMean",
    inputs=("input: T",),
    outputs=("output: T",),
    attrs=("T: {half, bfloat16, float, double}",),
    stateful=True,
)


@register("FlowgraphAllReduceMean", kind=HOST, effects=SIDE_EFFECTS, shape=same_as_first)
def all_reduce_mean(input):
    value = np.asarray(input)
    if jax.process_count() == 1:
        return value
    try:
        return _mean_over_job(value)
    except jax.errors.JaxRuntimeError as e:
        # A peer that died closes its gloo pairs: the survivors fail fast (fail-stop).
        raise UnavailableError(None, None, f"All-reduce across processes failed: {e}") from None


def _mean_over_job(value: np.ndarray) -> np.ndarray:
    """The mean of `value` over every device of the job, as a local numpy array."""
    devices = jax.local_devices()
    sharded, _ = _shardings()
    rows = [jax.device_put(value[None], d) for d in devices]
    global_value = jax.make_array_from_single_device_arrays(
        (jax.device_count(),) + value.shape, sharded, rows
    )
    return np.asarray(_mean_fn()(global_value).addressable_data(0))


@functools.cache
def _shardings() -> tuple[NamedSharding, NamedSharding]:
    """(one row per device, replicated) over the job's mesh of every device."""
    mesh = Mesh(np.array(jax.devices()), ("replicas",))
    return NamedSharding(mesh, PartitionSpec("replicas")), NamedSharding(mesh, PartitionSpec())


@functools.cache
def _mean_fn():
    _, replicated = _shardings()
    return jax.jit(lambda x: x.mean(axis=0, dtype=x.dtype), out_shardings=replicated)
