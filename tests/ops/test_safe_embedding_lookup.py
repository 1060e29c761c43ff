"""tf.nn.safe_embedding_lookup_sparse against TF's values (TF 2.21, compat.v1 graph mode)."""

from __future__ import annotations

import numpy as np

import flowgraph as tf
from flowgraph.ops import partitioned_variables as pv
from flowgraph.ops.embedding_ops import safe_embedding_lookup_sparse as safe_lookup

W = np.arange(12, dtype=np.float32).reshape(6, 2)


def _ids_and_weights():
    indices = [[0, 0], [0, 1], [1, 0], [3, 0], [3, 1]]
    ids = tf.SparseTensor(indices, tf.constant([1, -1, 5, 2, 4], tf.int64), [4, 3])
    return ids, tf.SparseTensor(indices, [2.0, 1.0, 0.0, 1.0, 3.0], [4, 3])


def test_matches_tf():
    with tf.Graph().as_default():
        ids, weights = _ids_and_weights()
        ids3 = tf.SparseTensor([[0, 0, 0], [0, 1, 0], [1, 1, 1]],
                               tf.constant([1, 2, 3], tf.int64), [2, 2, 2])
        outs = [safe_lookup(tf.constant(W), ids), safe_lookup(tf.constant(W), ids, weights),
                safe_lookup(tf.constant(W), ids, weights, combiner="sum", default_id=0),
                safe_lookup([tf.constant(W[:3]), tf.constant(W[3:])], ids3, combiner="sqrtn")]
        with tf.Session() as sess:
            got = sess.run(outs)
    assert got[0].tolist() == [[2, 3], [10, 11], [0, 0], [6, 7]]
    assert got[1].tolist() == [[2, 3], [0, 0], [0, 0], [7, 8]]
    assert got[2].tolist() == [[4, 6], [0, 0], [0, 1], [28, 32]]
    assert got[3].tolist() == [[[2, 3], [4, 5]], [[0, 0], [6, 7]]]


def test_over_a_partitioned_variable_with_gradients():
    with tf.Graph().as_default():
        table = tf.get_variable("table", initializer=tf.constant(W),
                                partitioner=pv.fixed_size_partitioner(2))
        ids, _ = _ids_and_weights()
        out = safe_lookup(table, ids)
        grads = tf.gradients(tf.reduce_sum(out), list(table))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            got, got_grads = sess.run([out, [tf.convert_to_tensor(g) for g in grads]])
    assert got.tolist() == [[2, 3], [10, 11], [0, 0], [6, 7]]
    dense = np.concatenate(got_grads)  # "div": ids 0-2 in part 0, 3-5 in part 1
    expected = np.zeros_like(W)
    expected[[1, 5]] = 1.0
    expected[[2, 4]] = 0.5
    np.testing.assert_allclose(dense, expected)
