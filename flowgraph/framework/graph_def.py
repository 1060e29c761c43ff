"""The one graph serializer: Operations as `NodeDef`s, attrs as `AttrValue`s, graphs as `GraphDef`s.

The protos are TensorFlow's (compiled in `tensorboard.compat.proto`), so the bytes read in
TensorFlow and TensorBoard. Attrs round-trip losslessly through `attr_value` and
`attr_python`: flowgraph's attr values (numbers, strings, bools, numpy dtypes, shapes,
tuples, numpy arrays, attr maps) each have one AttrValue form, chosen so that decoding
needs nothing but the AttrValue (and the attr's name, for shapes).
"""

from __future__ import annotations

import logging
import weakref
from typing import Any, Callable, NamedTuple

import numpy as np
from tensorboard.compat.proto import (
    attr_value_pb2,
    function_pb2,
    graph_pb2,
    node_def_pb2,
    tensor_pb2,
    tensor_shape_pb2,
    types_pb2,
    versions_pb2,
)

from flowgraph.framework import dtypes, tensor_shape, tf_function_def

# The GraphDef version written in `versions.producer` (TF 1.15's).
GRAPH_DEF_VERSION = 134
GRAPH_DEF_VERSION_MIN_CONSUMER = 0

# Attrs whose tuple value is a shape, or a list of shapes (TF's `shape` / `list(shape)` attrs).
_SHAPE_ATTRS = frozenset({"shape", "element_shape", "shape_invariant"})
_SHAPE_LIST_ATTRS = frozenset({"shapes", "output_shapes", "_output_shapes", "dense_shapes"})
# String attrs that flowgraph keeps as bytes (TF's colocation groups, `loc:@name`).
_BYTES_ATTRS = frozenset({"_class"})

# dtype -> (TensorProto field for typed values, numpy type that field holds).
_TYPED_FIELDS = {
    types_pb2.DT_FLOAT: ("float_val", np.float32),
    types_pb2.DT_DOUBLE: ("double_val", np.float64),
    types_pb2.DT_INT32: ("int_val", np.int32),
    types_pb2.DT_INT16: ("int_val", np.int32),
    types_pb2.DT_INT8: ("int_val", np.int32),
    types_pb2.DT_UINT8: ("int_val", np.int32),
    types_pb2.DT_UINT16: ("int_val", np.int32),
    types_pb2.DT_QINT8: ("int_val", np.int32),
    types_pb2.DT_QUINT8: ("int_val", np.int32),
    types_pb2.DT_QINT16: ("int_val", np.int32),
    types_pb2.DT_QUINT16: ("int_val", np.int32),
    types_pb2.DT_QINT32: ("int_val", np.int32),
    types_pb2.DT_INT64: ("int64_val", np.int64),
    types_pb2.DT_UINT32: ("uint32_val", np.uint32),
    types_pb2.DT_UINT64: ("uint64_val", np.uint64),
    types_pb2.DT_BOOL: ("bool_val", np.bool_),
    types_pb2.DT_HALF: ("half_val", np.uint16),  # the bits of each value
    types_pb2.DT_BFLOAT16: ("half_val", np.uint16),
    types_pb2.DT_COMPLEX64: ("scomplex_val", np.float32),  # (real, imag) pairs
    types_pb2.DT_COMPLEX128: ("dcomplex_val", np.float64),
}


# -- function-valued attrs ------------------------------------------------------------------


class FunctionCodec(NamedTuple):
    """How attr values of `python_type` (functions: control-flow branches and bodies)
    become `FunctionDef`s in `graph_def.library`, and back.

    `to_function_def(value, library)` returns the value's FunctionDef (it may add the
    functions that one calls to `library`); `from_function_def(name, library)` returns the
    attr value for the function `name` of `library`.
    """

    python_type: type
    to_function_def: Callable[[Any, function_pb2.FunctionDefLibrary], function_pb2.FunctionDef]
    from_function_def: Callable[[str, function_pb2.FunctionDefLibrary], Any]


