"""Linear-algebra kernels: decompositions, solves, determinants, diagonals, einsum."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from kernels.registry import Spec, register


def _outputs_if_rank_unknown(*dtypes_of):
    """A shape rule for multi-output kernels: with an input of unknown rank the generic
    inference cannot trace them (it guesses rank 1), so give each output an unknown shape."""

    def rule(specs, attrs, static_values):
        if specs[0].shape is not None:
            return None  # the generic inference from the kernel
        return [Spec(None, dtype_of(specs[0].dtype)) for dtype_of in dtypes_of]

    return rule


def _same(dtype):
    return dtype


@register("Qr", shape=_outputs_if_rank_unknown(_same, _same))
def qr(input, *, full_matrices: bool = False):
    q, r = jnp.linalg.qr(input, mode="complete" if full_matrices else "reduced")
    return q, r


@register("MatrixDiagPart")
def matrix_diag_part(input):
    return jnp.diagonal(input, axis1=-2, axis2=-1)


# float32 products at full precision on every backend (no TF32), as TF1 computed them.
_PRECISION = lax.Precision.HIGHEST


def _adjoint(x):
    return jnp.conj(jnp.swapaxes(x, -1, -2))


def _square(op_type: str, x) -> None:
    """TF's shape check for batches of square matrices (`op_type` for the caller's record)."""
    if x.ndim < 2:
        raise ValueError(f"Shape must be at least rank 2 but is rank {x.ndim}")
    if x.shape[-1] != x.shape[-2]:
        raise ValueError(f"Dimensions must be equal, but are {x.shape[-2]} and {x.shape[-1]}")


def _hermitian_from_lower(a):
    lower = jnp.tril(a)
    return lower + _adjoint(jnp.tril(a, -1))


def _lower_hermitian(fn):
    """`fn` of the Hermitian matrix given by `a`'s lower triangle (as TF's kernels read it);
    its derivative treats the input as Hermitian, so gradients come out symmetric as TF's."""

    @jax.custom_jvp
    def wrapped(a):
        return fn(_hermitian_from_lower(a))

    @wrapped.defjvp
    def _jvp(primals, tangents):
        (a,), (t,) = primals, tangents
        return jax.jvp(fn, (_hermitian_from_lower(a),), ((t + _adjoint(t)) / 2,))

    return wrapped


@register("ConjugateTranspose", static=("perm",))
def conjugate_transpose(x, perm):
    return jnp.conj(jnp.transpose(x, tuple(int(p) for p in np.asarray(perm).reshape(-1))))


@register("MatrixDiag")
def matrix_diag(diagonal):
    n = diagonal.shape[-1]
    out = jnp.zeros(diagonal.shape + (n,), diagonal.dtype)
    i = jnp.arange(n)
    return out.at[..., i, i].set(diagonal)


@register("MatrixSetDiag")
def matrix_set_diag(input, diagonal):
    k = min(input.shape[-2:])
    if input.ndim < 2 or diagonal.shape != input.shape[:-2] + (k,):
        raise ValueError(
            f"diagonal must have shape {list(input.shape[:-2]) + [k]}, got {list(diagonal.shape)}"
        )
    i = jnp.arange(k)
    return jnp.asarray(input).at[..., i, i].set(diagonal)


@register("MatrixBandPart")
def matrix_band_part(input, num_lower, num_upper):
    if input.ndim < 2:
        raise ValueError(f"input must be at least 2-dim, received shape: {list(input.shape)}")
    m, n = input.shape[-2:]
    row = jnp.arange(m)[:, None]
    col = jnp.arange(n)[None, :]
    keep = ((num_lower < 0) | (row - col <= num_lower)) & (
        (num_upper < 0) | (col - row <= num_upper)
    )
    return jnp.where(keep, input, jnp.zeros((), input.dtype))


@register("MatrixInverse")
def matrix_inverse(input, *, adjoint: bool = False):
    _square("MatrixInverse", input)
    inv = jnp.linalg.inv(input)
    return _adjoint(inv) if adjoint else inv


