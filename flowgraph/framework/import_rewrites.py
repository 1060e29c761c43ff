"""Op types imported as others: TF's resource-variable ops as reference-variable ops.

flowgraph's variables are TF1's reference variables (`VariableV2`). GraphDefs written by
TF 2.x's `compat.v1` (and TF1 with `use_resource=True`) hold resource variables instead:
a `VarHandleOp` read by `ReadVariableOp`, written by `AssignVariableOp`, updated by
`ResourceApply*`. Each such NodeDef is rewritten to the reference op that computes the same
thing on the same inputs, keeping its name, so the Saver, collections and `VariableDef`s
of a MetaGraph name the ops they named in TensorFlow.

Graphs of GraphDef version 21 and older (TF 1.0 and before) could not tell a scalar
`Placeholder` from one of unknown shape: both stored an empty `shape`. TF's shape function
reads such a placeholder as unknown (`graph_def_version <= 21`); so does the import.
"""

from __future__ import annotations

from tensorboard.compat.proto import attr_value_pb2, graph_pb2

from kernels import op_def as op_def_registry, registry

# resource op -> (reference op, {resource attr: reference attr}, attrs the reference op adds)
_RENAMED = {
    "VarHandleOp": ("VariableV2", {}, {}),
    "Variable": ("VariableV2", {}, {}),  # TF 1.x's older reference variable: the same op
    "ReadVariableOp": ("Identity", {"dtype": "T"}, {}),
    "AssignVariableOp": ("Assign", {"dtype": "T"}, {"validate_shape": False}),
    "AssignAddVariableOp": ("AssignAdd", {"dtype": "T"}, {}),
    "AssignSubVariableOp": ("AssignSub", {"dtype": "T"}, {}),
    "VarIsInitializedOp": ("IsVariableInitialized", {}, {}),
    "ResourceScatterAdd": ("ScatterAdd", {"dtype": "T"}, {}),
    "ResourceScatterSub": ("ScatterSub", {"dtype": "T"}, {}),
    "ResourceScatterUpdate": ("ScatterUpdate", {"dtype": "T"}, {}),
    "VariableShape": ("Shape", {}, {}),
    "DestroyResourceOp": ("NoOp", {}, {}),
    "ControlTrigger": ("NoOp", {}, {}),  # a control-only op: here NoOp means the same
}


def rewrite(graph_def: graph_pb2.GraphDef) -> graph_pb2.GraphDef:
    """`graph_def` with its resource-variable NodeDefs as reference-variable ones (the same
    object when it has none)."""
    bodies = [nd for f in graph_def.library.function for nd in f.node_def]
    legacy = [n.name for n in graph_def.node if _legacy_placeholder(graph_def, n)]
    if not legacy and not any(_target(n.op) for n in list(graph_def.node) + bodies):
        return graph_def
    out = graph_pb2.GraphDef()
    out.CopyFrom(graph_def)
    for node in out.node:
        if node.name in legacy:
            node.attr["shape"].shape.unknown_rank = True
    handles = {n.name: n for n in out.node if n.op == "VarHandleOp"}
    nodes = list(out.node) + [nd for f in out.library.function for nd in f.node_def]
    for node in nodes:  # function bodies read the variables their op is passed too
        target = _target(node.op)
        if target is not None:
            _rewrite_node(node, target, handles)
    return out


def _legacy_placeholder(graph_def, node) -> bool:
    """Whether `node` is a placeholder whose empty `shape` means "unknown" (TF's
    `Placeholder` shape function for GraphDef versions up to 21)."""
    if node.op != "Placeholder" or graph_def.versions.producer > 21:
        return False
    shape = node.attr["shape"].shape if "shape" in node.attr else None
    return shape is not None and not shape.unknown_rank and not shape.dim


def _target(op_type: str):
    """The reference op type `op_type` is imported as, or None."""
    if op_type in _RENAMED:
        return _RENAMED[op_type][0]
    if op_type.startswith("ResourceApply") or op_type.startswith("ResourceSparseApply"):
        reference = op_type[len("Resource") :]
        if op_def_registry.is_registered(reference) and reference in registry.all_kernels():
            return reference
    return None


def _rewrite_node(node, target: str, handles: dict) -> None:
    _, renamed, added = _RENAMED.get(node.op, (target, {}, {}))
    declared = {a.name for a in op_def_registry.lookup(target).attr}
    attrs = {renamed.get(k, k): v for k, v in node.attr.items()}
    variable = handles.get(node.input[0].lstrip("^").split(":")[0]) if node.input else None
    if variable is not None and "dtype" in variable.attr:  # ops that only name their handle
        for name in ("T", "dtype"):
            if name in declared and name not in attrs:
                attrs[name] = variable.attr["dtype"]
    for key, value in added.items():
        attrs.setdefault(key, attr_value_pb2.AttrValue(b=value))
    node.op = target
    node.ClearField("attr")
    for key, value in attrs.items():
        if key in declared or key.startswith("_"):
            node.attr[key].CopyFrom(value)
    if target == "NoOp":  # no data inputs: the handle only orders it
        node.input[:] = ["^" + n.lstrip("^").split(":")[0] for n in node.input]
