"""tf.linalg.LinearOperator and its subclasses: every method against numpy on the dense
matrix (dense forms checked against TensorFlow's, printed from tf.compat.v1)."""

from __future__ import annotations

import numpy as np
import pytest

import flowgraph as tf

L = tf.linalg
RNG = np.random.default_rng(7)
A = RNG.normal(size=(3, 3)) + 3 * np.eye(3)
B = RNG.normal(size=(2, 2)) + 2 * np.eye(2)
SPD = A @ A.T + np.eye(3)
X3 = RNG.normal(size=(3, 2))


def _circulant(column):
    n = len(column)
    return np.array([[column[(i - j) % n] for j in range(n)] for i in range(n)])


def _cases():
    """(id, operator builder, expected dense matrix)."""
    spectrum = np.array([1, 2 + 1j, 3, 2 - 1j], np.complex64)
    spectrum2 = (np.arange(1, 17).reshape(4, 4) + 0j).astype(np.complex64)
    spectrum3 = (np.arange(1, 9).reshape(2, 2, 2) + 0j).astype(np.complex64)
    kernel3 = np.fft.ifftn(spectrum3)
    return [
        ("full", lambda: L.LinearOperatorFullMatrix(A), A),
        ("diag", lambda: L.LinearOperatorDiag([1.0, -2.0, 4.0]), np.diag([1.0, -2.0, 4.0])),
        ("identity", lambda: L.LinearOperatorIdentity(3, dtype=tf.float64), np.eye(3)),
        ("scaled", lambda: L.LinearOperatorScaledIdentity(3, 2.5), 2.5 * np.eye(3)),
        ("lower", lambda: L.LinearOperatorLowerTriangular(A), np.tril(A)),
        (
            "tridiag",
            lambda: L.LinearOperatorTridiag([[9.0, 1, 2], [3, 4, 5], [6, 7, 9]]),
            np.array([[3.0, 9, 0], [7, 4, 1], [0, 9, 5]]),
        ),
        (
            "tridiag-matrix",
            lambda: L.LinearOperatorTridiag(
                np.array([[3.0, 9, 0], [7, 4, 1], [0, 9, 5]]), diagonals_format="matrix"
            ),
            np.array([[3.0, 9, 0], [7, 4, 1], [0, 9, 5]]),
        ),
        (
            "toeplitz",
            lambda: L.LinearOperatorToeplitz(col=[3.0, 1, 0.5], row=[3.0, 2, 1]),
            np.array([[3.0, 2, 1], [1, 3, 2], [0.5, 1, 3]]),
        ),
        (
            "circulant",
            lambda: L.LinearOperatorCirculant(spectrum),
            _circulant(np.fft.ifft(spectrum)),
        ),
        (
            "circulant-real",
            lambda: L.LinearOperatorCirculant(
                tf.constant([4.0, 2, 2]), input_output_dtype=tf.float32
            ),
            _circulant(np.fft.ifft([4.0, 2, 2]).real),
        ),
        (
            "circulant2d",
            lambda: L.LinearOperatorCirculant2D(spectrum2),
            _nested_circulant(np.fft.ifft2(spectrum2)),
        ),
        ("circulant3d", lambda: L.LinearOperatorCirculant3D(spectrum3), _nested_circulant(kernel3)),
        (
            "householder",
            lambda: L.LinearOperatorHouseholder([1.0, 2.0, 2.0]),
            np.eye(3) - 2 * np.outer([1, 2, 2], [1, 2, 2]) / 9,
        ),
        (
            "permutation",
            lambda: L.LinearOperatorPermutation([2, 0, 1], dtype=tf.float64),
            np.eye(3)[[2, 0, 1]],
        ),
        ("adjoint", lambda: L.LinearOperatorAdjoint(L.LinearOperatorFullMatrix(A)), A.T),
        (
            "inversion",
            lambda: L.LinearOperatorInversion(L.LinearOperatorFullMatrix(A)),
            np.linalg.inv(A),
        ),
        (
            "composition",
            lambda: L.LinearOperatorComposition(
                [L.LinearOperatorFullMatrix(A), L.LinearOperatorLowerTriangular(SPD)]
            ),
            A @ np.tril(SPD),
        ),
        (
            "block-diag",
            lambda: L.LinearOperatorBlockDiag(
                [L.LinearOperatorFullMatrix(B), L.LinearOperatorDiag(np.array([5.0]))]
            ),
            np.block([[B, np.zeros((2, 1))], [np.zeros((1, 2)), np.array([[5.0]])]]),
        ),
        (
            "block-lower",
            lambda: L.LinearOperatorBlockLowerTriangular(
                [
                    [L.LinearOperatorFullMatrix(B)],
                    [
                        L.LinearOperatorFullMatrix(np.array([[5.0, 6.0]])),
                        L.LinearOperatorFullMatrix(np.array([[7.0]])),
                    ],
                ]
            ),
            np.block([[B, np.zeros((2, 1))], [np.array([[5.0, 6.0]]), np.array([[7.0]])]]),
        ),
        (
            "kronecker",
            lambda: L.LinearOperatorKronecker(
                [
                    L.LinearOperatorFullMatrix(B),
                    L.LinearOperatorFullMatrix(np.array([[0.0, 1.0], [1.5, 0]])),
                ]
            ),
            np.kron(B, [[0.0, 1.0], [1.5, 0]]),
        ),
        (
            "low-rank",
            lambda: L.LinearOperatorLowRankUpdate(
                L.LinearOperatorDiag([2.0, 3.0, 4.0]), [[1.0], [0.5], [-1.0]], diag_update=[2.0]
            ),
            np.diag([2.0, 3.0, 4.0]) + 2 * np.outer([1, 0.5, -1], [1, 0.5, -1]),
        ),
    ]


