"""More of `tf.linalg`: expm, LU factorization and its solves, least squares, tridiagonal
systems, cholesky_solve, logdet, matvec, pinv, matrix_rank and normalize."""

from __future__ import annotations

import collections

import numpy as np

from flowgraph.framework import dtypes
from flowgraph.framework.ops import Tensor, apply_op
from flowgraph.framework.scopes import name_scope
from flowgraph.ops import array_ops, linalg_ops, math_ops
from flowgraph.ops.constant_op import convert_to_tensor
from flowgraph.ops.manip_ops import invert_permutation

_FLOATS = (dtypes.float16, dtypes.float32, dtypes.float64, dtypes.complex64, dtypes.complex128)


def _input(op_type: str, value, name="input") -> Tensor:
    return linalg_ops._input(op_type, value, _FLOATS, name)


def expm(input, name=None) -> Tensor:
    """The matrix exponential of each (square) matrix of `input`."""
    input = _input("MatrixExponential", input)
    return apply_op("MatrixExponential", [input], name=name, T=input.dtype.base_dtype.numpy_dtype)


Lu = collections.namedtuple("Lu", ["lu", "p"])


def lu(input, output_idx_type=dtypes.int32, name=None):
    """The LU factorization with partial pivoting: `lu` packs L (unit diagonal, below) and
    U (on and above the diagonal) with P A = L U; `p` lists the rows of P A."""
    input = _input("Lu", input)
    out = apply_op(
        "Lu",
        [input],
        name=name,
        T=input.dtype.base_dtype.numpy_dtype,
        output_idx_type=dtypes.as_dtype(output_idx_type).numpy_dtype,
    )
    return Lu(*out)


def _lower_upper(lower_upper: Tensor):
    unit = array_ops.ones_like(linalg_ops.matrix_diag_part(lower_upper))
    lower = linalg_ops.matrix_set_diag(linalg_ops.matrix_band_part(lower_upper, -1, 0), unit)
    return lower, linalg_ops.matrix_band_part(lower_upper, 0, -1)


def _rows(x: Tensor, perm: Tensor) -> Tensor:
    return array_ops.gather(x, perm, axis=-2, batch_dims=perm.shape.ndims - 1)


def lu_solve(lower_upper, perm, rhs, validate_args=False, name=None) -> Tensor:
    """The solution X of A X = rhs, from A's `lu` factorization."""
    with name_scope(name, "lu_solve", [lower_upper, perm, rhs]):
        lower_upper = convert_to_tensor(lower_upper, name="lower_upper")
        perm = convert_to_tensor(perm, name="perm")
        rhs = convert_to_tensor(rhs, dtype=lower_upper.dtype.base_dtype, name="rhs")
        lower, upper = _lower_upper(lower_upper)
        y = linalg_ops.matrix_triangular_solve(lower, _rows(rhs, perm), lower=True)
        return linalg_ops.matrix_triangular_solve(upper, y, lower=False)


def lu_matrix_inverse(lower_upper, perm, validate_args=False, name=None) -> Tensor:
    """The inverse of A from its `lu` factorization."""
    with name_scope(name, "lu_matrix_inverse", [lower_upper, perm]):
        lower_upper = convert_to_tensor(lower_upper, name="lower_upper")
        eye = array_ops.broadcast_to(
            linalg_ops.eye(array_ops.shape(lower_upper)[-1], dtype=lower_upper.dtype),
            array_ops.shape(lower_upper),
        )
        return lu_solve(lower_upper, perm, eye)


def lu_reconstruct(lower_upper, perm, validate_args=False, name=None) -> Tensor:
    """A = P^T L U from its `lu` factorization."""
    with name_scope(name, "lu_reconstruct", [lower_upper, perm]):
        lower_upper = convert_to_tensor(lower_upper, name="lower_upper")
        perm = convert_to_tensor(perm, name="perm")
        lower, upper = _lower_upper(lower_upper)
        product = math_ops.matmul(lower, upper)
        if perm.shape.ndims == 1:
            return array_ops.gather(product, invert_permutation(perm))
        # inverse[j] = i where perm[i] == j: the row of the one-hot matrix holding column j.
        one_hot = array_ops.one_hot(perm, array_ops.shape(perm)[-1], dtype=dtypes.int32)
        inverse = math_ops.cast(math_ops.argmax(one_hot, axis=-2), perm.dtype)
        return _rows(product, inverse)


def matrix_solve_ls(matrix, rhs, l2_regularizer=0.0, fast=True, name=None) -> Tensor:
    """The least-squares solution X of matrix X = rhs (minimizing |A X - B|² + λ|X|²), by
    the normal equations (TF's `fast` path; `fast=False` is solved the same way)."""
    matrix = _input("MatrixSolveLs", matrix, "matrix")
    rhs = convert_to_tensor(rhs, dtype=matrix.dtype.base_dtype, name="rhs")
    regularizer = convert_to_tensor(l2_regularizer, dtype=dtypes.float64, name="l2_regularizer")
    regularizer = math_ops.cast(regularizer, matrix.dtype.base_dtype)
    return apply_op(
        "MatrixSolveLs",
        [matrix, rhs, regularizer],
        name=name,
        T=matrix.dtype.base_dtype.numpy_dtype,
        fast=bool(fast),
    )


