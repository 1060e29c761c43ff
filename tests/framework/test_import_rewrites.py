"""TF 2.x `compat.v1` resource-variable graphs imported as reference-variable graphs."""

from __future__ import annotations

import json
import pathlib

import numpy as np

import flowgraph as tf
from flowgraph.framework import import_rewrites

RESUME = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "tf_checkpoints" / "resume"


def test_a_tf2_training_meta_graph_resumes_with_tensorflows_next_losses():
    data = json.loads((RESUME / "expected.json").read_text())
    meta = tf.train.import_meta_graph  # the MetaGraph TF wrote with its checkpoint
    with tf.Graph().as_default() as graph:
        saver = meta(str(RESUME / (data["saved"] + ".meta")))
        (train,) = graph.get_collection(tf.GraphKeys.TRAIN_OP)
        loss = graph.get_tensor_by_name("Mean:0")
        assert {v.op.name for v in tf.trainable_variables()} == {"dense/kernel", "dense/bias"}
        with tf.Session() as sess:
            saver.restore(sess, str(RESUME / data["saved"]))
            assert sess.run(tf.train.get_global_step()) == 3
            losses = [sess.run([loss, train])[0] for _ in range(5)]
    np.testing.assert_allclose(losses, data["next_losses"], rtol=1e-5)


def test_resource_ops_become_their_reference_ops():
    meta = tf.MetaGraphDef.FromString((RESUME / "model.ckpt-3.meta").read_bytes())
    before = {n.name: n.op for n in meta.graph_def.node}
    after = {n.name: n for n in import_rewrites.rewrite(meta.graph_def).node}
    assert before["dense/kernel"] == "VarHandleOp" and after["dense/kernel"].op == "VariableV2"
    read = after["dense/kernel/Read/ReadVariableOp"]
    assert read.op == "Identity" and read.attr["T"].type == tf.float32.as_datatype_enum
    adam = [n for n in after.values() if before[n.name] == "ResourceApplyAdam"]
    assert adam and all(n.op == "ApplyAdam" for n in adam)
    assert all(before[n] == after[n].op for n in before if not _resource(before[n]))


def _resource(op_type: str) -> bool:
    return op_type in import_rewrites._RENAMED or op_type.startswith("Resource")


def test_graphs_without_resource_ops_are_left_as_they_are():
    with tf.Graph().as_default() as graph:
        tf.Variable(1.0, name="v")
    graph_def = graph.as_graph_def()
    assert import_rewrites.rewrite(graph_def) is graph_def


def test_an_mlp_on_resource_variables_resumes_with_tensorflows_losses():
    # TF's Adam on use_resource=True variables, with its own gradient ops (ReluGrad,
    # BiasAddGrad, BroadcastGradientArgs for a batch of unknown size)
    path = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "tf_v1_control_flow"
    case = json.loads((path / "expected.json").read_text())["train_mlp"]
    assert {"VarHandleOp", "ResourceApplyAdam", "BroadcastGradientArgs"} <= set(case["op_types"])
    prefix = str(path / "train_mlp" / case["saved"])
    with tf.Graph().as_default() as graph:
        saver = tf.train.import_meta_graph(prefix + ".meta")
        train = graph.get_collection(tf.GraphKeys.TRAIN_OP)[0]
        (loss,) = graph.get_collection("loss")
        feed = {"x:0": np.float32(case["x"]), "labels:0": np.int32(case["labels"])}
        with tf.Session() as sess:
            saver.restore(sess, prefix)
            losses = [sess.run([loss, train], feed)[0] for _ in range(4)]
    np.testing.assert_allclose(losses, case["next_losses"], rtol=1e-5)


def test_resource_reads_inside_tf_function_bodies_are_rewritten_too():
    path = RESUME.parents[1] / "tf_v2_control_flow" / "train_while" / "model.ckpt.meta"
    graph_def = import_rewrites.rewrite(tf.MetaGraphDef.FromString(path.read_bytes()).graph_def)
    bodies = [nd for f in graph_def.library.function for nd in f.node_def]
    reads = [nd for nd in bodies if nd.name == "MatMul/ReadVariableOp"]
    assert reads and all(nd.op == "Identity" for nd in reads)
    assert all(nd.attr["T"].type == tf.float32.as_datatype_enum for nd in reads)
    assert not {nd.op for nd in bodies} & {"ReadVariableOp", "VarHandleOp"}
