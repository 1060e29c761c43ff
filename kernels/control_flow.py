"""Control-flow kernels: NoOp (the op that `tf.group` and control dependencies hang on) and
the functional ops If, Case and While, lowered to lax.cond, lax.switch and loops."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from kernels import cancel
from kernels.errors import DeadlineExceededError, InvalidArgumentError
from kernels.op_def import declare
from kernels.registry import RNG, Effects, Spec, register

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
    written at the counter, and the first index written), `eager` (a host loop whose
    body runs op by op: it holds ops that need the session, such as queue ops).
    """

    DEFAULTS = {
        "back_prop": True,
        "bound": -1,
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
    }

    @classmethod
    def of(cls, **fields) -> "LoopSpec":
        unknown = set(fields) - set(cls.DEFAULTS)
        if unknown:
            raise TypeError(f"LoopSpec has no fields {sorted(unknown)}")
        return cls(sorted({**cls.DEFAULTS, **fields}.items()))

    def __getattr__(self, name: str):
        for key, value in self:
            if key == name:
                return value
        if name in self.DEFAULTS:
            return self.DEFAULTS[name]
        raise AttributeError(name)


def _declared_outputs(specs, attrs, static_values):
    # While's T lists every input's type: the loop variables (its outputs) come first.
    types = attrs["Tout"] if "Tout" in attrs else attrs["T"]
    return [
        Spec(tuple(s) if s is not None else None, np.dtype(t))
        for t, s in zip(types, attrs["output_shapes"])
    ]


@register("If", shape=_declared_outputs, effects=_FUNCTIONAL)
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
):
    """lax.cond; a cond whose branches hold host ops runs on the host, one branch only.
    `_switch`: made by TF1's `tf.cond` (a Switch there), whose predicate must be a scalar;
    else TF's If, where a non-scalar predicate is true when it is not empty."""
    if _switch and np.ndim(cond) != 0:
        shape = ",".join(str(d) for d in np.shape(cond))
        raise InvalidArgumentError(
            None, None, f"The second input must be a scalar, but it has shape [{shape}]"
        )
    if _host:
        pred = np.asarray(cond)
        taken = bool(pred) if pred.ndim == 0 else pred.size > 0
        return tuple(then_branch(*input) if taken else else_branch(*input))
    pred = jnp.asarray(cond)
    pred = pred.astype(bool) if pred.ndim == 0 else pred.size > 0  # TF: non-empty is true
    return tuple(lax.cond(pred, then_branch, else_branch, *input))


@register("Case", shape=_declared_outputs, effects=_FUNCTIONAL)
def case(branch_index, *input, branches, Tout=(), output_shapes=(), _writes=(), _host=False):
    n = len(branches)
    if _host:
        index = int(np.asarray(branch_index))
        return tuple(branches[index if 0 <= index < n else n - 1](*input))
    index = jnp.asarray(branch_index, jnp.int32)
    index = jnp.where((index < 0) | (index >= n), n - 1, index)  # out of range: the last
    return tuple(lax.switch(index, branches, *input))


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
    """TF's While: loop variables first, then the values the bodies capture.

    A counting loop whose trip count the graph fixes (`trip_count`) is a plain
    `lax.scan`. With a static `maximum_iterations` the loop is a `lax.scan` of that many steps that
    stops updating once `cond` is false (so reverse-mode differentiation works); otherwise
    a `lax.while_loop`, bounded by the input `limit` if there is one. `_host` loops
    (shapes that change between iterations) run in Python, each step a compiled call.
    """
    spec = LoopSpec(_loop)
    n, rng, trip_count = spec.loop_vars, spec.rng, spec.trip_count
    maximum_iterations = spec.maximum_iterations
    limit = input[spec.limit] if spec.limit >= 0 else None
    if limit is not None and spec.limit in spec.static:  # known when compiled: a static bound
        maximum_iterations, limit = max(int(np.asarray(limit)), 0), None
    if spec.bound >= 0:  # a counting loop whose bound is computed from shapes
        trip_count = _counted_trips(np.asarray(input[spec.bound]), spec.counting)
    if trip_count >= 0 and maximum_iterations >= 0:
        trip_count = min(trip_count, maximum_iterations)
    writes = list(_writes)
    captured = list(input[n:])

    def args_for(i, loop_vars, ref_values):
        args = list(loop_vars) + captured
        for pos, value in zip(writes, ref_values):
            args[pos] = value
        if rng >= 0:
            key = jax.random.wrap_key_data(args[rng], impl="threefry2x32")
            args[rng] = jax.random.key_data(jax.random.fold_in(key, i))
        return args

    def pred(i, loop_vars, ref_values):
        p = jnp.asarray(cond(*args_for(i, loop_vars, ref_values))[0]).astype(bool).reshape(())
        return p if limit is None else jnp.logical_and(p, i < limit)

    def step(i, loop_vars, ref_values):
        out = body(*args_for(i, loop_vars, ref_values))
        return tuple(out[:n]), tuple(out[n:])

    loop_vars = tuple(input[:n])
    ref_values = tuple(input[p] for p in writes)
    if _host:
        return _host_while(pred, step, loop_vars, ref_values, maximum_iterations, spec.eager)
    if trip_count >= 0:  # a counting loop: exactly this many steps, no test
        stacked = dict(zip(spec.stacked, spec.stacked_from))
        return _counted_loop(step, loop_vars, ref_values, trip_count, stacked)
    if maximum_iterations >= 0:

        def masked(carry, _):
            i, done, vs, rs = carry
            go = jnp.logical_and(jnp.logical_not(done), pred(i, vs, rs))
            vs, rs = lax.cond(go, step, lambda i, vs, rs: (vs, rs), i, vs, rs)
            return (i + go.astype(jnp.int32), jnp.logical_not(go), vs, rs), None

        init = (jnp.int32(0), jnp.bool_(False), loop_vars, ref_values)
        (_, _, vs, rs), _ = lax.scan(masked, init, None, length=maximum_iterations)
        return vs + rs

    def go(carry):
        return pred(*carry)

    def next_(carry):
        i, vs, rs = carry
        vs, rs = step(i, vs, rs)
        return i + 1, vs, rs

    if limit is None:  # no bound: a run's deadline must be able to stop it
        return _polled_while(go, next_, loop_vars, ref_values)
    _, vs, rs = lax.while_loop(go, next_, (jnp.int32(0), loop_vars, ref_values))
    return vs + rs


