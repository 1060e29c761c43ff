"""Control flow: grouping (`no_op`, `group`, `tuple`) and the functional constructs
`cond`, `case` and `while_loop`, each one op holding its branches or body as functions."""

from __future__ import annotations

import builtins
from typing import Any, Callable, NamedTuple

import jax
import numpy as np

from flowgraph.framework import dtypes, random_seed, tensor_shape
from flowgraph.framework.func_graph import FuncGraph, to_function
from flowgraph.framework.indexed_slices import IndexedSlices
from flowgraph.framework.ops import (
    Operation,
    Tensor,
    apply_op,
    constant_value,
    get_default_graph,
)
from flowgraph.framework.scopes import name_scope
from flowgraph.ops import (
    array_ops,
    cond_branch_values,
    control_flow_checks,
    control_flow_composites,
    math_ops,
)
from flowgraph.ops.constant_op import convert_to_tensor
from flowgraph.ops.gradients import RegisterGradient, _vjp_gradient, path_aware
from flowgraph.ops.tensor_array_ops import TensorArray, mark_writes
from kernels import errors
from kernels.control_flow import LoopSpec


def no_op(name=None) -> Operation:
    """An op that does nothing; useful as a target with control dependencies."""
    return apply_op("NoOp", [], name=name)


def group(*inputs, **kwargs) -> Operation:
    """An op that runs after all of `inputs` (tensors or ops, nested lists allowed).

    Example:
      >>> step = tf.group(update_a, update_b, name="step")
      >>> sess.run(step)   # returns None
    """
    name = kwargs.pop("name", None)
    if kwargs:
        raise TypeError(f"Unknown keyword arguments: {', '.join(kwargs)}")
    ops = _flatten_ops(inputs)
    graph = ops[0].graph if ops else get_default_graph()
    with graph.as_default(), graph.control_dependencies(ops):
        return no_op(name=name or "group_deps")


def _flatten_ops(inputs) -> list[Operation]:
    out = []
    for x in inputs:
        if isinstance(x, (list, builtins.tuple)):
            out.extend(_flatten_ops(x))
        elif isinstance(x, Tensor):
            out.append(x.op)
        elif isinstance(x, Operation):
            out.append(x)
        elif hasattr(x, "op") and isinstance(x.op, Operation):
            out.append(x.op)
        elif x is not None:
            raise TypeError(f"Expected a Tensor or Operation in group(), got {x!r}")
    return out


def tuple(tensors, name=None, control_inputs=None) -> list:  # noqa: A001
    """The same tensors, each available only after all of them (and `control_inputs`) are."""
    deps = [t for t in tensors if t is not None] + list(control_inputs or [])
    gate = group(*deps, name=f"{name or 'tuple'}_gate")
    graph = gate.graph
    out = []
    with graph.control_dependencies([gate]):
        for t in tensors:
            out.append(None if t is None else array_ops.identity(t))
    return out


def with_dependencies(dependencies, output_tensor, name=None):
    """Produces the content of `output_tensor` only after `dependencies`.

    Args:
      dependencies: Iterable of operations to run before this op finishes.
      output_tensor: A `Tensor` or `IndexedSlices` that will be returned.
      name: (Optional) A name for this operation.

    Returns:
      Same as `output_tensor`.

    Example:
      >>> loss = control_flow_ops.with_dependencies([update_op], loss)
    """
    dependencies = list(dependencies)
    with name_scope(name, "control_dependency", dependencies + [output_tensor]) as name:
        graph = get_default_graph()
        with graph.colocate_with(output_tensor), graph.control_dependencies(dependencies):
            if isinstance(output_tensor, IndexedSlices):
                values = array_ops.identity(output_tensor.values, name=name)
                return IndexedSlices(values, output_tensor.indices, output_tensor.dense_shape)
            return array_ops.identity(convert_to_tensor(output_tensor), name=name)


# -- functional control flow: cond, case, while_loop ----------------------------------------
#
# Each builds its branches or body into FuncGraphs and adds one functional op (If, Case,
# While) holding them as function attrs. The runtime lowers that op to lax.cond /
# lax.switch / a loop inside the enclosing compiled segment.


def _flatten(structure) -> tuple[list, Any]:
    return jax.tree_util.tree_flatten(structure, is_leaf=_is_leaf)


def _is_leaf(x) -> bool:
    return x is None or isinstance(x, (Tensor, Operation, TensorArray, IndexedSlices))


class _Body:
    """One traced branch or body: its graph, argument placeholders and flat results."""

    def __init__(self, graph: FuncGraph, arguments: list[Tensor], results: list, structure):
        self.graph = graph
        self.arguments = arguments
        self.results = results  # Tensors of the body (None where the user returned an op)
        self.structure = structure


