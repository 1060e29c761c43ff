"""TF1's deprecated spellings of existing functions, with their own argument orders."""

from flowgraph.framework import dtypes
from flowgraph.framework.scopes import name_scope
from flowgraph.ops import math_ops, variable_scope as vs


def arg_max(input, dimension, output_type=dtypes.int64, name=None):
    """The index of the largest value across `dimension` of `input` (the `ArgMax` op).

    Example:
      >>> tf.arg_max([[1, 5, 2], [7, 0, 3]], 1)   # [1, 0]
    """
    return math_ops.argmax(input, dimension, name=name, output_type=output_type)


def arg_min(input, dimension, output_type=dtypes.int64, name=None):
    """The index of the smallest value across `dimension` of `input` (the `ArgMin` op)."""
    return math_ops.argmin(input, dimension, name=name, output_type=output_type)


def op_scope(values, name, default_name=None):
    """DEPRECATED: `name_scope(name, default_name, values)`."""
    return name_scope(name, default_name, values)


def variable_op_scope(values, name_or_scope, default_name=None, **kwargs):
    """DEPRECATED: `variable_scope(name_or_scope, default_name, values, **kwargs)`."""
    return vs.variable_scope(name_or_scope, default_name, values, **kwargs)
