"""`tf.import_graph_def`: recreates the ops of a `GraphDef` in the default graph."""

from __future__ import annotations

from tensorboard.compat.proto import graph_pb2

from device.spec import DeviceSpec
from flowgraph.framework import (
    dtypes,
    graph_def as graph_def_lib,
    import_rewrites,
    op_def_library,
    tf_function_def,
    v1_control_flow,
    v2_control_flow,
)
from flowgraph.framework.ops import Operation, Tensor, _build_op, get_default_graph
from kernels import errors, op_def as op_def_registry, registry


def import_graph_def(
    graph_def,
    input_map=None,
    return_elements=None,
    name=None,
    op_dict=None,
    producer_op_list=None,
):
    """Imports the graph from `graph_def` into the current default `Graph`.

    Each node becomes an op built as the op constructors build them, so output dtypes and
    shapes are inferred by the kernels and the imported graph runs like the original.
    TF1's v1 control flow (`Switch`, `Merge`, `Enter`, `Exit`, `NextIteration`,
    `LoopCond`, with the `TensorArray*V3` and stack ops in it) is rebuilt as `If`/`While`
    ops, TF 2.x's functional control flow (`If`, `While`, `Case`, their `Stateless` forms
    and `PartitionedCall`s on TensorFlow's FunctionDefs, `TensorList*` ops) through
    `tf.cond`/`tf.case`/`tf.while_loop` and TensorArrays, and TF 2.x resource-variable
    ops (`VarHandleOp`, `ReadVariableOp`, …) as reference-variable ops, keeping the
    nodes' names.

    Example:
      >>> gd = g.as_graph_def()
      >>> with tf.Graph().as_default():
      ...     y, = tf.import_graph_def(gd, input_map={"x:0": x2}, return_elements=["y:0"])

    Args:
      graph_def: a `GraphDef` proto.
      input_map: maps tensor names in `graph_def` ("x:0", "x", or "^x" for a control
        input) to Tensors (or values) used in their place.
      return_elements: op names and tensor names in `graph_def` to return.
      name: the prefix of the imported names (default "import"; "" for none).
      op_dict: unused (as in TF).
      producer_op_list: an `OpList` of the producer's OpDefs: attrs our OpDefs do not
        declare that hold their default value there are dropped.

    Returns:
      The Operations and Tensors named by `return_elements`, or None.

    Raises:
      TypeError: if `graph_def`, `input_map` or `return_elements` have the wrong type.
      ValueError: if a node does not match its OpDef, an input or an `input_map` or
        `return_elements` name is not in `graph_def`, or an op cannot be built.
      NotFoundError: listing every op type of `graph_def` that is not registered, or that
        is TensorFlow's but has no kernel in flowgraph.
      UnimplementedError: naming a node of v1 control flow that cannot be converted.
    """
    del op_dict
    if not isinstance(graph_def, graph_pb2.GraphDef):
        raise TypeError(f"graph_def must be a GraphDef proto, got {type(graph_def).__name__}.")
    input_map = _check_input_map(input_map)
    return_elements = _check_return_elements(return_elements)
    graph = get_default_graph()
    with graph.name_scope("import" if name is None else name) as scope:
        input_map = _convert_input_map(graph, input_map, name)
    importer = _Importer(graph, graph_def, scope, input_map, producer_op_list)
    with graph.name_scope(None):
        importer.import_nodes()
    unused = sorted(set(input_map) - importer.used_inputs)
    if unused:
        raise ValueError(
            f"Attempted to map inputs that were not found in graph_def: [{', '.join(unused)}]"
        )
    if return_elements is None:
        return None
    return [importer.element(e) for e in return_elements]


def _check_input_map(input_map) -> dict:
    if input_map is None:
        return {}
    if not isinstance(input_map, dict) or not all(isinstance(k, str) for k in input_map):
        raise TypeError("input_map must be a dictionary mapping strings to Tensor objects.")
    return {_tensor_key(k): v for k, v in input_map.items()}


def _tensor_key(name: str) -> str:
    return name if name.startswith("^") or ":" in name else name + ":0"


def _check_return_elements(return_elements):
    if return_elements is None:
        return None
    if isinstance(return_elements, str) or not all(isinstance(x, str) for x in return_elements):
        raise TypeError("return_elements must be a list of strings.")
    return list(return_elements)


