"""The master service: a `grpc://` session's graph placed on tasks, cut into partitions,
registered once with their tasks and run step by step."""

from __future__ import annotations

import itertools
import os
import threading
import time
from concurrent import futures
from dataclasses import dataclass, field

from absl import logging
from tensorboard.compat.proto import graph_pb2

from device.ir import Edge, GraphIR, Node
from device.place import colocation_groups
from device.prune import prune
from device.spec import DeviceSpec
from flowgraph.distributed import protocol_pb2 as pb
from flowgraph.distributed.keys import CLIENT_DEVICE, rendezvous_key
from flowgraph.distributed.rpc import Stub
from flowgraph.distributed.stages import STAGE_ATTR
from flowgraph.distributed.wire import Tensors
from flowgraph.distributed.worker import Worker
from flowgraph.framework import dtypes
from flowgraph.framework.importer import import_graph_def
from flowgraph.framework.ops import Graph
from kernels import errors

WAIT_LOG_SECONDS = 10.0  # TF logs a task it still waits for every 10 s

# The masters of this process's servers by address: their sessions skip gRPC (TF's LocalMaster).
LOCAL_MASTERS: dict[str, "Master"] = {}


def task_name(job: str, task: int) -> str:
    return f"/job:{job}/replica:0/task:{task}"


