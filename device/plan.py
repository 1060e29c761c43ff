"""The planning pipeline: prune → order reads → place → partition → pair linearizations →
lower."""

from __future__ import annotations

import os
import sys
import time
from typing import Sequence

from device.executor import Plan, PlanInfo
from device.interpret import cite
from device.ir import Edge, GraphIR, Node
from device.linearize import pair_linearizations
from device.lower import SegmentFn, lower
from device.partition import Segment, partition
from device.place import PlacementOptions, place
from device.prune import prune
from device.ref_order import order_reads
from device.store import Store
from kernels.array import missing_feed_message
from kernels.errors import InvalidArgumentError, NotFoundError

DEBUG = bool(os.environ.get("FLOWGRAPH_DEBUG_PASSES"))


def make_plan(
    ir: GraphIR,
    fetches: Sequence[Edge],
    feeds: Sequence[Edge],
    targets: Sequence[str],
    options: PlacementOptions = PlacementOptions(),
    cache: dict | None = None,
    store: Store | None = None,
    placements: dict | None = None,
) -> Plan:
    """Compiles a run of `ir` into a plan.

    `cache` reuses lowered segments across plans and `placements` the graph's placement;
    `store` holds the session's variables and RNG keys (needed by plans that touch state).
    """
    start = time.perf_counter()
    fed = frozenset(feeds)
    nodes = _show("prune", _fed(_bound(prune(ir, fetches, fed, targets))))
    nodes = _show("order reads", order_reads(ir, nodes, fed))
    devices = _show("place", _placement(ir, options, placements))
    segments = _show("partition", partition(ir, nodes, devices, fed, fetches))
    segments = _show("pair linearizations", pair_linearizations(segments))
    hits = [cache is not None and _key(seg) in cache for seg in segments]
    lowered = [_lower_cached(seg, cache, store) for seg in segments]
    info = PlanInfo(nodes, devices, time.perf_counter() - start, hits)
    return Plan(feeds, fetches, segments, lowered, info)


def _bound(nodes: list[Node]) -> list[Node]:
    """`nodes`, every one bound to a kernel (NotFoundError naming those that are not)."""
    unbound = sorted({n.op for n in nodes if n.kernel is None})
    if unbound:
        raise NotFoundError(None, None, f"Op type not registered '{', '.join(unbound)}'")
    return nodes


def _fed(nodes: list[Node]) -> list[Node]:
    """`nodes`, none an unfed Placeholder (a pruned run holds a Placeholder only when it is
    not fed): InvalidArgumentError naming the first, as TF's Placeholder kernel does."""
    for node in nodes:
        if node.op == "Placeholder":
            message = missing_feed_message(node.name, node.attrs["dtype"], node.attrs["shape"])
            raise InvalidArgumentError(node, None, cite(node, message))
    return nodes


def _placement(ir: GraphIR, options: PlacementOptions, cache: dict | None) -> dict:
    """The whole graph's placement, computed once per graph version (and options)."""
    if cache is None:
        return place(ir, options)
    known = cache.get("graph")
    if known is not None and known[0] is ir and known[1] == options:
        return known[2]
    placed = place(ir, options)
    cache["graph"] = (ir, options, placed)
    return placed


def _key(seg: Segment) -> tuple:
    return (
        seg.kind,
        seg.device,
        tuple(seg.nodes),
        tuple(seg.inputs),
        seg.static,
        tuple(seg.outputs),
    )


def _lower_cached(seg: Segment, cache: dict | None, store: Store | None) -> SegmentFn:
    if cache is None:
        return lower(seg, store)
    key = _key(seg)
    fn = cache.get(key)
    if fn is None:
        fn = cache[key] = lower(seg, store)
    return fn


def _show(name: str, value):
    if DEBUG:
        print(f"--- after {name}:", file=sys.stderr)
        items = value.items() if isinstance(value, dict) else value
        for item in items:
            print(f"  {item}", file=sys.stderr)
    return value
