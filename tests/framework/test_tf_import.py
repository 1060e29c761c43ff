"""flowgraph's GraphDefs validate against TensorFlow's OpDefs: TF imports and runs them.

`tests/fixtures/make_tf_import_check.py` wrote each graph below as a GraphDef, imported it
into TensorFlow (which checks every node against TF's own op registry), ran it there and
recorded the results. These tests check that flowgraph still writes those GraphDefs and
computes what TensorFlow computed from them.
"""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest
from tensorboard.compat.proto import function_pb2

import flowgraph as tf

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "tf_import"
RNG = np.random.RandomState(7)
MLP_W1, MLP_W2 = RNG.randn(6, 8).astype(np.float32), RNG.randn(8, 3).astype(np.float32)
CNN_K = RNG.randn(3, 3, 2, 4).astype(np.float32)
CNN_W = RNG.randn(16, 3).astype(np.float32)
FEEDS = {"mlp": RNG.randn(5, 6).astype(np.float32), "cnn": RNG.randn(2, 4, 4, 2).astype(np.float32)}


def _mlp():
    x = tf.placeholder(tf.float32, [None, 6], name="x")
    labels = tf.constant([0, 2, 1, 1, 0], name="labels")
    w1 = tf.Variable(MLP_W1, name="w1")
    b1 = tf.Variable(tf.zeros([8]), name="b1")
    h = tf.nn.relu(tf.nn.bias_add(tf.matmul(x, w1), b1))
    logits = tf.matmul(h, tf.Variable(MLP_W2, name="w2"), transpose_b=False)
    loss = tf.reduce_mean(
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    )
    probs = tf.nn.softmax(logits)
    return [tf.identity(loss, name="loss"), tf.identity(probs, name="probs")]


def _cnn():
    x = tf.placeholder(tf.float32, [None, 4, 4, 2], name="x")
    k = tf.Variable(CNN_K, name="k")
    conv = tf.nn.conv2d(x, k, strides=[1, 1, 1, 1], padding="SAME")
    pooled = tf.nn.max_pool(tf.nn.relu(conv), [1, 2, 2, 1], [1, 2, 2, 1], "VALID")
    flat = tf.reshape(pooled, [-1, 16])
    out = tf.matmul(flat, tf.Variable(CNN_W, name="w"))
    mean, var = tf.nn.moments(out, [0])
    return [tf.identity(out, name="out"), tf.identity(mean + var, name="stats")]


def _mlp_train():
    loss, _ = _mlp()
    train = tf.train.MomentumOptimizer(0.1, 0.9).minimize(loss, name="train")
    return [loss], train


def _cond():
    x = tf.placeholder(tf.float32, [None, 6], name="x")
    w = tf.Variable(MLP_W1, name="w")
    h = tf.matmul(x, w)
    out = tf.cond(
        tf.reduce_sum(h) > 0.0, lambda: tf.nn.relu(h) * 2.0, lambda: tf.square(h) - w[0, 0]
    )
    return [tf.identity(out, name="out")]


def _while():
    x = tf.placeholder(tf.float32, [None, 6], name="x")
    w = tf.Variable(MLP_W1 * 0.3, name="w")
    i, h = tf.while_loop(
        lambda i, h: i < 4,
        lambda i, h: (i + 1, tf.tanh(tf.matmul(h, w[:, :6]) + tf.cast(i, tf.float32))),
        [tf.constant(0), x],
    )
    return [tf.identity(h, name="out"), tf.identity(i, name="steps")]


GRAPHS = {"mlp": _mlp, "cnn": _cnn, "mlp_train": _mlp_train, "cond": _cond, "while": _while}
FEEDS.update({k: FEEDS["mlp"] for k in ("mlp_train", "cond", "while")})
STEPS = 3  # a graph with a train op runs it this many times, fetching each step
# Gradients are flowgraph's generic `VJP` nodes (DESIGN.md, principle 4), an op type
# TensorFlow does not have: TF cannot import a training graph built here.
TF_IMPORTS = sorted(set(GRAPHS) - {"mlp_train"})


def build(name: str):
    """The graph `name`, its fetch names, its init op name and its train op name (or None)."""
    graph = tf.Graph()
    with graph.as_default():
        fetches = GRAPHS[name]()
        train = None
        if isinstance(fetches, tuple):
            fetches, train = fetches
        init = tf.global_variables_initializer()
    return graph, [t.name for t in fetches], init.name, train and train.name


