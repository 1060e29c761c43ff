"""`tf.add_check_numerics_ops`: a `CheckNumerics` op on every float tensor of the graph."""

from __future__ import annotations

from flowgraph.framework import dtypes
from flowgraph.framework.ops import get_default_graph
from flowgraph.framework.scopes import control_dependencies
from flowgraph.ops import check_ops, control_flow_ops

_FLOATS = (dtypes.float16, dtypes.float32, dtypes.float64)


def add_check_numerics_ops():
    """Connect a `check_numerics` to every floating point tensor of the default graph.

    Each check's message names the tensor (`op_name:output_index`); running the returned
    op fails with `InvalidArgumentError` if any of them holds an Inf or a NaN. The checks
    are chained by control dependencies, producers first, as TF1.

    Example:
      >>> check_op = tf.add_check_numerics_ops()
      >>> sess.run([train_op, check_op])

    Returns:
      A `group` op depending on all the checks.
    """
    check_op = []
    for op in get_default_graph().get_operations():
        for output in op.outputs:
            if output.dtype in _FLOATS:
                with control_dependencies(check_op):
                    message = f"{op.name}:{output.value_index}"
                    check_op = [check_ops.check_numerics(output, message=message)]
    return control_flow_ops.group(*check_op)
