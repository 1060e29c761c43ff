"""The generic gradient kernel: `VJP`, jax.vjp of a forward op's own kernel.

A backward graph holds one VJP node per differentiated forward op. Its inputs are the
forward op's inputs followed by the cotangents of the forward op's outputs; its outputs
are the gradients of the inputs listed in `wrt`. When the forward op runs in the same
compiled segment, the runtime linearizes it once and the VJP node reuses that pullback
(device/lower.py), so a training step costs what `jax.grad` would.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.experimental import checkify

from kernels.op_def import declare
from kernels.registry import Spec, lookup, register


def _vjp_shape(specs, attrs, static_values):
    return [Spec(specs[i].shape, specs[i].dtype) for i in attrs["wrt"]]


# flowgraph-specific: TF builds each op's gradient from its registered gradient function.
declare(
    "VJP",
    inputs=("args: Targs",),
    outputs=("grads: Tgrads",),
    attrs=(
        "forward: string",
        "forward_attrs: func",
        "num_inputs: int >= 0",
        "wrt: list(int)",
        "static_inputs: list(int) = []",
        "forward_node: string = ''",
        "Targs: list(type)",
        "Tgrads: list(type)",
    ),
)


@register("VJP", shape=_vjp_shape, static=("@static_inputs",))
def vjp(
    *args,
    forward: str,
    forward_attrs: tuple,
    num_inputs: int,
    wrt: tuple,
    static_inputs: tuple = (),
):
    kernel = lookup(forward)
    primals, cotangents = list(args[:num_inputs]), args[num_inputs:]
    out, pull, _ = linearize(kernel, dict(forward_attrs), primals, wrt)
    return pull_back(pull, out, cotangents)


def linearize(kernel, attrs: dict, primals: list, wrt: tuple, keep_errors: bool = False):
    """`(outputs, pullback, written)` of `kernel` at `primals`, differentiable in `wrt`.

    `written` holds the new values of variables a functional op assigns: they follow its
    outputs but carry no gradient. `keep_errors`: the kernel's `checkify` checks (in the
    bodies of a functional op) are carried out of `jax.vjp`, which would drop them, into
    the enclosing `checkify`.
    """

    def f(*differentiated):
        inputs = list(primals)
        for i, value in zip(wrt, differentiated):
            inputs[i] = value
        out = kernel.fn(*inputs, **attrs)
        if not kernel.written(attrs):
            return out, ()
        return kernel.split_results(out, attrs)

    if not keep_errors:
        out, pull, written = jax.vjp(f, *[primals[i] for i in wrt], has_aux=True)
        return out, pull, written
    checked = checkify.checkify(f, errors=checkify.user_checks)

    def with_error(*differentiated):
        error, (out, written) = checked(*differentiated)
        return out, (written, error)

    out, pull, (written, error) = jax.vjp(with_error, *[primals[i] for i in wrt], has_aux=True)
    checkify.check_error(error)
    return out, pull, written


def pull_back(pull, out, cotangents):
    """The gradients of the differentiated inputs, given the outputs' cotangents."""
    if isinstance(out, tuple):
        cts = tuple(_cotangent(c, o) for c, o in zip(cotangents, out))
    else:
        cts = _cotangent(cotangents[0], out)
    # TF's complex gradients are the conjugates of jax's VJP (conj in, conj out).
    grads = tuple(jnp.conj(g) if jnp.iscomplexobj(g) else g for g in pull(cts))
    return grads if len(grads) > 1 else grads[0]


def _cotangent(ct, out):
    # Integer and bool outputs carry no gradient: jax wants float0 zeros for them.
    if jnp.issubdtype(out.dtype, jnp.complexfloating):
        return jnp.conj(jnp.asarray(ct).astype(out.dtype))
    if jnp.issubdtype(out.dtype, jnp.inexact):
        return jnp.asarray(ct).astype(out.dtype)
    return np.zeros(out.shape, dtype=jax.dtypes.float0)
