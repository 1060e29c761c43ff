"""Linear-algebra kernels: QR decomposition and matrix diagonals."""

from __future__ import annotations

import jax.numpy as jnp

from kernels.registry import register


@register("Qr")
def qr(input, *, full_matrices: bool = False):
    q, r = jnp.linalg.qr(input, mode="complete" if full_matrices else "reduced")
    return q, r


@register("MatrixDiagPart")
def matrix_diag_part(input):
    return jnp.diagonal(input, axis1=-2, axis2=-1)
