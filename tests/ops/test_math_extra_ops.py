"""floor_div, monotonicity tests, approx top-k, guarantee_const, timestamp, sparse_matmul,
matrix square root and logarithm, eigh_tridiagonal and the N-d FFTs, against numpy/scipy;
gradients against finite differences."""

from __future__ import annotations

import time

import numpy as np
import pytest
import scipy.linalg

import flowgraph as tf
from tests.gradient_checker import check_gradients

OP_TYPES_TESTED = {
    "ApproxTopK",
    "GuaranteeConst",
    "Timestamp",
    "SparseMatMul",
    "MatrixSquareRoot",
    "MatrixLogarithm",
    "FFTND",
    "IFFTND",
    "RFFTND",
    "IRFFTND",
}
GRADIENT_CHECKED = {
    "ApproxTopK",
    "SparseMatMul",
    "MatrixSquareRoot",
    "FFTND",
    "IFFTND",
    "RFFTND",
    "IRFFTND",
}
NOT_DIFFERENTIABLE = {
    "GuaranteeConst": "TF registers no gradient (its input is a constant)",
    "Timestamp": "no inputs",
    "MatrixLogarithm": "TF registers no gradient",
}

RNG = np.random.default_rng(11)
SPD = RNG.normal(size=(2, 3, 3))
SPD = SPD @ SPD.transpose(0, 2, 1) + 3 * np.eye(3)
NONSYM = RNG.uniform(size=(3, 3)) + 3 * np.eye(3)
CPLX = (RNG.normal(size=(3, 3)) + 1j * RNG.normal(size=(3, 3))) * 0.3 + 2 * np.eye(3)
SIGNAL = RNG.normal(size=(2, 3, 4)) + 1j * RNG.normal(size=(2, 3, 4))
REAL = RNG.normal(size=(2, 3, 4)).astype(np.float32)


def _run(fetches):
    return tf.Session().run(fetches)


