"""Lowering: a segment becomes one callable, a `jax.jit` function (xla) or a host loop.

A segment that touches state reads its variables' buffers and RNG keys from the session's
store, returns the new ones (donating the old buffers) and commits them, all under the
store's lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import jax
import numpy as np

from device.ir import Edge, Node
from device.partition import Segment
from device.store import Store
from kernels import errors, registry
from kernels.registry import PROBE, READ_WRITE, RNG, VARIABLE, WRITE, StaticArray

SegmentFn = Callable[..., tuple]


@dataclass(frozen=True)
class StateUse:
    """The state a segment touches, in the order its function takes and returns it."""

    reads: tuple[Node, ...]  # variables whose current value is needed
    probes: tuple[Node, ...]  # variables asked "initialized?"
    rngs: tuple[Node, ...]  # nodes that consume their RNG key
    writes: tuple[Node, ...]  # variables assigned (their final values are committed)

    @property
    def empty(self) -> bool:
        return not (self.reads or self.probes or self.rngs or self.writes)

    @property
    def arity(self) -> int:
        return len(self.reads) + len(self.probes) + len(self.rngs)


def state_use(segment: Segment) -> StateUse:
    """Which variables a segment reads before writing, writes, probes; which nodes use RNG."""
    reads: dict[str, Node] = {}
    probes: dict[str, Node] = {}
    writes: dict[str, Node] = {}
    rngs: list[Node] = []
    for node in segment.nodes:
        kernel = registry.lookup(node.op)
        if kernel.state == VARIABLE:
            if (node.name, 0) in segment.outputs and node.name not in writes:
                reads.setdefault(node.name, node)
            continue
        if kernel.state == RNG:
            rngs.append(node)
        for i, (producer, _) in enumerate(node.inputs):
            var = segment.variables.get(producer)
            if var is None:
                continue
            mode = kernel.ref_mode(i)
            if mode == PROBE:
                probes[producer] = var
                continue
            if mode != WRITE and producer not in writes:
                reads.setdefault(producer, var)
            if mode in (WRITE, READ_WRITE):
                writes[producer] = var
    return StateUse(
        tuple(reads.values()), tuple(probes.values()), tuple(rngs), tuple(writes.values())
    )


def lower(segment: Segment, store: Store | None = None) -> SegmentFn:
    """Returns `fn(*inputs) -> outputs` for `segment` (inputs and outputs in its order)."""
    use = state_use(segment)
    if use.empty:
        return _lower_stateless(segment, use)
    if store is None:
        raise ValueError("a segment that touches variables or RNG state needs a store")
    return _with_store(_lower_stateless(segment, use), use, store, segment.kind)


def _lower_stateless(segment: Segment, use: StateUse) -> SegmentFn:
    if segment.kind == registry.HOST:
        return _lower_host(segment, use)
    return _lower_xla(segment, use)


class _Frame:
    """Values while a segment runs: edges, probe answers and RNG keys."""

    def __init__(self, segment: Segment, use: StateUse, args: tuple, to_value=lambda a: a):
        n_reads, n_probes, n_rngs = len(use.reads), len(use.probes), len(use.rngs)
        self.variables = segment.variables
        self.env: dict[Any, Any] = {(v.name, 0): a for v, a in zip(use.reads, args)}
        self.probes = {v.name: a for v, a in zip(use.probes, args[n_reads:])}
        self.keys = {n.name: a for n, a in zip(use.rngs, args[n_reads + n_probes :])}
        inputs = args[n_reads + n_probes + n_rngs :]
        for e, a in zip(segment.inputs, inputs):
            self.env[e] = to_value(a.array if isinstance(a, StaticArray) else a)

    def results(self, segment: Segment, use: StateUse) -> tuple:
        outs = tuple(self.env[e] for e in segment.outputs)
        if use.empty:
            return outs
        return (
            outs,
            tuple(self.env[(v.name, 0)] for v in use.writes),
            tuple(self.keys[n.name] for n in use.rngs),
        )


def _lower_xla(segment: Segment, use: StateUse) -> SegmentFn:
    n_state = use.arity
    static_positions = tuple(
        n_state + i for i, e in enumerate(segment.inputs) if e in segment.static
    )
    folded = segment.folded
    written = {v.name for v in use.writes}
    donated = tuple(i for i, v in enumerate(use.reads) if v.name in written)
    donated += tuple(len(use.reads) + len(use.probes) + i for i in range(len(use.rngs)))

    def trace(*args):
        frame = _Frame(segment, use, args)
        for node in segment.nodes:
            with jax.named_scope(node.name):
                if node.name in folded:
                    with jax.ensure_compile_time_eval():
                        run_node(node, frame)
                else:
                    run_node(node, frame)
        return frame.results(segment, use)

    jitted = jax.jit(trace, static_argnums=static_positions, donate_argnums=donated)
    if not static_positions and _is_default(segment.device):
        return jitted
    return _with_static_and_device(jitted, static_positions, segment.device, n_state)


def _is_default(device) -> bool:
    return device is None or device == jax.devices()[0]


def _with_static_and_device(jitted, static_positions, device, n_state: int) -> SegmentFn:
    def call(*args):
        args = list(args)
        for i in static_positions:
            args[i] = StaticArray(np.asarray(args[i]))
        if not _is_default(device):
            args = [
                a if i in static_positions else jax.device_put(a, device)
                for i, a in enumerate(args)
            ]
        return jitted(*args)

    return call


def _with_store(fn: SegmentFn, use: StateUse, store: Store, kind: str) -> SegmentFn:
    commit = jax.device_put if kind == registry.HOST else (lambda v: v)

    def call(*inputs):
        with store.lock:
            state = [store.read(v) for v in use.reads]
            state += [np.bool_(store.is_initialized(v.name)) for v in use.probes]
            state += [store.key(n) for n in use.rngs]
            outs, values, keys = fn(*state, *inputs)
            for v, value in zip(use.writes, values):
                store.variables[v.name] = commit(value)
            for n, key in zip(use.rngs, keys):
                store.keys[n.name] = key
        return outs

    return call


def _lower_host(segment: Segment, use: StateUse) -> SegmentFn:
    def run(*args):
        frame = _Frame(segment, use, args, to_value=_to_numpy)
        for key in list(frame.env):
            frame.env[key] = _to_numpy(frame.env[key])
        for node in segment.nodes:
            run_node(node, frame)
        return frame.results(segment, use)

    return run


def _to_numpy(value) -> Any:
    return value if isinstance(value, np.ndarray) else np.asarray(value)


def run_node(node: Node, frame: _Frame) -> None:
    """Runs one node's kernel on values from `frame` and stores its outputs there."""
    kernel = registry.lookup(node.op)
    if kernel.state == VARIABLE:
        return  # its value is already in the frame (read from the store) if anyone needs it
    env = frame.env
    args = [_input(node, kernel, i, e, frame) for i, e in enumerate(node.inputs)]
    attrs = {k: v for k, v in node.attrs.items() if k in kernel.attr_names}
    try:
        if kernel.state == RNG:
            out, frame.keys[node.name] = kernel.fn(frame.keys[node.name], *args, **attrs)
        else:
            out = kernel.fn(*args, **attrs)
    except errors.OpError as e:
        raise type(e)(node, None, _cite(node, e.message)) from None
    except (ValueError, TypeError, IndexError, ZeroDivisionError) as e:
        raise errors.InvalidArgumentError(node, None, _cite(node, str(e))) from None
    written = [i for i, mode in kernel.refs if mode in (WRITE, READ_WRITE)]
    if len(written) > 1:  # one new value per written ref, in `refs` order; output 0 is the first
        new_values, outs = out, out[:1]
    else:
        outs = out if isinstance(out, tuple) else (out,)
        new_values = outs[:1]
    for i, value in enumerate(outs):
        env[(node.name, i)] = value
    for i, value in zip(written, new_values):
        env[node.inputs[i]] = value  # the variable's new value


