"""Grouping ops: `no_op`, `group` and `tuple` (the rest of control flow comes later)."""

from __future__ import annotations

import builtins

from flowgraph.framework.ops import Operation, Tensor, apply_op, get_default_graph
from flowgraph.ops import array_ops


def no_op(name=None) -> Operation:
    """An op that does nothing; useful as a target with control dependencies."""
    return apply_op("NoOp", [], name=name)


def group(*inputs, **kwargs) -> Operation:
    """An op that runs after all of `inputs` (tensors or ops, nested lists allowed).

    Example:
      >>> step = tf.group(update_a, update_b, name="step")
      >>> sess.run(step)   # returns None
    """
    name = kwargs.pop("name", None)
    if kwargs:
        raise TypeError(f"Unknown keyword arguments: {', '.join(kwargs)}")
    ops = _flatten_ops(inputs)
    graph = ops[0].graph if ops else get_default_graph()
    with graph.as_default(), graph.control_dependencies(ops):
        return no_op(name=name or "group_deps")


def _flatten_ops(inputs) -> list[Operation]:
    out = []
    for x in inputs:
        if isinstance(x, (list, builtins.tuple)):
            out.extend(_flatten_ops(x))
        elif isinstance(x, Tensor):
            out.append(x.op)
        elif isinstance(x, Operation):
            out.append(x)
        elif hasattr(x, "op") and isinstance(x.op, Operation):
            out.append(x.op)
        elif x is not None:
            raise TypeError(f"Expected a Tensor or Operation in group(), got {x!r}")
    return out


def tuple(tensors, name=None, control_inputs=None) -> list:  # noqa: A001
    """The same tensors, each available only after all of them (and `control_inputs`) are."""
    deps = [t for t in tensors if t is not None] + list(control_inputs or [])
    gate = group(*deps, name=f"{name or 'tuple'}_gate")
    graph = gate.graph
    out = []
    with graph.control_dependencies([gate]):
        for t in tensors:
            out.append(None if t is None else array_ops.identity(t))
    return out
