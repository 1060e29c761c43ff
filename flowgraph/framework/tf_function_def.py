"""TensorFlow's FunctionDef conventions, so the bodies of If/While/Case import into TF.

Inside a FunctionDef, TensorFlow names a node's output by its OpDef output argument
(`node:output_arg:index`, e.g. `split:output:1`) and a function argument by its name;
every argument and result is typed; and a `While` body returns every input of the op (a
loop's captured tensors pass through), with `output_shapes` for each. flowgraph's bodies
return only the loop variables: exported bodies get pass-through results, recorded in the
FunctionDef's `_outputs` attr so import drops them again.
"""

from __future__ import annotations

from tensorboard.compat.proto import tensor_shape_pb2

from kernels import op_def as op_def_registry

_FUNCTION_ATTRS = {
    "If": ("Tin", ("then_branch", "else_branch")),
    "StatelessIf": ("Tin", ("then_branch", "else_branch")),
    "Case": ("Tin", ("branches",)),
    "While": ("T", ("cond", "body")),
    "StatelessWhile": ("T", ("cond", "body")),
}


def _arg_sizes(op_type: str, count) -> list[tuple[str, int]]:
    """(name, number of tensors) of each output argument of `op_type`'s OpDef, or None;
    `count(attr)` gives a number attr's value or the length of a type-list attr."""
    definition = op_def_registry.find(op_type)
    if definition is None:
        return None
    sizes = []
    for arg in definition.output_arg:
        if arg.number_attr:
            sizes.append((arg.name, count(arg.number_attr)))
        elif arg.type_list_attr:
            sizes.append((arg.name, count(arg.type_list_attr)))
        else:
            sizes.append((arg.name, 1))
    return sizes


def output_name(op_type: str, attrs: dict, index: int) -> str:
    """`output_arg:i` naming output `index` of an op with python `attrs`."""
    sizes = _arg_sizes(op_type, lambda a: _python_count(attrs.get(a)))
    for name, size in sizes or ():
        if index < size:
            return f"{name}:{index}"
        index -= size
    return f"output:{index}"  # an op without an OpDef: one list of outputs


def _python_count(value) -> int:
    return value if isinstance(value, int) else len(value or ())


def output_index(node_def, arg: str, index: int) -> int:
    """The flat output index of `node_def`'s output `arg:index`."""
    sizes = _arg_sizes(node_def.op, lambda a: _proto_count(node_def.attr[a]))
    offset = 0
    for name, size in sizes or ():
        if name == arg:
            return offset + index
        offset += size
    return index


def _proto_count(value) -> int:
    return value.i if value.WhichOneof("value") == "i" else len(value.list.type)


def complete_functional_node(node, library) -> None:
    """Makes the functions of an If/While/Case NodeDef what TensorFlow checks: typed
    arguments (unused ones included) and, for a While, a body returning every input."""
    if node.op not in _FUNCTION_ATTRS or library is None:
        return
    types_attr, function_attrs = _FUNCTION_ATTRS[node.op]
    types = list(node.attr[types_attr].list.type)
    names = []
    for attr in function_attrs:
        value = node.attr[attr]
        names += [f.name for f in value.list.func] if attr == "branches" else [value.func.name]
    functions = {f.signature.name: f for f in library.function}
    for name in names:
        fdef = functions.get(name)
        if fdef is None:
            continue
        arguments = fdef.signature.input_arg
        for arg, dtype in zip(arguments, types):
            arg.type = arg.type or dtype
        for k in range(len(arguments), len(types)):  # a loop's limit or bound input
            arguments.add(name=f"arg{k}", type=types[k])
    if node.op == "While" and node.attr["body"].func.name in functions:
        _pass_through(functions[node.attr["body"].func.name], types)
        shapes = node.attr["output_shapes"].list.shape
        while len(shapes) < len(types):
            shapes.add().CopyFrom(tensor_shape_pb2.TensorShapeProto(unknown_rank=True))


def _pass_through(body, types: list) -> None:
    outputs = body.signature.output_arg
    if len(outputs) >= len(types):
        return
    body.attr["_outputs"].i = len(outputs)
    for k in range(len(outputs), len(types)):
        outputs.add(name=f"out{k}", type=types[k])
        body.ret[f"out{k}"] = body.signature.input_arg[k].name


def loop_outputs(attrs: dict, op_type: str) -> dict:
    """An imported While's attrs with `output_shapes` cut back to its loop variables."""
    spec = attrs.get("_loop")
    shapes = attrs.get("output_shapes")
    if op_type != "While" or spec is None or shapes is None:
        return attrs
    loop_vars = dict(spec).get("loop_vars")
    if loop_vars is not None and len(shapes) > loop_vars:
        attrs["output_shapes"] = tuple(shapes[:loop_vars])
    return attrs
