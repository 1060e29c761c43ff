"""The checks XLA skips, compiled in: TensorFlow's errors for bad index and divisor values.

XLA clamps or drops out-of-range indices and gives garbage for an integer division by
zero, where TensorFlow raises `InvalidArgumentError` naming the op and the bad value. An
xla segment computes, with its step, whether any check failed and returns one int32 error
word: zeros on a good step; on a failed one (`lax.cond`, the `checkify` approach)
`[1, *report]`, a report per checked node (`[bad, rank, *position, size, *value, rank,
*bound, *quoted arrays]`). After the step (its variables committed, as TF's earlier ops
have run) the host reads the word and raises the first failed check's error with the op's
name and the line that made it. A run's last segment's word is read when the step ends,
just before its fetches (`deferred`): the same wait, no host sync of its own (the flags,
packed reports and quoted arrays were outputs of their own: +10% on an embedding step).
Values fed from the host (indices, labels) are checked there instead, before the step is
dispatched (`HostChecks`): on XLA:CPU a check kernel, however small, changed how the step's
kernels were spread over threads and cost more than its own time; a failed host check runs
nothing of the step (its variables keep their values).

On by default; set the environment variable `FLOWGRAPH_CHECKS=0` before a session's first
run to compile them out (a run then gives XLA's clamped values). Host segments need none
(numpy raises).

Inside cond branches and loop bodies a node's report cannot leave `lax.cond`/`lax.scan`/
`lax.while_loop` as one of our outputs: there the check is a `jax.experimental.checkify`
check, and a segment whose bodies hold checked nodes is traced under `checkify`, which
threads the first failed check out of control flow (and, see `keep_errors`, out of the
`jax.vjp` of a forward op linearized for its gradient, which would drop it). Its error
value travels with the segment's outputs and raises the same TF error after the step.
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jax._src import checkify as _ck  # the rules of checkify: see _stopping_while
from jax._src.interpreters import partial_eval as _pe
from jax.experimental import checkify

from device.interpret import Frame, cite
from device.ir import Function, Node
from kernels import errors


def enabled() -> bool:
    """Whether segments compile the checks in (`FLOWGRAPH_CHECKS=0` turns them off)."""
    return os.environ.get("FLOWGRAPH_CHECKS", "1").strip().lower() not in ("0", "false", "off")


def checked(nodes: Sequence[Node], folded: frozenset[str]) -> tuple[Node, ...]:
    """The nodes among `nodes` whose values a check watches (none when checks are off)."""
    if not enabled():
        return ()
    by_name = {n.name: n for n in nodes}
    watched, gathered = [], set()
    for node in (n for n in nodes if n.name not in folded and _applies(n)):
        rows = _rows_of(node, by_name)
        if node.op == "GatherV2":
            gathered.add(rows)
        elif rows is not None and rows in gathered:
            continue  # an earlier gather checks these rows (it would have raised first)
        watched.append(node)
    return tuple(watched)


# The ops whose output holds their first input's values (in another shape).
_SAME_VALUES = ("Identity", "Reshape", "ExpandDims", "Squeeze")


def _rows_of(node: Node, by_name: dict) -> tuple | None:
    """`(the indices' source edge, the row count)` when `node` checks row indices into a
    table of a static row count (a gather on axis 0, a sparse update): a gather of the same
    rows checks all a sparse update's do (the embedding gradient's), so one check is kept."""
    if node.op == "GatherV2":
        axis = by_name.get(node.inputs[2][0])
        if axis is None or axis.op != "Const" or int(np.asarray(axis.attrs["value"])) != 0:
            return None
        if node.attrs.get("batch_dims", 0):
            return None
    elif node.op not in ("ScatterUpdate", "ScatterAdd", "ScatterSub"):
        return None
    table = by_name.get(node.inputs[0][0])
    shape = table.output_shapes[node.inputs[0][1]] if table is not None else None
    if not shape or shape[0] is None or shape[0] < 0:
        return None
    edge = node.inputs[1]
    while edge[0] in by_name and by_name[edge[0]].op in _SAME_VALUES:
        edge = by_name[edge[0]].inputs[0]
    return edge, shape[0]


def _applies(node: Node) -> bool:
    if node.op in _DIVISIONS:
        return node.output_dtypes[0].kind in "iu"
    return node.op in _SPECS


def reports(
    nodes: Sequence[Node], frame: Frame, host: HostChecks | None = None, args: Sequence = ()
) -> tuple:
    """`(the segment's error word,)`: one int32 array traced from the nodes' input values in
    `frame` (`()`: no nodes, or `host` checks them after the step from its arguments `args`,
    of which it records what the trace knows). A step without errors computes only whether
    a check failed and leaves the word zero; a failed one fills it (`lax.cond`):
    `[1, *each node's report]`."""
    if not nodes:
        return ()
    specs = [_spec(n, [_shaped(frame, e) for e in n.inputs]) for n in nodes]
    if host is not None and host.on_host:
        host.record(args, specs)
        return ()
    failed = jnp.any(jnp.concatenate([_bad(s).reshape(-1) for s in specs]))  # one reduction

    def full():
        return jnp.concatenate([jnp.ones(1, jnp.int32)] + [_packed(s) for s in specs])

    shape = jax.eval_shape(full)
    return (jax.lax.cond(failed, full, lambda: jnp.zeros(shape.shape, shape.dtype)),)


def _shaped(frame: Frame, edge) -> Any:
    value = frame.env.get(edge)
    return np.asarray(value) if isinstance(value, (int, float, np.generic)) else value


@dataclass(frozen=True)
class _Spec:
    """What one node's check watches: `indices` (index tuples on the last axis if `tuples`)
    in [0, `bound`); `padded`: the largest integer is the padding of
    `DeduplicateIndexedSlices` (the rows a sparse update leaves alone), not a bad index.
    A division's divisors are `indices` with no bound (zero is bad)."""

    indices: Any
    bound: tuple = ()
    tuples: bool = False
    padded: bool = False
    quoted: tuple = ()  # arrays its message quotes


