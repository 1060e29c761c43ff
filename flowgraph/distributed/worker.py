"""The worker service: runs registered partitions on the task's resource manager."""

from __future__ import annotations

import itertools
import os
import threading
import time
from concurrent import futures

import numpy as np
from tensorboard.compat.proto import graph_pb2

from device import Store
from flowgraph.client.config import RunOptions
from flowgraph.client.session import BaseSession
from flowgraph.distributed import keys, protocol_pb2 as pb, rpc, stages
from flowgraph.distributed.rendezvous import Rendezvous
from flowgraph.distributed.wire import Tensors
from flowgraph.framework import graph_def as graph_def_lib
from flowgraph.framework.importer import import_graph_def
from flowgraph.framework.ops import Graph
from kernels import errors, io_checkpoint


def to_named(key: str, value) -> pb.NamedTensorProto:
    """A value as a `NamedTensorProto` (numbers as raw `tensor_content` bytes)."""
    return pb.NamedTensorProto(name=key, tensor=graph_def_lib.make_tensor_proto(value))


def from_named(named) -> tuple[str, np.ndarray]:
    return named.name, graph_def_lib.make_ndarray(named.tensor)


RECONNECT_SECONDS = 5.0  # how long a pull waits for a task that stopped answering


class Worker:
    """A task's WorkerService: its resource manager (variables, queues, accumulators by
    container and shared name) outlives every session and graph registered with it.

    `RunGraph` runs one registered partition for one step: the request's `send` tensors
    (the client's feeds) fill its `_Recv` nodes, the other tasks' tensors are pulled from
    them with RecvTensor, its sends to other tasks wait in the task's rendezvous for their
    RecvTensor, and the response carries what it sends to the client (`recv_key`).
    """

    def __init__(self, task_device: str):
        self.task_device = task_device
        self.incarnation = int.from_bytes(os.urandom(8), "little") >> 1
        self.store = Store()
        self.rendezvous = Rendezvous()
        # task -> its WorkerService client (the master sets it: it knows the cluster)
        self.peer = None
        self._graphs: dict[str, _Partition] = {}
        self._handles = itertools.count(1)
        self._lock = threading.Lock()
        # Pulls wait on other tasks' steps: enough threads that one step's pulls never
        # queue behind another step's (which may wait on the first, e.g. a sync pair).
        self._pulls = futures.ThreadPoolExecutor(max_workers=64)

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
        values = self.run_graph(
            message.graph_handle, message.step_id, request.tensors, list(message.recv_key),
            rpc.request_timeout(),
        )  # fmt: skip
        return Tensors(pb.RunGraphResponse(), values)

    def CleanupGraph(self, request) -> pb.CleanupGraphResponse:  # noqa: N802
        """Ends step `request.step_id` here: its waits fail (the master calls it when a
        step failed elsewhere; a step that succeeded left nothing behind)."""
        self.abort_step(request.step_id, errors.CancelledError(None, None, "Step was cancelled"))
        return pb.CleanupGraphResponse()

    def CleanupAll(self, request) -> pb.CleanupAllResponse:  # noqa: N802
        """Drops the resources of `request.container` (the default container, variables
        included, when empty)."""
        self.store.reset(list(request.container))
        return pb.CleanupAllResponse()

    def RecvTensor(self, request) -> Tensors:  # noqa: N802
        """The tensor a partition of step `request.step_id` sent under
        `request.rendezvous_key`, once it is sent (raw `tensor_content` bytes)."""
        value = self.rendezvous.recv(request.step_id, request.rendezvous_key, rpc.request_timeout())
        return Tensors(pb.RecvTensorResponse(), {"": value})

    # -- in-process calls (the master's own task) -------------------------------------------

    def run_graph(self, handle: str, step: int, sent: dict, recv_keys: list, timeout=None):
        """Runs partition `handle` in `step` with `sent` (key -> array), within `timeout`
        seconds (None: no limit); the values of `recv_keys`. A failure aborts the step's
        rendezvous here, so that tasks pulling from this one fail too."""
        try:
            partition = self._partition(handle)
            pull = self._puller(step, timeout)
            out = partition.run(step, dict(sent), recv_keys, timeout, pull, self.rendezvous)
            return {k: out[k] for k in recv_keys}
        except Exception as e:
            internal = errors.InternalError(None, None, f"{type(e).__name__}: {e}")
            self.abort_step(step, e if isinstance(e, errors.OpError) else internal)
            raise

    def abort_step(self, step: int, error: errors.OpError) -> None:
        self.rendezvous.abort(step, error)

    def _puller(self, step: int, timeout):
        """`pull(keys)`: the tensors of `keys`, fetched side by side from their tasks (the
        first by this thread). A pull ends when its tensor comes, when the sending task
        fails or aborts the step (the master aborts it on every task), or at `timeout`."""

        def pull(keys: list[str]) -> dict:
            calls = {k: self._pulls.submit(self._pull, step, k, timeout) for k in keys[1:]}
            got = {keys[0]: self._pull(step, keys[0], timeout)} if keys else {}
            got.update((k, c.result()) for k, c in calls.items())
            return got

        return pull

    def _pull(self, step: int, key: str, timeout):
        if key.startswith(keys.CLIENT_DEVICE + ";"):
            raise errors.InvalidArgumentError(None, None, f"RunGraph: no value was sent for {key}")
        task = keys.sender_task(key)
        if self.task_device.startswith(task + "/"):
            return self.rendezvous.recv(step, key, timeout)
        request = pb.RecvTensorRequest(step_id=step, rendezvous_key=key)
        stub = self.peer(task)
        try:
            return stub.call("RecvTensor", request, timeout).tensors[""]
        except errors.UnavailableError:
            if not _answers(stub):
                raise
        return stub.call("RecvTensor", request, timeout).tensors[""]

    def _partition(self, handle: str) -> "_Partition":
        partition = self._graphs.get(handle)
        if partition is None:
            raise errors.AbortedError(
                None,
                None,
                f"Graph handle is not found: {handle}. Possibly, this worker "
                f"({self.task_device}) just restarted.",
            )
        return partition

    def close(self) -> None:
        """Drops every graph and cancels waits on the resource manager's queues."""
        with self._lock:
            graphs, self._graphs = list(self._graphs.values()), {}
        for partition in graphs:
            partition.close()
        self.rendezvous.close()
        self._pulls.shutdown(wait=False, cancel_futures=True)
        self.store.close()


