"""Traceback filtering at the API boundary: errors show the user's frames, not ours.

Frames of flowgraph's own packages (`flowgraph`, `device`, `kernels`) and of jax are cut
from the traceback of an error leaving a boundary function (`Session.run`, building an
op), as JAX filters its own. Set `FLOWGRAPH_TRACEBACK_FILTERING=off` to see every frame.
"""

from __future__ import annotations

import functools
import os
import types
from typing import Callable

import jax

import device
import kernels

_ENV = "FLOWGRAPH_TRACEBACK_FILTERING"
_OURS = tuple(
    os.path.dirname(os.path.abspath(m.__file__)) + os.sep for m in (device, kernels, jax)
) + (os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep,)
_NOTE = f"flowgraph hid {{}} of its own frames from this traceback; set {_ENV}=off to see them."


# Set by enable/disable_traceback_filtering; None: the environment variable decides.
_switched: list[bool | None] = [None]


def filtering_enabled() -> bool:
    """Whether boundaries filter tracebacks: as last switched by
    `tf.debugging.enable/disable_traceback_filtering`, else unless
    `FLOWGRAPH_TRACEBACK_FILTERING` is off."""
    if _switched[0] is not None:
        return _switched[0]
    return os.environ.get(_ENV, "on").lower() not in ("off", "0", "false", "no")


def enable_traceback_filtering() -> None:
    """Makes errors leaving flowgraph show only the user's frames (the default)."""
    _switched[0] = True


def disable_traceback_filtering() -> None:
    """Makes errors leaving flowgraph show every frame, flowgraph's and jax's included."""
    _switched[0] = False


def is_traceback_filtering_enabled() -> bool:
    """Whether errors leaving flowgraph have its own frames filtered out."""
    return filtering_enabled()


def api_boundary(fn: Callable) -> Callable:
    """Makes errors raised by `fn` carry only the user's frames (plus this boundary's)."""

    @functools.wraps(fn)
    def boundary(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as e:
            raise at_boundary(e)  # noqa: B904  (its own cause and context stay as they were)

    return boundary


def at_boundary(e: BaseException) -> BaseException:
    """`e` as it leaves the API: filtered, unless `FLOWGRAPH_TRACEBACK_FILTERING` is off."""
    return filtered(e) if filtering_enabled() else e


def filtered(e: BaseException) -> BaseException:
    """`e` with our frames cut from its traceback, and a note saying how many."""
    kept, hidden = [], 0
    tb = e.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.startswith(_OURS):
            hidden += 1
        else:
            kept.append(tb)
        tb = tb.tb_next
    if hidden:  # one note, counting what every boundary on the way hid
        notes = getattr(e, "__notes__", [])
        total = hidden + getattr(e, "_flowgraph_hidden", 0)
        e.__notes__ = [n for n in notes if n != _NOTE.format(total - hidden)]
        e.__notes__.append(_NOTE.format(total))
        e._flowgraph_hidden = total
    chain = None
    for tb in reversed(kept):
        chain = types.TracebackType(chain, tb.tb_frame, tb.tb_lasti, tb.tb_lineno)
    return e.with_traceback(chain)
