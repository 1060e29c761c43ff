"""Op definitions: each op type's inputs, attrs and outputs, as TensorFlow's `OpDef` protos.

An op type TensorFlow has is defined by TensorFlow's own OpDef (`tf_op_defs.binarypb`,
written from TF's op registry by `tests/fixtures/make_tf_op_defs.py`), so a kernel
registered under a TF op type name has its OpDef with no further step. An op type that
only flowgraph has is declared with `declare` in the same block as its kernel, in
`REGISTER_OP`'s notation, and is marked flowgraph-specific.
"""

from __future__ import annotations

import os
import re
import sys

from tensorboard.compat.proto import attr_value_pb2, op_def_pb2, types_pb2

from kernels.errors import NotFoundError

_TF_OP_DEFS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tf_op_defs.binarypb")

_tf_op_defs: dict[str, op_def_pb2.OpDef] | None = None  # read on first use
_declared: dict[str, tuple[op_def_pb2.OpDef, str]] = {}  # flowgraph-specific: (OpDef, where)
_extra_types: dict[tuple[str, str], tuple[int, ...]] = {}  # (op type, attr) -> DataTypes


def _tensorflow_op_defs() -> dict[str, op_def_pb2.OpDef]:
    global _tf_op_defs
    if _tf_op_defs is None:
        ops = op_def_pb2.OpList()
        with open(_TF_OP_DEFS, "rb") as f:
            ops.ParseFromString(f.read())
        _tf_op_defs = {op.name: op for op in ops.op}
    return _tf_op_defs


def lookup(op_type: str) -> op_def_pb2.OpDef:
    """The `OpDef` of `op_type` (do not modify it); NotFoundError if no op has that type."""
    declared = _declared.get(op_type)
    if declared is not None:
        return declared[0]
    op_def = _tensorflow_op_defs().get(op_type)
    if op_def is None:
        raise not_registered([op_type])
    return op_def


def find(op_type: str) -> op_def_pb2.OpDef | None:
    """The `OpDef` of `op_type`, or None if no op has that type."""
    declared = _declared.get(op_type)
    return declared[0] if declared is not None else _tensorflow_op_defs().get(op_type)


def is_registered(op_type: str) -> bool:
    """Whether `op_type` has an OpDef (TensorFlow's or a flowgraph-specific one)."""
    return op_type in _declared or op_type in _tensorflow_op_defs()


def is_flowgraph_specific(op_type: str) -> bool:
    """Whether `op_type` is flowgraph's own (declared here), not a TensorFlow op type."""
    return op_type in _declared


def not_registered(op_types, where: str = "") -> NotFoundError:
    """TensorFlow's NotFoundError for op types that have no OpDef (`where`: the user's line)."""
    names = ", ".join(f"'{t}'" for t in op_types)
    plural = "s" if len(op_types) > 1 else ""
    return NotFoundError(
        None,
        None,
        f"Op type{plural} not registered {names} in binary running on flowgraph. Make sure "
        f"the Op and Kernel are registered in the binary running in this process.{where}",
    )


def allow_types(op_type: str, attr: str, *types: str) -> None:
    """Lets type attr `attr` of `op_type` take `types` beyond its OpDef's allowed values.

    For kernels that compute in more dtypes than TensorFlow's (float64 for gradient checks):
    such a graph runs in flowgraph, and TensorFlow would refuse it.
    """
    allowed = [a for a in lookup(op_type).attr if a.name == attr and a.type == "type"]
    if not allowed:
        raise ValueError(f"op type '{op_type}' has no type attr '{attr}'")
    extra = tuple(_data_type(op_type, t) for t in types)
    _extra_types[(op_type, attr)] = _extra_types.get((op_type, attr), ()) + extra


def extra_types(op_type: str, attr: str) -> tuple[int, ...]:
    """The DataTypes `allow_types` added to `attr` of `op_type` (flowgraph extensions)."""
    return _extra_types.get((op_type, attr), ())


# -- flowgraph-specific op types, in REGISTER_OP's notation ----------------------------------

_ARG = re.compile(r"^(\w+)\s*:\s*(?:(\w+)\s*\*\s*)?(Ref\()?\s*(\w+)\s*\)?$")
_ATTR = re.compile(r"^(\w+)\s*:\s*([\w()]+|\{[^}]*\})\s*(?:>=\s*(-?\d+))?\s*(?:=\s*(.+))?$")


