"""Linear-algebra ops against numpy: values, dtypes, inferred shapes and gradients."""

from __future__ import annotations

import numpy as np
import pytest

import flowgraph as tf
from tests.gradient_checker import check_gradients
from tests.ops import test_op_table as table
from tests.ops.test_op_table import B, In, f32, row

OP_TYPES_TESTED = {
    "MatrixDiag", "MatrixSetDiag", "MatrixBandPart", "ConjugateTranspose", "MatrixInverse",
    "MatrixDeterminant", "LogMatrixDeterminant", "Cholesky", "SelfAdjointEigV2", "Svd",
    "MatrixSolve", "MatrixTriangularSolve", "Cross", "Einsum",
}
GRADIENT_CHECKED = {
    "MatrixDiag", "MatrixSetDiag", "MatrixBandPart", "ConjugateTranspose", "MatrixInverse",
    "MatrixDeterminant", "LogMatrixDeterminant", "Cholesky", "SelfAdjointEigV2", "Svd",
    "MatrixSolve", "MatrixTriangularSolve", "Cross", "Einsum",
}
NOT_DIFFERENTIABLE: dict[str, str] = {}


def f64(*shape) -> In:
    return In(shape, np.float64)


def c64(*shape) -> In:
    return In(shape, np.complex64)


def _spd(x):
    return x @ np.swapaxes(x, -1, -2) + 3 * np.eye(x.shape[-1])


def _tf_spd(x):
    return tf.matmul(x, x, adjoint_b=True) + 3 * tf.eye(3, dtype=x.dtype)


def _band(x, lo, up):
    m, n = x.shape[-2:]
    i, j = np.arange(m)[:, None], np.arange(n)[None, :]
    keep = ((lo < 0) | (i - j <= lo)) & ((up < 0) | (j - i <= up))
    return np.where(keep, x, 0)


def _set_diag(x, d):
    x = x.copy()
    k = min(x.shape[-2:])
    x[..., np.arange(k), np.arange(k)] = d
    return x


