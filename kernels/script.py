"""Python functions as graph ops (PyFunc, PyFuncStateless, EagerPyFunc): host kernels that
call a callable kept in this process's registry under the op's `token` attr."""

from __future__ import annotations

import itertools
import threading
import traceback
from typing import Callable

import numpy as np

from kernels import errors
from kernels.registry import HOST, SIDE_EFFECTS, Spec, register

_callbacks: dict[str, Callable] = {}
_tokens = itertools.count()
_lock = threading.Lock()

# TF's DataTypeString names, for messages about returned values.
_TF_NAMES = {
    np.dtype(np.float32): "float",
    np.dtype(np.float64): "double",
    np.dtype(object): "string",
    np.dtype(np.float16): "half",
}

# The error class a Python exception from the function becomes (TF's py_func.cc mapping).
_ERROR_CLASSES = (
    ((ValueError, TypeError), errors.InvalidArgumentError),
    ((StopIteration, IndexError), errors.OutOfRangeError),
    (MemoryError, errors.ResourceExhaustedError),
    (NotImplementedError, errors.UnimplementedError),
)


def add_callback(fn: Callable) -> str:
    """Keeps `fn` for PyFunc ops and returns its token ("pyfunc_N", as TF names them)."""
    with _lock:
        token = f"pyfunc_{next(_tokens)}"
        _callbacks[token] = fn
    return token


def _tf_name(dtype: np.dtype) -> str:
    return _TF_NAMES.get(np.dtype(dtype), np.dtype(dtype).name)


def _call(token: str, args: list):
    fn = _callbacks.get(token)
    if fn is None:
        raise errors.InvalidArgumentError(
            None,
            None,
            f"callback {token} is not found: the Python function of a py_func "
            "lives only in the process that built the graph and is not part of a GraphDef, "
            "so a graph imported elsewhere cannot run it",
        )
    try:
        return fn(*args)
    except Exception as e:  # noqa: BLE001  (every exception becomes the op's error)
        raise _as_op_error(e) from None


def _as_op_error(e: Exception) -> errors.OpError:
    if isinstance(e, errors.OpError):
        return e
    cls = next((c for kinds, c in _ERROR_CLASSES if isinstance(e, kinds)), errors.UnknownError)
    trace = "".join(traceback.format_exception(type(e), e, e.__traceback__))
    return cls(None, None, f"{type(e).__name__}: {e}\n{trace}")


def _as_strings(value) -> np.ndarray:
    array = np.asarray(value, dtype=object)
    encode = np.vectorize(lambda v: v.encode() if isinstance(v, str) else bytes(v), otypes=[object])
    return encode(array) if array.size else array


def _converted(token: str, i: int, value, dtype: np.dtype, cast: bool) -> np.ndarray:
    dtype = np.dtype(dtype)
    if dtype.kind == "O":
        return _as_strings(value)
    result = np.asarray(value, dtype=dtype if cast else None)
    if result.dtype != dtype:
        raise errors.InvalidArgumentError(
            None,
            None,
            f"{i}-th value returned by {token} is {_tf_name(result.dtype)}, but "
            f"expects {_tf_name(dtype)}",
        )
    return result


def _outputs(token: str, ret, Tout, cast: bool = False) -> tuple:
    if not Tout:
        return ()
    values = list(ret) if isinstance(ret, (list, tuple)) else [ret]
    if len(values) != len(Tout):
        raise errors.InvalidArgumentError(
            None,
            None,
            f"{token} returns {len(values)} values, but expects to see {len(Tout)} values.",
        )
    return tuple(_converted(token, i, v, d, cast) for i, (v, d) in enumerate(zip(values, Tout)))


def _py_func_shape(specs, attrs, static_values):
    return [Spec(None, np.dtype(t)) for t in attrs["Tout"]]


@register("PyFunc", kind=HOST, effects=SIDE_EFFECTS, shape=_py_func_shape)
def py_func(*input, token: str, Tout=(), Tin=()):
    return _outputs(token, _call(token, list(input)), Tout)


@register("PyFuncStateless", kind=HOST, shape=_py_func_shape)
def py_func_stateless(*input, token: str, Tout=(), Tin=()):
    return _outputs(token, _call(token, list(input)), Tout)


class EagerValue(np.ndarray):
    """An input of a `py_function` body: a numpy array that also answers `.numpy()`, as
    the EagerTensors TF passes do."""

    def numpy(self) -> np.ndarray:
        return self.view(np.ndarray)


@register("EagerPyFunc", kind=HOST, effects=SIDE_EFFECTS, shape=_py_func_shape)
def eager_py_func(*input, token: str, Tout=(), Tin=(), is_async: bool = False):
    args = [np.asarray(v).view(EagerValue) for v in input]
    return _outputs(token, _call(token, args), Tout, cast=True)
