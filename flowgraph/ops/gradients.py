"""Gradients as graph: `tf.gradients` adds a backward subgraph to the same Graph.

Every differentiable xla op gets one generic `VJP` node (its kernel is `jax.vjp` of the
op's own kernel); hand-written gradient functions exist only where they change the result
or its cost (StopGradient, gathers giving IndexedSlices, user overrides).
"""

from __future__ import annotations

import collections
import contextlib
import itertools
from typing import Callable

import numpy as np

from flowgraph.framework import dtypes
from flowgraph.framework.indexed_slices import IndexedSlices
from flowgraph.framework.ops import Operation, Tensor, apply_op, get_default_graph
from flowgraph.framework.scopes import name_scope
from flowgraph.ops import array_ops, math_ops
from flowgraph.ops.constant_op import convert_to_tensor
from kernels import registry

_gradient_registry: dict[str, Callable | None] = {}
_registered_at: dict[str, str] = {}


class RegisterGradient:
    """Decorator registering the gradient function of an op type.

    Example:
      >>> @tf.RegisterGradient("MySquare")
      ... def _my_square_grad(op, grad):
      ...     return grad * 2 * op.inputs[0]
    """

    def __init__(self, op_type: str):
        if not isinstance(op_type, str):
            raise TypeError("op_type must be a string")
        self._op_type = op_type

    def __call__(self, fn: Callable) -> Callable:
        _register(self._op_type, fn)
        return fn


def _register(op_type: str, fn: Callable | None) -> None:
    if op_type in _gradient_registry:
        raise KeyError(
            f"Registering two gradient with name '{op_type}'! (Previous "
            f"registration was in {_registered_at[op_type]})"
        )
    code = getattr(fn, "__code__", None)
    _registered_at[op_type] = f"{code.co_filename}:{code.co_firstlineno}" if code else "?"
    _gradient_registry[op_type] = fn


def no_gradient(op_type: str) -> None:
    """Declares that ops of `op_type` have no gradient (their inputs get None)."""
    _register(op_type, None)


NoGradient = NotDifferentiable = no_gradient


def get_gradient_function(op: Operation) -> Callable | None:
    """The gradient function for `op`: an override, a registered one, or the generic VJP.

    Returns None for ops declared not differentiable; LookupError if there is none.
    """
    override = op._attrs.get("_gradient_op_type")
    if override is not None:
        if override not in _gradient_registry:
            raise LookupError(
                f"No gradient defined for operation '{op.name}' (op type: "
                f"{op.type}): override '{override}' is not registered"
            )
        return _gradient_registry[override]
    if op.type in _gradient_registry:
        return _gradient_registry[op.type]
    kernel = registry.lookup(op.type)
    if kernel.effects.rng:
        return None  # random draws have no gradient (TF: NotDifferentiable)
    # Functional ops qualify: the variables their bodies assign carry no gradient.
    if kernel.kind == registry.XLA and not (kernel.ref_modes or kernel.effects.variable):
        return _vjp_gradient
    raise LookupError(f"No gradient defined for operation '{op.name}' (op type: {op.type})")


def _differentiable(dtype: dtypes.DType) -> bool:
    base = dtype.base_dtype
    return base.is_floating or base.is_complex


def path_aware(fn: Callable) -> Callable:
    """Marks a gradient function that takes `needed`: the ops on a path between the xs and
    ys of the running `tf.gradients` (it may skip inputs off those paths)."""
    fn.takes_needed = True
    return fn


@path_aware
def _vjp_gradient(op: Operation, *grads, needed: set | None = None) -> list:
    """The generic gradient: one VJP node whose kernel is jax.vjp of the op's kernel,
    differentiating only the inputs in `needed` (a loop's data inputs need none)."""
    kernel = registry.lookup(op.type)
    inputs = list(op.inputs)
    static = tuple(i for i in range(len(inputs)) if kernel.is_static_input(i, op._attrs))
    wrt = tuple(
        i
        for i, t in enumerate(inputs)
        if i not in static and _differentiable(t.dtype) and (needed is None or t.op in needed)
    )
    out = [None] * len(inputs)
    if not wrt:
        return out
    cotangents = [
        g if g is not None else array_ops.zeros_like(t) for g, t in zip(grads, op.outputs)
    ]
    attrs = tuple(sorted((k, v) for k, v in op._attrs.items() if k in kernel.attr_names))
    result = apply_op(
        "VJP",
        inputs + [_dense(c) for c in cotangents],
        forward=op.type,
        forward_attrs=attrs,
        num_inputs=len(inputs),
        wrt=wrt,
        static_inputs=static,
        forward_node=op.name,  # lets the runtime reuse the forward's linearization
    )
    results = result if isinstance(result, tuple) else (result,)
    for i, g in zip(wrt, results):
        out[i] = g
    return out


