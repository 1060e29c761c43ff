"""`tf.linalg.LinearOperator`s built from others: adjoint, inversion, composition, block
diagonal, block lower triangular, Kronecker product and low-rank update."""

from __future__ import annotations

from flowgraph.framework.tensor_shape import TensorShape
from flowgraph.ops import array_ops, linalg_ops, math_ops, spectral_ops
from flowgraph.ops.constant_op import convert_to_tensor
from flowgraph.ops.linear_operator import LinearOperator, broadcast_batch


def _all(operators, attr):
    """True if every operator's hint is True, None if any is unknown, else False."""
    values = [getattr(op, attr) for op in operators]
    return True if all(values) else (False if False in values else None)


def _batch_of(operators) -> list:
    return broadcast_batch([op.batch_shape for op in operators]) or []


def _common_dtype(operators):
    dtypes = {op.dtype for op in operators}
    if len(dtypes) > 1:
        raise TypeError(
            f"Expected all operators to have the same dtype. Found "
            f"{', '.join(sorted(d.name for d in dtypes))}"
        )
    return dtypes.pop()


class LinearOperatorAdjoint(LinearOperator):
    """`LinearOperator` representing the adjoint (conjugate transpose) of another."""

    def __init__(
        self,
        operator,
        is_non_singular=None,
        is_self_adjoint=None,
        is_positive_definite=None,
        is_square=None,
        name=None,
    ):
        self._operator = operator
        hint = lambda mine, theirs: theirs if mine is None else mine  # noqa: E731
        super().__init__(
            operator.dtype,
            operator.graph_parents,
            hint(is_non_singular, operator.is_non_singular),
            hint(is_self_adjoint, operator.is_self_adjoint),
            hint(is_positive_definite, operator.is_positive_definite),
            hint(is_square, operator.is_square),
            name or f"{operator.name}_adjoint",
            {"operator": operator},
        )

    operator = property(lambda self: self._operator)

    def _shape(self):
        shape = self._operator.shape
        return shape[:-2].concatenate([shape.dims[-1], shape.dims[-2]])

    def _to_dense(self):
        return linalg_ops.matrix_transpose(self._operator.to_dense(), conjugate=True)

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        return self._operator.matmul(x, adjoint=not adjoint, adjoint_arg=adjoint_arg)

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        return self._operator.solve(rhs, adjoint=not adjoint, adjoint_arg=adjoint_arg)

    def _determinant(self):
        det = self._operator.determinant()
        return spectral_ops.conj(det) if self.dtype.is_complex else det

    def _log_abs_determinant(self):
        return self._operator.log_abs_determinant()

    def adjoint(self, name="adjoint"):
        return self._operator


class LinearOperatorInversion(LinearOperator):
    """`LinearOperator` representing the inverse of a non-singular square operator: its
    `matmul` is the operator's `solve` and its `solve` the operator's `matmul`."""

    def __init__(
        self,
        operator,
        is_non_singular=None,
        is_self_adjoint=None,
        is_positive_definite=None,
        is_square=None,
        name=None,
    ):
        if operator.is_non_singular is False or is_non_singular is False:
            raise ValueError(
                f"operator and supplied hints must be non-singular. "
                f"Found: operator.is_non_singular = {operator.is_non_singular}"
            )
        if operator.is_square is False or is_square is False:
            raise ValueError("operator and supplied hints must be square.")
        self._operator = operator
        super().__init__(
            operator.dtype,
            operator.graph_parents,
            True,
            operator.is_self_adjoint if is_self_adjoint is None else is_self_adjoint,
            operator.is_positive_definite if is_positive_definite is None else is_positive_definite,
            True,
            name or f"{operator.name}_inverse",
            {"operator": operator},
        )

    operator = property(lambda self: self._operator)

    def _shape(self):
        return self._operator.shape

    def _to_dense(self):
        return linalg_ops.matrix_inverse(self._operator.to_dense())

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        return self._operator.solve(x, adjoint=adjoint, adjoint_arg=adjoint_arg)

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        return self._operator.matmul(rhs, adjoint=adjoint, adjoint_arg=adjoint_arg)

    def _determinant(self):
        return 1.0 / self._operator.determinant()

    def _log_abs_determinant(self):
        return -self._operator.log_abs_determinant()

    def _inverse(self):
        return self._operator


