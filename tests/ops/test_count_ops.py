"""tf.sparse.bincount against TensorFlow's values."""

from __future__ import annotations

import numpy as np
import pytest

import flowgraph as tf

OP_TYPES_TESTED = {"DenseCountSparseOutput", "SparseCountSparseOutput"}
NOT_DIFFERENTIABLE = {t: "counts of integer values" for t in OP_TYPES_TESTED}

# (arguments, TF 2.21's indices, values, dense_shape)
CASES = [
    (([1, 1, 3],), [[1], [3]], [2, 1], [4]),
    (([[1, 1, 3], [0, 4, 4]],), [[0], [1], [3], [4]], [1, 2, 1, 2], [5]),
    (([[1, 1, 3], [0, 4, 4]], None, -1), [[0, 1], [0, 3], [1, 0], [1, 4]], [2, 1, 1, 2], [2, 5]),
    (([[1, 1, 3], [0, 4, 4]], None, 0, 7), [[0], [1], [3], [4]], [1, 2, 1, 2], [7]),
    (([1, 1, 3, 9], None, 0, None, 4), [[1], [3]], [2, 1], [4]),
    (([1, 1, 3], [0.5, 1.0, 2.0]), [[1], [3]], [1.5, 2.0], [4]),
    (([1, 1, 3], None, 0, None, None, True), [[1], [3]], [1, 1], [4]),
    (([[3, 3]], None, -1, 2), [[0, 3]], [2], [1, 4]),
]


@pytest.mark.parametrize("case", CASES, ids=[str(i) for i in range(len(CASES))])
def test_bincount_matches_tf(case):
    args, indices, values, shape = case
    with tf.Graph().as_default():
        got = tf.Session().run(tf.sparse.bincount(*args))
    assert got.indices.tolist() == indices and got.dense_shape.tolist() == shape
    np.testing.assert_allclose(got.values, values)
    assert got.values.dtype == (np.float32 if isinstance(values[0], float) else np.int32)


def test_bincount_of_a_sparse_tensor():
    with tf.Graph().as_default():
        sp = tf.SparseTensor([[0, 0], [0, 2], [1, 1]], [2, 2, 5], [2, 3])
        got = tf.Session().run([tf.sparse.bincount(sp, axis=-1), tf.sparse.bincount(sp)])
        with pytest.raises(ValueError, match="Only 0 and -1"):
            tf.sparse.bincount([1], axis=1)
    # TF 2.21: [[0, 2], [1, 5]] -> [2, 1] in [2, 6]
    assert got[0].indices.tolist() == [[0, 2], [1, 5]] and got[0].values.tolist() == [2, 1]
    assert got[0].dense_shape.tolist() == [2, 6]
    assert got[1].indices.tolist() == [[2], [5]] and got[1].values.tolist() == [2, 1]
