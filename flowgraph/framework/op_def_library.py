"""Checks an op against its OpDef as it is built or imported (TensorFlow's op_def_library).

`bind` validates a node's inputs and attrs against the OpDef of its type and completes its
attrs as TensorFlow's NodeDefs carry them: type attrs (`T`, `Tidx`, `N`, …) inferred from
the inputs, omitted attrs filled with their defaults. Each op type's OpDef is compiled once
into a `Signature`, so the check costs a few dict lookups per op.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

from flowgraph.framework import dtypes, graph_def, tensor_shape
from kernels import op_def as op_def_registry


class OpDefError(ValueError):
    """A node that does not match its OpDef (TF raises ValueError for these)."""


class OpDefTypeError(TypeError):
    """An input whose dtype does not match its OpDef (TF raises TypeError for these)."""


class _Arg(NamedTuple):
    name: str
    dtype: int  # a fixed DataType enum, or 0 when a type attr gives it
    type_attr: str
    number_attr: str
    list_attr: str


class _Attr(NamedTuple):
    name: str
    kind: str
    check: Callable
    allowed: frozenset | None  # allowed DataType enums or strings
    minimum: int | None


class Signature(NamedTuple):
    """One op type's OpDef, compiled for checking nodes."""

    op_type: str
    inputs: tuple[_Arg, ...]
    variadic: bool  # some input is a list
    attrs: dict[str, _Attr]
    defaults: dict
    required: frozenset[str]
    output_only: frozenset[str]  # type attrs that only output args use
    outputs: tuple[_Arg, ...]
    handle_outputs: tuple[tuple[int, dtypes.DType], ...]  # resource/variant outputs
    kinds: dict[str, str]  # attr name -> its OpDef type ("shape", "list(int)", …)
    text: str  # "Op<name=…; signature=…>", for errors


_signatures: dict[str, Signature] = {}


def signature(op_type: str) -> Signature:
    """The compiled OpDef of `op_type`; NotFoundError if it has none."""
    sig = _signatures.get(op_type)
    if sig is None:
        sig = _signatures[op_type] = _compile(op_def_registry.lookup(op_type))
    return sig


def _compile(op_def) -> Signature:
    inputs = tuple(_arg(a) for a in op_def.input_arg)
    outputs = tuple(_arg(a) for a in op_def.output_arg)
    attrs = {a.name: _attr(op_def.name, a) for a in op_def.attr}
    defaults = {
        a.name: _default(a, graph_def.attr_python(a.default_value, a.name))
        for a in op_def.attr
        if a.HasField("default_value")
    }
    by_input = {x for a in inputs for x in (a.type_attr, a.number_attr, a.list_attr)}
    by_output = {x for a in outputs for x in (a.type_attr, a.number_attr, a.list_attr)}
    return Signature(
        op_def.name,
        inputs,
        any(a.number_attr or a.list_attr for a in inputs),
        attrs,
        defaults,
        frozenset(attrs) - set(defaults) - by_input,
        frozenset(by_output - by_input - set(defaults) - {""}),
        outputs,
        _handle_outputs(outputs),
        {a.name: a.type for a in op_def.attr},
        _text(op_def),
    )


def handle_type_positions(args, dtypes_of, count_of) -> dict:
    """Where numpy's object dtype stands for a handle type: {type attr name: {position in
    its value (0 for a single type): the DataType enum}} for each typed arg of `args` (an
    OpDef's inputs or outputs) whose tensors are variant or resource.

    numpy has no variant or resource dtype, so a type attr holds object for both them and
    string; the tensors an attr types say which it is (TF writes DT_VARIANT, not DT_STRING).

    Args:
      args: `Signature.inputs` or `Signature.outputs`.
      dtypes_of: the DataType enums of the tensors, in order.
      count_of: a function of an attr name: an int attr's value, or a list attr's length.
    """
    out, index = {}, 0
    for arg in args:
        n = count_of(arg.number_attr) if arg.number_attr else 1
        if arg.list_attr:
            n = count_of(arg.list_attr)
        if n is None:
            break
        found = [(k, e) for k, e in enumerate(dtypes_of[index : index + n]) if e in _HANDLE_TYPES]
        if found and (arg.type_attr or arg.list_attr):
            positions = out.setdefault(arg.type_attr or arg.list_attr, {})
            for k, enum in found:
                positions[k if arg.list_attr else 0] = enum
        index += n
    return out


def _handle_outputs(outputs) -> tuple:
    # numpy has no resource or variant dtype: the OpDef says which outputs are handles.
    out = []
    for i, arg in enumerate(outputs):
        if arg.number_attr or arg.list_attr:
            break  # later positions depend on the node
        if arg.dtype in _HANDLE_TYPES:
            out.append((i, dtypes.as_dtype(arg.dtype)))
    return tuple(out)


