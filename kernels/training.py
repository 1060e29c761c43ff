"""Training-op kernels: one fused update of a variable and its slots per optimizer step."""

from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp
from jax import lax

from kernels.op_def import declare
from kernels.registry import Effects, Spec, register

Array = jax.Array


def _refs(*names: str) -> Effects:
    return Effects(updates=names, ref_output=True)


def _var_shape(specs, attrs, static_values) -> list[Spec]:
    return [specs[0]]


def _dedup_shape(specs, attrs, static_values) -> list[Spec]:
    return [specs[0], specs[1]]


# -- sparse plumbing -------------------------------------------------------------------------


def _sparse(rule: Callable, indices: Array, *refs: Array):
    """Applies `rule` to the rows `indices` of `refs` and writes only those rows back.

    Indices past the first dimension (the padding of `DeduplicateIndexedSlices`) read a
    clamped row and are dropped on the write, so they change nothing.
    """
    indices = jnp.asarray(indices)
    rows = [jnp.take(r, indices, axis=0, mode="clip") for r in refs]
    new_rows = rule(*rows)
    new = tuple(r.at[indices].set(n, mode="drop") for r, n in zip(refs, new_rows))
    return new if len(new) > 1 else new[0]


# flowgraph-specific: TF1 sums repeated rows with Unique + UnsortedSegmentSum.
declare(
    "DeduplicateIndexedSlices",
    inputs=("values: T", "indices: Tindices"),
    outputs=("unique_values: T", "unique_indices: Tindices"),
    attrs=("T: type", "Tindices: {int32, int64}"),
)


@register("DeduplicateIndexedSlices", shape=_dedup_shape)
def deduplicate_indexed_slices(values, indices):
    # TF1 sums repeated rows with Unique + UnsortedSegmentSum, whose length depends on the
    # data; this keeps the length static (one compiled step): the k-th smallest distinct
    # index and its summed rows sit at position k, and the positions left over hold a zero
    # row at an index past any variable's first dimension.
    values, indices = jnp.asarray(values), jnp.asarray(indices)
    n = indices.shape[0]
    order = jnp.argsort(indices, stable=True)
    ordered = indices[order]
    starts = jnp.concatenate([jnp.ones((min(n, 1),), bool), ordered[1:] != ordered[:-1]])
    segment = jnp.cumsum(starts) - 1
    summed = jax.ops.segment_sum(values[order], segment, n, indices_are_sorted=True)
    pad = jnp.iinfo(indices.dtype).max
    unique = jnp.full_like(indices, pad).at[segment].set(ordered)
    return summed, unique


# -- update rules (TF's training_ops.cc, written once for dense and sparse) -----------------


def _proximal(prox, lr, l1, l2):
    # TF's `if (l1 > 0)` branch: with l1 <= 0 it is the same as the plain shrink.
    l1 = jnp.maximum(l1, 0)
    return jnp.sign(prox) * jnp.maximum(jnp.abs(prox) - lr * l1, 0) / (1 + l2 * lr)


def _proximal_gradient_descent(var, alpha, l1, l2, delta):
    return _proximal(var - delta * alpha, alpha, l1, l2)


def _momentum(var, accum, lr, grad, momentum, use_nesterov):
    accum = accum * momentum + grad
    step = grad * lr + accum * momentum * lr if use_nesterov else accum * lr
    return var - step, accum


def _adagrad(var, accum, lr, grad, update_slots):
    if update_slots:
        accum = accum + grad * grad
    return var - grad * lr * lax.rsqrt(accum), accum


def _proximal_adagrad(var, accum, lr, l1, l2, grad):
    accum = accum + grad * grad
    rate = lr * lax.rsqrt(accum)
    return _proximal(var - grad * rate, rate, l1, l2), accum


def _adagrad_da(var, g_acc, gg_acc, grad, lr, l1, l2, global_step):
    g_acc = g_acc + grad
    gg_acc = gg_acc + grad * grad
    step = global_step.astype(var.dtype)
    l1 = jnp.maximum(l1, 0)
    shrunk = jnp.sign(g_acc) * jnp.maximum(jnp.abs(g_acc) - step * l1, 0)
    var = -lr * shrunk / (l2 * step * lr + jnp.sqrt(gg_acc))
    return var, g_acc, gg_acc


def _adadelta(var, accum, accum_update, lr, rho, epsilon, grad):
    accum = accum * rho + grad * grad * (1 - rho)
    update = jnp.sqrt(accum_update + epsilon) * lax.rsqrt(accum + epsilon) * grad
    accum_update = accum_update * rho + update * update * (1 - rho)
    return var - update * lr, accum, accum_update


def _rms_prop(var, ms, mom, lr, rho, momentum, epsilon, grad):
    ms = ms + (grad * grad - ms) * (1 - rho)
    mom = mom * momentum + grad * lr / jnp.sqrt(ms + epsilon)
    return var - mom, ms, mom