_function_codec: FunctionCodec | None = None


def register_function_codec(codec: FunctionCodec) -> None:
    """Makes attr values of `codec.python_type` serialise as functions in the library."""
    global _function_codec
    _function_codec = codec


# -- Python attr values -> AttrValue --------------------------------------------------------


class _Encoder:
    """Encodes the attrs of one op (`where` names it in errors); functions go to `library`.

    `kinds` maps attr names to their OpDef types, so that shapes encode as shapes whatever
    the attr is called (without it, the names in `_SHAPE_ATTRS` and `_SHAPE_LIST_ATTRS`).
    """

    def __init__(self, where: str, library: function_pb2.FunctionDefLibrary | None, kinds=None):
        self.where = where
        self.library = library
        self.kinds = kinds or {}

    def _shape_attr(self, name: str) -> bool:
        return self.kinds.get(name) == "shape" or name in _SHAPE_ATTRS

    def _shape_list_attr(self, name: str) -> bool:
        return self.kinds.get(name) == "list(shape)" or name in _SHAPE_LIST_ATTRS

    def attr(self, name: str, value) -> attr_value_pb2.AttrValue:
        out = attr_value_pb2.AttrValue()
        if value is None:
            if self._shape_attr(name):
                out.shape.unknown_rank = True
            return out  # no value set: None
        if isinstance(value, (tuple, list)):
            self._sequence(out, name, value)
        else:
            self._scalar(out, name, value)
        return out

    def _scalar(self, out, name, value) -> None:
        if isinstance(value, (bool, np.bool_)):
            out.b = bool(value)
        elif isinstance(value, (int, np.integer)):
            out.i = int(value)
        elif isinstance(value, (float, np.floating)):
            if _is_float32(value):
                out.f = float(value)
            else:  # a double that float32 would round: kept exact as a shapeless DT_DOUBLE
                out.tensor.CopyFrom(_double_proto(value))
        elif isinstance(value, str):
            out.s = value.encode()
        elif isinstance(value, bytes):
            out.s = value
        elif _is_dtype(value):
            out.type = dtypes.as_dtype(value).as_datatype_enum
        elif isinstance(value, tensor_shape.TensorShape):
            out.shape.CopyFrom(_shape_proto(value.as_tuple()))
        elif isinstance(value, np.ndarray):
            out.tensor.CopyFrom(make_tensor_proto(value))
        elif _function_codec is not None and isinstance(value, _function_codec.python_type):
            out.func.name = self._add_function(value)
        else:
            raise self._error(name, value)

    def _sequence(self, out, name, value) -> None:
        if self._shape_attr(name) or (any(v is None for v in value) and _is_shape(value)):
            if not _is_shape(value):
                raise self._error(name, value)
            out.shape.CopyFrom(_shape_proto(value))
        elif self._shape_list_attr(name) or (value and all(isinstance(v, tuple) for v in value)):
            if value and _is_attr_map(value):  # ((name, value), ...) by name: a NameAttrList
                for key, v in value:
                    out.func.attr[key].CopyFrom(self.attr(key, v))
            elif all(v is None or _is_shape(v) for v in value):
                out.list.shape.extend(_shape_proto(v) for v in value)
                out.list.SetInParent()  # an empty list is still a list
            else:
                raise self._error(name, value)
        else:
            floats = [v for v in value if isinstance(v, (float, np.floating))]
            exact = all(_is_float32(v) for v in floats)
            items = [self.attr(name, v) if exact else self._exact_item(name, v) for v in value]
            kinds = {item.WhichOneof("value") for item in items}
            if len(kinds) > 1 or None in kinds or kinds & {"list"}:
                raise self._error(name, value)
            for item in items:
                kind = item.WhichOneof("value")
                field = getattr(out.list, kind)
                if kind in ("shape", "tensor", "func"):
                    field.add().CopyFrom(getattr(item, kind))
                else:
                    field.append(getattr(item, kind))
            out.list.SetInParent()  # an empty list is still a list

    def _exact_item(self, name, value) -> attr_value_pb2.AttrValue:
        # One double in a float list that float32 would round: the whole list is doubles.
        if isinstance(value, (float, np.floating)):
            return attr_value_pb2.AttrValue(tensor=_double_proto(value))
        return self.attr(name, value)

    def _add_function(self, value) -> str:
        library = self.library if self.library is not None else function_pb2.FunctionDefLibrary()
        fdef = _function_codec.to_function_def(value, library)
        name = fdef.signature.name
        if all(f.signature.name != name for f in library.function):
            library.function.add().CopyFrom(fdef)
        return name

    def _error(self, name, value) -> TypeError:
        return TypeError(
            f"{self.where}: attr '{name}' holds {type(value).__name__} {value!r}, which has "
            "no AttrValue form (attrs must be numbers, strings, bools, dtypes, shapes, numpy "
            "arrays, functions or tuples of one of those), so the graph cannot be serialised."
        )


