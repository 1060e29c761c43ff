"""Runs a seeded random case three times in a graph of its own: the same code gives TF's
numbers (tests/fixtures/*_tf.py, with tensorflow.compat.v1 as `tf`) and flowgraph's (the
tests, with flowgraph as `tf`). Three runs: each one advances the op's stream."""


def seeded_runs(tf, build, graph_seed, n=3):
    """`n` runs of the tensor `build()` makes, under graph seed `graph_seed` (None: unset)."""
    with tf.Graph().as_default():
        if graph_seed is not None:
            tf.set_random_seed(graph_seed)
        t = build()
        with tf.Session() as sess:
            return [sess.run(t) for _ in range(n)]
