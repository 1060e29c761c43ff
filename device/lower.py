"""Lowering: a segment becomes one callable, a `jax.jit` function (xla) or a host loop."""

from __future__ import annotations

from typing import Any, Callable

import jax
import numpy as np

from device.ir import Edge, Node
from device.partition import Segment
from kernels import errors, registry
from kernels.registry import StaticArray

SegmentFn = Callable[..., tuple]


def lower(segment: Segment) -> SegmentFn:
    """Returns `fn(*inputs) -> outputs` for `segment` (inputs and outputs in its order)."""
    if segment.kind == registry.HOST:
        return _lower_host(segment)
    return _lower_xla(segment)


def _lower_xla(segment: Segment) -> SegmentFn:
    static_positions = tuple(i for i, e in enumerate(segment.inputs) if e in segment.static)
    folded = _needed_static(segment)

    def trace(*args):
        env = {e: (a.array if isinstance(a, StaticArray) else a)
               for e, a in zip(segment.inputs, args)}
        for node in segment.nodes:
            with jax.named_scope(node.name):
                if node.name in folded:
                    with jax.ensure_compile_time_eval():
                        run_node(node, env)
                else:
                    run_node(node, env)
        return tuple(env[e] for e in segment.outputs)

    jitted = jax.jit(trace, static_argnums=static_positions)
    if not static_positions and _is_default(segment.device):
        return jitted
    return _with_static_and_device(jitted, static_positions, segment.device)


def _is_default(device) -> bool:
    return device is None or device == jax.devices()[0]


def _with_static_and_device(jitted, static_positions, device) -> SegmentFn:
    def call(*args):
        args = list(args)
        for i in static_positions:
            args[i] = StaticArray(np.asarray(args[i]))
        if not _is_default(device):
            args = [a if i in static_positions else jax.device_put(a, device)
                    for i, a in enumerate(args)]
        return jitted(*args)

    return call


def _needed_static(segment: Segment) -> set[str]:
    """Nodes whose values some static input needs: they are evaluated while tracing."""
    by_name = {n.name: n for n in segment.nodes}
    stack = [e[0] for n in segment.nodes for i, e in enumerate(n.inputs)
             if registry.lookup(n.op).is_static_input(i) and e[0] in by_name]
    needed: set[str] = set()
    while stack:
        name = stack.pop()
        if name not in needed and name in by_name:
            needed.add(name)
            stack.extend(e[0] for e in by_name[name].inputs if e not in segment.inputs)
    return needed


def _lower_host(segment: Segment) -> SegmentFn:
    def run(*args):
        env = {e: _to_numpy(a) for e, a in zip(segment.inputs, args)}
        for node in segment.nodes:
            run_node(node, env)
        return tuple(env[e] for e in segment.outputs)

    return run


def _to_numpy(value) -> Any:
    return value if isinstance(value, np.ndarray) else np.asarray(value)


def run_node(node: Node, env: dict[Edge, Any]) -> None:
    """Runs one node's kernel on values from `env` and stores its outputs there."""
    kernel = registry.lookup(node.op)
    args = [env[e] for e in node.inputs]
    for i in range(len(args)):
        if kernel.is_static_input(i):
            args[i] = _static_value(node, kernel, i, args[i])
    attrs = {k: v for k, v in node.attrs.items() if k in kernel.attr_names}
    try:
        out = kernel.fn(*args, **attrs)
    except errors.OpError as e:
        raise type(e)(node, None, _cite(node, e.message)) from None
    except (ValueError, TypeError, IndexError, ZeroDivisionError) as e:
        raise errors.InvalidArgumentError(node, None, _cite(node, str(e))) from None
    outs = out if isinstance(out, tuple) else (out,)
    for i, value in enumerate(outs):
        env[(node.name, i)] = value


def _static_value(node: Node, kernel, index: int, value) -> np.ndarray:
    if isinstance(value, jax.core.Tracer):
        name = kernel.input_names[min(index, len(kernel.input_names) - 1)]
        raise errors.InvalidArgumentError(
            node, None,
            _cite(node, f"input '{name}' must be known when the graph is compiled, but it is "
                        "computed from values only known at run time. Feed it, or compute it "
                        "from constants and tf.shape/tf.size/tf.rank of tensors."),
        )
    return np.asarray(value)


def _cite(node: Node, message: str) -> str:
    where = f" (defined at {node.source})" if node.source else ""
    return f"{node.op} op '{node.name}': {message}{where}"