def _centered_rms_prop(var, mg, ms, mom, lr, rho, momentum, epsilon, grad):
    ms = ms + (grad * grad - ms) * (1 - rho)
    mg = mg + (grad - mg) * (1 - rho)
    mom = mom * momentum + grad * lr / jnp.sqrt(ms - mg * mg + epsilon)
    return var - mom, mg, ms, mom


def _ftrl(var, accum, linear, grad, lr, l1, l2, lr_power, l2_shrinkage=None):
    def power(a):  # TF special-cases lr_power == -0.5 as a square root
        return jnp.where(lr_power == -0.5, jnp.sqrt(a), a**-lr_power)

    shrunk_grad = grad if l2_shrinkage is None else grad + 2 * l2_shrinkage * var
    new_accum = accum + grad * grad
    linear = linear + shrunk_grad - (power(new_accum) - power(accum)) / lr * var
    x = l1 * jnp.sign(linear) - linear
    y = power(new_accum) / lr + 2 * l2
    var = jnp.where(jnp.abs(linear) > l1, x / y, jnp.zeros_like(var))
    return var, new_accum, linear


def _adam(var, m, v, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad, use_nesterov):
    alpha = lr * jnp.sqrt(1 - beta2_power) / (1 - beta1_power)
    m = m + (grad - m) * (1 - beta1)
    v = v + (grad * grad - v) * (1 - beta2)
    step = grad * (1 - beta1) + beta1 * m if use_nesterov else m
    return var - step * alpha / (jnp.sqrt(v) + epsilon), m, v


# -- the op types: dense Apply* and their Sparse* twins ----------------------------------------


@register("ApplyGradientDescent", effects=_refs("var"), shape=_var_shape)
def apply_gradient_descent(var, alpha, delta, *, use_locking=False):
    return var - delta * alpha


@register("ApplyProximalGradientDescent", effects=_refs("var"), shape=_var_shape)
def apply_proximal_gradient_descent(var, alpha, l1, l2, delta, *, use_locking=False):
    return _proximal_gradient_descent(var, alpha, l1, l2, delta)


@register("SparseApplyProximalGradientDescent", effects=_refs("var"), shape=_var_shape)
def sparse_apply_proximal_gradient_descent(var, alpha, l1, l2, grad, indices, *, use_locking=False):
    return _sparse(lambda v: (_proximal_gradient_descent(v, alpha, l1, l2, grad),), indices, var)


@register("ApplyMomentum", effects=_refs("var", "accum"), shape=_var_shape)
def apply_momentum(var, accum, lr, grad, momentum, *, use_locking=False, use_nesterov=False):
    return _momentum(var, accum, lr, grad, momentum, use_nesterov)


@register("SparseApplyMomentum", effects=_refs("var", "accum"), shape=_var_shape)
def sparse_apply_momentum(
    var, accum, lr, grad, indices, momentum, *, use_locking=False, use_nesterov=False
):
    def rule(v, a):
        return _momentum(v, a, lr, grad, momentum, use_nesterov)

    return _sparse(rule, indices, var, accum)


@register("ApplyAdagrad", effects=_refs("var", "accum"), shape=_var_shape)
def apply_adagrad(var, accum, lr, grad, *, use_locking=False, update_slots=True):
    return _adagrad(var, accum, lr, grad, update_slots)


@register("SparseApplyAdagrad", effects=_refs("var", "accum"), shape=_var_shape)
def sparse_apply_adagrad(var, accum, lr, grad, indices, *, use_locking=False, update_slots=True):
    return _sparse(lambda v, a: _adagrad(v, a, lr, grad, update_slots), indices, var, accum)


@register("ApplyProximalAdagrad", effects=_refs("var", "accum"), shape=_var_shape)
def apply_proximal_adagrad(var, accum, lr, l1, l2, grad, *, use_locking=False):
    return _proximal_adagrad(var, accum, lr, l1, l2, grad)


@register("SparseApplyProximalAdagrad", effects=_refs("var", "accum"), shape=_var_shape)
def sparse_apply_proximal_adagrad(var, accum, lr, l1, l2, grad, indices, *, use_locking=False):
    return _sparse(lambda v, a: _proximal_adagrad(v, a, lr, l1, l2, grad), indices, var, accum)


_DA_REFS = _refs("var", "gradient_accumulator", "gradient_squared_accumulator")


@register("ApplyAdagradDA", effects=_DA_REFS, shape=_var_shape)
def apply_adagrad_da(
    var,
    gradient_accumulator,
    gradient_squared_accumulator,
    grad,
    lr,
    l1,
    l2,
    global_step,
    *,
    use_locking=False,
):
    return _adagrad_da(
        var, gradient_accumulator, gradient_squared_accumulator, grad, lr, l1, l2, global_step
    )


