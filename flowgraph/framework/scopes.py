"""Module-level scoping functions acting on the default graph (`tf.name_scope`, `tf.device`…)."""

from __future__ import annotations

import contextlib

from flowgraph.framework.ops import Graph, Operation, Tensor, encloses, get_default_graph


@contextlib.contextmanager
def name_scope(name, default_name=None, values=None):
    """Opens a name scope in the graph of `values` (or the default graph).

    `name` None uses `default_name` (made unique); both None resets to the top scope. When
    `values` come from another graph, that graph is the default inside the block.

    Example:
      >>> with tf.name_scope("layer1"):
      ...     w = tf.constant(1.0, name="w")   # "layer1/w"
    """
    scope = default_name if name is None else name
    if scope is None and values is not None:
        raise ValueError(
            f"At least one of name ({name}) and default_name ({default_name}) must be provided."
        )
    default = get_default_graph()
    graph = _graph_of(values) or default
    with contextlib.ExitStack() as stack:
        if encloses(graph, default) or graph.control_flow:
            graph = default  # inside a function body: name ops in the body (a body's
            # tensors used outside it: the op that reads them reports it)
        elif graph is not default:
            stack.enter_context(graph.as_default())
        yield stack.enter_context(graph.name_scope(scope))


def _graph_of(values):
    """The graph of the graph elements among `values`; ValueError if they disagree."""
    first = None
    for v in values or ():
        if not isinstance(v, (Tensor, Operation)):
            convert = getattr(v, "_as_graph_element", None)
            if callable(convert):
                v = convert()
            elif not isinstance(getattr(v, "graph", None), Graph):  # e.g. IndexedSlices
                continue
        if v is None:
            continue
        if first is None:
            first = v
        elif v.graph is not first.graph:
            if encloses(first.graph, v.graph):  # a body's element and one it captures
                first = v
            elif not encloses(v.graph, first.graph):
                raise ValueError(f"{v} must be from the same graph as {first}.")
    return first.graph if first is not None else None


def control_dependencies(control_inputs):
    """`get_default_graph().control_dependencies(control_inputs)`."""
    return get_default_graph().control_dependencies(control_inputs)


def device(device_name_or_function):
    """`get_default_graph().device(...)`: ops created in the block request that device."""
    return get_default_graph().device(device_name_or_function)


def colocate_with(op, ignore_existing=False):
    """`get_default_graph().colocate_with(...)`: ops created in the block sit with `op`.

    Example:
      >>> with tf.colocate_with(v):          # v's device and `_class` [b"loc:@v"]
      ...     s = tf.identity(v)
    """
    return get_default_graph().colocate_with(op, ignore_existing)


def add_to_collection(name, value) -> None:
    get_default_graph().add_to_collection(name, value)


def add_to_collections(names, value) -> None:
    get_default_graph().add_to_collections(names, value)


def get_collection(key, scope=None) -> list:
    return get_default_graph().get_collection(key, scope)


def get_collection_ref(key) -> list:
    return get_default_graph().get_collection_ref(key)