def attr_value(value, name: str = "", library=None) -> attr_value_pb2.AttrValue:
    """The `AttrValue` of the flowgraph attr `name` holding `value` (TypeError if none)."""
    return _Encoder(f"attr '{name}'", library).attr(name, value)


def _is_float32(value) -> bool:
    with np.errstate(over="ignore"):
        return float(np.float32(value)) == value or bool(np.isnan(value))


def _double_proto(value) -> tensor_pb2.TensorProto:
    return tensor_pb2.TensorProto(dtype=types_pb2.DT_DOUBLE, double_val=[float(value)])


def _is_dtype(value) -> bool:
    return isinstance(value, (np.dtype, dtypes.DType)) or (
        isinstance(value, type) and issubclass(value, np.generic)
    )


def _is_shape(value) -> bool:
    return isinstance(value, (tuple, list)) and all(
        d is None or (isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d >= 0)
        for d in value
    )


def _is_attr_map(value) -> bool:
    return all(len(v) == 2 and isinstance(v[0], str) for v in value) and [
        k for k, _ in value
    ] == sorted({k for k, _ in value})


def _shape_proto(dims) -> tensor_shape_pb2.TensorShapeProto:
    """A TensorShapeProto of a tuple of int/None (None: unknown rank); -1 marks unknown dims."""
    if dims is None:
        return tensor_shape_pb2.TensorShapeProto(unknown_rank=True)
    return tensor_shape_pb2.TensorShapeProto(
        dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=-1 if d is None else d) for d in dims]
    )


# -- AttrValue -> Python attr values -------------------------------------------------------


def attr_python(value: attr_value_pb2.AttrValue, name: str = "", library=None):
    """The flowgraph attr value an `AttrValue` holds (the inverse of `attr_value`).

    Lists come back as tuples, dtypes as numpy dtypes, shapes as tuples of int/None (None:
    unknown rank), strings as `str` (as `bytes` for `_class`, or when not UTF-8).
    """
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "list":
        return _list_python(value.list, name, library)
    if kind == "func":
        return _func_python(value.func, library)
    if kind == "placeholder":
        raise ValueError(f"attr '{name}' is the placeholder '{value.placeholder}' of a function")
    if kind == "s" and name in _BYTES_ATTRS:
        return value.s
    return _SCALAR_DECODERS[kind](getattr(value, kind))


def _string(s: bytes):
    try:
        return s.decode()
    except UnicodeDecodeError:
        return s


def _dtype(enum: int) -> np.dtype:
    return dtypes.as_dtype(enum).base_dtype.numpy_dtype


def _shape(proto: tensor_shape_pb2.TensorShapeProto):
    if proto.unknown_rank:
        return None
    return tuple(None if d.size < 0 else d.size for d in proto.dim)


def _tensor_python(proto: tensor_pb2.TensorProto):
    if proto.dtype == types_pb2.DT_DOUBLE and not proto.HasField("tensor_shape"):
        if len(proto.double_val) == 1 and not proto.tensor_content:
            return proto.double_val[0]  # a Python float attr (see `_Encoder._scalar`)
    return make_ndarray(proto)


