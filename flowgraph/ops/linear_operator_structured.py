"""The structured `tf.linalg.LinearOperator`s: full, diagonal, identity, scaled identity,
zeros, triangular, tridiagonal, Toeplitz, circulant, Householder and permutation."""

from __future__ import annotations

import numpy as np

from flowgraph.framework import dtypes
from flowgraph.framework.tensor_shape import TensorShape
from flowgraph.ops import array_ops, linalg_extra_ops, linalg_ops, math_ops, spectral_ops
from flowgraph.ops.constant_op import convert_to_tensor
from flowgraph.ops.linear_operator import LinearOperator, static_int


def _tensor(value, name, dtype=None):
    return convert_to_tensor(value, dtype=dtype, name=name)


def _reshape_tail(x, k: int, tail: list):
    """`x` with its last `k` dims reshaped to `tail` (the batch dims kept)."""
    batch = x.shape.as_list()[:-k] if x.shape.ndims is not None else None
    if batch is not None and None not in batch:
        return array_ops.reshape(x, batch + list(tail))
    return array_ops.reshape(x, array_ops.concat([array_ops.shape(x)[:-k], tail], 0))


class LinearOperatorFullMatrix(LinearOperator):
    """`LinearOperator` acting like a [batch] matrix: `A = matrix`."""

    def __init__(
        self,
        matrix,
        is_non_singular=None,
        is_self_adjoint=None,
        is_positive_definite=None,
        is_square=None,
        name="LinearOperatorFullMatrix",
    ):
        self._matrix = _tensor(matrix, "matrix")
        super().__init__(
            self._matrix.dtype,
            [self._matrix],
            is_non_singular,
            is_self_adjoint,
            is_positive_definite,
            is_square,
            name,
            {"matrix": matrix},
        )

    def _shape(self):
        return self._matrix.shape

    def _to_dense(self):
        return self._matrix


class LinearOperatorDiag(LinearOperator):
    """`LinearOperator` acting like a [batch] square diagonal matrix: `A = diag(diag)`."""

    def __init__(
        self,
        diag,
        is_non_singular=None,
        is_self_adjoint=None,
        is_positive_definite=None,
        is_square=None,
        name="LinearOperatorDiag",
    ):
        self._diag = _tensor(diag, "diag")
        if not self._diag.dtype.is_complex:
            if is_self_adjoint is False:
                raise ValueError("A real diagonal operator is always self adjoint.")
            is_self_adjoint = True
        if is_square is False:
            raise ValueError("Only square diagonal operators currently supported.")
        super().__init__(
            self._diag.dtype,
            [self._diag],
            is_non_singular,
            is_self_adjoint,
            is_positive_definite,
            True,
            name,
            {"diag": diag},
        )

    def _shape(self):
        return self._diag.shape.concatenate(self._diag.shape[-1:])

    def _to_dense(self):
        return linalg_ops.matrix_diag(self._diag)

    def _scale(self, adjoint):
        return spectral_ops.conj(self._diag) if adjoint and self.dtype.is_complex else self._diag

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        x = linalg_ops.matrix_transpose(x, conjugate=True) if adjoint_arg else x
        return array_ops.expand_dims(self._scale(adjoint), -1) * x

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        rhs = linalg_ops.matrix_transpose(rhs, conjugate=True) if adjoint_arg else rhs
        return rhs / array_ops.expand_dims(self._scale(adjoint), -1)

    def _determinant(self):
        return math_ops.reduce_prod(self._diag, -1)

    def _log_abs_determinant(self):
        return math_ops.reduce_sum(math_ops.log(math_ops.abs(self._diag)), -1)

    def _diag_part(self):
        return self._diag

    def _eigvals(self):
        return self._diag

    def _inverse(self):
        return LinearOperatorDiag(
            1.0 / self._diag,
            is_non_singular=self.is_non_singular,
            is_self_adjoint=self.is_self_adjoint,
            is_positive_definite=self.is_positive_definite,
        )

    def _cholesky(self):
        return LinearOperatorDiag(
            math_ops.sqrt(self._diag),
            is_non_singular=True,
            is_self_adjoint=True,
            is_positive_definite=True,
        )

    @property
    def diag(self):
        return self._diag