class Master:
    """A server's MasterService: sessions whose partitions run on the cluster's tasks.

    The master's own task is reached in-process (no RPC), every other one over gRPC.
    """

    def __init__(self, cluster: dict, job: str, task: int, worker: Worker, default_config=None):
        self.cluster = cluster
        self.default_config = default_config
        self.task = task_name(job, task)
        self.worker = worker
        self._stubs: dict[str, Stub] = {}
        self._sessions: dict[str, _MasterSession] = {}
        self._handles = itertools.count(1)
        self._lock = threading.Lock()
        self.pool = futures.ThreadPoolExecutor(max_workers=8)
        # Step ids: unique across the masters of a cluster (tasks' rendezvous are shared).
        self.steps = itertools.count(int.from_bytes(os.urandom(5), "little") << 16)
        worker.peer = self.stub

    def tasks(self) -> list[str]:
        return [task_name(j, t) for j in self.cluster for t in sorted(self.cluster[j])]

    def stub(self, task: str) -> Stub:
        """The gRPC client of `task`'s services, made once."""
        with self._lock:
            if task not in self._stubs:
                spec = DeviceSpec.from_string(task)
                self._stubs[task] = Stub(self.cluster[spec.job][spec.task], task)
            return self._stubs[task]

    # -- TF's methods ---------------------------------------------------------------------

    def CreateSession(self, request) -> pb.CreateSessionResponse:  # noqa: N802 (TF's names)
        handle = self.create_session(request.graph_def, request.config)
        return pb.CreateSessionResponse(session_handle=handle, graph_version=0)

    def ExtendSession(self, request) -> pb.ExtendSessionResponse:  # noqa: N802
        session = self._session(request.session_handle)
        version = session.extend(request.graph_def, request.current_graph_version)
        return pb.ExtendSessionResponse(new_graph_version=version)

    def RunStep(self, request: Tensors) -> Tensors:  # noqa: N802
        """`request`: a RunStepRequest and its `feed` tensors; the response's are `tensor`."""
        message = request.message
        timeout = message.options.timeout_in_ms / 1000 if message.options.timeout_in_ms else None
        fetches = list(message.fetch)
        values = self.run_step(
            message.session_handle, request.tensors, fetches, list(message.target), timeout
        )
        return Tensors(pb.RunStepResponse(), dict(zip(fetches, values)))

    def CloseSession(self, request) -> pb.CloseSessionResponse:  # noqa: N802
        self.close_session(request.session_handle)
        return pb.CloseSessionResponse()

    def ListDevices(self, request) -> pb.ListDevicesResponse:  # noqa: N802
        local = self.worker.GetStatus(pb.GetStatusRequest()).device_attributes
        remote = [
            d
            for task in self.tasks()
            if task != self.task
            for d in self.stub(task).call("GetStatus", pb.GetStatusRequest(), 10).device_attributes
        ]
        return pb.ListDevicesResponse(local_device=local, remote_device=remote)

    def Reset(self, request) -> pb.ResetResponse:  # noqa: N802
        """TF's `Session.reset`: closes every session of this master and clears the
        containers named (the default one when none) on each task `device_filters` keep."""
        with self._lock:
            sessions, self._sessions = list(self._sessions.values()), {}
        for session in sessions:
            session.close()
        cleanup = pb.CleanupAllRequest(container=list(request.container))
        for task in self.tasks():
            if not _kept(task, request.device_filters):
                continue
            if task == self.task:
                self.worker.CleanupAll(cleanup)
            else:
                self.stub(task).call("CleanupAll", cleanup, 30)
        return pb.ResetResponse()

    # -- in-process calls -------------------------------------------------------------------

    def create_session(self, graph_def, config) -> str:
        """A new session on `graph_def`, once every task it may use answers (`config`
        over the server's default session config)."""
        if self.default_config is not None:
            merged = type(config)()
            merged.CopyFrom(self.default_config)
            merged.MergeFrom(config)
            config = merged
        incarnations = self._wait_for_tasks(config)
        handle = f"{os.getpid():x}{id(self):x}/{next(self._handles)}"
        session = _MasterSession(self, handle, config, incarnations)
        session.extend(graph_def, 0)
        with self._lock:
            self._sessions[handle] = session
        return handle

    def run_step(self, handle, feeds: dict, fetches: list, targets: list, timeout=None) -> list:
        return self._session(handle).run(feeds, fetches, targets, timeout)

    def close_session(self, handle: str) -> None:
        with self._lock:
            session = self._sessions.pop(handle, None)
        if session is not None:
            session.close()

    def _session(self, handle: str) -> "_MasterSession":
        session = self._sessions.get(handle)
        if session is None:
            raise errors.AbortedError(None, None, f"Session {handle} is not found.")
        return session

    def _wait_for_tasks(self, config) -> dict[str, int]:
        """Each task's incarnation; waits for those `device_filters` keep, logging the
        ones still silent every 10 s (DeadlineExceededError after the operation timeout)."""
        tasks = [t for t in self.tasks() if _kept(t, config.device_filters)]
        found = {self.task: self.worker.incarnation}
        deadline = config.operation_timeout_in_ms / 1000 if config.operation_timeout_in_ms else None
        start = last_log = time.monotonic()
        while True:
            pending = [t for t in tasks if t not in found]
            probes = {t: self.pool.submit(self._probe, t) for t in pending}
            found.update((t, p.result()) for t, p in probes.items() if p.result() is not None)
            pending = [t for t in tasks if t not in found]
            if not pending:
                return found
            waited = time.monotonic() - start
            if deadline is not None and waited >= deadline:
                raise errors.DeadlineExceededError(
                    None,
                    None,
                    f"CreateSession timed out after {waited:.1f} s waiting for response from "
                    f"worker(s): {', '.join(pending)}",
                )
            if time.monotonic() - last_log >= min(WAIT_LOG_SECONDS, deadline or WAIT_LOG_SECONDS):
                last_log = time.monotonic()
                for task in pending:
                    logging.warning(
                        "CreateSession still waiting for response from worker: %s", task
                    )

    def _probe(self, task: str) -> int | None:
        try:
            status = self.stub(task).call("GetStatus", pb.GetStatusRequest(), 1.0, wait=True)
        except (errors.UnavailableError, errors.DeadlineExceededError):
            return None
        return status.device_attributes[0].incarnation if status.device_attributes else 0

    def close(self) -> None:
        for handle in list(self._sessions):
            self.close_session(handle)
        self.pool.shutdown(wait=False, cancel_futures=True)
        for stub in self._stubs.values():
            stub.close()


def _kept(task: str, filters) -> bool:
    """Whether `task` matches one of `device_filters` (all tasks when there are none)."""
    if not filters:
        return True
    spec = DeviceSpec.from_string(task)
    for f in filters:
        want = DeviceSpec.from_string(f)
        if want.job in (None, spec.job) and want.task in (None, spec.task):
            return True
    return False


