"""`tf.linalg.LinearOperator`: a matrix (or batch of matrices) known by what it does.

Every method has a dense default built from the operator's `to_dense()`; subclasses
override what their structure makes cheaper (a diagonal's solve, a permutation's
determinant), as TF's operators do.
"""

from __future__ import annotations

import numpy as np

from flowgraph.framework import dtypes
from flowgraph.framework.scopes import name_scope
from flowgraph.framework.tensor_shape import TensorShape
from flowgraph.ops import array_ops, check_ops, linalg_ops, math_ops, spectral_ops
from flowgraph.ops.constant_op import convert_to_tensor


class LinearOperator:
    """Base class defining a [batch of] linear operator[s].

    A `LinearOperator` of shape `[B1, ..., Bb, M, N]` acts like a batch of `M x N`
    matrices without necessarily storing them: `matmul`, `solve`, `determinant` and the
    others use the operator's structure; `to_dense()` gives the matrix.

    Example:
      >>> op = tf.linalg.LinearOperatorDiag([1.0, 2.0])
      >>> op.matvec([3.0, 4.0])   # [3.0, 8.0]
    """

    def __init__(
        self,
        dtype,
        graph_parents=None,
        is_non_singular=None,
        is_self_adjoint=None,
        is_positive_definite=None,
        is_square=None,
        name=None,
        parameters=None,
    ):
        if is_positive_definite:
            if is_non_singular is False:
                raise ValueError("A positive definite matrix is always non-singular.")
            is_non_singular = True
        if is_non_singular and is_square is False:
            raise ValueError("A non-singular matrix is always square.")
        if is_self_adjoint and is_square is False:
            raise ValueError("A self-adjoint matrix is always square.")
        if is_non_singular or is_self_adjoint:
            is_square = True
        self._dtype = dtypes.as_dtype(dtype).base_dtype if dtype is not None else None
        self._graph_parents = list(graph_parents or [])
        self._is_non_singular = is_non_singular
        self._is_self_adjoint = is_self_adjoint
        self._is_positive_definite = is_positive_definite
        self._is_square_set = is_square
        self._name = name or type(self).__name__
        self._parameters = dict(parameters or {})

    # -- hints and shape ---------------------------------------------------------------------

    dtype = property(lambda self: self._dtype, doc="The `DType` of `Tensor`s handled.")
    name = property(lambda self: self._name, doc="Name prepended to all ops.")
    graph_parents = property(lambda self: self._graph_parents, doc="Tensors it depends on.")
    parameters = property(lambda self: dict(self._parameters), doc="The constructor's args.")
    is_non_singular = property(lambda self: self._is_non_singular)
    is_self_adjoint = property(lambda self: self._is_self_adjoint)
    is_positive_definite = property(lambda self: self._is_positive_definite)

    @property
    def is_square(self):
        """Whether the operator is square: from its shape when known, else the hint."""
        rows, cols = self.shape[-2:].as_list() if self.shape.ndims else (None, None)
        if rows is not None and cols is not None:
            return rows == cols
        return self._is_square_set

    @property
    def shape(self) -> TensorShape:
        """The `TensorShape` of this operator: `batch_shape + [M, N]`."""
        return TensorShape(self._shape())

    def shape_tensor(self, name="shape_tensor"):
        """The shape of this operator as a 1-D int32 `Tensor`."""
        with self._name_scope(name):
            if self.shape.is_fully_defined():
                return convert_to_tensor(self.shape.as_list(), dtypes.int32)
            return self._shape_tensor()

    def _shape_tensor(self):
        return array_ops.shape(self.to_dense())

    @property
    def batch_shape(self) -> TensorShape:
        """The `TensorShape` of the batch dims: `[B1, ..., Bb]`."""
        return self.shape[:-2]

    def batch_shape_tensor(self, name="batch_shape_tensor"):
        with self._name_scope(name):
            return self.shape_tensor()[:-2]

    @property
    def tensor_rank(self):
        """Rank of the matrix part of this operator (`b + 2`)."""
        return self.shape.ndims

    def tensor_rank_tensor(self, name="tensor_rank_tensor"):
        with self._name_scope(name):
            return array_ops.size(self.shape_tensor())

    @property
    def domain_dimension(self):
        """Dimension (in the sense of vector spaces) of the domain: `N`."""
        return self.shape.dims[-1] if self.shape.ndims else None

    def domain_dimension_tensor(self, name="domain_dimension_tensor"):
        with self._name_scope(name):
            return self.shape_tensor()[-1]

    @property
    def range_dimension(self):
        """Dimension (in the sense of vector spaces) of the range: `M`."""
        return self.shape.dims[-2] if self.shape.ndims else None

    def range_dimension_tensor(self, name="range_dimension_tensor"):
        with self._name_scope(name):
            return self.shape_tensor()[-2]

    # -- the operations ----------------------------------------------------------------------

    def to_dense(self, name="to_dense"):
        """The dense `[batch] matrix` this operator represents."""
        with self._name_scope(name):
            return self._to_dense()

    def matmul(self, x, adjoint=False, adjoint_arg=False, name="matmul"):
        """`self @ x` (or `self^H @ x`; `x^H` in place of `x` with `adjoint_arg`).

        Args:
          x: a `Tensor` with compatible shape and the same dtype, or a `LinearOperator`
            (the result is then their `LinearOperatorComposition`).
          adjoint: use the adjoint of this operator.
          adjoint_arg: use the adjoint of `x`.
          name: a name for this `Op`.
        """
        if isinstance(x, LinearOperator):
            from flowgraph.ops.linear_operator_composite import LinearOperatorComposition

            left = self.adjoint() if adjoint else self
            right = x.adjoint() if adjoint_arg else x
            return LinearOperatorComposition([left, right])
        with self._name_scope(name):
            return self._matmul(self._arg(x), adjoint, adjoint_arg)

    def __matmul__(self, other):
        return self.matmul(other)

    def matvec(self, x, adjoint=False, name="matvec"):
        """`self @ x` for a [batch] vector `x`."""
        with self._name_scope(name):
            x = self._arg(x)
            return array_ops.squeeze(self._matmul(array_ops.expand_dims(x, -1), adjoint), [-1])

    def solve(self, rhs, adjoint=False, adjoint_arg=False, name="solve"):
        """The `X` with `self @ X = rhs` (or `self^H @ X = rhs`).

        Raises:
          NotImplementedError: if the operator is hinted singular or not square.
        """
        self._check_invertible("solve")
        if isinstance(rhs, LinearOperator):
            left = self.adjoint() if adjoint else self
            return left.inverse().matmul(rhs, adjoint_arg=adjoint_arg)
        with self._name_scope(name):
            return self._solve(self._arg(rhs), adjoint, adjoint_arg)

    def solvevec(self, rhs, adjoint=False, name="solve"):
        """The [batch] vector `x` with `self @ x = rhs`."""
        self._check_invertible("solve")
        with self._name_scope(name):
            rhs = self._arg(rhs)
            return array_ops.squeeze(self._solve(array_ops.expand_dims(rhs, -1), adjoint), [-1])

    def determinant(self, name="det"):
        """The determinant of each matrix of the batch."""
        self._check_square("Determinant")
        with self._name_scope(name):
            return self._determinant()

    def log_abs_determinant(self, name="log_abs_det"):
        """The log of the absolute value of the determinant of each matrix of the batch."""
        self._check_square("Determinant")
        with self._name_scope(name):
            return self._log_abs_determinant()

    def diag_part(self, name="diag_part"):
        """The diagonal of each matrix of the batch: shape `[B1, ..., Bb, min(M, N)]`."""
        with self._name_scope(name):
            return self._diag_part()

    def trace(self, name="trace"):
        """The trace of each matrix of the batch."""
        with self._name_scope(name):
            return math_ops.reduce_sum(self._diag_part(), -1)

    def add_to_tensor(self, x, name="add_to_tensor"):
        """`self.to_dense() + x`."""
        with self._name_scope(name):
            return self._to_dense() + self._arg(x)

    def adjoint(self, name="adjoint"):
        """The adjoint (conjugate transpose) of this operator, as a `LinearOperator`."""
        if self.is_self_adjoint:
            return self
        from flowgraph.ops.linear_operator_composite import LinearOperatorAdjoint

        return LinearOperatorAdjoint(self, name=f"{self.name}_adjoint")

    H = property(adjoint, doc="Alias of `adjoint()`.")

    def inverse(self, name="inverse"):
        """The inverse of this operator, as a `LinearOperator`.

        Raises:
          ValueError: if the operator is hinted singular or not square.
        """
        if self.is_non_singular is False:
            raise ValueError("Cannot take the Inverse: This operator represents a singular matrix.")
        if self.is_square is False:
            raise ValueError(
                "Cannot take the Inverse: This operator represents a non square matrix."
            )
        return self._inverse()

    def _inverse(self):
        from flowgraph.ops.linear_operator_composite import LinearOperatorInversion

        return LinearOperatorInversion(self, name=f"{self.name}_inverse")

    def cholesky(self, name="cholesky"):
        """The lower Cholesky factor `L` (`self = L L^H`), as a `LinearOperator`.

        Raises:
          ValueError: unless the operator is hinted self-adjoint and positive definite.
        """
        if not (self.is_self_adjoint and self.is_positive_definite):
            raise ValueError(
                "Cholesky decomposition is only defined for self-adjoint and "
                "positive definite operators."
            )
        with self._name_scope(name):
            return self._cholesky()

    def _cholesky(self):
        from flowgraph.ops.linear_operator_structured import LinearOperatorLowerTriangular

        return LinearOperatorLowerTriangular(
            linalg_ops.cholesky(self._to_dense()), is_non_singular=True, is_square=True
        )

    def eigvals(self, name="eigvals"):
        """The eigenvalues of a self-adjoint operator, ascending."""
        if not self.is_self_adjoint:
            raise NotImplementedError("Only self-adjoint matrices are supported.")
        with self._name_scope(name):
            return self._eigvals()

    def _eigvals(self):
        return linalg_ops.self_adjoint_eigvals(self._to_dense())

    def cond(self, name="cond"):
        """The condition number: the ratio of the largest to the smallest singular value."""
        with self._name_scope(name):
            singular = linalg_ops.svd(self._to_dense(), compute_uv=False)
            return math_ops.reduce_max(singular, -1) / math_ops.reduce_min(singular, -1)

    def assert_non_singular(self, name="assert_non_singular"):
        """An op raising `InvalidArgumentError` at run time if the operator is singular."""
        with self._name_scope(name):
            det = math_ops.abs(self._determinant())
            return check_ops.assert_positive(det, message="Singular operator: det = 0.")

    def assert_positive_definite(self, name="assert_positive_definite"):
        """An op raising `InvalidArgumentError` at run time unless `x^H A x > 0` for all x."""
        with self._name_scope(name):
            dense = self._to_dense()
            sym = (dense + linalg_ops.matrix_transpose(dense, conjugate=True)) / 2
            eig = spectral_ops.real(linalg_ops.self_adjoint_eigvals(sym))
            return check_ops.assert_positive(eig, message="Operator not positive definite.")

    def assert_self_adjoint(self, name="assert_self_adjoint"):
        """An op raising `InvalidArgumentError` at run time unless the operator equals its
        adjoint."""
        with self._name_scope(name):
            dense = self._to_dense()
            return check_ops.assert_equal(
                dense,
                linalg_ops.matrix_transpose(dense, conjugate=True),
                message="Matrix was not equal to its adjoint.",
            )

    # -- dense defaults ----------------------------------------------------------------------

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        return math_ops.matmul(self._to_dense(), x, adjoint_a=adjoint, adjoint_b=adjoint_arg)

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        if adjoint_arg:
            rhs = linalg_ops.matrix_transpose(rhs, conjugate=True)
        return linalg_ops.matrix_solve(self._to_dense(), rhs, adjoint=adjoint)

    def _determinant(self):
        return linalg_ops.matrix_determinant(self._to_dense())

    def _log_abs_determinant(self):
        return linalg_ops.slogdet(self._to_dense())[1]

    def _diag_part(self):
        return linalg_ops.matrix_diag_part(self._to_dense())

    def _to_dense(self):
        raise NotImplementedError(f"{type(self).__name__} does not define _to_dense.")

    def _shape(self):
        raise NotImplementedError(f"{type(self).__name__} does not define _shape.")

    # -- helpers -----------------------------------------------------------------------------

    def _name_scope(self, name):
        return name_scope(f"{self._name}/{name}".replace(" ", "_"))

    def _arg(self, x):
        x = convert_to_tensor(x, dtype=self.dtype, name="x")
        return x

    def _check_square(self, what):
        if self.is_square is False:
            raise NotImplementedError(
                f"{what} not implemented for an operator that is expected to not be square."
            )

    def _check_invertible(self, what):
        if self.is_non_singular is False:
            raise NotImplementedError(
                "Exact solve not implemented for an operator that is expected to be singular."
            )
        self._check_square("Exact solve")


def broadcast_batch(shapes) -> list:
    """The broadcast of static batch shapes (lists; None where unknown)."""
    out = TensorShape([])
    for shape in shapes:
        out = array_ops.broadcast_static_shape(out, TensorShape(shape))
    return out.as_list() if out.ndims is not None else None


def static_int(value):
    """The Python int a value holds when it is known at graph-building time, else None."""
    if isinstance(value, (int, np.integer)):
        return int(value)
    from flowgraph.framework import tensor_util

    known = tensor_util.constant_value(convert_to_tensor(value))
    return None if known is None else int(known)
