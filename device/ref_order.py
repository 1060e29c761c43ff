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
variable is read from the store after the segments ordered before have committed). Inside
a cond branch or loop body, where the variable is an argument (a ref placeholder) and its
value tensor another one, the same rule holds among the body's nodes. Where no write is
ordered before it (TF leaves the order undefined), the op keeps reading the value tensor,
whose value is the deterministic answer of the canonical order. Runs with no such read (the
training step's fast path) keep their nodes, unchanged.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Collection, Mapping

from device.ir import Edge, Function, GraphIR, Node
from device.prune import fully_fed
from kernels.registry import READ_WRITE, WRITE

_NOTHING: frozenset[str] = frozenset()

# node -> {(inputs, functions) -> the node using them}, function -> {aliases -> function}:
# the same rewrite gives the same objects in every plan, so lowered segments stay cached.
_nodes: "weakref.WeakKeyDictionary[Node, dict]" = weakref.WeakKeyDictionary()
_functions: "weakref.WeakKeyDictionary[Function, dict]" = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class _Scope:
    """A graph being ordered: the top-level graph, or a function body in it."""

    by_name: Mapping[str, Node]
    variables: frozenset[str]  # variable nodes (a body: its ref placeholders)
    aliases: Mapping[str, str]  # a body's value-tensor placeholder -> its ref placeholder
    feeds: Collection[Edge] = frozenset()
    fed_nodes: Collection[str] = frozenset()


def order_reads(ir: GraphIR, nodes: list[Node], feeds: Collection[Edge]) -> list[Node]:
    """`nodes` (in canonical order), each reading the variables a write is ordered before
    it reads from the variable itself instead of from the variable's value tensor."""
    variables = frozenset(n.name for n in nodes if n.kernel.effects.variable)
    scope = _Scope(ir.by_name, variables, {}, feeds, fully_fed(ir, feeds))
    return _order(nodes, scope)


def _order(nodes, scope: _Scope) -> list[Node]:
    writers = {n.name: _writes(n, scope) for n in nodes}
    if not any(writers.values()):
        return nodes
    before: dict[str, frozenset[str]] = {}  # node -> variables written by its ancestors
    out = []
    for node in nodes:
        before[node.name] = _written_before(node, before, writers, scope)
        out.append(_rewritten(node, before[node.name], writers[node.name], scope))
    return nodes if all(a is b for a, b in zip(out, nodes)) else out


def _writes(node: Node, scope: _Scope) -> frozenset[str]:
    """The variables `node` assigns (edges at its WRITE or READ_WRITE ref inputs)."""
    modes = node.refs
    if not modes:
        return _NOTHING
    return frozenset(
        node.inputs[i][0]
        for i, mode in modes.items()
        if mode in (WRITE, READ_WRITE) and node.inputs[i] not in scope.feeds
    )


def _written_before(node: Node, before, writers, scope: _Scope) -> frozenset[str]:
    producers = [e[0] for e in node.inputs if e not in scope.feeds]
    producers += [c for c in node.control_inputs if c not in scope.fed_nodes]
    seen = _NOTHING
    for p in producers:
        if before.get(p) or writers.get(p):  # most nodes have neither: no set is made
            seen = seen | before[p] | writers[p]
    return seen


def _rewritten(node: Node, written: frozenset[str], writes: frozenset[str], scope) -> Node:
    """`node` reading the variables in `written` from the variables themselves, and its
    functions (if it writes through them) ordered inside."""
    inputs = node.inputs
    if written:
        inputs = tuple(
            _source(e, written, scope) if i not in node.refs else e
            for i, e in enumerate(node.inputs)
        )
    functions = _functions_ordered(node, scope) if writes else {}
    if inputs == node.inputs and not functions:
        return node
    known = _nodes.setdefault(node, {})
    key = (inputs, tuple(functions.items()))
    if key not in known:
        known[key] = _with(node, inputs, functions)
    return known[key]


def _variable_of(edge: Edge, scope: _Scope) -> str | None:
    """The variable whose value `edge` is, through Identity chains; None if none."""
    name, index = edge
    while index == 0 and scope.by_name[name].op == "Identity" and edge not in scope.feeds:
        edge = scope.by_name[name].inputs[0]
        name, index = edge
    name = scope.aliases.get(name, name)
    if index == 0 and name in scope.variables and edge not in scope.feeds:
        return name
    return None


def _source(edge: Edge, written: frozenset[str], scope: _Scope) -> Edge:
    """The variable's own edge if `edge` is the value of one of the `written` variables."""
    var = _variable_of(edge, scope)
    return (var, 0) if var is not None and var in written else edge


def _functions_ordered(node: Node, scope: _Scope) -> dict[str, object]:
    """The node's function attrs (cond branches, loop bodies) whose bodies changed."""
    out = {}
    for key, value in node.attrs.items():
        if isinstance(value, Function):
            new = _function_ordered(node, value, scope)
        elif type(value) is tuple and any(isinstance(v, Function) for v in value):
            new = tuple(_function_ordered(node, v, scope) for v in value)
        else:
            continue
        if new != value:
            out[key] = new
    return out


def _function_ordered(node: Node, fn: Function, scope: _Scope) -> Function:
    if not fn.writes:
        return fn
    aliases = _aliases(node, fn, scope)
    known = _functions.setdefault(fn, {})
    key = frozenset(aliases.items())
    if key not in known:
        known[key] = _body_ordered(fn, aliases)
    return known[key]


def _aliases(node: Node, fn: Function, scope: _Scope) -> dict[str, str]:
    """Body placeholder of a variable's value tensor -> the body's ref placeholder of that
    variable, from the node's inputs (its last inputs are the function's arguments)."""
    offset = len(node.inputs) - len(fn.inputs)
    refs = {_variable_of(node.inputs[offset + b], scope): fn.inputs[b] for b in fn.refs}
    refs.pop(None, None)
    aliases = {}
    for a, name in enumerate(fn.inputs):
        if name is None or a in fn.refs:
            continue
        var = _variable_of(node.inputs[offset + a], scope)
        if var in refs and refs[var] is not None:
            aliases[name] = refs[var]
    return aliases


def _body_ordered(fn: Function, aliases: Mapping[str, str]) -> Function:
    variables = frozenset(fn.inputs[i] for i in fn.refs if fn.inputs[i] is not None)
    nodes = list(fn.graph.nodes)
    ordered = _order(nodes, _Scope(fn.graph.by_name, variables, aliases))
    if ordered is nodes:
        return fn
    graph = GraphIR(tuple(ordered))
    return Function(fn.name, graph, fn.inputs, fn.outputs, fn.refs, fn.writes, fn.rng)


def _with(node: Node, inputs: tuple[Edge, ...], functions: Mapping[str, object]) -> Node:
    attrs = {**node.attrs, **functions} if functions else node.attrs
    copy = Node(
        node.name,
        node.op,
        inputs,
        node.control_inputs,
        attrs,
        node.device,
        node.output_dtypes,
        node.output_shapes,
        node.source,
    )
    object.__setattr__(copy, "op_def", node.op_def)
    return copy