def declare(
    op_type: str,
    *,
    inputs: tuple[str, ...] = (),
    outputs: tuple[str, ...] = (),
    attrs: tuple[str, ...] = (),
    stateful: bool = False,
) -> None:
    """Declares the OpDef of a flowgraph-specific op type, as TF's `REGISTER_OP` does.

    Example:
      declare("RngKey", outputs=("key: uint32",), attrs=("seed: int = 0",), stateful=True)

    Args:
      op_type: the op type; it must not be a TensorFlow op type.
      inputs: input args, "name: T" (T a `type` attr or a fixed type such as "float"),
        "name: N * T" (N an `int` attr) or "name: Tlist" (a `list(type)` attr).
      outputs: output args, in the same notation.
      attrs: "name: kind" with kind one of string, int, float, bool, type, shape, func,
        tensor or list(kind), or "{float, double}" (a type from that list); optionally
        ">= minimum" and "= default" (a Python literal; a type by name).
      stateful: whether the op has side effects (is never folded or merged away).
    """
    caller = sys._getframe(1)
    where = f"{caller.f_code.co_filename}:{caller.f_lineno}"
    if op_type in _tensorflow_op_defs():
        raise ValueError(f"op type '{op_type}' is TensorFlow's: its OpDef is TensorFlow's own")
    if op_type in _declared:
        raise KeyError(f"op type '{op_type}' is already declared, at {_declared[op_type][1]}")
    op_def = op_def_pb2.OpDef(name=op_type, is_stateful=stateful)
    op_def.attr.extend(_attr_def(op_type, a) for a in attrs)
    kinds = {a.name: a.type for a in op_def.attr}
    op_def.input_arg.extend(_arg_def(op_type, a, kinds) for a in inputs)
    op_def.output_arg.extend(_arg_def(op_type, a, kinds) for a in outputs)
    _declared[op_type] = (op_def, where)


def _arg_def(op_type: str, spec: str, kinds: dict) -> op_def_pb2.OpDef.ArgDef:
    m = _ARG.match(spec.strip())
    if not m:
        raise ValueError(f"op type '{op_type}': cannot parse arg {spec!r}")
    name, number, ref, type_name = m.groups()
    arg = op_def_pb2.OpDef.ArgDef(name=name, is_ref=bool(ref), number_attr=number or "")
    if kinds.get(type_name) == "type":
        arg.type_attr = type_name
    elif kinds.get(type_name) == "list(type)":
        arg.type_list_attr = type_name
    else:
        arg.type = _data_type(op_type, type_name)
    return arg


def _attr_def(op_type: str, spec: str) -> op_def_pb2.OpDef.AttrDef:
    m = _ATTR.match(spec.strip())
    if not m:
        raise ValueError(f"op type '{op_type}': cannot parse attr {spec!r}")
    name, kind, minimum, default = m.groups()
    attr = op_def_pb2.OpDef.AttrDef(name=name, type=kind)
    if kind.startswith("{"):
        attr.type = "type"
        allowed = [_data_type(op_type, t.strip()) for t in kind[1:-1].split(",")]
        attr.allowed_values.list.type.extend(allowed)
    if minimum is not None:
        attr.has_minimum, attr.minimum = True, int(minimum)
    if default is not None:
        attr.default_value.CopyFrom(_default(op_type, attr.type, default.strip()))
    return attr


def _default(op_type: str, kind: str, text: str) -> attr_value_pb2.AttrValue:
    import ast

    if kind == "type":
        return attr_value_pb2.AttrValue(type=_data_type(op_type, text))
    value = ast.literal_eval(text)
    if kind.startswith("list("):
        field = {"int": "i", "float": "f", "bool": "b", "string": "s"}[kind[5:-1]]
        out = attr_value_pb2.AttrValue()
        getattr(out.list, field).extend(value)
        out.list.SetInParent()
        return out
    field = {"int": "i", "float": "f", "bool": "b", "string": "s"}[kind]
    return attr_value_pb2.AttrValue(**{field: value.encode() if field == "s" else value})


def _data_type(op_type: str, name: str) -> int:
    try:
        return types_pb2.DataType.Value("DT_" + name.upper())
    except ValueError:
        raise ValueError(f"op type '{op_type}': unknown type {name!r}") from None
