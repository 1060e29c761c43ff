"""Higher-order functions over the first axis: `map_fn`, `scan`, `foldl`, `foldr`.

As in TF1 each is a `while_loop` reading TensorArrays; the trip count is the (static)
number of elements, so the loop compiles to a bounded `lax.scan` and is differentiable.
"""

from __future__ import annotations

import jax

from flowgraph.framework import dtypes
from flowgraph.framework.ops import Tensor
from flowgraph.framework.scopes import name_scope
from flowgraph.ops import array_ops
from flowgraph.ops.constant_op import convert_to_tensor
from flowgraph.ops.control_flow_ops import while_loop
from flowgraph.ops.tensor_array_ops import TensorArray


def _flatten(x):
    return jax.tree_util.tree_flatten(x, is_leaf=lambda v: v is None or isinstance(v, Tensor))


def _length(tensors: list[Tensor]):
    first = tensors[0]
    if first.shape.ndims == 0:
        raise ValueError("elems must be a 1+ dimensional Tensor, not a scalar")
    n = first.shape[0]
    n = getattr(n, "value", n)
    return n if n is not None else array_ops.shape(first)[0]


def _unstacked(tensors: list[Tensor], n) -> list[TensorArray]:
    return [TensorArray(t.dtype, size=n, infer_shape=True).unstack(t) for t in tensors]


def map_fn(
    fn,
    elems,
    dtype=None,
    parallel_iterations=None,
    back_prop=True,
    swap_memory=False,
    infer_shape=True,
    name=None,
):
    """`fn` applied to each slice of `elems` along axis 0, results stacked.

    Example:
      >>> squares = tf.map_fn(lambda x: x * x, tf.constant([1, 2, 3]))  # [1, 4, 9]
    """
    if not callable(fn):
        raise TypeError("fn must be callable.")
    leaves, structure = _flatten(elems)
    with name_scope(name, "map", [x for x in leaves if isinstance(x, Tensor)]):
        tensors = [convert_to_tensor(x, name="elem") for x in leaves]
        n = _length(tensors)
        inputs = _unstacked(tensors, n)
        out_dtypes = (
            [t.dtype.base_dtype for t in tensors]
            if dtype is None
            else [dtypes.as_dtype(d) for d in _flatten(dtype)[0]]
        )
        out_structure = structure if dtype is None else _flatten(dtype)[1]
        outputs = [TensorArray(d, size=n, infer_shape=infer_shape) for d in out_dtypes]

        def body(i, *tas):
            args = jax.tree_util.tree_unflatten(structure, [ta.read(i) for ta in inputs])
            result = fn(args)
            flat = _flatten(result)[0]
            if len(flat) != len(tas):
                raise ValueError(
                    f"The structure of fn's output ({len(flat)} tensors) does not match the "
                    f"expected dtype structure ({len(tas)}); pass dtype= to tf.map_fn."
                )
            return (i + 1, *[ta.write(i, v) for ta, v in zip(tas, flat)])

        _, *results = while_loop(
            lambda i, *_: i < n,
            body,
            [array_ops.zeros([], dtypes.int32), *outputs],
            parallel_iterations=parallel_iterations or 10,
            back_prop=back_prop,
            maximum_iterations=n,
        )
        stacked = [ta.stack() for ta in results]
        return jax.tree_util.tree_unflatten(out_structure, stacked)


def scan(
    fn,
    elems,
    initializer=None,
    parallel_iterations=10,
    back_prop=True,
    swap_memory=False,
    infer_shape=True,
    reverse=False,
    name=None,
):
    """Every intermediate `a = fn(a, x)` over the slices of `elems`, stacked.

    Without `initializer` the first element starts the accumulator (and is the first
    output).
    """
    return _accumulate(
        fn, elems, initializer, parallel_iterations, back_prop, reverse, name or "scan", True,
        infer_shape,
    )  # fmt: skip


def foldl(
    fn,
    elems,
    initializer=None,
    parallel_iterations=10,
    back_prop=True,
    swap_memory=False,
    name=None,
):
    """The final `a = fn(a, x)` over the slices of `elems`, first to last."""
    return _accumulate(
        fn, elems, initializer, parallel_iterations, back_prop, False, name or "foldl", False
    )


def foldr(
    fn,
    elems,
    initializer=None,
    parallel_iterations=10,
    back_prop=True,
    swap_memory=False,
    name=None,
):
    """The final `a = fn(a, x)` over the slices of `elems`, last to first."""
    return _accumulate(
        fn, elems, initializer, parallel_iterations, back_prop, True, name or "foldr", False
    )


def _accumulate(
    fn, elems, initializer, parallel_iterations, back_prop, reverse, name, keep_all,
    infer_shape=True,
):  # fmt: skip
    """`a = fn(a, x)` over the slices of `elems` in one counting loop: every `a` stacked
    (`keep_all`, scan) or the last one (folds)."""
    if not callable(fn):
        raise TypeError("fn must be callable.")
    leaves, structure = _flatten(elems)
    with name_scope(name, name, [x for x in leaves if isinstance(x, Tensor)]):
        tensors = [convert_to_tensor(x, name="elem") for x in leaves]
        n = _length(tensors)
        inputs = _unstacked(tensors, n)
        first = (n - 1) if reverse else 0
        if initializer is None:  # the first element starts the accumulator
            init = [ta.read(first) for ta in inputs]
            init_structure, start = structure, 1
        else:
            init_leaves, init_structure = _flatten(initializer)
            init = [convert_to_tensor(x) for x in init_leaves]
            start = 0
        outputs = []
        if keep_all:
            outputs = [TensorArray(t.dtype, size=n, infer_shape=infer_shape) for t in init]
            if initializer is None:
                outputs = [ta.write(first, v) for ta, v in zip(outputs, init)]
        k = len(init)

        def body(i, *state):
            acc, tas = list(state[:k]), list(state[k:])
            index = (n - 1 - i) if reverse else i
            x = jax.tree_util.tree_unflatten(structure, [ta.read(index) for ta in inputs])
            a = jax.tree_util.tree_unflatten(init_structure, acc)
            new = [convert_to_tensor(v) for v in _flatten(fn(a, x))[0]]
            return (i + 1, *new, *[ta.write(index, v) for ta, v in zip(tas, new)])

        result = while_loop(
            lambda i, *_: i < n,
            body,
            [convert_to_tensor(start, dtypes.int32), *init, *outputs],
            parallel_iterations=parallel_iterations,
            back_prop=back_prop,
            maximum_iterations=n - start,
        )
        values = [ta.stack() for ta in result[1 + k :]] if keep_all else list(result[1 : 1 + k])
        return jax.tree_util.tree_unflatten(init_structure, values)
