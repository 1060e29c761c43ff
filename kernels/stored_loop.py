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
    residuals: `kinds` (per residual leaf: `("step", k)` stored per step, `("dynamic", k)`
    a loop-invariant argument, `("const", value)`) and the pullback's tree."""

    call: object
    bound: int
    firsts: tuple
    kinds: list = field(default_factory=list)
    tree: object = None

    def run(self, count, carry, buffers, dynamic):
        def body(i, state):
            c, bufs = state
            c, elements = self.call(i, c, dynamic)
            return c, _written(bufs, elements, self.firsts, i)

        return lax.fori_loop(0, count, body, (carry, buffers))

    def linear(self, i, c, buffers, dynamic, wrt):
        """`(pullback, carry, elements)` of step `i`, differentiable in the floating-point
        carry leaves and the dynamic values listed in `wrt`."""
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

        primals = ([x for x, fl in zip(c_leaves, c_float) if fl], [dynamic[k] for k in wrt])
        _, pull, (new, elements) = jax.vjp(f, *primals, has_aux=True)
        return pull, new, elements

    def residuals(self, pull, dynamic) -> list:
        """The residual leaves stored per step, recording how to rebuild the others."""
        leaves, self.tree = jax.tree_util.tree_flatten(pull)
        kinds, stored = [], []
        for leaf in leaves:
            k = next((k for k, d in enumerate(dynamic) if leaf is d), None)
            if k is not None:
                kinds.append(("dynamic", k))
            elif not isinstance(leaf, jax.core.Tracer):
                kinds.append(("const", leaf))
            else:
                kinds.append(("step", len(stored)))
                stored.append(leaf)
        self.kinds = kinds
        return stored

    def pullback(self, stored, k, dynamic):
        """Step `k`'s pullback, rebuilt from its stored residual rows."""
        leaves = []
        for kind, where in self.kinds:
            if kind == "step":
                leaves.append(lax.dynamic_index_in_dim(stored[where], k, 0, keepdims=False))
            else:
                leaves.append(dynamic[where] if kind == "dynamic" else where)
        return jax.tree_util.tree_unflatten(self.tree, leaves)


def _differentiable(loop: _Loop):
    @jax.custom_vjp
    def run(count, carry, buffers, dynamic):
        return loop.run(count, carry, buffers, dynamic)

    def forward(count, carry, buffers, dynamic):
        perturbed = [d.perturbed and _is_inexact(d.value) for d in dynamic]
        count, carry, buffers, dynamic = _values((count, carry, buffers, dynamic))
        wrt = tuple(k for k, p in enumerate(perturbed) if p)

        def residual_rows(i, c):
            return loop.residuals(loop.linear(i, c, buffers, dynamic, wrt)[0], dynamic)

        rows = jax.eval_shape(residual_rows, jnp.int32(0), carry)
        stored = [jnp.zeros((loop.bound, *r.shape), r.dtype) for r in rows]

        def body(i, state):
            c, bufs, stored = state
            pull, c, elements = loop.linear(i, c, buffers, dynamic, wrt)
            rows = loop.residuals(pull, dynamic)
            stored = [lax.dynamic_update_index_in_dim(s, r, i, 0) for s, r in zip(stored, rows)]
            return c, _written(bufs, elements, loop.firsts, i), stored

        carry, buffers, stored = lax.fori_loop(0, count, body, (carry, buffers, stored))
        return (carry, buffers), (count, stored, dynamic, wrt)

    def backward(residuals, cotangent):
        count, stored, dynamic, wrt = residuals
        return _reverse(loop, count, stored, dynamic, wrt, cotangent)

    run.defvjp(forward, backward, symbolic_zeros=True)
    return run


def _reverse(loop: _Loop, count, stored, dynamic, wrt, cotangent):
    """The cotangents of the loop's arguments: its steps' pullbacks, last to first."""
    ct_carry, ct_buffers = cotangent
    c_leaves, c_tree = jax.tree_util.tree_flatten(ct_carry, is_leaf=_is_zero)
    c_float = [_is_inexact(x) for x in c_leaves]
    ct_c = [_instantiate(x) for x, fl in zip(c_leaves, c_float) if fl]
    b_float = [_is_inexact(b) for b in ct_buffers]
    ct_b = [_instantiate(b) for b, fl in zip(ct_buffers, b_float) if fl]
    firsts = [f for f, fl in zip(loop.firsts, b_float) if fl]
    acc = [jnp.zeros_like(dynamic[k]) for k in wrt]

    def back(state):
        k, ct_c, acc = state
        pull = loop.pullback(stored, k, dynamic)
        ct_e = [lax.dynamic_index_in_dim(b, k + f, 0, keepdims=False) for b, f in zip(ct_b, firsts)]
        ct_c, ct_d = pull(ct_c + ct_e)
        return k - 1, list(ct_c), [a + d for a, d in zip(acc, ct_d)]

    _, ct_c, acc = lax.while_loop(lambda s: s[0] >= 0, back, (count - 1, ct_c, acc))
    ct_dynamic = [None] * len(dynamic)
    for k, a in zip(wrt, acc):
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


def _written(buffers, elements, firsts, i) -> tuple:
    return tuple(
        lax.dynamic_update_index_in_dim(b, jnp.asarray(e, b.dtype), f + i, 0)
        for b, e, f in zip(buffers, elements, firsts)
    )


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
