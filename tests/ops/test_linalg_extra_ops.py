"""More tf.linalg against scipy/numpy; gradients against finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

import flowgraph as tf
from flowgraph.ops import linalg_extra_ops as la
from tests.gradient_checker import check_gradients

OP_TYPES_TESTED = {
    "MatrixExponential",
    "Lu",
    "MatrixSolveLs",
    "TridiagonalSolve",
    "TridiagonalMatMul",
}
GRADIENT_CHECKED = OP_TYPES_TESTED

RNG = np.random.default_rng(0)
A = RNG.normal(size=(2, 4, 4))
SPD = A @ A.transpose(0, 2, 1) + 4 * np.eye(4)
B = RNG.normal(size=(2, 4, 3))
TALL = RNG.normal(size=(6, 3))
DIAGS = RNG.uniform(1, 2, size=(2, 3, 5)) * np.array([[0.3], [3.0], [0.4]])
RHS = RNG.normal(size=(2, 5, 2))


def _tridiagonal(d):
    m = np.diag(d[1]) + np.diag(d[0][:-1], 1) + np.diag(d[2][1:], -1)
    return m


@pytest.fixture(scope="module")
def got():
    with tf.Graph().as_default():
        lu, p = la.lu(A)
        outs = {
            "expm": la.expm(A * 0.5),
            "lu": lu,
            "p": p,
            "lu_solve": la.lu_solve(lu, p, B),
            "lu_inverse": la.lu_matrix_inverse(lu, p),
            "lu_reconstruct": la.lu_reconstruct(lu, p),
            "lu_reconstruct_1": la.lu_reconstruct(lu[0], p[0]),
            "lstsq": la.matrix_solve_ls(TALL, TALL @ [[1.0], [2.0], [3.0]] + 0.01),
            "lstsq_wide": la.matrix_solve_ls(TALL.T, [[1.0], [2.0], [3.0]], l2_regularizer=0.1),
            "tri_solve": la.tridiagonal_solve(DIAGS, RHS),
            "tri_solve_seq": la.tridiagonal_solve(
                tuple(DIAGS[0]), RHS[0, :, 0], diagonals_format="sequence", transpose_rhs=True
            ),
            "tri_matmul": la.tridiagonal_matmul(DIAGS, RHS),
            "cholesky_solve": la.cholesky_solve(tf.cholesky(SPD), B),
            "logdet": la.logdet(SPD),
            "matvec": la.matvec(A, B[..., 0]),
            "pinv": la.pinv(TALL),
            "rank": la.matrix_rank(
                np.outer([1.0, 2, 3], [1.0, 0, 1]) + np.outer([0, 1.0, 0], [2, 1.0, 0])
            ),
            "normalize": la.normalize([3.0, 4.0])[0],
        }
        with tf.Session() as sess:
            return sess.run(outs)


def test_values(got):
    np.testing.assert_allclose(got["expm"], [scipy.linalg.expm(a * 0.5) for a in A], rtol=1e-10)
    for a, lu, p in zip(A, got["lu"], got["p"]):
        lower = np.tril(lu, -1) + np.eye(4)
        np.testing.assert_allclose(a[p], lower @ np.triu(lu), atol=1e-12)
    assert got["p"].dtype == np.int32
    np.testing.assert_allclose(got["lu_solve"], np.linalg.solve(A, B), atol=1e-10)
    np.testing.assert_allclose(got["lu_inverse"], np.linalg.inv(A), atol=1e-10)
    np.testing.assert_allclose(got["lu_reconstruct"], A, atol=1e-12)
    np.testing.assert_allclose(got["lu_reconstruct_1"], A[0], atol=1e-12)
    np.testing.assert_allclose(
        got["lstsq"],
        [[1.0], [2.0], [3.0]] + np.linalg.lstsq(TALL, np.full((6, 1), 0.01), rcond=None)[0],
        atol=1e-10,
    )
    wide = TALL.T
    expected = wide.T @ np.linalg.solve(wide @ wide.T + 0.1 * np.eye(3), [[1.0], [2.0], [3.0]])
    np.testing.assert_allclose(got["lstsq_wide"], expected, atol=1e-10)
    mats = [_tridiagonal(d) for d in DIAGS]
    np.testing.assert_allclose(
        got["tri_solve"], [np.linalg.solve(m, r) for m, r in zip(mats, RHS)], atol=1e-10
    )
    np.testing.assert_allclose(
        got["tri_solve_seq"], np.linalg.solve(mats[0], RHS[0, :, 0]), atol=1e-10
    )
    np.testing.assert_allclose(got["tri_matmul"], [m @ r for m, r in zip(mats, RHS)], atol=1e-12)
    np.testing.assert_allclose(got["cholesky_solve"], np.linalg.solve(SPD, B), atol=1e-10)
    np.testing.assert_allclose(got["logdet"], np.linalg.slogdet(SPD)[1], rtol=1e-10)
    np.testing.assert_allclose(got["matvec"], np.einsum("bij,bj->bi", A, B[..., 0]), atol=1e-12)
    np.testing.assert_allclose(got["pinv"], np.linalg.pinv(TALL), atol=1e-10)
    assert got["rank"] == 2
    np.testing.assert_allclose(got["normalize"], [0.6, 0.8])


def test_gradients():
    a = RNG.normal(size=(3, 3)) * 0.5
    check_gradients(
        lambda a: [
            la.expm(a),
            la.lu(a + 3 * tf.eye(3, dtype=a.dtype)).lu,
            la.matrix_solve_ls(a, tf.ones([3, 1], a.dtype), 0.5),
        ],
        a,
    )
    d, r = DIAGS[0], RHS[0]
    check_gradients(lambda d, r: [la.tridiagonal_solve(d, r), la.tridiagonal_matmul(d, r)], d, r)
