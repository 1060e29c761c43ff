"""Tensors made inside a cond branch and used outside it, as TF1's v1 `tf.cond` allows:
extra outputs of the cond's `If` (or `Case`) op, the branch's value when it ran and dead
when it did not (a run fetching a value computed from a dead one fails as TF's does)."""

from __future__ import annotations

import contextlib
import dataclasses
import functools

from flowgraph.framework.func_graph import FuncGraph
from flowgraph.framework.ops import (
    Graph,
    Operation,
    Tensor,
    branch_value_outside,
    get_default_graph,
)
from flowgraph.ops import array_ops, math_ops
from kernels import errors

_FUNCTION_ATTRS = {"If": ("then_branch", "else_branch")}  # Case: its `branches`


def track(op: Operation, graphs: list[FuncGraph]) -> None:
    """Lets the tensors of `op`'s branch `graphs` (in branch order) be used outside it."""
    for k, graph in enumerate(graphs):
        graph.outside = functools.partial(_outside, op, k, {})


def _outside(op: Operation, branch: int, made: dict, t: Tensor) -> Tensor:
    """`t` (of `op`'s branch `branch`) as an output of `op`, added on its first use."""
    out = made.get(t)
    if out is None:
        inner = _flags(t, _live_flags(t.graph), ())  # `t` may be dead in its branch already
        out = made[t] = _add_branch_output(op, branch, t)
        flags = (_taken(op, branch),) + tuple(_outside(op, branch, made, f) for f in inner)
        _live_flags(op.graph)[out] = flags
    return out


@contextlib.contextmanager
def siblings(graphs: list[FuncGraph]):
    """While the next branch of a cond is built, lets it use tensors of the branches built
    before it (`graphs`), as TF1's v1 cond does: there they are dead (that branch did not
    run), so each stands in as zeros of the cond's graph. Yields {stand-in: tensor}."""
    made: dict[Tensor, Tensor] = {}
    for graph in graphs:
        graph.outside = functools.partial(_stand_in, made)
    try:
        yield made
    finally:
        for graph in graphs:
            graph.outside = None


def _stand_in(made: dict, t: Tensor) -> Tensor:
    for zeros, original in made.items():
        if original is t:
            return zeros
    outer = t.graph.outer_graph
    shape = [
        0 if d is None else d for d in (t.shape.as_list() if t.shape.ndims is not None else [])
    ]
    with outer.as_default(), outer.control_dependencies(None), outer.name_scope(None):
        zeros = array_ops.zeros(
            shape, t.dtype.base_dtype, name="dead_" + t.op.name.replace("/", "_")
        )
    made[zeros] = t
    return zeros


def mark_dead(op: Operation, branch: int, graph: FuncGraph, results, made: dict) -> None:
    """Outputs of `op` that branch `branch` (`graph`, returning `results`) computes from
    another branch's tensors (`made` by `siblings`) are dead when that branch runs."""
    dead = {graph.captures[z] for z in made if z in graph.captures}
    if not dead:
        return
    flags = _live_flags(op.graph)
    for k, t in enumerate(results):
        if t is not None and _reaches(t, dead):
            flags[op.outputs[k]] = (_taken(op, 1 - branch),) if op.type == "If" else ()


def _reaches(t: Tensor, targets: set) -> bool:
    stack, seen = [t], set()
    while stack:
        x = stack.pop()
        if x in targets:
            return True
        if x.op not in seen:
            seen.add(x.op)
            stack.extend(x.op.inputs)
    return False