class _BaseIdentity(LinearOperator):
    """An identity-like operator: `num_rows` and `batch_shape` known when it is built."""

    def _init_shape(self, num_rows, num_columns, batch_shape):
        self._num_rows = static_int(num_rows)
        self._num_columns = self._num_rows if num_columns is None else static_int(num_columns)
        if self._num_rows is None or self._num_columns is None:
            raise ValueError("num_rows must be known when the operator is built.")
        if self._num_rows < 0 or self._num_columns < 0:
            raise ValueError(f"Argument num_rows must be non-negative. Found: {self._num_rows}")
        self._batch = [] if batch_shape is None else [int(d) for d in np.asarray(batch_shape)]

    def _shape(self):
        return TensorShape(self._batch + [self._num_rows, self._num_columns])

    def _broadcast(self, x):
        """`x` broadcast against the operator's batch shape."""
        if not self._batch:
            return x
        return x + array_ops.zeros(self._batch + [1, 1], dtype=x.dtype)


class LinearOperatorIdentity(_BaseIdentity):
    """`LinearOperator` acting like a [batch] square identity matrix."""

    def __init__(
        self,
        num_rows,
        batch_shape=None,
        dtype=None,
        is_non_singular=True,
        is_self_adjoint=True,
        is_positive_definite=True,
        is_square=True,
        assert_proper_shapes=False,
        name="LinearOperatorIdentity",
    ):
        for flag, text in (
            (is_non_singular, "non singular"),
            (is_self_adjoint, "self adjoint"),
            (is_positive_definite, "positive definite"),
            (is_square, "square"),
        ):
            if not flag:
                raise ValueError(f"An identity operator is always {text}.")
        self._init_shape(num_rows, None, batch_shape)
        super().__init__(
            dtype or dtypes.float32,
            None,
            True,
            True,
            True,
            True,
            name,
            {"num_rows": num_rows, "batch_shape": batch_shape, "dtype": dtype},
        )

    def _to_dense(self):
        return linalg_ops.eye(self._num_rows, batch_shape=self._batch or None, dtype=self.dtype)

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        x = linalg_ops.matrix_transpose(x, conjugate=True) if adjoint_arg else x
        return self._broadcast(x)

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        return self._matmul(rhs, adjoint, adjoint_arg)

    def _determinant(self):
        return array_ops.ones(self._batch, dtype=self.dtype)

    def _log_abs_determinant(self):
        return array_ops.zeros(self._batch, dtype=self.dtype)

    def _diag_part(self):
        return array_ops.ones(self._batch + [self._num_rows], dtype=self.dtype)

    def _inverse(self):
        return self

    def _cholesky(self):
        return self


class LinearOperatorScaledIdentity(_BaseIdentity):
    """`LinearOperator` acting like a scaled [batch] identity matrix `A = c I`."""

    def __init__(
        self,
        num_rows,
        multiplier,
        is_non_singular=None,
        is_self_adjoint=None,
        is_positive_definite=None,
        is_square=True,
        assert_proper_shapes=False,
        name="LinearOperatorScaledIdentity",
    ):
        if not is_square:
            raise ValueError("A ScaledIdentity operator is always square.")
        self._multiplier = _tensor(multiplier, "multiplier")
        self._init_shape(num_rows, None, None)
        self._batch = self._multiplier.shape.as_list()
        if not self._multiplier.dtype.is_complex and is_self_adjoint is False:
            raise ValueError("A real diagonal operator is always self adjoint.")
        if not self._multiplier.dtype.is_complex:
            is_self_adjoint = True
        super().__init__(
            self._multiplier.dtype,
            [self._multiplier],
            is_non_singular,
            is_self_adjoint,
            is_positive_definite,
            True,
            name,
            {"num_rows": num_rows, "multiplier": multiplier},
        )

    @property
    def multiplier(self):
        return self._multiplier

    def _scalar(self, adjoint=False):
        c = self._multiplier
        c = spectral_ops.conj(c) if adjoint and self.dtype.is_complex else c
        return array_ops.expand_dims(array_ops.expand_dims(c, -1), -1)

    def _to_dense(self):
        return self._scalar() * linalg_ops.eye(self._num_rows, dtype=self.dtype)

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        x = linalg_ops.matrix_transpose(x, conjugate=True) if adjoint_arg else x
        return self._scalar(adjoint) * x

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        rhs = linalg_ops.matrix_transpose(rhs, conjugate=True) if adjoint_arg else rhs
        return rhs / self._scalar(adjoint)

    def _determinant(self):
        return self._multiplier ** math_ops.cast(self._num_rows, self.dtype)

    def _log_abs_determinant(self):
        log_abs = math_ops.log(math_ops.abs(self._multiplier))
        return math_ops.cast(self._num_rows, log_abs.dtype) * log_abs

    def _diag_part(self):
        ones = array_ops.ones([self._num_rows], dtype=self.dtype)
        return array_ops.expand_dims(self._multiplier, -1) * ones

    def _inverse(self):
        return LinearOperatorScaledIdentity(
            self._num_rows, 1.0 / self._multiplier, is_non_singular=self.is_non_singular
        )


