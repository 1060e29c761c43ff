"""`tf.raw_ops`: every op type as a function of keyword arguments, named by its OpDef.

`tf.raw_ops.MatMul(a=x, b=y, transpose_a=True)` adds a `MatMul` node with those inputs and
attrs; type attrs (`T`) and list lengths (`N`) are inferred from the inputs, as TF does.
Inputs are the OpDef's input args by name (a list for a list arg); everything else but
`name` is an attr.
"""

from __future__ import annotations

import functools

from flowgraph.framework import dtypes
from flowgraph.framework.ops import apply_op
from flowgraph.ops.constant_op import convert_to_tensor
from kernels import op_def as _op_def, registry as _registry


def _input(arg, value):
    if arg.type:  # a fixed type, e.g. int32 for an axis
        return convert_to_tensor(value, dtype=dtypes.as_dtype(arg.type), name=arg.name)
    return convert_to_tensor(value, name=arg.name)


def _attr(value):
    return value.base_dtype.numpy_dtype if isinstance(value, dtypes.DType) else value


# Input args whose Python name in TF's API definitions differs from the OpDef's.
_PYTHON_NAMES = {"reduction_indices": "axis", "split_dim": "axis"}


def _call(op_def, *args, **kwargs):
    if args:
        raise TypeError(
            f"raw_ops.{op_def.name} only takes keyword args (possible keys: "
            f"{[a.name for a in op_def.input_arg] + [a.name for a in op_def.attr]})"
            ". Please pass these args as kwargs instead."
        )
    name = kwargs.pop("name", None)
    inputs = []
    for arg in op_def.input_arg:
        key = _PYTHON_NAMES.get(arg.name, arg.name)
        key = key if key in kwargs else arg.name
        if key not in kwargs:
            raise TypeError(f"{op_def.name}() missing required argument: '{key}'")
        value = kwargs.pop(key)
        if arg.number_attr or arg.type_list_attr:
            inputs.extend(_input(arg, v) for v in value)
        else:
            inputs.append(_input(arg, value))
    return apply_op(
        op_def.name, inputs, name=name, **{key: _attr(value) for key, value in kwargs.items()}
    )


@functools.cache
def _raw_op(op_type: str):
    op_def = _op_def.find(op_type)
    if op_def is None or _registry.find(op_type) is None:
        raise AttributeError(
            f"module 'flowgraph.raw_ops' has no attribute '{op_type}' (no op "
            "type of that name has a kernel in flowgraph)"
        )
    fn = functools.partial(_call, op_def)
    fn.__name__ = op_type
    fn.__doc__ = f"The `{op_type}` op: inputs {[a.name for a in op_def.input_arg]} by name."
    return fn


def __getattr__(op_type: str):
    if op_type.startswith("__"):
        raise AttributeError(op_type)
    return _raw_op(op_type)


def __dir__():
    return sorted(t for t in _registry.all_kernels() if _op_def.find(t) is not None)