_SCALAR_DECODERS = {
    "s": _string,
    "i": int,
    "f": float,
    "b": bool,
    "type": _dtype,
    "shape": _shape,
    "tensor": _tensor_python,
}


def _list_python(lst, name, library) -> tuple:
    if lst.func:
        return tuple(_func_python(f, library) for f in lst.func)
    if lst.s and name in _BYTES_ATTRS:
        return tuple(lst.s)
    for kind in ("s", "i", "f", "b", "type", "shape", "tensor"):
        items = getattr(lst, kind)
        if items:
            return tuple(_SCALAR_DECODERS[kind](v) for v in items)
    return ()


def _func_python(func: attr_value_pb2.NameAttrList, library):
    if not func.name:  # an attr map
        return tuple((k, attr_python(func.attr[k], k, library)) for k in sorted(func.attr))
    if _function_codec is None:
        raise ValueError(
            f"function attr '{func.name}': functions cannot be imported (no function codec "
            "is registered)"
        )
    return _function_codec.from_function_def(func.name, library)


# -- tensors --------------------------------------------------------------------------------


def make_tensor_proto(array) -> tensor_pb2.TensorProto:
    """A `TensorProto` holding the numpy array `array` (strings as `string_val`)."""
    array = np.asarray(array)
    dtype = dtypes.as_dtype(array.dtype)
    proto = tensor_pb2.TensorProto(
        dtype=dtype.as_datatype_enum, tensor_shape=_shape_proto(array.shape)
    )
    if dtype == dtypes.string:
        proto.string_val.extend(v if isinstance(v, bytes) else str(v).encode() for v in array.flat)
    elif array.size == 1 and proto.dtype in _TYPED_FIELDS and not dtype.is_quantized:
        field, np_type = _TYPED_FIELDS[proto.dtype]
        flat = array.reshape(-1)
        if dtype.is_complex:
            flat = flat.view(np_type)
        elif proto.dtype in (types_pb2.DT_HALF, types_pb2.DT_BFLOAT16):
            flat = flat.view(np.uint16)
        getattr(proto, field).extend(flat.astype(np_type).tolist())
    else:
        proto.tensor_content = np.ascontiguousarray(array, array.dtype.newbyteorder("<")).tobytes()
    return proto


def make_ndarray(proto: tensor_pb2.TensorProto) -> np.ndarray:
    """The numpy array a `TensorProto` holds (typed values repeat the last one, as in TF)."""
    dtype = dtypes.as_dtype(proto.dtype).base_dtype
    shape = _shape(proto.tensor_shape) or ()
    np_dtype = dtype.numpy_dtype
    if proto.tensor_content:
        flat = np.frombuffer(proto.tensor_content, np_dtype.newbyteorder("<"))
        return flat.astype(np_dtype).reshape(shape)
    size = int(np.prod(shape, dtype=np.int64))
    if dtype == dtypes.string:
        values = np.empty(len(proto.string_val), dtype=object)
        values[:] = list(proto.string_val)
    else:
        field, np_type = _TYPED_FIELDS[proto.dtype]
        values = np.asarray(getattr(proto, field), np_type)
        if dtype.is_complex:
            values = values.view(np_dtype)
        elif field == "half_val":
            values = values.view(np_dtype)
        elif dtype.is_quantized:
            values = values.astype(np_dtype.fields[next(iter(np_dtype.fields))][0]).view(np_dtype)
        else:
            values = values.astype(np_dtype)
    if values.size == size:
        return values.reshape(shape)
    out = np.empty(size, dtype=np_dtype)
    out[: values.size] = values
    out[values.size :] = values[-1] if values.size else np.zeros((), np_dtype)
    return out.reshape(shape)


# -- operations and graphs ------------------------------------------------------------------


def node_def(op, add_shapes: bool = False, library=None) -> node_def_pb2.NodeDef:
    """The `NodeDef` of `op`: name, TF op type, inputs (`name:i`, `^ctrl`), device, attrs."""
    node = ir_node_def(op._as_node(), op.device, library)
    _write_handle_types(node, op)
    if add_shapes:
        shapes = node.attr["_output_shapes"].list.shape
        shapes.extend(_shape_proto(t._shape_tuple) for t in op.outputs)
    return node