class LinearOperatorComposition(LinearOperator):
    """`LinearOperator` composing a list of operators: `A = A1 A2 ... An`."""

    def __init__(
        self,
        operators,
        is_non_singular=None,
        is_self_adjoint=None,
        is_positive_definite=None,
        is_square=None,
        name=None,
    ):
        operators = list(operators)
        if not operators:
            raise ValueError(f"Expected a non-empty list of operators. Found: {operators}")
        self._operators = operators
        dtype = _common_dtype(operators)
        if (
            is_non_singular is None
            and _all(operators, "is_non_singular")
            and _all(operators, "is_square")
        ):
            is_non_singular = True
        name = name or "_o_".join(op.name for op in operators)
        super().__init__(
            dtype,
            [t for op in operators for t in op.graph_parents],
            is_non_singular,
            is_self_adjoint,
            is_positive_definite,
            is_square,
            name,
            {"operators": operators},
        )

    operators = property(lambda self: list(self._operators))

    def _shape(self):
        batch = _batch_of(self._operators)
        rows = self._operators[0].shape.dims[-2]
        cols = self._operators[-1].shape.dims[-1]
        return TensorShape(batch).concatenate([rows, cols])

    def _to_dense(self):
        dense = self._operators[-1].to_dense()
        for op in reversed(self._operators[:-1]):
            dense = op.matmul(dense)
        return dense

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        ops = self._operators if adjoint else self._operators[::-1]
        x = ops[0].matmul(x, adjoint=adjoint, adjoint_arg=adjoint_arg)
        for op in ops[1:]:
            x = op.matmul(x, adjoint=adjoint)
        return x

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        ops = self._operators[::-1] if adjoint else self._operators
        rhs = ops[0].solve(rhs, adjoint=adjoint, adjoint_arg=adjoint_arg)
        for op in ops[1:]:
            rhs = op.solve(rhs, adjoint=adjoint)
        return rhs

    def _determinant(self):
        det = self._operators[0].determinant()
        for op in self._operators[1:]:
            det = det * op.determinant()
        return det

    def _log_abs_determinant(self):
        return (
            sum(op.log_abs_determinant() for op in self._operators[1:])
            + self._operators[0].log_abs_determinant()
        )


def _dims(operators, axis):
    dims = [op.shape.dims[axis] for op in operators]
    values = [d if d is None or isinstance(d, int) else d.value for d in dims]
    if None in values:
        raise ValueError(
            "The operators' matrix dimensions must be known when the operator is built."
        )
    return values


def _split_rows(x, sizes):
    return array_ops.split(x, sizes, axis=-2)


def _broadcast_batch(x, batch):
    """`x` broadcast to the batch shape `batch` (a list of ints)."""
    if not batch or x.shape.as_list()[:-2] == batch:
        return x
    return x + array_ops.zeros(batch + [1, 1], dtype=x.dtype)


