"""MetaGraphs: a graph with its collections and saver, exported and imported without its code."""

from __future__ import annotations

import logging
import os
import re

from google.protobuf import message, text_format
from tensorboard.compat.proto import graph_pb2, meta_graph_pb2, op_def_pb2, saver_pb2, variable_pb2

from flowgraph.framework import importer
from flowgraph.framework.ops import Graph, GraphKeys, Operation, Tensor, get_default_graph

_log = logging.getLogger("flowgraph")

# -- collection items as protos -------------------------------------------------------------

_proto_functions: dict[str, tuple] = {}  # collection -> (proto type, to_proto, from_proto)


def register_proto_function(collection_name, proto_type=None, to_proto=None, from_proto=None):
    """Serialises the items of `collection_name` as `proto_type` messages in a MetaGraph.

    `to_proto(item, export_scope=None)` returns the item's proto (None leaves it out);
    `from_proto(proto, import_scope=None)` rebuilds the item in the default graph.
    """
    _proto_functions[collection_name] = (proto_type, to_proto, from_proto)


def get_collection_proto_type(collection_name):
    return _proto_functions.get(collection_name, (None, None, None))[0]


def get_to_proto_function(collection_name):
    return _proto_functions.get(collection_name, (None, None, None))[1]


def get_from_proto_function(collection_name):
    return _proto_functions.get(collection_name, (None, None, None))[2]


def _variable_to_proto(variable, export_scope=None):
    return variable.to_proto(export_scope=export_scope)


def _variable_from_proto(variable_def, import_scope=None):
    from flowgraph.ops.variables import Variable

    return Variable.from_proto(variable_def, import_scope=import_scope)


def _saver_to_proto(saver, export_scope=None):
    return saver.to_proto(export_scope=export_scope)


def _saver_from_proto(saver_def, import_scope=None):
    from flowgraph.train.saver import Saver

    return Saver.from_proto(saver_def, import_scope=import_scope)


_VARIABLE_COLLECTIONS = (
    GraphKeys.GLOBAL_VARIABLES,
    GraphKeys.TRAINABLE_VARIABLES,
    GraphKeys.LOCAL_VARIABLES,
    GraphKeys.MODEL_VARIABLES,
    GraphKeys.MOVING_AVERAGE_VARIABLES,
    GraphKeys.METRIC_VARIABLES,
    GraphKeys.GLOBAL_STEP,
)
for _key in _VARIABLE_COLLECTIONS:
    register_proto_function(
        _key, variable_pb2.VariableDef, _variable_to_proto, _variable_from_proto
    )
register_proto_function(GraphKeys.SAVERS, saver_pb2.SaverDef, _saver_to_proto, _saver_from_proto)
del _key


# -- name scopes ----------------------------------------------------------------------------


def prepend_name_scope(name: str, import_scope) -> str:
    """`name` (or `^name`, `loc:@name`) under `import_scope`."""
    if not import_scope:
        return name
    return re.sub(r"([\^]|loc:@|^)(.*)", r"\g<1>" + import_scope.rstrip("/") + r"/\g<2>", name)


def strip_name_scope(name: str, export_scope) -> str:
    """`name` (or `^name`, `loc:@name`) without the leading `export_scope/`."""
    if not export_scope:
        return name
    pattern = r"([\^]|loc:@|^)" + re.escape(export_scope.rstrip("/")) + r"[\/]+(.*)"
    return re.sub(pattern, r"\1\2", name, count=1)


# -- export ---------------------------------------------------------------------------------