def _convert_input_map(graph, input_map: dict, name) -> dict:
    from flowgraph.ops.constant_op import convert_to_tensor

    if all(isinstance(v, (Tensor, Operation)) for v in input_map.values()):
        return input_map
    if name == "":
        raise ValueError(
            "tf.import_graph_def() requires a non-empty `name` if `input_map` contains "
            "non-Tensor values. Try calling tf.convert_to_tensor() on `input_map` values "
            "before calling tf.import_graph_def()."
        )
    with graph.name_scope("_inputs"):
        return {
            k: v if isinstance(v, (Tensor, Operation)) else convert_to_tensor(v)
            for k, v in input_map.items()
        }


class _Importer:
    """Builds the nodes of one GraphDef, producers first, under the name prefix `scope`."""

    def __init__(self, graph, graph_def, scope: str, input_map: dict, producer_op_list):
        self.graph = graph
        self.missing = _missing_attrs(graph_def)  # TF's NodeDefs, before any rewrite
        self.graph_def = graph_def = import_rewrites.rewrite(graph_def)
        self.prefix = scope
        self.input_map = input_map
        self.used_inputs: set[str] = set()
        self.nodes = {}
        for node in graph_def.node:
            if node.name in self.nodes:
                raise ValueError(f"graph_def is invalid: node '{node.name}' appears twice.")
            self.nodes[node.name] = node
        self.defaults = _producer_defaults(producer_op_list)
        self.ops: dict[str, Operation] = {}
        self.functional = v2_control_flow.Builder(self)

    def import_nodes(self) -> None:
        converting = v1_control_flow.has_v1_control_flow(self.graph_def)
        converted = set(v1_control_flow.CONVERTED_TYPES if converting else ())
        body_types = v2_control_flow.body_types(self.graph_def)
        top = {node.op for node in self.graph_def.node}
        converted |= self.functional.converted_types(body_types | top)
        _check_op_types(self.graph_def, converted, body_types)
        if converting:  # loops and conds are rebuilt as If/While, context by context
            order = _topological_order(self.graph_def.node, self.nodes, self._forward_inputs)
            self.ops = v1_control_flow.Converter(self, order).import_nodes()
            return
        for node in _topological_order(self.graph_def.node, self.nodes):
            self.ops[node.name] = self._import(node)

    def _import(self, node) -> Operation:
        inputs, controls = [], []
        for i, name in enumerate(node.input):
            if name.startswith("^"):
                controls.append(self._control_input(node, name))
            else:
                inputs.append(self._input(node, i, name))
        controls = [c for c in controls if c is not None]
        return self.functional.build_node(self.graph, node, inputs, controls)

    def build(self, graph, node, inputs: list, controls: list) -> Operation:
        """`node` built in `graph` (the graph or a function body) on the given inputs."""
        kernel = registry.lookup(node.op)
        if node.name in self.missing and self.nodes.get(node.name) is node:
            raise ValueError(self.missing[node.name])  # TF's, when it reaches the node
        attrs = self._attrs(node)
        shapes = attrs.pop("_output_shapes", None)
        if node.op == "ConcatV2":  # its axis is static, also from another segment (as ours)
            attrs.setdefault("_static_inputs", (attrs["N"],))
        full_name = graph.unique_name(self.prefix + node.name)
        try:
            op = _build_op(graph, node.op, inputs, full_name + "/", attrs, strict=False)
        except (ValueError, TypeError) as e:  # TF's importer: a ValueError naming the node
            raise ValueError(f"Node '{node.name}': {e}") from None
        _mark_refs(op, kernel)
        _mark_handles(op, node)
        _refine_shapes(op, shapes)
        if node.device and graph is self.graph:
            merged = DeviceSpec.from_string(op.device).make_merged_spec(
                DeviceSpec.from_string(node.device)
            )
            op._set_device(merged)
        inner = [c for c in controls if c.graph is graph]
        for c in controls:  # an enclosing graph's op: the functional op waits for it
            if c.graph is not graph:
                graph._capture_control(c)
        op._add_control_inputs(inner)
        return op

    def _forward_inputs(self, node) -> list[str]:
        """A node's inputs without a v1 loop's back edges (NextIteration into Merge)."""
        if node.op not in ("Merge", "RefMerge"):
            return node.input
        back = ("NextIteration", "RefNextIteration")
        producers = [self.nodes.get(i.lstrip("^").split(":")[0]) for i in node.input]
        return [i for i, p in zip(node.input, producers) if p is None or p.op not in back]

    def mapped(self, name: str):
        """What `input_map` puts in place of the GraphDef input `name`, or None."""
        key = name if name.startswith("^") else _tensor_key(name)
        if key not in self.input_map:
            return None
        self.used_inputs.add(key)
        return self.input_map[key]

    def _attrs(self, node) -> dict:
        # As TF's importer: an attr our OpDef lacks that holds the producer's default is
        # one a newer TF added; it is dropped. Other undeclared attrs pass through.
        defaults = self.defaults.get(node.op, {})
        declared = op_def_library.signature(node.op).attrs
        attrs = {}
        for key, value in node.attr.items():
            if key in defaults and key not in declared and value == defaults[key]:
                continue
            attrs[key] = graph_def_lib.attr_python(value, key, self.graph_def.library)
        attrs = tf_function_def.loop_outputs(attrs, node.op)  # TF's While has more outputs
        if "_class" in attrs:  # colocation groups name imported ops
            attrs["_class"] = tuple(self._colocation(c) for c in attrs["_class"])
        return attrs

    def _colocation(self, group: bytes) -> bytes:
        if group.startswith(b"loc:@") and group[5:].decode() in self.nodes:
            return b"loc:@" + (self.prefix + group[5:].decode()).encode()
        return group

    def _input(self, node, index: int, name: str) -> Tensor:
        key = _tensor_key(name)
        if key in self.input_map:
            self.used_inputs.add(key)
            return self.input_map[key]
        op_name, _, out = key.rpartition(":")
        outputs = _outputs(self._producer(node, op_name))
        if not out.isdigit() or int(out) >= len(outputs):
            raise ValueError(
                f"Node '{node.name}': Connecting to invalid output {out} of source node "
                f"{op_name} which has {len(outputs)} outputs."
            )
        return outputs[int(out)]

    def _control_input(self, node, name: str) -> Operation:
        if name in self.input_map:
            self.used_inputs.add(name)
            mapped = self.input_map[name]
            return mapped.op if isinstance(mapped, Tensor) else mapped
        producer = self._producer(node, name[1:])
        if isinstance(producer, list):  # a converted node: the op of its value
            producer = next((t.op for t in producer if isinstance(t, Tensor)), None)
        return producer

    def _producer(self, node, name: str) -> Operation:
        op = self.ops.get(name)
        if op is None:
            raise ValueError(f"Node '{node.name}': Unknown input node '{name}'")
        return op

    def element(self, name: str):
        if ":" in name:
            op_name, _, out = name.rpartition(":")
            outputs = _outputs(self.ops.get(op_name))
            if outputs is None or not out.isdigit() or int(out) >= len(outputs):
                raise ValueError(f"Requested return tensor '{name}' not found in graph def")
            return outputs[int(out)]
        op = self.ops.get(name)
        if isinstance(op, list):  # a converted node: the op of its value
            op = next((t.op for t in op if isinstance(t, Tensor)), None)
        if op is None:
            raise ValueError(f"Requested return node '{name}' not found in graph def")
        return op