def _arg(a) -> _Arg:
    return _Arg(a.name, a.type, a.type_attr, a.number_attr, a.type_list_attr)


def _attr(op_type: str, a) -> _Attr:
    allowed = None
    values = a.allowed_values.list
    if values.type:
        allowed = frozenset(values.type) | set(op_def_registry.extra_types(op_type, a.name))
    elif values.s:
        allowed = frozenset(s.decode() for s in values.s)
    minimum = a.minimum if a.has_minimum else None
    return _Attr(a.name, a.type, _CHECKS.get(a.type, _any), allowed, minimum)


def _default(a, value):
    if a.type == "float":  # the float32 default as its shortest decimal (1e-4, not 9.99e-05)
        return float(str(np.float32(value)))
    if a.type == "list(float)":
        return tuple(float(str(np.float32(v))) for v in value)
    return value


def _text(op_def) -> str:
    """TF's SummarizeOpDef (core/framework/op_def_util.cc): "Op<name=Add; signature=x:T,
    y:T -> z:T; attr=T:type,allowed=[DT_HALF, …]>", the OpDef in TF's error messages."""

    def arg(a):
        # As TF's: a list of types (`type_list_attr`) shows as nothing ("data: -> ").
        kind = _type_string(a.type) if a.type else a.type_attr
        kind = (f"{a.number_attr}*" if a.number_attr else "") + kind
        return f"{a.name}:{'Ref(' + kind + ')' if a.is_ref else kind}"

    ins = ", ".join(arg(a) for a in op_def.input_arg)
    outs = ", ".join(arg(a) for a in op_def.output_arg)
    text = f"Op<name={op_def.name}; signature={ins} -> {outs}"
    for a in op_def.attr:
        text += f"; attr={a.name}:{a.type}"
        if a.HasField("default_value"):
            text += ",default=" + _summarize_attr(a.default_value)
        if a.has_minimum:
            text += f",min={a.minimum}"
        if a.HasField("allowed_values"):
            text += ",allowed=" + _summarize_attr(a.allowed_values)
    for flag in (
        "is_commutative",
        "is_aggregate",
        "is_stateful",
        "allows_uninitialized_input",
        "is_distributed_communication",
    ):
        if getattr(op_def, flag, False):
            text += f"; {flag}=true"
    return text + ">"


def _type_string(t: int) -> str:
    """TF's DataTypeString: DT_FLOAT -> "float"."""
    from tensorboard.compat.proto import types_pb2

    return types_pb2.DataType.Name(t)[3:].lower()


def _summarize_attr(value) -> str:
    """TF's SummarizeAttrValue for the kinds an OpDef's defaults and allowed values hold."""
    from tensorboard.compat.proto import types_pb2

    def scalar(field, x):
        if field == "s":
            return '"' + _c_escape(x) + '"'
        if field == "b":
            return "true" if x else "false"
        if field == "f":
            return _float_string(x)
        if field == "type":
            return types_pb2.DataType.Name(x)
        if field == "shape":
            if x.unknown_rank:
                return "<unknown>"
            return "[" + ",".join("?" if d.size < 0 else str(d.size) for d in x.dim) + "]"
        if field == "func":
            return x.name
        return str(x)

    field = value.WhichOneof("value")
    if field != "list":
        return scalar(field, getattr(value, field))
    for name in ("s", "i", "f", "b", "type", "shape", "func"):
        items = getattr(value.list, name)
        if items:
            return "[" + ", ".join(scalar(name, x) for x in items) + "]"
    return "[]"


def _c_escape(data: bytes) -> str:
    """absl's CEscape: \\n \\r \\t \\" \\' \\\\ and other unprintable bytes as octal."""
    named = {10: "\\n", 13: "\\r", 9: "\\t", 34: '\\"', 39: "\\'", 92: "\\\\"}
    return "".join(
        named.get(b) or (chr(b) if 32 <= b < 127 else f"\\{b:03o}") for b in data
    )


def _float_string(x: float) -> str:
    """TF's StrCat of a float: the shortest of %.6g and %.9g that reads back."""
    text = "%.6g" % x
    return text if np.float32(text) == np.float32(x) or np.isnan(x) else "%.9g" % x


# -- attr values ----------------------------------------------------------------------------


class _Mismatch(Exception):
    """An attr value of the wrong kind (args: the kind it has)."""


