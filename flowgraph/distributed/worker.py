"""The worker service: runs registered partitions on the task's resource manager."""

from __future__ import annotations

import itertools
import os
import threading
import time

import numpy as np
from tensorboard.compat.proto import graph_pb2

from device import Store
from device.spec import DeviceSpec
from flowgraph.client.session import BaseSession
from flowgraph.distributed import protocol_pb2 as pb
from flowgraph.distributed.wire import Tensors
from flowgraph.framework import graph_def as graph_def_lib
from flowgraph.framework.importer import import_graph_def
from flowgraph.framework.ops import Graph
from kernels import errors, io_checkpoint

CLIENT_DEVICE = "/job:localhost/replica:0/task:0/device:CPU:0"


def rendezvous_key(send_device: str, incarnation: int, recv_device: str, tensor: str) -> str:
    """TF's rendezvous key of a tensor crossing from `send_device` to `recv_device`."""
    return f"{send_device};{incarnation:016x};{recv_device};{tensor};0:0"


def to_named(key: str, value) -> pb.NamedTensorProto:
    """A value as a `NamedTensorProto` (numbers as raw `tensor_content` bytes)."""
    return pb.NamedTensorProto(name=key, tensor=graph_def_lib.make_tensor_proto(value))


def from_named(named) -> tuple[str, np.ndarray]:
    return named.name, graph_def_lib.make_ndarray(named.tensor)


class Worker:
    """A task's WorkerService: its resource manager (variables, queues, accumulators by
    container and shared name) outlives every session and graph registered with it.

    `RunGraph` runs one registered partition: the request's `send` tensors fill its
    `_Recv` nodes and the response carries what its `_Send` nodes send (`recv_key`).
    """

    def __init__(self, task_device: str):
        self.task_device = task_device
        self.incarnation = int.from_bytes(os.urandom(8), "little") >> 1
        self.store = Store()
        self._graphs: dict[str, _Partition] = {}
        self._handles = itertools.count(1)
        self._lock = threading.Lock()

    # -- TF's methods ---------------------------------------------------------------------

    def GetStatus(self, request) -> pb.GetStatusResponse:  # noqa: N802 (TF's method names)
        device = pb.DeviceAttributes(
            name=self.task_device, device_type="CPU", incarnation=self.incarnation
        )
        return pb.GetStatusResponse(device_attributes=[device])

    def CreateWorkerSession(self, request) -> pb.CreateWorkerSessionResponse:  # noqa: N802
        return pb.CreateWorkerSessionResponse()

    def DeleteWorkerSession(self, request) -> pb.DeleteWorkerSessionResponse:  # noqa: N802
        with self._lock:
            for handle in [
                h for h, g in self._graphs.items() if g.session == request.session_handle
            ]:
                self._graphs.pop(handle).close()
        return pb.DeleteWorkerSessionResponse()

    def RegisterGraph(self, request) -> pb.RegisterGraphResponse:  # noqa: N802
        partition = _Partition(request.graph_def, request.session_handle, self.store)
        with self._lock:
            handle = f"{request.session_handle}/{next(self._handles)}"
            self._graphs[handle] = partition
        return pb.RegisterGraphResponse(graph_handle=handle)

    def DeregisterGraph(self, request) -> pb.DeregisterGraphResponse:  # noqa: N802
        with self._lock:
            partition = self._graphs.pop(request.graph_handle, None)
        if partition is not None:
            partition.close()
        return pb.DeregisterGraphResponse()

    def RunGraph(self, request: Tensors) -> Tensors:  # noqa: N802
        """`request`: a RunGraphRequest and its `send` tensors; the response's are `recv`."""
        message = request.message
        values = self.run_graph(message.graph_handle, request.tensors, list(message.recv_key))
        return Tensors(pb.RunGraphResponse(), values)

    def CleanupGraph(self, request) -> pb.CleanupGraphResponse:  # noqa: N802
        return pb.CleanupGraphResponse()  # a step keeps nothing here once RunGraph returns

    def CleanupAll(self, request) -> pb.CleanupAllResponse:  # noqa: N802
        """Drops the resources of `request.container` (the default container, variables
        included, when empty)."""
        self.store.reset(list(request.container))
        return pb.CleanupAllResponse()

    def RecvTensor(self, request) -> pb.RecvTensorResponse:  # noqa: N802
        raise errors.UnimplementedError(
            None, None, "RecvTensor: tensors travel inside RunGraph in this runtime"
        )

    # -- in-process calls (the master's own task) -------------------------------------------

    def run_graph(self, handle: str, sent: dict, recv_keys: list[str]) -> dict:
        """Runs partition `handle` with `sent` (key -> array); the values of `recv_keys`."""
        partition = self._graphs.get(handle)
        if partition is None:
            raise errors.AbortedError(
                None,
                None,
                f"Graph handle is not found: {handle}. Possibly, this worker "
                f"({self.task_device}) just restarted.",
            )
        return partition.run(sent, recv_keys)

    def close(self) -> None:
        """Drops every graph and cancels waits on the resource manager's queues."""
        with self._lock:
            graphs, self._graphs = list(self._graphs.values()), {}
        for partition in graphs:
            partition.close()
        self.store.close()