def _trace(
    name: str,
    fn: Callable,
    args_structure=None,
    flat_args=(),
    allow_host=False,
    live_reads=False,
    loop=False,
) -> _Body:
    """Builds `fn` into a new FuncGraph; `flat_args` are (dtype, shape) of its arguments.

    A body with host ops that cannot run as callbacks (queues, strings it returns) cannot
    be compiled: without `allow_host` that is an error, else its cond or loop runs on the
    host (`body.host`). `loop`: a loop's condition or body (else a branch).
    """
    outer = get_default_graph()
    graph = FuncGraph(name, outer)
    graph.control_flow = "while" if loop else "cond"
    graph.live_reads = live_reads  # a loop condition sees the body's assignments
    with graph.as_default():
        arguments = [graph.add_argument(spec[0], spec[1], "arg") for spec in flat_args]
        if args_structure is None:
            result = fn()
        else:
            packed = jax.tree_util.tree_unflatten(args_structure, _as_args(arguments, flat_args))
            result = fn(*packed)
        leaves, structure = _flatten(result)
        results = [_body_tensor(graph, x) for x in leaves]
    hosts = graph.uncompilable_ops(results)
    if hosts and not allow_host:
        op = hosts[0]
        raise errors.UnimplementedError(
            None,
            None,
            f"{op.type} op '{op.name}' inside '{name}' cannot be compiled into a loop or "
            f"branch (it runs on the host){_where(op)}; compute it outside the "
            "control-flow construct.",
        )
    body = _Body(graph, arguments, results, structure)
    body.host = bool(hosts)
    return body


def _as_args(placeholders: list[Tensor], flat_args) -> list:
    # A TensorArray loop variable enters the body as a TensorArray over its placeholder.
    return [
        spec[2]._with_buffer(ph) if len(spec) > 2 and spec[2] is not None else ph
        for ph, spec in zip(placeholders, flat_args)
    ]


def _body_tensor(graph: FuncGraph, x):
    if x is None or isinstance(x, Operation):
        return None
    if isinstance(x, TensorArray):
        x = x._buffer_or_error()
    elif isinstance(x, IndexedSlices):
        x = convert_to_tensor(x)
    elif not isinstance(x, Tensor):
        x = convert_to_tensor(x)
    if x.graph is not graph:
        x = graph.capture(x)
    if x.dtype._is_ref_dtype:
        x = array_ops.identity(x)
    return x


def _where(op: Operation) -> str:
    source = op._source()
    return f" (defined at {source})" if source else ""


def _functional_op(
    op_type: str,
    leading: list[Tensor],
    bodies: list[_Body],
    n_args: int,
    name,
    loop: dict | None = None,
    extra: tuple = (),
    **attrs,
):
    """Adds `op_type` whose function arguments are `n_args` explicit values followed by
    everything the bodies capture; returns the op. A loop's `extra` inputs, `(role,
    tensor, static)`, follow them: `loop` (LoopSpec fields) gets their positions."""
    captured: dict[Tensor, None] = {}
    controls: dict[Operation, None] = {}
    written: set[Tensor] = set()
    rng = False
    for body in bodies:
        captured.update(dict.fromkeys(body.graph.captured_outer))
        controls.update(dict.fromkeys(body.graph.control_captures))
        written |= body.graph.written_captures()
        rng = rng or body.graph.uses_rng()
    explicit = leading[len(leading) - n_args :] if n_args else []
    args = explicit + list(captured)
    rng_position = None
    if rng:
        seed, seed2 = random_seed.get_seed(None)
        key = apply_op("RngKey", [], seed=seed or 0, seed2=seed2 or 0)
        rng_position = len(args)
        args.append(key)
    writes = builtins.tuple(i for i, t in enumerate(args) if t in written)
    offset = len(leading) - n_args
    if loop is not None:
        first = offset + len(args)
        positions = {role: first + i for i, (role, _, _) in enumerate(extra)}
        static = builtins.tuple(first + i for i, e in enumerate(extra) if e[2])
        static += builtins.tuple(offset + i for i, t in enumerate(args) if _host_shape(t))
        rng = -1 if rng_position is None else rng_position
        attrs["_loop"] = LoopSpec.of(**loop, **positions, static=static, rng=rng)
    functions = {}
    for key_name, body in attrs.pop("_bodies").items():
        results = [r for r in body.results if r is not None]
        functions[key_name] = to_function(
            body.graph, body.arguments, results, args, writes, rng_position
        )
    static_args = _static_arguments(functions) if op_type == "If" and not attrs.get("_host") else []
    if static_args:  # a branch needs them when compiled
        attrs["_static"] = builtins.tuple(offset + i for i in static_args)
    if isinstance(attrs.get("branches"), list):
        n = len(functions)
        attrs["branches"] = builtins.tuple(functions.pop(f"branch{i}") for i in range(n))
    attrs.update(functions)
    op = apply_op(
        op_type,
        leading + args[n_args:] + [t for _, t, _ in extra],
        name=name,
        _writes=builtins.tuple(offset + i for i in writes),
        **attrs,
    )
    op = op if isinstance(op, Operation) else _op_of(op)
    op._add_control_inputs(list(controls))
    return op


def _op_of(result) -> Operation:
    return (result[0] if isinstance(result, builtins.tuple) else result).op


def _merged_outputs(bodies: list[_Body], names: list[str]) -> list:
    """(dtype, shape) of each output, checking the bodies (called `names`) agree on types."""
    first = bodies[0].results
    out = []
    for i, t in enumerate(first):
        if t is None:
            continue
        shapes = [b.results[i].shape for b in bodies]
        for k, b in enumerate(bodies[1:], start=1):
            if b.results[i] is None or b.results[i].dtype.base_dtype != t.dtype.base_dtype:
                other = b.results[i].dtype.base_dtype if b.results[i] is not None else None
                raise control_flow_checks.branch_types_error(names, t.dtype.base_dtype, other, k)
        shape = shapes[0]
        for s in shapes[1:]:
            shape = shape.most_specific_compatible_shape(s)
        out.append((t.dtype.base_dtype, shape))
    return out