def _kind(value) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "bool"
    if isinstance(value, (int, np.integer)):
        return "int"
    if isinstance(value, (float, np.floating)):
        return "float"
    if isinstance(value, (str, bytes)):
        return "string"
    if _is_type(value):
        return "type"
    if isinstance(value, np.ndarray):
        return "tensor"
    if isinstance(value, (tuple, list)):
        return f"list({_kind(value[0]) if value else ''})"
    if value is None:
        return "none"
    return type(value).__name__


def _is_type(value) -> bool:
    return isinstance(value, (np.dtype, dtypes.DType)) or (
        isinstance(value, type) and issubclass(value, np.generic)
    )


def _check_string(v):
    if isinstance(v, (str, bytes)):
        return v
    raise _Mismatch(_kind(v))


def _check_int(v):
    if isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)):
        return v
    raise _Mismatch(_kind(v))


def _check_float(v):
    if isinstance(v, (float, np.floating)):
        return v
    if isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)):
        return float(v)  # TF converts; kept as a float so it serialises as one
    raise _Mismatch(_kind(v))


def _check_bool(v):
    if isinstance(v, (bool, np.bool_)):
        return v
    raise _Mismatch(_kind(v))


def _check_type(v):
    if _is_type(v):
        return v
    raise _Mismatch(_kind(v))


def _check_shape(v):
    if v is None or isinstance(v, tensor_shape.TensorShape):
        return v
    if isinstance(v, (tuple, list)) and all(
        d is None or (isinstance(d, (int, np.integer)) and not isinstance(d, bool)) for d in v
    ):
        return tuple(v)
    raise _Mismatch(_kind(v))


def _check_tensor(v):
    if isinstance(v, (np.ndarray, np.generic)):
        return v
    raise _Mismatch(_kind(v))


def _any(v):
    return v


def _list_of(check: Callable) -> Callable:
    def check_list(v):
        if not isinstance(v, (tuple, list)):
            raise _Mismatch(_kind(v))
        return tuple(check(x) for x in v)

    return check_list


_CHECKS = {
    "string": _check_string,
    "int": _check_int,
    "float": _check_float,
    "bool": _check_bool,
    "type": _check_type,
    "shape": _check_shape,
    "tensor": _check_tensor,
}
_CHECKS.update({f"list({k})": _list_of(c) for k, c in list(_CHECKS.items())})


def _check_attr(sig: Signature, a: _Attr, value):
    try:
        value = a.check(value)
    except _Mismatch as e:
        raise OpDefError(
            f"AttrValue had value with type '{e.args[0]}' when '{a.kind}' expected for attr "
            f"'{a.name}'; {sig.text}"
        ) from None
    if a.allowed is not None:
        _check_allowed(sig, a, value)
    if a.minimum is not None:
        size = len(value) if isinstance(value, tuple) else value
        if size < a.minimum:
            what = "Length for attr" if isinstance(value, tuple) else "Value for attr"
            raise OpDefError(
                f"{what} '{a.name}' of {size} must be at least minimum {a.minimum}; {sig.text}"
            )
    return value


def _check_allowed(sig: Signature, a: _Attr, value) -> None:
    values = value if isinstance(value, tuple) else (value,)
    for v in values:
        key = v if isinstance(v, (str, bytes)) else dtypes.as_dtype(v).base_dtype._type_enum
        key = key.decode() if isinstance(key, bytes) else key
        if key not in a.allowed:
            raise OpDefError(
                f"Value for attr '{a.name}' of {_show(key)} is not in the list of allowed "
                f"values: {', '.join(sorted(_show(x) for x in a.allowed))}; {sig.text}"
            )


def _show(value) -> str:
    return f'"{value}"' if isinstance(value, str) else dtypes.as_dtype(value).name


# -- binding a node -------------------------------------------------------------------------


def bind(sig: Signature, inputs, attrs: dict, strict: bool, kernel_attrs=frozenset()) -> dict:
    """Checks a node of `sig`'s op type and returns its completed attrs.

    A node like one already checked (same op type, input dtypes and hashable attrs: a
    repeated layer's op) costs one dict lookup: the completed attrs depend on nothing else.

    Args:
      sig: the op type's compiled OpDef.
      inputs: the node's input Tensors.
      attrs: the attrs given for the node.
      strict: whether an attr the OpDef does not declare is an error (flowgraph's own
        ops) or passed through (imported NodeDefs, as TensorFlow tolerates).
      kernel_attrs: the attrs the kernel reads: these must be known before outputs are.

    Raises:
      OpDefError (a ValueError): wrong input count, undeclared or missing attr, an attr of
        the wrong kind or out of its allowed values.
      OpDefTypeError (a TypeError): an input dtype the OpDef does not allow.
    """
    key = _bind_key(sig, inputs, attrs, strict, kernel_attrs)
    if key is None:
        return _bind(sig, inputs, attrs, strict, kernel_attrs)
    done = _bound.get(key)
    if done is None:
        if len(_bound) >= _BOUND_LIMIT:  # unique names (shared_name, …) must not grow it forever
            _bound.clear()
        done = _bound[key] = _bind(sig, inputs, attrs, strict, kernel_attrs)
    return dict(done)  # callers complete the attrs further (output types, gradient override)


