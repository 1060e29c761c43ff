"""TensorFlow's error classes (`tf.errors`), shared by every layer.

They are defined here, below every layer that raises them, and report `flowgraph.errors`
as their module: users meet them as `tf.errors.InvalidArgumentError`.
"""

from __future__ import annotations

OK = 0
CANCELLED = 1
UNKNOWN = 2
INVALID_ARGUMENT = 3
DEADLINE_EXCEEDED = 4
NOT_FOUND = 5
ALREADY_EXISTS = 6
PERMISSION_DENIED = 7
RESOURCE_EXHAUSTED = 8
FAILED_PRECONDITION = 9
ABORTED = 10
OUT_OF_RANGE = 11
UNIMPLEMENTED = 12
INTERNAL = 13
UNAVAILABLE = 14
DATA_LOSS = 15
UNAUTHENTICATED = 16


_PUBLIC_MODULE = "flowgraph.errors"


class OpError(Exception):
    """A generic error raised while running a graph.

    Args:
      node_def: the node that failed (an IR node or a dict), or None.
      op: the `Operation` that failed, or None.
      message: the error message.
      error_code: one of the codes in this module.
    """

    __module__ = _PUBLIC_MODULE

    def __init__(self, node_def, op, message: str, error_code: int = UNKNOWN, *args):
        super().__init__(message, *args)
        self._node_def = node_def
        self._op = op
        self._message = message
        self._error_code = error_code

    def __reduce__(self):
        # By name in this module, so unpickling needs neither flowgraph nor its __module__.
        args = (self._node_def, None, self._message) + self._extra_args()
        return _rebuild, (type(self).__name__, args)

    def _extra_args(self) -> tuple:
        return (self._error_code,) if type(self) is OpError else ()

    @property
    def message(self) -> str:
        """The error message that describes the error."""
        return self._message

    @property
    def op(self):
        """The operation that failed, if known."""
        return self._op

    @property
    def node_def(self):
        """The node of the failed operation, if known."""
        return self._node_def

    @property
    def error_code(self) -> int:
        """The integer error code that describes the error."""
        return self._error_code

    def __str__(self) -> str:
        return self._message


def _error_class(name: str, code: int, doc: str) -> type[OpError]:
    def __init__(self, node_def, op, message, *args):
        OpError.__init__(self, node_def, op, message, code, *args)

    namespace = {"__init__": __init__, "__doc__": doc, "code": code, "__module__": _PUBLIC_MODULE}
    return type(name, (OpError,), namespace)


def _rebuild(class_name: str, args: tuple) -> OpError:
    return globals()[class_name](*args)


CancelledError = _error_class("CancelledError", CANCELLED, "An operation was cancelled.")
UnknownError = _error_class("UnknownError", UNKNOWN, "An unknown error.")
InvalidArgumentError = _error_class(
    "InvalidArgumentError", INVALID_ARGUMENT, "An operation received an invalid argument."
)
DeadlineExceededError = _error_class(
    "DeadlineExceededError", DEADLINE_EXCEEDED, "A deadline expired before completion."
)
NotFoundError = _error_class("NotFoundError", NOT_FOUND, "A requested entity was not found.")
AlreadyExistsError = _error_class(
    "AlreadyExistsError", ALREADY_EXISTS, "An entity we tried to create already exists."
)
PermissionDeniedError = _error_class(
    "PermissionDeniedError", PERMISSION_DENIED, "The caller may not run the operation."
)
UnauthenticatedError = _error_class(
    "UnauthenticatedError", UNAUTHENTICATED, "The request lacks valid credentials."
)
ResourceExhaustedError = _error_class(
    "ResourceExhaustedError", RESOURCE_EXHAUSTED, "Some resource has been exhausted."
)
FailedPreconditionError = _error_class(
    "FailedPreconditionError", FAILED_PRECONDITION, "The system is not in a state to run it."
)
AbortedError = _error_class("AbortedError", ABORTED, "The operation was aborted.")
OutOfRangeError = _error_class(
    "OutOfRangeError", OUT_OF_RANGE, "An operation iterated past the valid input range."
)
UnimplementedError = _error_class(
    "UnimplementedError", UNIMPLEMENTED, "The operation is not implemented."
)
InternalError = _error_class("InternalError", INTERNAL, "The system hit an internal error.")
UnavailableError = _error_class("UnavailableError", UNAVAILABLE, "The runtime is unavailable.")
DataLossError = _error_class("DataLossError", DATA_LOSS, "Unrecoverable data loss.")

_CODE_TO_CLASS = {
    cls.code: cls
    for cls in (
        CancelledError,
        UnknownError,
        InvalidArgumentError,
        DeadlineExceededError,
        NotFoundError,
        AlreadyExistsError,
        PermissionDeniedError,
        UnauthenticatedError,
        ResourceExhaustedError,
        FailedPreconditionError,
        AbortedError,
        OutOfRangeError,
        UnimplementedError,
        InternalError,
        UnavailableError,
        DataLossError,
    )
}


def exception_type_from_error_code(error_code: int) -> type[OpError]:
    """Returns the OpError subclass for `error_code`."""
    return _CODE_TO_CLASS[error_code]


def error_code_from_exception_type(cls: type[OpError]) -> int:
    """Returns the error code of an OpError subclass."""
    return cls.code