class _PartitionSession(BaseSession):
    """A session over one partition whose state is the task's resource manager."""

    def __init__(self, graph: Graph, store: Store):
        super().__init__("", graph)
        self._store = store

    def close(self) -> None:
        self._closed = True
        self._runs.clear()
        self._segments.clear()  # the store belongs to the worker: it stays


class _Partition:
    """A registered partition: `_Recv` nodes become placeholders, `_Send` inputs fetches."""

    def __init__(self, graph_def: graph_pb2.GraphDef, session: str, store: Store):
        self.session = session
        local, self.recv_keys, self.send_keys = _localize(graph_def)
        self.graph = Graph()
        with self.graph.as_default():
            import_graph_def(local, name="")
        self._session = _PartitionSession(self.graph, store)
        fetches = list(self.send_keys.values()) + _sinks(local)
        # SaveV2 writes on a writer thread: another task may merge or read the files next.
        self._saves = any(n.op == "SaveV2" for n in local.node)
        self._call = self._session.make_callable(fetches, list(self.recv_keys.values()))
        self._lock = threading.Lock()
        self.last_run_seconds = 0.0

    def run(self, sent: dict, recv_keys: list[str]) -> dict:
        try:
            args = [sent[k] for k in self.recv_keys]
        except KeyError as e:
            raise errors.InvalidArgumentError(
                None, None, f"RunGraph: no value was sent for {e.args[0]}"
            ) from None
        start = time.perf_counter()
        outs = self._call(*args)
        if self._saves:
            io_checkpoint.wait_all()
        self.last_run_seconds = time.perf_counter() - start
        by_key = dict(zip(self.send_keys, outs))
        return {k: by_key[k] for k in recv_keys}

    def close(self) -> None:
        self._session.close()


def _localize(graph_def: graph_pb2.GraphDef):
    """The partition as this task runs it: `_Recv` -> Placeholder, `_Send` dropped, devices
    without job/replica/task; and the rendezvous keys of its receives and sends."""
    out = graph_pb2.GraphDef(versions=graph_def.versions, library=graph_def.library)
    recvs, sends = {}, {}
    for node in graph_def.node:
        if node.op == "_Recv":
            recvs[_key_of(node)] = node.name + ":0"
            out.node.add(name=node.name, op="Placeholder", device=_local(node.device))
            out.node[-1].attr["dtype"].CopyFrom(node.attr["tensor_type"])
            if node.attr["_output_shapes"].list.shape:
                out.node[-1].attr["shape"].shape.CopyFrom(node.attr["_output_shapes"].list.shape[0])
        elif node.op == "_Send":
            name = node.input[0]
            sends[_key_of(node)] = name if ":" in name else name + ":0"
        else:
            copy = out.node.add()
            copy.CopyFrom(node)
            copy.device = _local(node.device)
    return out, recvs, sends


def _key_of(node) -> str:
    attr = node.attr
    return rendezvous_key(
        attr["send_device"].s.decode(),
        attr["send_device_incarnation"].i,
        attr["recv_device"].s.decode(),
        attr["tensor_name"].s.decode(),
    )


def _local(device: str) -> str:
    """A device within this task: `/job:ps/task:0/device:CPU:0` -> `/device:CPU:0`."""
    if not device:
        return ""
    return DeviceSpec.from_string(device).replace(job=None, replica=None, task=None).to_string()


def _sinks(graph_def: graph_pb2.GraphDef) -> list[str]:
    """The ops nothing else in the partition consumes: running them runs all of it."""
    used = {i.lstrip("^").split(":")[0] for n in graph_def.node for i in n.input}
    return [n.name for n in graph_def.node if n.name not in used and n.op != "Placeholder"]