def _spec(node: Node, args: list) -> _Spec:
    if node.op in _DIVISIONS:
        return _Spec(jnp.asarray(args[1]))
    return _SPECS[node.op](node, args)


def _bad(spec: _Spec):
    """Which indices (rows of index tuples) are bad."""
    indices = spec.indices
    if indices.size == 0:
        return jnp.zeros((0,), bool)
    if not spec.bound:
        return indices == 0
    if spec.tuples:
        k = indices.shape[-1]
        rows = indices.reshape(-1, k)
        return jnp.any((rows < 0) | (rows >= jnp.asarray(spec.bound[:k], rows.dtype)), axis=-1)
    bad = (indices < 0) | (indices >= spec.bound[0])
    if spec.padded:
        bad &= indices != jnp.iinfo(indices.dtype).max
    return bad


def _packed(spec: _Spec) -> jax.Array:
    """The node's report: its first bad index's position and value, the bound, and the
    arrays its message quotes."""
    bad = _bad(spec).reshape(-1)
    if not spec.bound or bad.size == 0:
        return _pack(jnp.any(bad), (), (), (), spec.quoted)
    first = jnp.argmax(bad)
    outer = spec.indices.shape[:-1] if spec.tuples else spec.indices.shape
    where = jnp.unravel_index(first, outer) if outer else ()
    if spec.tuples:
        row = spec.indices.reshape(-1, spec.indices.shape[-1])[first]
        value = tuple(row[j] for j in range(row.shape[0]))
    else:
        value = (spec.indices.reshape(-1)[first],)
    return _pack(jnp.any(bad), where, value, spec.bound, spec.quoted)


