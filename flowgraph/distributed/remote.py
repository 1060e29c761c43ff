"""The client's end of a `grpc://` session: the graph goes to a master, each run is a step."""

from __future__ import annotations

from flowgraph.distributed import protocol_pb2 as pb
from flowgraph.distributed.master import LOCAL_MASTERS
from flowgraph.distributed.rpc import Stub
from flowgraph.distributed.wire import Tensors
from flowgraph.framework import graph_def as graph_def_lib


class RemoteSession:
    """A session handle on the master at `target`: in-process when a server of this process
    listens there (no RPC, no serialisation), over gRPC otherwise."""

    def __init__(self, target: str, config):
        self._master = _master(target)
        self._config = config
        self._handle = None
        self._sent_ops = 0
        self._version = 0

    def sync(self, graph) -> None:
        """Sends the ops added to `graph` since the last call (CreateSession, then
        ExtendSession)."""
        count = len(graph.get_operations())
        if self._handle is not None and count == self._sent_ops:
            return
        graph_def = graph_def_lib.as_graph_def(graph, from_version=self._sent_ops)
        if self._handle is None:
            request = pb.CreateSessionRequest(graph_def=graph_def, config=self._config)
            self._handle = self._master.call("CreateSession", request).session_handle
            self._version = 1
        else:
            request = pb.ExtendSessionRequest(
                session_handle=self._handle,
                graph_def=graph_def,
                current_graph_version=self._version,
            )
            self._version = self._master.call("ExtendSession", request).new_graph_version
        self._sent_ops = count

    def plan(self, fetches: list[str], feeds: list[str], targets: list[str]) -> "RemotePlan":
        return RemotePlan(self, fetches, feeds, targets)

    def list_devices(self) -> list:
        response = self._master.call("ListDevices", pb.ListDevicesRequest())
        return list(response.local_device) + list(response.remote_device)

    def close(self) -> None:
        if self._handle is not None:
            self._master.call("CloseSession", pb.CloseSessionRequest(session_handle=self._handle))
            self._handle = None
        self._master.close()


def reset(target: str, containers, config) -> None:
    """`Session.reset` of a `grpc://` target: the master's Reset."""
    master = _master(target)
    request = pb.ResetRequest(container=list(containers or ()))
    if config is not None:
        request.device_filters.extend(config.device_filters)
    try:
        master.call("Reset", request)
    finally:
        master.close()


class RemotePlan:
    """A run of a remote session, shaped like a local plan for `Session.run`."""

    remote = True

    def __init__(self, session: RemoteSession, fetches, feeds, targets):
        self.session = session
        self.fetches, self.feeds, self.targets = fetches, feeds, targets
        self.n_feeds = len(feeds)
        self.fetch_slots = tuple(range(len(feeds), len(feeds) + len(fetches)))

    def run(self, values: list, options=None) -> list:
        timeout = _timeout(options, self.session._config)
        return self.session._master.run(
            self.session._handle, dict(zip(self.feeds, values)), self.fetches, self.targets,
            timeout,
        )  # fmt: skip


def _master(target: str):
    """The master at `grpc://address`: in-process when a server of this process listens
    there (no RPC, no serialisation), over gRPC otherwise."""
    address = target[len("grpc://") :]
    local = LOCAL_MASTERS.get(address)
    return _LocalMaster(local) if local is not None else _RpcMaster(address)


def _timeout(options, config) -> float | None:
    ms = (options.timeout_in_ms if options is not None else 0) or config.operation_timeout_in_ms
    return ms / 1000 if ms > 0 else None


class _LocalMaster:
    def __init__(self, master):
        self._master = master

    def call(self, method: str, request):
        return getattr(self._master, method)(request)

    def run(self, handle, feeds: dict, fetches, targets, timeout) -> list:
        return self._master.run_step(handle, feeds, fetches, targets, timeout)

    def close(self) -> None:
        pass


class _RpcMaster:
    def __init__(self, address: str):
        self._stub = Stub(address, f"master at {address}")

    def call(self, method: str, request):
        return self._stub.call(method, request)

    def run(self, handle, feeds: dict, fetches, targets, timeout) -> list:
        request = pb.RunStepRequest(session_handle=handle, fetch=fetches, target=targets)
        if timeout is not None:
            request.options.timeout_in_ms = int(timeout * 1000)
        response = self._stub.call("RunStep", Tensors(request, feeds), timeout)
        return [response.tensors[f] for f in fetches]

    def close(self) -> None:
        self._stub.close()
