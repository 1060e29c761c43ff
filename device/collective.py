"""The collective hook: a segment holding a collective op is compiled over the job's mesh.

In all-reduce mode (`kernels.collective.job_mesh()` is a mesh), the traced function of a
segment with a collective op (`kernels.collective.OPS`) runs per device under `shard_map`
over the mesh of every process's devices, where the op is `lax.pmean` over the mesh's
axis (`reductions`: called in place of its kernel): the step and its all-reduce are one
compiled program, launched by every process.
Each process passes its own values (variables, feeds, keys) as the local blocks of global
arrays (every local device holds a copy; the blocks differ between processes, which
`shard_map` allows with `check_vma=False`), and takes its local copy of every output back:
the store keeps single-device arrays, which the process's other segments use as ever.
"""

from __future__ import annotations

import re
from typing import Callable

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from device.partition import Segment
from kernels import collective, registry
from kernels.errors import UnavailableError


def mesh_of(segment: Segment) -> Mesh | None:
    """The mesh `segment` is compiled over, or None (no collective op, or one process)."""
    if segment.kind != registry.XLA or not any(n.op in collective.OPS for n in segment.nodes):
        return None
    return collective.job_mesh()


def reductions(segment: Segment) -> dict:
    """What a per-device trace calls in place of the segment's collective kernels."""
    return {n.name: _mean_over_mesh for n in segment.nodes if n.op in collective.OPS}


def _mean_over_mesh(kernel, args, attrs) -> tuple:
    return collective.mean_over_mesh(*args)


def per_device(trace: Callable, mesh: Mesh, static_positions: tuple[int, ...]) -> Callable:
    """`trace` run on every device of `mesh` under `shard_map`; static arguments stay
    compile-time values, every other argument is the device's block."""

    def spmd(*args):
        dynamic = [i for i in range(len(args)) if i not in static_positions]

        def body(*blocks):
            full = list(args)
            for i, block in zip(dynamic, blocks):
                full[i] = block
            return trace(*full)

        mapped = jax.shard_map(
            body, mesh=mesh, in_specs=PartitionSpec(), out_specs=PartitionSpec(), check_vma=False
        )
        return mapped(*(args[i] for i in dynamic))

    return spmd


def over_job(jitted: Callable, mesh: Mesh, static_positions, segment: Segment) -> Callable:
    """Calls `jitted` (a `per_device` function) on this process's values as global arrays;
    returns the local copies of its results. A failed collective (a peer died) raises
    `UnavailableError` naming the op, once the step has run: fail-stop, never a hang."""
    sharding = NamedSharding(mesh, PartitionSpec())
    devices = mesh.local_devices
    node = next(n for n in segment.nodes if n.op in collective.OPS)

    def call(*args):
        args = [
            a if i in static_positions else _global(a, sharding, devices)
            for i, a in enumerate(args)
        ]
        try:
            results = jax.block_until_ready(jitted(*args))
        except (jax.errors.JaxRuntimeError, ValueError) as e:
            if not _RUNTIME_STATUS.match(str(e)):  # an error of tracing, not of the run
                raise
            raise UnavailableError(
                node, None, f"All-reduce across processes failed in {node.name}: {e}"
            ) from None
        return jax.tree.map(_local, results)

    return call


# How the runtime words a failed run (gloo's "Connection closed by peer" comes as a
# ValueError "UNKNOWN: Gloo all-reduce failed: ..."): an XLA status code first.
_RUNTIME_STATUS = re.compile(r"[A-Z_]+: ")


def _global(value, sharding: NamedSharding, devices: list) -> jax.Array:
    """`value` as this process's blocks of a global array (one copy per local device)."""
    value = value if isinstance(value, jax.Array) else np.asarray(value)
    blocks = [jax.device_put(value, d) for d in devices]
    return jax.make_array_from_single_device_arrays(value.shape, sharding, blocks)


def _local(value: jax.Array) -> jax.Array:
    return value.addressable_data(0)