def raising(
    fn: Callable[..., tuple],
    nodes: tuple[Node, ...],
    bodies: bool = False,
    host: HostChecks | None = None,
):
    """`fn`, whose outputs end with the error word of `nodes` (`reports`) and, with
    `bodies`, the error value of the checks inside its bodies (`checking_bodies`), returning
    its other outputs and raising the first failed check's error after it has run: at once,
    or inside `deferred()` when that settles (no host sync of its own). Where `host` checks
    the nodes before the step (`HostChecks.on_host`), `fn` returns its outputs alone.
    `raising(...).raises_checks()`: whether its errors still wait for the step;
    `raising(...).settled()`: what to call instead once that is known (`fn` where the host
    checks every node: a frame less on each call)."""
    tail = bool(nodes) + bodies

    def call(*args):
        outs = fn(*args)
        if host is not None and host.on_host:
            return outs
        pending = _local.__dict__.get("pending")
        if pending is None:
            _raise_any(nodes, outs[-tail:])
        else:
            pending.append((nodes, outs[-tail:]))
        return outs[:-tail]

    call.raises_checks = (lambda: not host.on_host) if host is not None else (lambda: True)
    # Once the host checks all (decided by the first call), `fn` itself does the same.
    call.settled = lambda: fn if host is not None and host.on_host else call
    return call


_local = threading.local()


@contextlib.contextmanager
def deferred(fetched: Callable[[], list]):
    """Checks of the segments called inside wait until the block ends; their error words
    are then read, and the first failed check raises. For a run's last segment, whose
    outputs are read next anyway: reading its word waits for the step (the same wait; off
    the CPU every copy to the host is started first, together with `fetched()`'s)."""
    _local.pending = pending = []
    try:
        yield
    finally:
        _local.pending = None
    if pending and _early_copies_pay():
        for value in fetched() + [tail[0] for _, tail in pending]:
            if isinstance(value, jax.Array):
                value.copy_to_host_async()
    for nodes, tail in pending:
        _raise_any(nodes, tail)


@functools.cache
def _early_copies_pay() -> bool:
    # On the CPU the host reads the arrays where they are; a copy started early hands the
    # read to another thread instead (measured: +15-25% on a 0.6 ms step).
    return jax.default_backend() != "cpu"


def _raise_any(nodes: tuple[Node, ...], tail: tuple) -> None:
    if nodes:
        _raise_failed(nodes, tail[0])
    if isinstance(tail[-1], checkify.Error):
        _raise_body_error(tail[-1])


def _raise_failed(nodes: tuple[Node, ...], word) -> None:
    word = np.asarray(word)
    if not word[0]:  # set when any check failed
        return
    packed = [int(x) for x in word[1:]]
    for node in nodes:
        (bad, position, value, bound, quoted), packed = _unpack(packed)
        if bad:
            raise _error(node, position, value, bound, quoted)


def _error(node: Node, position, value, bound, details: tuple) -> errors.OpError:
    if node.op in _DIVISIONS:
        if node.op == "TruncateDiv":  # TF's CPU kernel reports it so
            text = (
                "Unexpected error in binary operator (only integer div and mod should have errors)"
            )
            return errors.InternalError(node, None, cite(node, text))
        return errors.InvalidArgumentError(node, None, cite(node, "Integer division by zero"))
    return errors.InvalidArgumentError(
        node, None, cite(node, _MESSAGES[node.op](node, position, value, bound, *details))
    )


# -- checks of values fed from the host, on the host ----------------------------------------
#
# On XLA:CPU any kernel the checks add to a step (even the 256 labels' one) is one more
# thunk ready at the step's start; the thunk executor then ran the step's rest on a pool
# thread while the caller waited: two thread hand-offs a step, +5-13% on a 0.7 ms embedding
# step (`benchmarks/checks_profile.py`). Indices fed from the host are read there in a few
# microseconds instead, before the step is dispatched: the step compiles no check and
# returns no error word, and its segment takes the executor's plain path. A failed check
# raises before the step runs, so it changes no variable (as TF's failing op stops its step).


