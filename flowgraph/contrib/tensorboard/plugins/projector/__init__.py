"""`tf.contrib.tensorboard.plugins.projector`: configures TensorBoard's embedding projector."""

from __future__ import annotations

import os

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
    with open(os.path.join(logdir, PROJECTOR_FILENAME), "w") as f:
        f.write(text_format.MessageToString(config))
