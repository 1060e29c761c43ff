"""Checkpoints of the all-reduce mode: one bundle shard per process, merged by the chief.

A `Saver(sharded=True)` (MonitoredTrainingSession's default) built once `enable_allreduce`
joined this process to a job of N processes saves as TF's sharded save does, the shards
spread over the processes instead of the devices: process i writes the variables assigned
to it (balanced by size, the same assignment in every process) as
`<prefix>_temp/part-0000i-of-0000N`; every process waits at a job barrier until every
shard is written; the chief (process 0) merges them into `<prefix>.index` and
`<prefix>.data-0000i-of-0000N` (TF's layout); a second barrier returns every process's
save once the merged checkpoint exists. Nothing is gathered on one process: each writes
1/N of the bytes, in parallel. Every process runs the save (MonitoredTrainingSession does,
at the same steps); the chief alone writes the MetaGraph and the `checkpoint` state file.
Every process restores the whole checkpoint, as from any other.
"""

from __future__ import annotations

import os

import jax
import numpy as np

from flowgraph.distribute.allreduce import allreduce_enabled
from flowgraph.framework import dtypes
from flowgraph.framework.ops import Tensor, apply_op
from flowgraph.framework.scopes import control_dependencies, name_scope
from flowgraph.ops import array_ops, string_ops
from flowgraph.ops.constant_op import constant, convert_to_tensor


def job_shard() -> tuple[int, int] | None:
    """(this process's index, the number of processes) when a sharded save writes one
    shard per process; None in a single process or outside the all-reduce mode."""
    if not allreduce_enabled() or jax.process_count() == 1:
        return None
    return jax.process_index(), jax.process_count()


def job_sharded_save_op(builder, checkpoint_prefix, saveables, shard) -> Tensor:
    """This process's part of a sharded save over the job; returns the prefix once the
    merged checkpoint exists (`builder`: the Saver's `BaseSaverBuilder`)."""
    from flowgraph.train import saver  # the Saver builds with this module: lazy

    index, count = shard
    tmp_prefix = string_ops.string_join([checkpoint_prefix, os.path.normpath("_temp/part")])
    num_shards = constant(count, dtype=dtypes.int32, name="num_shards")
    prefixes = [saver.sharded_filename(tmp_prefix, i, num_shards) for i in range(count)]
    save = builder.save_op(prefixes[index], assign_to_processes(saveables, count)[index])
    with control_dependencies([save]):
        done = job_barrier([checkpoint_prefix, ":shards"], prefixes[index], "shards_written")
    if index == 0:
        with control_dependencies([done]):
            done = saver.merge_v2_checkpoints(prefixes, checkpoint_prefix)
    with control_dependencies([done]):
        merged = job_barrier([checkpoint_prefix, ":merged"], checkpoint_prefix, "merged")
    with control_dependencies([merged]):
        return array_ops.identity(checkpoint_prefix)


def assign_to_processes(saveables, count: int) -> list[list]:
    """`saveables` split into `count` lists of about equal bytes (largest first, each to
    the lightest list), in their own order within each list."""
    loads, owner = [0] * count, {}
    sizes = {id(s): _bytes(s) for s in saveables}
    for s in sorted(saveables, key=lambda s: -sizes[id(s)]):
        lightest = loads.index(min(loads))
        owner[id(s)], loads[lightest] = lightest, loads[lightest] + sizes[id(s)]
    return [[s for s in saveables if owner[id(s)] == i] for i in range(count)]


def _bytes(saveable) -> int:
    total = 0
    for spec in saveable.specs:
        shape = spec.tensor.get_shape()
        dims = shape.as_list() if shape.is_fully_defined() else []
        total += int(np.prod(dims, dtype=np.int64)) * max(spec.dtype.size, 1)
    return total


def job_barrier(key_parts, wait_for, name=None):
    """A `FlowgraphJobBarrier`: the pending writes of `wait_for` done, waits for every
    process to reach the barrier named by joining `key_parts`."""
    with name_scope(name, "JobBarrier") as scope:
        key = string_ops.string_join(key_parts)
        wait_for = convert_to_tensor(wait_for, dtype=dtypes.string)
        return apply_op("FlowgraphJobBarrier", [key, wait_for], name=scope)