def export_meta_graph(
    filename=None,
    meta_info_def=None,
    graph_def=None,
    saver_def=None,
    collection_list=None,
    as_text=False,
    graph=None,
    export_scope=None,
    clear_devices=False,
    clear_extraneous_savers=False,
    strip_default_attrs=False,
    save_debug_info=False,
    **kwargs,
):
    """Returns the graph as a `MetaGraphDef` (and writes it to `filename` if given).

    The MetaGraph holds the GraphDef (with `_output_shapes`), the collections (variables as
    `VariableDef`s, ops and tensors by name, numbers and strings as lists) and `saver_def`,
    so `import_meta_graph` can rebuild a runnable graph without the code that built it.

    Example:
      >>> tf.train.export_meta_graph("/tmp/model.meta")
      >>> with tf.Graph().as_default():
      ...     saver = tf.train.import_meta_graph("/tmp/model.meta")

    Args:
      filename: where to write it (binary, or text if `as_text`).
      meta_info_def: a `MetaInfoDef` to use.
      graph_def: the GraphDef to use instead of `graph`'s.
      saver_def: a `SaverDef` to include.
      collection_list: the collection keys to export (default: all).
      as_text: write the text format.
      graph: the graph to export (default: the default graph).
      export_scope: export only the ops under this name scope, with it removed.
      clear_devices: drop the ops' device requests.
      clear_extraneous_savers, strip_default_attrs, save_debug_info: accepted for TF
        compatibility (flowgraph graphs carry no default attrs to strip).

    Returns:
      The `MetaGraphDef`.
    """
    del clear_extraneous_savers, strip_default_attrs, save_debug_info, kwargs
    graph = graph or get_default_graph()
    if not isinstance(graph, Graph):
        raise TypeError(f"graph must be of type Graph, got {type(graph).__name__}.")
    meta = meta_graph_pb2.MetaGraphDef()
    if meta_info_def is not None:
        meta.meta_info_def.CopyFrom(meta_info_def)
    source = graph_def if graph_def is not None else graph.as_graph_def(add_shapes=True)
    meta.graph_def.CopyFrom(_scoped_graph_def(source, export_scope, clear_devices))
    ops_used = sorted({n.op for n in meta.graph_def.node})
    meta.meta_info_def.stripped_op_list.CopyFrom(
        op_def_pb2.OpList(op=[op_def_pb2.OpDef(name=name) for name in ops_used])
    )
    if saver_def is not None:
        meta.saver_def.CopyFrom(saver_def)
    keys = graph.get_all_collection_keys() if collection_list is None else collection_list
    for key in keys:
        _add_collection_def(meta, key, graph, export_scope)
    if filename:
        _write(meta, filename, as_text)
    return meta


def _scoped_graph_def(source, export_scope, clear_devices) -> graph_pb2.GraphDef:
    out = graph_pb2.GraphDef()
    out.CopyFrom(source)
    if export_scope:
        prefix = export_scope.rstrip("/") + "/"
        del out.node[:]
        for node in source.node:
            if not node.name.startswith(prefix):
                continue
            new = out.node.add()
            new.CopyFrom(node)
            new.name = strip_name_scope(node.name, export_scope)
            for i, name in enumerate(node.input):
                if not name.lstrip("^").startswith(prefix):
                    raise ValueError(
                        f"Node '{node.name}' has input '{name}' outside export_scope "
                        f"'{export_scope}'; export a scope that contains its inputs."
                    )
                new.input[i] = strip_name_scope(name, export_scope)
            if "_class" in new.attr:
                groups = new.attr["_class"].list.s
                stripped = [strip_name_scope(g.decode(), export_scope).encode() for g in groups]
                groups[:] = stripped
    if clear_devices:
        for node in out.node:
            node.device = ""
    return out


def _add_collection_def(meta, key, graph, export_scope) -> None:
    if not isinstance(key, str):
        _log.warning("Only collections with string type keys will be serialized: %r", key)
        return
    items = [x for x in graph.get_collection(key) if _in_scope(x, export_scope)]
    if not items:
        return
    to_proto = get_to_proto_function(key)
    col = meta.collection_def[key]
    try:
        if to_proto is not None:
            protos = [to_proto(x, export_scope=export_scope) for x in items]
            col.bytes_list.value.extend(p.SerializeToString() for p in protos if p is not None)
        elif isinstance(items[0], (str, bytes)):
            col.bytes_list.value.extend(x.encode() if isinstance(x, str) else x for x in items)
        elif isinstance(items[0], int):
            col.int64_list.value.extend(items)
        elif isinstance(items[0], float):
            col.float_list.value.extend(items)
        else:
            col.node_list.value.extend(strip_name_scope(_node_name(x), export_scope) for x in items)
    except (TypeError, ValueError, AttributeError) as e:
        _log.warning(
            "Issue encountered when serializing %s: type is unsupported, or the types of the "
            "items don't match field type in CollectionDef (skipped).\n%s",
            key,
            e,
        )
        del meta.collection_def[key]


def _node_name(item) -> str:
    if isinstance(item, (Tensor, Operation)) or hasattr(item, "_as_graph_element"):
        return item.name
    raise TypeError(f"{type(item).__name__} is not a graph element")


def _in_scope(item, export_scope) -> bool:
    if not export_scope or not hasattr(item, "name"):
        return True
    return item.name.startswith(export_scope)


def _write(meta, filename, as_text) -> None:
    dirname = os.path.dirname(filename)
    if dirname:
        os.makedirs(dirname, exist_ok=True)
    if as_text:
        with open(filename, "w") as f:
            f.write(text_format.MessageToString(meta))
    else:
        with open(filename, "wb") as f:
            f.write(meta.SerializeToString())


# -- import ---------------------------------------------------------------------------------


def read_meta_graph_file(filename) -> meta_graph_pb2.MetaGraphDef:
    """Reads a MetaGraphDef written in binary or text format."""
    if not os.path.exists(filename):
        raise OSError(f"File {filename} does not exist.")
    with open(filename, "rb") as f:
        data = f.read()
    meta = meta_graph_pb2.MetaGraphDef()
    try:
        meta.ParseFromString(data)
    except message.DecodeError:
        text_format.Merge(data.decode("utf-8"), meta)
    return meta


