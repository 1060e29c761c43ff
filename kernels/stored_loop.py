"""A loop whose trip count only the run knows, differentiated at the cost of a `lax.scan`.

Reverse-mode differentiation cannot pass a `lax.while_loop`, and a `lax.scan` needs its
length when compiled. Given a static bound on the trip count, the forward pass here is a
`lax.while_loop` of exactly the run's steps that stores each step's VJP residuals (the
values `jax.vjp` keeps for the pullback) in buffers of `bound` rows; the backward pass is
a `lax.while_loop` applying the steps' pullbacks last to first from those rows. That is
what `lax.scan`'s own differentiation does, without running, masking or storing any step
past the trip count (so no padded step can put an Inf or NaN into a result or gradient).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
from jax import lax
from jax.custom_derivatives import SymbolicZero


def stored_loop(step, count, bound: int, carry, buffers: tuple, firsts: tuple):
    """`count` (traced, `0 <= count <= bound`) steps of `step(i, carry) -> (carry,
    elements)`: element `j` of step `i` lands in row `firsts[j] + i` of `buffers[j]`.

    Returns `(carry, buffers)`. The values `step` closes over (traced or not) become
    arguments of the differentiated loop, so gradients reach them.
    """
    carry = jax.tree_util.tree_map(jnp.asarray, carry)
    closed, shape = jax.make_jaxpr(step, return_shape=True)(jnp.int32(0), carry)
    out_tree = jax.tree_util.tree_structure(shape)

    # A custom_vjp function closes over no values (jax's checkify loses count of them).
    def call(i, c, closed_over):
        args = jax.tree_util.tree_leaves((i, c))
        out = jax.core.eval_jaxpr(closed.jaxpr, closed_over, *args)
        return jax.tree_util.tree_unflatten(out_tree, out)

    loop = _differentiable(_Loop(call, bound, tuple(firsts)))
    return loop(jnp.asarray(count, jnp.int32), carry, tuple(buffers), list(closed.consts))


@dataclass
class _Loop:
    """A loop's step and static layout, and what its forward pass learned about the
    residuals: `kinds`, per residual leaf, `("step", k)` (stored per step in `stored[k]`),
    `("in", m)` / `("out", m)` (the step's floating-point carry leaf `m` as it came in /
    went out: rows `k` / `k + 1` of the carries `history[m]`, stored once for both),
    `("dynamic", k)` (a loop-invariant argument) or `("const", value)`; the pullback's
    tree; and `wrt`, the dynamic values differentiated."""

    call: object
    bound: int
    firsts: tuple
    kinds: list = field(default_factory=list)
    tree: object = None
    wrt: tuple = ()

    def run(self, count, carry, buffers, dynamic):
        def body(i, state):
            c, bufs = state
            c, elements = self.call(i, c, dynamic)
            return c, _written(bufs, elements, self.firsts, i)

        return lax.fori_loop(0, count, body, (carry, buffers))

    def linear(self, i, c, buffers, dynamic, wrt):
        """Step `i` differentiated in the floating-point carry leaves and the dynamic
        values listed in `wrt`: `(pullback, (carry in, carry out), carry, elements)` with
        the floating-point carry leaves in and out as lists."""
        c_leaves, c_tree = jax.tree_util.tree_flatten(c)
        c_float = [_is_inexact(x) for x in c_leaves]
        e_float = [_is_inexact(b) for b in buffers]

        def f(cf, df):
            full = jax.tree_util.tree_unflatten(c_tree, _merge(c_leaves, c_float, cf))
            d = list(dynamic)
            for k, value in zip(wrt, df):
                d[k] = value
            new, elements = self.call(i, full, d)
            elements = [jnp.asarray(e, b.dtype) for e, b in zip(elements, buffers)]
            new_leaves = jax.tree_util.tree_leaves(new)
            diff = [x for x, fl in zip(new_leaves, c_float) if fl]
            return diff + [e for e, fl in zip(elements, e_float) if fl], (new, elements)

        c_in = [x for x, fl in zip(c_leaves, c_float) if fl]
        out, pull, (new, elements) = jax.vjp(f, c_in, [dynamic[k] for k in wrt], has_aux=True)
        return pull, (c_in, out[: len(c_in)]), new, elements

    def residuals(self, pull, carries, dynamic) -> list:
        """The residual leaves stored per step, recording how to rebuild the others."""
        leaves, self.tree = jax.tree_util.tree_flatten(pull)
        kinds, stored = [], []
        for leaf in leaves:
            kind = _found(leaf, ("in", carries[0]), ("out", carries[1]), ("dynamic", dynamic))
            if kind is None and not isinstance(leaf, jax.core.Tracer):
                kind = ("const", leaf)
            elif kind is None:
                kind = ("step", len(stored))
                stored.append(leaf)
            kinds.append(kind)
        self.kinds = kinds
        return stored

    def kept_carries(self) -> set:
        """The carry leaves that some step's residuals are."""
        return {m for kind, m in self.kinds if kind in ("in", "out")}

    def pullback(self, stored, history, k, dynamic):
        """Step `k`'s pullback, rebuilt from its stored residual rows."""
        rows = {"step": (stored, k), "in": (history, k), "out": (history, k + 1)}
        leaves = []
        for kind, where in self.kinds:
            if kind in rows:
                buffers, row = rows[kind]
                leaves.append(lax.dynamic_index_in_dim(buffers[where], row, 0, keepdims=False))
            else:
                leaves.append(dynamic[where] if kind == "dynamic" else where)
        return jax.tree_util.tree_unflatten(self.tree, leaves)


