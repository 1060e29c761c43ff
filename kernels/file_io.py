"""File kernels (host): ReadFile, WriteFile, MatchingFiles, and TF's errors for OS errors."""

from __future__ import annotations

import glob
import os

import numpy as np

from kernels import errors
from kernels.registry import HOST, SIDE_EFFECTS, Spec, register

_STRING = np.dtype(object)

# How TF's file system reports each OS error (tensorflow/core/platform/errors: IOError).
_OS_ERRORS = {
    FileNotFoundError: errors.NotFoundError,
    FileExistsError: errors.AlreadyExistsError,
    IsADirectoryError: errors.FailedPreconditionError,
    NotADirectoryError: errors.FailedPreconditionError,
    PermissionError: errors.PermissionDeniedError,
}


def os_error(error: OSError, path: str) -> errors.OpError:
    """The TF error class and message (`path; reason`) for an OS error on `path`."""
    cls = next((c for t, c in _OS_ERRORS.items() if isinstance(error, t)), errors.UnknownError)
    return cls(None, None, f"{path}; {error.strerror or error}")


def _path(value) -> str:
    value = np.asarray(value, dtype=object)[()]
    return os.fsdecode(value)


@register("ReadFile", kind=HOST, shape=lambda specs, attrs, static_values: [Spec((), _STRING)])
def read_file(filename):
    path = _path(filename)
    try:
        with open(path, "rb") as f:
            return np.array(f.read(), dtype=object)
    except OSError as e:
        raise os_error(e, path) from None


@register(
    "WriteFile", kind=HOST, effects=SIDE_EFFECTS, shape=lambda specs, attrs, static_values: []
)
def write_file(filename, contents):
    """Writes `contents` to `filename`, creating its directory as TF does."""
    path = _path(filename)
    try:
        if os.path.dirname(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(np.asarray(contents, dtype=object)[()])
    except OSError as e:
        raise os_error(e, path) from None
    return ()


def matching_paths(pattern: str) -> list[str]:
    """The sorted paths matching a glob `pattern` (`*`, `?`, `[...]`; hidden files too)."""
    return sorted(glob.glob(pattern, include_hidden=True))


@register(
    "MatchingFiles", kind=HOST, shape=lambda specs, attrs, static_values: [Spec((None,), _STRING)]
)
def matching_files(pattern):
    patterns = np.asarray(pattern, dtype=object).reshape(-1)
    found = [p.encode() for one in patterns for p in matching_paths(_path(one))]
    out = np.empty(len(found), dtype=object)
    out[:] = found
    return out
