"""Matrix functions of `tf.linalg`: the square root and logarithm of a matrix, and the
eigendecomposition of a symmetric tridiagonal matrix."""

from __future__ import annotations

from flowgraph.framework import dtypes
from flowgraph.framework.ops import apply_op
from flowgraph.framework.scopes import name_scope
from flowgraph.ops import array_ops, linalg_ops, math_ops, spectral_ops
from flowgraph.ops.constant_op import convert_to_tensor
from flowgraph.ops.gradients import no_gradient

no_gradient("MatrixLogarithm")  # TF registers no gradient for it

_SQRT_TYPES = (dtypes.float16, dtypes.float32, dtypes.float64, dtypes.complex64, dtypes.complex128)


def matrix_square_root(input, name=None):
    """The principal square root of each square matrix of `input`: `X` with `X X = input`
    whose eigenvalues have positive real parts.

    Example:
      >>> tf.linalg.sqrtm([[4.0, 0.0], [0.0, 9.0]])   # [[2.0, 0.0], [0.0, 3.0]]
    """
    input = linalg_ops._input("MatrixSquareRoot", input, _SQRT_TYPES)
    return apply_op("MatrixSquareRoot", [input], name=name)


def logm(input, name=None):
    """The principal logarithm of each square complex matrix of `input`: `X` with
    `expm(X) = input`.

    Args:
      input: a complex64 or complex128 `Tensor` `[..., M, M]`.
      name: a name for the operation.
    """
    input = linalg_ops._input("MatrixLogarithm", input, (dtypes.complex64, dtypes.complex128))
    return apply_op("MatrixLogarithm", [input], name=name)


def eigh_tridiagonal(
    alpha, beta, eigvals_only=True, select="a", select_range=None, tol=None, name=None
):
    """The eigenvalues (and eigenvectors) of a Hermitian tridiagonal matrix.

    Args:
      alpha: the `n` diagonal elements (real).
      beta: the `n - 1` off-diagonal elements (the subdiagonal; the superdiagonal is its
        conjugate).
      eigvals_only: return only the eigenvalues.
      select: "a" (all eigenvalues), "v" (those in the half-open interval
        `(select_range[0], select_range[1]]`) or "i" (those with indices
        `select_range[0] <= i <= select_range[1]`, ascending).
      select_range: the interval or index range for `select` "v" or "i".
      tol: accepted for TF's signature (the eigenvalues are computed to full precision).
      name: a name scope.

    Returns:
      The ascending eigenvalues; with `eigvals_only=False` also the eigenvectors, as the
      columns of a matrix.
    """
    with name_scope(name or "eigh_tridiagonal"):
        if select not in ("a", "v", "i"):
            raise ValueError("select must be 'a', 'v', or 'i'.")
        alpha = convert_to_tensor(alpha, name="alpha")
        if alpha.dtype.is_complex:
            alpha = spectral_ops.real(alpha)
        beta = convert_to_tensor(beta, name="beta")
        dtype = beta.dtype if beta.dtype.is_complex else alpha.dtype
        beta = math_ops.cast(beta, dtype)
        lower = array_ops.pad(linalg_ops.matrix_diag(beta), [[1, 0], [0, 1]])
        upper = linalg_ops.matrix_transpose(lower, conjugate=True)
        matrix = linalg_ops.matrix_diag(math_ops.cast(alpha, dtype)) + lower + upper
        values, vectors = linalg_ops.self_adjoint_eig(matrix)
        values = spectral_ops.real(values) if values.dtype.is_complex else values
        if select == "v":
            keep = math_ops.logical_and(values > select_range[0], values <= select_range[1])
            values = array_ops.boolean_mask(values, keep)
            vectors = array_ops.boolean_mask(vectors, keep, axis=1)
        elif select == "i":
            lo, hi = int(select_range[0]), int(select_range[1])
            values, vectors = values[lo : hi + 1], vectors[:, lo : hi + 1]
        return values if eigvals_only else (values, vectors)