@register("MatrixDeterminant")
def matrix_determinant(input):
    _square("MatrixDeterminant", input)
    return jnp.linalg.det(input)


@register("LogMatrixDeterminant", shape=_outputs_if_rank_unknown(_same, _same))
def log_matrix_determinant(input):
    _square("LogMatrixDeterminant", input)
    sign, logdet = jnp.linalg.slogdet(input)
    return sign.astype(input.dtype), logdet.astype(input.dtype)


@register("Cholesky")
def cholesky(input):
    _square("Cholesky", input)
    return _cholesky(input)


_cholesky = _lower_hermitian(lambda a: lax.linalg.cholesky(a, symmetrize_input=False))


@register("SelfAdjointEigV2", shape=_outputs_if_rank_unknown(_same, _same))
def self_adjoint_eig_v2(input, *, compute_v: bool = True):
    _square("SelfAdjointEig", input)
    e, v = _eigh(input)
    return e.astype(input.dtype), v if compute_v else jnp.zeros((0,), input.dtype)


_eigh = _lower_hermitian(lambda a: tuple(jnp.linalg.eigh(a, symmetrize_input=False)))


@register("Svd", shape=_outputs_if_rank_unknown(_same, _same, _same))
def svd(input, *, compute_uv: bool = True, full_matrices: bool = False):
    if input.ndim < 2:
        raise ValueError(f"Shape must be at least rank 2 but is rank {input.ndim}")
    if not compute_uv:
        s = jnp.linalg.svd(input, compute_uv=False)
        empty = jnp.zeros((0,), input.dtype)
        return s.astype(input.dtype), empty, empty
    u, s, vh = jnp.linalg.svd(input, full_matrices=full_matrices)
    return s.astype(input.dtype), u, _adjoint(vh)


@register("MatrixSolve")
def matrix_solve(matrix, rhs, *, adjoint: bool = False):
    _square("MatrixSolve", matrix)
    if rhs.ndim < 2 or rhs.shape[-2] != matrix.shape[-1]:
        raise ValueError(
            f"Input matrix and right-hand side must have the same number of rows, "
            f"got {list(matrix.shape)} and {list(rhs.shape)}"
        )
    a = _adjoint(matrix) if adjoint else matrix
    return jnp.linalg.solve(a, rhs)


@register("MatrixTriangularSolve")
def matrix_triangular_solve(matrix, rhs, *, lower: bool = True, adjoint: bool = False):
    _square("MatrixTriangularSolve", matrix)
    if rhs.ndim < 2 or rhs.shape[-2] != matrix.shape[-1]:
        raise ValueError(
            f"Input matrix and right-hand side must have the same number of rows, "
            f"got {list(matrix.shape)} and {list(rhs.shape)}"
        )
    a = jnp.tril(matrix) if lower else jnp.triu(matrix)
    return lax.linalg.triangular_solve(
        a, rhs, left_side=True, lower=lower, transpose_a=adjoint, conjugate_a=adjoint
    )


@register("Cross")
def cross(a, b):
    if a.shape != b.shape:
        raise ValueError(f"Dimensions must be equal, but are {list(a.shape)} and {list(b.shape)}")
    if a.ndim < 1 or a.shape[-1] != 3:
        raise ValueError(f"Dimension must be 3 but is {a.shape[-1] if a.ndim else 0}")
    return jnp.cross(a, b)


@register("Einsum")
def einsum(*inputs, equation: str):
    _check_labels(equation, inputs)
    return jnp.einsum(equation, *inputs, precision=_PRECISION)


def _check_labels(equation: str, inputs) -> None:
    """TF's message where one label has two sizes (jax's names the label instead)."""
    sizes: dict[str, int] = {}
    for labels, x in zip(equation.split("->")[0].split(","), inputs):
        if "." in labels or len(labels.strip()) != x.ndim:
            continue  # ellipses and rank errors: jax's own checks
        for label, size in zip(labels.strip(), x.shape):
            seen = sizes.setdefault(label, size)
            if seen != size:
                raise ValueError(f"Dimensions must be equal, but are {seen} and {size}")
