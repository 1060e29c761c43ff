"""TensorFlow's FunctionDef conventions: output names by OpDef argument, typed bodies."""

from __future__ import annotations

import numpy as np
from tensorboard.compat.proto import node_def_pb2

import flowgraph as tf
from flowgraph.framework import tf_function_def


def test_outputs_are_named_by_their_opdef_argument_and_back():
    # Unique: y, idx; SplitV: output (num_split of them); a flat index on each side
    assert tf_function_def.output_name("Unique", {}, 1) == "idx:0"
    assert tf_function_def.output_name("SplitV", {"num_split": 3}, 2) == "output:2"
    node = node_def_pb2.NodeDef(name="u", op="Unique")
    assert tf_function_def.output_index(node, "idx", 0) == 1
    split = node_def_pb2.NodeDef(name="s", op="SplitV")
    split.attr["num_split"].i = 3
    assert tf_function_def.output_index(split, "output", 2) == 2


def test_a_multi_output_op_in_a_loop_body_round_trips():
    with tf.Graph().as_default() as graph:
        x = tf.placeholder(tf.float32, [6], name="x")
        _, out = tf.while_loop(
            lambda i, v: i < 2,
            lambda i, v: (i + 1, tf.concat(tf.split(v, [2, 4])[::-1], 0) * 2.0),
            [0, x],
        )
        tf.identity(out, name="out")
    graph_def = graph.as_graph_def()
    body = next(f for f in graph_def.library.function if "body" in f.signature.name)
    splits = [i for n in body.node_def for i in n.input if ":output:" in i]
    assert splits, "the SplitV outputs are named by their OpDef argument"
    assert all(a.type for a in body.signature.input_arg)
    with tf.Graph().as_default():
        tf.import_graph_def(graph_def, name="")
        with tf.Session() as sess:
            got = sess.run("out:0", {"x:0": np.arange(6, dtype=np.float32)})
    expected = np.arange(6, dtype=np.float32)
    for _ in range(2):
        expected = np.concatenate([expected[2:], expected[:2]]) * 2.0
    np.testing.assert_array_equal(got, expected)