def _nested_circulant(kernel):
    shape = kernel.shape
    idx = list(np.ndindex(shape))
    return np.array(
        [[kernel[tuple((a - b) % n for a, b, n in zip(r, c, shape))] for c in idx] for r in idx]
    )


CASES = _cases()


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_operator_methods_match_the_dense_matrix(case):
    _, build, dense = case
    n = dense.shape[0]
    x = RNG.normal(size=(n, 2))
    with tf.Graph().as_default():
        op = build()
        assert op.shape.as_list() == [n, n] and op.domain_dimension == n
        xt = tf.cast(tf.constant(x), op.dtype)
        outs = {
            "dense": op.to_dense(),
            "matmul": op.matmul(xt),
            "adj": op.matmul(xt, adjoint=True),
            "adj_arg": op.matmul(tf.transpose(xt), adjoint_arg=True),
            "matvec": op.matvec(xt[:, 0]),
            "solve": op.solve(xt),
            "solve_adj": op.solve(xt, adjoint=True),
            "solvevec": op.solvevec(xt[:, 0]),
            "det": op.determinant(),
            "logdet": op.log_abs_determinant(),
            "diag": op.diag_part(),
            "trace": op.trace(),
            "adjoint": op.adjoint().to_dense(),
            "inverse": op.inverse().to_dense(),
            "shape": op.shape_tensor(),
            "add": op.add_to_tensor(tf.cast(tf.ones([n, n]), op.dtype)),
        }
        got = tf.Session().run(outs)
    inv = np.linalg.inv(dense)
    want = {
        "dense": dense,
        "matmul": dense @ x,
        "adj": dense.conj().T @ x,
        "adj_arg": dense @ x,
        "matvec": dense @ x[:, 0],
        "solve": inv @ x,
        "solve_adj": inv.conj().T @ x,
        "solvevec": inv @ x[:, 0],
        "det": np.linalg.det(dense),
        "logdet": np.log(abs(np.linalg.det(dense))),
        "diag": np.diag(dense),
        "trace": np.trace(dense),
        "adjoint": dense.conj().T,
        "inverse": inv,
        "shape": [n, n],
        "add": dense + 1,
    }
    for key, value in want.items():
        np.testing.assert_allclose(got[key], value, rtol=2e-4, atol=2e-4, err_msg=key)