def _found(leaf, *places):
    """`(name, index)` of the first place whose list holds `leaf` itself, or None."""
    for name, values in places:
        for k, value in enumerate(values):
            if leaf is value:
                return name, k
    return None


def _differentiable(loop: _Loop):
    @jax.custom_vjp
    def run(count, carry, buffers, dynamic):
        return loop.run(count, carry, buffers, dynamic)

    def forward(count, carry, buffers, dynamic):
        perturbed = [d.perturbed and _is_inexact(d.value) for d in dynamic]
        count, carry, buffers, dynamic = _values((count, carry, buffers, dynamic))
        wrt = loop.wrt = tuple(k for k, p in enumerate(perturbed) if p)  # static: not a residual

        def residual_rows(i, c):
            pull, carries, _, _ = loop.linear(i, c, buffers, dynamic, wrt)
            return loop.residuals(pull, carries, dynamic), carries[0]

        rows, c_in = jax.eval_shape(residual_rows, jnp.int32(0), carry)
        kept = loop.kept_carries()
        stored = [jnp.zeros((loop.bound, *r.shape), r.dtype) for r in rows]
        history = {m: jnp.zeros((loop.bound + 1, *c_in[m].shape), c_in[m].dtype) for m in kept}

        def body(i, state):
            c, bufs, stored, history = state
            pull, carries, c, elements = loop.linear(i, c, buffers, dynamic, wrt)
            rows = loop.residuals(pull, carries, dynamic)
            stored = [lax.dynamic_update_index_in_dim(s, r, i, 0) for s, r in zip(stored, rows)]
            history = {m: _put(h, carries[0][m], i) for m, h in history.items()}
            return c, _written(bufs, elements, loop.firsts, i), stored, history

        state = (carry, buffers, stored, history)
        carry, buffers, stored, history = lax.fori_loop(0, count, body, state)
        final = [x for x in jax.tree_util.tree_leaves(carry) if _is_inexact(x)]
        history = {m: _put(h, final[m], count) for m, h in history.items()}  # the last out
        return (carry, buffers), (count, stored, history, dynamic)

    def backward(residuals, cotangent):
        return _reverse(loop, *residuals, cotangent)

    run.defvjp(forward, backward, symbolic_zeros=True)
    return run