def tridiagonal_solve(
    diagonals,
    rhs,
    diagonals_format="compact",
    transpose_rhs=False,
    conjugate_rhs=False,
    name=None,
    partial_pivoting=True,
    perturb_singular=False,
) -> Tensor:
    """Solves tridiagonal systems. `diagonals` is [..., 3, M] ("compact": superdiagonal,
    diagonal, subdiagonal) or a (super, main, sub) tuple ("sequence"); `rhs` is [..., M, K]
    (or [..., M] for one right-hand side)."""
    with name_scope(name, "tridiagonal_solve", [rhs]):
        if diagonals_format == "sequence":
            diagonals = array_ops.stack([convert_to_tensor(d) for d in diagonals], axis=-2)
        elif diagonals_format != "compact":
            raise ValueError(
                f"Unrecognized diagonals_format: {diagonals_format} (flowgraph "
                "supports 'compact' and 'sequence')"
            )
        diagonals = _input("TridiagonalSolve", diagonals, "diagonals")
        rhs = convert_to_tensor(rhs, dtype=diagonals.dtype.base_dtype, name="rhs")
        vector = rhs.shape.ndims == diagonals.shape.ndims - 1  # [..., M]: one column
        if vector:
            rhs = array_ops.expand_dims(rhs, -1)
        elif transpose_rhs:
            rhs = linalg_ops.matrix_transpose(rhs)
        if conjugate_rhs:
            rhs = math_ops.conj(rhs)
        out = apply_op(
            "TridiagonalSolve",
            [diagonals, rhs],
            T=rhs.dtype.base_dtype.numpy_dtype,
            partial_pivoting=bool(partial_pivoting),
            perturb_singular=bool(perturb_singular),
        )
        if vector:
            return array_ops.squeeze(out, [-1])
        return linalg_ops.matrix_transpose(out) if transpose_rhs else out


def tridiagonal_matmul(diagonals, rhs, diagonals_format="compact", name=None) -> Tensor:
    """The product of tridiagonal matrices (given by their diagonals) with `rhs`."""
    with name_scope(name, "tridiagonal_matmul", [rhs]):
        if diagonals_format == "compact":
            diagonals = convert_to_tensor(diagonals)
            parts = [diagonals[..., i : i + 1, :] for i in range(3)]
        elif diagonals_format == "sequence":
            parts = [array_ops.expand_dims(convert_to_tensor(d), -2) for d in diagonals]
        else:
            raise ValueError(f"Unrecognized diagonals_format: {diagonals_format}")
        rhs = convert_to_tensor(rhs, dtype=parts[0].dtype.base_dtype, name="rhs")
        return apply_op("TridiagonalMatMul", parts + [rhs], T=rhs.dtype.base_dtype.numpy_dtype)


def cholesky_solve(chol, rhs, name=None) -> Tensor:
    """The solution of A X = rhs given A's Cholesky factor `chol` (lower)."""
    with name_scope(name, "cholesky_solve", [chol, rhs]):
        y = linalg_ops.matrix_triangular_solve(chol, rhs, lower=True, adjoint=False)
        return linalg_ops.matrix_triangular_solve(chol, y, lower=True, adjoint=True)


def logdet(matrix, name=None) -> Tensor:
    """log(det(matrix)) of Hermitian positive definite matrices, from their Cholesky factor."""
    with name_scope(name, "logdet", [matrix]):
        chol = linalg_ops.cholesky(matrix)
        diagonal = linalg_ops.matrix_diag_part(chol)
        if chol.dtype.is_complex:
            diagonal = math_ops.abs(diagonal)
        return 2.0 * math_ops.reduce_sum(math_ops.log(diagonal), axis=[-1])


def matvec(
    a, b, transpose_a=False, adjoint_a=False, a_is_sparse=False, b_is_sparse=False, name=None
) -> Tensor:
    """The product of matrices `a` [..., M, N] with vectors `b` [..., N]."""
    with name_scope(name, "MatVec", [a, b]):
        b = array_ops.expand_dims(convert_to_tensor(b, name="b"), -1)
        product = math_ops.matmul(a, b, transpose_a=transpose_a, adjoint_a=adjoint_a)
        return array_ops.squeeze(product, axis=-1)


def _singular_values_cutoff(s: Tensor, a: Tensor, rcond, scale: float) -> Tensor:
    shape = a.shape.as_list()[-2:]
    eps = np.finfo(s.dtype.base_dtype.numpy_dtype).eps
    if rcond is None:
        rcond = scale * max(shape) * eps
    return rcond * math_ops.reduce_max(s, axis=-1, keepdims=True)


def pinv(a, rcond=None, validate_args=False, name=None) -> Tensor:
    """The Moore-Penrose pseudo-inverse, from the SVD (singular values under
    `rcond * max(s)` count as zero; `rcond` defaults to 10 * max(M, N) * eps)."""
    with name_scope(name, "pinv", [a]):
        a = _input("Svd", a, "a")
        s, u, v = linalg_ops.svd(a, full_matrices=False, compute_uv=True)
        cutoff = _singular_values_cutoff(s, a, rcond, 10.0)
        s_inv = array_ops.where(s > cutoff, 1.0 / s, array_ops.zeros_like(s))
        return math_ops.matmul(v * array_ops.expand_dims(s_inv, -2), u, adjoint_b=True)


def matrix_rank(a, tol=None, validate_args=False, name=None) -> Tensor:
    """The number of singular values above `tol` (default eps * max(M, N) * max(s))."""
    with name_scope(name, "matrix_rank", [a]):
        a = _input("Svd", a, "a")
        s = linalg_ops.svd(a, compute_uv=False)
        cutoff = _singular_values_cutoff(s, a, None, 1.0) if tol is None else tol
        return math_ops.reduce_sum(math_ops.cast(s > cutoff, dtypes.int32), axis=-1)


def normalize(tensor, ord="euclidean", axis=None, name=None):  # noqa: A002
    """`tensor` divided by its norm, and the norm."""
    with name_scope(name, "normalize", [tensor]):
        tensor = convert_to_tensor(tensor)
        norm = linalg_ops.norm(tensor, ord, axis, keepdims=True)
        return tensor / norm, norm
