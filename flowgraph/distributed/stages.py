"""A task's partition cut into the stages of a step: one RunGraph runs them in order,
receiving between stages what other tasks computed from this task's earlier sends.

The master marks each node with its stage (`STAGE_ATTR`): the most task changes on a
path to it. A stage is one compiled call. Values that cross stages within the task are
fetched by one call and fed to the next; a node with no inputs (a variable, a constant,
a queue) and every `_Recv` are copied into each stage that uses them.
"""

from __future__ import annotations

import graphlib
from dataclasses import dataclass, field

from tensorboard.compat.proto import graph_pb2

from device.spec import DeviceSpec
from flowgraph.distributed.keys import key_of_node

# flowgraph-specific node attr (TF ignores attrs starting with "_"): a node's stage.
STAGE_ATTR = "_flowgraph_stage"


@dataclass
class StageDef:
    """One stage: its GraphDef and how it meets the others."""

    graph_def: graph_pb2.GraphDef
    recvs: list[tuple[str, str]] = field(default_factory=list)  # (key, placeholder tensor)
    carry_in: list[tuple[str, str]] = field(default_factory=list)  # (tensor, placeholder)
    sends: list[tuple[str, str]] = field(default_factory=list)  # (key, tensor)
    targets: list[str] = field(default_factory=list)


def split(graph_def: graph_pb2.GraphDef) -> list[StageDef]:
    """The stages of a partition, in order. What a stage carries out to later ones is
    left to the caller (it needs the producers' dtypes: the imported stages know them)."""
    nodes = {n.name: n for n in graph_def.node}
    sends = [n for n in graph_def.node if n.op == "_Send"]
    used = {_producer(i) for n in graph_def.node for i in n.input}
    shared = {
        n.name
        for n in graph_def.node
        if n.op == "_Recv" or (n.op != "_Send" and not n.input and n.name in used)
    }
    stage = _stage_numbers(graph_def, shared)
    send_stage = {id(s): stage.get(_producer(s.input[0]), _attr_stage(nodes[_producer(s.input[0])]))
                  for s in sends}  # fmt: skip
    out = []
    for number in sorted(set(stage.values()) | set(send_stage.values())):
        members = [n for n in graph_def.node if stage.get(n.name) == number]
        stage_sends = [s for s in sends if send_stage[id(s)] == number]
        out.append(_StageBuilder(graph_def, nodes, stage, number).build(members, stage_sends))
    return out


def _stage_numbers(graph_def, shared: set[str]) -> dict[str, int]:
    """Each staged node's stage: its mark, raised to its producers' (never below them)."""
    staged = {n.name: n for n in graph_def.node if n.op != "_Send" and n.name not in shared}
    deps = {
        name: {_producer(i) for i in node.input} & staged.keys() for name, node in staged.items()
    }
    stage: dict[str, int] = {}
    for name in graphlib.TopologicalSorter(deps).static_order():
        stage[name] = max([_attr_stage(staged[name])] + [stage[p] for p in deps[name]])
    return stage


class _StageBuilder:
    def __init__(self, graph_def, nodes: dict, stage: dict[str, int], number: int):
        self.nodes = nodes
        self.stage = stage
        self.number = number
        self.out = StageDef(graph_pb2.GraphDef(versions=graph_def.versions,
                                               library=graph_def.library))  # fmt: skip
        self.included: set[str] = set()
        self.carried: dict[str, str] = {}

    def build(self, members: list, sends: list) -> StageDef:
        for node in members:
            copy = self.out.graph_def.node.add()
            copy.CopyFrom(node)
            copy.device = _local(node.device)
            copy.attr.pop(STAGE_ATTR, None)
            del copy.input[:]
            copy.input.extend(i for i in map(self._input, node.input) if i is not None)
        for send in sends:
            tensor = _tensor(send.input[0])
            if _producer(tensor) not in self.stage:
                self._include(_producer(tensor))
            self.out.sends.append((key_of_node(send), tensor))
        consumed = {_producer(i) for n in self.out.graph_def.node for i in n.input}
        self.out.targets = [n.name for n in members if n.name not in consumed]
        return self.out

    def _input(self, name: str) -> str | None:
        """`name` as the stage sees it (None: a control edge to an earlier stage)."""
        producer = _producer(name)
        if producer not in self.stage:
            self._include(producer)
            return name
        if self.stage[producer] == self.number:
            return name
        if name.startswith("^"):
            return None  # the earlier stage has run by then
        tensor = _tensor(name)
        if tensor not in self.carried:
            self.carried[tensor] = f"flowgraph_carry/{len(self.carried)}"
            self.out.carry_in.append((tensor, self.carried[tensor] + ":0"))
        return self.carried[tensor]

    def _include(self, name: str) -> None:
        """Copies a shared node (a `_Recv` as a placeholder) into the stage, once."""
        if name in self.included:
            return
        self.included.add(name)
        node = self.nodes[name]
        if node.op == "_Recv":
            placeholder = self.out.graph_def.node.add(name=name, op="Placeholder",
                                                      device=_local(node.device))  # fmt: skip
            placeholder.attr["dtype"].CopyFrom(node.attr["tensor_type"])
            if node.attr["_output_shapes"].list.shape:
                placeholder.attr["shape"].shape.CopyFrom(node.attr["_output_shapes"].list.shape[0])
            self.out.recvs.append((key_of_node(node), name + ":0"))
            return
        copy = self.out.graph_def.node.add()
        copy.CopyFrom(node)
        copy.device = _local(node.device)
        copy.attr.pop(STAGE_ATTR, None)


def _attr_stage(node) -> int:
    return node.attr[STAGE_ATTR].i if STAGE_ATTR in node.attr else 0


def _producer(name: str) -> str:
    return name.lstrip("^").split(":")[0]


def _tensor(name: str) -> str:
    return name if ":" in name else name + ":0"


def _local(device: str) -> str:
    """A device within this task: `/job:ps/task:0/device:CPU:0` -> `/device:CPU:0`."""
    if not device:
        return ""
    return DeviceSpec.from_string(device).replace(job=None, replica=None, task=None).to_string()
