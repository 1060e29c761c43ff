"""The RandomShuffleQueue program whose dequeue order TF 2.21 wrote into
fixtures/random_shuffle_queue_tf.json (fixtures/random_shuffle_queue_tf.py runs it with
tensorflow.compat.v1) and flowgraph must reproduce (test_random_shuffle_queue_order.py runs it
with flowgraph): one program, given the module as `tf`."""

import numpy as np

PATTERNS = {
    "dequeue": (0, [["enqueue_many", [0, 10]], ["dequeue", 10]]),
    "dequeue_many": (0, [["enqueue_many", [0, 10]], ["dequeue_many", 3], ["dequeue_many", 3],
                         ["dequeue", 2], ["enqueue_many", [10, 20]], ["dequeue_many", 12]]),
    "min_after_dequeue": (4, [["enqueue_many", [0, 10]], ["dequeue", 6],
                              ["enqueue_many", [10, 15]], ["dequeue_many", 5], ["close", None],
                              ["dequeue_up_to", 100]]),
}
SEEDS = [  # (graph seed, op seed, shared_name)
    (1, 1, None), (42, 42, None), (None, 1, None), (7, 3, None), (5, None, "shared_q"),
]


def run(tf, graph_seed, seed, shared_name, min_after_dequeue, steps):
    with tf.Graph().as_default():
        if graph_seed is not None:
            tf.set_random_seed(graph_seed)
        queue = tf.RandomShuffleQueue(100, min_after_dequeue, [tf.int32], shapes=[[]],
                                      seed=seed, shared_name=shared_name)
        x = tf.placeholder(tf.int32, [None])
        n = tf.placeholder(tf.int32, [])
        ops = {"enqueue_many": queue.enqueue_many([x]), "dequeue": queue.dequeue(),
               "dequeue_many": queue.dequeue_many(n), "dequeue_up_to": queue.dequeue_up_to(n),
               "close": queue.close()}
        out = []
        with tf.Session() as sess:
            for kind, arg in steps:
                if kind == "enqueue_many":
                    sess.run(ops[kind], {x: np.arange(*arg, dtype=np.int32)})
                elif kind == "dequeue":
                    out.append([int(sess.run(ops[kind])) for _ in range(arg)])
                elif kind == "close":
                    sess.run(ops[kind])
                else:
                    out.append(sess.run(ops[kind], {n: arg}).tolist())
        return out
