"""The embedding projector's config, metadata TSV and sprite, served by TensorBoard's own
projector plugin through its WSGI app (no server)."""

from __future__ import annotations

import io
import json
import os

import numpy as np
import pytest
from google.protobuf import text_format
from PIL import Image
from tensorboard.backend.event_processing import data_provider, plugin_event_multiplexer
from tensorboard.plugins import base_plugin
from tensorboard.plugins.projector import projector_plugin
from werkzeug import test as werkzeug_test, wrappers

import flowgraph as tf
from flowgraph.contrib.tensorboard.plugins import projector

LABELS = ["cat", "dog", "fish", "bird"]
THUMB = 4  # sprite thumbnails are THUMB x THUMB pixels, in a 2 x 2 grid


def _write_embedding_assets(logdir: str, values: np.ndarray) -> None:
    with open(os.path.join(logdir, "metadata.tsv"), "w") as f:
        f.write("Name\tIndex\n" + "".join(f"{w}\t{i}\n" for i, w in enumerate(LABELS)))
    np.savetxt(os.path.join(logdir, "values.tsv"), values, delimiter="\t")
    sprite = np.zeros((2 * THUMB, 2 * THUMB, 3), np.uint8)
    for i in range(len(LABELS)):
        row, col = divmod(i, 2)
        sprite[row * THUMB : (row + 1) * THUMB, col * THUMB : (col + 1) * THUMB] = 60 * (i + 1)
    Image.fromarray(sprite).save(os.path.join(logdir, "sprite.png"))


def _config(tensor_name: str) -> projector.ProjectorConfig:
    config = projector.ProjectorConfig()
    embedding = config.embeddings.add()
    embedding.tensor_name = tensor_name
    embedding.tensor_path = "values.tsv"
    embedding.metadata_path = "metadata.tsv"
    embedding.sprite.image_path = "sprite.png"
    embedding.sprite.single_image_dim.extend([THUMB, THUMB])
    return config


@pytest.fixture
def logdir(tmp_path):
    values = np.arange(len(LABELS) * 3, dtype=np.float32).reshape(len(LABELS), 3) / 7
    graph = tf.Graph()
    with graph.as_default():
        embeddings = tf.Variable(values, name="embeddings")
        writer = tf.summary.FileWriter(str(tmp_path))
        _write_embedding_assets(str(tmp_path), values)
        projector.visualize_embeddings(writer, _config(embeddings.name))
        writer.close()
    return tmp_path, values


def test_visualize_embeddings_writes_config_pbtxt(logdir):
    assert tf.contrib.tensorboard.plugins.projector is projector  # TF1's import path
    path, _ = logdir
    with open(path / "projector_config.pbtxt") as f:
        config = text_format.Parse(f.read(), projector.ProjectorConfig())
    assert config == _config("embeddings:0")
    (embedding,) = config.embeddings
    assert list(embedding.sprite.single_image_dim) == [THUMB, THUMB]
    assert isinstance(embedding, projector.EmbeddingInfo)
    assert isinstance(embedding.sprite, projector.SpriteMetadata)


def test_visualize_embeddings_needs_a_logdir():
    class NoLogdir:
        def get_logdir(self):
            return None

    with pytest.raises(ValueError, match="must have a logdir"):
        projector.visualize_embeddings(NoLogdir(), projector.ProjectorConfig())


def test_projector_plugin_serves_config_metadata_sprite_and_tensor(logdir):
    path, values = logdir
    multiplexer = plugin_event_multiplexer.EventMultiplexer()
    multiplexer.AddRunsFromDirectory(str(path))
    multiplexer.Reload()
    context = base_plugin.TBContext(
        logdir=str(path),
        data_provider=data_provider.MultiplexerDataProvider(multiplexer, str(path)),
    )
    plugin = projector_plugin.ProjectorPlugin(context)
    apps = plugin.get_plugin_apps()

    def get(route, **args):
        client = werkzeug_test.Client(apps[route], wrappers.Response)
        response = client.get(route, query_string=args)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_data()

    (run,) = json.loads(get("/runs"))
    config = json.loads(get(projector_plugin.CONFIG_ROUTE, run=run))
    (embedding,) = config["embeddings"]
    assert embedding["tensorName"] == "embeddings"  # the plugin drops ":0"
    assert embedding["tensorShape"] == list(values.shape)
    assert embedding["sprite"]["singleImageDim"] == [THUMB, THUMB]
    tsv = get("/metadata", run=run, name="embeddings").decode()
    assert tsv.splitlines() == ["Name\tIndex"] + [f"{w}\t{i}" for i, w in enumerate(LABELS)]
    sprite = np.asarray(Image.open(io.BytesIO(get("/sprite_image", run=run, name="embeddings"))))
    assert sprite.shape == (2 * THUMB, 2 * THUMB, 3) and sprite[THUMB, THUMB, 0] == 240
    tensor = np.frombuffer(get("/tensor", run=run, name="embeddings"), np.float32)
    np.testing.assert_allclose(tensor.reshape(values.shape), values, rtol=1e-6)


