"""`tf.logging`: TF1's logging names and levels on absl logging.

Levels are Python's standard ones, as TF1's (`tf.logging.INFO == 20`); absl's own
verbosity scale is converted at the boundary. Example:

  >>> tf.logging.set_verbosity(tf.logging.INFO)
  >>> tf.logging.info("step %d: loss %.3f", 100, 0.25)
  >>> tf.logging.log_every_n(tf.logging.INFO, "step %d", 100, step)
"""

from __future__ import annotations

import logging as _std_logging

from absl import logging as _absl
from absl.logging import converter as _converter

DEBUG = _std_logging.DEBUG
INFO = _std_logging.INFO
WARN = _std_logging.WARN
ERROR = _std_logging.ERROR
FATAL = _std_logging.FATAL


def get_logger() -> _std_logging.Logger:
    """The logger `tf.logging` writes to (absl's)."""
    return _absl.get_absl_logger()


class _QuietCheckpointLibrary(_std_logging.Filter):
    """Drops orbax's INFO records (dozens per checkpoint, through absl's logger like ours):
    at `tf.logging.INFO` a save logs TF1's one line, not orbax's internals."""

    def filter(self, record: _std_logging.LogRecord) -> bool:
        return record.levelno >= WARN or "/orbax/" not in record.pathname.replace("\\", "/")


get_logger().addFilter(_QuietCheckpointLibrary())


def set_verbosity(v: int) -> None:
    """Sets the threshold for what messages will be logged (e.g. `tf.logging.INFO`)."""
    _absl.set_verbosity(_converter.standard_to_absl(v))


def get_verbosity() -> int:
    """The threshold for what messages will be logged, as a standard level."""
    return _converter.absl_to_standard(_absl.get_verbosity())


@_absl.skip_log_prefix
def log(level: int, msg, *args, **kwargs) -> None:
    """Logs `msg % args` at the standard `level`."""
    _absl.log(_converter.standard_to_absl(level), msg, *args, **kwargs)


debug = _absl.debug
info = _absl.info
warning = _absl.warning
warn = _absl.warning
error = _absl.error


@_absl.skip_log_prefix
def fatal(msg, *args, **kwargs) -> None:
    """Logs `msg % args` at FATAL. As TF1's, it only logs: the process goes on."""
    # absl's own fatal() aborts the process; TF1's tf.logging.fatal never did.
    _std_logging.Logger.log(get_logger(), FATAL, msg, *args, **kwargs)


@_absl.skip_log_prefix
def vlog(level: int, msg, *args, **kwargs) -> None:
    """Logs `msg % args` at the standard `level` (TF1's vlog takes a standard level)."""
    log(level, msg, *args, **kwargs)


@_absl.skip_log_prefix
def log_if(level: int, msg, condition, *args) -> None:
    """Logs `msg % args` at `level` only if `condition` is true."""
    if condition:
        log(level, msg, *args)


@_absl.skip_log_prefix
def log_every_n(level: int, msg, n: int, *args) -> None:
    """Logs `msg % args` at `level` on the 1st, (n+1)th, (2n+1)th... call from one line."""
    _absl.log_every_n(_converter.standard_to_absl(level), msg, n, *args)


@_absl.skip_log_prefix
def log_first_n(level: int, msg, n: int, *args) -> None:
    """Logs `msg % args` at `level` only on the first `n` calls from one line."""
    _absl.log_first_n(_converter.standard_to_absl(level), msg, n, *args)


@_absl.skip_log_prefix
def TaskLevelStatusMessage(msg) -> None:  # noqa: N802  (TF's name)
    """Logs a task-level status message (at ERROR, as TF1)."""
    error(msg)


def flush() -> None:
    """Flushes the log handlers."""
    _absl.flush()