def _outputs(result):
    return result.outputs if isinstance(result, Operation) else result


def _check_op_types(graph_def, converted=(), body_types=()) -> None:
    """NotFoundError listing every op type of `graph_def` (and of `body_types`, those of
    its functions) that flowgraph cannot build (`converted` types are rebuilt by import)."""
    types = sorted(({node.op for node in graph_def.node} | set(body_types)) - set(converted))
    unknown = [t for t in types if not op_def_registry.is_registered(t)]
    kernels = registry.all_kernels()
    lacking = [t for t in types if t not in kernels and t not in unknown]
    if not (unknown or lacking):
        return
    message = op_def_registry.not_registered(unknown).message if unknown else ""
    if lacking:
        names = ", ".join(f"'{t}'" for t in lacking)
        message += (" " if message else "") + (
            f"TensorFlow op type{'s' if len(lacking) > 1 else ''} {names} "
            f"{'have' if len(lacking) > 1 else 'has'} no kernel in flowgraph."
        )
    raise errors.NotFoundError(None, None, message)


_ONEOF = {"bool": "b", "int": "i", "float": "f", "string": "s"}  # else the kind's own name


def _missing_attrs(graph_def) -> dict:
    """As TF's importer, {node name: TF's ValueError text} for the nodes lacking an attr
    that their OpDef gives no default (`T` on `Add`, `dtype` on `Placeholder`): they are
    refused, not inferred. An attr of the wrong kind is TF's first complaint (the build's).
    Nodes of op types without an OpDef are left to `_check_op_types`."""
    out = {}
    for node in graph_def.node:
        op_def = op_def_registry.find(node.op)
        if op_def is None:
            continue
        missing = []
        for a in op_def.attr:
            value = node.attr.get(a.name)
            if value is None:
                if not a.HasField("default_value"):
                    missing.append(a.name)
            elif value.WhichOneof("value") not in (None, _ONEOF.get(a.type, a.type.split("(")[0])):
                break
        else:
            if missing:
                # TF lists several in its hash map's order: mostly the OpDef's, reversed.
                names = "', '".join(reversed(missing))
                out[node.name] = (
                    f"NodeDef missing attr{'s' if len(missing) > 1 else ''} '{names}' from "
                    f"{op_def_library.signature(node.op).text}; NodeDef: {{{{node {node.name}}}}}"
                )
    return out


