"""A logdir written by flowgraph, served by TensorBoard's own data provider (no server)."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image
from tensorboard import context
from tensorboard.backend.event_processing import data_provider, plugin_event_multiplexer
from tensorboard.compat.proto import graph_pb2

import flowgraph as tf


def _write_run(logdir: str, scale: float) -> None:
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [None, 4], name="x")
        with tf.name_scope("model"), tf.device("/cpu:0"):
            w = tf.Variable(np.ones([4, 2], np.float32), name="w")
            y = tf.matmul(x, w, name="y")
        tf.summary.scalar("loss", tf.reduce_sum(y))
        tf.summary.image("inputs", tf.reshape(x, [-1, 2, 2, 1]), max_outputs=2)
        merged = tf.summary.merge_all()
        with tf.Session() as sess, tf.summary.FileWriter(logdir, sess.graph) as writer:
            sess.run(tf.global_variables_initializer())
            for step in range(4):
                feed = np.full([3, 4], scale * (step + 1), np.float32)
                writer.add_summary(sess.run(merged, {x: feed}), step)


def test_data_provider_lists_runs_scalars_images_and_graph(tmp_path):
    _write_run(str(tmp_path / "train"), 0.5)
    _write_run(str(tmp_path / "eval"), 1.0)
    multiplexer = plugin_event_multiplexer.EventMultiplexer()
    multiplexer.AddRunsFromDirectory(str(tmp_path))
    multiplexer.Reload()
    provider = data_provider.MultiplexerDataProvider(multiplexer, str(tmp_path))
    ctx = context.RequestContext()

    assert sorted(r.run_name for r in provider.list_runs(ctx, experiment_id="")) == [
        "eval",
        "train",
    ]
    plugins = provider.list_plugins(ctx, experiment_id="")
    assert {"scalars", "images", "graphs"} <= set(plugins)

    scalars = provider.list_scalars(ctx, experiment_id="", plugin_name="scalars")
    assert {run: sorted(tags) for run, tags in scalars.items()} == {
        "eval": ["loss"],
        "train": ["loss"],
    }
    assert scalars["train"]["loss"].max_step == 3
    data = provider.read_scalars(ctx, experiment_id="", plugin_name="scalars", downsample=100)
    assert [(d.step, d.value) for d in data["train"]["loss"]] == [
        (s, 3 * 8 * 0.5 * (s + 1)) for s in range(4)
    ]

    images = provider.list_blob_sequences(ctx, experiment_id="", plugin_name="images")
    assert sorted(images["eval"]) == ["inputs/image/0", "inputs/image/1"]
    sequences = provider.read_blob_sequences(
        ctx, experiment_id="", plugin_name="images", downsample=100
    )
    last = sequences["eval"]["inputs/image/1"][-1]
    width, height, png = (provider.read_blob(ctx, blob_key=b.blob_key) for b in last.values)
    assert (last.step, width, height) == (3, b"2", b"2")
    assert np.asarray(Image.open(io.BytesIO(png))).tolist() == [[255, 255], [255, 255]]

    graphs = provider.read_blob_sequences(
        ctx, experiment_id="", plugin_name="graphs", downsample=100
    )
    (blob,) = graphs["train"]["__run_graph__"][0].values
    graph_def = graph_pb2.GraphDef.FromString(provider.read_blob(ctx, blob_key=blob.blob_key))
    nodes = {n.name: n for n in graph_def.node}
    assert nodes["model/y"].op == "MatMul" and nodes["model/w"].op == "VariableV2"
    assert nodes["model/y"].device.endswith("CPU:0") and nodes["x"].op == "Placeholder"
    assert [n.name for n in multiplexer.Graph("eval").node] == [n.name for n in graph_def.node]