class HostChecks:
    """The checks of a segment whose watched nodes all read their indices (or divisors)
    straight from its inputs. When the first call gives those inputs as numpy arrays (fed
    from the host), the segment's function is traced without checks, and before each step
    numpy reads them; a failed check raises the error the compiled checks would have
    (its word made by `_packed` over the same values). Inputs given on a device at the
    first call keep the compiled checks.

    A check's bound is a shape the trace knew. While one trace is known (the common case)
    a call that does not trace again has its argument shapes, and is checked with its
    bounds without reading the shapes (20 state arguments' take several microseconds); a
    call that traces anew is checked by the trace (`record`)."""

    def __init__(self, nodes: tuple[Node, ...], inputs: Sequence, n_state: int):
        self.nodes = nodes
        self.positions = tuple(n_state + list(inputs).index(_checked_edge(n)) for n in nodes)
        self.arity = n_state + len(inputs)
        self.on_host: bool | None = None  # decided by the first call
        self.statics: dict[tuple, tuple] = {}  # a trace's argument shapes -> its nodes' specs
        self._only: tuple | None = None  # the specs of the one trace, while there is one
        self._bounds: tuple | None = None  # its (position, bound) pairs: `_past_bounds`
        self._tracing = threading.local()  # `args`: the values of the call under way

    def record(self, args: Sequence, specs: list) -> None:
        """Keeps what a trace knows of each node's check (its bound and kind), and checks
        the values of the call that traces (raising, the step is neither compiled nor run)."""
        statics = tuple((s.bound, s.tuples, s.padded, bool(s.quoted)) for s in specs)
        self.statics[_shapes(args, self.arity)] = statics
        self._set_only(statics if len(self.statics) == 1 else None)
        values = self._tracing.__dict__.get("args")
        if values is not None:
            self._check(statics, values)

    def restored(self, statics: dict[tuple, tuple]) -> None:
        """Takes what an earlier process's traces knew (`device/executable_cache.py` loads
        the segment instead of tracing it) and checks the call under way, as `record` does."""
        self.statics.update(statics)
        self._set_only(next(iter(self.statics.values())) if len(self.statics) == 1 else None)
        values = self._tracing.__dict__.get("args")
        known = None if values is None else self.statics.get(_shapes(values, self.arity))
        if known is not None:
            self._check(known, values)

    def _set_only(self, statics: tuple | None) -> None:
        self._only = statics
        self._bounds = None
        if statics is not None and all(b and not (t or p) for b, t, p, _ in statics):
            self._bounds = tuple((p, s[0][0]) for p, s in zip(self.positions, statics))

    def wrap(self, fn: Callable[..., tuple]) -> Callable[..., tuple]:
        """`fn`, raising a failed check's error before it runs."""

        def call(*args):
            if self.on_host is None:
                self.on_host = all(isinstance(args[p], _HOST) for p in self.positions)
            if not self.on_host:
                return fn(*args)
            only, bounds = self._only, self._bounds
            if (  # several traces, or to be sure
                only is None
                or (_past_bounds(bounds, args) if bounds else self._failed(only, args))
            ):
                statics = self.statics.get(_shapes(args, self.arity))
                if statics is not None:  # else a new trace: `record` checks
                    self._check(statics, args)
            self._tracing.args = args
            try:
                return fn(*args)
            finally:
                self._tracing.args = None

        return call

    def _failed(self, statics: tuple, args: Sequence) -> bool:
        # Run first after the previous step, this code finds the caches cold (`_largest`).
        for p, (bound, tuples, padded, _) in zip(self.positions, statics):
            if _host_failed(np.asarray(args[p]), bound, tuples, padded):
                return True
        return False

    def _check(self, statics: tuple, args: Sequence) -> None:
        if self._failed(statics, args):
            values = [np.asarray(args[p]) for p in self.positions]
            _raise_failed(self.nodes, _host_word(statics, values))


def _host_word(statics: tuple, values: list) -> np.ndarray:
    """The error word the compiled checks make from `values` (`reports`); computed now,
    even while the segment is being traced (`HostChecks.record`)."""
    with jax.ensure_compile_time_eval():
        specs = [
            _Spec(jnp.asarray(v), bound, tuples, padded, (v,) if quotes else ())
            for v, (bound, tuples, padded, quotes) in zip(values, statics)
        ]
        word = jnp.concatenate([jnp.ones(1, jnp.int32)] + [_packed(s) for s in specs])
    return np.asarray(word)


