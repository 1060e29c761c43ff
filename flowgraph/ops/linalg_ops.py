"""Linear-algebra ops: decompositions, solves, determinants, diagonals, norms, einsum."""

from __future__ import annotations

import string

import numpy as np

from flowgraph.framework import dtypes
from flowgraph.framework.ops import Tensor, apply_op
from flowgraph.framework.scopes import name_scope
from flowgraph.ops import array_ops, math_ops
from flowgraph.ops.constant_op import convert_to_tensor

_FLOATS = (dtypes.float32, dtypes.float64)
_COMPLEX = (dtypes.complex64, dtypes.complex128)
_INEXACT = (dtypes.float16,) + _FLOATS + _COMPLEX


def _input(op_type: str, value, allowed=_FLOATS + _COMPLEX, name="input") -> Tensor:
    t = convert_to_tensor(value, name=name)
    if t.dtype.base_dtype not in allowed:
        raise TypeError(
            f"Value passed to parameter '{name}' has DataType {t.dtype.base_dtype.name} not in "
            f"list of allowed values: {', '.join(d.name for d in allowed)} (op '{op_type}')"
        )
    return t


def _pair(op_type: str, a, b, names=("matrix", "rhs")) -> tuple[Tensor, Tensor]:
    a = _input(op_type, a, name=names[0])
    b = convert_to_tensor(b, name=names[1])
    if b.dtype.base_dtype != a.dtype.base_dtype:
        raise TypeError(
            f"Input '{names[1]}' of '{op_type}' Op has type {b.dtype.base_dtype.name} that "
            f"does not match type {a.dtype.base_dtype.name} of argument '{names[0]}'."
        )
    return a, b


def _t(t: Tensor):
    return t.dtype.base_dtype.numpy_dtype


# -- Building blocks ---------------------------------------------------------------------


def matrix_diag(diagonal, name=None) -> Tensor:
    """A batch of diagonal matrices with the given diagonals (last dim of `diagonal`).

    Example:
      >>> tf.matrix_diag([1, 2])   # [[1, 0], [0, 2]]
    """
    d = convert_to_tensor(diagonal, name="diagonal")
    return apply_op("MatrixDiag", [d], name=name, T=_t(d))


def matrix_diag_part(input, name=None) -> Tensor:
    """The main diagonals of a batch of matrices (the last two dims of `input`)."""
    x = convert_to_tensor(input, name="input")
    return apply_op("MatrixDiagPart", [x], name=name, T=_t(x))


def matrix_set_diag(input, diagonal, name=None) -> Tensor:
    """`input` with the main diagonals of its matrices replaced by `diagonal`."""
    x = convert_to_tensor(input, name="input")
    d = convert_to_tensor(diagonal, dtype=x.dtype.base_dtype, name="diagonal")
    return apply_op("MatrixSetDiag", [x, d], name=name, T=_t(x))


def matrix_band_part(input, num_lower, num_upper, name=None) -> Tensor:
    """Keeps `num_lower` sub- and `num_upper` super-diagonals (negative: all), zeros the rest.

    Example:
      >>> tf.matrix_band_part(x, -1, 0)   # the lower triangle of x
    """
    x = convert_to_tensor(input, name="input")
    lower = convert_to_tensor(num_lower, dtype=dtypes.int64, name="num_lower")
    upper = convert_to_tensor(num_upper, dtype=lower.dtype.base_dtype, name="num_upper")
    return apply_op("MatrixBandPart", [x, lower, upper], name=name, T=_t(x))


def eye(num_rows, num_columns=None, batch_shape=None, dtype=dtypes.float32, name=None):
    """A (batch of) identity matrices of shape `batch_shape + [num_rows, num_columns]`.

    Example:
      >>> tf.eye(2, 3)   # [[1, 0, 0], [0, 1, 0]]
    """
    with name_scope(name, "eye") as scope:
        rows = _static_int("eye", num_rows, "num_rows")
        cols = rows if num_columns is None else _static_int("eye", num_columns, "num_columns")
        batch = [] if batch_shape is None else [int(d) for d in np.asarray(_static(batch_shape))]
        dtype = dtypes.as_dtype(dtype).base_dtype
        ones = array_ops.ones(batch + [min(rows, cols)], dtype=dtype)
        if rows == cols:
            return matrix_diag(ones, name=scope)
        return matrix_set_diag(array_ops.zeros(batch + [rows, cols], dtype=dtype), ones, name=scope)


def _static(value):
    if isinstance(value, Tensor):
        from flowgraph.framework.ops import constant_value

        v = constant_value(value)
        if v is None:
            raise ValueError(f"tf.eye needs shapes known when the graph is built, got {value}")
        return v
    return value