_bound: dict[tuple, dict] = {}  # _bind_key -> the completed attrs of a node checked before
_BOUND_LIMIT = 50_000

# Attr values whose equality means the same checked result: the type joins the key, since
# True == 1 == 1.0 yet each is a different attr kind. Floats are left out (0.0 == -0.0), and
# lists (unhashable; tuples of ints are kept, as shapes and strides come).
_KEYED = frozenset(
    {bool, int, str, bytes, type(None), dtypes.DType, type}
    | {type(np.dtype(t)) for t in set(np.sctypeDict.values())}  # np.dtype's subclasses
)


def _bind_key(sig: Signature, inputs, attrs: dict, strict: bool, kernel_attrs) -> tuple | None:
    """The cache key of a node, or None when an attr value cannot be one."""
    dtypes_in = tuple([t._dtype for t in inputs])
    if not attrs:  # most ops (Add, Tanh, …) are given none
        return (sig.op_type, strict, kernel_attrs, dtypes_in)
    kinds = tuple(map(type, attrs.values()))
    if not _KEYED.issuperset(kinds) and not all(
        kind in _KEYED or (kind is tuple and all(type(x) is int for x in v))
        for kind, v in zip(kinds, attrs.values())
    ):
        return None
    return (sig.op_type, strict, kernel_attrs, dtypes_in, tuple(attrs.items()), kinds)


def _bind(sig: Signature, inputs, attrs: dict, strict: bool, kernel_attrs) -> dict:
    out = dict(attrs)
    declared = sig.attrs
    for key, value in attrs.items():
        a = declared.get(key)
        if a is None:
            if strict and key[:1] != "_":
                raise OpDefError(f"NodeDef mentions attr '{key}' not in {sig.text}")
        elif value is None and a.kind != "shape" and key in sig.defaults:
            out[key] = sig.defaults[key]
        elif (
            a.allowed is None
            and a.minimum is None
            and a.check is _check_bool
            and (value is True or value is False)
        ):
            pass  # the commonest attr, checked without a call
        else:
            out[key] = _check_attr(sig, a, value)
    _bind_inputs(sig, inputs, out)
    for key, value in sig.defaults.items():
        if key not in out:
            out[key] = value
    if sig.required and not sig.required <= out.keys():
        missing = sig.required - out.keys() - (sig.output_only - kernel_attrs)
        if missing:
            raise OpDefError(f"NodeDef missing attr '{min(missing)}' from {sig.text}")
    return out


def bind_outputs(sig: Signature, output_specs, attrs: dict) -> None:
    """Fills the type attrs that only the outputs determine (from the inferred specs)."""
    if not sig.output_only or sig.output_only <= attrs.keys():
        return
    output_dtypes = [dtypes.as_dtype(s.dtype) for s in output_specs]
    index = 0
    for arg in sig.outputs:
        if arg.list_attr:
            n = len(attrs.get(arg.list_attr, ())) or len(output_dtypes) - index
            if arg.list_attr not in attrs:
                attrs[arg.list_attr] = tuple(
                    _type_value(d) for d in output_dtypes[index : index + n]
                )
            index += n
            continue
        n = attrs.get(arg.number_attr, 1) if arg.number_attr else 1
        if arg.type_attr and arg.type_attr not in attrs and index < len(output_dtypes):
            attrs[arg.type_attr] = _type_value(output_dtypes[index])
        index += n


def _bind_inputs(sig: Signature, inputs, attrs: dict) -> None:
    if not sig.variadic:
        if len(inputs) != len(sig.inputs):
            raise _count_error(sig, len(inputs))
        for arg, t in zip(sig.inputs, inputs):
            _bind_one(sig, arg, t._dtype, attrs)
        return
    index = 0
    for arg, n in zip(sig.inputs, _list_lengths(sig, len(inputs), attrs)):
        if n is None:
            _bind_one(sig, arg, inputs[index]._dtype, attrs)
            index += 1
            continue
        group = inputs[index : index + n]
        index += n
        if arg.number_attr:
            _set(attrs, arg.number_attr, n)
            _check_attr(sig, sig.attrs[arg.number_attr], n)
            for t in group:
                _bind_one(sig, arg, t._dtype, attrs)
        else:
            types = tuple(_type_value(t._dtype) for t in group)
            _set(attrs, arg.list_attr, types, _same_types)