def _pack_outputs(body: _Body, op: Operation, outputs: list[Tensor]):
    it = iter(outputs)
    leaves = [op if r is None else next(it) for r in body.results]
    return jax.tree_util.tree_unflatten(body.structure, leaves)


def _unpack_singleton(structure):
    if isinstance(structure, (list, builtins.tuple)) and len(structure) == 1:
        return structure[0]
    return structure


def cond(pred, true_fn=None, false_fn=None, strict=False, name=None, fn1=None, fn2=None):
    """`true_fn()` if `pred` else `false_fn()`; only the chosen branch runs.

    Both branches are compiled into one `If` op (lax.cond); tensors they read from outside
    are captured, assignments inside a branch take effect only when it runs.

    Example:
      >>> r = tf.cond(x < y, lambda: tf.add(x, z), lambda: tf.square(y))
    """
    true_fn = _renamed(true_fn, fn1, "true_fn", "fn1")
    false_fn = _renamed(false_fn, fn2, "false_fn", "fn2")
    if not callable(true_fn):
        raise TypeError("true_fn must be callable.")
    if not callable(false_fn):
        raise TypeError("false_fn must be callable.")
    if isinstance(pred, bool):
        raise TypeError("'pred' must not be a Python bool.")  # TF 2.21's v1 cond
    with name_scope(name, "cond", [pred]) as scope:
        pred = convert_to_tensor(pred)
        if pred.dtype.base_dtype != dtypes.bool:  # TF1's Switch takes a bool pred only
            raise TypeError(
                f"Input 'pred' of 'Switch' Op has type {pred.dtype.base_dtype.name} that does "
                "not match expected type of bool."
            )
        if pred.shape.ndims not in (None, 0):  # TF1's Switch(pred, pred) shape function
            inputs = [pred.op.name] * 2
            raise control_flow_checks.rank_error(
                pred.shape, scope + "Switch", "Switch", inputs, "T=DT_BOOL"
            )
        bodies = [_trace(scope + "true", _returning(true_fn, "true_fn"), allow_host=True)]
        with cond_branch_values.siblings([bodies[0].graph]) as stand_ins:  # TF1: dead there
            bodies.append(
                _trace(scope + "false", _returning(false_fn, "false_fn"), allow_host=True)
            )
        _check_same_structure(bodies, unpack=not strict)
        outs = _merged_outputs(bodies, ["true_fn", "false_fn"])
        op = _functional_op(
            "If",
            [pred],
            bodies,
            0,
            "If",
            _bodies={"then_branch": bodies[0], "else_branch": bodies[1]},
            Tout=builtins.tuple(d.numpy_dtype for d, _ in outs),
            output_shapes=builtins.tuple(s.as_tuple() for _, s in outs),
            _host=any(b.host for b in bodies) or _shapes_differ(bodies),
            _switch=True,  # TF1's Switch: a predicate that is not a scalar is an error
        )
        cond_branch_values.mark_dead(op, 1, bodies[1].graph, bodies[1].results, stand_ins)
        cond_branch_values.track(op, [b.graph for b in bodies])  # TF1: usable outside
        result = control_flow_composites.restore(_pack_outputs(bodies[0], op, op.outputs))
        return result if strict else _unpack_singleton(result)


def _static_arguments(functions: dict) -> list[int]:
    """Positions of the arguments whose values static inputs of the `functions` need (a
    branch reading a shape it is passed): the functional op gets them when compiled."""
    from device.ir import static_closure

    needed = set()
    for fn in functions.values():
        closure = static_closure(fn.graph.nodes)
        needed |= {i for i, name in enumerate(fn.inputs) if name is not None and name in closure}
    return sorted(needed)


def _shapes_differ(bodies: list[_Body]) -> bool:
    """Whether the branches return values of different known shapes (a SparseTensor's
    count of values, say): such a cond runs on the host, where each branch's own shapes
    come out."""
    for outs in zip(*(b.results for b in bodies)):
        shapes = [t.shape for t in outs if t is not None and t.shape.is_fully_defined()]
        if any(s != shapes[0] for s in shapes[1:]):
            return True
    return False


def _renamed(new, old, new_name: str, old_name: str):
    if old is not None:
        if new is not None:
            raise TypeError(f"{new_name} and {old_name} (deprecated) cannot both be given")
        return old
    return new


def _returning(fn: Callable, name: str) -> Callable:
    def branch():
        result = fn()
        if result is None:
            raise ValueError(f"'{name}' must have a return value.")
        return control_flow_composites.expand(result)

    return branch


def _expanded(fn: Callable) -> Callable:
    return lambda: control_flow_composites.expand(fn())


def _check_same_structure(bodies: list[_Body], unpack: bool = False) -> None:
    """TF's check that branches return the same structure (one-element sequences
    unpacked first when `unpack`, as a non-strict cond's result is)."""
    shape = control_flow_checks.unpacked_singleton if unpack else (lambda s: s)
    for b in bodies[1:]:
        control_flow_checks.assert_same_structure(shape(bodies[0].structure), shape(b.structure))