def ir_node_def(node, device: str, library=None) -> node_def_pb2.NodeDef:
    """The `NodeDef` of a runtime IR node (`device.ir.Node`) placed on `device`."""
    out = node_def_pb2.NodeDef(name=node.name, op=node.op, device=device)
    out.input.extend(name if i == 0 else f"{name}:{i}" for name, i in node.inputs)
    out.input.extend("^" + c for c in node.control_inputs)
    encoder = _Encoder(f"Operation '{node.name}' (op: '{node.op}')", library, _attr_kinds(node.op))
    for key, value in node.attrs.items():
        out.attr[key].CopyFrom(encoder.attr(key, value))
    tf_function_def.complete_functional_node(out, library)
    return out


_HANDLE_ENUMS = frozenset({types_pb2.DT_VARIANT, types_pb2.DT_RESOURCE})


def _write_handle_types(node: node_def_pb2.NodeDef, op) -> None:
    """Type attrs that type variant or resource tensors, written as TF writes them: their
    value (numpy's object dtype) encodes as DT_STRING (DeserializeSparse's Tserialized,
    IteratorGetNext's output_types for a SparseTensor component)."""
    from flowgraph.framework import op_def_library

    ins = [t._dtype._type_enum for t in op._inputs]
    outs = [t._dtype._type_enum for t in op._outputs]
    if _HANDLE_ENUMS.isdisjoint(ins) and _HANDLE_ENUMS.isdisjoint(outs):
        return
    sig = op_def_library.signature(node.op)

    def count(name):
        if name not in node.attr:
            return None
        value = node.attr[name]
        return value.i if value.WhichOneof("value") == "i" else len(value.list.type)

    for args, enums in ((sig.inputs, ins), (sig.outputs, outs)):
        for name, positions in op_def_library.handle_type_positions(args, enums, count).items():
            value = node.attr[name] if name in node.attr else None
            if value is None:
                continue
            if value.WhichOneof("value") == "type":
                if value.type == types_pb2.DT_STRING:
                    value.type = positions[0]
                continue
            for k, enum in positions.items():
                if k < len(value.list.type) and value.list.type[k] == types_pb2.DT_STRING:
                    value.list.type[k] = enum


def _attr_kinds(op_type: str) -> dict:
    from flowgraph.framework import op_def_library

    return op_def_library.signature(op_type).kinds


def as_graph_def(graph, from_version: int | None = None, add_shapes: bool = False):
    """The `GraphDef` of `graph` (only ops added since `graph.version` was `from_version`)."""
    out = graph_pb2.GraphDef(
        versions=versions_pb2.VersionDef(
            producer=GRAPH_DEF_VERSION, min_consumer=GRAPH_DEF_VERSION_MIN_CONSUMER
        )
    )
    ops = graph.get_operations()[from_version or 0 :]
    out.node.extend(node_def(op, add_shapes, out.library) for op in ops)
    _warn_python_functions(graph, ops)
    return out


# Ops that call a Python function by a token: the function is not in the GraphDef.
_PYTHON_OP_TYPES = frozenset(("PyFunc", "PyFuncStateless", "EagerPyFunc"))
_warned: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _warn_python_functions(graph, ops) -> None:
    """Says (once per op) that a py_func's Python function is not serialised."""
    seen = _warned.setdefault(graph, set())
    names = [op.name for op in ops if op.type in _PYTHON_OP_TYPES and op.name not in seen]
    if names:
        seen.update(names)
        logging.getLogger("flowgraph").warning(
            "The GraphDef holds %d op(s) that call Python functions (%s): py_func's function "
            "is not serialisable, so the graph runs only in this process; imported "
            "elsewhere, running those ops fails with 'callback ... is not found'.",
            len(names),
            ", ".join(names[:5]),
        )
