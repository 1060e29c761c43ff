"""The checks XLA skips, compiled in: TensorFlow's errors for bad index and divisor values.

XLA clamps or drops out-of-range indices and gives garbage for an integer division by
zero, where TensorFlow raises `InvalidArgumentError` naming the op and the bad value. An
xla segment computes, with its step, one scalar flag (any check failed) and, only when it
is set (`lax.cond`), a small int32 report per checked node (`[bad, rank, *position, size,
*value, rank, *bound]`, the `checkify` approach; a node may add arrays its message quotes,
fetched only when it fails). After the step (its variables committed, as TF's earlier ops
have run) the host reads the flag and raises the first failed check's error with the op's
name and the line that made it: a run's last segment reads it together with the run's
fetches (`deferred`), so a step without errors costs no host sync of its own.

On by default; set the environment variable `FLOWGRAPH_CHECKS=0` before a session's first
run to compile them out (a run then gives XLA's clamped values). Host segments need none
(numpy raises).

Inside cond branches and loop bodies a node's report cannot leave `lax.cond`/`lax.scan`/
`lax.while_loop` as one of our outputs: there the check is a `jax.experimental.checkify`
check, and a segment whose bodies hold checked nodes is traced under `checkify`, which
threads the first failed check out of control flow (and, see `keep_errors`, out of the
`jax.vjp` of a forward op linearized for its gradient, which would drop it). Its error
value travels with the segment's outputs and raises the same TF error after the step.
"""

from __future__ import annotations

import contextlib
import os
import threading
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jax.experimental import checkify

from device.interpret import Frame, cite
from device.ir import Function, Node
from kernels import errors


def enabled() -> bool:
    """Whether segments compile the checks in (`FLOWGRAPH_CHECKS=0` turns them off)."""
    return os.environ.get("FLOWGRAPH_CHECKS", "1").strip().lower() not in ("0", "false", "off")


def checked(nodes: Sequence[Node], folded: frozenset[str]) -> tuple[Node, ...]:
    """The nodes among `nodes` whose values a check watches (none when checks are off)."""
    if not enabled():
        return ()
    return tuple(n for n in nodes if n.name not in folded and _applies(n))


def _applies(node: Node) -> bool:
    if node.op in _DIVISIONS:
        return node.output_dtypes[0].kind in "iu"
    return node.op in _SPECS


def reports(nodes: Sequence[Node], frame: Frame) -> tuple:
    """`(one scalar: whether any check failed, every checked node's report in one array,
    each node's quoted arrays)`, traced from the nodes' input values in `frame` (none: no
    nodes). A step without errors computes only the scalar (the reports are zeros then)."""
    if not nodes:
        return ()
    specs = [_spec(n, [_shaped(frame, e) for e in n.inputs]) for n in nodes]
    failed = jnp.any(jnp.stack([jnp.any(_bad(s)) for s in specs]))

    def full():
        return jnp.concatenate([_packed(s) for s in specs])

    shape = jax.eval_shape(full)
    packed = jax.lax.cond(failed, full, lambda: jnp.zeros(shape.shape, shape.dtype))
    return failed, packed, tuple(s.quoted for s in specs)


def _shaped(frame: Frame, edge) -> Any:
    value = frame.env.get(edge)
    return np.asarray(value) if isinstance(value, (int, float, np.generic)) else value


@dataclass(frozen=True)
class _Spec:
    """What one node's check watches: `indices` (index tuples on the last axis if `tuples`)
    in [0, `bound`); `padded`: the largest integer is the padding of
    `DeduplicateIndexedSlices` (the rows a sparse update leaves alone), not a bad index.
    A division's divisors are `indices` with no bound (zero is bad)."""

    indices: Any
    bound: tuple = ()
    tuples: bool = False
    padded: bool = False
    quoted: tuple = ()  # arrays its message quotes


def _spec(node: Node, args: list) -> _Spec:
    if node.op in _DIVISIONS:
        return _Spec(jnp.asarray(args[1]))
    return _SPECS[node.op](node, args)


def _bad(spec: _Spec):
    """Which indices (rows of index tuples) are bad."""
    indices = spec.indices
    if indices.size == 0:
        return jnp.zeros((0,), bool)
    if not spec.bound:
        return indices == 0
    if spec.tuples:
        k = indices.shape[-1]
        rows = indices.reshape(-1, k)
        return jnp.any((rows < 0) | (rows >= jnp.asarray(spec.bound[:k], rows.dtype)), axis=-1)
    bad = (indices < 0) | (indices >= spec.bound[0])
    if spec.padded:
        bad &= indices != jnp.iinfo(indices.dtype).max
    return bad