def _shapes(values: Sequence, n: int) -> tuple:
    """The shapes of the first `n` of `values`."""
    return tuple([getattr(v, "shape", ()) for v in values[:n]])


def host_checks(nodes: tuple[Node, ...], inputs: Sequence, n_state: int) -> HostChecks | None:
    """`HostChecks` for `nodes` when each reads its checked values from one of `inputs`
    (after `n_state` state arguments), else None."""
    if nodes and all(_checked_edge(n) in inputs for n in nodes):
        return HostChecks(nodes, inputs, n_state)
    return None


_HOST = (np.ndarray, np.generic)


def _checked_edge(node: Node):
    return node.inputs[0 if node.op == "ScatterNd" else 1]


def _host_failed(indices: np.ndarray, bound: tuple, tuples: bool, padded: bool) -> bool:
    """`_bad(...).any()` in numpy."""
    if indices.size == 0:
        return False
    if bound and not (tuples or padded):
        if indices.dtype.kind == "u" or bound[0] <= 1 << (8 * indices.itemsize - 1):
            return _largest(indices) >= bound[0]  # a negative one read unsigned is past it
        return bool(((indices < 0) | (indices >= bound[0])).any())  # int8/16 into more rows
    if not bound:
        return not indices.all()
    if tuples:
        k = indices.shape[-1]
        rows = indices.reshape(-1, k)
        return bool(((rows < 0) | (rows >= np.asarray(bound[:k]))).any())
    bad = (indices < 0) | (indices >= bound[0])  # padded: the largest integer is padding
    return bool((bad & (indices != np.iinfo(indices.dtype).max)).any())


def _past_bounds(bounds: tuple, args: Sequence) -> bool:
    """`_host_failed` for checks of indices against a bound alone (gather's, embedding
    lookups', sparse labels'), the common case, with the least work per call: an int32 or
    int64 array read unsigned (a negative index is then past any bound) by one numpy call.
    Run first after the previous step, where its numpy calls find the caches cold."""
    for position, bound in bounds:
        indices = args[position]
        if type(indices) is np.ndarray and indices.size > _FEW:
            dtype = indices.dtype
            unsigned = _U32 if dtype is _I32 else _U64 if dtype is _I64 else None
            if unsigned is not None and bound <= 1 << (8 * dtype.itemsize - 1):
                unsigned = indices.view(unsigned)
                if unsigned.item(unsigned.argmax()) >= bound:
                    return True
                continue
        if _host_failed(np.asarray(indices), (bound,), False, False):
            return True
    return False


_I32, _I64, _U32, _U64 = (np.dtype(t) for t in ("i4", "i8", "u4", "u8"))


def _largest(indices: np.ndarray) -> int:
    """The largest of `indices`, negative ones read unsigned (one pass).

    Run first after the previous step, this code finds the caches cold, where numpy's
    calls cost far more than warm (measured after an MLP step on a loaded machine: ~30 us
    for 128 labels, warm 0.8 us). A few values (labels) are read by CPython itself, through
    a buffer view (~15 us there, warm 2 us); more with numpy's argmax (its reductions cost
    twice as much)."""
    if indices.size <= _FEW and indices.flags.c_contiguous:
        return max(memoryview(indices).cast("B").cast(_UNSIGNED_FORMAT[indices.itemsize]))
    unsigned = indices.view(_UNSIGNED[indices.itemsize])
    return unsigned.item(unsigned.argmax())  # argmax: a flat index


_FEW = 128
_UNSIGNED = {size: np.dtype(f"u{size}") for size in (1, 2, 4, 8)}
_UNSIGNED_FORMAT = {1: "B", 2: "H", 4: "I", 8: "Q"}  # memoryview's formats of those


# -- checks inside bodies ----------------------------------------------------------------------

