"""Tracing a run (`RunOptions(trace_level=FULL_TRACE)`): TF's `StepStats` per device —
segment, host-op and transfer times with bytes — and each segment as a `GraphDef`."""

from __future__ import annotations

import dataclasses
import time
from typing import Any, Callable

import jax
import numpy as np
from tensorboard.compat.proto import graph_pb2, step_stats_pb2, types_pb2

from device.context import RunContext
from device.executor import Plan, Step, _call
from device.ir import Edge, Node
from device.place import device_name

_HOST = "/job:localhost/replica:0/task:0/device:CPU:0"  # where TF runs host kernels
_DTYPES = {
    "float16": "DT_HALF",
    "bfloat16": "DT_BFLOAT16",
    "float32": "DT_FLOAT",
    "float64": "DT_DOUBLE",
    "int8": "DT_INT8",
    "int16": "DT_INT16",
    "int32": "DT_INT32",
    "int64": "DT_INT64",
    "uint8": "DT_UINT8",
    "uint16": "DT_UINT16",
    "uint32": "DT_UINT32",
    "uint64": "DT_UINT64",
    "bool": "DT_BOOL",
    "complex64": "DT_COMPLEX64",
    "complex128": "DT_COMPLEX128",
    "object": "DT_STRING",
}


def _now_ns() -> int:
    return time.time_ns()


def tensor_name(edge: Edge) -> str:
    return f"{edge[0]}:{edge[1]}"


def segment_device(plan: Plan, step: Step) -> str:
    """The full name of the device a step runs on (host segments: their ops' CPU)."""
    seg = step.segment
    if seg.device is not None:
        return device_name(seg.device)
    placed = plan.info.placement.get(seg.nodes[0].name) if seg.nodes else None
    return device_name(placed) if placed is not None and placed.platform == "cpu" else _HOST


def segment_label(step: Step) -> str:
    """`segment_3 = XlaSegment(x:0, y:0) [ops: a, b]`: TF's `name = Op(inputs)` label form."""
    seg = step.segment
    ins = ", ".join(tensor_name(e) for e in seg.inputs)
    ops = ", ".join(n.name for n in seg.nodes)
    return f"segment_{seg.index} = {seg.kind.capitalize()}Segment({ins}) [ops: {ops}]"


class StepRecorder:
    """Collects a traced run's `StepStats`: the hooks `Plan.run` calls per step when its
    context has this recorder.

    Each step's inputs are first moved to its device (timed, with their bytes, as transfer
    nodes on `<device>/memcpy`), then the step runs and is waited for, so its end time is
    when its results exist.
    """

    def __init__(self, plan: Plan):
        self.plan = plan
        self.stats = step_stats_pb2.StepStats()
        self._devices: dict[str, step_stats_pb2.DeviceStepStats] = {}
        self._producer: dict[Edge, str] = {
            e: segment_device(plan, s) for s in plan.steps for e in s.segment.outputs
        }

    def device_stats(self, name: str) -> step_stats_pb2.DeviceStepStats:
        stats = self._devices.get(name)
        if stats is None:
            stats = self._devices[name] = self.stats.dev_stats.add(device=name)
        return stats

    def inputs(self, step: Step, args: list) -> list:
        seg = step.segment
        dest = segment_device(self.plan, step)
        moved = []
        for edge, value in zip(seg.inputs, args):
            if edge not in seg.static and _elsewhere(value, seg.device):
                value = self._transfer(edge, value, seg.device, dest)
            moved.append(value)
        return moved

    def _transfer(self, edge: Edge, value: Any, device, dest: str) -> Any:
        source = self._producer.get(edge, "feed")
        start = _now_ns()
        if device is None:
            moved = np.asarray(value)
        else:
            moved = jax.block_until_ready(jax.device_put(value, device))
        end = _now_ns()
        nbytes = int(np.asarray(moved).nbytes) if device is None else int(moved.nbytes)
        label = f"{tensor_name(edge)} = _Transfer({tensor_name(edge)}) [{source} -> {dest}]"
        stats = self._record(dest + "/memcpy", f"{tensor_name(edge)}/_Transfer", start, end)
        stats.timeline_label = label
        _describe_output(stats.output.add(slot=0), moved, nbytes)
        return moved

    def call(self, index: int, step: Step, args: list, ctx: RunContext) -> tuple:
        dest = segment_device(self.plan, step)
        if step.host:  # time each host op too
            ctx = dataclasses.replace(ctx, host_timer=self._host_timer(dest))
        start = _now_ns()
        outs = jax.block_until_ready(_call(step, args, ctx))
        end = _now_ns()
        if self.plan.info.first_call_seconds[index] is None:
            self.plan.info.first_call_seconds[index] = (end - start) / 1e9
        stats = self._record(dest, f"segment_{step.segment.index}", start, end)
        stats.timeline_label = segment_label(step)
        for slot, value in enumerate(outs):
            _describe_output(stats.output.add(slot=slot), value)
        return outs

    def _host_timer(self, dest: str) -> Callable:
        def timer(node: Node, run_node: Callable, frame) -> None:
            start = _now_ns()
            run_node(node, frame)
            stats = self._record(dest, node.name, start, _now_ns(), thread=1)
            ins = ", ".join(tensor_name(e) for e in node.inputs)
            stats.timeline_label = f"{node.name} = {node.op}({ins})"

        return timer

    def _record(self, device: str, name: str, start: int, end: int, thread: int = 0):
        stats = self.device_stats(device).node_stats.add(node_name=name, thread_id=thread)
        stats.all_start_nanos, stats.all_start_micros = start, start // 1000
        duration = end - start
        stats.op_end_rel_nanos = stats.all_end_rel_nanos = duration
        stats.op_end_rel_micros = stats.all_end_rel_micros = duration // 1000
        return stats


def _elsewhere(value: Any, device) -> bool:
    """Whether `value` must move to run on `device` (None: the host, as numpy)."""
    if device is None:
        return isinstance(value, jax.Array)
    if isinstance(value, jax.Array):
        return value.devices() != {device}
    return isinstance(value, (np.ndarray, np.generic))


def _describe_output(out: step_stats_pb2.NodeOutput, value: Any, nbytes: int | None = None):
    array = value if hasattr(value, "shape") and hasattr(value, "dtype") else np.asarray(value)
    desc = out.tensor_description
    name = _DTYPES.get(np.dtype(array.dtype).name)
    if name is not None:
        desc.dtype = types_pb2.DataType.Value(name)
    for d in array.shape:
        desc.shape.dim.add(size=int(d))
    size = int(array.nbytes) if nbytes is None else nbytes
    desc.allocation_description.requested_bytes = size
    desc.allocation_description.allocated_bytes = size


def partition_graphs(plan: Plan, node_def: Callable) -> list[graph_pb2.GraphDef]:
    """One GraphDef per segment, each node written whole by the one serializer:
    `node_def(node, device, library) -> NodeDef` (functions go into `library`)."""
    out = []
    for step in plan.steps:
        device = segment_device(plan, step)
        graph = graph_pb2.GraphDef()
        graph.node.extend(node_def(n, device, graph.library) for n in step.segment.nodes)
        out.append(graph)
    return out