@dataclass
class _Piece:
    """A partition: one task's nodes in a step, registered once, run by one RunGraph."""

    task: str
    nodes: list[Node] = field(default_factory=list)
    handle: str = ""
    recv_keys: list[str] = field(default_factory=list)  # what the client feeds it
    send_keys: list[str] = field(default_factory=list)  # what it sends the client


@dataclass
class _StepPlan:
    pieces: list[_Piece]
    fetch_keys: list[str | None]  # None: a fed tensor, answered from the feeds
    feed_keys: dict[str, list[str]]  # fed tensor name -> the keys of its receives


class _MasterSession:
    """One client session: its graph (extended by the client), placement and step plans."""

    def __init__(self, master: Master, handle: str, config, incarnations: dict[str, int]):
        self.master = master
        self.handle = handle
        self.config = config
        self.incarnations = incarnations
        self.nodes: dict[str, object] = {}  # name -> NodeDef, as the client sent them
        self.library = graph_pb2.GraphDef().library
        self.version = 0
        self._graph: Graph | None = None
        self._plans: dict[tuple, _StepPlan] = {}
        self._placement: dict[str, str] | None = None
        self.registered: set[str] = set()  # tasks holding partitions of this session
        self._lock = threading.Lock()

    def extend(self, graph_def, version: int) -> int:
        with self._lock:
            if version != self.version:
                raise errors.FailedPreconditionError(
                    None, None, f"Graph version mismatch: session is at {self.version}, "
                    f"the request at {version}"
                )  # fmt: skip
            taken = [n.name for n in graph_def.node if n.name in self.nodes]
            if taken:
                raise errors.InvalidArgumentError(
                    None, None, f"Duplicate node name in graph: '{taken[0]}'"
                )
            self.nodes.update((n.name, n) for n in graph_def.node)
            self.library.MergeFrom(graph_def.library)
            self._graph = None
            self.version += 1
            return self.version

    def graph(self) -> Graph:
        if self._graph is None:
            graph_def = graph_pb2.GraphDef(node=self.nodes.values(), library=self.library)
            graph = Graph()
            with graph.as_default():
                import_graph_def(graph_def, name="")
            self._graph, self._placement, self._plans = graph, None, {}
        return self._graph

    def run(self, feeds: dict, fetches: list, targets: list, timeout) -> list:
        """One step: every task's partition at once, one RunGraph each; tensors between
        tasks go by RecvTensor. A failed partition ends the step on every task."""
        feeds = {_tensor_name(k): v for k, v in feeds.items()}
        key = (tuple(feeds), tuple(fetches), tuple(targets))
        with self._lock:
            plan = self._plans.get(key)
            if plan is None:
                plan = self._plans[key] = self._plan(list(feeds), fetches, targets)
        sent: dict[str, object] = {}
        for name, value in feeds.items():
            sent.update((k, value) for k in plan.feed_keys.get(name, ()))
        step = next(self.master.steps)
        values = self._run_pieces(plan.pieces, step, sent, timeout)
        return [
            feeds[_tensor_name(f)] if k is None else values[k]
            for f, k in zip(fetches, plan.fetch_keys)
        ]

    def _run_pieces(self, pieces: list[_Piece], step: int, sent: dict, timeout) -> dict:
        failures: list[errors.OpError] = []  # in the order they happened

        def failed(error: errors.OpError) -> None:
            failures.append(error)
            if len(failures) == 1:
                self._abort(pieces, step)

        def watch(call: futures.Future) -> None:
            if isinstance(call.exception(), errors.OpError):
                failed(call.exception())

        calls = []
        for piece in pieces:
            if piece.task != self.master.task:
                calls.append(self.master.pool.submit(self._run_piece, piece, step, sent, timeout))
                calls[-1].add_done_callback(watch)
        values: dict[str, object] = {}
        for piece in pieces:
            if piece.task == self.master.task:  # this thread runs its own task's partition
                try:
                    values.update(self._run_piece(piece, step, sent, timeout))
                except errors.OpError as e:
                    failed(e)
        futures.wait(calls, return_when=futures.FIRST_EXCEPTION)
        if failures:  # the cause, not the cancellations it caused elsewhere
            raise next((e for e in failures if not isinstance(e, errors.CancelledError)),
                       failures[0])  # fmt: skip
        for call in calls:
            values.update(call.result())
        return values

    def _run_piece(self, piece: _Piece, step: int, sent: dict, timeout) -> dict:
        sent = {k: sent[k] for k in piece.recv_keys}
        if piece.task == self.master.task:
            return self.master.worker.run_graph(piece.handle, step, sent, piece.send_keys,
                                                timeout)  # fmt: skip
        request = pb.RunGraphRequest(
            graph_handle=piece.handle, session_handle=self.handle, step_id=step,
            recv_key=piece.send_keys,
        )  # fmt: skip
        return (
            self.master.stub(piece.task).call("RunGraph", Tensors(request, sent), timeout).tensors
        )

    def _abort(self, pieces: list[_Piece], step: int) -> None:
        """Ends `step` on every task of the plan (CleanupGraph), without waiting."""
        cancelled = errors.CancelledError(None, None, "Step was cancelled")
        for piece in pieces:
            if piece.task == self.master.task:
                self.master.worker.abort_step(step, cancelled)
            else:
                request = pb.CleanupGraphRequest(step_id=step)
                self.master.pool.submit(_quietly, self.master.stub(piece.task), request)

    def _plan(self, feeds: list, fetches: list, targets: list) -> _StepPlan:
        graph = self.graph()
        ir = graph._as_ir()
        feed_edges = [_edge(graph, f) for f in feeds]
        fetch_edges = [_edge(graph, f) for f in fetches]
        for t in targets:
            graph.get_operation_by_name(t)
        nodes = prune(ir, fetch_edges, frozenset(feed_edges), targets)
        tasks = self._tasks(ir)
        builder = _Partitioner(self, ir, tasks, feed_edges, nodes)
        plan = builder.build(fetch_edges)
        for piece in plan.pieces:
            piece.handle = self._register(piece.task, builder.graph_defs[piece.task])
        return plan

    def _tasks(self, ir: GraphIR) -> dict[str, str]:
        """Every node's task: its colocation group's requested job and task, else the
        master's own; InvalidArgumentError naming the op for a task the cluster lacks."""
        if self._placement is None:
            placed = {}
            for group in colocation_groups(ir):
                task = self._task_of(group)
                placed.update((n.name, task) for n in group)
            self._placement = placed
        return self._placement

    def _task_of(self, group: list[Node]) -> str:
        own = DeviceSpec.from_string(self.master.task)
        request = DeviceSpec()
        for node in group:
            if node.device:
                request.merge_from(DeviceSpec.from_string(node.device))
        if request.job in (None, "localhost"):
            return self.master.task
        task = (
            request.task
            if request.task is not None
            else (own.task if request.job == own.job else 0)
        )
        name = task_name(request.job, task)
        if request.job not in self.master.cluster or task not in self.master.cluster[request.job]:
            node = next(n for n in group if n.device)
            raise errors.InvalidArgumentError(
                None,
                None,
                f"Cannot assign a device for operation {node.name}: Could not satisfy explicit "
                f"device specification '{node.device}' because no devices matching that "
                f"specification are registered in this process; available devices: "
                f"{', '.join(t + '/device:CPU:0' for t in self.master.tasks())}",
            )
        return name

    def _register(self, task: str, graph_def) -> str:
        self.registered.add(task)
        request = pb.RegisterGraphRequest(session_handle=self.handle, graph_def=graph_def)
        if task == self.master.task:
            return self.master.worker.RegisterGraph(request).graph_handle
        return self.master.stub(task).call("RegisterGraph", request, 60).graph_handle

    def close(self) -> None:
        """Drops the session's partitions on every task it registered them with."""
        request = pb.DeleteWorkerSessionRequest(session_handle=self.handle)
        for task in sorted(self.registered):
            try:
                if task == self.master.task:
                    self.master.worker.DeleteWorkerSession(request)
                else:
                    self.master.stub(task).call("DeleteWorkerSession", request, 5)
            except errors.OpError:
                pass  # the task is gone: so are the graphs


