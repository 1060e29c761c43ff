"""Framework helpers exported at the top level: `init_scope`, `get_seed`."""

import flowgraph as tf


def test_init_scope_lifts_out_of_control_dependencies_keeping_the_name_scope():
    with tf.Graph().as_default():
        first = tf.no_op(name="first")
        with tf.name_scope("block"), tf.control_dependencies([first]):
            inside = tf.constant(1.0, name="inside")
            with tf.init_scope():
                lifted = tf.constant(2.0, name="lifted")
    assert inside.op.control_inputs == [first]
    assert lifted.op.control_inputs == [] and lifted.op.name == "block/lifted"


def test_init_scope_puts_a_loop_bodys_variables_in_the_outer_graph():
    with tf.Graph().as_default() as graph:
        made = []

        def body(i):
            with tf.init_scope():
                made.append(tf.constant(5, name="outside"))
            return i + 1

        tf.while_loop(lambda i: i < 3, body, [tf.constant(0)])
    assert made[0].graph is graph


def test_get_seed_follows_tf1_rules():
    with tf.Graph().as_default():
        assert tf.get_seed(None) == (None, None)
        assert tf.get_seed(5) == (87654321, 5) == tf.random.get_seed(5)
        tf.set_random_seed(1)
        assert tf.get_seed(5) == (1, 5)
        graph_seed, op_seed = tf.get_seed(None)
        assert graph_seed == 1 and isinstance(op_seed, int)
