"""Partitioning: cut placed nodes into maximal acyclic segments of one device and kind."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Collection, Iterable

import jax
import numpy as np

from device.ir import Edge, GraphIR, Node, static_closure
from kernels import registry

_STRING = np.dtype(object)


@dataclass(eq=False)
class Segment:
    """Nodes that run together: one `jax.jit` function (xla) or one Python loop (host).

    `inputs` are the edges the segment reads from feeds or other segments, `static` the
    subset that some node reads as a static input, `outputs` the edges others read.
    `variables` are the variable nodes whose edges it reads or assigns: those values come
    from the session's store, never from another segment. `folded` are the nodes whose
    values feed static inputs: they are evaluated while the segment is traced.
    `linearized` and `pullbacks` pair VJP nodes with their forward ops
    (`device.linearize.pair_linearizations`).
    """

    kind: str
    device: jax.Device | None
    nodes: list[Node] = field(default_factory=list)
    inputs: list[Edge] = field(default_factory=list)
    static: frozenset[Edge] = frozenset()
    outputs: list[Edge] = field(default_factory=list)
    variables: dict[str, Node] = field(default_factory=dict)
    folded: frozenset[str] = frozenset()
    linearized: dict[str, tuple] = field(default_factory=dict)
    pullbacks: dict[str, str] = field(default_factory=dict)
    deps: set[int] = field(default_factory=set)
    index: int = 0

    def __repr__(self) -> str:
        where = f" on {self.device}" if self.device is not None else ""
        return f"Segment {self.index} ({self.kind}{where}): {[n.name for n in self.nodes]}"


def kind_of(ir: GraphIR, node: Node) -> str:
    """The node's kernel kind; anything touching strings runs on the host (XLA has none)."""
    strings = ir.strings
    if node.kernel.kind == registry.HOST or node.name in strings:
        return registry.HOST
    if node.attrs.get("_host"):  # a loop whose shapes change: stepped from the host
        return registry.HOST
    if strings and any(p in strings and ir[p].output_dtypes[i] == _STRING for p, i in node.inputs):
        return registry.HOST
    return registry.XLA


def partition(
    ir: GraphIR,
    nodes: list[Node],
    devices: dict[str, jax.Device],
    feeds: Collection[Edge],
    fetches: Iterable[Edge],
) -> list[Segment]:
    """Groups `nodes` (in canonical order) into as few segments as stay acyclic.

    Returns the segments in an order that respects every data and control edge.
    """
    segments: list[Segment] = []
    owner: dict[str, Segment] = {}
    variables = {n.name for n in nodes if n.kernel.effects.variable}
    kinds = _kinds(ir, nodes)
    xla = registry.XLA
    for node in nodes:
        kind = kinds[node.name]
        device = devices[node.name] if kind == xla else None
        deps = {
            owner[p].index for p in _producers(node, feeds) if p in owner and p not in variables
        }
        seg = _join_or_new(segments, kind, device, deps)
        seg.nodes.append(node)
        if deps and deps != {seg.index}:
            seg.deps |= deps - {seg.index}
        owner[node.name] = seg
    _wire(ir, segments, owner, feeds, set(fetches), variables)
    return _ordered([s for s in segments if s.nodes])


def _kinds(ir: GraphIR, nodes: list[Node]) -> dict[str, str]:
    """Each node's kind, a constant that only host nodes read made on the host too: made
    by XLA, its value would wait for the work queued on the device before it (the step a
    queue's dequeue or a reader precedes: a queue runner's run, the next step's dequeue)."""
    kinds = {n.name: kind_of(ir, n) for n in nodes}
    readers: dict[str, set[str]] = {}
    for node in nodes:
        for producer, _ in node.inputs:
            readers.setdefault(producer, set()).add(kinds[node.name])
    for node in nodes:
        if node.op == "Const" and readers.get(node.name) == {registry.HOST}:
            kinds[node.name] = registry.HOST
    return kinds


def _producers(node: Node, feeds: Collection[Edge]) -> list[str]:
    return [e[0] for e in node.inputs if e not in feeds] + list(node.control_inputs)


def _join_or_new(segments: list[Segment], kind, device, deps: set[int]) -> Segment:
    if len(deps) == 1:  # the common case: the node reads from one segment, of its kind
        (only,) = deps
        seg = segments[only]
        if seg.kind == kind and seg.device == device:
            return seg  # (it reads nothing else: joining closes no cycle)
    candidates = [s for s in segments if s.kind == kind and s.device == device]
    # Prefer a segment this node already reads from; joining must not close a cycle.
    candidates.sort(key=lambda s: s.index not in deps)
    for seg in candidates:
        if not any(seg.index in _ancestors(segments, t) for t in deps if t != seg.index):
            return seg
    seg = Segment(kind, device, index=len(segments))
    segments.append(seg)
    return seg


def _ancestors(segments: list[Segment], start: int) -> set[int]:
    seen: set[int] = set()
    stack = [start]
    while stack:
        for d in segments[stack.pop()].deps:
            if d not in seen:
                seen.add(d)
                stack.append(d)
    return seen


def _wire(ir, segments, owner, feeds, fetches: set[Edge], variables: set[str]) -> None:
    consumed_outside: set[Edge] = set(e for e in fetches if e not in feeds)
    for seg in segments:
        inputs: dict[Edge, None] = {}
        static: set[Edge] = set()
        for node in seg.nodes:
            if node.name in variables:
                seg.variables[node.name] = node
            for i, edge in enumerate(node.inputs):
                if edge[0] in variables and edge not in feeds:
                    seg.variables[edge[0]] = ir[edge[0]]
                    continue
                if edge in feeds or owner[edge[0]] is not seg:
                    inputs[edge] = None
                    consumed_outside.add(edge)
                    if i in node.static_inputs:
                        static.add(edge)
        seg.folded = static_closure(seg.nodes, inputs)
        # An input whose value a folded node reads must be concrete too: a static argument.
        static |= {
            e
            for n in seg.nodes
            if n.name in seg.folded and not n.kernel.effects.shape_only
            for e in n.inputs
            if e in inputs
        }
        seg.inputs, seg.static = list(inputs), frozenset(static)
    for seg in segments:
        seg.outputs = [
            (n.name, i)
            for n in seg.nodes
            for i in range(len(n.output_dtypes))
            if (n.name, i) in consumed_outside and (n.name, i) not in feeds
        ]


def _ordered(segments: list[Segment]) -> list[Segment]:
    # Kahn over segments; ties go to the segment holding the earliest-created node.
    done: set[int] = set()
    out: list[Segment] = []
    pending = sorted(segments, key=lambda s: s.index)
    while pending:
        seg = next(s for s in pending if s.deps <= done)
        pending.remove(seg)
        done.add(seg.index)
        out.append(seg)
    renumber = {seg.index: i for i, seg in enumerate(out)}
    for seg in out:
        seg.index = renumber[seg.index]
        seg.deps = {renumber[d] for d in seg.deps}
    return out