def case(pred_fn_pairs, default=None, exclusive=False, strict=False, name="case"):
    """The result of the first `fn` whose `pred` is true, else `default()`.

    `pred_fn_pairs` is a list of (pred, fn) pairs or a dict {pred: fn}. With
    `exclusive=True` more than one true predicate is an InvalidArgumentError.
    """
    pairs = list(pred_fn_pairs.items() if isinstance(pred_fn_pairs, dict) else pred_fn_pairs)
    for pair in pairs:
        if not isinstance(pair, (list, builtins.tuple)) or len(pair) != 2:
            raise TypeError("Each entry in pred_fn_pairs must be a 2-tuple")
        if not callable(pair[1]):
            raise TypeError("fn for pred %s must be callable." % pair[0].name)
    if default is not None and not callable(default):
        raise TypeError("default must be callable.")
    if not pairs:
        if default is None:
            raise ValueError("pred_fn_pairs and default cannot both be empty")
        return default()
    with name_scope(name, "case", [p for p, _ in pairs]) as scope:
        preds = [convert_to_tensor(p, dtype=dtypes.bool) for p, _ in pairs]
        stacked = array_ops.stack(preds)
        n = len(preds)
        deps = []
        if exclusive:
            count = math_ops.reduce_sum(math_ops.cast(stacked, dtypes.int32))
            names = ", ".join(p.name for p in preds)
            message = (
                f"Input error: exclusive=True: more than 1 conditions ({names}) evaluated as True:"
            )
            deps.append(check_ops_assert(math_ops.less_equal(count, 1), [message, stacked]))
        if default is None:  # TF1: the last pair acts as default, asserting its predicate
            default = pairs[-1][1]
            message = "Input error: None of conditions evaluated as True:"
            deps.append(check_ops_assert(math_ops.reduce_any(stacked), [message, stacked]))
        first = math_ops.cast(math_ops.argmax(math_ops.cast(stacked, dtypes.int32)), dtypes.int32)
        index = array_ops.where(math_ops.reduce_any(stacked), first, n)
        fns = [fn for _, fn in pairs] + [default]
        bodies = [
            _trace(f"{scope}branch{i}", _expanded(fn), allow_host=True) for i, fn in enumerate(fns)
        ]
        _check_same_structure(bodies)
        outs = _merged_outputs(bodies, [f"branch {i}" for i in range(len(bodies))])
        with get_default_graph().control_dependencies(deps):
            op = _functional_op(
                "Case",
                [index],
                bodies,
                0,
                "Case",
                branches=[],
                _bodies={f"branch{i}": b for i, b in enumerate(bodies)},
                Tout=builtins.tuple(d.numpy_dtype for d, _ in outs),
                output_shapes=builtins.tuple(s.as_tuple() for _, s in outs),
                _host=any(b.host for b in bodies) or _shapes_differ(bodies),
            )
        cond_branch_values.track(op, [b.graph for b in bodies])  # TF1: usable outside
        result = control_flow_composites.restore(_pack_outputs(bodies[0], op, op.outputs))
        return result if strict else _unpack_singleton(result)


def check_ops_assert(condition, data) -> Operation:
    from flowgraph.ops.check_ops import Assert

    return Assert(condition, data)