_bodies = threading.local()
_watched: list[tuple[Node, ...]] = []  # a body check's number -> the nodes it watches


def bodies_checked(nodes: Sequence[Node]) -> bool:
    """Whether a cond branch or loop body among `nodes`' attrs (at any depth) holds a node
    a check watches (never when checks are off)."""
    return enabled() and any(_function_checked(f) for n in nodes for f in _functions(n.attrs))


def _functions(attrs: dict):
    for value in attrs.values():
        for v in value if type(value) is tuple else (value,):
            if isinstance(v, Function):
                yield v


def _function_checked(fn: Function) -> bool:
    nodes = fn.graph.nodes
    return any(_applies(n) for n in nodes) or bodies_checked(nodes)


def checking_bodies(trace: Callable[..., tuple], stateful: bool) -> Callable[..., tuple]:
    """`trace` under `checkify`, its body checks on: the error value follows its outputs
    (`stateful`: the first of its (outputs, writes, keys))."""
    checked = checkify.checkify(trace, errors=checkify.user_checks)

    def call(*args):
        _bodies.active = True
        try:
            error, results = checked(*args)
        finally:
            _bodies.active = False
        if stateful:
            return (results[0] + (error,), *results[1:])
        return results + (error,)

    return call


def bodies_active() -> bool:
    """Whether a body traced now is part of a segment traced under `checking_bodies`."""
    return _bodies.__dict__.get("active", False)


def check_body(nodes: Sequence[Node], frame: Frame, folded: frozenset[str]) -> None:
    """Adds the checks of a body's `nodes` (traced in `frame`) to the segment's error."""
    watched = checked(nodes, folded)
    if not watched or not bodies_active():
        return
    (word,) = reports(watched, frame)
    number = len(_watched)
    _watched.append(watched)
    checkify.check(word[0] == 0, f"flowgraph check {number}: {{word}}", word=word)


def _raise_body_error(error: checkify.Error) -> None:
    failed = error.get_exception()
    if failed is None:
        return
    nodes = _watched[int(failed.fmt_string.split(":")[0].rsplit(" ", 1)[1])]
    _raise_failed(nodes, failed.kwargs["word"])


# -- a failed check stops its loop -----------------------------------------------------------
#
# TensorFlow raises at the iteration whose op fails. checkify's rule for `lax.while_loop`
# threads the error through the loop but tests only the loop's own condition, so a loop
# went on with clamped values, possibly until the run's deadline. Under `checking_bodies`
# the rule below is jax's with one change: the loop's condition is also false once an
# error is set. (jax exports no way to replace it: `jax._src.checkify` holds the rules.)


def _stopping_while(error, enabled, *in_flat, cond_nconsts, cond_jaxpr, body_nconsts, body_jaxpr):
    if not bodies_active():
        return _jax_while_rule(
            error,
            enabled,
            *in_flat,
            cond_nconsts=cond_nconsts,
            cond_jaxpr=cond_jaxpr,
            body_nconsts=body_nconsts,
            body_jaxpr=body_jaxpr,
        )
    c_consts = in_flat[:cond_nconsts]
    b_consts = in_flat[cond_nconsts : cond_nconsts + body_nconsts]
    carry = in_flat[cond_nconsts + body_nconsts :]
    error, _ = _ck.checkify_jaxpr(cond_jaxpr, enabled, error, *c_consts, *carry)
    _, _, effects = _ck.checkify_while_body_jaxpr(
        cond_jaxpr, body_jaxpr, enabled, error, cond_nconsts
    )
    error = error._add_placeholder_effects(effects)
    err_vals, err_tree = jax.tree_util.tree_flatten(error)
    body, out_tree, _ = _ck.checkify_while_body_jaxpr(
        cond_jaxpr, body_jaxpr, enabled, error, cond_nconsts
    )
    n = len(err_vals)
    fronts = [False] * n + [True] * (cond_nconsts + body_nconsts) + [False] * len(carry)
    body = _pe.move_binders_to_front(body, fronts)
    cond = _stopping_cond(cond_jaxpr, enabled, err_tree, c_consts, err_vals, carry)
    outs = jax.lax.while_p.bind(
        *c_consts,
        *c_consts,
        *b_consts,
        *err_vals,
        *carry,
        cond_nconsts=cond_nconsts,
        cond_jaxpr=cond,
        body_nconsts=cond_nconsts + body_nconsts,
        body_jaxpr=body,
    )
    return jax.tree_util.tree_unflatten(out_tree, outs)


