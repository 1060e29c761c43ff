"""Pruning: the nodes a run needs, in canonical order (feeds cut their producers off)."""

from __future__ import annotations

import heapq
from typing import Collection, Iterable, Mapping

from device.ir import Edge, GraphIR, Node
from kernels.errors import InvalidArgumentError


def prune(
    ir: GraphIR, fetches: Iterable[Edge], feeds: Collection[Edge], targets: Iterable[str]
) -> list[Node]:
    """Returns the nodes that `fetches` and `targets` need, in canonical topological order.

    A fed edge needs nothing: its producer runs only if something else needs it.
    """
    fed_nodes = fully_fed(ir, feeds)
    by_name = ir.by_name
    needed: dict[str, list[str]] = {}  # name -> its dependencies (the walk's, reused)
    stack = [name for name, i in fetches if (name, i) not in feeds] + list(targets)
    while stack:
        name = stack.pop()
        if name in needed:
            continue
        deps = needed[name] = _dependencies(by_name[name], feeds, fed_nodes)
        stack.extend(deps)
    return canonical_order(ir, needed, feeds, fed_nodes, needed)


def fully_fed(ir: GraphIR, feeds: Collection[Edge]) -> frozenset[str]:
    """Nodes whose every output is fed: a control edge on one is satisfied by the feed
    (TF moves such edges onto the fed value)."""
    names = {name for name, _ in feeds}
    return frozenset(
        n for n in names if all((n, i) in feeds for i in range(len(ir[n].output_dtypes)))
    )


def canonical_order(
    ir: GraphIR,
    names: Collection[str],
    feeds: Collection[Edge],
    fed_nodes: Collection[str] = frozenset(),
    dependencies: Mapping[str, list[str]] | None = None,
) -> list[Node]:
    """Kahn's algorithm over `names`, ties broken by creation order (deterministic state).
    `dependencies` maps each name to its `_dependencies` where the caller has them."""
    order = ir.order
    by_name = ir.by_name
    indegree = dict.fromkeys(names, 0)
    consumers: dict[str, list[str]] = {n: [] for n in names}
    for name in names:
        if dependencies is None:
            deps = _dependencies(by_name[name], feeds, fed_nodes)
        else:
            deps = dependencies[name]
        for producer in deps:
            if producer in indegree:
                indegree[name] += 1
                consumers[producer].append(name)
    ready = [(order[n], n) for n, d in indegree.items() if d == 0]
    heapq.heapify(ready)
    out: list[Node] = []
    while ready:
        _, name = heapq.heappop(ready)
        out.append(by_name[name])
        for c in consumers[name]:
            indegree[c] -= 1
            if indegree[c] == 0:
                heapq.heappush(ready, (order[c], c))
    if len(out) != len(names):
        stuck = sorted(n for n, d in indegree.items() if d > 0)
        raise InvalidArgumentError(None, None, f"Graph has a cycle among nodes {stuck[:10]}")
    return out


def _dependencies(node: Node, feeds: Collection[Edge], fed_nodes: Collection[str]) -> list[str]:
    deps = [e[0] for e in node.inputs if e not in feeds]
    if node.control_inputs:
        deps += [c for c in node.control_inputs if c not in fed_nodes]
    return deps