def _list_lengths(sig: Signature, count: int, attrs: dict) -> list:
    lengths, unknown = [], []
    for i, arg in enumerate(sig.inputs):
        if arg.number_attr:
            n = attrs.get(arg.number_attr)
        elif arg.list_attr:
            given = attrs.get(arg.list_attr)
            n = None if given is None else len(given)
        else:
            lengths.append(None)
            continue
        lengths.append(n)
        if n is None:
            unknown.append(i)
    singles = sum(1 for a in sig.inputs if not (a.number_attr or a.list_attr))
    rest = count - singles - sum(n for n in lengths if n is not None)
    if unknown:
        share = sig.inputs[unknown[0]].number_attr
        same = share and all(sig.inputs[i].number_attr == share for i in unknown)
        if len(unknown) > 1 and not same:
            names = [sig.inputs[i].number_attr or sig.inputs[i].list_attr for i in unknown]
            raise OpDefError(
                f"{sig.op_type} has several list inputs: give their lengths as attrs "
                f"({', '.join(names)})"
            )
        if rest < 0 or rest % len(unknown):
            raise _count_error(sig, count)
        for i in unknown:
            lengths[i] = rest // len(unknown)
    elif rest != 0:
        raise _count_error(sig, count)
    return lengths


def _count_error(sig: Signature, count: int) -> OpDefError:
    expected = ", ".join(a.name for a in sig.inputs)
    return OpDefError(
        f"NodeDef expected inputs '{expected}' do not match {count} inputs specified; {sig.text}"
    )


def _bind_one(sig: Signature, arg: _Arg, dtype: dtypes.DType, attrs: dict) -> None:
    if arg.type_attr:
        given = attrs.get(arg.type_attr)
        if given is None:
            a = sig.attrs[arg.type_attr]
            if a.allowed is not None and dtype._type_enum not in a.allowed:
                _check_input_type(arg, a, dtype.base_dtype)
            attrs[arg.type_attr] = _type_value(dtype)
        elif given is not _type_values.get(dtype) and not _same_type(given, dtype):
            raise OpDefTypeError(
                f"Input '{arg.name}' of '{sig.op_type}' Op has type {dtype.base_dtype.name} "
                f"that does not match type {dtypes.as_dtype(given).name} of attr "
                f"'{arg.type_attr}'"
            )
    elif arg.dtype and arg.dtype != dtype.base_dtype._type_enum:
        raise OpDefTypeError(
            f"Input '{arg.name}' of '{sig.op_type}' Op has type {dtype.base_dtype.name} that "
            f"does not match expected type of {dtypes.as_dtype(arg.dtype).name}."
        )


def _check_input_type(arg: _Arg, a: _Attr, base: dtypes.DType) -> None:
    if base._type_enum not in a.allowed:
        raise OpDefTypeError(
            f"Value passed to parameter '{arg.name}' has DataType {base.name} not in list of "
            f"allowed values: {', '.join(dtypes.as_dtype(t).name for t in sorted(a.allowed))}"
        )


def _type_value(dtype: dtypes.DType):
    """A type attr's stored value: the numpy dtype (the DType where numpy has none)."""
    value = _type_values.get(dtype)
    if value is None:
        base = dtype.base_dtype
        value = base if base._type_enum in _HANDLE_TYPES else base.numpy_dtype
        _type_values[dtype] = value
    return value


_type_values: dict[dtypes.DType, object] = {}  # DType (ref types too) -> its type attr value


_HANDLE_TYPES = frozenset({dtypes.DT_RESOURCE, dtypes.DT_VARIANT})


def _same_type(given, dtype: dtypes.DType) -> bool:
    ours = dtype.base_dtype
    if given is ours or given == ours.numpy_dtype:
        return True
    theirs = dtypes.as_dtype(given).base_dtype
    return theirs is ours or (ours._type_enum in _HANDLE_TYPES and theirs == dtypes.string)


def _same_types(given, inferred) -> bool:
    return len(given) == len(inferred) and all(
        _same_type(g, dtypes.as_dtype(i)) for g, i in zip(given, inferred)
    )


def _set(attrs: dict, name: str, value, same=None) -> None:
    given = attrs.get(name)
    if given is None:
        attrs[name] = value
    elif not (same(given, value) if same else given == value):
        raise OpDefError(f"Inconsistent values for attr '{name}' {given} vs. {value}")
