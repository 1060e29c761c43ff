"""`tf.linalg`: linear-algebra functions under their TF1 `tf.linalg` names."""

from flowgraph.ops import linalg_ops
from flowgraph.ops.linalg_ops import (
    cholesky as cholesky,
    cross as cross,
    einsum as einsum,
    eye as eye,
    norm as norm,
    qr as qr,
    slogdet as slogdet,
    svd as svd,
    tensordot as tensordot,
    trace as trace,
)
from flowgraph.ops.math_ops import matmul as matmul

band_part = linalg_ops.matrix_band_part
det = linalg_ops.matrix_determinant
diag = linalg_ops.matrix_diag
diag_part = linalg_ops.matrix_diag_part
eigh = linalg_ops.self_adjoint_eig
eigvalsh = linalg_ops.self_adjoint_eigvals
inv = linalg_ops.matrix_inverse
set_diag = linalg_ops.matrix_set_diag
solve = linalg_ops.matrix_solve
transpose = linalg_ops.matrix_transpose
triangular_solve = linalg_ops.matrix_triangular_solve


def adjoint(matrix, name=None):
    """The conjugate transposes of a batch of matrices (the last two dims).

    Example:
      >>> tf.linalg.adjoint(tf.constant([[1 + 1j, 2]]))   # [[1 - 1j], [2]]
    """
    return linalg_ops.matrix_transpose(matrix, name=name or "adjoint", conjugate=True)
