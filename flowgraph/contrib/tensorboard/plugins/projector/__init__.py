"""`tf.contrib.tensorboard.plugins.projector`: configures TensorBoard's embedding projector."""

from __future__ import annotations

import os

import numpy as np
from google.protobuf import text_format
from tensorboard.plugins.projector.metadata import PROJECTOR_FILENAME
from tensorboard.plugins.projector.projector_config_pb2 import (
    EmbeddingInfo as EmbeddingInfo,
    ProjectorConfig as ProjectorConfig,
    SpriteMetadata as SpriteMetadata,
)


def visualize_embeddings(summary_writer, config: ProjectorConfig) -> None:
    """Writes `config` as `projector_config.pbtxt` in the writer's logdir.

    TensorBoard's projector reads it to find each embedding (a variable in the checkpoint
    `config.model_checkpoint_path`, by default the logdir's latest), its metadata TSV
    (labels) and its sprite image (thumbnails).

    Args:
      summary_writer: a `tf.summary.FileWriter` (only its logdir is used).
      config: a `ProjectorConfig` proto.

    Raises:
      ValueError: the writer has no logdir.

    Example:
      >>> config = projector.ProjectorConfig()
      >>> embedding = config.embeddings.add(tensor_name=emb.name,
      ...                                   metadata_path="metadata.tsv")
      >>> projector.visualize_embeddings(tf.summary.FileWriter(logdir), config)
    """
    logdir = summary_writer.get_logdir()
    if logdir is None:
        raise ValueError("Summary writer must have a logdir")
    _write_config(logdir, config)
    export_checkpoint_embeddings(logdir)


def export_checkpoint_embeddings(logdir: str, checkpoint: str | None = None) -> list[str]:
    """Writes the checkpointed values of the logdir's projector embeddings as TSV files.

    TensorBoard's projector reads embeddings from a checkpoint only through TensorFlow,
    and flowgraph's checkpoints are orbax's; so each embedding named by `tensor_name`
    (without its own `tensor_path`) is exported from `checkpoint` (default: the config's
    `model_checkpoint_path`, else the logdir's latest) to `<name>.projector.tsv`, which the
    config then names, and the projector shows its PCA and t-SNE views. `Saver.save` calls
    this for a logdir that has a projector config, so later checkpoints are shown too.

    Returns the names of the embeddings exported.
    """
    path = os.path.join(logdir, PROJECTOR_FILENAME)
    if not os.path.exists(path):
        return []
    with open(path) as f:
        config = text_format.Parse(f.read(), ProjectorConfig())
    from flowgraph.train import checkpoint_management, checkpoint_utils

    checkpoint = (
        checkpoint
        or config.model_checkpoint_path
        or checkpoint_management.latest_checkpoint(logdir)
    )
    if not checkpoint or not checkpoint_management.checkpoint_exists(checkpoint):
        return []
    reader = checkpoint_utils.load_checkpoint(checkpoint)
    exported = []
    for embedding in config.embeddings:
        name = embedding.tensor_name.split(":")[0]
        generated = embedding.tensor_path.endswith(_SUFFIX)
        if not name or (embedding.tensor_path and not generated) or not reader.has_tensor(name):
            continue
        values = np.asarray(reader.get_tensor(name))
        values = values.reshape(values.shape[0], -1) if values.ndim else values.reshape(1, 1)
        filename = name.replace("/", "_") + _SUFFIX
        np.savetxt(os.path.join(logdir, filename), values, delimiter="\t", fmt="%.8g")
        embedding.tensor_path = filename
        del embedding.tensor_shape[:]
        embedding.tensor_shape.extend(values.shape)
        exported.append(name)
    if exported:
        _write_config(logdir, config)
    return exported


_SUFFIX = ".projector.tsv"


def _write_config(logdir: str, config: ProjectorConfig) -> None:
    tmp = os.path.join(logdir, PROJECTOR_FILENAME + ".tmp")
    with open(tmp, "w") as f:
        f.write(text_format.MessageToString(config))
    os.replace(tmp, os.path.join(logdir, PROJECTOR_FILENAME))