class LinearOperatorBlockDiag(LinearOperator):
    """`LinearOperator` acting like a block diagonal matrix of square operators."""

    def __init__(
        self,
        operators,
        is_non_singular=None,
        is_self_adjoint=None,
        is_positive_definite=None,
        is_square=True,
        name=None,
    ):
        operators = list(operators)
        if not operators:
            raise ValueError(f"Expected a non-empty list of operators. Found: {operators}")
        if not all(op.is_square for op in operators):
            raise ValueError("All operators must be square for LinearOperatorBlockDiag.")
        self._operators = operators
        if is_non_singular is None and _all(operators, "is_non_singular"):
            is_non_singular = True
        if is_self_adjoint is None and _all(operators, "is_self_adjoint"):
            is_self_adjoint = True
        if is_positive_definite is None and _all(operators, "is_positive_definite"):
            is_positive_definite = True
        super().__init__(
            _common_dtype(operators),
            [t for op in operators for t in op.graph_parents],
            is_non_singular,
            is_self_adjoint,
            is_positive_definite,
            True,
            name or "_ds_".join(op.name for op in operators),
            {"operators": operators},
        )

    operators = property(lambda self: list(self._operators))

    def _shape(self):
        rows = sum(_dims(self._operators, -2))
        return TensorShape(_batch_of(self._operators) + [rows, rows])

    def _to_dense(self):
        batch = _batch_of(self._operators)
        sizes = _dims(self._operators, -1)
        total = sum(sizes)
        rows, start = [], 0
        for op, size in zip(self._operators, sizes):
            block = _broadcast_batch(op.to_dense(), batch)
            pad = [[0, 0]] * len(batch) + [[0, 0], [start, total - start - size]]
            rows.append(array_ops.pad(block, pad))
            start += size
        return array_ops.concat(rows, axis=-2)

    def _blockwise(self, method, x, adjoint, adjoint_arg):
        if adjoint_arg:
            x = linalg_ops.matrix_transpose(x, conjugate=True)
        parts = _split_rows(x, _dims(self._operators, -1 if not adjoint else -2))
        outs = [getattr(op, method)(p, adjoint=adjoint) for op, p in zip(self._operators, parts)]
        batch = _batch_of(self._operators)
        return array_ops.concat([_broadcast_batch(o, batch) for o in outs], axis=-2)

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        return self._blockwise("matmul", x, adjoint, adjoint_arg)

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        return self._blockwise("solve", rhs, adjoint, adjoint_arg)

    def _determinant(self):
        det = self._operators[0].determinant()
        for op in self._operators[1:]:
            det = det * op.determinant()
        return det

    def _log_abs_determinant(self):
        return (
            sum(op.log_abs_determinant() for op in self._operators[1:])
            + self._operators[0].log_abs_determinant()
        )

    def _diag_part(self):
        batch = _batch_of(self._operators)
        parts = [op.diag_part() for op in self._operators]
        parts = [p + array_ops.zeros(batch + [1], dtype=p.dtype) if batch else p for p in parts]
        return array_ops.concat(parts, axis=-1)


class LinearOperatorBlockLowerTriangular(LinearOperator):
    """`LinearOperator` acting like a block lower triangular matrix.

    `operators` is a list of rows: row `i` holds `i + 1` operators, the last of which
    (`operators[i][i]`) is a square block on the diagonal.
    """

    def __init__(
        self,
        operators,
        is_non_singular=None,
        is_self_adjoint=None,
        is_positive_definite=None,
        is_square=None,
        name="LinearOperatorBlockLowerTriangular",
    ):
        rows = [list(r) for r in operators]
        if not rows:
            raise ValueError(
                f"Argument operators must be a list of >=1 operators. Received: {operators}."
            )
        for i, r in enumerate(rows):
            if len(r) != i + 1:
                raise ValueError(
                    f"Argument operators[{i}] must contain {i + 1} blocks. "
                    f"Received: {len(r)} blocks."
                )
        self._rows = rows
        flat = [op for r in rows for op in r]
        diagonal = [r[-1] for r in rows]
        if is_non_singular is None and _all(diagonal, "is_non_singular"):
            is_non_singular = True
        super().__init__(
            _common_dtype(flat),
            [t for op in flat for t in op.graph_parents],
            is_non_singular,
            is_self_adjoint,
            is_positive_definite,
            True,
            name,
            {"operators": operators},
        )

    operators = property(lambda self: [list(r) for r in self._rows])

    def _shape(self):
        size = sum(_dims([r[-1] for r in self._rows], -1))
        return TensorShape(_batch_of([op for r in self._rows for op in r]) + [size, size])

    def _to_dense(self):
        batch = _batch_of([op for r in self._rows for op in r])
        sizes = _dims([r[-1] for r in self._rows], -1)
        total, dense_rows = sum(sizes), []
        for r in self._rows:
            blocks = [_broadcast_batch(op.to_dense(), batch) for op in r]
            row = array_ops.concat(blocks, axis=-1)
            done = sum(sizes[: len(r)])
            pad = [[0, 0]] * len(batch) + [[0, 0], [0, total - done]]
            dense_rows.append(array_ops.pad(row, pad))
        return array_ops.concat(dense_rows, axis=-2)

    def _determinant(self):
        det = self._rows[0][-1].determinant()
        for r in self._rows[1:]:
            det = det * r[-1].determinant()
        return det

    def _log_abs_determinant(self):
        return (
            sum(r[-1].log_abs_determinant() for r in self._rows[1:])
            + self._rows[0][-1].log_abs_determinant()
        )