def _static_int(op: str, value, arg: str) -> int:
    v = np.asarray(_static(value))
    if v.shape != () or not np.issubdtype(v.dtype, np.integer):
        raise TypeError(f"{op}: argument '{arg}' must be a scalar integer, got {value!r}")
    return int(v)


def matrix_transpose(a, name="matrix_transpose", conjugate=False) -> Tensor:
    """Transposes the last two dims of `a` (conjugating complex values if `conjugate`).

    Example:
      >>> tf.matrix_transpose(tf.ones([5, 2, 3])).shape   # (5, 3, 2)
    """
    with name_scope(name, values=[a]) as scope:
        a = convert_to_tensor(a, name="a")
        rank = a.shape.ndims
        if rank is not None and rank < 2:
            raise ValueError(
                f"Argument 'a' should be a (batch) matrix, with rank >= 2.  Found: {a.shape}"
            )
        if rank is not None:
            perm = np.array(list(range(rank - 2)) + [rank - 1, rank - 2], np.int32)
        else:
            r = array_ops.rank(a)
            perm = array_ops.concat([array_ops.range(r - 2), array_ops.stack([r - 1, r - 2])], 0)
        perm = convert_to_tensor(perm, dtype=dtypes.int32, name="perm")
        if conjugate and a.dtype.is_complex:
            return apply_op("ConjugateTranspose", [a, perm], name=scope, T=_t(a))
        return apply_op("Transpose", [a, perm], name=scope, T=_t(a))


def trace(x, name=None) -> Tensor:
    """The sum of the main diagonal of each matrix in `x` (its last two dims)."""
    with name_scope(name, "Trace", [x]) as scope:
        x = convert_to_tensor(x, name="x")
        return math_ops.reduce_sum(matrix_diag_part(x), [-1], name=scope)


# -- Products ----------------------------------------------------------------------------


def einsum(equation, *inputs, **kwargs) -> Tensor:
    """A generalised contraction described in Einstein summation notation.

    Example:
      >>> tf.einsum("ij,jk->ik", a, b)   # matmul(a, b)
    """
    name = kwargs.pop("name", None)
    if kwargs:
        raise TypeError(f"invalid keyword arguments for this function: {sorted(kwargs)}")
    equation = equation.replace(" ", "")
    tensors = [convert_to_tensor(x, name="inputs") for x in inputs]
    if not tensors:
        raise ValueError("einsum needs at least one input")
    for t in tensors[1:]:
        if t.dtype.base_dtype != tensors[0].dtype.base_dtype:
            raise TypeError(
                f"einsum: inputs have different types: {tensors[0].dtype.name} and {t.dtype.name}"
            )
    if equation.count(",") != len(tensors) - 1:
        raise ValueError(
            f"Expected {equation.count(',') + 1} input tensors for equation "
            f"'{equation}', got {len(tensors)}"
        )
    return apply_op(
        "Einsum", tensors, name=name, equation=equation, N=len(tensors), T=_t(tensors[0])
    )


def tensordot(a, b, axes, name=None) -> Tensor:
    """Contracts `axes` of `a` with `axes` of `b` (an int n: the last n of a, first n of b).

    Example:
      >>> tf.tensordot(a, b, 1)   # matmul(a, b) for matrices
    """
    with name_scope(name, "Tensordot", [a, b, axes]) as scope:
        a = convert_to_tensor(a, name="a")
        b = convert_to_tensor(b, name="b", dtype=a.dtype.base_dtype)
        ra, rb = a.shape.ndims, b.shape.ndims
        axes = _static(axes)
        if ra is None or rb is None:
            return _tensordot_unknown_rank(a, b, axes, scope)
        a_axes, b_axes = _tensordot_axes(axes, ra, rb)
        letters = iter(string.ascii_letters)
        sa = [next(letters) for _ in range(ra)]
        sb = [next(letters) for _ in range(rb)]
        for i, j in zip(a_axes, b_axes):
            sb[j] = sa[i]
        out = [c for i, c in enumerate(sa) if i not in a_axes]
        out += [c for j, c in enumerate(sb) if j not in b_axes]
        eq = f"{''.join(sa)},{''.join(sb)}->{''.join(out)}"
        return apply_op("Einsum", [a, b], name=scope, equation=eq, N=2, T=_t(a))