def _add_branch_output(op: Operation, branch: int, t: Tensor) -> Tensor:
    """Appends `t` to branch `branch`'s function outputs and an output to `op`; the other
    branches give zeros there (`_escaped`: the branch of each such output, the last ones)."""
    attrs = op._attrs
    names = _FUNCTION_ATTRS.get(op.type)
    if names is None:
        functions = list(attrs["branches"])
        functions[branch] = _returning(functions[branch], t)
        attrs["branches"] = tuple(functions)
    else:
        attrs[names[branch]] = _returning(attrs[names[branch]], t)
    attrs["Tout"] = tuple(attrs["Tout"]) + (t.dtype.base_dtype.numpy_dtype,)
    attrs["output_shapes"] = tuple(attrs["output_shapes"]) + (t.shape.as_tuple(),)
    attrs["_escaped"] = tuple(attrs.get("_escaped", ())) + (branch,)
    return op._add_output(t.dtype.base_dtype, t.shape.as_tuple())


def _returning(fn, t: Tensor):
    if t.dtype._is_ref_dtype:
        raise errors.UnimplementedError(
            None, None, f"A variable made in a cond branch ({t.name}) cannot be used outside it."
        )
    return dataclasses.replace(fn, outputs=fn.outputs + ((t.op.name, t.value_index),))


def _taken(op: Operation, branch: int) -> Tensor:
    """A bool scalar of `op`'s graph: whether its branch `branch` runs."""
    graph = op.graph
    with graph.as_default(), graph.control_dependencies(None), graph.name_scope(op.name + "/"):
        if op.type == "If":
            pred = op.inputs[0]
            return pred if branch == 0 else math_ops.logical_not(pred, name=f"taken{branch}")
        return math_ops.equal(op.inputs[0], branch, name=f"taken{branch}")  # tf.case's index


def _live_flags(graph: Graph) -> dict:
    """Branch values of `graph` (outputs of its cond ops) -> bool scalars, all true when
    the value is live: whether its branch ran (and its inner branches, for nested conds)."""
    flags = getattr(graph, "_branch_values", None)
    if flags is None:
        flags = graph._branch_values = {}
    return flags


def live_update(op_type: str, ref: Tensor, value: Tensor) -> Tensor:
    """The value an assign (`op_type`: Assign, AssignAdd, AssignSub) of `ref` uses: `value`,
    or where it is computed from a branch value, `value` only when its branch ran and else
    what leaves the variable as it was: TF does not run an op whose input is dead."""
    graph = get_default_graph()
    value = _here(value, graph)
    live = _live(graph, [value])
    if live is None:
        return value
    with graph.name_scope("live"):
        same = array_ops.identity(ref) if op_type == "Assign" else array_ops.zeros_like(value)
        return array_ops.where(live, value, same)


def live_scatter(op_type: str, ref: Tensor, indices: Tensor, updates: Tensor) -> tuple:
    """(indices, updates) a scatter (`op_type`: ScatterAdd, ScatterUpdate, ...) of `ref`
    uses: where either is computed from a branch value, updates that leave `ref` as it was
    when that branch did not run (TF does not run an op whose input is dead)."""
    graph = get_default_graph()
    indices, updates = _here(indices, graph), _here(updates, graph)
    live = _live(graph, [indices, updates])
    if live is None:
        return indices, updates
    with graph.name_scope("live"):
        if op_type in ("ScatterAdd", "ScatterSub"):
            same = array_ops.zeros_like(updates)
        elif op_type in ("ScatterMul", "ScatterDiv"):
            same = array_ops.ones_like(updates)
        else:  # ScatterUpdate/Min/Max: the rows as they are
            same = array_ops.gather(ref, indices)
            updates = updates + array_ops.zeros_like(same)  # a scalar update, broadcast
        return indices, array_ops.where(live, updates, same)


def live_op(inputs: list, build) -> Operation:
    """An op with effects that no value can undo (a queue's enqueue) on `inputs`:
    `build(inputs)`, or where some input is computed from a branch value, built inside a
    cond on those values' flags, so that it runs only when their branches ran (TF does not
    run an op whose input is dead). Returns the op to run: the effect's or the cond's."""
    graph = get_default_graph()
    inputs = [_here(t, graph) if isinstance(t, Tensor) else t for t in inputs]
    live = _live(graph, [t for t in inputs if isinstance(t, Tensor)])
    if live is None:
        return build(inputs)
    from flowgraph.ops import control_flow_ops  # it imports this module

    return control_flow_ops.cond(
        live, lambda: build(inputs), control_flow_ops.no_op, name="live"
    )


