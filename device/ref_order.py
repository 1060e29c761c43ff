"""Ordered reads of ref variables: a read sees the writes that control dependencies order
before it.

In TF1 a variable's value tensor (its `read` Identity, and Identities of that) aliases the
variable's buffer, so an op that runs after an assign, because a data or control edge says
so (directly or through `tf.group`, NoOps, Identity chains), reads the assigned value.

The rule, in the runtime's terms: an op consuming a ref variable's value reads it as of its
own place in the run's order, which respects control dependencies. Where a write to the
variable is ordered before the op, this pass makes the op read the variable itself (edge
`(variable, 0)`): lowering then hands it the variable's value at the op's position, inside
one segment (the frame holds the current value) and across segments and devices (the
variable is read from the store after the segments ordered before have committed). Where
no write is ordered before it (TF leaves the order undefined), the op keeps reading the
value tensor, whose value is the deterministic answer of the canonical order. Runs with no
such read (the training step's fast path) are left exactly as they were.
"""

from __future__ import annotations

import weakref
from typing import Collection

from device.ir import Edge, GraphIR, Node
from device.prune import fully_fed
from kernels.registry import READ_WRITE, WRITE

_NOTHING: frozenset[str] = frozenset()

# node -> {rewritten inputs -> the node reading them}: the same rewrite gives the same node
# in every plan, so the lowered segments stay cached.
_rewritten: "weakref.WeakKeyDictionary[Node, dict]" = weakref.WeakKeyDictionary()


def order_reads(ir: GraphIR, nodes: list[Node], feeds: Collection[Edge]) -> list[Node]:
    """`nodes` (in canonical order), each reading the variables a write is ordered before
    it reads from the variable itself instead of from the variable's value tensor."""
    writers = {n.name: _writes(n, feeds) for n in nodes}
    if not any(writers.values()):
        return nodes
    fed_nodes = fully_fed(ir, feeds)
    before: dict[str, frozenset[str]] = {}  # node -> variables written by its ancestors
    out = []
    for node in nodes:
        seen = _written_before(node, before, writers, feeds, fed_nodes)
        before[node.name] = seen
        out.append(_reading_variables(ir, node, seen, feeds) if seen else node)
    return nodes if all(a is b for a, b in zip(out, nodes)) else out


def _writes(node: Node, feeds: Collection[Edge]) -> frozenset[str]:
    """The variables `node` assigns (edges at its WRITE or READ_WRITE ref inputs)."""
    modes = node.refs
    if not modes:
        return _NOTHING
    return frozenset(
        node.inputs[i][0]
        for i, mode in modes.items()
        if mode in (WRITE, READ_WRITE) and node.inputs[i] not in feeds
    )


def _written_before(node, before, writers, feeds, fed_nodes) -> frozenset[str]:
    producers = [e[0] for e in node.inputs if e not in feeds]
    producers += [c for c in node.control_inputs if c not in fed_nodes]
    seen = _NOTHING
    for p in producers:
        if before.get(p) or writers.get(p):  # most nodes have neither: no set is made
            seen = seen | before[p] | writers[p]
    return seen


def _reading_variables(ir: GraphIR, node: Node, written: frozenset[str], feeds) -> Node:
    """`node`, its plain reads of a variable in `written` taken from the variable itself."""
    inputs = tuple(
        _source(ir, e, written, feeds) if i not in node.refs and e not in feeds else e
        for i, e in enumerate(node.inputs)
    )
    if inputs == node.inputs:
        return node
    known = _rewritten.setdefault(node, {})
    if inputs not in known:
        known[inputs] = _with_inputs(node, inputs)
    return known[inputs]


def _source(ir: GraphIR, edge: Edge, written: frozenset[str], feeds) -> Edge:
    """The variable edge that `edge` aliases through a chain of Identities, if it is one
    of the `written` variables; else `edge` itself."""
    name, index = edge
    seen = edge
    while index == 0 and ir[name].op == "Identity" and ir[name].inputs[0] not in feeds:
        seen = ir[name].inputs[0]
        name, index = seen
    if index == 0 and name in written and ir[name].kernel.effects.variable:
        return seen
    return edge


def _with_inputs(node: Node, inputs: tuple[Edge, ...]) -> Node:
    copy = Node(
        node.name,
        node.op,
        inputs,
        node.control_inputs,
        node.attrs,
        node.device,
        node.output_dtypes,
        node.output_shapes,
        node.source,
    )
    object.__setattr__(copy, "op_def", node.op_def)
    return copy