def test_embeddings_from_a_checkpoint(tmp_path):
    # TF1's recipe: save the embedding variable in the logdir and name it in the config; the
    # projector loads `tensor_name` from `model_checkpoint_path`.
    values = np.random.default_rng(0).standard_normal((len(LABELS), 5)).astype(np.float32)
    graph = tf.Graph()
    with graph.as_default(), tf.Session() as sess:
        embeddings = tf.Variable(values, name="word_embeddings")
        sess.run(tf.global_variables_initializer())
        writer = tf.summary.FileWriter(str(tmp_path), sess.graph)
        config = projector.ProjectorConfig()
        config.embeddings.add(tensor_name=embeddings.op.name, metadata_path="metadata.tsv")
        _write_embedding_assets(str(tmp_path), values)
        config.model_checkpoint_path = tf.train.Saver().save(
            sess, str(tmp_path / "model.ckpt"), global_step=3
        )
        projector.visualize_embeddings(writer, config)
        writer.close()
    with open(tmp_path / "projector_config.pbtxt") as f:
        written = text_format.Parse(f.read(), projector.ProjectorConfig())
    assert written.model_checkpoint_path == str(tmp_path / "model.ckpt-3")
    assert tf.train.latest_checkpoint(str(tmp_path)) == written.model_checkpoint_path
    (embedding,) = written.embeddings
    reader = tf.train.NewCheckpointReader(written.model_checkpoint_path)
    assert reader.get_variable_to_shape_map()[embedding.tensor_name] == [len(LABELS), 5]
    np.testing.assert_array_equal(reader.get_tensor(embedding.tensor_name), values)


def test_checkpoint_embeddings_reach_tensorboards_projector(tmp_path):
    # Configured before training, as TF1 scripts do: each save exports the embedding's
    # values, so TensorBoard's projector (which cannot read orbax checkpoints) shows them.
    rng = np.random.default_rng(1)
    values = rng.standard_normal((len(LABELS), 5)).astype(np.float32)
    graph = tf.Graph()
    with graph.as_default(), tf.Session() as sess:
        embeddings = tf.Variable(values, name="emb/words")
        step = tf.assign_add(embeddings, tf.ones_like(embeddings))
        sess.run(tf.global_variables_initializer())
        writer = tf.summary.FileWriter(str(tmp_path), sess.graph)
        config = projector.ProjectorConfig()
        config.embeddings.add(tensor_name=embeddings.name, metadata_path="metadata.tsv")
        _write_embedding_assets(str(tmp_path), values)
        projector.visualize_embeddings(writer, config)  # no checkpoint yet: nothing exported
        assert not list(tmp_path.glob("*.projector.tsv"))
        saver = tf.train.Saver()
        sess.run(step)
        saver.save(sess, str(tmp_path / "model.ckpt"), global_step=1)
        writer.close()
    with open(tmp_path / "projector_config.pbtxt") as f:
        (embedding,) = text_format.Parse(f.read(), projector.ProjectorConfig()).embeddings
    assert embedding.tensor_path == "emb_words.projector.tsv"
    assert list(embedding.tensor_shape) == [len(LABELS), 5]
    multiplexer = plugin_event_multiplexer.EventMultiplexer()
    multiplexer.AddRunsFromDirectory(str(tmp_path))
    multiplexer.Reload()
    context = base_plugin.TBContext(
        logdir=str(tmp_path),
        data_provider=data_provider.MultiplexerDataProvider(multiplexer, str(tmp_path)),
    )
    apps = projector_plugin.ProjectorPlugin(context).get_plugin_apps()
    client = werkzeug_test.Client(apps["/tensor"], wrappers.Response)
    (run,) = json.loads(
        werkzeug_test.Client(apps["/runs"], wrappers.Response).get("/runs").get_data()
    )
    response = client.get("/tensor", query_string={"run": run, "name": "emb/words"})
    assert response.status_code == 200, response.get_data(as_text=True)
    tensor = np.frombuffer(response.get_data(), np.float32).reshape(values.shape)
    np.testing.assert_allclose(tensor, values + 1, rtol=1e-6)