def _answers(stub: rpc.Stub) -> bool:
    """Whether a task whose call just failed answers within `RECONNECT_SECONDS` (it was
    restarted: the connection to its old process had failed)."""
    try:
        stub.call("GetStatus", pb.GetStatusRequest(), RECONNECT_SECONDS, wait=True)
    except (errors.UnavailableError, errors.DeadlineExceededError):
        return False
    return True


class _PartitionSession(BaseSession):
    """A session over one stage of a partition whose state is the task's resource manager."""

    def __init__(self, graph: Graph, store: Store):
        super().__init__("", graph)
        self._store = store

    def close(self) -> None:
        self._closed = True
        self._runs.clear()
        self._segments.clear()  # the store belongs to the worker: it stays


class _Stage:
    """One stage of a partition, imported and made callable: receives and carried values
    in; sends, carried values and targets out."""

    def __init__(self, stage: stages.StageDef, store: Store):
        self.recvs = stage.recvs
        self.carry_in = stage.carry_in
        self.sends = stage.sends
        self.targets = stage.targets
        self.carry_out: list[str] = []
        self.graph = Graph()
        with self.graph.as_default():
            import_graph_def(stage.graph_def, name="")
        self.session = _PartitionSession(self.graph, store)
        # SaveV2 writes on a writer thread: another task may merge or read the files next.
        self.saves = any(n.op == "SaveV2" for n in stage.graph_def.node)
        self.call = None

    def compile(self) -> None:
        fetches = [t for _, t in self.sends] + self.carry_out + self.targets
        feeds = [p for _, p in self.recvs] + [p for _, p in self.carry_in]
        self.call = self.session.make_callable(fetches, feeds, accept_options=True)

    def dtype_of(self, tensor: str) -> tuple:
        found = self.graph.get_tensor_by_name(tensor)
        return found.dtype.base_dtype, found.shape


class _Partition:
    """A registered partition: its stages, run in order by one RunGraph."""

    def __init__(self, graph_def: graph_pb2.GraphDef, session: str, store: Store):
        self.session = session
        self.stages: list[_Stage] = []
        made: dict[str, _Stage] = {}  # tensor -> the stage that computes it
        for stage_def in stages.split(graph_def):
            for tensor, placeholder in stage_def.carry_in:
                _set_placeholder(stage_def.graph_def, placeholder, *made[tensor].dtype_of(tensor))
                if tensor not in made[tensor].carry_out:
                    made[tensor].carry_out.append(tensor)
            stage = _Stage(stage_def, store)
            made.update((n.name + ":" + str(i), stage) for n in stage.graph.get_operations()
                        for i in range(len(n.outputs)))  # fmt: skip
            self.stages.append(stage)
        for stage in self.stages:
            stage.compile()
        self.last_run_seconds = 0.0

    def run(self, step: int, got: dict, wanted: list, timeout, pull, rendezvous) -> dict:
        """Runs the stages: `got` (key -> array) holds the client's feeds, `pull(keys)` gets
        other tasks' tensors; the sends of `wanted` keys come back (key -> array), the
        others wait in `rendezvous` for their receivers."""
        start = time.perf_counter()
        options = None if timeout is None else RunOptions(timeout_in_ms=max(1, int(timeout * 1e3)))
        carried, out, wanted = {}, {}, set(wanted)
        for stage in self.stages:
            got.update(pull([k for k, _ in stage.recvs if k not in got]))
            args = [got[k] for k, _ in stage.recvs] + [carried[t] for t, _ in stage.carry_in]
            values = stage.call(*args, options=options)
            if stage.saves:
                io_checkpoint.wait_all()
            for (key, _), value in zip(stage.sends, values):
                if key in wanted:
                    out[key] = value
                else:
                    rendezvous.send(step, key, value)
            carried.update(zip(stage.carry_out, values[len(stage.sends) :]))
        self.last_run_seconds = time.perf_counter() - start
        return out

    def close(self) -> None:
        for stage in self.stages:
            stage.session.close()


def _set_placeholder(graph_def, name: str, dtype, shape) -> None:
    """Makes `name` (a carried value's stand-in) a placeholder of `dtype` and `shape`."""
    node = graph_def.node.add(name=name.split(":")[0], op="Placeholder")
    node.attr["dtype"].type = dtype.as_datatype_enum
    proto = node.attr["shape"].shape
    if shape.ndims is None:
        proto.unknown_rank = True
    else:
        proto.dim.extend(proto.Dim(size=-1 if d is None else d) for d in shape.as_list())