def _stopping_cond(cond_jaxpr, enabled, err_tree, c_consts, err_vals, carry):
    """The loop's condition on `(*c_consts, *err_vals, *carry)`: its own, and no error."""
    values = [*err_vals, *c_consts, *carry]
    checked, _, _ = _ck.jaxpr_to_checkify_jaxpr(
        cond_jaxpr, enabled, err_tree, *map(jax.typeof, values)
    )
    k, n = len(c_consts), len(err_vals)

    def go(*args):
        consts, errs, vals = args[:k], args[k : k + n], args[k + n :]
        going = _ck.core.jaxpr_as_fun(checked)(*errs, *consts, *vals)[-1]
        failed = [
            jnp.asarray(f) for f in jax.tree_util.tree_unflatten(err_tree, errs)._pred.values()
        ]
        if not failed:  # no check has run before the loop nor runs in it
            return going
        return jnp.logical_and(going, ~jnp.any(jnp.stack(failed)))

    shapes = [
        jax.ShapeDtypeStruct(np.shape(v), jnp.result_type(v))
        for v in [*c_consts, *err_vals, *carry]
    ]
    return jax.make_jaxpr(go)(*shapes)


_jax_while_rule = _ck.error_checks[jax.lax.while_p]
_ck.error_checks[jax.lax.while_p] = _stopping_while


# -- reports: [bad, rank, *position, size, (wide, size, *value), rank, *bound, count,
#    *(wide, size, *data)]


def _pack(bad, position, value, bound, quoted=()) -> jax.Array:
    parts = [jnp.reshape(bad, (1,)).astype(jnp.int32), jnp.array([len(position)], jnp.int32)]
    parts += [jnp.asarray(p, jnp.int32).reshape(1) for p in position]
    parts += [jnp.array([len(value)], jnp.int32)]
    if value:  # as `_quoted`: an int64 index travels whole (cut to int32, -2**32 read as 0)
        parts.append(_quoted(jnp.stack([jnp.asarray(v).reshape(()) for v in value])))
    parts += [jnp.array([len(bound)] + list(bound), jnp.int32), jnp.array([len(quoted)], jnp.int32)]
    for q in quoted:
        parts.append(_quoted(jnp.asarray(q).reshape(-1)))
    return jnp.concatenate(parts)


def _quoted(values) -> jax.Array:
    """`[wide, size, *data]`: 64-bit integers travel as pairs of int32 (their bits)."""
    wide = values.dtype.itemsize == 8
    data = jax.lax.bitcast_convert_type(values, jnp.int32) if wide else values
    head = jnp.array([int(wide), values.size], jnp.int32)
    return jnp.concatenate([head, data.astype(jnp.int32).reshape(-1)])


def _unpack(packed: list[int]) -> tuple[tuple, list[int]]:
    """`((bad, position, value, bound, quoted), the rest)` from the front of `packed`."""
    bad, rest = packed[0], packed[1:]
    out = []
    for part in range(3):
        n, rest = rest[0], rest[1:]
        if part == 1 and n:  # the value: `[wide, size, *data]`
            wide = rest[0]
            data = np.array(rest[2 : 2 + n * (1 + wide)], np.int32)
            out.append(tuple(int(v) for v in (data.view(np.int64) if wide else data)))
            rest = rest[2 + data.size :]
            continue
        out.append(tuple(rest[:n]))
        rest = rest[n:]
    count, rest = rest[0], rest[1:]
    quoted = []
    for _ in range(count):
        wide, n = rest[0], rest[1]
        data = np.array(rest[2 : 2 + n * (1 + wide)], np.int32)
        quoted.append(data.view(np.int64) if wide else data)
        rest = rest[2 + data.size :]
    return (bad, *out, tuple(quoted)), rest