class LinearOperatorZeros(_BaseIdentity):
    """`LinearOperator` acting like a [batch] zero matrix."""

    def __init__(
        self,
        num_rows,
        num_columns=None,
        batch_shape=None,
        dtype=None,
        is_non_singular=False,
        is_self_adjoint=True,
        is_positive_definite=False,
        is_square=True,
        assert_proper_shapes=False,
        name="LinearOperatorZeros",
    ):
        if is_non_singular:
            raise ValueError("A Zeros operator is always singular.")
        if is_positive_definite:
            raise ValueError("A Zeros operator is always not positive-definite.")
        self._init_shape(num_rows, num_columns, batch_shape)
        if (self._num_rows == self._num_columns) != bool(is_square):
            raise ValueError(
                "Only square Zeros operators are self adjoint and square."
                if is_square
                else "A non-square Zeros operator needs is_square."
            )
        super().__init__(
            dtype or dtypes.float32,
            None,
            False,
            is_self_adjoint,
            False,
            is_square,
            name,
            {
                "num_rows": num_rows,
                "num_columns": num_columns,
                "batch_shape": batch_shape,
                "dtype": dtype,
            },
        )

    def _to_dense(self):
        return array_ops.zeros(self._batch + [self._num_rows, self._num_columns], self.dtype)

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        x = linalg_ops.matrix_transpose(x, conjugate=True) if adjoint_arg else x
        rows = self._num_columns if adjoint else self._num_rows
        shape = array_ops.concat([array_ops.shape(x)[:-2], [rows], array_ops.shape(x)[-1:]], 0)
        return self._broadcast(array_ops.zeros(shape, dtype=x.dtype))

    def _determinant(self):
        return array_ops.zeros(self._batch, dtype=self.dtype)

    def _log_abs_determinant(self):
        return math_ops.log(self._determinant())

    def _diag_part(self):
        size = min(self._num_rows, self._num_columns)
        return array_ops.zeros(self._batch + [size], dtype=self.dtype)


class LinearOperatorLowerTriangular(LinearOperator):
    """`LinearOperator` acting like a [batch] square lower triangular matrix (only the lower
    triangle of `tril` is used)."""

    def __init__(
        self,
        tril,
        is_non_singular=None,
        is_self_adjoint=None,
        is_positive_definite=None,
        is_square=None,
        name="LinearOperatorLowerTriangular",
    ):
        if is_square is False:
            raise ValueError("Only square lower triangular operators supported at this time.")
        self._tril = _tensor(tril, "tril")
        super().__init__(
            self._tril.dtype,
            [self._tril],
            is_non_singular,
            is_self_adjoint,
            is_positive_definite,
            True,
            name,
            {"tril": tril},
        )

    def _shape(self):
        return self._tril.shape

    def _to_dense(self):
        return linalg_ops.matrix_band_part(self._tril, -1, 0)

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        rhs = linalg_ops.matrix_transpose(rhs, conjugate=True) if adjoint_arg else rhs
        return linalg_ops.matrix_triangular_solve(
            self._to_dense(), rhs, lower=True, adjoint=adjoint
        )

    def _determinant(self):
        return math_ops.reduce_prod(self._diag_part(), -1)

    def _log_abs_determinant(self):
        return math_ops.reduce_sum(math_ops.log(math_ops.abs(self._diag_part())), -1)