def _packed(spec: _Spec) -> jax.Array:
    """The node's report: its first bad index's position and value, and the bound."""
    bad = _bad(spec).reshape(-1)
    if not spec.bound:
        return _pack(jnp.any(bad), (), (), ())
    if bad.size == 0:
        return _pack(False, (), (), ())
    first = jnp.argmax(bad)
    outer = spec.indices.shape[:-1] if spec.tuples else spec.indices.shape
    where = jnp.unravel_index(first, outer) if outer else ()
    if spec.tuples:
        row = spec.indices.reshape(-1, spec.indices.shape[-1])[first]
        value = tuple(row[j] for j in range(row.shape[0]))
    else:
        value = (spec.indices.reshape(-1)[first],)
    return _pack(jnp.any(bad), where, value, spec.bound)


def raising(fn: Callable[..., tuple], nodes: tuple[Node, ...], bodies: bool = False):
    """`fn`, whose outputs end with the reports of `nodes` (`reports`) and, with `bodies`,
    the error value of the checks inside its bodies (`checking_bodies`), returning its
    other outputs and raising the first failed check's error after it has run: at once, or
    inside `deferred()` when that settles (no host sync of its own)."""
    tail = (3 if nodes else 0) + bodies

    def call(*args):
        outs = fn(*args)
        failed = (nodes, outs[-tail:])
        pending = _local.__dict__.get("pending")
        if pending is None:
            _raise_any(*failed)
        else:
            pending.append(failed)
        return outs[:-tail]

    return call


_local = threading.local()


@contextlib.contextmanager
def deferred(fetched: Callable[[], list]):
    """Checks of the segments called inside wait until the block ends; their flags are
    then read with `fetched()`'s values (every copy to the host started together, one
    wait), and the first failed check raises. For a run's last segment, whose outputs are
    read next anyway."""
    _local.pending = pending = []
    try:
        yield
    finally:
        _local.pending = None
    if pending:
        for value in jax.tree_util.tree_leaves(fetched() + [tail for _, tail in pending]):
            if isinstance(value, jax.Array):
                value.copy_to_host_async()
        for nodes, tail in pending:
            _raise_any(nodes, tail)


def _raise_any(nodes: tuple[Node, ...], tail: tuple) -> None:
    if nodes:
        _raise_failed(nodes, *tail[:3])
    if isinstance(tail[-1], checkify.Error):
        _raise_body_error(tail[-1])


def _raise_failed(nodes: tuple[Node, ...], flag, packed, quoted) -> None:
    if not np.asarray(flag):  # the step's one flag: whether any check failed
        return
    packed = [int(x) for x in np.asarray(packed)]
    for node, details in zip(nodes, quoted):
        (bad, position, value, bound), packed = _unpack(packed)
        if bad:
            raise _error(node, position, value, bound, jax.device_get(details))


def _error(node: Node, position, value, bound, details: tuple) -> errors.OpError:
    if node.op in _DIVISIONS:
        if node.op == "TruncateDiv":  # TF's CPU kernel reports it so
            text = (
                "Unexpected error in binary operator (only integer div and mod should have errors)"
            )
            return errors.InternalError(node, None, cite(node, text))
        return errors.InvalidArgumentError(node, None, cite(node, "Integer division by zero"))
    return errors.InvalidArgumentError(
        node, None, cite(node, _MESSAGES[node.op](node, position, value, bound, *details))
    )


# -- checks inside bodies ----------------------------------------------------------------------

_bodies = threading.local()
_watched: list[tuple[Node, ...]] = []  # a body check's number -> the nodes it watches


def bodies_checked(nodes: Sequence[Node]) -> bool:
    """Whether a cond branch or loop body among `nodes`' attrs (at any depth) holds a node
    a check watches (never when checks are off)."""
    return enabled() and any(_function_checked(f) for n in nodes for f in _functions(n.attrs))


def _functions(attrs: dict):
    for value in attrs.values():
        for v in value if type(value) is tuple else (value,):
            if isinstance(v, Function):
                yield v


def _function_checked(fn: Function) -> bool:
    nodes = fn.graph.nodes
    return any(_applies(n) for n in nodes) or bodies_checked(nodes)


def checking_bodies(trace: Callable[..., tuple], stateful: bool) -> Callable[..., tuple]:
    """`trace` under `checkify`, its body checks on: the error value follows its outputs
    (`stateful`: the first of its (outputs, writes, keys))."""
    checked = checkify.checkify(trace, errors=checkify.user_checks)

    def call(*args):
        _bodies.active = True
        try:
            error, results = checked(*args)
        finally:
            _bodies.active = False
        if stateful:
            return (results[0] + (error,), *results[1:])
        return results + (error,)

    return call


def bodies_active() -> bool:
    """Whether a body traced now is part of a segment traced under `checking_bodies`."""
    return _bodies.__dict__.get("active", False)


def check_body(nodes: Sequence[Node], frame: Frame, folded: frozenset[str]) -> None:
    """Adds the checks of a body's `nodes` (traced in `frame`) to the segment's error."""
    watched = checked(nodes, folded)
    if not watched or not bodies_active():
        return
    failed, packed, quoted = reports(watched, frame)
    number = len(_watched)
    _watched.append(watched)
    arrays = {f"q{i}_{j}": q for i, qs in enumerate(quoted) for j, q in enumerate(qs)}
    checkify.check(~failed, f"flowgraph check {number}: {{packed}}", packed=packed, **arrays)


