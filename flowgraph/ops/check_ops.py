"""Numerics checks and assertions: `check_numerics`, `Assert` and the `tf.assert_*` family."""

from __future__ import annotations

import numpy as np

from flowgraph.framework import dtypes
from flowgraph.framework.ops import Operation, Tensor, apply_op, constant_value
from flowgraph.framework.scopes import name_scope
from flowgraph.ops import math_ops
from flowgraph.ops.constant_op import convert_to_tensor
from flowgraph.ops.control_flow_ops import no_op
from flowgraph.ops.gradients import RegisterGradient
from kernels.errors import InvalidArgumentError


def check_numerics(tensor, message, name=None) -> Tensor:
    """Passes `tensor` through; running it raises InvalidArgumentError on any NaN or Inf.

    Example:
      >>> y = tf.check_numerics(tf.log(x), "log(x)")
    """
    tensor = convert_to_tensor(tensor)
    if not tensor.dtype.base_dtype.is_floating:
        raise TypeError(
            f"Value passed to parameter 'tensor' has DataType {tensor.dtype.name} not in list "
            "of allowed values: bfloat16, float16, float32, float64 (op 'CheckNumerics')"
        )
    return apply_op("CheckNumerics", [tensor], name=name, message=str(message))


@RegisterGradient("CheckNumerics")
def _check_numerics_grad(op, grad):
    message = "Not a number (NaN) or infinity (Inf) values detected in gradient. "
    return [check_numerics(grad, message + op.get_attr("message"))]


def verify_tensor_all_finite(t=None, msg=None, name=None, x=None, message=None) -> Tensor:
    """`t` after a check that it holds no NaN or Inf (raises InvalidArgumentError at run time)."""
    t = x if t is None else t
    msg = message if msg is None else msg
    with name_scope(name, "VerifyFinite", [t]) as scope:
        t = convert_to_tensor(t, name="t")
        verify_input = check_numerics(t, message=msg)
        return _identity_after(t, verify_input, scope)


def _identity_after(t: Tensor, dep: Tensor, name: str) -> Tensor:
    # TF1: control_flow_ops.with_dependencies([verify_input], t) -> Identity with a control input.
    from flowgraph.ops.array_ops import identity

    with t.graph.control_dependencies([dep]):
        return identity(t, name=name)


def Assert(condition, data, summarize=None, name=None) -> Operation:  # noqa: N802  (TF1's name)
    """An op that raises InvalidArgumentError "assertion failed: [data]..." if `condition` is
    false when it runs.

    Example:
      >>> check = tf.Assert(tf.reduce_all(x > 0), [x])
      >>> with tf.control_dependencies([check]): y = tf.log(x)
    """
    with name_scope(name, "Assert", [condition, data]) as scope:
        condition = convert_to_tensor(condition, name="Condition")
        if condition.dtype.base_dtype != dtypes.bool:
            raise TypeError(
                f"Input 'condition' of 'Assert' Op has type {condition.dtype.name} that does "
                "not match expected type of bool."
            )
        data = [convert_to_tensor(d) for d in data]
        return apply_op(
            "Assert",
            [condition] + data,
            name=scope,
            summarize=3 if summarize is None else int(summarize),
            T=[d.dtype.numpy_dtype for d in data],
        )


# -- the assert_* family ---------------------------------------------------------------------


def _assert_static(condition: bool, data: list) -> None:
    if not condition:
        raise InvalidArgumentError(None, None, "\n".join(_static_string(x) for x in data))


def _static_string(x) -> str:
    if isinstance(x, Tensor):
        value = constant_value(x)
        return str(x) if value is None else str(value)
    return str(x)


def _compare(op_name, fn, symbol, x, y, data, summarize, message, name):
    with name_scope(name, op_name, [x, y, data]):
        x = convert_to_tensor(x, name="x")
        y = convert_to_tensor(y, name="y", dtype=x.dtype.base_dtype)
        if data is None:
            data = [
                f"Condition x {symbol} y did not hold element-wise:",
                f"x ({x.name}) = ",
                x,
                f"y ({y.name}) = ",
                y,
            ]
        if message is not None:
            data = [message] + list(data)
        condition = math_ops.reduce_all(fn(x, y))
        # TF1 checks two constants while building the graph.
        x_static, y_static = constant_value(x), constant_value(y)
        if x_static is not None and y_static is not None:
            _assert_static(bool(np.all(_STATIC[op_name](x_static, y_static))), data)
        return Assert(condition, data, summarize=summarize)


_STATIC = {
    "assert_equal": np.equal,
    "assert_none_equal": np.not_equal,
    "assert_less": np.less,
    "assert_less_equal": np.less_equal,
    "assert_greater": np.greater,
    "assert_greater_equal": np.greater_equal,
}


