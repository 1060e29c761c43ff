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


GRAPHS = {"mlp": _mlp, "cnn": _cnn}


def build(name: str):
    """The graph `name`, its fetch names and its init op name."""
    graph = tf.Graph()
    with graph.as_default():
        fetches = GRAPHS[name]()
        init = tf.global_variables_initializer()
    return graph, [t.name for t in fetches], init.name


def _results() -> dict:
    return json.loads((FIXTURES / "results.json").read_text())


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_tensorflow_imported_our_graph_def(name):
    result = _results()[name]
    assert result["imported"], result
    assert result["nodes"] > 10


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_we_still_write_the_graph_def_tensorflow_checked(name):
    graph, _, _ = build(name)
    ours = graph.as_graph_def()
    checked = tf.GraphDef.FromString((FIXTURES / f"{name}.pb").read_bytes())
    assert [(n.name, n.op, list(n.input)) for n in ours.node] == [
        (n.name, n.op, list(n.input)) for n in checked.node
    ]
    for mine, theirs in zip(ours.node, checked.node):
        assert dict(mine.attr) == dict(theirs.attr), mine.name


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_we_compute_what_tensorflow_computed_from_our_graph_def(name):
    graph, fetches, init = build(name)
    with tf.Session(graph=graph) as sess:
        sess.run(init)
        got = sess.run(fetches, {"x:0": FEEDS[name]})
    expected = _results()[name]["outputs"]
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, np.asarray(e, np.float32), rtol=1e-5, atol=1e-5)
