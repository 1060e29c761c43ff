"""Host ops inside compiled function bodies (cond branches, loop bodies): each runs as an
ordered jax host callback at its place in the compiled code, so prints, asserts and
py_funcs keep TensorFlow's order of side effects across iterations.

A body's host ops are its host kernels and every op that touches strings. Strings cannot
cross into compiled code, so a host op with numeric (or no) outputs — a *sink* — runs in
one callback together with the string-valued ops it reads from (recomputed there). An
error raised in a callback reaches the caller as TF's error: the callback stores it and
raises a marker that `raised` maps back.
"""

from __future__ import annotations

import itertools
import logging
import re
import threading
from typing import Callable, Sequence

import jax
import numpy as np
from jax.experimental import io_callback

from device.ir import Edge, Node
from kernels import cancel, errors
from kernels.registry import HOST, Kernel

PASSTHROUGH = {"Print": 0}  # ops whose output is this input: only their effect is a callback
# Ops that count their runs in the session (`runs=`) when this attr is >= 0: the count lives
# in the session's store, which a compiled body's callbacks do not reach.
_COUNTING = {"Print": "first_n"}
_STRING = np.dtype(object)


def callable_kernel(kernel: Kernel) -> bool:
    """Whether a host op of this kernel can run as a callback: it needs nothing from the
    session (no variables, resources, RNG streams or deadline), only its input values."""
    e = kernel.effects
    stateless_io = not (e.variable or e.makes_resource or e.resources or e.rng)
    return stateless_io and not kernel.ref_modes and not kernel.takes_deadline


def counts_runs(op_type: str, attrs) -> bool:
    """Whether an op counts its runs in the session (Print with `first_n`): it needs the
    session's store, so it runs on the host, never as a callback."""
    attr = _COUNTING.get(op_type)
    return attr is not None and attrs.get(attr, -1) >= 0


def is_host(node: Node, dtype_of: Callable[[Edge], np.dtype]) -> bool:
    """Whether `node` must run on the host: a host kernel, or strings in or out."""
    if node.kernel.kind == HOST or _STRING in node.output_dtypes:
        return True
    return any(dtype_of(e) == _STRING for e in node.inputs)


class HostGroups:
    """How a function body's host nodes run inside compiled code: `skipped` string
    producers (run inside the callbacks that read them), and for each sink the nodes its
    callback runs, in body order. Empty (false) when the body has no host nodes or one
    that cannot be a callback: then the body runs on the host, node by node."""

    def __init__(
        self,
        nodes: Sequence[Node],
        dtype_of: Callable[[Edge], np.dtype],
        results: Sequence[Edge],
    ):
        hosts = {n.name: n for n in nodes if is_host(n, dtype_of)}
        self.skipped: frozenset[str] = frozenset()
        self.groups: dict[str, tuple[Node, ...]] = {}
        if hosts and all(_callable(n, hosts, dtype_of) for n in hosts.values()):
            if not any(dtype_of(e) == _STRING for e in results):
                self._group(nodes, hosts, dtype_of)

    def _group(self, nodes, hosts: dict, dtype_of) -> None:
        self.skipped = frozenset(n for n, node in hosts.items() if _STRING in node.output_dtypes)
        order = {n.name: i for i, n in enumerate(nodes)}
        for name, node in hosts.items():
            if name not in self.skipped:
                members = _string_ancestors(node, hosts, dtype_of) | {name}
                self.groups[name] = tuple(sorted((hosts[m] for m in members), key=_by(order)))

    def __bool__(self) -> bool:
        return bool(self.groups or self.skipped)


def _callable(node: Node, hosts: dict, dtype_of) -> bool:
    """A host node a callback can run: a callable kernel, strings only from other host
    nodes (not the body's arguments), numeric outputs of known shapes."""
    if not callable_kernel(node.kernel):
        return False
    if counts_runs(node.op, node.attrs):
        return False  # the body runs on the host, node by node, with the store
    if any(dtype_of(e) == _STRING and e[0] not in hosts for e in node.inputs):
        return False
    if node.op in PASSTHROUGH:
        return True
    return all(
        d == _STRING or (s is not None and None not in s)
        for s, d in zip(node.output_shapes, node.output_dtypes)
    )


def _by(order: dict) -> Callable[[Node], int]:
    return lambda node: order[node.name]


def _string_ancestors(node: Node, hosts: dict, dtype_of) -> set[str]:
    found: set[str] = set()
    stack = [node]
    while stack:
        for edge in stack.pop().inputs:
            if dtype_of(edge) == _STRING and edge[0] in hosts and edge[0] not in found:
                found.add(edge[0])
                stack.append(hosts[edge[0]])
    return found


def run_group(group: tuple[Node, ...], env: dict, run_node: Callable) -> tuple:
    """Runs one sink's `group` as an ordered callback: its numeric inputs (from `env`)
    leave compiled code; returns the sink's outputs. `run_node(node, env)` runs a node on
    the host."""
    sink = group[-1]
    inside = {n.name for n in group}
    operands = sorted({e for n in group for e in n.inputs if e[0] not in inside})
    values = [jax.lax.stop_gradient(env[e]) for e in operands]
    host = _on_host(group, operands, run_node)
    passthrough = PASSTHROUGH.get(sink.op)
    if passthrough is not None or not sink.output_dtypes:
        jax.debug.callback(_guarded(host), *values, ordered=True)
        return (env[sink.inputs[passthrough]],) if passthrough is not None else ()
    shapes = [jax.ShapeDtypeStruct(s, d) for s, d in zip(sink.output_shapes, sink.output_dtypes)]
    return tuple(io_callback(_guarded(host), shapes, *values, ordered=True))


def _on_host(group: tuple[Node, ...], operands: list[Edge], run_node: Callable) -> Callable:
    sink = group[-1]

    def host(*values):
        env = dict(zip(operands, (np.asarray(v) for v in values)))
        for node in group:
            run_node(node, env)
        return [np.asarray(env[(sink.name, i)], dtype=d) for i, d in enumerate(sink.output_dtypes)]

    return host


# -- errors raised in callbacks ------------------------------------------------------------

_MARK = "flowgraph host callback error #"
_raised: dict[int, errors.OpError] = {}
_ids = itertools.count()
_lock = threading.Lock()


def _guarded(fn: Callable) -> Callable:
    def call(*values):
        try:
            return fn(*values)
        except errors.OpError as e:
            with _lock:
                key = next(_ids)
                _raised[key] = e
            raise RuntimeError(f"{_MARK}{key}#") from None

    return call


def _not_ours(record: logging.LogRecord) -> bool:
    # jax logs every exception a debug callback raises; ours reach the caller as TF errors.
    message = str(record.exc_info[1]) if record.exc_info else ""
    return not any(m in message for m in (_MARK, cancel.MARK, cancel.CANCELLED_MARK))


logging.getLogger("jax._src.debugging").addFilter(_not_ours)


def raised(e: BaseException) -> errors.OpError | None:
    """The TF error a host callback raised, if `e` is jax's report of it."""
    for mark in (cancel.MARK, cancel.CANCELLED_MARK):  # an unbounded compiled loop stopped
        if mark in str(e):
            return cancel.stopped_error(mark)
    found = re.search(re.escape(_MARK) + r"(\d+)#", str(e))
    if found is None:
        return None
    with _lock:
        return _raised.pop(int(found.group(1)), None)