def _dense(grad) -> Tensor:
    return convert_to_tensor(grad) if isinstance(grad, IndexedSlices) else grad


@RegisterGradient("StopGradient")
def _stop_gradient_grad(op, grad):
    return [None]


@RegisterGradient("Print")
def _print_grad(op, *grads):
    return [grads[0]] + [None] * (len(op.inputs) - 1)


@RegisterGradient("Identity")
def _identity_grad(op, grad):
    return [grad]  # also carries IndexedSlices through reads of variables


@RegisterGradient("IdentityN")
def _identity_n_grad(op, *grads):
    return list(grads)


@RegisterGradient("GatherV2")
@path_aware
def _gather_v2_grad(op, grad, needed=None):
    """Gathering rows along axis 0 gives IndexedSlices: only those rows get gradient."""
    params, indices, axis = op.inputs
    if _constant(axis) != 0 or params.shape.ndims is None:
        return _vjp_gradient(op, grad, needed=needed)
    params_shape = array_ops.shape(params)
    size = array_ops.expand_dims(array_ops.size(indices), 0)
    rest = [array_ops.shape(params)[i] for i in range(1, params.shape.ndims)]
    values = array_ops.reshape(grad, [-1] + rest)
    return [IndexedSlices(values, array_ops.reshape(indices, size), params_shape), None, None]


@RegisterGradient("DynamicStitch")
def _dynamic_stitch_grad(op, grad):
    """Each data input gets the gradient rows at its indices (TF1's `_DynamicStitchGrads`)."""
    n = len(op.inputs) // 2
    indices = op.inputs[:n]
    return [None] * n + [array_ops.gather(_dense(grad), i) for i in indices]


@RegisterGradient("DynamicPartition")
def _dynamic_partition_grad(op, *grads):
    """Stitches the partitions' gradients back in the data's order (TF1's formula)."""
    data, partitions = op.inputs
    prefix = array_ops.shape(partitions)
    original = array_ops.reshape(array_ops.range(math_ops.reduce_prod(prefix)), prefix)
    parts = array_ops.dynamic_partition(original, partitions, op.get_attr("num_partitions"))
    grads = [
        array_ops.zeros_like(out) if g is None else _dense(g) for g, out in zip(grads, op.outputs)
    ]
    stitched = array_ops.dynamic_stitch(parts, grads)
    return [array_ops.reshape(stitched, array_ops.shape(data)), None]


def _constant(t: Tensor):
    from flowgraph.framework.ops import constant_value

    value = constant_value(t)
    return None if value is None else int(np.asarray(value))


for _op_type in (
    "Shape",
    "Size",
    "Rank",
    "Range",
    "Const",
    "Placeholder",
    "Where",
    "ZerosLike",
    "OnesLike",
    "Round",
    "Rint",
    "Floor",
    "Ceil",
    "FloorDiv",
    "TruncateDiv",
    "ShapeN",
    "Equal",
    "NotEqual",
    "Less",
    "LessEqual",
    "Greater",
    "GreaterEqual",
    "LogicalAnd",
    "LogicalOr",
    "LogicalNot",
    "IsVariableInitialized",
    "AsString",
    "StringJoin",
):
    no_gradient(_op_type)
del _op_type


# -- tf.gradients ---------------------------------------------------------------------------


def _as_list(x) -> list:
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _as_x(x) -> Tensor:
    """A variable's gradient is taken at its ref tensor, as TF1 does."""
    if hasattr(x, "_ref") and callable(x._ref):
        return x._ref()
    return convert_to_tensor(x)