class LinearOperatorTridiag(LinearOperator):
    """`LinearOperator` acting like a [batch] square tridiagonal matrix.

    `diagonals_format` is "compact" (a `[..., 3, N]` tensor of superdiagonal, diagonal and
    subdiagonal; the superdiagonal's last and the subdiagonal's first entry are ignored),
    "sequence" (a list of those three `[..., N]` tensors) or "matrix" (`[..., N, N]`).
    """

    def __init__(
        self,
        diagonals,
        diagonals_format="compact",
        is_non_singular=None,
        is_self_adjoint=None,
        is_positive_definite=None,
        is_square=None,
        name="LinearOperatorTridiag",
    ):
        if diagonals_format not in ("compact", "matrix", "sequence"):
            raise ValueError(
                f"Diagonals Format must be one of compact, matrix, sequence, "
                f"got : {diagonals_format}"
            )
        if diagonals_format == "sequence":
            diagonals = [_tensor(d, "diagonals") for d in diagonals]
            self._compact = array_ops.stack(diagonals, axis=-2)
        elif diagonals_format == "matrix":
            m = _tensor(diagonals, "diagonals")
            self._compact = self._compact_of(m)
        else:
            self._compact = _tensor(diagonals, "diagonals")
        self._diagonals, self._format = diagonals, diagonals_format
        super().__init__(
            self._compact.dtype,
            [self._compact],
            is_non_singular,
            is_self_adjoint,
            is_positive_definite,
            True,
            name,
            {"diagonals": diagonals, "diagonals_format": diagonals_format},
        )

    @staticmethod
    def _compact_of(m):
        diag = linalg_ops.matrix_diag_part(m)
        zero = array_ops.zeros_like(diag[..., :1])
        upper = linalg_ops.matrix_diag_part(m[..., :-1, 1:])
        lower = linalg_ops.matrix_diag_part(m[..., 1:, :-1])
        return array_ops.stack(
            [array_ops.concat([upper, zero], -1), diag, array_ops.concat([zero, lower], -1)],
            axis=-2,
        )

    @property
    def diagonals(self):
        return self._diagonals

    def _shape(self):
        n = self._compact.shape[-1:]
        return self._compact.shape[:-2].concatenate(n).concatenate(n)

    def _to_dense(self):
        upper, diag, lower = (self._compact[..., k, :] for k in range(3))
        batch = [[0, 0]] * (self._compact.shape.ndims - 2)
        up = array_ops.pad(linalg_ops.matrix_diag(upper[..., :-1]), batch + [[0, 1], [1, 0]])
        low = array_ops.pad(linalg_ops.matrix_diag(lower[..., 1:]), batch + [[1, 0], [0, 1]])
        return linalg_ops.matrix_diag(diag) + up + low

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        if adjoint or adjoint_arg:
            return super()._matmul(x, adjoint, adjoint_arg)
        return linalg_extra_ops.tridiagonal_matmul(self._compact, x)

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        if adjoint or adjoint_arg:
            return super()._solve(rhs, adjoint, adjoint_arg)
        return linalg_extra_ops.tridiagonal_solve(self._compact, rhs)


class LinearOperatorToeplitz(LinearOperator):
    """`LinearOperator` acting like a [batch] Toeplitz matrix: `A[i, j] = col[i - j]` on and
    below the diagonal, `row[j - i]` above it (`row[0]` is ignored)."""

    def __init__(
        self,
        col,
        row,
        is_non_singular=None,
        is_self_adjoint=None,
        is_positive_definite=None,
        is_square=None,
        name="LinearOperatorToeplitz",
    ):
        self._col = _tensor(col, "col")
        self._row = _tensor(row, "row", dtype=self._col.dtype)
        super().__init__(
            self._col.dtype,
            [self._col, self._row],
            is_non_singular,
            is_self_adjoint,
            is_positive_definite,
            True,
            name,
            {"col": col, "row": row},
        )

    col = property(lambda self: self._col)
    row = property(lambda self: self._row)

    def _shape(self):
        batch = array_ops.broadcast_static_shape(self._col.shape[:-1], self._row.shape[:-1])
        n = self._col.shape[-1:]
        return batch.concatenate(n).concatenate(n)

    def _to_dense(self):
        n = self._col.shape.as_list()[-1]
        values = array_ops.concat([array_ops.reverse_v2(self._row[..., 1:], [-1]), self._col], -1)
        index = np.arange(n)[:, None] - np.arange(n)[None, :] + n - 1
        return array_ops.gather(values, index, axis=-1)