def _quietly(stub: Stub, request) -> None:
    try:
        stub.call("CleanupGraph", request, 5)
    except errors.OpError:
        pass  # a task that is gone has no step to end


def _tensor_name(name: str) -> str:
    return name if ":" in name else name + ":0"


def _edge(graph: Graph, name: str) -> Edge:
    try:
        tensor = graph.get_tensor_by_name(_tensor_name(name))
    except (KeyError, ValueError) as e:
        raise errors.NotFoundError(
            None, None, f"Tensor {name}, specified in either feeds or fetches, was not found in "
            f"the Graph: {e}"
        ) from None  # fmt: skip
    return (tensor.op.name, tensor.value_index)


class _Partitioner:
    """Cuts a pruned step into one partition per task, with `_Send`/`_Recv` pairs on the
    edges between tasks (a control edge sends a dummy value). Each node is marked with its
    stage, the most task changes on a path to it: the task runs its stages in order,
    receiving between them what the others computed (`stages.py`)."""

    def __init__(self, session, ir: GraphIR, tasks, feeds: list[Edge], nodes: list[Node]):
        self.session = session
        self.ir = ir
        self.tasks = dict(tasks)  # this step's: a NoOp may move to its producers' task
        self.fed = set(feeds)
        self.nodes = nodes
        self.graph_defs: dict[str, graph_pb2.GraphDef] = {}
        self.pieces: dict[str, _Piece] = {}
        self.level: dict[str, int] = {}
        self.sends: dict[tuple, str] = {}
        self.feed_keys: dict[str, list[str]] = {}

    def build(self, fetches: list[Edge]) -> _StepPlan:
        self.level = self._stages()
        for node in self.nodes:
            task = self.tasks[node.name]
            if task not in self.pieces:
                self.pieces[task] = _Piece(task)
                self.graph_defs[task] = graph_pb2.GraphDef(library=self.session.library)
            self.pieces[task].nodes.append(node)
        for piece in self.pieces.values():
            self._piece_def(piece)
        fetch_keys = [None if e in self.fed else self._send(e, CLIENT_DEVICE) for e in fetches]
        return _StepPlan(list(self.pieces.values()), fetch_keys, self.feed_keys)

    def _send(self, edge: Edge, to_device: str) -> str:
        """The key of `edge`'s value sent from its task to `to_device`."""
        if (edge, to_device) not in self.sends:
            task = self.tasks[edge[0]]
            key = rendezvous_key(
                _cpu(task), self.session.incarnations.get(task, 0), to_device,
                f"{edge[0]}:{edge[1]}",
            )  # fmt: skip
            self.sends[(edge, to_device)] = key
            dtype = self.ir[edge[0]].output_dtypes[edge[1]] if edge[1] >= 0 else "float32"
            self.graph_defs[task].node.append(self._send_def(edge, task, to_device, key, dtype))
            if to_device == CLIENT_DEVICE:
                self.pieces[task].send_keys.append(key)
        return self.sends[(edge, to_device)]

    def _stages(self) -> dict[str, int]:
        """Each node's stage. A NoOp joins the task of all its producers (a control hop
        would cost a stage), and a node that reads no state runs as late as its consumers
        allow (a constant runs with its consumer rather than in a stage of its own)."""
        tasks, level, free = self.tasks, {}, set()  # free: pure, reads no state at all
        for node in self.nodes:
            producers = [p for p in self._producers(node) if p in level]
            if not node.kernel.effects.stateful and all(p in free for p in producers):
                free.add(node.name)
            if node.op == "NoOp" and len({tasks[p] for p in producers}) == 1:
                tasks[node.name] = tasks[producers[0]]
            task = tasks[node.name]
            level[node.name] = max([level[p] + (tasks[p] != task) for p in producers], default=0)
        consumers: dict[str, list[str]] = {}
        for node in self.nodes:
            for p in self._producers(node):
                consumers.setdefault(p, []).append(node.name)
        for node in reversed(self.nodes):
            users = consumers.get(node.name)
            if users and node.name in free:
                task = tasks[node.name]
                latest = min(level[c] - (tasks[c] != task) for c in users)
                level[node.name] = max(level[node.name], latest)
        return level

    def _producers(self, node: Node) -> list[str]:
        return [e[0] for e in node.inputs if e not in self.fed] + list(node.control_inputs)

    def _piece_def(self, piece: _Piece) -> None:
        out = self.graph_defs[piece.task]
        device = _cpu(piece.task)
        recvs: dict[Edge, str] = {}

        def recv(edge: Edge) -> str:
            if edge not in recvs:
                recvs[edge] = self._recv(piece, edge, out)
            return recvs[edge]

        for node in piece.nodes:
            node_def = out.node.add()
            node_def.CopyFrom(self.session.nodes[node.name])
            node_def.device = device
            node_def.attr[STAGE_ATTR].i = self.level[node.name]
            del node_def.input[:]
            for edge in node.inputs:
                if edge in self.fed or self.tasks[edge[0]] != piece.task:
                    node_def.input.append(recv(edge))
                else:
                    node_def.input.append(edge[0] if edge[1] == 0 else f"{edge[0]}:{edge[1]}")
            for c in node.control_inputs:
                here = self.tasks[c] == piece.task
                node_def.input.append("^" + (c if here else recv((c, _CONTROL))))

    def _recv(self, piece: _Piece, edge: Edge, out) -> str:
        """A `_Recv` in `piece` of `edge`'s value (of the client's feed when it is fed)."""
        device = _cpu(piece.task)
        if edge in self.fed:
            key = rendezvous_key(CLIENT_DEVICE, 0, device, f"{edge[0]}:{edge[1]}")
            self.feed_keys.setdefault(f"{edge[0]}:{edge[1]}", []).append(key)
            piece.recv_keys.append(key)
        else:
            key = self._send(edge, device)
        control = edge[1] == _CONTROL
        name = f"{edge[0]}/_recv_control" if control else f"{edge[0]}/_recv_{edge[1]}"
        recv = out.node.add(name=name, op="_Recv", device=device)
        dtype = "float32" if control else self.ir[edge[0]].output_dtypes[edge[1]]
        recv.attr["tensor_type"].type = dtypes.as_dtype(dtype).as_datatype_enum
        _set_key_attrs(recv, key, edge in self.fed)
        shape = () if control else self.ir[edge[0]].output_shapes[edge[1]]
        if shape is not None:
            proto = recv.attr["_output_shapes"].list.shape.add()
            for d in shape:
                proto.dim.add(size=-1 if d is None else d)
        return name

    def _send_def(self, edge: Edge, task: str, to_device: str, key: str, dtype):
        """A `_Send` of `edge` (of a dummy scalar after `edge[0]` for a control edge)."""
        graph_def = self.graph_defs[task]
        tensor = edge[0] if edge[1] == 0 else f"{edge[0]}:{edge[1]}"
        if edge[1] == _CONTROL:
            tensor = f"{edge[0]}/_control"
            if not any(n.name == tensor for n in graph_def.node):
                const = graph_def.node.add(name=tensor, op="Const", device=_cpu(task))
                const.input.append("^" + edge[0])
                const.attr["dtype"].type = dtypes.float32.as_datatype_enum
                const.attr["value"].tensor.dtype = dtypes.float32.as_datatype_enum
                const.attr["value"].tensor.float_val.append(0.0)
                const.attr[STAGE_ATTR].i = self.level[edge[0]]
        node = graph_pb2.GraphDef().node.add(
            name=f"{tensor}/_send_{abs(hash(to_device)) % 10**8}", op="_Send", device=_cpu(task)
        )
        node.input.append(tensor)
        node.attr["T"].type = dtypes.as_dtype(dtype).as_datatype_enum
        _set_key_attrs(node, key, to_device == CLIENT_DEVICE)
        return node


_CONTROL = -1  # the output index that stands for a control edge


def _set_key_attrs(node, key: str, client_terminated: bool) -> None:
    send_device, incarnation, recv_device, tensor, _ = key.split(";")
    node.attr["send_device"].s = send_device.encode()
    node.attr["send_device_incarnation"].i = int(incarnation, 16)
    node.attr["recv_device"].s = recv_device.encode()
    node.attr["tensor_name"].s = tensor.encode()
    node.attr["client_terminated"].b = client_terminated


def _cpu(task: str) -> str:
    return f"{task}/device:CPU:0"