def gradients(
    ys,
    xs,
    grad_ys=None,
    name="gradients",
    colocate_gradients_with_ops=False,
    gate_gradients=False,
    aggregation_method=None,
    stop_gradients=None,
    unconnected_gradients="none",
):
    """Symbolic derivatives of the sum of `ys` with respect to each of `xs`.

    Adds the backward ops to the graph under the `gradients` name scope and returns one
    gradient per x: a Tensor, IndexedSlices (through gathers), or None when x does not
    affect ys.

    Example:
      >>> w = tf.Variable([1.0, 2.0]); loss = tf.reduce_sum(w * w)
      >>> g, = tf.gradients(loss, [w])   # 2 * w
    """
    ys = [convert_to_tensor(y) for y in _as_list(ys)]
    xs = [_as_x(x) for x in _as_list(xs)]
    grad_ys = [None] * len(ys) if grad_ys is None else _as_list(grad_ys)
    if len(grad_ys) != len(ys):
        raise ValueError(f"Passed {len(grad_ys)} grad_ys for {len(ys)} ys")
    stops = {_as_x(t).op for t in _as_list(stop_gradients or [])}
    graph = ys[0].graph
    inner = [_captured(graph, x) for x in xs]
    with graph.as_default(), name_scope(name, "gradients") as scope:
        grads = _backprop(
            graph, ys, inner, grad_ys, stops, scope, gate_gradients, colocate_gradients_with_ops
        )
    return [_result(grads.get(i), x, unconnected_gradients) for i, x in zip(inner, xs)]


def _captured(graph, x: Tensor) -> Tensor:
    """Inside a cond branch or loop body, an outer tensor `x` (a variable, say) as the
    body reads it: the gradient with respect to `x` is the one with respect to that."""
    outer = getattr(graph, "outer_graph", None)
    if outer is None or x.graph is graph:
        return x
    x = _captured(outer, x)
    if x in graph.captures:
        return graph.captures[x]
    reads = [t for t in graph.captures if t.op.type == "Identity" and t.op.inputs[0] is x]
    return graph.captures[reads[0]] if reads else x  # a variable: the body reads its value


def _result(grad, x: Tensor, unconnected: str):
    if grad is None and unconnected == "zero":
        return array_ops.zeros_like(x)
    return grad


def _backprop(graph, ys, xs, grad_ys, stop_ops, scope, gate, colocate=False) -> dict:
    between = _between_ops([y.op for y in ys], [x.op for x in xs])
    pending = collections.Counter(t.op for op in between for t in op.inputs if t.op in between)
    grads: dict[Tensor, list] = collections.defaultdict(list)
    for i, (y, gy) in enumerate(zip(ys, grad_ys)):
        if gy is None:
            gy = array_ops.fill(
                array_ops.shape(y),
                convert_to_tensor(np.ones((), y.dtype.base_dtype.numpy_dtype), name=f"grad_ys_{i}"),
            )
        grads[y].append(convert_to_tensor(gy) if not isinstance(gy, IndexedSlices) else gy)
    from_ops = {x.op for x in xs}
    stop_ops = stop_ops | {op for op in from_ops if not any(pending[t.op] for t in op.inputs)}
    ready = collections.deque(
        dict.fromkeys(y.op for y in ys if y.op in between and pending[y.op] == 0)
    )
    seen: set[Operation] = set()
    while ready:
        op = ready.popleft()
        if op in seen:
            continue
        seen.add(op)
        out_grads = [_aggregate(grads.get(t)) for t in op.outputs]
        in_grads = _op_gradients(op, out_grads, stop_ops, gate, colocate, between)
        for t, g in zip(op.inputs, in_grads):
            if g is not None and t.op in between:
                grads[t].append(g)
        for t in op.inputs:
            if t.op in between:
                pending[t.op] -= 1
                if pending[t.op] == 0:
                    ready.append(t.op)
    return {x: _aggregate(grads.get(x)) for x in xs}


def _between_ops(to_ops: list[Operation], from_ops: list[Operation]) -> set[Operation]:
    """Ops on a path from some x to some y (TF's `_PendingCount` reachability)."""
    reached: set[Operation] = set()
    stack = list(from_ops)
    while stack:
        op = stack.pop()
        if op not in reached:
            reached.add(op)
            stack.extend(c for t in op.outputs for c in t.consumers())
    between: set[Operation] = set()
    stack = list(to_ops)
    while stack:
        op = stack.pop()
        if op in reached and op not in between:
            between.add(op)
            stack.extend(t.op for t in op.inputs)
    return between