def _gather(node: Node, args: list) -> _Spec:
    params, axis = args[0], int(np.asarray(args[2]))
    return _Spec(jnp.asarray(args[1]), (np.shape(params)[axis % max(np.ndim(params), 1)],))


def _first_axis(node: Node, args: list) -> _Spec:
    return _Spec(jnp.asarray(args[1]), (np.shape(args[0])[0],), padded=True)


def _gather_nd(node: Node, args: list) -> _Spec:
    shape = tuple(np.shape(args[0]))[node.attrs.get("batch_dims", 0) :]
    return _Spec(jnp.asarray(args[1]), shape, tuples=True)


def _scatter_nd(node: Node, args: list) -> _Spec:
    shape = tuple(int(d) for d in np.asarray(args[2]).reshape(-1))
    return _Spec(jnp.asarray(args[0]), shape, tuples=True)


def _tensor_scatter(node: Node, args: list) -> _Spec:
    return _Spec(jnp.asarray(args[1]), tuple(np.shape(args[0])), tuples=True)


def _list_items(node: Node, args: list) -> _Spec:
    return _Spec(jnp.asarray(args[1]), (np.shape(args[0])[0],))


def _labels(node: Node, args: list) -> _Spec:
    return _Spec(jnp.asarray(args[1]), (np.shape(args[0])[-1],), quoted=(args[1],))


_SPECS: dict[str, Callable[[Node, list], _Spec]] = {
    "GatherV2": _gather,
    "GatherNd": _gather_nd,
    "ScatterNd": _scatter_nd,
    "TensorScatterUpdate": _tensor_scatter,
    "TensorScatterAdd": _tensor_scatter,
    "TensorScatterSub": _tensor_scatter,
    "ScatterUpdate": _first_axis,
    "ScatterAdd": _first_axis,
    "ScatterSub": _first_axis,
    "SparseSoftmaxCrossEntropyWithLogits": _labels,
    "DenseListGetItem": _list_items,  # a TensorArray's read and gather
    "DenseListGather": _list_items,
}
_DIVISIONS = ("FloorDiv", "FloorMod", "TruncateDiv")


# -- TensorFlow's messages -------------------------------------------------------------------


def _at(position: tuple) -> str:
    return ",".join(str(p) for p in position)


def _not_in(node, position, value, bound) -> str:
    where = f"[{_at(position)}]" if position else ""  # a scalar index: TF's "indices = 7"
    return f"indices{where} = {value[0]} is not in [0, {bound[0]})"


def _not_into(node, position, value, bound) -> str:
    where = "param shape" if node.op == "GatherNd" else "shape"
    tail = f", node name: {node.name}" if node.op == "GatherNd" else ""
    shape = ",".join(str(d) for d in bound)
    return (
        f"indices[{_at(position)}] = [{', '.join(str(v) for v in value)}] does not index "
        f"into {where} [{shape}]{tail}"
    )


def _label(node, position, value, bound, labels) -> str:
    return (
        f"Received a label value of {value[0]} which is outside the valid range of "
        f"[0, {bound[0]}).  Label values: {' '.join(str(x) for x in np.ravel(labels))}"
    )


def _read_past(node, position, value, bound) -> str:
    return f"Tried to read from index {value[0]} but array size is: {bound[0]}"


_MESSAGES = {
    "GatherV2": _not_in,
    "ScatterUpdate": _not_in,
    "ScatterAdd": _not_in,
    "ScatterSub": _not_in,
    "GatherNd": _not_into,
    "ScatterNd": _not_into,
    "TensorScatterUpdate": _not_into,
    "TensorScatterAdd": _not_into,
    "TensorScatterSub": _not_into,
    "SparseSoftmaxCrossEntropyWithLogits": _label,
    "DenseListGetItem": _read_past,
    "DenseListGather": _read_past,
}
