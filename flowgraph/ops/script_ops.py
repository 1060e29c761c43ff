"""Python functions in the graph: `tf.py_func`, `tf.numpy_function`, `tf.py_function`.

The op holds a `token` naming the function in this process's registry (TF's FuncRegistry):
the function itself is not part of the graph, so a GraphDef holding one runs only in the
process that built it — `as_graph_def` and export warn about such ops.
"""

from __future__ import annotations

from flowgraph.framework import dtypes
from flowgraph.framework.ops import Operation, apply_op
from flowgraph.ops.constant_op import convert_to_tensor
from flowgraph.ops.gradients import no_gradient
from flowgraph.ops.rnn_cell_impl import flatten, pack_sequence_as
from kernels import script

PYTHON_OP_TYPES = ("PyFunc", "PyFuncStateless", "EagerPyFunc")
for _op_type in PYTHON_OP_TYPES:
    # TF: NotDifferentiable (py_func); flowgraph has no eager tape for py_function either.
    # A gradient comes from RegisterGradient + gradient_override_map.
    no_gradient(_op_type)
del _op_type


def _flat_call(func, Tout):
    """`func` returning its results flattened like `Tout` (a nested structure of dtypes)."""

    def call(*args):
        ret = func(*args)
        if isinstance(Tout, (list, tuple, dict)):
            return flatten(ret) if ret is not None else []
        return ret

    return call


def _python_op(op_type: str, func, inp, Tout, name, pack: bool = False, **attrs):
    if not callable(func):
        raise ValueError(f"Expected func to be callable, got func of type {type(func)}")
    inputs = [convert_to_tensor(x) for x in (inp if isinstance(inp, (list, tuple)) else [inp])]
    out_types = [dtypes.as_dtype(t) for t in flatten(Tout)]
    result = apply_op(
        op_type,
        inputs,
        name=name,
        token=script.add_callback(_flat_call(func, Tout)),
        Tin=tuple(t.dtype.base_dtype.numpy_dtype for t in inputs),
        Tout=tuple(t.numpy_dtype for t in out_types),
        **attrs,
    )
    return _structured(result, Tout, pack)


def _structured(result, Tout, pack: bool):
    """py_func gives a list for a list or tuple `Tout`; py_function packs like `Tout`."""
    if isinstance(result, Operation):  # no outputs
        return result
    outputs = list(result) if isinstance(result, tuple) else [result]
    if not isinstance(Tout, (list, tuple, dict)):
        return outputs[0]
    return pack_sequence_as(Tout, outputs) if pack else outputs


def py_func(func, inp, Tout, stateful=True, name=None):
    """Wraps a Python function taking and returning numpy arrays into a graph op.

    `func` runs on the host each time the op runs, between compiled segments, with the
    values of `inp` as numpy arrays (strings as object arrays of bytes). It returns one
    value per dtype of `Tout` (a list or tuple), or one value if `Tout` is a single dtype;
    each must already have that dtype (strings may be `str` or `bytes`).

    Example:
      >>> def my_func(x):
      ...     return np.sinh(x)
      >>> y = tf.py_func(my_func, [tf.constant([1.0, 2.0])], tf.float32)

    Args:
      func: a Python function of `len(inp)` numpy arrays.
      inp: a list of `Tensor`s.
      Tout: a list or tuple of dtypes, or a single dtype.
      stateful: whether the function has side effects (a stateless one, `PyFuncStateless`,
        may be merged or folded like any pure op).
      name: a name for the op.

    Returns:
      A `Tensor` if `Tout` is a single dtype, else a list of them (the Operation when
      `Tout` is empty). Their shapes are unknown.

    The op has no gradient; give it one with `tf.RegisterGradient` and
    `Graph.gradient_override_map({"PyFunc": ...})`. Its function is not serialisable.
    """
    op_type = "PyFunc" if stateful else "PyFuncStateless"
    return _python_op(op_type, func, inp, Tout, name)


def numpy_function(func, inp, Tout, stateful=True, name=None):
    """Wraps a Python function of numpy arrays into a graph op (the same as `py_func`)."""
    return py_func(func, inp, Tout, stateful=stateful, name=name or "PyFunc")


def py_function(func, inp, Tout, name=None):
    """Wraps a Python function into a graph op whose inputs answer `.numpy()`.

    In TF the function gets EagerTensors; flowgraph runs graphs only, so it gets numpy
    arrays that also have a `.numpy()` method, and TF ops cannot be called inside it.
    Results are converted to the dtypes of `Tout`, which may be a nested structure
    (lists, tuples, dicts) of dtypes that the results are packed like.

    The op (`EagerPyFunc`) has no gradient unless one is registered and mapped with
    `Graph.gradient_override_map({"EagerPyFunc": ...})`.
    """
    return _python_op("EagerPyFunc", func, inp, Tout, name, pack=True, is_async=False)


eager_py_func = py_function
