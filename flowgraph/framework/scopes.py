"""Module-level scoping functions acting on the default graph (`tf.name_scope`, `tf.device`…)."""

from __future__ import annotations

import contextlib

from flowgraph.framework.ops import Operation, Tensor, get_default_graph


@contextlib.contextmanager
def name_scope(name, default_name=None, values=None):
    """Opens a name scope in the graph of `values` (or the default graph).

    `name` None uses `default_name` (made unique); both None resets to the top scope.

    Example:
      >>> with tf.name_scope("layer1"):
      ...     w = tf.constant(1.0, name="w")   # "layer1/w"
    """
    if name is None and default_name is None and values is not None:
        raise ValueError("At least one of name (None) and default_name (None) must be provided.")
    graph = _graph_of(values)
    scope = default_name if name is None else name
    with graph.as_default(), graph.name_scope(scope) as s:
        yield s


def _graph_of(values):
    for v in values or ():
        if isinstance(v, (Tensor, Operation)):
            return v.graph
        if hasattr(v, "graph"):
            return v.graph
    return get_default_graph()


def control_dependencies(control_inputs):
    """`get_default_graph().control_dependencies(control_inputs)`."""
    return get_default_graph().control_dependencies(control_inputs)


def device(device_name_or_function):
    """`get_default_graph().device(...)`: ops created in the block request that device."""
    return get_default_graph().device(device_name_or_function)


def add_to_collection(name, value) -> None:
    get_default_graph().add_to_collection(name, value)


def add_to_collections(names, value) -> None:
    get_default_graph().add_to_collections(names, value)


def get_collection(key, scope=None) -> list:
    return get_default_graph().get_collection(key, scope)


def get_collection_ref(key) -> list:
    return get_default_graph().get_collection_ref(key)
