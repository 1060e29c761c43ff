"""TF's gRPC services over grpcio: method paths, message limits, status codes <-> tf.errors."""

from __future__ import annotations

import threading
from concurrent import futures

import grpc

from flowgraph.distributed import protocol_pb2 as pb
from flowgraph.distributed.wire import Codec
from kernels import errors

# gRPC's 4 MiB default is far below a model's variables: raise it to protobuf's own limit.
MAX_MESSAGE_BYTES = 2**31 - 1
CHANNEL_OPTIONS = (
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    # HTTP/2's largest frame: a MiB tensor crosses in one frame, not 64 (a 1 MiB echo:
    # median 4.7 ms instead of 11.4 ms, interleaved runs on a loaded 2-core machine).
    ("grpc.http2.max_frame_size", 2**24 - 1),
    # A restarted task is reconnected to within a second (gRPC's backoff grows to 120 s).
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 1000),
)

MASTER_METHODS = {
    "CreateSession": (pb.CreateSessionRequest, pb.CreateSessionResponse),
    "ExtendSession": (pb.ExtendSessionRequest, pb.ExtendSessionResponse),
    # Steps and partitions carry tensors: `wire.Tensors` in and out, one copy each way.
    "RunStep": (Codec(pb.RunStepRequest, 2), Codec(pb.RunStepResponse, 1)),
    "CloseSession": (pb.CloseSessionRequest, pb.CloseSessionResponse),
    "ListDevices": (pb.ListDevicesRequest, pb.ListDevicesResponse),
    "Reset": (pb.ResetRequest, pb.ResetResponse),
}
WORKER_METHODS = {
    "GetStatus": (pb.GetStatusRequest, pb.GetStatusResponse),
    "CreateWorkerSession": (pb.CreateWorkerSessionRequest, pb.CreateWorkerSessionResponse),
    "DeleteWorkerSession": (pb.DeleteWorkerSessionRequest, pb.DeleteWorkerSessionResponse),
    "RegisterGraph": (pb.RegisterGraphRequest, pb.RegisterGraphResponse),
    "DeregisterGraph": (pb.DeregisterGraphRequest, pb.DeregisterGraphResponse),
    "RunGraph": (Codec(pb.RunGraphRequest, 3), Codec(pb.RunGraphResponse, 1)),
    "CleanupGraph": (pb.CleanupGraphRequest, pb.CleanupGraphResponse),
    "CleanupAll": (pb.CleanupAllRequest, pb.CleanupAllResponse),
    # The tensor as RecvTensorResponse.tensor (field 1, a TensorProto): `Tensors` under "".
    "RecvTensor": (pb.RecvTensorRequest, Codec(pb.RecvTensorResponse, 1, single=True)),
}
SERVICES = {"tensorflow.MasterService": MASTER_METHODS, "tensorflow.WorkerService": WORKER_METHODS}


def serve(address: str, services: dict, max_workers: int = 32) -> tuple[grpc.Server, int]:
    """A started grpcio server on `address` dispatching each TF method to the same-named
    method of `services[service name]`, if it has one (a tf.errors.OpError becomes its gRPC
    status); and
    the port it listens on."""
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=max_workers), options=CHANNEL_OPTIONS
    )
    for service, impl in services.items():
        handlers = {
            method: grpc.unary_unary_rpc_method_handler(
                _handler(getattr(impl, method)),
                request_deserializer=request.FromString,
                response_serializer=response.SerializeToString,
            )
            for method, (request, response) in SERVICES[service].items()
            if hasattr(impl, method)  # others answer UNIMPLEMENTED (tf.errors.UnimplementedError)
        }
        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(service, handlers),))
    port = server.add_insecure_port(address)
    if port == 0:
        raise errors.UnknownError(None, None, f"Could not start gRPC server on {address}")
    server.start()
    return server, port


_call = threading.local()
_NO_DEADLINE = 1e8  # grpcio's time left of a call without a deadline is about 2**63 ns


def request_timeout() -> float | None:
    """Seconds left to the call this thread serves (None: no deadline, or no call)."""
    return getattr(_call, "timeout", None)


def _handler(method):
    def handle(request, context):
        left = context.time_remaining()
        _call.timeout = left if left is not None and left < _NO_DEADLINE else None
        try:
            return method(request)
        except errors.OpError as e:
            context.abort(_STATUS_OF_CODE[e.error_code], e.message)
        finally:
            _call.timeout = None

    return handle


class Stub:
    """A client of one task's services: `stub.call("RunGraph", request, timeout)`."""

    def __init__(self, address: str, task: str):
        self.address = address
        self.task = task
        self._channel = grpc.insecure_channel(address, options=CHANNEL_OPTIONS)
        self._calls: dict[str, grpc.UnaryUnaryMultiCallable] = {}
        self._lock = threading.Lock()

    def call(self, method: str, request, timeout: float | None = None, wait: bool = False):
        """Calls `method` (`wait`: for the task to come up, within `timeout`); a failed
        call raises the tf.errors class of its status."""
        try:
            return self._callable(method)(request, timeout=timeout, wait_for_ready=wait)
        except grpc.RpcError as e:
            raise status_error(e, self.task) from None

    def _callable(self, method: str) -> grpc.UnaryUnaryMultiCallable:
        found = self._calls.get(method)
        if found is None:
            service = "MasterService" if method in MASTER_METHODS else "WorkerService"
            request, response = (MASTER_METHODS | WORKER_METHODS)[method]
            with self._lock:
                found = self._calls[method] = self._channel.unary_unary(
                    f"/tensorflow.{service}/{method}",
                    request_serializer=request.SerializeToString,
                    response_deserializer=response.FromString,
                )
        return found

    def close(self) -> None:
        self._channel.close()


def status_error(e: grpc.RpcError, task: str) -> errors.OpError:
    """The tf.errors exception of a failed call to `task`."""
    code = _CODE_OF_STATUS.get(e.code(), errors.UNKNOWN)
    message = e.details() or str(e.code())
    if code in (errors.UNAVAILABLE, errors.DEADLINE_EXCEEDED) and task not in message:
        message = f"{message} (while talking to {task})"
    return errors.exception_type_from_error_code(code)(None, None, message)


_STATUS_OF_CODE = {status.value[0]: status for status in grpc.StatusCode}
_CODE_OF_STATUS = {status: status.value[0] for status in grpc.StatusCode}