def while_loop(
    cond,
    body,
    loop_vars,
    shape_invariants=None,
    parallel_iterations=10,
    back_prop=True,
    swap_memory=False,
    name=None,
    maximum_iterations=None,
    return_same_structure=False,
):
    """Repeats `body` while `cond` is true; returns the final loop variables.

    `loop_vars` is a (nested) tuple or list of tensors and TensorArrays. The loop is one
    `While` op compiled into the enclosing segment: a `lax.while_loop`, or with a static
    `maximum_iterations` a bounded `lax.scan`. Gradients pass through either, also when
    the trip count is only known at run time. `shape_invariants` lets loop variables
    change shape between iterations; such loops run step by step from the host (and
    have no gradient).

    Example:
      >>> i = tf.constant(0)
      >>> r = tf.while_loop(lambda i: tf.less(i, 10), lambda i: tf.add(i, 1), [i])
    """
    if not callable(cond):
        raise TypeError("cond must be callable.")
    if not callable(body):
        raise TypeError("body must be callable.")
    if parallel_iterations < 1:
        raise TypeError("parallel_iterations must be a positive integer.")
    if loop_vars is None or (isinstance(loop_vars, (list, builtins.tuple)) and not loop_vars):
        raise ValueError("No loop variables provided")
    single = not isinstance(loop_vars, (list, builtins.tuple))
    structure_in = [loop_vars] if single else loop_vars
    wrapped = single  # whether `shape_invariants` is one shape for one loop variable
    if control_flow_composites.has_composites(structure_in):  # loop their components
        given = [shape_invariants] if single and shape_invariants is not None else shape_invariants
        shape_invariants = control_flow_composites.invariants(structure_in, given)
        body = control_flow_composites.loop_body(body, len(structure_in) == 1)
        cond = control_flow_composites.loop_cond(cond)
        structure_in, wrapped = control_flow_composites.expand(structure_in), False
    leaves, structure = _flatten(structure_in)
    with name_scope(name, "while", [x for x in leaves if isinstance(x, Tensor)]) as scope:
        entries = [_entry(x) for x in leaves]
        invariants = _invariants(shape_invariants, structure_in, entries, wrapped)
        limit, limit_tensor = _iteration_limit(maximum_iterations)
        specs = [
            (e.dtype, inv.as_tuple() if not e.deferred else None, e.array)
            for e, inv in zip(entries, invariants)
        ]
        body_fn = _traced_body(body, structure, len(entries))
        cond_fn = _scalar_cond(cond, scope)
        cond_body = _trace(scope + "cond", cond_fn, structure, specs, True, True, loop=True)
        loop_body = _trace(scope + "body", body_fn, structure, specs, True, True, loop=True)
        control_flow_checks.assert_same_structure(structure, loop_body.structure, top_as_list=True)
        _check_body(loop_body, entries, invariants)
        for e, r in zip(entries, loop_body.results):
            if e.deferred and not e.growing:  # first written in the loop: allocate it now
                e.tensor = e.array._allocate_like(r)
        eager = cond_body.host or loop_body.host  # ops needing the session: run op by op
        host = eager or any(  # a looser invariant: the shapes may change between iterations
            inv.as_tuple() != e.tensor.shape.as_tuple()
            for e, inv in zip(entries, invariants)
            if not e.deferred
        )
        shapes_vary = host  # else each step's shapes are the same
        cond_body.results = [cond_body.results[0]]
        counting = None if host else _counting_loop(cond_body, loop_body, entries)
        if limit_tensor is not None and not _foldable(limit_tensor):
            counting = None  # a limit only known at run time: a tested loop
        stacked = () if counting is None else _stacked_writes(cond_body, loop_body, counting)
        trips = -1 if counting is None or counting.bound is None else counting.trips()
        if trips >= 0 and limit >= 0:
            trips = min(trips, limit)
        if _grows_untested(entries, counting, stacked):  # TF's arrays grow in any loop
            _allocate_empty(entries, loop_body)
            host = eager = True
            invariants = [  # a growing array's length is only known after the loop
                tensor_shape.TensorShape([None]).concatenate(e.tensor.shape[1:])
                if e.growing
                else inv
                for e, inv in zip(entries, invariants)
            ]
        else:
            _allocate_growing(entries, loop_body, counting, dict(stacked), trips, limit)
        rule = None
        if counting is None and not host:  # counting to a bound only known at run time
            rule = _run_time_counting(cond_body, loop_body, entries)
            stacked = () if rule is None else _stacked_writes(cond_body, loop_body, rule)
        invariant = ()
        if not shapes_vary:  # a host loop (growing arrays) writes the shapes it yields
            invariant = _shape_writes(cond_body, loop_body, entries, stacked, yields=not host)
            stacked = builtins.tuple((j, f) for j, f in stacked if j not in invariant)
        outs = [
            (e.tensor.dtype.base_dtype, inv if host else e.tensor.shape.merge_with(inv))
            for e, inv in zip(entries, invariants)
        ]
        extra = []  # a run-time limit is static when computed from shapes only
        if limit_tensor is not None:
            extra.append(("limit", limit_tensor, _foldable(limit_tensor)))
        if counting is not None and counting.bound_tensor is not None:
            extra.append(("bound", counting.bound_tensor, True))
        if rule is not None:  # a bound only known at run time: the host counts from it
            extra.append(("count_bound", rule.bound_tensor, False))
        op = _functional_op(
            "While",
            [e.tensor for e in entries],
            [cond_body, loop_body],
            len(entries),
            "While",
            _bodies={"cond": cond_body, "body": loop_body},
            output_shapes=builtins.tuple(s.as_tuple() for _, s in outs),
            parallel_iterations=parallel_iterations,
            _host=host,
            loop={
                "loop_vars": len(entries),
                "maximum_iterations": limit,
                "back_prop": bool(back_prop),
                "trip_count": trips,
                "counting": next((c.attr for c in (counting, rule) if c is not None), ()),
                "stacked": builtins.tuple(j for j, _ in stacked),
                "stacked_from": builtins.tuple(f for _, f in stacked),
                "eager": eager,
                "deferred": _deferred(entries),
                "invariant": invariant,
            },
            extra=extra,
        )
        results = [
            e.array._with_buffer(t) if e.array is not None else t
            for e, t in zip(entries, op.outputs)
        ]
        packed = control_flow_composites.restore(jax.tree_util.tree_unflatten(structure, results))
        if single or (not return_same_structure and len(packed) == 1):
            return packed[0]
        return packed


class _Counting(NamedTuple):
    """A counting loop: `i < bound` (or >, <=, >=) with `i` stepped by a constant."""

    counter: int  # loop variable position of `i`
    start: int
    stride: int  # signed
    less: bool  # counting up to the bound (else down)
    inclusive: bool
    bound: Any  # the bound's value if constant, else None
    bound_tensor: Tensor | None  # else the outer tensor it comes from (foldable)

    def trips(self, bound=None) -> int:
        bound = float(self.bound if bound is None else bound)
        if self.less:
            span = bound - self.start + (1 if self.inclusive else 0)
        else:
            span = self.start - bound + (1 if self.inclusive else 0)
        return max(0, int(np.ceil(span / abs(self.stride))))

    @property
    def attr(self) -> tuple:
        return (self.start, self.stride, int(self.less), int(self.inclusive))