def test_values_match_numpy():
    x = RNG.normal(size=(3, 7)).astype(np.float32)
    with tf.Graph().as_default():
        before = time.time()
        got = _run(
            {
                "floor_div": tf.floor_div([7, -7, 7], [2, 2, -2]),
                "floor_div_f": tf.floor_div(np.float32([7.5, -7.5]), 2.0),
                "nondec": [
                    tf.math.is_non_decreasing(v) for v in ([1, 1, 2], [[1, 2], [2, 3]], [3, 2], [])
                ],
                "strict": [tf.math.is_strictly_increasing(v) for v in ([1, 2, 5], [1, 1], [4])],
                "max_k": tf.math.approx_max_k(x, 3),
                "min_k": tf.nn.approx_min_k(x, 2, reduction_dimension=0),
                "const": tf.guarantee_const([1.0, 2.0]),
                "time": tf.timestamp(),
                "spmm": tf.sparse_matmul(x[:, :3], x, transpose_a=True, a_is_sparse=True),
                "sqrtm": tf.linalg.sqrtm(SPD),
                "sqrtm_nonsym": tf.matrix_square_root(NONSYM),
                "logm": tf.linalg.logm(CPLX),
                "fftnd": tf.signal.fftnd(SIGNAL),
                "fftnd_axes": tf.signal.fftnd(SIGNAL, fft_length=[5, 2], axes=[0, 2]),
                "ifftnd": tf.signal.ifftnd(SIGNAL, axes=[1, 2], norm="ortho"),
                "fftnd_forward": tf.signal.fftnd(SIGNAL, norm="forward"),
                "rfftnd": tf.signal.rfftnd(REAL, fft_length=[4, 6], axes=[1, 2]),
                "irfftnd": tf.signal.irfftnd(np.fft.rfftn(REAL).astype(np.complex64)),
            }
        )
        after = time.time()
    assert got["floor_div"].tolist() == [3, -4, -4]
    np.testing.assert_allclose(got["floor_div_f"], [3.0, -4.0])
    assert [bool(v) for v in got["nondec"]] == [True, True, False, True]
    assert [bool(v) for v in got["strict"]] == [True, False, True]
    order = np.argsort(-x, axis=1)[:, :3]
    np.testing.assert_allclose(got["max_k"][0], np.take_along_axis(x, order, 1))
    np.testing.assert_array_equal(got["max_k"][1], order)
    assert got["max_k"][1].dtype == np.int32
    np.testing.assert_allclose(got["min_k"][0], np.sort(x, axis=0)[:2])
    assert got["const"].tolist() == [1.0, 2.0]
    assert got["time"].dtype == np.float64 and before <= got["time"] <= after
    np.testing.assert_allclose(got["spmm"], x[:, :3].T @ x, rtol=1e-5)
    for key, matrix in (("sqrtm", SPD), ("sqrtm_nonsym", NONSYM)):
        want = np.stack([scipy.linalg.sqrtm(m).real for m in matrix.reshape(-1, 3, 3)])
        np.testing.assert_allclose(got[key], want.reshape(matrix.shape), rtol=1e-8)
    np.testing.assert_allclose(got["logm"], scipy.linalg.logm(CPLX), rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(got["fftnd"], np.fft.fftn(SIGNAL), atol=1e-5)
    np.testing.assert_allclose(
        got["fftnd_axes"], np.fft.fftn(SIGNAL, s=[5, 2], axes=[0, 2]), atol=1e-5
    )
    np.testing.assert_allclose(
        got["ifftnd"], np.fft.ifftn(SIGNAL, axes=[1, 2], norm="ortho"), atol=1e-5
    )
    np.testing.assert_allclose(got["fftnd_forward"], np.fft.fftn(SIGNAL, norm="forward"), atol=1e-5)
    assert got["rfftnd"].dtype == np.complex64
    np.testing.assert_allclose(got["rfftnd"], np.fft.rfftn(REAL, s=[4, 6], axes=[1, 2]), atol=1e-5)
    np.testing.assert_allclose(got["irfftnd"], REAL, atol=1e-5)


@pytest.mark.parametrize(
    "select, select_range, expect",
    [
        ("a", None, slice(None)),
        ("i", [1, 2], slice(1, 3)),
        ("v", [0.5, 2.5], None),
    ],
)
def test_eigh_tridiagonal(select, select_range, expect):
    alpha, beta = np.array([1.0, 2.0, 3.0, 0.2]), np.array([0.5, -0.7, 0.3])
    dense = np.diag(alpha) + np.diag(beta, 1) + np.diag(beta, -1)
    values, vectors = np.linalg.eigh(dense)
    if expect is None:
        expect = (values > select_range[0]) & (values <= select_range[1])
    with tf.Graph().as_default():
        got_values, got_vectors = _run(
            tf.linalg.eigh_tridiagonal(
                alpha, beta, eigvals_only=False, select=select, select_range=select_range
            )
        )
    np.testing.assert_allclose(got_values, values[expect], atol=1e-10)
    np.testing.assert_allclose(np.abs(got_vectors), np.abs(vectors[:, expect]), atol=1e-8)


def test_gradients_match_finite_differences():
    x = RNG.normal(size=(2, 5))
    check_gradients(
        lambda t: tf.math.approx_max_k(tf.cast(t, tf.float32), 2)[0], x, atol=1e-2, rtol=1e-2
    )
    check_gradients(
        lambda t: tf.sparse_matmul(tf.cast(t, tf.float32), x.T.astype(np.float32)),
        x,
        atol=1e-2,
        rtol=1e-2,
    )
    check_gradients(tf.linalg.sqrtm, SPD[0])
    check_gradients(lambda t: tf.signal.fftnd(t, axes=[0, 1]), SIGNAL[0])
    check_gradients(lambda t: tf.signal.ifftnd(t, fft_length=[3, 5], axes=[0, 1]), SIGNAL[0])
    check_gradients(lambda t: tf.signal.rfftnd(t, axes=[1]), REAL[0].astype(np.float64))
    check_gradients(lambda t: tf.signal.irfftnd(t, fft_length=[3, 6], axes=[0, 1]), SIGNAL[0])


def test_errors_name_the_op():
    with tf.Graph().as_default():
        with pytest.raises(TypeError, match="MatrixLogarithm"):
            tf.linalg.logm(NONSYM)
        with pytest.raises(TypeError, match="numeric"):
            tf.math.is_non_decreasing(["a", "b"])
        with pytest.raises(TypeError, match="'a'.*float32, bfloat16"):
            tf.sparse_matmul(tf.constant(np.ones((2, 2))), np.ones((2, 2)))
        with pytest.raises(ValueError, match="select must be"):
            tf.linalg.eigh_tridiagonal([1.0], [], select="x")
        with pytest.raises(ValueError, match="RFFT requires"):
            tf.signal.rfftnd(tf.constant(SIGNAL))