def live_identity(inputs: list, build) -> Tensor:
    """`build(inputs)` for an op returning its first input with an effect besides (TF1's
    `Print`): where some input is computed from a branch value, in a cond on the flags,
    so the effect happens only when their branches ran; the value is dead otherwise."""
    graph = get_default_graph()
    inputs = [_here(t, graph) for t in inputs]
    live = _live(graph, inputs)
    if live is None:
        return build(inputs)
    from flowgraph.ops import control_flow_ops  # it imports this module

    out = control_flow_ops.cond(live, lambda: build(inputs), lambda: inputs[0], name="live")
    _live_flags(graph)[out] = (live,)
    return out


def _here(value: Tensor, graph: Graph) -> Tensor:
    """`value`, or where it is a tensor of a cond branch built before, its stand-in."""
    if value.graph is not graph and value.graph.outside is not None:
        return branch_value_outside(value, graph)
    return value


def _live(graph: Graph, tensors: list) -> Tensor | None:
    """A bool scalar, true when none of `tensors` is dead (None: none can be)."""
    flags: dict = {}
    for t in tensors:
        values = getattr(t.graph, "_branch_values", None)
        flags.update(dict.fromkeys(_flags(t, values, set()) if values else ()))
    if not flags:
        return None
    with graph.name_scope("live"):
        live, *rest = flags
        for flag in rest:
            live = math_ops.logical_and(live, flag)
        return live


def dead_checks(graph: Graph, fetches: list[Tensor], feeds: list[Tensor]) -> list:
    """For the fetched tensors computed from branch values, `(retval, flags)`: TF's index
    of the fetch (among the distinct fetched names, sorted, as TF's runtime orders them)
    and the flags of the branch values it needs, all true unless it is dead. Empty when
    `graph` has no branch values (the common case: nothing to walk)."""
    values = getattr(graph, "_branch_values", None)
    if not values:
        return []
    feeds = set(feeds)
    order = sorted({t.name for t in fetches})
    checks = []
    for t in dict.fromkeys(fetches):
        flags = _flags(t, values, feeds)
        if flags:
            checks.append((order.index(t.name), flags))
    return sorted(checks, key=lambda c: c[0])


def _flags(t: Tensor, values: dict, feeds: set) -> tuple:
    """The flags of the branch values `t` is computed from, through data and control
    inputs (TF's deadness spreads along both), stopping at feeds and at cond ops and their
    gradients (a branch's use of a dead value is dead only where that branch runs)."""
    if not values:
        return ()
    flags: dict[Tensor, None] = {}
    stack, seen = [t], set()
    while stack:
        x = stack.pop()
        if isinstance(x, Tensor):
            if x in feeds:
                continue
            if x in values:
                flags.update(dict.fromkeys(values[x]))
                continue
            x = x.op
        if x in seen or _selects(x):
            continue
        seen.add(x)
        stack.extend(x.inputs)
        stack.extend(x.control_inputs)
    return tuple(flags)


def _selects(op: Operation) -> bool:
    """Whether `op` is a cond op or its gradient (TF1 builds that in the cond's context:
    zeros for a branch that did not run), where deadness stops."""
    forward = op._attrs.get("forward") if op.type == "VJP" else op.type
    return forward in ("If", "Case")


def raise_if_dead(checks: list, flag_values: list) -> None:
    """TF's error for the first fetch (by TF's index) that is dead: one of its flags
    (`flag_values`, in the order of `checks`' flags) is false."""
    it = iter(flag_values)
    for retval, flags in checks:
        if not all(bool(next(it)) for _ in flags):
            raise errors.InvalidArgumentError(None, None, f"Retval[{retval}] does not have value")