def _counting_loop(cond_body: _Body, loop_body: _Body, entries: list[_Entry], run_time=False):
    """The loop's `_Counting` if it is a counting loop whose trip count is known when the
    loop is compiled (the bound a constant or computed from shapes), else None. Such a loop
    compiles to a plain `lax.scan`: differentiable, and with no per-step test. With
    `run_time`, also one whose bound is any tensor from outside the loop."""
    test = cond_body.results[0]
    if test.op.type not in ("Less", "LessEqual", "Greater", "GreaterEqual"):
        return None
    a, b = test.op.inputs
    args = cond_body.arguments
    if a in args and b not in args:
        k, bound, counter_left = args.index(a), b, True
    elif b in args and a not in args:
        k, bound, counter_left = args.index(b), a, False
    else:
        return None
    value, outer = _bound_of(cond_body.graph, bound, run_time)
    if value is None and outer is None:
        return None
    start = None if entries[k].deferred else constant_value(entries[k].tensor)
    update = loop_body.results[k]
    if start is None or update is None or update.op.type not in ("Add", "AddV2", "Sub"):
        return None
    x, y = update.op.inputs
    var = loop_body.arguments[k]
    if x is var and constant_value(y) is not None:
        stride = constant_value(y)
    elif y is var and constant_value(x) is not None and update.op.type != "Sub":
        stride = constant_value(x)
    else:
        return None
    if np.ndim(start) or np.ndim(value) or np.ndim(stride) or not float(stride):
        return None
    stride = -int(stride) if update.op.type == "Sub" else int(stride)
    op = test.op.type if counter_left else _MIRRORED[test.op.type]
    less = op in ("Less", "LessEqual")
    if less != (stride > 0):
        return None  # counting away from the bound: not a counting loop
    inclusive = op in ("LessEqual", "GreaterEqual")
    return _Counting(k, int(start), stride, less, inclusive, value, outer)


def _run_time_counting(cond_body: _Body, loop_body: _Body, entries: list[_Entry]):
    """A counting loop's `_Counting` whose bound is an outer tensor only known at run time."""
    counting = _counting_loop(cond_body, loop_body, entries, run_time=True)
    return counting if counting is not None and counting.bound_tensor is not None else None


def _bound_of(graph: FuncGraph, bound: Tensor, run_time=False):
    """(constant value, None) or (None, foldable outer tensor) of a loop bound; with
    `run_time`, (None, outer tensor) for any outer tensor."""
    value = constant_value(bound)
    if value is not None:
        return value, None
    outer = next((t for t, ph in graph.captures.items() if ph is bound), None)
    if outer is not None and (run_time or _foldable(outer)):
        return None, outer
    return None, None


_FOLDABLE_OPS = frozenset(
    {
        "Const", "Shape", "Size", "Rank", "StridedSlice", "Slice", "Cast", "Identity",
        "Add", "AddV2", "Sub", "Mul", "FloorDiv", "Maximum", "Minimum", "Pack", "Reshape",
        "Squeeze", "GatherV2", "Prod",
    }
)  # fmt: skip


def _foldable(t: Tensor) -> bool:
    """Whether `t` is computed from constants and shapes only: known when the loop's
    segment is compiled, so it can be a static input."""
    stack, seen = [t.op], set()
    while stack:
        op = stack.pop()
        if op in seen:
            continue
        seen.add(op)
        if op.type not in _FOLDABLE_OPS:
            return False
        if op.type not in ("Shape", "Size", "Rank"):
            stack.extend(i.op for i in op.inputs)
    return True


def _stacked_writes(cond_body: _Body, loop_body: _Body, counting) -> tuple:
    """TensorArrays a counting loop writes at its counter and reads nowhere else:
    (position, first index) of each. The loop emits their elements as scan outputs, stacked
    once after the loop, instead of carrying and updating whole buffers every step."""
    k, start = counting.counter, counting.start
    if counting.stride != 1:
        return ()
    counter = loop_body.arguments[k]
    out = []
    for j, (arg, result) in enumerate(zip(loop_body.arguments, loop_body.results)):
        if j == k or result is None or result.op.type != "DenseListSetItem":
            continue
        buffer, index, item = result.op.inputs
        only_write = buffer is arg and len(arg.consumers()) == 1
        if only_write and index is counter and not cond_body.arguments[j].consumers():
            if not item.shape.is_fully_defined():  # the loop decides its buffer's shape:
                mark_writes(result, "_deferred")  # the write, left unused, must trace too
            loop_body.results[j] = item  # the body now yields the element itself
            out.append((j, start))
    return builtins.tuple(out)


_MIRRORED = {
    "Less": "Greater",
    "LessEqual": "GreaterEqual",
    "Greater": "Less",
    "GreaterEqual": "LessEqual",
}


class _Entry:
    """A loop variable as it enters the loop (TensorArrays by their buffers)."""

    def __init__(self, value):
        self.array = value if isinstance(value, TensorArray) else None
        if self.array is not None:
            self.tensor = value._buffer
            self.dtype = value.dtype
        else:
            if isinstance(value, IndexedSlices):
                value = convert_to_tensor(value)
            self.tensor = convert_to_tensor(value)
            self.dtype = self.tensor.dtype.base_dtype
        self.deferred = self.tensor is None  # unallocated until the body's first write
        self.growing = self.array is not None and self.array._dynamic_size
        if self.growing and not self.deferred:
            raise errors.UnimplementedError(
                None,
                None,
                "A TensorArray(dynamic_size=True) written before a while_loop cannot grow "
                "inside it; pass its final `size`.",
            )

    @property
    def shape(self) -> tensor_shape.TensorShape:
        if self.deferred:
            return tensor_shape.unknown_shape()
        return self.tensor.shape


