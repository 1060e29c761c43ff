"""The checks XLA skips, compiled in: TensorFlow's errors for bad index and divisor values.

XLA clamps or drops out-of-range indices and gives garbage for an integer division by
zero, where TensorFlow raises `InvalidArgumentError` naming the op and the bad value. An
xla segment computes, with its step, one flag and a small int32 report per checked node
(`[bad, rank, *position, size, *value, rank, *bound]`, the `checkify` approach; a node may
add arrays its message quotes, fetched only when it fails). After the step (its variables
committed, as TF's earlier ops have run) the host raises the first failed check's error
with the op's name and the line that made it.

On by default; set the environment variable `FLOWGRAPH_CHECKS=0` before a session's first
run to compile them out (a run then gives XLA's clamped values). Host segments need none
(numpy raises); checks inside cond branches and loop bodies are not compiled in yet.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from device.interpret import Frame, cite
from device.ir import Node
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
    return node.op in _REPORTS


def reports(nodes: Sequence[Node], frame: Frame) -> tuple:
    """`(one array: whether any check failed, then every checked node's report; each node's
    quoted arrays)`, traced from the nodes' input values in `frame`: one small transfer
    per step (none: no nodes)."""
    if not nodes:
        return ()
    made = [_report(n, [_shaped(frame, e) for e in n.inputs]) for n in nodes]
    failed = jnp.any(jnp.stack([m[0][0] for m in made]) != 0).astype(jnp.int32)
    return jnp.concatenate([failed[None]] + [m[0] for m in made]), tuple(m[1:] for m in made)


def _shaped(frame: Frame, edge) -> Any:
    value = frame.env.get(edge)
    return np.asarray(value) if isinstance(value, (int, float, np.generic)) else value


def _report(node: Node, args: list) -> tuple:
    if node.op in _DIVISIONS:
        return (_pack(jnp.any(args[1] == 0), (), (), ()),)
    return _REPORTS[node.op](node, args)


def raising(fn: Callable[..., tuple], nodes: tuple[Node, ...]) -> Callable[..., tuple]:
    """`fn`, whose outputs end with the reports of `nodes` (`reports`), raising the first
    failed check's error after it has run, and returning its other outputs."""

    def call(*args):
        outs = fn(*args)
        packed = np.asarray(outs[-2])
        if not packed[0]:  # the step's one flag: whether any check failed
            return outs[:-2]
        packed = [int(x) for x in packed[1:]]
        for node, quoted in zip(nodes, outs[-1]):
            (bad, position, value, bound), packed = _unpack(packed)
            if bad:
                raise _error(node, position, value, bound, jax.device_get(quoted))
        return outs[:-2]

    return call


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


def _in_range(indices, limit: int, padded: bool = False):
    """(any bad, position of the first bad index, its value) for indices in [0, limit);
    `padded`: the largest integer is the padding of `DeduplicateIndexedSlices` (the rows a
    sparse update leaves alone), not a bad index."""
    indices = jnp.asarray(indices)
    if indices.size == 0:
        return False, (), ()
    bad = (indices < 0) | (indices >= limit)
    if padded:
        bad &= indices != jnp.iinfo(indices.dtype).max
    first = jnp.argmax(bad.reshape(-1))
    where = jnp.unravel_index(first, indices.shape) if indices.ndim else ()
    return jnp.any(bad), where, (indices.reshape(-1)[first],)


def _tuples_in(indices, shape: tuple):
    """The same for index tuples (the last axis of `indices`) into `shape`."""
    indices = jnp.asarray(indices)
    k = indices.shape[-1]
    if indices.size == 0 or k == 0:
        return False, (), ()
    rows = indices.reshape(-1, k)
    bad = jnp.any((rows < 0) | (rows >= jnp.asarray(shape[:k], rows.dtype)), axis=-1)
    first = jnp.argmax(bad)
    outer = indices.shape[:-1]
    where = jnp.unravel_index(first, outer) if outer else ()
    return jnp.any(bad), where, tuple(rows[first][j] for j in range(k))


def _gather(node: Node, args: list) -> tuple:
    params, indices, axis = args[0], args[1], int(np.asarray(args[2]))
    limit = np.shape(params)[axis % max(np.ndim(params), 1)]
    bad, where, value = _in_range(indices, limit)
    return (_pack(bad, where, value, (limit,)),)


def _first_axis(node: Node, args: list) -> tuple:
    limit = np.shape(args[0])[0]
    bad, where, value = _in_range(args[1], limit, padded=True)
    return (_pack(bad, where, value, (limit,)),)


def _gather_nd(node: Node, args: list) -> tuple:
    shape = tuple(np.shape(args[0]))[node.attrs.get("batch_dims", 0) :]
    bad, where, value = _tuples_in(args[1], shape)
    return (_pack(bad, where, value, shape),)


def _scatter_nd(node: Node, args: list) -> tuple:
    shape = tuple(int(d) for d in np.asarray(args[2]).reshape(-1))
    bad, where, value = _tuples_in(args[0], shape)
    return (_pack(bad, where, value, shape),)


def _tensor_scatter(node: Node, args: list) -> tuple:
    shape = tuple(np.shape(args[0]))
    bad, where, value = _tuples_in(args[1], shape)
    return (_pack(bad, where, value, shape),)


def _labels(node: Node, args: list) -> tuple:
    limit = np.shape(args[0])[-1]
    bad, where, value = _in_range(args[1], limit)
    return _pack(bad, where, value, (limit,)), args[1]


_REPORTS: dict[str, Callable[[Node, list], tuple]] = {
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
    return f"indices[{_at(position)}] = {value[0]} is not in [0, {bound[0]})"


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
