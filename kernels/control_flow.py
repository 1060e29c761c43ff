"""Control-flow kernels: NoOp (the op that `tf.group` and control dependencies hang on) and
the functional ops If, Case and While, lowered to lax.cond, lax.switch and loops."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from kernels import cancel
from kernels.errors import InvalidArgumentError
from kernels.op_def import declare
from kernels.registry import HOST, RNG, Effects, Spec, register
from kernels.stored_loop import stored_loop

_FUNCTIONAL = Effects(updates_listed_in="_writes")


@register("NoOp", shape=lambda specs, attrs, static_values: [])
def no_op() -> tuple:
    return ()


# -- functional control flow ----------------------------------------------------------------
#
# Branches and bodies arrive as callables `f(*args) -> outputs + written ref values` (the
# runtime turns the ops' function attrs into them). Every op's outputs are its declared
# outputs followed by the new values of the variables its bodies assign (`_writes`); `_host`
# marks one stepped from the host (the runtime puts it in a host segment).


class LoopSpec(tuple):
    """How a `While` loop runs, as its one `_loop` attr: `(field, value)` pairs sorted by
    field, a plain value that the GraphDef serializer writes as an attr map and reads back
    (as the same pairs). Positions index the op's inputs.

    Fields: `loop_vars` (how many inputs are loop variables), `rng` (the RNG key input, or
    -1), `limit` (an input bounding the iterations, or -1), `bound` (an input holding a
    counting loop's bound, or -1), `static` (inputs known at compile time), `counting`
    (a counting loop's `(start, stride, less, inclusive)`), `trip_count` (its steps when
    the graph fixes them, or -1), `stacked`/`stacked_from` (TensorArray loop variables
    written at the counter, and the first index written), `count_bound` (an input holding
    a counting loop's bound known only at run time, or -1), `bucket` (a static input
    bounding the steps, added when the loop is differentiated: `WhileBucket`, or -1) and
    `trips` (an input holding the trip count the run counted, `WhileTripCount`, or -1),
    `eager` (a host loop whose body runs op by op: it holds ops that need the session,
    such as queue ops), `deferred` (TensorArrays first written in the body whose element
    shapes only the compiled shapes tell: `DenseListReserve` inputs) and `invariant`
    (TensorArrays the body writes one shape to each step: it yields the shape).
    """

    DEFAULTS = {
        "back_prop": True,
        "bound": -1,
        "bucket": -1,
        "count_bound": -1,
        "counting": (),
        "eager": False,
        "limit": -1,
        "loop_vars": 0,
        "maximum_iterations": -1,
        "rng": -1,
        "stacked": (),
        "stacked_from": (),
        "static": (),
        "trip_count": -1,
        "trips": -1,
    }
    # Fields a loop holds only when set (a GraphDef without them stays as it was written).
    OPTIONAL = {"deferred": (), "invariant": ()}

    @classmethod
    def of(cls, **fields) -> "LoopSpec":
        unknown = set(fields) - set(cls.DEFAULTS) - set(cls.OPTIONAL)
        if unknown:
            raise TypeError(f"LoopSpec has no fields {sorted(unknown)}")
        fields = {k: v for k, v in fields.items() if k not in cls.OPTIONAL or cls.OPTIONAL[k] != v}
        return cls(sorted({**cls.DEFAULTS, **fields}.items()))

    def __getattr__(self, name: str):
        for key, value in self:
            if key == name:
                return value
        if name in self.DEFAULTS:
            return self.DEFAULTS[name]
        if name in self.OPTIONAL:
            return self.OPTIONAL[name]
        raise AttributeError(name)


def _declared_outputs(specs, attrs, static_values):
    # While's T lists every input's type: the loop variables (its outputs) come first.
    types = attrs["Tout"] if "Tout" in attrs else attrs["T"]
    return [
        Spec(tuple(s) if s is not None else None, np.dtype(t))
        for t, s in zip(types, attrs["output_shapes"])
    ]


@register("If", static=("@_static",), shape=_declared_outputs, effects=_FUNCTIONAL)
def if_(
    cond,
    *input,
    then_branch,
    else_branch,
    Tout=(),
    output_shapes=(),
    _writes=(),
    _host=False,
    _switch=False,
    _escaped=(),
    _static=(),
):
    """lax.cond; a cond whose branches hold host ops runs on the host, one branch only.
    `_static`: the input positions whose values static inputs of a branch need.
    `_switch`: made by TF1's `tf.cond` (a Switch there), whose predicate must be a scalar;
    else TF's If, where a non-scalar predicate is true when it is not empty. `_escaped`:
    see `_every_output`."""
    if _switch and np.ndim(cond) != 0:
        shape = ",".join(str(d) for d in np.shape(cond))
        raise InvalidArgumentError(
            None, None, f"The second input must be a scalar, but it has shape [{shape}]"
        )
    branches, input = _closing_over((then_branch, else_branch), input, [k - 1 for k in _static])
    branches = _every_output(branches, _escaped, Tout, output_shapes, _host, input)
    if _host:
        pred = np.asarray(cond)
        taken = bool(pred) if pred.ndim == 0 else pred.size > 0
        return tuple(branches[0](*input) if taken else branches[1](*input))
    pred = jnp.asarray(cond)
    pred = pred.astype(bool) if pred.ndim == 0 else pred.size > 0  # TF: non-empty is true
    return tuple(lax.cond(pred, *branches, *input))


def _closing_over(branches, input, positions) -> tuple:
    """The branches closing over the inputs at `positions` (concrete: static inputs of a
    branch need them, as TF1's gradient of a cond in a loop reads the shapes its forward
    loop pushed), and the other inputs, the branches' operands."""
    if not positions:
        return branches, input
    fixed = {k: input[k] for k in positions}

    def closing(fn):
        def call(*operands):
            it = iter(operands)
            return fn(*(fixed[k] if k in fixed else next(it) for k in range(len(input))))

        return call

    return [closing(fn) for fn in branches], [x for k, x in enumerate(input) if k not in fixed]


@register("Case", shape=_declared_outputs, effects=_FUNCTIONAL)
def case(
    branch_index,
    *input,
    branches,
    Tout=(),
    output_shapes=(),
    _writes=(),
    _host=False,
    _escaped=(),
):
    n = len(branches)
    branches = _every_output(branches, _escaped, Tout, output_shapes, _host, input)
    if _host:
        index = int(np.asarray(branch_index))
        return tuple(branches[index if 0 <= index < n else n - 1](*input))
    index = jnp.asarray(branch_index, jnp.int32)
    index = jnp.where((index < 0) | (index >= n), n - 1, index)  # out of range: the last
    return tuple(lax.switch(index, branches, *input))


def _every_output(branches, escaped: tuple, types, shapes, host: bool, input) -> tuple:
    """The branches, each returning every output of the op (`types`, `shapes`). The last
    `len(escaped)` outputs are tensors of one branch each (`escaped[j]`: which) used
    outside the cond (TF1's v1 cond): a branch returns its own after the common outputs,
    and the others give zeros there (TF1's dead values; the client never hands them out)."""
    if not escaped:
        return tuple(branches)
    first = len(types) - len(escaped)
    specs = _escaped_specs(branches, escaped, first, types, shapes, host, input)

    def padded(k, fn):
        mine = escaped.count(k)

        def call(*args):
            out = fn(*args)
            own = iter(out[first : first + mine])
            pad = [
                next(own) if o == k else jnp.zeros(x.shape, x.dtype) for o, x in zip(escaped, specs)
            ]
            return (*out[:first], *pad, *out[first + mine :])

        return call

    return tuple(padded(k, fn) for k, fn in enumerate(branches))


def _escaped_specs(branches, escaped, first, types, shapes, host, input) -> list:
    """Shape and dtype of each escaped output: as its branch computes it (traced), or
    from the op's declared ones on the host (where only a taken branch's values are used)."""
    if host:
        return [
            jax.ShapeDtypeStruct(tuple(d or 0 for d in shapes[first + j] or ()), types[first + j])
            for j in range(len(escaped))
        ]
    traced = {k: jax.eval_shape(branches[k], *input) for k in set(escaped)}
    return [traced[o][first + escaped[:j].count(o)] for j, o in enumerate(escaped)]


@register("While", shape=_declared_outputs, static=("@_loop.static",), effects=_FUNCTIONAL)
def while_(
    *input,
    cond,
    body,
    T=(),
    output_shapes=(),
    _writes=(),
    _loop=(),
    parallel_iterations: int = 10,
    _host: bool = False,
):
    """TF's While (`_while`). A TensorArray in the loop's `invariant` is written each
    step with a shape (`Shape`, `Size`, `Rank` of a body value), the same every step of a
    compiled loop: the body yields that shape, and the buffer comes out filled with it, a
    value known when compiled (TF1's gradients push shapes to a backward loop whose static
    inputs need them)."""
    spec, elements = LoopSpec(_loop), {}
    if spec.invariant and not _host:
        body = _yielding_shapes(body, spec.invariant, elements)
    out = _while(
        *input,
        cond=cond,
        body=body,
        _writes=_writes,
        _loop=_loop,
        parallel_iterations=parallel_iterations,
        _host=_host,
    )
    if not elements:
        return out
    out = list(out)
    for j, element in elements.items():
        out[j] = np.broadcast_to(element, (np.shape(out[j])[0], *element.shape)).copy()
    return tuple(out)


def _yielding_shapes(body, positions, elements: dict):
    """`body` that records the shapes it writes to the buffers at `positions` (concrete
    while tracing) in `elements` and leaves those buffers as they are."""

    def call(*args):
        out = list(body(*args))
        for j in positions:
            elements[j] = np.asarray(out[j])
            out[j] = args[j]
        return out

    return call


def _while(
    *input,
    cond,
    body,
    T=(),
    output_shapes=(),
    _writes=(),
    _loop=(),
    parallel_iterations: int = 10,
    _host: bool = False,
):
    """TF's While: loop variables first, then the values the bodies capture.

    A counting loop whose trip count the graph fixes (`trip_count`) is a plain
    `lax.scan`. With a `bucket` (a bound the host read before the loop, once its gradient
    was asked for) it runs the run's trip count (`_bucketed_loop`); with a static
    `maximum_iterations` it is a `lax.scan` of that many steps that stops updating once
    `cond` is false (so reverse-mode differentiation works); otherwise a
    `lax.while_loop` (`_reversible_while`: differentiable too),
    bounded by the input `limit` if there is one. `_host` loops (shapes that change
    between iterations) run in Python, each step a compiled call.
    """
    spec = LoopSpec(_loop)
    trip_count, maximum_iterations = spec.trip_count, spec.maximum_iterations
    limit = input[spec.limit] if spec.limit >= 0 else None
    if limit is not None and spec.limit in spec.static:  # known when compiled: a static bound
        maximum_iterations, limit = max(int(np.asarray(limit)), 0), None
    if spec.bucket >= 0:  # the host knows the trip count: at most `bucket` steps
        bucket = int(np.asarray(input[spec.bucket]))
        maximum_iterations = bucket if maximum_iterations < 0 else min(maximum_iterations, bucket)
    if spec.bound >= 0:  # a counting loop whose bound is computed from shapes
        trip_count = _counted_trips(np.asarray(input[spec.bound]), spec.counting)
    if trip_count >= 0 and maximum_iterations >= 0:
        trip_count = min(trip_count, maximum_iterations)
    pred, step, captured = _loop_functions(input, cond, body, _writes, spec, limit)
    n, writes = spec.loop_vars, list(_writes)
    loop_vars = tuple(input[:n])
    ref_values = tuple(input[p] for p in writes)
    if _host:
        return _host_while(pred, step, loop_vars, ref_values, maximum_iterations, spec.eager)
    if spec.deferred:
        loop_vars = _decided_buffers(step, loop_vars, ref_values, spec.deferred)
    stacked = dict(zip(spec.stacked, spec.stacked_from))
    if trip_count >= 0:  # a counting loop: exactly this many steps, no test
        return _counted_loop(step, loop_vars, ref_values, trip_count, stacked)
    if spec.bucket >= 0:  # the run's trip count, within a bucket
        count = _run_trips(input, spec, limit, maximum_iterations)
        return _bucketed_loop(step, loop_vars, ref_values, maximum_iterations, count, stacked)
    step = _writing_stacked(step, stacked)
    if maximum_iterations >= 0:

        def masked(carry, _):
            i, done, vs, rs = carry
            go = jnp.logical_and(jnp.logical_not(done), pred(i, vs, rs))
            vs, rs = lax.cond(go, step, lambda i, vs, rs: (vs, rs), i, vs, rs)
            return (i + go.astype(jnp.int32), jnp.logical_not(go), vs, rs), None

        init = (jnp.int32(0), jnp.bool_(False), loop_vars, ref_values)
        (_, _, vs, rs), _ = lax.scan(masked, init, None, length=maximum_iterations)
        return vs + rs

    vs, rs = _reversible_while(
        pred,
        lambda i, vs, rs, outer, _: step(i, vs, rs, outer),
        (loop_vars, ref_values),
        (captured, limit),
        polled=limit is None,  # no bound: a run's deadline must be able to stop it
    )
    return vs + rs


def _decided_buffers(step, loop_vars, ref_values, deferred) -> tuple:
    """Zero buffers for the `deferred` TensorArrays, shaped by what one step of the body,
    traced for the shapes this loop is compiled for, writes into them (the whole buffer,
    or the element when the loop stacks it)."""
    written, _ = jax.eval_shape(lambda vs, rs: step(jnp.int32(0), vs, rs), loop_vars, ref_values)
    out = list(loop_vars)
    for j in deferred:
        shape = written[j].shape
        if len(shape) < jnp.ndim(out[j]):
            shape = (jnp.shape(out[j])[0], *shape)
        out[j] = jnp.zeros(shape, jnp.result_type(out[j]))
    return tuple(out)


def _loop_functions(input, cond, body, writes, spec: LoopSpec, limit):
    """`(pred, step, captured)` of a While op's loop: `pred(i, loop_vars, ref_values)` and
    `step(...) -> (loop_vars, ref_values)`, which also take the captured values and limit
    as arguments (`_reversible_while` passes traced ones explicitly)."""
    n, rng = spec.loop_vars, spec.rng
    captured = tuple(input[n:])

    def args_for(i, loop_vars, ref_values, outer):
        args = list(loop_vars) + list(outer)
        for pos, value in zip(writes, ref_values):
            args[pos] = value
        if rng >= 0:
            key = jax.random.wrap_key_data(args[rng], impl="threefry2x32")
            args[rng] = jax.random.key_data(jax.random.fold_in(key, i))
        return args

    def pred(i, loop_vars, ref_values, outer=captured, limit=limit):
        args = args_for(i, loop_vars, ref_values, outer)
        p = jnp.asarray(cond(*args)[0]).astype(bool).reshape(())
        return p if limit is None else jnp.logical_and(p, i < limit)

    def step(i, loop_vars, ref_values, outer=captured):
        out = body(*args_for(i, loop_vars, ref_values, outer))
        return tuple(out[:n]), tuple(out[n:])

    return pred, step, captured


def _reversible_while(pred, step, carry: tuple, outer: tuple, polled: bool = False) -> tuple:
    """`lax.while_loop` over `carry` that reverse-mode differentiation can pass through.

    `pred(i, *carry, *outer)` and `step(i, *carry, *outer)` get the loop-invariant values
    `outer` as arguments, so that gradients reach the traced ones (concrete ones stay
    constants: static inputs of the body may need them). Undifferentiated this is the
    plain loop (`polled`: in chunks, checking the run's deadline between them).
    Differentiated (a loop whose trip count no host knows, e.g. one nested in
    a body or branch), the forward pass also stores the carries of its first steps
    (`_checkpoint_capacity`) and the backward pass applies the steps' VJPs last to first,
    each at its stored carry or at one recomputed from the last stored carry.
    """
    leaves, tree = jax.tree_util.tree_flatten(outer)
    traced = [isinstance(x, jax.core.Tracer) for x in leaves]

    def with_outer(fn):
        def call(i, c, dynamic):
            it = iter(dynamic)
            values = [next(it) if t else x for x, t in zip(leaves, traced)]
            return fn(i, *c, *jax.tree_util.tree_unflatten(tree, values))

        return call

    pred, step = with_outer(pred), with_outer(step)

    @jax.custom_vjp
    def loop(carry, dynamic):
        def next_(state):
            return state[0] + 1, step(state[0], state[1], dynamic)

        go = lambda s: pred(s[0], s[1], dynamic)  # noqa: E731
        looping = _polled_while_loop if polled else lax.while_loop
        return looping(go, next_, (jnp.int32(0), carry))[1]

    def forward(carry, dynamic):
        capacity = _checkpoint_capacity(carry)
        stored = jax.tree_util.tree_map(lambda x: jnp.zeros((capacity, *x.shape), x.dtype), carry)

        def next_(state):
            i, c, stored = state
            stored = jax.tree_util.tree_map(lambda b, x: b.at[i].set(x, mode="drop"), stored, c)
            return i + 1, step(i, c, dynamic), stored

        go = lambda s: pred(s[0], s[1], dynamic)  # noqa: E731
        looping = _polled_while_loop if polled else lax.while_loop
        trips, final, stored = looping(go, next_, (jnp.int32(0), carry, stored))
        return final, (trips, stored, dynamic)

    def backward(residuals, cotangent):
        return _reverse_steps(step, *residuals, cotangent)

    loop.defvjp(forward, backward)
    dynamic = [x for x, t in zip(leaves, traced) if t]
    return loop(jax.tree_util.tree_map(jnp.asarray, carry), dynamic)


_CHECKPOINT_BYTES = 16 << 20  # per differentiated loop: room for its stored carries


def _checkpoint_capacity(carry) -> int:
    size = sum(x.size * x.dtype.itemsize for x in jax.tree_util.tree_leaves(carry))
    return int(np.clip(_CHECKPOINT_BYTES // max(size, 1), 1, 1024))


def _reverse_steps(step, trips, stored, dynamic, cotangent) -> tuple:
    """Cotangents of a loop's initial carry and of its traced loop-invariant values, given
    those of its final carry: the steps' VJPs applied last to first."""
    capacity = jax.tree_util.tree_leaves(stored)[0].shape[0]

    def carry_at(k):  # stored, or recomputed from the last stored carry
        base = jnp.minimum(k, capacity - 1)
        c = jax.tree_util.tree_map(lambda b: b[base], stored)
        return lax.fori_loop(base, k, lambda j, c: step(j, c, dynamic), c)

    def back(state):
        k, ct_carry, ct_dynamic = state
        _, pull = _vjp_inexact(lambda c, d: step(k, c, d), carry_at(k), dynamic)
        d_carry, d_dynamic = pull(ct_carry)
        return k - 1, d_carry, jax.tree_util.tree_map(jnp.add, ct_dynamic, d_dynamic)

    ct = jax.tree_util.tree_map(
        lambda c, b: jnp.zeros(b.shape[1:], b.dtype) if c.dtype == jax.dtypes.float0 else c,
        cotangent,
        stored,
    )
    zeros = jax.tree_util.tree_map(_zero_cotangent, dynamic)
    _, ct_carry, ct_dynamic = lax.while_loop(lambda s: s[0] >= 0, back, (trips - 1, ct, zeros))
    return _float0_where_integer(ct_carry), _float0_where_integer(ct_dynamic)


def _vjp_inexact(fn, *primals):
    """`jax.vjp` of `fn` in its floating-point leaves only: integer leaves (counters, RNG
    keys) stay fixed, and their cotangents are zeros of the primal dtype in the pullback's
    input and output (a while_loop carries no float0)."""
    leaves, tree = jax.tree_util.tree_flatten(primals)
    inexact = [jnp.issubdtype(jnp.result_type(x), jnp.inexact) for x in leaves]

    def partial(*floats):
        it = iter(floats)
        full = [next(it) if f else x for x, f in zip(leaves, inexact)]
        return fn(*jax.tree_util.tree_unflatten(tree, full))

    out, pull = jax.vjp(partial, *[x for x, f in zip(leaves, inexact) if f])

    def pull_all(ct):
        ct = jax.tree_util.tree_map(
            lambda c, o: c if _is_inexact(o) else np.zeros(o.shape, jax.dtypes.float0), ct, out
        )
        it = iter(pull(ct))
        full = [next(it) if f else _zero_cotangent(x) for x, f in zip(leaves, inexact)]
        return jax.tree_util.tree_unflatten(tree, full)

    return out, pull_all


def _is_inexact(x) -> bool:
    return jnp.issubdtype(jnp.result_type(x), jnp.inexact)


def _zero_cotangent(x):
    return jnp.zeros(jnp.shape(x), jnp.result_type(x))


def _float0_where_integer(tree):
    return jax.tree_util.tree_map(
        lambda c: c if _is_inexact(c) else np.zeros(c.shape, jax.dtypes.float0), tree
    )


_POLL_EVERY = 1 << 14


def _poll() -> None:
    jax.debug.callback(cancel.check)


def _polled_while_loop(go, next_, state: tuple) -> tuple:
    """`lax.while_loop(go, next_, state)` (`state[0]`: the step) run in chunks of
    `_POLL_EVERY` steps, the run's deadline checked after each full one (from the host: a
    few ns a step). A chunk ends early when `go` is false; the outer loop stops after a
    short chunk (and, when `go` turns false at a chunk's end, after one more empty chunk
    that tests `go` once more)."""

    def chunk(carry):
        state, _ = carry
        start = state[0]
        inner = lambda s: jnp.logical_and(go(s), s[0] - start < _POLL_EVERY)  # noqa: E731
        state = lax.while_loop(inner, next_, state)
        lax.cond(state[0] - start == _POLL_EVERY, _poll, lambda: None)  # going on: may it?
        return state, start

    init = (state, state[0] - _POLL_EVERY)
    state, _ = lax.while_loop(lambda c: c[0][0] - c[1] == _POLL_EVERY, chunk, init)
    return state


def _counted_trips(bound, count) -> int:
    start, stride, less, inclusive = count
    span = (float(bound) - start) if less else (start - float(bound))
    return max(0, int(np.ceil((span + inclusive) / abs(stride))))


def _counted_loop(step, loop_vars, ref_values, trips: int, stacked: dict) -> tuple:
    """`trips` steps of a `lax.scan`. Loop variables in `stacked` are TensorArrays written
    at the counter: the body yields their elements, which the scan stacks (scan outputs
    instead of a buffer carried and updated every step), written once after the loop."""
    init_vs = tuple(None if j in stacked else v for j, v in enumerate(loop_vars))
    (_, vs, rs), ys = _scan_steps(
        step, loop_vars, stacked, (jnp.int32(0), init_vs, ref_values), trips
    )
    out = list(vs)
    for (j, first), elements in zip(stacked.items(), ys):
        buffer = jnp.asarray(loop_vars[j])
        elements = elements.astype(buffer.dtype)
        if first == 0 and elements.shape == buffer.shape:
            out[j] = elements
        else:
            out[j] = lax.dynamic_update_slice_in_dim(buffer, elements, first, 0)
    return tuple(out) + tuple(rs)


def _scan_steps(step, loop_vars, stacked: dict, carry, length: int):
    """`length` steps from `carry = (i, loop_vars, ref_values)` (None for the `stacked`
    ones) as a `lax.scan`: `(carry, stacked elements)`."""
    n = len(loop_vars)

    def counted(carry, _):
        i, vs, rs = carry
        args = tuple(loop_vars[j] if j in stacked else vs[j] for j in range(n))
        new, rs = step(i, args, rs)
        vs = tuple(None if j in stacked else new[j] for j in range(n))
        return (i + 1, vs, rs), tuple(new[j] for j in stacked)

    return lax.scan(counted, carry, None, length=length)


def _bucketed_loop(step, loop_vars, ref_values, bucket: int, count, stacked: dict) -> tuple:
    """`count` (traced, <= `bucket`) steps that reverse-mode differentiation passes at the
    cost of a `lax.scan` of `count` steps (`stored_loop`: each step's residuals stored in
    `bucket` rows). Loop variables in `stacked` are TensorArrays written at the counter:
    the body yields their elements, written into their buffers outside the step's VJP."""
    n = len(loop_vars)
    absent = {j: (jnp.shape(loop_vars[j]), jnp.result_type(loop_vars[j])) for j in stacked}

    def one(i, carry):  # the body reads no stacked TensorArray: zeros stand in for them
        vs, rs = carry
        vs = tuple(jnp.zeros(*absent[j]) if j in absent else v for j, v in enumerate(vs))
        new, rs = step(i, vs, rs)
        vs = tuple(None if j in stacked else new[j] for j in range(n))
        return (vs, rs), tuple(new[j] for j in stacked)

    vs = tuple(None if j in stacked else v for j, v in enumerate(loop_vars))
    buffers = tuple(jnp.asarray(loop_vars[j]) for j in stacked)
    (vs, rs), buffers = stored_loop(
        one, count, bucket, (vs, ref_values), buffers, tuple(stacked.values())
    )
    written = dict(zip(stacked, buffers))
    return tuple(written.get(j, v) for j, v in enumerate(vs)) + tuple(rs)


def _writing_stacked(step, stacked: dict):
    """`step` for loops that carry whole buffers: a TensorArray in `stacked`, for which the
    body yields the element it writes at the counter, gets that element written."""
    if not stacked:
        return step

    def written(i, loop_vars, ref_values, *outer):
        new, ref_values = step(i, loop_vars, ref_values, *outer)
        new = tuple(
            lax.dynamic_update_index_in_dim(
                loop_vars[j], jnp.asarray(x, loop_vars[j].dtype), stacked[j] + i, 0
            )
            if j in stacked
            else x
            for j, x in enumerate(new)
        )
        return new, ref_values

    return written


def _run_trips(input, spec: LoopSpec, limit, maximum_iterations: int):
    """A bucketed loop's trip count: counted (`trips`) or a counting loop's, to its bound."""
    if spec.trips >= 0:
        count = jnp.asarray(input[spec.trips], jnp.int32)
    else:
        count = _trips_to(input[spec.count_bound], spec.counting)
    count = count if limit is None else jnp.minimum(count, limit)
    return jnp.minimum(count, maximum_iterations)


def _trips_to(bound, counting):
    """A counting loop's `(start, stride, less, inclusive)` steps to a traced `bound`."""
    start, stride, less, inclusive = counting
    span = (bound - start) if less else (start - bound)
    trips = jnp.ceil((jnp.asarray(span, jnp.float32) + inclusive) / abs(stride))
    return jnp.maximum(trips, 0).astype(jnp.int32)


def _host_while(pred, step, loop_vars, ref_values, maximum_iterations, eager: bool):
    # Shapes may change between iterations: each step is a compiled call (cached per shape),
    # unless the body needs the session (queue ops): then it runs op by op.
    if not eager:
        pred, step = jax.jit(pred), jax.jit(step)
    i = 0
    while (maximum_iterations < 0 or i < maximum_iterations) and bool(
        pred(i, loop_vars, ref_values)
    ):
        cancel.raise_if_stopped()
        loop_vars, ref_values = step(i, loop_vars, ref_values)
        i += 1
    return tuple(loop_vars) + tuple(ref_values)


# -- the trip count of a differentiated loop, read by the host ------------------------------
#
# A loop whose trip count only the run knows is a `lax.while_loop`, which reverse-mode
# differentiation cannot pass. Once its gradient is asked for, the loop also takes a
# static input `bucket` >= its trip count (a power of two, so few lengths compile), read
# by the host from `WhileBucket`: the loop runs its trip count and its gradient stores
# each step's residuals in `bucket` rows (`stored_loop`), at the cost of a hand-written
# scan over the trip count.

# flowgraph-specific: the trip count of a While op with the same inputs and attrs.
declare(
    "WhileTripCount",
    inputs=("input: T",),
    outputs=("trips: int32",),
    attrs=(
        "T: list(type) >= 0",
        "cond: func",
        "body: func",
        "output_shapes: list(shape)",
        "parallel_iterations: int = 10",
    ),
)


@register("WhileTripCount", shape=lambda specs, attrs, sv: [Spec((), np.dtype(np.int32))])
def while_trip_count(
    *input, cond, body, T=(), output_shapes=(), _writes=(), _loop=(), parallel_iterations=10
):
    """How many steps the While op with these inputs and attrs runs (its loop, counted)."""
    spec = LoopSpec(_loop)
    limit = input[spec.limit] if spec.limit >= 0 else None
    pred, step, _ = _loop_functions(input, cond, body, _writes, spec, limit)
    step = _writing_stacked(step, dict(zip(spec.stacked, spec.stacked_from)))
    vs, rs = tuple(input[: spec.loop_vars]), tuple(input[p] for p in _writes)

    def next_(carry):
        i, vs, rs = carry
        return (i + 1, *step(i, vs, rs))

    # An unbounded loop's count is as unbounded: it polls the deadline and cancellation too.
    looping = lax.while_loop if limit is not None else _polled_while_loop
    return looping(lambda c: pred(*c), next_, (jnp.int32(0), vs, rs))[0]


# flowgraph-specific: rounds a trip count (or a counting loop's bound) up to a power of two.
declare(
    "WhileBucket",
    inputs=("value: T",),
    outputs=("bucket: int32",),
    attrs=("T: {int32, int64, float, double}", "counting: list(int) = []"),
)


@register("WhileBucket", kind=HOST, shape=lambda specs, attrs, sv: [Spec((), np.dtype(np.int32))])
def while_bucket(value, *, counting=()):
    """The smallest power of two >= the trip count: `value`, or with `counting` (a counting
    loop's `(start, stride, less, inclusive)`) the trips to the bound `value`."""
    trips = _counted_trips(value, counting) if counting else int(value)
    return np.int32(1 << max(trips - 1, 0).bit_length())


# flowgraph-specific: a function body's random ops fold their streams out of this key.
declare(
    "RngKey", outputs=("key: uint32",), attrs=("seed: int = 0", "seed2: int = 0"), stateful=True
)


@register("RngKey", effects=RNG, shape=lambda specs, attrs, sv: [Spec((2,), np.dtype(np.uint32))])
def rng_key(key, *, seed=0, seed2=0):
    """A fresh key for the random ops inside a function body (the body folds its own
    streams out of it), so a recomputation in a gradient draws the same numbers."""
    new, sub = jax.random.split(jax.random.wrap_key_data(key, impl="threefry2x32"))
    return jax.random.key_data(sub), jax.random.key_data(new)


# -- TensorArray storage: a dense [size, *element_shape] buffer updated functionally --------


def _list_item_shape(specs, attrs, static_values):
    shape = specs[0].shape
    return [Spec(None if shape is None else tuple(shape[1:]), specs[0].dtype)]


def _list_set_shape(specs, attrs, static_values):
    buffer, item = specs[0], specs[2]
    if buffer.shape is not None:
        return [Spec(tuple(buffer.shape), item.dtype)]
    size = attrs.get("size", -1)
    shape = None if item.shape is None else (size if size >= 0 else None, *item.shape)
    return [Spec(shape, item.dtype)]


# flowgraph-specific: a TensorArray is a dense [size, *element_shape] buffer (TF's TensorList
# ops take a variant handle and an element_shape input).
declare(
    "DenseListGetItem",
    inputs=("buffer: T", "index: int32"),
    outputs=("item: T",),
    attrs=("T: type",),
)


@register("DenseListGetItem", shape=_list_item_shape)
def dense_list_get_item(buffer, index):
    if _strings(buffer):
        return np.asarray(buffer)[int(index)]
    return lax.dynamic_index_in_dim(buffer, jnp.asarray(index), 0, keepdims=False)


def _strings(buffer) -> bool:
    """Whether `buffer` holds strings (a numpy object array, on the host): jax has none."""
    return getattr(buffer, "dtype", None) == np.dtype(object)


declare(
    "DenseListSetItem",
    inputs=("buffer: T", "index: int32", "item: Titem"),
    outputs=("output: T",),
    attrs=("T: type", "Titem: type", "size: int = -1"),
)


@register("DenseListSetItem", shape=_list_set_shape)
def dense_list_set_item(
    buffer, index, item, *, size: int = -1, _grows: bool = False, _deferred: bool = False
):
    """`_grows`: a `dynamic_size` TensorArray written in a loop stepped from the host
    (concrete values): a write past its end first grows it with zeros. `_deferred`: the
    buffer of a TensorArray whose element shape only its first write tells (a
    `DenseListReserve`) is allocated for the item's shape."""
    if _deferred and tuple(buffer.shape[1:]) != tuple(np.shape(item)):
        buffer = jnp.zeros((buffer.shape[0], *np.shape(item)), buffer.dtype)
    if _grows and int(index) >= buffer.shape[0]:
        padding = np.zeros((int(index) + 1 - buffer.shape[0], *buffer.shape[1:]), buffer.dtype)
        buffer = np.concatenate([np.asarray(buffer), padding])
    if _strings(buffer):
        out = np.array(buffer, dtype=object)
        out[int(index), ...] = np.asarray(item, dtype=object)
        return out
    return lax.dynamic_update_index_in_dim(
        buffer, jnp.asarray(item, buffer.dtype), jnp.asarray(index), 0
    )


declare(
    "DenseListReserve",
    inputs=("element_shape: int32", "num_elements: int32"),
    outputs=("buffer: element_dtype",),
    attrs=("element_dtype: type",),
)


def _list_reserve_shape(specs, attrs, static_values):
    element_shape, size = static_values
    dtype = np.dtype(attrs["element_dtype"])
    if element_shape is None:
        return [Spec(None, dtype)]
    dims = tuple(None if d < 0 else int(d) for d in np.asarray(element_shape).reshape(-1))
    return [Spec((None if size is None else int(size), *dims), dtype)]


@register("DenseListReserve", static=("element_shape", "num_elements"), shape=_list_reserve_shape)
def dense_list_reserve(element_shape, num_elements, *, element_dtype):
    """The buffer of a TensorArray first written in a loop, before the loop's compiled
    shapes decide the `element_shape` dims that are -1 (here 0, no elements yet): the
    loop (`deferred`) or the first write (`_deferred`) replaces it."""
    dims = [max(int(d), 0) for d in np.asarray(element_shape).reshape(-1)]
    return jnp.zeros((int(num_elements), *dims), np.dtype(element_dtype))


declare(
    "DenseListStack",
    inputs=("buffer: T",),
    outputs=("tensor: T",),
    attrs=("T: type", "num_elements: int = -1"),
)


def _list_stack_shape(specs, attrs, static_values):
    # TF's TensorListStack: the leading dim is `num_elements` (-1: unknown), whatever the
    # buffer's static shape says (a growing array's length is not part of its type).
    shape, n = specs[0].shape, attrs.get("num_elements", -1)
    return [Spec(None if shape is None else (n if n >= 0 else None, *shape[1:]), specs[0].dtype)]


@register("DenseListStack", shape=_list_stack_shape)
def dense_list_stack(buffer, *, num_elements=-1):
    return buffer


declare(
    "DenseListGather",
    inputs=("buffer: T", "indices: int32"),
    outputs=("values: T",),
    attrs=("T: type",),
)


def _list_gather_shape(specs, attrs, static_values):
    buffer, indices = specs
    if buffer.shape is None or indices.shape is None:
        return [Spec(None, buffer.dtype)]
    return [Spec((*indices.shape, *buffer.shape[1:]), buffer.dtype)]


@register("DenseListGather", shape=_list_gather_shape)
def dense_list_gather(buffer, indices):
    if _strings(buffer):
        return np.take(np.asarray(buffer), np.asarray(indices), axis=0)
    return jnp.take(buffer, indices, axis=0)


declare(
    "DenseListScatter",
    inputs=("buffer: T", "tensor: Ttensor", "indices: int32"),
    outputs=("output: T",),
    attrs=("T: type", "Ttensor: type"),
)


@register("DenseListScatter", shape=lambda specs, attrs, static_values: [specs[0]])
def dense_list_scatter(buffer, tensor, indices):
    if _strings(buffer):
        out = np.array(buffer, dtype=object)
        out[np.asarray(indices)] = np.asarray(tensor, dtype=object)
        return out
    return jnp.asarray(buffer).at[indices].set(jnp.asarray(tensor, buffer.dtype))