ROWS = [
    row("MatrixDiag", tf.matrix_diag, lambda d: d[..., None] * np.eye(3, dtype=d.dtype),
        f32(B, 3)),
    row("MatrixDiagPart", tf.matrix_diag_part, lambda x: np.diagonal(x, 0, -2, -1), f32(B, 2, 3)),
    row("MatrixSetDiag", tf.matrix_set_diag, _set_diag, f32(B, 2, 3), f32(B, 2)),
    row("MatrixBandPart", lambda x: tf.matrix_band_part(x, 1, 0), lambda x: _band(x, 1, 0),
        f32(B, 3, 4)),
    row("MatrixBandPart", lambda x: tf.matrix_band_part(x, -1, 1), lambda x: _band(x, -1, 1),
        f32(B, 3, 4), id="negative-lower"),
    row("Transpose", tf.matrix_transpose, lambda x: np.swapaxes(x, -1, -2), f32(B, 2, 3),
        id="matrix_transpose"),
    row("ConjugateTranspose", lambda x: tf.linalg.adjoint(x),
        lambda x: np.conj(np.swapaxes(x, -1, -2)), c64(B, 2, 3)),
    row("Sum", tf.trace, lambda x: np.trace(x, 0, -2, -1), f32(B, 3, 3), id="trace"),
    row("Einsum", lambda a, b: tf.einsum("bij,jk->bik", a, b),
        lambda a, b: np.einsum("bij,jk->bik", a, b), f32(B, 2, 3), f32(3, 4)),
    row("Einsum", lambda a: tf.einsum("...ii->...i", a), lambda a: np.einsum("...ii->...i", a),
        f32(B, 3, 3), id="ellipsis-diagonal"),
    row("Einsum", lambda a, b: tf.einsum("ij,ij->", a, b), lambda a, b: np.einsum(
        "ij,ij->", a, b), f32(B, 3), f32(B, 3), id="full-contraction"),
    row("Einsum", lambda a, b: tf.tensordot(a, b, 1), lambda a, b: np.tensordot(a, b, 1),
        f32(B, 3), f32(3, 2), id="tensordot-int"),
    row("Einsum", lambda a, b: tf.tensordot(a, b, 0), lambda a, b: np.tensordot(a, b, 0),
        f32(B), f32(2), id="tensordot-outer"),
    row("MatrixInverse", lambda x: tf.matrix_inverse(_tf_spd(x)),
        lambda x: np.linalg.inv(_spd(x)), f64(B, 3, 3)),
    row("MatrixInverse", lambda x: tf.linalg.inv(_tf_spd(x), adjoint=True),
        lambda x: np.linalg.inv(_spd(x)).T.conj(), f64(3, 3), id="adjoint"),
    row("MatrixDeterminant", lambda x: tf.matrix_determinant(x), np.linalg.det, f32(B, 3, 3)),
    row("LogMatrixDeterminant", lambda x: tf.linalg.slogdet(x)[1],
        lambda x: np.linalg.slogdet(x)[1], f64(B, 3, 3)),
    row("LogMatrixDeterminant", lambda x: tf.linalg.slogdet(x)[0],
        lambda x: np.linalg.slogdet(x)[0], f64(B, 3, 3), id="sign"),
    row("Cholesky", lambda x: tf.cholesky(_tf_spd(x)), lambda x: np.linalg.cholesky(_spd(x)),
        f64(B, 3, 3)),
    # Only the lower triangle is read: the upper one may hold anything.
    row("Cholesky", lambda x: tf.linalg.cholesky(
        tf.matrix_band_part(_tf_spd(x), -1, 0) + tf.matrix_band_part(x, 0, -1)
        - tf.matrix_band_part(x, 0, 0)),
        lambda x: np.linalg.cholesky(_spd(x)), f64(B, 3, 3), id="lower-only"),
    row("SelfAdjointEigV2", lambda x: tf.self_adjoint_eigvals(_tf_spd(x)),
        lambda x: np.linalg.eigvalsh(_spd(x)), f64(B, 3, 3)),
    row("Svd", lambda x: tf.svd(x, compute_uv=False), lambda x: np.linalg.svd(x, compute_uv=False),
        f64(B, 3, 2)),
    row("Svd", lambda x: tf.svd(x)[0], lambda x: np.linalg.svd(x, compute_uv=False),
        f32(B, 2, 3), id="compute_uv"),
    row("Qr", lambda x: tf.abs(tf.qr(x)[1]), lambda x: np.abs(np.linalg.qr(x)[1]),
        f64(B, 3, 2)),
    row("Qr", lambda x: tf.abs(tf.linalg.qr(x, full_matrices=True)[0]),
        lambda x: np.abs(np.linalg.qr(x, mode="complete")[0]), f64(B, 3, 2), id="full"),
    row("MatrixSolve", lambda a, b: tf.matrix_solve(_tf_spd(a), b),
        lambda a, b: np.linalg.solve(_spd(a), b), f64(B, 3, 3), f64(B, 3, 2)),
    row("MatrixSolve", lambda a, b: tf.linalg.solve(a + 5 * tf.eye(3, dtype=tf.float64), b,
                                                     adjoint=True),
        lambda a, b: np.linalg.solve(np.swapaxes(a + 5 * np.eye(3), -1, -2), b),
        f64(B, 3, 3), f64(B, 3, 1), id="adjoint"),
    row("MatrixTriangularSolve", lambda a, b: tf.matrix_triangular_solve(a + 5 * tf.eye(
        3, dtype=tf.float64), b), lambda a, b: np.linalg.solve(np.tril(a + 5 * np.eye(3)), b),
        f64(B, 3, 3), f64(B, 3, 2)),
    row("MatrixTriangularSolve", lambda a, b: tf.linalg.triangular_solve(
        a + 5 * tf.eye(3, dtype=tf.float64), b, lower=False, adjoint=True),
        lambda a, b: np.linalg.solve(np.swapaxes(np.triu(a + 5 * np.eye(3)), -1, -2), b),
        f64(B, 3, 3), f64(B, 3, 2), id="upper-adjoint"),
    row("Cross", tf.cross, np.cross, f32(B, 3), f32(B, 3)),
    # Norms (composites): TF1 squeezes the reduced axes unless keepdims.
    row("Sqrt", tf.norm, lambda x: np.float32(np.sqrt((x * x).sum())), f32(B, 3), id="norm"),
    row("Sqrt", lambda x: tf.norm(x, axis=-1, keepdims=True),
        lambda x: np.linalg.norm(x, axis=-1, keepdims=True), f32(B, 3), id="norm-axis"),
    row("Max", lambda x: tf.norm(x, ord=np.inf, axis=[-2, -1]),
        lambda x: np.linalg.norm(x, np.inf, axis=(-2, -1)), f32(B, 2, 3), id="norm-inf-matrix"),
    row("Max", lambda x: tf.norm(x, ord=1, axis=(1, 2)),
        lambda x: np.linalg.norm(x, 1, axis=(1, 2)), f32(B, 2, 3), id="norm-1-matrix"),
    row("Pow", lambda x: tf.linalg.norm(x, ord=3, axis=0),
        lambda x: np.linalg.norm(x, 3, axis=0), f32(B, 3), id="norm-p"),
]