def _input(node: Node, kernel, index: int, edge: Edge, frame: _Frame) -> Any:
    var = frame.variables.get(edge[0])
    if var is not None:
        mode = kernel.ref_mode(index)
        if mode == PROBE:
            return edge in frame.env or frame.probes[var.name]
        if mode == WRITE:
            return frame.env.get(edge) if edge in frame.env else _declared(var)
    value = frame.env[edge]
    if kernel.is_static_input(index, node.attrs):
        return _static_value(node, kernel, index, value)
    return value


def _declared(var: Node) -> jax.ShapeDtypeStruct | None:
    """A stand-in carrying the variable's declared shape, for shape validation."""
    shape = var.attrs.get("shape")
    if shape is None or None in shape:
        return None
    return jax.ShapeDtypeStruct(tuple(shape), var.attrs["dtype"])


def _static_value(node: Node, kernel, index: int, value) -> np.ndarray:
    if isinstance(value, jax.core.Tracer):
        name = kernel.input_names[min(index, len(kernel.input_names) - 1)]
        raise errors.InvalidArgumentError(
            node,
            None,
            _cite(
                node,
                f"input '{name}' must be known when the graph is compiled, but it is "
                "computed from values only known at run time. Feed it, or compute it "
                "from constants and tf.shape/tf.size/tf.rank of tensors.",
            ),
        )
    return np.asarray(value)


def _cite(node: Node, message: str) -> str:
    where = f" (defined at {node.source})" if node.source else ""
    return f"{node.op} op '{node.name}': {message}{where}"
