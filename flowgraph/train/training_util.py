"""The global step: the integer variable that counts training steps (`tf.train.*_global_step`)."""

from __future__ import annotations

import logging

from flowgraph.framework import dtypes
from flowgraph.framework.ops import GraphKeys, Tensor, get_default_graph
from flowgraph.ops import init_ops, variable_scope, variables

_log = logging.getLogger("flowgraph")


def global_step(sess, global_step_tensor) -> int:
    """Small helper to get the global step.

    Example:
      >>> step = tf.Variable(10, trainable=False, name="global_step")
      >>> sess.run(step.initializer)
      >>> tf.train.global_step(sess, step)
      10

    Args:
      sess: A `Session` object.
      global_step_tensor: `Tensor` or the `name` of the operation that contains the global
        step.

    Returns:
      The global step value, as a Python int.
    """
    return int(sess.run(global_step_tensor))


def get_global_step(graph=None):
    """Get the global step tensor.

    The global step tensor must be an integer variable. We first try to find it in the
    collection `GLOBAL_STEP`, or by name `global_step:0`.

    Args:
      graph: The graph to find the global step in. If missing, use default graph.

    Returns:
      The global step variable, or `None` if none was found.

    Raises:
      TypeError: If the global step tensor has a non-integer type, or if it is not a
        `Variable` or `Tensor`.
    """
    graph = graph or get_default_graph()
    found = graph.get_collection(GraphKeys.GLOBAL_STEP)
    if len(found) > 1:
        _log.error("Multiple tensors in global_step collection.")
        return None
    if found:
        step = found[0]
    else:
        try:
            step = graph.get_tensor_by_name("global_step:0")
        except KeyError:
            return None
    assert_global_step(step)
    return step


def create_global_step(graph=None):
    """Create global step tensor in graph.

    The variable is `global_step`: an int64 scalar, initialised to 0, not trainable, in the
    `GLOBAL_VARIABLES` and `GLOBAL_STEP` collections. As in TF1 it is created at the top
    name scope under the current variable scope.

    Args:
      graph: The graph in which to create the global step tensor. If missing, use default
        graph.

    Returns:
      Global step tensor.

    Raises:
      ValueError: if global step tensor is already defined.
    """
    graph = graph or get_default_graph()
    if get_global_step(graph) is not None:
        raise ValueError('"global_step" already exists.')
    with graph.as_default(), graph.name_scope(None):
        return variable_scope.get_variable(
            GraphKeys.GLOBAL_STEP,
            shape=[],
            dtype=dtypes.int64,
            initializer=init_ops.zeros_initializer(),
            trainable=False,
            collections=[GraphKeys.GLOBAL_VARIABLES, GraphKeys.GLOBAL_STEP],
        )


def get_or_create_global_step(graph=None):
    """Returns and create (if necessary) the global step tensor.

    Args:
      graph: The graph in which to create the global step tensor. If missing, use default
        graph.

    Returns:
      The global step tensor.
    """
    graph = graph or get_default_graph()
    step = get_global_step(graph)
    return create_global_step(graph) if step is None else step


def assert_global_step(global_step_tensor) -> None:
    """Asserts `global_step_tensor` is a scalar int `Variable` or `Tensor`.

    Args:
      global_step_tensor: `Tensor` to test.

    Raises:
      TypeError: if it is not a `Variable` or `Tensor`, not of an integer type, or not a
        scalar.
    """
    if not isinstance(global_step_tensor, (variables.Variable, Tensor)):
        raise TypeError(
            f'Existing "global_step" must be a Variable or Tensor: {global_step_tensor}.'
        )
    if not global_step_tensor.dtype.base_dtype.is_integer:
        raise TypeError(
            f'Existing "global_step" does not have integer type: {global_step_tensor.dtype}'
        )
    shape = global_step_tensor.get_shape()
    if shape.ndims != 0 and shape.is_fully_defined():
        raise TypeError(f'Existing "global_step" is not scalar: {shape}')