@pytest.fixture(scope="module")
def sess():
    with tf.Session(graph=tf.Graph()) as session:
        yield session


@pytest.mark.parametrize("r", ROWS, ids=table._ids(ROWS))
def test_row(r, sess):
    table.test_row(r, sess)


def test_tensordot_axis_lists_and_negative_axes():
    a, b = _rand(4, 2, 3), _rand(2, 3, 5)
    with tf.Graph().as_default(), tf.Session() as sess:
        x = tf.placeholder(tf.float64, [None, 2, 3])
        out = tf.tensordot(x, b, [[1, -1], [0, 1]])
        assert out.shape.as_list() == [None, 5] and out.op.name == "Tensordot"
        np.testing.assert_allclose(sess.run(out, {x: a}), np.tensordot(a, b, [[1, 2], [0, 1]]))


def test_matrix_2_norm_is_the_largest_singular_value():
    a = _rand(2, 3, 4)
    with tf.Graph().as_default(), tf.Session() as sess:
        x = tf.placeholder(tf.float64, [None, 3, 4])
        out = tf.norm(x, ord=2, axis=[0, 2], keepdims=True)
        assert out.shape.as_list() == [1, 3, 1]
        got = sess.run([out, tf.norm(a, ord=2, axis=[-2, -1])], {x: a})
    np.testing.assert_allclose(got[0], np.linalg.norm(a, 2, axis=(0, 2), keepdims=True))
    np.testing.assert_allclose(got[1], np.linalg.norm(a, 2, axis=(-2, -1)))


def test_eye_shapes_dtypes_and_names():
    with tf.Graph().as_default(), tf.Session() as sess:
        square = tf.eye(2, batch_shape=[3], dtype=tf.int32)
        wide = tf.linalg.eye(2, 3, name="wide")
        assert square.shape.as_list() == [3, 2, 2] and square.dtype == tf.int32
        assert wide.op.name == "wide" and wide.shape.as_list() == [2, 3]
        got = sess.run([square, wide])
    np.testing.assert_array_equal(got[0], np.broadcast_to(np.eye(2, dtype=np.int32), (3, 2, 2)))
    np.testing.assert_array_equal(got[1], np.eye(2, 3, dtype=np.float32))


def test_svd_eigh_and_qr_factors_reconstruct():
    a = np.random.default_rng(0).normal(size=(2, 4, 3))
    h = a[:, :3] + np.swapaxes(a[:, :3], -1, -2)
    with tf.Graph().as_default(), tf.Session() as sess:
        s, u, v = tf.svd(a)
        s_full, u_full, v_full = tf.svd(a, full_matrices=True)
        e, w = tf.self_adjoint_eig(h)
        q, r = tf.qr(a)
        assert u.shape.as_list() == [2, 4, 3] and u_full.shape.as_list() == [2, 4, 4]
        got = sess.run(dict(s=s, u=u, v=v, uf=u_full, vf=v_full, e=e, w=w, q=q, r=r))
    np.testing.assert_allclose(got["u"] * got["s"][:, None] @ np.swapaxes(got["v"], -1, -2), a)
    np.testing.assert_allclose(got["uf"][..., :3] * got["s"][:, None] @ np.swapaxes(
        got["vf"], -1, -2), a)
    np.testing.assert_allclose(got["w"] * got["e"][:, None] @ np.swapaxes(got["w"], -1, -2),
                               h, atol=1e-12)
    np.testing.assert_allclose(got["q"] @ got["r"], a)
    np.testing.assert_array_equal(np.tril(got["r"], -1), 0)


def test_empty_batches_nan_and_complex():
    with tf.Graph().as_default(), tf.Session() as sess:
        empty = tf.zeros([0, 3, 3], tf.float64)
        z = np.array([[1 + 2j, 3j], [0.5, 1 - 1j]], np.complex128)
        nan = np.array([[np.nan, 1.0], [2.0, 3.0]], np.float32)
        got = sess.run([tf.matrix_determinant(empty), tf.matrix_inverse(empty),
                        tf.trace(nan), tf.matrix_transpose(z, conjugate=True),
                        tf.matrix_inverse(z), tf.norm(z), tf.matrix_diag([np.nan, 1.0])])
    assert got[0].shape == (0,) and got[1].shape == (0, 3, 3)
    assert np.isnan(got[2])
    np.testing.assert_array_equal(got[3], z.conj().T)
    np.testing.assert_allclose(got[4], np.linalg.inv(z))
    # TF1 computes the complex Euclidean norm as sqrt(sum(z * conj(z))): a complex result.
    assert got[5].dtype == np.complex128
    np.testing.assert_allclose(got[5], np.linalg.norm(z))
    np.testing.assert_array_equal(got[6], [[np.nan, 0], [0, 1]])