def _raise_body_error(error: checkify.Error) -> None:
    failed = error.get_exception()
    if failed is None:
        return
    nodes = _watched[int(failed.fmt_string.split(":")[0].rsplit(" ", 1)[1])]
    kwargs = failed.kwargs
    quoted = [
        [kwargs[f"q{i}_{j}"] for j in range(_count(kwargs, f"q{i}_"))] for i in range(len(nodes))
    ]
    _raise_failed(nodes, True, kwargs["packed"], quoted)


def _count(kwargs: dict, prefix: str) -> int:
    return sum(k.startswith(prefix) for k in kwargs)


# -- reports: [bad, rank, *position, size, *value, rank, *bound] -----------------------------


def _pack(bad, position, value, bound) -> jax.Array:
    parts = [jnp.reshape(bad, (1,)).astype(jnp.int32), jnp.array([len(position)], jnp.int32)]
    parts += [jnp.asarray(p, jnp.int32).reshape(1) for p in position]
    parts += [jnp.array([len(value)], jnp.int32)]
    parts += [jnp.asarray(v, jnp.int32).reshape(-1) for v in value]
    parts += [jnp.array([len(bound)] + list(bound), jnp.int32)]
    return jnp.concatenate(parts)


def _unpack(packed: list[int]) -> tuple[tuple, list[int]]:
    """`((bad, position, value, bound), the rest)` from the front of `packed`."""
    bad, rest = packed[0], packed[1:]
    out = []
    for _ in range(3):
        n, rest = rest[0], rest[1:]
        out.append(tuple(rest[:n]))
        rest = rest[n:]
    return (bad, *out), rest


def _gather(node: Node, args: list) -> _Spec:
    params, axis = args[0], int(np.asarray(args[2]))
    return _Spec(jnp.asarray(args[1]), (np.shape(params)[axis % max(np.ndim(params), 1)],))


def _first_axis(node: Node, args: list) -> _Spec:
    return _Spec(jnp.asarray(args[1]), (np.shape(args[0])[0],), padded=True)


def _gather_nd(node: Node, args: list) -> _Spec:
    shape = tuple(np.shape(args[0]))[node.attrs.get("batch_dims", 0) :]
    return _Spec(jnp.asarray(args[1]), shape, tuples=True)


def _scatter_nd(node: Node, args: list) -> _Spec:
    shape = tuple(int(d) for d in np.asarray(args[2]).reshape(-1))
    return _Spec(jnp.asarray(args[0]), shape, tuples=True)


def _tensor_scatter(node: Node, args: list) -> _Spec:
    return _Spec(jnp.asarray(args[1]), tuple(np.shape(args[0])), tuples=True)


def _labels(node: Node, args: list) -> _Spec:
    return _Spec(jnp.asarray(args[1]), (np.shape(args[0])[-1],), quoted=(args[1],))


_SPECS: dict[str, Callable[[Node, list], _Spec]] = {
    "GatherV2": _gather,
    "GatherNd": _gather_nd,
    "ScatterNd": _scatter_nd,
    "TensorScatterUpdate": _tensor_scatter,
    "TensorScatterAdd": _tensor_scatter,
    "TensorScatterSub": _tensor_scatter,
    "ScatterUpdate": _first_axis,
    "ScatterAdd": _first_axis,
    "ScatterSub": _first_axis,
    "SparseSoftmaxCrossEntropyWithLogits": _labels,
}
_DIVISIONS = ("FloorDiv", "FloorMod", "TruncateDiv")


# -- TensorFlow's messages -------------------------------------------------------------------


def _at(position: tuple) -> str:
    return ",".join(str(p) for p in position)


def _not_in(node, position, value, bound) -> str:
    where = f"[{_at(position)}]" if position else ""  # a scalar index: TF's "indices = 7"
    return f"indices{where} = {value[0]} is not in [0, {bound[0]})"


def _not_into(node, position, value, bound) -> str:
    where = "param shape" if node.op == "GatherNd" else "shape"
    tail = f", node name: {node.name}" if node.op == "GatherNd" else ""
    shape = ",".join(str(d) for d in bound)
    return (
        f"indices[{_at(position)}] = [{', '.join(str(v) for v in value)}] does not index "
        f"into {where} [{shape}]{tail}"
    )


def _label(node, position, value, bound, labels) -> str:
    return (
        f"Received a label value of {value[0]} which is outside the valid range of "
        f"[0, {bound[0]}).  Label values: {' '.join(str(x) for x in np.ravel(labels))}"
    )


_MESSAGES = {
    "GatherV2": _not_in,
    "ScatterUpdate": _not_in,
    "ScatterAdd": _not_in,
    "ScatterSub": _not_in,
    "GatherNd": _not_into,
    "ScatterNd": _not_into,
    "TensorScatterUpdate": _not_into,
    "TensorScatterAdd": _not_into,
    "TensorScatterSub": _not_into,
    "SparseSoftmaxCrossEntropyWithLogits": _label,
}
