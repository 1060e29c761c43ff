"""`tf.linalg.experimental.conjugate_gradient`: iterative solves of positive definite
systems through a `LinearOperator`'s `matvec`."""

from __future__ import annotations

import collections

from flowgraph.framework import dtypes
from flowgraph.framework.scopes import name_scope
from flowgraph.ops import array_ops, control_flow_ops, linalg_ops, math_ops, spectral_ops
from flowgraph.ops.constant_op import convert_to_tensor

CGState = collections.namedtuple("CGState", ["i", "x", "r", "p", "gamma"])


def _dot(x, y):
    return (
        math_ops.reduce_sum(spectral_ops.conj(x) * y, -1)
        if x.dtype.is_complex
        else math_ops.reduce_sum(x * y, -1)
    )


def conjugate_gradient(
    operator, rhs, preconditioner=None, x=None, tol=1e-5, max_iter=20, name="conjugate_gradient"
):
    """Conjugate gradient solver for `A x = rhs`, `A` self-adjoint and positive definite.

    Args:
      operator: a `LinearOperator` hinted self-adjoint and positive definite.
      rhs: the right-hand side `[..., N]`.
      preconditioner: an optional `LinearOperator` approximating `A^{-1}`.
      x: an optional initial guess (zeros by default).
      tol: the iteration stops when `||r|| <= tol * ||r0||` for every system.
      max_iter: the most iterations.
      name: a name scope for the ops.

    Returns:
      A namedtuple `CGState(i, x, r, p, gamma)`: the iteration count, the solution, the
      residual, the search direction and `r^H M r`.

    Raises:
      ValueError: if `operator` is not hinted self-adjoint and positive definite.
    """
    if not (operator.is_self_adjoint and operator.is_positive_definite):
        raise ValueError("Expected a self-adjoint, positive definite operator.")
    with name_scope(name):
        rhs = convert_to_tensor(rhs, dtype=operator.dtype, name="rhs")
        precondition = (lambda v: v) if preconditioner is None else preconditioner.matvec
        if x is None:
            x, r0 = array_ops.zeros_like(rhs), rhs
        else:
            x = convert_to_tensor(x, dtype=operator.dtype, name="x")
            r0 = rhs - operator.matvec(x)
        p0 = precondition(r0)
        tol = tol * linalg_ops.norm(r0, axis=-1)

        def keep_going(i, x, r, p, gamma):
            return math_ops.logical_and(
                i < max_iter, math_ops.reduce_any(linalg_ops.norm(r, axis=-1) > tol)
            )

        def step(i, x, r, p, gamma):
            z = operator.matvec(p)
            alpha = (gamma / _dot(p, z))[..., None]
            x, r = x + alpha * p, r - alpha * z
            q = precondition(r)
            new_gamma = _dot(r, q)
            return i + 1, x, r, q + (new_gamma / gamma)[..., None] * p, new_gamma

        start = (convert_to_tensor(0, dtypes.int32), x, r0, p0, _dot(r0, p0))
        return CGState(*control_flow_ops.while_loop(keep_going, step, start))