def assert_equal(x, y, data=None, summarize=None, message=None, name=None) -> Operation:
    """An Assert op checking `x == y` element-wise; raises at once if both are constants.

    Example:
      >>> with tf.control_dependencies([tf.assert_equal(tf.shape(a), tf.shape(b))]): ...
    """
    return _compare("assert_equal", math_ops.equal, "==", x, y, data, summarize, message, name)


def assert_none_equal(x, y, data=None, summarize=None, message=None, name=None) -> Operation:
    """An Assert op checking `x != y` element-wise."""
    return _compare(
        "assert_none_equal", math_ops.not_equal, "!=", x, y, data, summarize, message, name
    )


def assert_less(x, y, data=None, summarize=None, message=None, name=None) -> Operation:
    """An Assert op checking `x < y` element-wise."""
    return _compare("assert_less", math_ops.less, "<", x, y, data, summarize, message, name)


def assert_less_equal(x, y, data=None, summarize=None, message=None, name=None) -> Operation:
    """An Assert op checking `x <= y` element-wise."""
    return _compare(
        "assert_less_equal", math_ops.less_equal, "<=", x, y, data, summarize, message, name
    )


def assert_greater(x, y, data=None, summarize=None, message=None, name=None) -> Operation:
    """An Assert op checking `x > y` element-wise."""
    return _compare("assert_greater", math_ops.greater, ">", x, y, data, summarize, message, name)


def assert_greater_equal(x, y, data=None, summarize=None, message=None, name=None) -> Operation:
    """An Assert op checking `x >= y` element-wise."""
    return _compare(
        "assert_greater_equal", math_ops.greater_equal, ">=", x, y, data, summarize, message, name
    )


def _sign(op_name, compare, symbol, zero_first, x, data, summarize, message, name):
    with name_scope(name, op_name, [x, data]):
        x = convert_to_tensor(x, name="x")
        if data is None:
            data = [
                message or "",
                f"Condition x {symbol} 0 did not hold element-wise:",
                f"x ({x.name}) = ",
                x,
            ]
        zero = convert_to_tensor(0, dtype=x.dtype.base_dtype)
        a, b = (zero, x) if zero_first else (x, zero)
        return compare(a, b, data=data, summarize=summarize)


def assert_positive(x, data=None, summarize=None, message=None, name=None) -> Operation:
    """An Assert op checking `x > 0` element-wise."""
    return _sign("assert_positive", assert_less, ">", True, x, data, summarize, message, name)


def assert_non_negative(x, data=None, summarize=None, message=None, name=None) -> Operation:
    """An Assert op checking `x >= 0` element-wise."""
    return _sign(
        "assert_non_negative", assert_less_equal, ">=", True, x, data, summarize, message, name
    )


def assert_negative(x, data=None, summarize=None, message=None, name=None) -> Operation:
    """An Assert op checking `x < 0` element-wise."""
    return _sign("assert_negative", assert_less, "<", False, x, data, summarize, message, name)


def assert_non_positive(x, data=None, summarize=None, message=None, name=None) -> Operation:
    """An Assert op checking `x <= 0` element-wise."""
    return _sign(
        "assert_non_positive", assert_less_equal, "<=", False, x, data, summarize, message, name
    )


def assert_rank(x, rank, data=None, summarize=None, message=None, name=None) -> Operation:
    """Checks that `x` has rank `rank`: ValueError now if the static rank differs, else an
    Assert op (a NoOp when the static rank already matches)."""
    with name_scope(name, "assert_rank", [x, rank] + list(data or [])):
        x = convert_to_tensor(x, name="x")
        rank = convert_to_tensor(rank, name="rank")
        message = message or ""
        if rank.shape.ndims not in (None, 0):
            raise ValueError(f"Rank must be a scalar, got shape {rank.shape}")
        if not rank.dtype.base_dtype.is_integer:
            raise TypeError(f"{message}  Tensor {rank.name} must be of integer type")
        static_rank = constant_value(rank)
        x_rank = x.shape.ndims
        if static_rank is not None and x_rank is not None:
            if x_rank != int(static_rank):
                raise ValueError(
                    f"{message}.  Tensor {x.name} must have rank {int(static_rank)}.  "
                    f"Received rank {x_rank}, shape {x.shape}"
                )
            return no_op()
        from flowgraph.ops.array_ops import rank as rank_of

        if data is None:
            data = [
                message,
                f"Tensor {x.name} must have rank",
                rank,
                "Received shape: ",
                apply_op("Shape", [x], out_type=np.dtype(np.int32)),
            ]
        condition = math_ops.equal(rank_of(x), math_ops.cast(rank, dtypes.int32))
        return Assert(condition, data, summarize=summarize)


