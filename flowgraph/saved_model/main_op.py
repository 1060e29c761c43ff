"""`tf.saved_model.main_op`: the op a loader runs after restoring variables."""

from __future__ import annotations

from flowgraph.framework.ops import GraphKeys, get_default_graph
from flowgraph.framework.scopes import control_dependencies, get_collection
from flowgraph.ops import control_flow_ops
from flowgraph.ops.variables import global_variables_initializer, local_variables_initializer


def main_op():
    """Returns a main op to init variables and tables: the global and local variables'
    initializers and the `TABLE_INITIALIZERS` collection, grouped."""
    return control_flow_ops.group(global_variables_initializer(), *_local_and_tables())


def main_op_with_restore(restore_op_name):
    """Returns a main op that initializes local variables and tables after the restore op
    named `restore_op_name`."""
    restore = get_default_graph().get_operation_by_name(restore_op_name)
    with control_dependencies([restore]):
        return control_flow_ops.group(*_local_and_tables())


def _local_and_tables():
    return [local_variables_initializer(), *get_collection(GraphKeys.TABLE_INITIALIZERS)]
