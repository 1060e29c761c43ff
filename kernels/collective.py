"""The all-reduce of data parallelism on `jax.distributed` (a flowgraph-specific op).

Every process of a `jax.distributed` job contributes its values (a step's gradients, all in
one op); their means over the job's devices are one XLA computation of all-reduces (gloo
between CPU processes, NCCL between GPUs) compiled over the global device mesh. In a single
process it is the identity.
"""

from __future__ import annotations

import functools

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from kernels.errors import UnavailableError
from kernels.op_def import declare
from kernels.registry import HOST, SIDE_EFFECTS, register

# flowgraph-specific: TF1's collective ops (CollectiveReduce) need group/instance keys that
# the data-parallel mode has no use for; one job-wide mean is all it takes.
declare(
    "FlowgraphAllReduceMean",
    inputs=("input: T",),
    outputs=("output: T",),
    attrs=("T: list(type) >= 1",),
    stateful=True,
)


@register(
    "FlowgraphAllReduceMean",
    kind=HOST,
    effects=SIDE_EFFECTS,
    shape=lambda specs, attrs, static_values: list(specs),
)
def all_reduce_mean(*input):
    values = tuple(np.asarray(v) for v in input)
    if jax.process_count() == 1:
        return values
    try:
        return _mean_over_job(values)
    except jax.errors.JaxRuntimeError as e:
        # A peer that died closes its gloo pairs: the survivors fail fast (fail-stop).
        raise UnavailableError(None, None, f"All-reduce across processes failed: {e}") from None


def _mean_over_job(values: tuple) -> tuple:
    """The means of `values` over every device of the job, as local numpy arrays."""
    means = _mean_fn()(tuple(_one_row_per_device(v) for v in values))
    return tuple(np.asarray(m.addressable_data(0)) for m in means)


def _one_row_per_device(value: np.ndarray):
    """A global array of `value` on every device of this process, stacked over the job."""
    sharded, _ = _shardings()
    rows = [jax.device_put(value[None], d) for d in jax.local_devices()]
    shape = (jax.device_count(),) + value.shape
    return jax.make_array_from_single_device_arrays(shape, sharded, rows)


@functools.cache
def _shardings() -> tuple[NamedSharding, NamedSharding]:
    """(one row per device, replicated) over the job's mesh of every device."""
    mesh = Mesh(np.array(jax.devices()), ("replicas",))
    return NamedSharding(mesh, PartitionSpec("replicas")), NamedSharding(mesh, PartitionSpec())


@functools.cache
def _mean_fn():
    _, replicated = _shardings()
    return jax.jit(
        lambda xs: tuple(x.mean(axis=0, dtype=x.dtype) for x in xs), out_shardings=replicated
    )