def _op_gradients(
    op: Operation, out_grads: list, stop_ops, gate, colocate=False, between=None
) -> list:
    if op in stop_ops or all(g is None for g in out_grads):
        return [None] * len(op.inputs)
    fn = get_gradient_function(op)
    if fn is None:
        return [None] * len(op.inputs)
    path = {"needed": between} if getattr(fn, "takes_needed", False) else {}
    with contextlib.ExitStack() as scopes:
        if colocate:  # TF's colocate_gradients_with_ops: a gradient sits with its forward op
            scopes.enter_context(op.graph._colocate_with_for_gradient(op))
        scopes.enter_context(name_scope(op.name + "_grad"))
        in_grads = list(fn(op, *out_grads, **path))
    if len(in_grads) != len(op.inputs):
        raise ValueError(
            f"Num gradients {len(in_grads)} generated for op {op.node_def} do "
            f"not match num inputs {len(op.inputs)}"
        )
    for t, g in zip(op.inputs, in_grads):
        if isinstance(g, Tensor) and t.shape.is_compatible_with(g.shape):
            g.set_shape(t.shape)
    if gate and sum(g is not None for g in in_grads) > 1:
        from flowgraph.ops import control_flow_ops

        in_grads = control_flow_ops.tuple(in_grads)
    return in_grads


def _aggregate(grads: list | None):
    """Sums the gradients reaching one tensor; IndexedSlices stay sparse when all are."""
    if not grads:
        return None
    if len(grads) == 1:
        return grads[0]
    if all(isinstance(g, IndexedSlices) for g in grads):
        return IndexedSlices(
            array_ops.concat([g.values for g in grads], 0),
            array_ops.concat([g.indices for g in grads], 0),
            grads[0].dense_shape,
        )
    return math_ops.add_n([_dense(g) for g in grads])


# -- hessians and custom gradients ------------------------------------------------------------


def hessians(
    ys,
    xs,
    name="hessians",
    colocate_gradients_with_ops=False,
    gate_gradients=False,
    aggregation_method=None,
):
    """The Hessian of the sum of `ys` with respect to each x (x's size must be static).

    Returns, per x, a tensor of shape `x.shape + x.shape`.
    """
    out = []
    for x, g in zip(_as_list(xs), gradients(ys, xs, name=name)):
        x = _as_x(x)
        if g is None:
            out.append(None)
            continue
        if not x.shape.is_fully_defined():
            raise ValueError(f"hessians needs a fully defined shape for {x.name}, got {x.shape}")
        flat = array_ops.reshape(_dense(g), [-1])
        n = x.shape.num_elements()
        rows = [_dense(gradients(flat[j], x, name=name)[0]) for j in range(n)]
        rows = [array_ops.zeros_like(x) if r is None else r for r in rows]
        out.append(array_ops.reshape(array_ops.stack(rows), x.shape.as_list() * 2))
    return out


_custom_ids = itertools.count()


def custom_gradient(f: Callable) -> Callable:
    """Decorator: `f(*x)` returns `(y, grad_fn)` and `grad_fn(dy)` gives the gradients of x.

    Example:
      >>> @tf.custom_gradient
      ... def log1pexp(x):
      ...     e = tf.exp(x)
      ...     return tf.log(1 + e), lambda dy: dy * (1 - 1 / (1 + e))
    """

    def decorated(*args):
        args = [convert_to_tensor(a) for a in args]
        result, grad_fn = f(*args)
        flat = _as_list(result)
        op_name = f"CustomGradient-{next(_custom_ids)}"

        @RegisterGradient(op_name)
        def _grad(op, *result_grads):
            input_grads = _as_list(grad_fn(*result_grads[: len(flat)]))
            if len(input_grads) != len(args):
                raise ValueError(
                    f"custom_gradient function expected to return {len(args)} "
                    f"gradients, but returned {len(input_grads)} instead."
                )
            return [None] * len(flat) + input_grads

        graph = get_default_graph()
        with graph.gradient_override_map({"IdentityN": op_name}):
            outs = array_ops.identity_n(flat + args)
        outs = outs[: len(flat)]
        return outs if isinstance(result, (list, tuple)) else outs[0]

    return decorated