def _grows_untested(entries, counting, stacked) -> bool:
    """Whether a `dynamic_size` TensorArray grows in a loop that does not write it once
    per step of a counting loop (so no length is known before the loop runs)."""
    counted = {j for j, _ in stacked} if counting is not None else set()
    return any(e.growing and j not in counted for j, e in enumerate(entries))


def _allocate_empty(entries, loop_body) -> None:
    """Empty buffers for the growing TensorArrays of a loop stepped op by op from the host,
    where each write past the end grows its array (`_grows`), as TF's do."""
    for e, r in zip(entries, loop_body.results):
        if e.growing:
            mark_writes(r, "_grows")
            e.tensor = e.array._sized(0)._allocate_like(r)


def _allocate_growing(entries, loop_body, counting, stacked: dict, trips: int, limit: int):
    """Buffers for `dynamic_size` TensorArrays: one element per iteration of a counting
    loop that writes them at its counter (their length is then known when compiled)."""
    for j, e in enumerate(entries):
        if not e.growing:
            continue
        if j not in stacked:
            raise errors.UnimplementedError(
                None,
                None,
                "A TensorArray(dynamic_size=True) can grow inside a while_loop only when the "
                "loop counts (`i < n`, n known when the graph is compiled) and writes it at "
                "the counter, once per iteration; otherwise pass its final `size`.",
            )
        if trips >= 0:
            length = stacked[j] + trips
        else:  # the bound is computed from shapes: so is the length
            bound = math_ops.cast(counting.bound_tensor, dtypes.int32)
            steps = math_ops.maximum(bound - counting.start + int(counting.inclusive), 0)
            if limit >= 0:
                steps = math_ops.minimum(steps, limit)
            length = steps + stacked[j]
        e.tensor = e.array._sized(length)._allocated(loop_body.results[j].shape)


def _shape_writes(cond_body: _Body, loop_body: _Body, entries, stacked, yields: bool) -> tuple:
    """Positions of the TensorArrays the body writes a shape to each step and reads
    nowhere (TF1's gradients push shapes): the same shape every step of a compiled loop,
    so (with `yields`) the body yields it and the While fills their buffers with it, a
    value known when compiled (the backward loop's static inputs need it). Only for arrays
    whose every element the loop writes (growing ones) or whose unwritten ones nothing
    reads (stacks)."""
    out = []
    skip = {j for j, _ in stacked}
    for j, (e, arg, result) in enumerate(zip(entries, loop_body.arguments, loop_body.results)):
        stacks = e.array is not None and (e.growing or e.array._stack)
        if j in skip and stacks and yields and result.op.type in _SHAPES:  # what it stacks
            out.append(j)
            continue
        if e.array is None or j in skip or result is None or result.op.type != "DenseListSetItem":
            continue
        if not (e.growing or e.array._stack):  # else its unwritten elements must stay zeros
            continue
        buffer, _, item = result.op.inputs
        only_write = buffer is arg and len(arg.consumers()) == 1
        if only_write and not cond_body.arguments[j].consumers() and item.op.type in _SHAPES:
            loop_body.results[j] = item if yields else result
            out.append(j)
    return builtins.tuple(out)


_SHAPES = ("Shape", "Size", "Rank")


def holds_one_shape(array: TensorArray) -> bool:
    """Whether a loop wrote `array` with one shape each step (`_shape_writes`): every
    element is that shape, known when compiled (read one with `array.read(0)`)."""
    return array.flow is not None and _shape_loop(array.flow) is not None


def _shape_loop(buffer: Tensor) -> Operation | None:
    """The While op whose output `buffer` holds one shape in every element, or None."""
    op = buffer.op
    if op.type != "While" or "_loop" not in op._attrs:
        return None
    return op if buffer.value_index in LoopSpec(op._attrs["_loop"]).invariant else None


def _host_shape(t: Tensor) -> bool:
    """Whether `t` reads the shape a loop run from the host wrote (a loop capturing it
    needs it when compiled: a static input)."""
    if t.op.type != "DenseListGetItem":
        return False
    loop = _shape_loop(t.op.inputs[0])
    return loop is not None and bool(loop._attrs.get("_host"))


def _deferred(entries) -> tuple:
    """Positions of the TensorArrays whose element shapes the loop decides when compiled."""
    return builtins.tuple(
        j for j, e in enumerate(entries) if e.deferred and e.tensor.op.type == "DenseListReserve"
    )


def _entry(value) -> _Entry:
    if value is None or isinstance(value, Operation):
        raise TypeError(f"Loop variables must be tensors or TensorArrays, got {value!r}")
    return _Entry(value)


def _invariants(shape_invariants, structure_in, entries, single) -> list:
    if shape_invariants is None:
        return [e.shape for e in entries]
    given = [shape_invariants] if single else shape_invariants
    flat = jax.tree_util.tree_flatten(
        given, is_leaf=lambda x: isinstance(x, tensor_shape.TensorShape) or x is None
    )[0]
    if len(flat) != len(entries):
        raise ValueError(
            f"The shape invariants ({len(flat)}) do not match the loop variables ({len(entries)})."
        )
    out = []
    for e, inv in zip(entries, flat):
        inv = tensor_shape.as_shape(inv) if inv is not None else e.shape
        if not e.deferred and not inv.is_compatible_with(e.shape):
            raise ValueError(
                f"The shape invariant specified for {e.tensor.name} is not compatible with "
                f"the initial shape of the loop variable. It enters the loop with shape "
                f"{e.shape}, but the specified shape invariant is {inv}."
            )
        out.append(inv)
    return out