def _reverse(loop: _Loop, count, stored, history, dynamic, cotangent):
    """The cotangents of the loop's arguments: its steps' pullbacks, last to first."""
    ct_carry, ct_buffers = cotangent
    c_leaves, c_tree = jax.tree_util.tree_flatten(ct_carry, is_leaf=_is_zero)
    c_float = [_is_inexact(x) for x in c_leaves]
    ct_c = [_instantiate(x) for x, fl in zip(c_leaves, c_float) if fl]
    b_float = [_is_inexact(b) for b in ct_buffers]
    ct_b = [_instantiate(b) for b, fl in zip(ct_buffers, b_float) if fl]
    firsts = [f for f, fl in zip(loop.firsts, b_float) if fl]
    acc = [jnp.zeros_like(dynamic[k]) for k in loop.wrt]

    def back(state):
        k, ct_c, acc = state
        pull = loop.pullback(stored, history, k, dynamic)
        ct_e = [_cotangent_row(b, k + f) for b, f in zip(ct_b, firsts)]
        ct_c, ct_d = pull(ct_c + ct_e)
        return k - 1, list(ct_c), [a + d for a, d in zip(acc, ct_d)]

    _, ct_c, acc = lax.while_loop(lambda s: s[0] >= 0, back, (count - 1, ct_c, acc))
    ct_dynamic = [None] * len(dynamic)
    for k, a in zip(loop.wrt, acc):
        ct_dynamic[k] = a
    full = _merge([None] * len(c_leaves), c_float, ct_c)
    # An initial buffer's rows that the loop wrote get no cotangent: one select after the
    # loop (zeroing a row at each step made XLA copy the whole buffer at each step).
    unwritten = [_unwritten(b, f, count) for b, f in zip(ct_b, firsts)]
    ct_buffers = _merge([None] * len(ct_buffers), b_float, unwritten)
    return None, jax.tree_util.tree_unflatten(c_tree, full), tuple(ct_buffers), ct_dynamic


def _unwritten(ct, first: int, count):
    rows = jnp.arange(ct.shape[0]).reshape((-1,) + (1,) * (ct.ndim - 1))
    return jnp.where((rows >= first) & (rows < first + count), jnp.zeros((), ct.dtype), ct)


def _put(buffer, row, i):
    return lax.dynamic_update_index_in_dim(buffer, row, i, 0)


def _written(buffers, elements, firsts, i) -> tuple:
    """`buffers` with `elements` at rows `firsts + i`; a row past a buffer's end is dropped
    (a write there changes nothing, as when the loop's buffers were written after it)."""
    out = []
    for b, e, f in zip(buffers, elements, firsts):
        e = jnp.where(f + i < b.shape[0], jnp.asarray(e, b.dtype), _read(b, f + i))
        out.append(lax.dynamic_update_index_in_dim(b, e, f + i, 0))
    return tuple(out)


def _read(buffer, r):
    """Row `r` of `buffer` (clamped to its last row)."""
    return lax.dynamic_index_in_dim(buffer, r, 0, keepdims=False)


def _cotangent_row(ct, r):
    """Row `r` of a buffer's cotangent: zeros for a row past its end (never written)."""
    return jnp.where(r < ct.shape[0], _read(ct, r), jnp.zeros((), ct.dtype))


def _merge(leaves, chosen, values) -> list:
    """`leaves` with those `chosen` replaced, in order, by `values`."""
    it = iter(values)
    return [next(it) if c else x for x, c in zip(leaves, chosen)]


def _values(tree):
    return jax.tree_util.tree_map(lambda p: p.value, tree)


def _is_inexact(x) -> bool:
    return jnp.issubdtype(x.dtype, jnp.inexact)


def _is_zero(x) -> bool:
    return isinstance(x, SymbolicZero)


def _instantiate(x):
    return jnp.zeros(x.shape, x.dtype) if _is_zero(x) else x