def import_scoped_meta_graph(
    meta_graph_or_file, clear_devices=False, graph=None, import_scope=None, input_map=None
) -> dict:
    """Recreates a MetaGraph's graph and collections in `graph` (default: the default graph).

    Returns:
      The imported variables, by their name in the MetaGraph.
    """
    meta = meta_graph_or_file
    if not isinstance(meta, meta_graph_pb2.MetaGraphDef):
        meta = read_meta_graph_file(meta_graph_or_file)
    graph = graph or get_default_graph()
    with graph.as_default():
        graph_def = graph_pb2.GraphDef()
        graph_def.CopyFrom(meta.graph_def)
        if clear_devices:
            for node in graph_def.node:
                node.device = ""
        scope = graph.unique_name(import_scope or "", mark_as_used=False)
        importer.import_graph_def(graph_def, input_map=input_map, name=import_scope or scope)
        variables = {}
        for key in _collection_order(meta.collection_def):
            _restore_collection(graph, key, meta.collection_def[key], scope, variables)
    return {v.name: v for v in variables.values()}


def _collection_order(collection_def) -> list[str]:
    # Trainable variables first, as in TF.
    return sorted(collection_def, key=lambda k: (k != GraphKeys.TRAINABLE_VARIABLES, k))


def _restore_collection(graph, key, col, scope, variables: dict) -> None:
    kind = col.WhichOneof("kind")
    if kind is None:
        _log.error("Cannot identify data type for collection %s. Skipping.", key)
        return
    from_proto = get_from_proto_function(key)
    if from_proto is not None and kind == "bytes_list":
        proto_type = get_collection_proto_type(key)
        for value in col.bytes_list.value:
            item = variables.get(value) if proto_type is variable_pb2.VariableDef else None
            if item is None:
                item = from_proto(proto_type.FromString(value), import_scope=scope)
                if proto_type is variable_pb2.VariableDef:
                    variables[value] = item  # one Variable object in every collection
            graph.add_to_collection(key, item)
    elif kind == "node_list":
        for name in col.node_list.value:
            graph.add_to_collection(key, graph.as_graph_element(prepend_name_scope(name, scope)))
    else:
        for value in getattr(col, kind).value:
            graph.add_to_collection(key, int(value) if kind == "int64_list" else value)


def import_meta_graph(meta_graph_or_file, clear_devices=False, import_scope=None, **kwargs):
    """Recreates the graph saved in a MetaGraph (a `MetaGraphDef` or a file) and returns a
    `Saver` built from its `saver_def`.

    The imported graph runs without the Python code that built it: its variables are
    `tf.Variable`s again, its collections (train op, losses, summaries, ...) are restored.

    Example:
      >>> with tf.Graph().as_default():
      ...     saver = tf.train.import_meta_graph("/tmp/model.meta")
      ...     train_op = tf.get_collection("train_op")[0]

    Args:
      meta_graph_or_file: a `MetaGraphDef` or the path of a file holding one.
      clear_devices: drop the ops' device requests (to run the graph elsewhere).
      import_scope: a name scope for the imported names.
      **kwargs: `input_map` for `import_graph_def`.

    Returns:
      A `Saver` from the MetaGraph's `saver_def`; if it has none, a new `Saver` of its
      variables, or None when it has no variables.
    """
    meta = meta_graph_or_file
    if not isinstance(meta, meta_graph_pb2.MetaGraphDef):
        meta = read_meta_graph_file(meta_graph_or_file)
    import_scoped_meta_graph(
        meta,
        clear_devices=clear_devices,
        import_scope=import_scope,
        input_map=kwargs.get("input_map"),
    )
    if meta.HasField("saver_def"):
        from flowgraph.train.saver import Saver

        return Saver(saver_def=meta.saver_def, name=import_scope)
    graph = get_default_graph()
    variables = graph.get_collection(GraphKeys.GLOBAL_VARIABLES, import_scope)
    if not variables:
        _log.info("Saver not created because there are no variables in the graph to restore")
        return None
    from flowgraph.train.saver import Saver

    return Saver()


def write_graph(graph_or_graph_def, logdir, name, as_text=True) -> str:
    """Writes a graph's GraphDef to `logdir/name` (text format by default); returns the path."""
    graph_def = graph_or_graph_def
    if isinstance(graph_def, Graph):
        graph_def = graph_def.as_graph_def()
    path = os.path.join(logdir, name)
    os.makedirs(logdir or ".", exist_ok=True)
    tmp = f"{path}.tmp{os.getpid()}"
    if as_text:
        with open(tmp, "w") as f:
            f.write(text_format.MessageToString(graph_def))
    else:
        with open(tmp, "wb") as f:
            f.write(graph_def.SerializeToString())
    os.replace(tmp, path)
    return path