@register("SparseApplyAdagradDA", effects=_DA_REFS, shape=_var_shape)
def sparse_apply_adagrad_da(
    var,
    gradient_accumulator,
    gradient_squared_accumulator,
    grad,
    indices,
    lr,
    l1,
    l2,
    global_step,
    *,
    use_locking=False,
):
    def rule(v, g_acc, gg_acc):
        return _adagrad_da(v, g_acc, gg_acc, grad, lr, l1, l2, global_step)

    return _sparse(rule, indices, var, gradient_accumulator, gradient_squared_accumulator)


_ADADELTA_REFS = _refs("var", "accum", "accum_update")


@register("ApplyAdadelta", effects=_ADADELTA_REFS, shape=_var_shape)
def apply_adadelta(var, accum, accum_update, lr, rho, epsilon, grad, *, use_locking=False):
    return _adadelta(var, accum, accum_update, lr, rho, epsilon, grad)


@register("SparseApplyAdadelta", effects=_ADADELTA_REFS, shape=_var_shape)
def sparse_apply_adadelta(
    var, accum, accum_update, lr, rho, epsilon, grad, indices, *, use_locking=False
):
    def rule(v, a, u):
        return _adadelta(v, a, u, lr, rho, epsilon, grad)

    return _sparse(rule, indices, var, accum, accum_update)


@register("ApplyRMSProp", effects=_refs("var", "ms", "mom"), shape=_var_shape)
def apply_rms_prop(var, ms, mom, lr, rho, momentum, epsilon, grad, *, use_locking=False):
    return _rms_prop(var, ms, mom, lr, rho, momentum, epsilon, grad)


@register("SparseApplyRMSProp", effects=_refs("var", "ms", "mom"), shape=_var_shape)
def sparse_apply_rms_prop(
    var, ms, mom, lr, rho, momentum, epsilon, grad, indices, *, use_locking=False
):
    def rule(v, s, m):
        return _rms_prop(v, s, m, lr, rho, momentum, epsilon, grad)

    return _sparse(rule, indices, var, ms, mom)


_CENTERED_REFS = _refs("var", "mg", "ms", "mom")


@register("ApplyCenteredRMSProp", effects=_CENTERED_REFS, shape=_var_shape)
def apply_centered_rms_prop(
    var, mg, ms, mom, lr, rho, momentum, epsilon, grad, *, use_locking=False
):
    return _centered_rms_prop(var, mg, ms, mom, lr, rho, momentum, epsilon, grad)


@register("SparseApplyCenteredRMSProp", effects=_CENTERED_REFS, shape=_var_shape)
def sparse_apply_centered_rms_prop(
    var, mg, ms, mom, lr, rho, momentum, epsilon, grad, indices, *, use_locking=False
):
    def rule(v, g, s, m):
        return _centered_rms_prop(v, g, s, m, lr, rho, momentum, epsilon, grad)

    return _sparse(rule, indices, var, mg, ms, mom)


_FTRL_REFS = _refs("var", "accum", "linear")


@register("ApplyFtrl", effects=_FTRL_REFS, shape=_var_shape)
def apply_ftrl(var, accum, linear, grad, lr, l1, l2, lr_power, *, use_locking=False):
    return _ftrl(var, accum, linear, grad, lr, l1, l2, lr_power)


@register("SparseApplyFtrl", effects=_FTRL_REFS, shape=_var_shape)
def sparse_apply_ftrl(
    var, accum, linear, grad, indices, lr, l1, l2, lr_power, *, use_locking=False
):
    def rule(v, a, lin):
        return _ftrl(v, a, lin, grad, lr, l1, l2, lr_power)

    return _sparse(rule, indices, var, accum, linear)


@register("ApplyFtrlV2", effects=_FTRL_REFS, shape=_var_shape)
def apply_ftrl_v2(
    var, accum, linear, grad, lr, l1, l2, l2_shrinkage, lr_power, *, use_locking=False
):
    return _ftrl(var, accum, linear, grad, lr, l1, l2, lr_power, l2_shrinkage)


@register("SparseApplyFtrlV2", effects=_FTRL_REFS, shape=_var_shape)
def sparse_apply_ftrl_v2(
    var, accum, linear, grad, indices, lr, l1, l2, l2_shrinkage, lr_power, *, use_locking=False
):
    def rule(v, a, lin):
        return _ftrl(v, a, lin, grad, lr, l1, l2, lr_power, l2_shrinkage)

    return _sparse(rule, indices, var, accum, linear)


@register("ApplyAdam", effects=_refs("var", "m", "v"), shape=_var_shape)
def apply_adam(
    var,
    m,
    v,
    beta1_power,
    beta2_power,
    lr,
    beta1,
    beta2,
    epsilon,
    grad,
    *,
    use_locking=False,
    use_nesterov=False,
):
    return _adam(var, m, v, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad, use_nesterov)