def _circulant_dense(first_column, block_shape):
    """The block-circulant matrix whose first column is `first_column` ([..., *block])."""
    grids = np.indices(tuple(block_shape) * 2).reshape(2 * len(block_shape), -1)
    rows, cols = grids[: len(block_shape)], grids[len(block_shape) :]
    offsets = [(r - c) % n for r, c, n in zip(rows, cols, block_shape)]
    size = int(np.prod(block_shape))
    index = np.ravel_multi_index(offsets, block_shape).reshape(size, size)
    flat = _reshape_tail(first_column, len(block_shape), [size])
    return array_ops.gather(flat, index, axis=-1)


class _BaseCirculant(LinearOperator):
    """A [batch] of circulant operators `H = F^{-1} diag(spectrum) F` over `rank` dims."""

    _RANK = 1
    _IFFT = staticmethod(spectral_ops.ifft)

    def __init__(
        self,
        spectrum,
        input_output_dtype=dtypes.complex64,
        is_non_singular=None,
        is_self_adjoint=None,
        is_positive_definite=None,
        is_square=True,
        name=None,
    ):
        spectrum = _tensor(spectrum, "spectrum")
        if spectrum.dtype.is_integer or spectrum.dtype == dtypes.bool:
            raise TypeError(f"Argument spectrum must have dtype float or complex: {spectrum}")
        if not spectrum.dtype.is_complex:
            complex_type = (
                dtypes.complex128 if spectrum.dtype == dtypes.float64 else dtypes.complex64
            )
            spectrum = math_ops.cast(spectrum, complex_type)
        self._spectrum = spectrum
        self._block_shape = spectrum.shape.as_list()[-self._RANK :]
        if None in self._block_shape:
            raise ValueError(
                "The spectrum's block dimensions must be known when the operator is built."
            )
        super().__init__(
            input_output_dtype,
            [spectrum],
            is_non_singular,
            is_self_adjoint,
            is_positive_definite,
            is_square,
            name or type(self).__name__,
            {"spectrum": spectrum, "input_output_dtype": input_output_dtype},
        )

    spectrum = property(lambda self: self._spectrum)
    block_shape = property(lambda self: TensorShape(self._block_shape))

    def _shape(self):
        n = int(np.prod(self._block_shape))
        return self._spectrum.shape[: -self._RANK].concatenate([n, n])

    def convolution_kernel(self, name="convolution_kernel"):
        """The first column of the matrix, reshaped to the block shape (`ifft(spectrum)`)."""
        with self._name_scope(name):
            return self._kernel()

    def _kernel(self):
        kernel = self._IFFT(self._spectrum)
        return (
            kernel
            if self.dtype.is_complex
            else math_ops.cast(spectral_ops.real(kernel), self.dtype)
        )

    def _to_dense(self):
        return _circulant_dense(self._kernel(), self._block_shape)

    def _determinant(self):
        det = math_ops.reduce_prod(_reshape_tail(self._spectrum, self._RANK, [-1]), -1)
        return det if self.dtype.is_complex else math_ops.cast(spectral_ops.real(det), self.dtype)

    def _log_abs_determinant(self):
        flat = _reshape_tail(self._spectrum, self._RANK, [-1])
        log_abs = math_ops.reduce_sum(math_ops.log(math_ops.abs(flat)), -1)
        return log_abs if not self.dtype.is_complex else math_ops.cast(log_abs, self.dtype)


class LinearOperatorCirculant(_BaseCirculant):
    """`LinearOperator` acting like a circulant matrix `H = F^{-1} diag(spectrum) F`, where
    `F` is the DFT: its first column is `ifft(spectrum)`."""

    _RANK = 1
    _IFFT = staticmethod(spectral_ops.ifft)


class LinearOperatorCirculant2D(_BaseCirculant):
    """`LinearOperator` acting like a block circulant matrix with circulant blocks, from a
    2-D `spectrum` (`[..., N0, N1]`; the operator is `N0 N1 x N0 N1`)."""

    _RANK = 2
    _IFFT = staticmethod(spectral_ops.ifft2d)


