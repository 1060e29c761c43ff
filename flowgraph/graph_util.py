"""`tf.graph_util`: GraphDef rewrites (sub-graph extraction, freezing variables)."""

from __future__ import annotations

import logging

from tensorboard.compat.proto import graph_pb2, node_def_pb2, types_pb2

from flowgraph.framework import graph_def as graph_def_lib
from flowgraph.framework.ops import Operation

_VARIABLE_OPS = frozenset({"Variable", "VariableV2", "VarHandleOp"})
_SPLICED_OPS = frozenset({"Identity", "CheckNumerics"})


def _node_name(name: str) -> str:
    """The op name in an input string ("^a", "a:1" and "a" all name "a")."""
    return name.lstrip("^").split(":")[0]


def _check_graph_def(graph_def) -> None:
    if not isinstance(graph_def, graph_pb2.GraphDef):
        raise TypeError("graph_def must be a graph_pb2.GraphDef proto.")


def _with_nodes(graph_def, nodes) -> graph_pb2.GraphDef:
    out = graph_pb2.GraphDef(versions=graph_def.versions, library=graph_def.library)
    out.node.extend(nodes)
    return out


def extract_sub_graph(graph_def, dest_nodes):
    """The nodes of `graph_def` that `dest_nodes` need (through data and control inputs).

    Nodes keep their GraphDef order.

    Raises:
      TypeError: if `graph_def` is not a GraphDef or `dest_nodes` not a list of names.
      AssertionError: if a destination node is not in the graph (as TF).
    """
    _check_graph_def(graph_def)
    if isinstance(dest_nodes, str):
        raise TypeError("dest_nodes must be a list.")
    by_name = {n.name: n for n in graph_def.node}
    for name in dest_nodes:
        assert name in by_name, f"{name} is not in graph"
    keep, stack = set(), list(dest_nodes)
    while stack:
        name = stack.pop()
        if name not in keep:
            keep.add(name)
            stack.extend(_node_name(i) for i in by_name[name].input)
    return _with_nodes(graph_def, [n for n in graph_def.node if n.name in keep])


def remove_training_nodes(input_graph, protected_nodes=None):
    """Splices out `Identity` and `CheckNumerics` nodes, which only matter for training.

    Nodes in `protected_nodes`, nodes with control inputs and nodes used as control inputs
    stay (removing them could change what runs before what).
    """
    protected = set(protected_nodes or ())
    control_users = {n.name for n in input_graph.node if any(i[0] == "^" for i in n.input)}
    control_inputs = {i[1:] for n in input_graph.node for i in n.input if i[0] == "^"}
    splice = {
        n.name: n.input[0]
        for n in input_graph.node
        if n.op in _SPLICED_OPS
        and n.name not in protected | control_users | control_inputs
        and n.input
    }
    nodes = []
    for node in input_graph.node:
        if node.name in splice:
            continue
        new = node_def_pb2.NodeDef()
        new.CopyFrom(node)
        del new.input[:]
        for name in node.input:
            while name.split(":")[0] in splice and name[0] != "^":
                name = splice[name.split(":")[0]]
            new.input.append(name)
        nodes.append(new)
    return _with_nodes(input_graph, nodes)


def convert_variables_to_constants(
    sess,
    input_graph_def,
    output_node_names,
    variable_names_whitelist=None,
    variable_names_blacklist=None,
):
    """Freezes a graph: the sub-graph `output_node_names` need, its variables as `Const`s
    holding their current values in `sess`.

    Example:
      >>> frozen = tf.graph_util.convert_variables_to_constants(
      ...     sess, sess.graph.as_graph_def(), ["logits"])

    Args:
      sess: the Session holding the variables' values.
      input_graph_def: the GraphDef to freeze.
      output_node_names: the names of the ops the frozen graph must compute.
      variable_names_whitelist: if given, only these variables are frozen.
      variable_names_blacklist: variables not to freeze.

    Returns:
      A GraphDef without variables (except those left out by the lists).
    """
    graph_def = extract_sub_graph(input_graph_def, output_node_names)
    variables = [
        n.name
        for n in graph_def.node
        if n.op in _VARIABLE_OPS
        and (variable_names_whitelist is None or n.name in variable_names_whitelist)
        and n.name not in (variable_names_blacklist or ())
    ]
    values = dict(zip(variables, sess.run([name + ":0" for name in variables])))
    nodes = []
    for node in graph_def.node:
        if node.name in values:
            const = node_def_pb2.NodeDef(name=node.name, op="Const", device=node.device)
            const.attr["dtype"].CopyFrom(node.attr["dtype"])
            const.attr["value"].tensor.CopyFrom(graph_def_lib.make_tensor_proto(values[node.name]))
            if "_class" in node.attr:
                const.attr["_class"].CopyFrom(node.attr["_class"])
            nodes.append(const)
        else:
            nodes.append(node)
    logging.getLogger("flowgraph").info("Froze %d variables.", len(values))
    return _with_nodes(graph_def, nodes)


def must_run_on_cpu(node, pin_variables_on_cpu=False) -> bool:
    """Whether `node` (an Operation or NodeDef) must run on the CPU (TF's rule: int32 and
    string constants, int32 stitches and casts from int32; variables if pinned)."""
    node_def = node.node_def if isinstance(node, Operation) else node
    if pin_variables_on_cpu and node_def.op in _VARIABLE_OPS:
        return True
    key = {"Const": "dtype", "DynamicStitch": "T", "ParallelDynamicStitch": "T", "Cast": "SrcT"}
    if node_def.op not in key:
        return False
    dtype = node_def.attr[key[node_def.op]].type
    if node_def.op == "Const":
        return dtype in (types_pb2.DT_STRING, types_pb2.DT_INT32)
    return dtype == types_pb2.DT_INT32


def tensor_shape_from_node_def_name(graph, input_name):
    """The static shape of the tensor a NodeDef input string names (`"Mul"` is `"Mul:0"`)."""
    canonical_name = input_name if ":" in input_name else input_name + ":0"
    return graph.get_tensor_by_name(canonical_name).get_shape()