def assert_type(tensor, tf_type, message=None, name=None) -> Operation:
    """Raises TypeError now unless `tensor`'s dtype is `tf_type`; returns a NoOp."""
    message = message or ""
    tf_type = dtypes.as_dtype(tf_type)
    with name_scope(name, "assert_type", [tensor]):
        tensor = convert_to_tensor(tensor, name="tensor")
        if tensor.dtype != tf_type:
            raise TypeError(f"{message}  {tensor.name} must be of type {tf_type!r}")
        return no_op("statically_determined_correct_type")


def assert_scalar(tensor, name=None, message=None) -> Tensor:
    """Returns `tensor` if its static shape is a scalar; ValueError otherwise."""
    with name_scope(name, "assert_scalar", [tensor]):
        tensor = convert_to_tensor(tensor)
        shape = tensor.shape
        if shape.ndims != 0:
            prefix = f"{message} " if message else ""
            if shape.ndims is None:
                raise ValueError(f"{prefix}Expected scalar shape, saw unknown shape.")
            raise ValueError(
                f"{prefix}Expected scalar shape for {tensor.name}, saw shape: {shape}."
            )
        return tensor


def is_numeric_tensor(tensor) -> bool:
    """Whether `tensor` is a Tensor of a numeric dtype."""
    return isinstance(tensor, Tensor) and tensor.dtype.base_dtype in _NUMERIC


_NUMERIC = {
    dtypes.float16,
    dtypes.float32,
    dtypes.float64,
    dtypes.bfloat16,
    dtypes.int8,
    dtypes.int16,
    dtypes.int32,
    dtypes.int64,
    dtypes.uint8,
    dtypes.uint16,
    dtypes.complex64,
    dtypes.complex128,
}


def assert_rank_at_least(x, rank, data=None, summarize=None, message=None, name=None):
    """Checks that `x` has rank `rank` or higher: ValueError now if the static rank is lower,
    else an Assert op (a NoOp when the static rank already suffices)."""
    with name_scope(name, "assert_rank_at_least", [x, rank] + list(data or [])):
        x = convert_to_tensor(x, name="x")
        rank = convert_to_tensor(rank, name="rank")
        message = message or ""
        if rank.shape.ndims not in (None, 0):
            raise ValueError(f"Rank must be a scalar, got shape {rank.shape}")
        if not rank.dtype.base_dtype.is_integer:
            raise TypeError(f"{message}  Tensor {rank.name} must be of integer type")
        static_rank, x_rank = constant_value(rank), x.shape.ndims
        if static_rank is not None and x_rank is not None:
            if x_rank < int(static_rank):
                raise ValueError(
                    f"{message}.  Tensor {x.name} must have rank at least {int(static_rank)}.  "
                    f"Received rank {x_rank}, shape {x.shape}"
                )
            return no_op()
        from flowgraph.ops.array_ops import rank as rank_of

        if data is None:
            data = [
                message,
                f"Tensor {x.name} must have rank at least",
                rank,
                "Received shape: ",
                apply_op("Shape", [x], out_type=np.dtype(np.int32)),
            ]
        condition = math_ops.greater_equal(rank_of(x), math_ops.cast(rank, dtypes.int32))
        return Assert(condition, data, summarize=summarize)


def assert_shape(x, shape, message=None, name=None):
    """Checks that `x` has `shape` (a list; None or -1 matches any size): ValueError now if
    the static shape contradicts it, else an Assert op (a NoOp when already known)."""
    with name_scope(name, "assert_shape", [x]):
        x = convert_to_tensor(x, name="x")
        want = [None if d is None or int(d) < 0 else int(d) for d in shape]
        prefix = f"{message}  " if message else ""
        have = x.shape.as_list() if x.shape.ndims is not None else None
        if have is not None and (
            len(have) != len(want)
            or any(w is not None and h is not None and w != h for h, w in zip(have, want))
        ):
            raise ValueError(f"{prefix}Tensor {x.name} must have shape {want}, got {have}")
        if have is not None and all(w is None or h == w for h, w in zip(have, want)):
            return no_op()
        from flowgraph.ops import array_ops

        check = assert_rank(x, len(want), message=message)
        with control_dependencies_of([check]):
            actual = array_ops.shape(x)
            known = [i for i, w in enumerate(want) if w is not None]
            if not known:
                return no_op()
            got = array_ops.gather(actual, known)
            expected = np.asarray([want[i] for i in known], np.int32)
            condition = math_ops.reduce_all(math_ops.equal(got, expected))
            return Assert(
                condition, [f"{prefix}Tensor {x.name} must have shape {want}; got: ", actual]
            )


def control_dependencies_of(ops):
    from flowgraph.framework.scopes import control_dependencies

    return control_dependencies(ops)