def run(sess, fetches: list, train, feed) -> list:
    """What the check records: the fetches of each training step, or of one run."""
    if train is None:
        return sess.run(fetches, feed)
    return [sess.run(fetches + [train], feed)[: len(fetches)] for _ in range(STEPS)]


def _results() -> dict:
    return json.loads((FIXTURES / "results.json").read_text())


@pytest.mark.parametrize("name", TF_IMPORTS)
def test_tensorflow_imported_our_graph_def(name):
    result = _results()[name]
    assert result["imported"], result
    assert "run_error" not in result, result
    assert result["nodes"] == len(build(name)[0].as_graph_def().node) >= 10


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_we_still_write_the_graph_def_tensorflow_checked(name):
    graph = build(name)[0]
    ours = graph.as_graph_def()
    checked = tf.GraphDef.FromString((FIXTURES / f"{name}.pb").read_bytes())
    assert [(n.name, n.op, list(n.input)) for n in ours.node] == [
        (n.name, n.op, list(n.input)) for n in checked.node
    ]
    for mine, theirs in zip(ours.node, checked.node):
        assert _attrs(mine, ours.library) == _attrs(theirs, checked.library), mine.name


def _attrs(node, library) -> dict:
    """A node's attrs, each function by its FunctionDef (names come from a counter)."""
    functions = {f.signature.name: f for f in library.function}
    out = {}
    for key, value in node.attr.items():
        if value.func.name in functions:
            fdef = function_pb2.FunctionDef()
            fdef.CopyFrom(functions[value.func.name])
            fdef.signature.name = ""
            value = fdef
        out[key] = value
    return out


@pytest.mark.parametrize("name", TF_IMPORTS)
def test_we_compute_what_tensorflow_computed_from_our_graph_def(name):
    graph, fetches, init, train = build(name)
    with tf.Session(graph=graph) as sess:
        sess.run(init)
        got = run(sess, fetches, train, {"x:0": FEEDS[name]})
    expected = _results()[name]["outputs"]
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, np.asarray(e, np.float32), rtol=1e-5, atol=1e-5)


def test_tensorflow_lacks_only_the_gradient_op_of_our_training_graph():
    result = _results()["mlp_train"]
    assert not result["imported"] and "Op type not registered 'VJP'" in result["error"]
    graph = build("mlp_train")[0]
    types = {op.type for op in graph.get_operations()}
    assert "VJP" in types and "ApplyMomentum" in types


def test_functional_ops_carry_what_tensorflow_checks():
    graph_def = tf.GraphDef.FromString((FIXTURES / "while.pb").read_bytes())
    (loop,) = [n for n in graph_def.node if n.op == "While"]
    types = list(loop.attr["T"].list.type)
    assert len(loop.attr["output_shapes"].list.shape) == len(types) == 3  # with w, captured
    functions = {f.signature.name: f for f in graph_def.library.function}
    body = functions[loop.attr["body"].func.name]
    assert [a.type for a in body.signature.output_arg] == types
    assert body.ret["out2"] == body.signature.input_arg[2].name  # the capture passes through
    assert all(":" not in i or i.count(":") == 2 for n in body.node_def for i in n.input)
    with tf.Graph().as_default() as graph:  # and flowgraph reads it back as its own
        tf.import_graph_def(graph_def, name="")
        assert len(graph.get_operation_by_name("while/While").outputs) == 2
        with tf.Session() as sess:
            sess.run("init")
            out = sess.run("out:0", {"x:0": FEEDS["while"]})
    np.testing.assert_allclose(out, _results()["while"]["outputs"][0], rtol=1e-5, atol=1e-5)


def test_function_defs_of_earlier_flowgraph_versions_still_import():
    # written by flowgraph before its FunctionDefs followed TF's conventions (argument
    # placeholders as nodes, outputs as `node:index`); the values are what it computed
    graph_def = tf.GraphDef.FromString((FIXTURES / "flowgraph_v0_functions.pb").read_bytes())
    with tf.Graph().as_default():
        tf.import_graph_def(graph_def, name="")
        with tf.Session() as sess:
            sess.run("init")
            out = sess.run("out:0", {"x:0": np.array([0.5, -1.0, 2.0], np.float32)})
    np.testing.assert_allclose(out, [3.912142515182495, 1.9969019889831543, 3.9999752044677734])