def _iteration_limit(maximum_iterations):
    """(static limit or -1, the limit tensor if it is only known at run time)."""
    if maximum_iterations is None:
        return -1, None
    limit = convert_to_tensor(maximum_iterations, name="maximum_iterations")
    if limit.shape.ndims not in (None, 0):
        raise ValueError(f"maximum_iterations must be a scalar, saw shape: {limit.shape}")
    value = constant_value(limit)
    if value is not None:
        return max(int(value), 0), None
    return -1, limit


def _as_list(result) -> list:
    return list(result) if isinstance(result, (list, builtins.tuple)) else [result]


def _scalar_cond(cond, scope: str):
    def fn(*args):  # TF1 feeds the condition to a LoopCond op: its checks, its messages
        result = convert_to_tensor(cond(*args))
        if result.dtype.base_dtype != dtypes.bool:
            raise TypeError(
                f"Input 'input' of 'LoopCond' Op has type {result.dtype.base_dtype.name} that "
                "does not match expected type of bool."
            )
        if result.shape.ndims not in (None, 0):
            loop_cond = scope + "LoopCond"
            raise control_flow_checks.rank_error(
                result.shape, loop_cond, "LoopCond", [result.op.name]
            )
        return result

    return fn


def _traced_body(body, structure, n: int):
    def fn(*args):
        result = body(*args)
        if not isinstance(result, (list, builtins.tuple)) and n == 1:
            result = [result]
        for leaf in _flatten(result)[0]:
            if isinstance(leaf, Operation):  # TF1 converts each result to a tensor
                raise TypeError(f"can't convert Operation '{leaf.name}' to Tensor")
        return result

    return fn


def _check_body(loop_body: _Body, entries: list[_Entry], invariants: list) -> None:
    for e, inv, r in zip(entries, invariants, loop_body.results):
        if r.dtype.base_dtype != e.dtype:
            raise TypeError(
                f"The loop variable {e.tensor.name if e.tensor is not None else ''} enters "
                f"the loop as {e.dtype.name} but the body returns {r.dtype.base_dtype.name}."
            )
        if not e.deferred and not inv.is_compatible_with(r.shape):
            raise ValueError(
                f"Input tensor '{e.tensor.name}' enters the loop with shape {e.shape}, but "
                f"has shape {r.shape} after one iteration. To allow the shape to vary across "
                "iterations, use the `shape_invariants` argument of tf.while_loop to specify "
                "a less-specific shape."
            )


@RegisterGradient("While")
@path_aware
def _while_grad(op: Operation, *grads, needed=None):
    spec = LoopSpec(op._attrs["_loop"])
    if not spec.back_prop:
        return [None] * len(op.inputs)  # TF1: back_prop=False stops gradients at the loop
    if op._attrs["_host"]:
        raise LookupError(
            f"Cannot compute the gradient of while loop '{op.name}'{_where(op)}: its loop "
            "variables change shape between iterations (shape_invariants), so it runs "
            "step by step from the host."
        )
    if _run_time_trips(spec):
        _bound_by_bucket(op, spec)
    return _vjp_gradient(op, *grads, needed=needed)


def _run_time_trips(spec: LoopSpec) -> bool:
    """Whether only a run can know how many steps the loop takes (and it has no bucket)."""
    return not (
        spec.maximum_iterations >= 0
        or spec.trip_count >= 0
        or spec.limit in spec.static
        or spec.bound in spec.static
        or spec.bucket >= 0
    )


def _bound_by_bucket(op: Operation, spec: LoopSpec) -> None:
    """Gives a loop whose trip count only the run knows a static input `bucket` >= that
    count, read by the host before the loop runs (`WhileBucket`), and the count itself
    unless the loop counts to a bound: the loop becomes scans of known lengths that
    reverse-mode differentiation passes, compiled once per power of two. Like TF1's
    gradient of a while loop, this adds to the forward graph."""
    graph = op.graph
    with graph.as_default(), graph.control_dependencies(None), graph.device(op.device):
        with name_scope(f"{op.name}/trips/"):
            if spec.count_bound >= 0:  # a counting loop: the count follows from the bound
                bound = op.inputs[spec.count_bound]
                added = {"bucket": apply_op("WhileBucket", [bound], counting=spec.counting)}
            else:  # counted by running the loop once more, without its gradient
                attrs = {k: v for k, v in op._attrs.items() if k not in ("_host", "_class")}
                trips = apply_op("WhileTripCount", list(op.inputs), **attrs)
                added = {"bucket": apply_op("WhileBucket", [trips]), "trips": trips}
    fields = dict(spec)
    for role, tensor in added.items():
        fields[role] = len(op.inputs)
        op._attrs["T"] = builtins.tuple(op._attrs["T"]) + (np.dtype(np.int32),)
        op._add_input(tensor)
    fields["static"] = builtins.tuple(spec.static) + (fields["bucket"],)
    op._attrs["_loop"] = LoopSpec.of(**fields)
