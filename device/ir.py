"""The graph IR handed from the API to the runtime: frozen nodes, like TF's GraphDef."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Collection, Mapping, Sequence

import numpy as np

from kernels import op_def, registry
from kernels.registry import Kernel


class _once:
    """`functools.cached_property` without its lock (Python 3.11 takes an RLock on every
    first read: ~40% of planning's per-node cost, read for each node of a 5,000-op graph)."""

    def __init__(self, fn):
        self.fn, self.name, self.__doc__ = fn, fn.__name__, fn.__doc__

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, obj, cls=None):
        if obj is None:
            return self
        value = obj.__dict__[self.name] = self.fn(obj)  # later reads find it there
        return value


@dataclass(frozen=True, eq=False, init=False)
class Node:
    """One op: its type, inputs, control inputs, attrs and requested device.

    `inputs` are `(producer name, output index)` pairs; `control_inputs` are node names.
    Nodes compare by identity: the API makes one per operation and reuses it, so a node
    is a cheap cache key for everything compiled from it.

    A node is bound to its kernel when it is made, as a JAX equation carries its
    primitive: every pass reads `kernel`, `refs` and `static_inputs` (None: an op type
    with no kernel here, which only placement tolerates). `op_def` is the op's declared
    definition, bound on first use.
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
    kernel: Kernel | None = field(init=False, repr=False)

    def __init__(
        self,
        name: str,
        op: str,
        inputs: tuple[tuple[str, int], ...] = (),
        control_inputs: tuple[str, ...] = (),
        attrs: Mapping[str, Any] | None = None,
        device: str = "",
        output_dtypes: tuple[np.dtype, ...] = (),
        output_shapes: tuple[tuple | None, ...] = (),
        source: str = "",
    ):
        # The dataclass's frozen __init__ sets each field through object.__setattr__
        # (~4 us a node); the API makes a node per op, so its fields go in at once.
        self.__dict__.update(
            name=name,
            op=op,
            inputs=inputs,
            control_inputs=control_inputs,
            attrs={} if attrs is None else attrs,
            device=device,
            output_dtypes=output_dtypes,
            output_shapes=output_shapes,
            source=source,
            kernel=registry.find(op),
        )

    @_once
    def op_def(self) -> Any:
        """The op's declared `OpDef` (TensorFlow's, or flowgraph's own); None if it has none."""
        return op_def.find(self.op)

    @_once
    def refs(self) -> Mapping[int, str]:
        """Input position -> how the kernel uses that ref input (`registry.WRITE`, ...)."""
        return dict(self.kernel.refs_of(self.attrs))

    @_once
    def written(self) -> tuple[int, ...]:
        """Input positions of the refs the node writes, in the order its kernel returns them."""
        return tuple(self.kernel.written(self.attrs))

    @_once
    def static_inputs(self) -> frozenset[int]:
        """Input positions whose values must be known when the node is compiled."""
        k = self.kernel
        if not (k.static or k.static_listed_in):
            return frozenset()
        return frozenset(i for i in range(len(self.inputs)) if k.is_static_input(i, self.attrs))

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
    by_name: Mapping[str, Node] = field(init=False, repr=False)
    order: Mapping[str, int] = field(init=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "by_name", {n.name: n for n in self.nodes})
        object.__setattr__(self, "order", {n.name: i for i, n in enumerate(self.nodes)})

    def __getitem__(self, name: str) -> Node:
        return self.by_name[name]

    @cached_property
    def strings(self) -> frozenset[str]:
        """Names of the nodes with a string (object dtype) output: their readers run on the
        host (placement and partitioning ask for every node)."""
        string = np.dtype(object)
        return frozenset(n.name for n in self.nodes if string in n.output_dtypes)


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


def static_closure(nodes: Sequence[Node], boundary: Collection[Edge] = ()) -> frozenset[str]:
    """Names of the `nodes` whose values some static input among them needs: they are
    evaluated while tracing. The walk stays inside `nodes`, stops at `boundary` edges
    (a segment's inputs) and at shape-only ops (Shape(x) needs x's shape, not its value)."""
    by_name = {n.name: n for n in nodes}
    stack = [n.inputs[i][0] for n in nodes for i in n.static_inputs if n.inputs[i] not in boundary]
    needed: set[str] = set()
    while stack:
        name = stack.pop()
        if name in needed or name not in by_name:
            continue
        needed.add(name)
        node = by_name[name]
        if not node.kernel.effects.shape_only:
            stack.extend(e[0] for e in node.inputs if e not in boundary)
    return frozenset(needed)