def _tensordot_unknown_rank(a: Tensor, b: Tensor, axes, scope: str) -> Tensor:
    # As TF: flatten to matrices, MatMul, and reshape back to the free dims.
    if not isinstance(axes, (int, np.integer)) or axes < 0:
        raise ValueError("tensordot: with list 'axes', the ranks of 'a' and 'b' must be known")
    n = int(axes)
    sa, sb = array_ops.shape(a), array_ops.shape(b)
    free_a, inner = (sa[:-n], sa[-n:]) if n else (sa, sa[:0])
    free_b = sb[n:]
    a2 = array_ops.reshape(a, array_ops.stack([-1, math_ops.reduce_prod(inner)]))
    b2 = array_ops.reshape(b, array_ops.stack([math_ops.reduce_prod(inner), -1]))
    out = math_ops.matmul(a2, b2)
    return array_ops.reshape(out, array_ops.concat([free_a, free_b], 0), name=scope)


def _tensordot_axes(axes, ra: int, rb: int) -> tuple[list[int], list[int]]:
    axes = np.asarray(axes).tolist() if not isinstance(axes, (list, tuple)) else axes
    if isinstance(axes, int):
        if axes < 0:
            raise ValueError("'axes' must be at least 0.")
        if axes > min(ra, rb):
            raise ValueError(
                f"'axes' must not be larger than the number of dimensions of "
                f"tensor {'a' if ra < rb else 'b'}."
            )
        return list(range(ra - axes, ra)), list(range(axes))
    if len(axes) != 2:
        raise ValueError(f"'axes' must be an integer or have length 2, got {axes}")
    a_axes, b_axes = ([x] if isinstance(x, int) else list(x) for x in axes)
    if len(a_axes) != len(b_axes):
        raise ValueError(
            f"Different number of contraction axes 'a' and 'b', {len(a_axes)} != {len(b_axes)}."
        )
    return [int(i) % ra for i in a_axes], [int(j) % rb for j in b_axes]


def cross(a, b, name=None) -> Tensor:
    """The pairwise cross product of 3-element vectors in `a` and `b` (last dim)."""
    a, b = _pair("Cross", a, b, names=("a", "b"))
    return apply_op("Cross", [a, b], name=name, T=_t(a))


# -- Decompositions, solves and determinants ---------------------------------------------


def matrix_inverse(input, adjoint=False, name=None) -> Tensor:
    """The inverses (of the adjoints, if `adjoint`) of a batch of square matrices."""
    x = _input("MatrixInverse", input)
    return apply_op("MatrixInverse", [x], name=name, adjoint=bool(adjoint), T=_t(x))


def matrix_determinant(input, name=None) -> Tensor:
    """The determinants of a batch of square matrices."""
    x = _input("MatrixDeterminant", input)
    return apply_op("MatrixDeterminant", [x], name=name, T=_t(x))


def slogdet(input, name=None) -> tuple[Tensor, Tensor]:
    """The signs and log absolute determinants of a batch of square matrices."""
    x = _input("LogMatrixDeterminant", input)
    return apply_op("LogMatrixDeterminant", [x], name=name, T=_t(x))


def cholesky(input, name=None) -> Tensor:
    """The lower Cholesky factors of a batch of Hermitian positive-definite matrices.

    Only the lower triangle of each input matrix is read, as in TF.
    """
    x = _input("Cholesky", input, _INEXACT)
    return apply_op("Cholesky", [x], name=name, T=_t(x))


def qr(input, full_matrices=False, name=None) -> tuple[Tensor, Tensor]:
    """The QR decompositions `(q, r)` of a batch of matrices."""
    x = _input("Qr", input, _INEXACT)
    return apply_op("Qr", [x], name=name, full_matrices=bool(full_matrices), T=_t(x))


def svd(tensor, full_matrices=False, compute_uv=True, name=None):
    """The singular values `s` (and, if `compute_uv`, `u` and `v` with a = u diag(s) v^H).

    Example:
      >>> s, u, v = tf.svd(a)
    """
    x = _input("Svd", tensor)
    s, u, v = apply_op(
        "Svd",
        [x],
        name=name,
        compute_uv=bool(compute_uv),
        full_matrices=bool(full_matrices),
        T=_t(x),
    )
    return (s, u, v) if compute_uv else s


def self_adjoint_eig(tensor, name=None) -> tuple[Tensor, Tensor]:
    """Eigenvalues (ascending) and eigenvectors of a batch of Hermitian matrices."""
    x = _input("SelfAdjointEigV2", tensor, _INEXACT)
    e, v = apply_op("SelfAdjointEigV2", [x], name=name, compute_v=True, T=_t(x))
    return e, v


def self_adjoint_eigvals(tensor, name=None) -> Tensor:
    """The eigenvalues (ascending) of a batch of Hermitian matrices."""
    x = _input("SelfAdjointEigV2", tensor, _INEXACT)
    return apply_op("SelfAdjointEigV2", [x], name=name, compute_v=False, T=_t(x))[0]