def test_build_errors_name_the_op():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="MatrixInverse"):
            tf.matrix_inverse(tf.zeros([2, 3]))
        with pytest.raises(ValueError, match="Cross"):
            tf.cross(tf.zeros([2]), tf.zeros([2]))
        with pytest.raises(ValueError, match="MatrixSolve"):
            tf.matrix_solve(tf.zeros([3, 3]), tf.zeros([2, 1]))
        with pytest.raises(TypeError, match="MatrixInverse"):
            tf.matrix_inverse(tf.zeros([2, 2], tf.int32))
        with pytest.raises(TypeError, match="MatrixSolve"):
            tf.matrix_solve(tf.zeros([2, 2]), tf.zeros([2, 1], tf.float64))
        with pytest.raises(ValueError, match="rank >= 2"):
            tf.matrix_transpose(tf.zeros([3]))
        with pytest.raises(ValueError, match="Einsum"):
            tf.einsum("ij,jk->ik", tf.zeros([2, 3]), tf.zeros([2, 3]))
        with pytest.raises(ValueError, match="supported matrix norm"):
            tf.norm(tf.zeros([2, 2]), ord=3, axis=[0, 1])
        with pytest.raises(ValueError, match="supported vector norm"):
            tf.norm(tf.zeros([2]), ord="fro")
        with pytest.raises(ValueError, match="Different number of contraction axes"):
            tf.tensordot(tf.zeros([2, 3]), tf.zeros([3, 2]), [[0, 1], [1]])


def _rand(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


def _spd64(x):
    return tf.matmul(x, x, adjoint_b=True) + 2 * tf.eye(2, dtype=tf.float64)


GRADIENT_CASES = [
    ("MatrixDiag", tf.matrix_diag, [_rand(2, 2)]),
    ("MatrixSetDiag", tf.matrix_set_diag, [_rand(2, 3), _rand(2)]),
    ("MatrixBandPart", lambda x: tf.matrix_band_part(x, 0, 1), [_rand(2, 3)]),
    ("ConjugateTranspose", tf.linalg.adjoint, [_rand(2, 3) + 1j * _rand(2, 3, seed=1)]),
    ("MatrixInverse", lambda x: tf.matrix_inverse(_spd64(x), adjoint=True), [_rand(2, 2)]),
    ("MatrixDeterminant", tf.matrix_determinant, [_rand(2, 3, 3)]),
    ("LogMatrixDeterminant", lambda x: tf.linalg.slogdet(x)[1], [_rand(3, 3)]),
    ("Cholesky", lambda x: tf.cholesky(_spd64(x)), [_rand(2, 2)]),
    ("SelfAdjointEigV2", lambda x: tf.self_adjoint_eigvals(_spd64(x)), [_rand(2, 2)]),
    ("Svd", lambda x: tf.svd(x, compute_uv=False), [_rand(3, 2)]),
    ("MatrixSolve", lambda a, b: tf.matrix_solve(_spd64(a), b), [_rand(2, 2), _rand(2, 1)]),
    ("MatrixTriangularSolve", lambda a, b: tf.matrix_triangular_solve(
        a + 3 * tf.eye(2, dtype=tf.float64), b, adjoint=True), [_rand(2, 2), _rand(2, 2)]),
    ("Cross", tf.cross, [_rand(3), _rand(3, seed=1)]),
    ("Einsum", lambda a, b: tf.einsum("ij,jk->ik", a, b), [_rand(2, 3), _rand(3, 2)]),
]


@pytest.mark.parametrize("op_type,fn,values", GRADIENT_CASES, ids=[c[0] for c in GRADIENT_CASES])
def test_gradient(op_type, fn, values):
    check_gradients(fn, *values)


def test_cholesky_and_eigh_gradients_are_symmetric_as_tf():
    x = np.array([[4.0, 1.0], [1.0, 3.0]])
    with tf.Graph().as_default(), tf.Session() as sess:
        a = tf.constant(x)
        gc = tf.gradients(tf.reduce_sum(tf.cholesky(a)), a)[0]
        ge = tf.gradients(tf.reduce_sum(tf.self_adjoint_eigvals(a) ** 2), a)[0]
        gc, ge = sess.run([gc, ge])
    np.testing.assert_allclose(gc, gc.T)
    np.testing.assert_allclose(ge, 2 * x, rtol=1e-10)  # d tr(A²)/dA