class LinearOperatorCirculant3D(_BaseCirculant):
    """`LinearOperator` acting like a nested block circulant matrix, from a 3-D `spectrum`
    (`[..., N0, N1, N2]`; the operator is `N0 N1 N2 x N0 N1 N2`)."""

    _RANK = 3
    _IFFT = staticmethod(spectral_ops.ifft3d)


class LinearOperatorHouseholder(LinearOperator):
    """`LinearOperator` acting like a [batch] Householder reflection
    `H = I - 2 v v^H / (v^H v)` through the hyperplane orthogonal to `reflection_axis`."""

    def __init__(
        self,
        reflection_axis,
        is_non_singular=None,
        is_self_adjoint=None,
        is_positive_definite=None,
        is_square=None,
        name="LinearOperatorHouseholder",
    ):
        if is_self_adjoint is False:
            raise ValueError("A Householder operator is always self adjoint.")
        if is_non_singular is False:
            raise ValueError("A Householder operator is always non-singular.")
        if is_square is False:
            raise ValueError("A Householder operator is always square.")
        if is_positive_definite is True:
            raise ValueError("A Householder operator is always not positive definite.")
        self._axis = _tensor(reflection_axis, "reflection_axis")
        super().__init__(
            self._axis.dtype,
            [self._axis],
            True,
            True,
            is_positive_definite,
            True,
            name,
            {"reflection_axis": reflection_axis},
        )

    reflection_axis = property(lambda self: self._axis)

    def _shape(self):
        return self._axis.shape.concatenate(self._axis.shape[-1:])

    def _to_dense(self):
        n = self._axis.shape.as_list()[-1]
        return self._matmul(linalg_ops.eye(n, dtype=self.dtype))

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        x = linalg_ops.matrix_transpose(x, conjugate=True) if adjoint_arg else x
        v = array_ops.expand_dims(self._axis, -1)
        norm2 = math_ops.reduce_sum(math_ops.abs(self._axis) ** 2, -1)
        norm2 = math_ops.cast(norm2, self.dtype)[..., None, None]
        proj = math_ops.matmul(v, x, adjoint_a=True)
        return x - 2.0 * v * proj / norm2

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        return self._matmul(rhs, adjoint, adjoint_arg)  # H is its own inverse

    def _determinant(self):
        return -array_ops.ones(self.batch_shape.as_list(), dtype=self.dtype)

    def _log_abs_determinant(self):
        return array_ops.zeros(self.batch_shape.as_list(), dtype=self.dtype)

    def _inverse(self):
        return self


class LinearOperatorPermutation(LinearOperator):
    """`LinearOperator` acting like a [batch] permutation matrix: `(A x)[i] = x[perm[i]]`."""

    def __init__(
        self,
        perm,
        dtype=dtypes.float32,
        is_non_singular=None,
        is_self_adjoint=None,
        is_positive_definite=None,
        is_square=None,
        name="LinearOperatorPermutation",
    ):
        if is_non_singular is False:
            raise ValueError("A Permutation operator is always non-singular.")
        if is_square is False:
            raise ValueError("A Permutation operator is always square.")
        self._perm = _tensor(perm, "perm")
        if not self._perm.dtype.is_integer:
            raise TypeError(f"Argument perm must be integer dtype, got {self._perm.dtype}.")
        super().__init__(
            dtype,
            [self._perm],
            True,
            is_self_adjoint,
            is_positive_definite,
            True,
            name,
            {"perm": perm, "dtype": dtype},
        )

    perm = property(lambda self: self._perm)

    def _shape(self):
        return self._perm.shape.concatenate(self._perm.shape[-1:])

    def _to_dense(self):
        n = array_ops.shape(self._perm)[-1]
        return array_ops.one_hot(self._perm, n, dtype=self.dtype)

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        if adjoint or adjoint_arg or self._perm.shape.ndims != 1:
            return super()._matmul(x, adjoint, adjoint_arg)
        return array_ops.gather(x, self._perm, axis=-2)

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        # A permutation matrix is orthogonal: its inverse is its adjoint.
        return super()._matmul(rhs, not adjoint, adjoint_arg)

    def _log_abs_determinant(self):
        return array_ops.zeros(self.batch_shape.as_list(), dtype=self.dtype)
