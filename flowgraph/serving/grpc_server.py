"""The gRPC API: `tensorflow.serving.PredictionService` and `ModelService` at TF Serving's
method paths (`/tensorflow.serving.PredictionService/Predict`, …)."""

from __future__ import annotations

import logging
from concurrent import futures

import grpc
from google.protobuf.message import DecodeError

from flowgraph.serving import apis, inference, status

_LOG = logging.getLogger("flowgraph.serving")
# TF Serving's limits: messages up to 2 GiB - 1.
MAX_MESSAGE_LENGTH = 2**31 - 1


class _Malformed:
    """A request whose bytes did not parse (answered INVALID_ARGUMENT, not INTERNAL)."""

    def __init__(self, name):
        self.name = name


class Handlers:
    """The RPCs, each taking a request message and returning the response message.

    Args:
      core: the `ServerCore`.
      reload: the function that applies a `ModelServerConfig` (raises `ServingError`).
    """

    def __init__(self, core, reload):
        self._core, self._reload = core, reload

    def Predict(self, request):  # noqa: N802  (TF Serving's method names)
        with self._core.servable(request.model_spec) as servable:
            return inference.predict(servable, request)

    def Classify(self, request):  # noqa: N802
        with self._core.servable(request.model_spec) as servable:
            return inference.classify(servable, request)

    def Regress(self, request):  # noqa: N802
        with self._core.servable(request.model_spec) as servable:
            return inference.regress(servable, request)

    def MultiInference(self, request):  # noqa: N802
        if not request.tasks:
            raise status.invalid_argument("MultiInferenceRequest must have at least one task")
        with self._core.servable(request.tasks[0].model_spec) as servable:
            return inference.multi_inference(servable, request)

    def GetModelMetadata(self, request):  # noqa: N802
        if not request.HasField("model_spec"):
            raise status.invalid_argument("Missing ModelSpec")
        with self._core.servable(request.model_spec) as servable:
            return inference.metadata(servable, request)

    def GetModelStatus(self, request):  # noqa: N802
        if not request.HasField("model_spec"):
            raise status.invalid_argument("Missing ModelSpec")
        return self._core.model_status(request.model_spec)

    def HandleReloadConfigRequest(self, request):  # noqa: N802
        self._reload(request.config)
        return apis.ReloadConfigResponse()


def _parser(request_class):
    def parse(data):
        try:
            return request_class.FromString(data)
        except DecodeError:
            return _Malformed(request_class.DESCRIPTOR.name)

    return parse


def _rpc(handler):
    def call(request, context):
        if isinstance(request, _Malformed):
            context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                          f"Malformed request: could not parse {request.name}")  # fmt: skip
        try:
            return handler(request)
        except status.ServingError as e:
            context.abort(e.code, e.message)
        except Exception as e:  # noqa: BLE001  (the server keeps serving)
            _LOG.exception("RPC failed")
            context.abort(grpc.StatusCode.INTERNAL, f"{type(e).__name__}: {e}")

    return call


def make_server(handlers, address, max_workers=16):
    """A started gRPC server for `handlers` on `address` ("host:port"); returns
    (server, bound port)."""
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=max_workers),
        options=[("grpc.max_send_message_length", MAX_MESSAGE_LENGTH),
                 ("grpc.max_receive_message_length", MAX_MESSAGE_LENGTH)],
    )  # fmt: skip
    for service, methods in apis.SERVICES.items():
        rpcs = {
            method: grpc.unary_unary_rpc_method_handler(
                _rpc(getattr(handlers, method)),
                request_deserializer=_parser(apis.message_class(request)),
                response_serializer=lambda message: message.SerializeToString(),
            )
            for method, (request, _) in methods.items()
        }
        server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler(service, rpcs)])
    port = server.add_insecure_port(address)
    server.start()
    return server, port