class LinearOperatorKronecker(LinearOperator):
    """`LinearOperator` acting like the Kronecker product `A1 x A2 x ... x An`."""

    def __init__(
        self,
        operators,
        is_non_singular=None,
        is_self_adjoint=None,
        is_positive_definite=None,
        is_square=None,
        name=None,
    ):
        operators = list(operators)
        if not operators:
            raise ValueError(f"Expected a list of >=1 operators. Found: {operators}")
        self._operators = operators
        if is_non_singular is None and _all(operators, "is_non_singular"):
            is_non_singular = True
        if is_self_adjoint is None and _all(operators, "is_self_adjoint"):
            is_self_adjoint = True
        super().__init__(
            _common_dtype(operators),
            [t for op in operators for t in op.graph_parents],
            is_non_singular,
            is_self_adjoint,
            is_positive_definite,
            is_square,
            name or "_x_".join(op.name for op in operators),
            {"operators": operators},
        )

    operators = property(lambda self: list(self._operators))

    def _shape(self):
        rows = cols = 1
        for r, c in zip(_dims(self._operators, -2), _dims(self._operators, -1)):
            rows, cols = rows * r, cols * c
        return TensorShape(_batch_of(self._operators) + [rows, cols])

    def _to_dense(self):
        batch = _batch_of(self._operators)
        dense = _broadcast_batch(self._operators[0].to_dense(), batch)
        rows, cols = _dims(self._operators[:1], -2)[0], _dims(self._operators[:1], -1)[0]
        for op in self._operators[1:]:
            other = _broadcast_batch(op.to_dense(), batch)
            r, c = _dims([op], -2)[0], _dims([op], -1)[0]
            product = dense[..., :, None, :, None] * other[..., None, :, None, :]
            rows, cols = rows * r, cols * c
            dense = array_ops.reshape(product, batch + [rows, cols])
        return dense

    def _determinant(self):
        if not all(op.is_square for op in self._operators):
            return super()._determinant()
        total = self.shape.as_list()[-1]
        det = None
        for op, n in zip(self._operators, _dims(self._operators, -1)):
            part = op.determinant() ** math_ops.cast(total // n, op.dtype)
            det = part if det is None else det * part
        return det


class LinearOperatorLowRankUpdate(LinearOperator):
    """`LinearOperator` of a low-rank update `A = L + U D V^H` of a base operator `L`.

    `D` is `diag(diag_update)` (the identity when None); `V` is `U` when `v` is None.
    """

    def __init__(
        self,
        base_operator,
        u,
        diag_update=None,
        v=None,
        is_diag_update_positive=None,
        is_non_singular=None,
        is_self_adjoint=None,
        is_positive_definite=None,
        is_square=None,
        name="LinearOperatorLowRankUpdate",
    ):
        dtype = base_operator.dtype
        self._base = base_operator
        self._u = convert_to_tensor(u, dtype=dtype, name="u")
        self._v = self._u if v is None else convert_to_tensor(v, dtype=dtype, name="v")
        self._diag = (
            None
            if diag_update is None
            else convert_to_tensor(diag_update, dtype=dtype, name="diag_update")
        )
        self._is_diag_update_positive = is_diag_update_positive
        if is_self_adjoint is None and v is None and base_operator.is_self_adjoint:
            is_self_adjoint = True
        super().__init__(
            dtype,
            base_operator.graph_parents + [self._u],
            is_non_singular,
            is_self_adjoint,
            is_positive_definite,
            is_square,
            name,
            {"base_operator": base_operator, "u": u, "diag_update": diag_update, "v": v},
        )

    base_operator = property(lambda self: self._base)
    u = property(lambda self: self._u)
    v = property(lambda self: self._v)
    diag_update = property(lambda self: self._diag)
    is_diag_update_positive = property(lambda self: self._is_diag_update_positive)

    def _shape(self):
        return self._base.shape

    def _update(self):
        u = self._u if self._diag is None else self._u * self._diag[..., None, :]
        return math_ops.matmul(u, self._v, adjoint_b=True)

    def _to_dense(self):
        return self._base.to_dense() + self._update()