def test_hints_and_derived_operators():
    with tf.Graph().as_default():
        diag = L.LinearOperatorDiag([4.0, 9.0], is_positive_definite=True)
        assert diag.is_self_adjoint and diag.is_non_singular and diag.is_square
        assert diag.adjoint() is diag
        assert isinstance(diag.inverse(), L.LinearOperatorDiag)
        assert isinstance(L.LinearOperatorFullMatrix(A).inverse(), L.LinearOperatorInversion)
        assert isinstance(L.LinearOperatorFullMatrix(A).H, L.LinearOperatorAdjoint)
        composed = L.LinearOperatorFullMatrix(A) @ L.LinearOperatorFullMatrix(A)
        assert isinstance(composed, L.LinearOperatorComposition)
        spd = L.LinearOperatorFullMatrix(SPD, is_self_adjoint=True, is_positive_definite=True)
        chol, eig = spd.cholesky().to_dense(), spd.eigvals()
        got = tf.Session().run([diag.cholesky().to_dense(), chol, eig, composed.to_dense()])
    np.testing.assert_allclose(got[0], np.diag([2.0, 3.0]))
    np.testing.assert_allclose(got[1], np.linalg.cholesky(SPD), rtol=1e-6)
    np.testing.assert_allclose(got[2], np.linalg.eigvalsh(SPD), rtol=1e-6)
    np.testing.assert_allclose(got[3], A @ A, rtol=1e-6)


def test_batched_operators_broadcast():
    diags = RNG.uniform(1, 2, size=(2, 3))
    with tf.Graph().as_default():
        op = L.LinearOperatorDiag(diags)
        ident = L.LinearOperatorIdentity(3, batch_shape=[2], dtype=tf.float64)
        block = L.LinearOperatorBlockDiag([op, L.LinearOperatorFullMatrix(B)])
        assert op.batch_shape.as_list() == [2] and block.shape.as_list() == [2, 5, 5]
        got = tf.Session().run(
            [
                op.matvec(np.ones(3)),
                op.determinant(),
                ident.matmul(X3),
                block.to_dense(),
                block.matvec(np.ones(5)),
            ]
        )
    np.testing.assert_allclose(got[0], diags)
    np.testing.assert_allclose(got[1], diags.prod(-1))
    np.testing.assert_allclose(got[2], np.stack([X3, X3]))
    dense = np.zeros((2, 5, 5))
    dense[:, :3, :3] = np.stack([np.diag(d) for d in diags])
    dense[:, 3:, 3:] = B
    np.testing.assert_allclose(got[3], dense)
    np.testing.assert_allclose(got[4], dense.sum(-1))


def test_errors_follow_tf():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="positive definite matrix is always non-singular"):
            L.LinearOperatorFullMatrix(A, is_positive_definite=True, is_non_singular=False)
        with pytest.raises(ValueError, match="self-adjoint matrix is always square"):
            L.LinearOperatorFullMatrix(A, is_self_adjoint=True, is_square=False)
        with pytest.raises(ValueError, match="always self adjoint"):
            L.LinearOperatorDiag([1.0], is_self_adjoint=False)
        zeros = L.LinearOperatorZeros(2)
        with pytest.raises(NotImplementedError, match="expected to be singular"):
            zeros.solve(np.ones((2, 1), np.float32))
        with pytest.raises(ValueError, match="singular matrix"):
            zeros.inverse()
        with pytest.raises(ValueError, match="self-adjoint and positive definite"):
            L.LinearOperatorFullMatrix(A).cholesky()
        wide = L.LinearOperatorFullMatrix(np.ones((2, 3)))
        assert wide.is_square is False
        with pytest.raises(NotImplementedError, match="not be square"):
            wide.determinant()
        got = tf.Session().run(
            [
                zeros.to_dense(),
                zeros.matmul(np.ones((2, 4), np.float32)),
                L.LinearOperatorZeros(2, 3, is_square=False, is_self_adjoint=False).to_dense(),
            ]
        )
    assert got[0].tolist() == [[0, 0], [0, 0]] and got[1].shape == (2, 4)
    assert got[2].shape == (2, 3) and not got[2].any()


def test_conjugate_gradient_solves_spd_systems():
    rhs = RNG.normal(size=3)
    with tf.Graph().as_default():
        op = L.LinearOperatorFullMatrix(SPD, is_self_adjoint=True, is_positive_definite=True)
        state = L.experimental.conjugate_gradient(op, rhs, tol=1e-10, max_iter=50)
        got = tf.Session().run(state)
    np.testing.assert_allclose(got.x, np.linalg.solve(SPD, rhs), rtol=1e-6)
    assert 1 <= got.i <= 4