_POLL_EVERY = 1 << 14


def _poll() -> None:
    jax.debug.callback(cancel.check)


def _polled_while(go, next_, loop_vars, ref_values) -> tuple:
    """`lax.while_loop(go, next_)` run in chunks of `_POLL_EVERY` steps, the run's deadline
    checked after each full one (from the host: a few ns a step). A chunk ends early when `go` is
    false; the outer loop stops after a short chunk (and, when `go` turns false at a chunk's
    end, after one more empty chunk that tests `go` once more)."""

    def chunk(carry):
        i, vs, rs, _ = carry
        inner = lambda c: jnp.logical_and(go(c), c[0] - i < _POLL_EVERY)  # noqa: E731
        end, vs, rs = lax.while_loop(inner, next_, (i, vs, rs))
        lax.cond(end - i == _POLL_EVERY, _poll, lambda: None)  # going on: may it?
        return end, vs, rs, i

    init = (jnp.int32(0), loop_vars, ref_values, jnp.int32(-_POLL_EVERY))
    _, vs, rs, _ = lax.while_loop(lambda c: c[0] - c[3] == _POLL_EVERY, chunk, init)
    return vs + rs


def _counted_trips(bound, count) -> int:
    start, stride, less, inclusive = count
    span = (float(bound) - start) if less else (start - float(bound))
    return max(0, int(np.ceil((span + inclusive) / abs(stride))))


def _counted_loop(step, loop_vars, ref_values, trips: int, stacked: dict) -> tuple:
    """`trips` steps of a `lax.scan`. Loop variables in `stacked` are TensorArrays written
    at the counter: the body yields their elements, which the scan stacks (scan outputs
    instead of a buffer carried and updated every step), written once after the loop."""
    n = len(loop_vars)

    def counted(carry, _):
        i, vs, rs = carry
        args = tuple(loop_vars[j] if j in stacked else vs[j] for j in range(n))
        new, rs = step(i, args, rs)
        vs = tuple(None if j in stacked else new[j] for j in range(n))
        return (i + 1, vs, rs), tuple(new[j] for j in stacked)

    init_vs = tuple(None if j in stacked else v for j, v in enumerate(loop_vars))
    (_, vs, rs), ys = lax.scan(counted, (jnp.int32(0), init_vs, ref_values), None, length=trips)
    out = list(vs)
    for (j, first), elements in zip(stacked.items(), ys):
        buffer = loop_vars[j]
        elements = elements.astype(buffer.dtype)
        if first == 0 and elements.shape == buffer.shape:
            out[j] = elements
        else:
            out[j] = lax.dynamic_update_slice_in_dim(jnp.asarray(buffer), elements, first, 0)
    return tuple(out) + tuple(rs)


def _host_while(pred, step, loop_vars, ref_values, maximum_iterations, eager: bool):
    # Shapes may change between iterations: each step is a compiled call (cached per shape),
    # unless the body needs the session (queue ops): then it runs op by op.
    if not eager:
        pred, step = jax.jit(pred), jax.jit(step)
    i = 0
    while (maximum_iterations < 0 or i < maximum_iterations) and bool(
        pred(i, loop_vars, ref_values)
    ):
        if cancel.expired():
            raise DeadlineExceededError(None, None, "Timed out waiting for notification")
        loop_vars, ref_values = step(i, loop_vars, ref_values)
        i += 1
    return tuple(loop_vars) + tuple(ref_values)


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
    return lax.dynamic_index_in_dim(buffer, jnp.asarray(index), 0, keepdims=False)


declare(
    "DenseListSetItem",
    inputs=("buffer: T", "index: int32", "item: Titem"),
    outputs=("output: T",),
    attrs=("T: type", "Titem: type", "size: int = -1"),
)


@register("DenseListSetItem", shape=_list_set_shape)
def dense_list_set_item(buffer, index, item, *, size: int = -1):
    return lax.dynamic_update_index_in_dim(
        buffer, jnp.asarray(item, buffer.dtype), jnp.asarray(index), 0
    )


declare(
    "DenseListGather",
    inputs=("buffer: T", "indices: int32"),
    outputs=("values: T",),
    attrs=("T: type",),
)


@register("DenseListGather")
def dense_list_gather(buffer, indices):
    return jnp.take(buffer, indices, axis=0)


declare(
    "DenseListScatter",
    inputs=("buffer: T", "tensor: Ttensor", "indices: int32"),
    outputs=("output: T",),
    attrs=("T: type", "Ttensor: type"),
)


@register("DenseListScatter")
def dense_list_scatter(buffer, tensor, indices):
    return jnp.asarray(buffer).at[indices].set(jnp.asarray(tensor, buffer.dtype))
