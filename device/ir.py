"""The graph IR handed from the API to the runtime: frozen nodes, like TF's GraphDef."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np


@dataclass(frozen=True, eq=False)
class Node:
    """One op: its type, inputs, control inputs, attrs and requested device.

    `inputs` are `(producer name, output index)` pairs; `control_inputs` are node names.
    Nodes compare by identity: the API makes one per operation and reuses it, so a node
    is a cheap cache key for everything compiled from it.
    """

    name: str
    op: str
    inputs: tuple[tuple[str, int], ...] = ()
    control_inputs: tuple[str, ...] = ()
    attrs: Mapping[str, Any] = field(default_factory=dict)
    device: str = ""
    output_dtypes: tuple[np.dtype, ...] = ()
    output_shapes: tuple[tuple | None, ...] = ()
    source: str = ""

    def __repr__(self) -> str:
        ins = ", ".join(f"{n}:{i}" for n, i in self.inputs)
        ctl = "".join(f", ^{c}" for c in self.control_inputs)
        dev = f" @{self.device}" if self.device else ""
        return f"{self.name} = {self.op}({ins}{ctl}){dev}"

    def describe(self) -> str:
        """`node NAME (defined at FILE:LINE)` as TF's runtime errors cite a node."""
        where = f" (defined at {self.source})" if self.source else ""
        return f"node {self.name}{where}"


@dataclass(frozen=True)
class GraphIR:
    """A whole graph: its nodes in creation order."""

    nodes: tuple[Node, ...]
    version: int = 0
    by_name: Mapping[str, Node] = field(init=False, repr=False)
    order: Mapping[str, int] = field(init=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "by_name", {n.name: n for n in self.nodes})
        object.__setattr__(self, "order", {n.name: i for i, n in enumerate(self.nodes)})

    def __getitem__(self, name: str) -> Node:
        return self.by_name[name]


Edge = tuple[str, int]


@dataclass(frozen=True, eq=False)
class Function:
    """A sub-graph held by a functional op (a cond branch, a loop body) as an attr.

    `graph` holds the body's nodes. `inputs[i]` is the placeholder node that receives the
    op's i-th function argument (None where this body does not use that argument);
    `outputs` are the edges it returns. `refs` are the argument positions that carry a
    variable (their placeholders stand for the variable inside the body) and `writes` the
    subset the body assigns: the function returns their final values after its outputs.
    `rng` names the argument that carries an RNG key for the body's random ops, if any.
    """

    name: str
    graph: GraphIR
    inputs: tuple[str | None, ...]
    outputs: tuple[Edge, ...]
    refs: tuple[int, ...] = ()
    writes: tuple[int, ...] = ()
    rng: int | None = None

    def __repr__(self) -> str:
        return f"Function({self.name}: {len(self.graph.nodes)} nodes)"
