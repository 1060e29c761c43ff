"""A request's failure: TF Serving's status code and message, for gRPC and for REST."""

from __future__ import annotations

import grpc

# tensorflow_serving/model_servers/http_server.cc: ToHTTPStatusCode.
_HTTP = {
    grpc.StatusCode.CANCELLED: 499, grpc.StatusCode.UNKNOWN: 500,
    grpc.StatusCode.INVALID_ARGUMENT: 400, grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    grpc.StatusCode.NOT_FOUND: 404, grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.PERMISSION_DENIED: 403, grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.FAILED_PRECONDITION: 400, grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.OUT_OF_RANGE: 400, grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.INTERNAL: 500, grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DATA_LOSS: 500, grpc.StatusCode.UNAUTHENTICATED: 401,
}  # fmt: skip
_BY_NUMBER = {code.value[0]: code for code in grpc.StatusCode}


class ServingError(Exception):
    """A failed request: `code` (a `grpc.StatusCode`) and TF Serving's `message`."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code, self.message = code, message

    @property
    def http_status(self):
        """The HTTP status TF Serving's REST API answers with."""
        return _HTTP.get(self.code, 500)

    @property
    def error_code(self):
        """The numeric `tensorflow.error.Code` (as in `StatusProto.error_code`)."""
        return self.code.value[0]


def invalid_argument(message):
    return ServingError(grpc.StatusCode.INVALID_ARGUMENT, message)


def not_found(message):
    return ServingError(grpc.StatusCode.NOT_FOUND, message)


def failed_precondition(message):
    return ServingError(grpc.StatusCode.FAILED_PRECONDITION, message)


def unknown(message):
    return ServingError(grpc.StatusCode.UNKNOWN, message)


def from_op_error(error):
    """The `ServingError` of a `tf.errors.OpError` raised by a session run, in the words of
    TF's C++ runtime: `message\n\t [[{{node NAME}}]]` (the Python API's `Op op 'name': …
    (defined at file:line)` cites a line of the server's, not of the model's)."""
    code = _BY_NUMBER.get(error.error_code, grpc.StatusCode.UNKNOWN)
    return ServingError(code, runtime_message(error.message, error.node_def))


def runtime_message(message, node):
    """`message` of a node's error as TF's C++ runtime words it."""
    op, name = getattr(node, "op", None), getattr(node, "name", None)
    if not isinstance(op, str) or not isinstance(name, str):
        return message
    cited = f"{op} op '{name}': "
    where = f" (defined at {node.source})" if getattr(node, "source", None) else ""
    if not message.startswith(cited) or not message.endswith(where):
        return message
    return f"{message[len(cited):len(message) - len(where)]}\n\t [[{{{{node {name}}}}}]]"
