"""MetaGraph export and import: a runnable graph, its collections and saver, without its code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import flowgraph as tf

FEED = np.array([[1, 1, 1], [0, 1, 0]], np.float32)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _model():
    """A linear model trained by gradient descent, with a global step and collections."""
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    w = tf.Variable([[1.0], [2.0], [3.0]], name="w")
    b = tf.Variable(0.5, name="b", trainable=False)
    loss = tf.reduce_sum(tf.square(tf.matmul(x, w) + b), name="loss")
    step = tf.train.get_or_create_global_step()
    train = tf.train.GradientDescentOptimizer(0.01).minimize(loss, global_step=step)
    tf.add_to_collection(tf.GraphKeys.LOSSES, loss)
    tf.add_to_collection("ints", 3)
    tf.add_to_collection("floats", 2.5)
    tf.add_to_collection("names", b"abc")
    return x, loss, train


def _train(sess, loss, train, steps, x="x:0"):
    return [float(sess.run([loss, train], {x: FEED})[0]) for _ in range(steps)]


def test_imported_meta_graph_trains_like_the_original(tmp_path):
    path = str(tmp_path / "model.meta")
    with tf.Graph().as_default() as g:
        _, loss, train = _model()
        meta = tf.train.export_meta_graph(path)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            expected = _train(sess, loss, train, 3)
    assert isinstance(meta, tf.MetaGraphDef)
    assert {"variables", "trainable_variables", "global_step", "train_op", "losses"} <= set(
        meta.collection_def
    )
    with tf.Graph().as_default() as g2:
        saver = tf.train.import_meta_graph(path)
        assert isinstance(saver, tf.train.Saver)  # no saver_def: a new saver of the variables
        variables = tf.global_variables()
        assert [v.name for v in variables] == ["w:0", "b:0", "global_step:0"]
        assert [v.name for v in tf.trainable_variables()] == ["w:0"]
        assert tf.trainable_variables()[0] is variables[0]  # one object in every collection
        assert tf.train.get_global_step() is variables[2]
        assert variables[0].initializer.name == "w/Assign"
        assert variables[0].value().name == "w/read:0"
        assert tf.get_collection("ints") == [3] and tf.get_collection("floats") == [2.5]
        assert tf.get_collection("names") == [b"abc"]
        assert tf.get_collection(tf.GraphKeys.LOSSES) == [g2.get_tensor_by_name("loss:0")]
        (train_op,) = tf.get_collection(tf.GraphKeys.TRAIN_OP)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            got = _train(sess, g2.get_tensor_by_name("loss:0"), train_op, 3)
            assert sess.run(tf.train.get_global_step()) == 3
    assert got == expected and expected[0] > expected[-1]
    assert g.get_operations()[0].name == "x"


def test_a_fresh_process_restores_and_continues_training(tmp_path):
    # Train two steps and save (checkpoint + MetaGraph); then both this process and a fresh
    # one without the model code continue for three steps from the checkpoint.
    prefix = str(tmp_path / "model.ckpt")
    with tf.Graph().as_default():
        _, loss, train = _model()
        saver = tf.train.Saver()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            _train(sess, loss, train, 2)
            saved = saver.save(sess, prefix, global_step=2)
            expected = _train(sess, loss, train, 3)
    script = textwrap.dedent(
        f"""
        import json, sys
        import numpy as np
        import flowgraph as tf
        saver = tf.train.import_meta_graph({saved + ".meta"!r})
        train = tf.get_collection("train_op")[0]
        loss = tf.get_collection("losses")[0]
        feed = {{"x:0": np.array({FEED.tolist()}, np.float32)}}
        with tf.Session() as sess:
            saver.restore(sess, {saved!r})
            out = [float(sess.run([loss, train], feed)[0]) for _ in range(3)]
            step = int(sess.run(tf.train.get_global_step()))
        print(json.dumps([out, step]))
        """
    )
    env = {**os.environ, "PYTHONPATH": ROOT, "JAX_PLATFORMS": "cpu"}
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    got, step = json.loads(result.stdout.strip().splitlines()[-1])
    assert got == expected and step == 5


def test_saver_def_comes_back_as_the_imported_saver(tmp_path):
    with tf.Graph().as_default():
        _model()
        saver = tf.train.Saver(max_to_keep=7)
        meta = tf.train.export_meta_graph(saver_def=saver.as_saver_def())
    with tf.Graph().as_default():
        imported = tf.train.import_meta_graph(meta, import_scope="copy")
        assert imported.saver_def.max_to_keep == 7
        assert imported.saver_def.save_tensor_name.startswith("copy/")
        assert [v.name for v in tf.global_variables()][0] == "copy/w:0"


def test_export_and_import_scopes_and_clear_devices(tmp_path):
    with tf.Graph().as_default() as g:
        with tf.name_scope("tower"), g.device("/cpu:0"):
            x = tf.placeholder(tf.float32, [2], name="x")
            v = tf.Variable([1.0, 2.0], name="v")
            y = tf.multiply(x, v, name="y")
        tf.add_to_collection("outputs", y)
        tf.constant(0.0, name="outside")
        meta = tf.train.export_meta_graph(export_scope="tower", clear_devices=True)
    names = [n.name for n in meta.graph_def.node]
    assert "x" in names and "v/read" in names and "outside" not in names
    assert all(n.device == "" for n in meta.graph_def.node)
    with tf.Graph().as_default() as g2:
        tf.train.import_meta_graph(meta, import_scope="copy")
        (out,) = tf.get_collection("outputs")
        assert out.name == "copy/y:0" and tf.global_variables()[0].name == "copy/v:0"
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            result = sess.run(out, {g2.get_tensor_by_name("copy/x:0"): [3.0, 4.0]})
    np.testing.assert_array_equal(result, [3.0, 8.0])
    assert v.device == "/device:CPU:0"


def test_text_meta_graph_files_and_python_objects_in_collections(tmp_path, caplog):
    path = str(tmp_path / "sub" / "model.pbtxt")
    with tf.Graph().as_default():
        tf.constant(1.0, name="c")
        tf.add_to_collection("objects", object())
        meta = tf.train.export_meta_graph(path, as_text=True)
    assert "objects" not in meta.collection_def and "Issue encountered" in caplog.text
    assert open(path).read().startswith("meta_info_def")
    with tf.Graph().as_default() as g:
        assert tf.train.import_meta_graph(path) is None  # no variables: no saver
        assert [op.name for op in g.get_operations()] == ["c"]
    with pytest.raises(OSError, match="does not exist"):
        tf.train.import_meta_graph(str(tmp_path / "missing.meta"))


def test_write_graph_text_and_binary(tmp_path):
    with tf.Graph().as_default() as g:
        tf.constant([1, 2], name="c")
    text_path = tf.train.write_graph(g, str(tmp_path), "g.pbtxt")
    binary_path = tf.train.write_graph(g.as_graph_def(), str(tmp_path / "d"), "g.pb", False)
    from google.protobuf import text_format

    read_text = text_format.Parse(open(text_path).read(), tf.GraphDef())
    read_binary = tf.GraphDef.FromString(open(binary_path, "rb").read())
    assert read_text == read_binary == g.as_graph_def()


def test_variable_proto_round_trip():
    with tf.Graph().as_default():
        with tf.name_scope("s"):
            v = tf.Variable(1.0, name="v", trainable=False)
        proto = v.to_proto()
        assert (proto.variable_name, proto.initializer_name, proto.snapshot_name) == (
            "s/v:0",
            "s/v/Assign",
            "s/v/read:0",
        )
        assert proto.initial_value_name == "s/v/initial_value:0" and not proto.trainable
        assert v.to_proto(export_scope="s").variable_name == "v:0"
        assert v.to_proto(export_scope="other") is None
        again = tf.Variable.from_proto(proto)
        assert again.op is v.op and again.value() is v.value() and not again.trainable
        with pytest.raises(ValueError, match="mutually exclusive"):
            tf.Variable(1.0, variable_def=proto)
