"""Bad index and divisor values TensorFlow rejects at run time, one graph each.

Each case takes the TF1 module (`flowgraph`, or `tensorflow.compat.v1` when
`tests/fixtures/make_checks.py` records TensorFlow's errors) and returns the tensor to run.
"""

from __future__ import annotations

CASES = {
    "gather": lambda tf: tf.gather(tf.constant([1.0, 2.0, 3.0]), tf.constant([[0, 1], [5, 2]])),
    "gather_negative": lambda tf: tf.gather(tf.constant([1.0, 2.0, 3.0]), tf.constant([0, -1])),
    "gather_axis_1": lambda tf: tf.gather(tf.ones([2, 3]), tf.constant([0, 3]), axis=1),
    "gather_nd": lambda tf: tf.gather_nd(tf.ones([3, 2]), tf.constant([[0, 1], [5, 0]])),
    "embedding_lookup": lambda tf: tf.nn.embedding_lookup(
        tf.Variable(tf.ones([4, 2])), tf.constant([1, 9])
    ),
    "scatter_nd": lambda tf: tf.scatter_nd(tf.constant([[1], [5]]), tf.constant([1.0, 2.0]), [3]),
    "tensor_scatter_update": lambda tf: tf.tensor_scatter_nd_update(
        tf.ones([3]), tf.constant([[1], [5]]), tf.constant([1.0, 2.0])
    ),
    "tensor_scatter_add": lambda tf: tf.tensor_scatter_nd_add(
        tf.ones([3]), tf.constant([[1], [-1]]), tf.constant([1.0, 2.0])
    ),
    "tensor_scatter_sub": lambda tf: tf.tensor_scatter_nd_sub(
        tf.ones([3]), tf.constant([[3]]), tf.constant([1.0])
    ),
    "scatter_update": lambda tf: tf.scatter_update(
        tf.Variable(tf.ones([3])), tf.constant([1, 7]), tf.constant([1.0, 2.0])
    ),
    "scatter_add": lambda tf: tf.scatter_add(
        tf.Variable(tf.ones([3])), tf.constant([4]), tf.constant([1.0])
    ),
    "scatter_sub": lambda tf: tf.scatter_sub(
        tf.Variable(tf.ones([3])), tf.constant([-2]), tf.constant([1.0])
    ),
    "sparse_softmax_cross_entropy": lambda tf: tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf.constant([0, 5, 1]), logits=tf.ones([3, 3])
    ),
    "floordiv": lambda tf: tf.floordiv(tf.constant([4, 5]), tf.constant([2, 0])),
    "floormod": lambda tf: tf.floormod(tf.constant([4, 5]), tf.constant([2, 0])),
    "truncatediv": lambda tf: tf.truncatediv(tf.constant([4, 5]), tf.constant([2, 0])),
    # The same checks inside control flow: a scalar index, in a loop body on its 3rd trip,
    # in a branch taken, in a loop nested in a branch.
    "gather_scalar": lambda tf: tf.gather(tf.constant([1.0, 2.0]), tf.constant(7)),
    "gather_in_while": lambda tf: summing_loop(tf, tf.constant([0, 1, 6, 2]), 4),
    "gather_in_cond": lambda tf: tf.cond(
        tf.constant(True),
        lambda: tf.gather(tf.constant([1.0, 2.0]), tf.constant([1, 2])),
        lambda: tf.zeros([2]),
    ),
    "floordiv_in_while_in_cond": lambda tf: tf.cond(
        tf.constant(True),
        lambda: tf.while_loop(
            lambda i: i < 4,
            lambda i: i + 1 + tf.minimum(tf.abs(tf.floordiv(4, 1 - i)), 0),
            [tf.constant(0)],
        ),
        lambda: tf.constant(0),
    ),
    "labels_in_cond": lambda tf: tf.cond(
        tf.constant(False),
        lambda: tf.constant(0.0),
        lambda: tf.reduce_sum(
            tf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=tf.constant([1, 3]), logits=tf.ones([2, 3])
            )
        ),
    ),
}


def summing_loop(tf, ids, n, params=None):
    """The sum of `params[ids[i]]` for i < n, in a while loop."""
    params = tf.constant([1.0, 2.0, 3.0, 4.0, 5.0]) if params is None else params
    return tf.while_loop(
        lambda i, acc: i < n,
        lambda i, acc: (i + 1, acc + tf.gather(params, ids[i])),
        [tf.constant(0), tf.constant(0.0)],
        maximum_iterations=n,
    )[1]