def _topological_order(nodes, by_name: dict, inputs=lambda node: node.input) -> list:
    """The nodes with every producer before its consumers, otherwise in GraphDef order
    (`inputs(node)`: the input names that order it)."""
    order, state = [], {}
    for root in nodes:
        stack = [(root, False)]
        while stack:
            node, done = stack.pop()
            if done:
                state[node.name] = True
                order.append(node)
                continue
            if node.name in state:
                if state[node.name] is False:
                    raise ValueError(
                        f"graph_def is invalid: node '{node.name}' is in a cycle (cycles "
                        "need control flow frames, which import does not support)"
                    )
                continue
            state[node.name] = False
            stack.append((node, True))
            for name in reversed(inputs(node)):
                producer = by_name.get(name.lstrip("^").rpartition(":")[0] or name.lstrip("^"))
                if producer is not None and state.get(producer.name) is not True:
                    if state.get(producer.name) is False:
                        raise ValueError(
                            f"graph_def is invalid: node '{producer.name}' is in a cycle"
                        )
                    stack.append((producer, False))
    return order


def _producer_defaults(producer_op_list) -> dict:
    if producer_op_list is None:
        return {}
    return {
        op.name: {a.name: a.default_value for a in op.attr if a.HasField("default_value")}
        for op in producer_op_list.op
    }


def _mark_refs(op: Operation, kernel) -> None:
    """Gives an imported op's outputs the ref dtypes its constructor would have set."""
    outputs = op._outputs
    if kernel.effects.variable:
        for t in outputs:
            t._dtype = t._dtype._as_ref
        return
    writes = kernel.written(op._attrs)
    if kernel.effects.ref_output and op.inputs[writes[0]].dtype._is_ref_dtype:
        outputs[0]._dtype = op.inputs[writes[0]].dtype


def _mark_handles(op: Operation, node) -> None:
    """Gives an imported op's outputs that its NodeDef types as variant or resource through
    a type attr (IteratorGetNext's output_types) that dtype: numpy's object dtype, which
    the attr holds, would make them strings."""
    if all(t._dtype != dtypes.string for t in op._outputs):
        return
    enums = []
    for arg in op_def_library.signature(node.op).outputs:
        if arg.list_attr:
            enums.extend(node.attr[arg.list_attr].list.type if arg.list_attr in node.attr else ())
            continue
        n = node.attr[arg.number_attr].i if arg.number_attr in node.attr else 1
        enum = arg.dtype
        if not enum and arg.type_attr in node.attr:
            enum = node.attr[arg.type_attr].type
        enums.extend([enum] * n)
    for t, enum in zip(op._outputs, enums):
        if enum in _HANDLE_ENUMS and t._dtype == dtypes.string:
            t._dtype = dtypes.as_dtype(enum)


_HANDLE_ENUMS = frozenset({dtypes.DT_VARIANT, dtypes.DT_RESOURCE})


def _refine_shapes(op: Operation, shapes) -> None:
    """Merges the recorded `_output_shapes` into the inferred ones (they may know more)."""
    if not shapes or len(shapes) != len(op._outputs):
        return
    for t, shape in zip(op._outputs, shapes):
        if shape is not None and t._shape_tuple != shape:
            try:
                t.set_shape(shape)
            except ValueError:
                pass  # the kernel's inference wins over a stale record