def matrix_solve(matrix, rhs, adjoint=False, name=None) -> Tensor:
    """Solves `matrix @ x = rhs` (or `adjoint(matrix) @ x = rhs`) for a batch of systems."""
    a, b = _pair("MatrixSolve", matrix, rhs)
    return apply_op("MatrixSolve", [a, b], name=name, adjoint=bool(adjoint), T=_t(a))


def matrix_triangular_solve(matrix, rhs, lower=True, adjoint=False, name=None) -> Tensor:
    """Solves triangular systems; only the `lower` (or upper) triangle of `matrix` is read."""
    a, b = _pair("MatrixTriangularSolve", matrix, rhs)
    return apply_op(
        "MatrixTriangularSolve",
        [a, b],
        name=name,
        lower=bool(lower),
        adjoint=bool(adjoint),
        T=_t(a),
    )


# -- Norms --------------------------------------------------------------------------------


def norm(tensor, ord="euclidean", axis=None, keepdims=None, name=None, keep_dims=None):
    """The vector, matrix or tensor norm of `tensor` (TF1 semantics).

    Example:
      >>> tf.norm([[3.0, 4.0]], axis=1)   # [5.0]
    """
    if keepdims is not None and keep_dims is not None:
        raise ValueError("Cannot specify both 'keep_dims' and 'keepdims'")
    keepdims = bool(keep_dims if keepdims is None else keepdims)
    is_matrix = isinstance(axis, (tuple, list)) and len(axis) == 2
    _check_norm_args(ord, axis, is_matrix)
    axis = tuple(axis) if is_matrix else (None if axis is None else (axis,))
    with name_scope(name, "norm", [tensor]):
        x = convert_to_tensor(tensor)
        if ord in ("fro", "euclidean", 2, 2.0) and is_matrix and ord in (2, 2.0):
            result = _matrix_2_norm(x, axis)
        elif ord in ("fro", "euclidean", 2, 2.0):
            conj = apply_op("Conj", [x], T=_t(x)) if x.dtype.is_complex else x
            result = math_ops.sqrt(math_ops.reduce_sum(x * conj, axis, keepdims=True))
        else:
            result = _abs_norm(math_ops.abs(x), ord, axis, is_matrix)
        if not keepdims:
            result = array_ops.squeeze(result, axis)
        return result


def _check_norm_args(ord, axis, is_matrix: bool) -> None:
    if is_matrix:
        if not all(isinstance(a, (int, np.integer)) for a in axis) or axis[0] == axis[1]:
            raise ValueError(
                f"'axis' must be None, an integer, or a tuple of 2 unique integers, got {axis}"
            )
        supported = ["euclidean", "fro", 1, 2, np.inf]
        if ord not in supported:
            raise ValueError(f"'ord' must be a supported matrix norm in {supported}, got {ord}")
        return
    if not (axis is None or isinstance(axis, (int, np.integer))):
        raise ValueError(
            f"'axis' must be None, an integer, or a tuple of 2 unique integers, got {axis}"
        )
    supported = ["euclidean", 1, 2, np.inf]
    if ord not in supported and (isinstance(ord, str) or not np.isreal(ord) or ord <= 0):
        raise ValueError(f"'ord' must be a supported vector norm, got {ord}")


def _abs_norm(result: Tensor, ord, axis, is_matrix: bool) -> Tensor:
    if ord == 1:
        if is_matrix:
            result = math_ops.reduce_sum(result, axis[-2], keepdims=True)
            return math_ops.reduce_max(result, axis[-1], keepdims=True)
        return math_ops.reduce_sum(result, axis, keepdims=True)
    if ord == np.inf:
        if is_matrix:
            result = math_ops.reduce_sum(result, axis[-1], keepdims=True)
            return math_ops.reduce_max(result, axis[-2], keepdims=True)
        return math_ops.reduce_max(result, axis, keepdims=True)
    total = math_ops.reduce_sum(math_ops.pow(result, float(ord)), axis, keepdims=True)
    return math_ops.pow(total, 1.0 / ord)


def _matrix_2_norm(x: Tensor, axis) -> Tensor:
    rank = x.shape.ndims
    if rank is None:
        raise ValueError("norm: the 2-norm of matrices needs the rank of 'tensor' known")
    a0, a1 = axis[0] % rank, axis[1] % rank
    perm = [i for i in range(rank) if i not in (a0, a1)] + [a0, a1]
    s = svd(array_ops.transpose(x, perm), compute_uv=False)
    top = math_ops.reduce_max(math_ops.abs(s), -1, keepdims=True)
    top = array_ops.expand_dims(top, -1)  # the two matrix dims, now last, kept as size 1
    return array_ops.transpose(top, np.argsort(perm).astype(np.int32))
