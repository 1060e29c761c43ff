"""`tf.saved_model.loader.load`: import a SavedModel's MetaGraph and restore its variables."""

from __future__ import annotations

import os

from google.protobuf import text_format

from flowgraph.framework.meta_graph import import_meta_graph
from flowgraph.framework.ops import get_default_graph
from flowgraph.saved_model import assets, constants
from flowgraph.saved_model.saved_model_pb2 import SavedModel


def maybe_saved_model_directory(export_dir):
    """Checks whether the provided export directory could contain a SavedModel."""
    return any(os.path.exists(os.path.join(os.fspath(export_dir), name))
               for name in (constants.SAVED_MODEL_FILENAME_PB,
                            constants.SAVED_MODEL_FILENAME_PBTXT))  # fmt: skip


def load(sess, tags, export_dir, import_scope=None, **saver_kwargs):
    """Loads the MetaGraph tagged `tags` into `sess`'s graph and restores its variables.

    Then runs its main op (or legacy init op), if it has one, feeding each asset tensor
    the path of its file in `export_dir/assets/`.

    Example:
      >>> with tf.Session(graph=tf.Graph()) as sess:
      ...     meta = tf.saved_model.loader.load(sess, ["serve"], export_dir)
      ...     sig = meta.signature_def["serving_default"]

    Returns:
      The `MetaGraphDef` loaded.

    Raises:
      IOError: if there is no SavedModel in `export_dir`.
      RuntimeError: if no MetaGraph has exactly `tags`.
    """
    export_dir = os.fspath(export_dir)
    meta_graph = _meta_graph(read_saved_model(export_dir), tags)
    with sess.graph.as_default():
        saver = import_meta_graph(meta_graph, import_scope=import_scope, **saver_kwargs)
        if saver is not None:
            variables = os.path.join(export_dir, constants.VARIABLES_DIRECTORY,
                                     constants.VARIABLES_FILENAME)  # fmt: skip
            saver.restore(sess, variables)
        graph = get_default_graph()
        main_ops = graph.get_collection(constants.MAIN_OP_KEY) or graph.get_collection(
            constants.LEGACY_INIT_OP_KEY
        )
        if main_ops:  # with the assets' paths in this SavedModel, as TF's loader feeds them
            sess.run(main_ops[0], assets.asset_tensors(meta_graph, export_dir, import_scope))
    return meta_graph


def read_saved_model(export_dir):
    """The `SavedModel` proto of `export_dir` (binary or text)."""
    binary = os.path.join(export_dir, constants.SAVED_MODEL_FILENAME_PB)
    text = os.path.join(export_dir, constants.SAVED_MODEL_FILENAME_PBTXT)
    saved_model = SavedModel()
    if os.path.exists(binary):
        with open(binary, "rb") as f:
            saved_model.ParseFromString(f.read())
    elif os.path.exists(text):
        with open(text) as f:
            text_format.Parse(f.read(), saved_model)
    else:
        raise OSError(f"SavedModel file does not exist at: {export_dir}/"
                      f"{{{constants.SAVED_MODEL_FILENAME_PBTXT}|"
                      f"{constants.SAVED_MODEL_FILENAME_PB}}}")  # fmt: skip
    return saved_model


def _meta_graph(saved_model, tags):
    for meta_graph in saved_model.meta_graphs:
        if set(meta_graph.meta_info_def.tags) == set(tags):
            return meta_graph
    available = [list(m.meta_info_def.tags) for m in saved_model.meta_graphs]
    raise RuntimeError(
        f"MetaGraphDef associated with tags {str(tags).strip('[]')} could not be found in "
        f"SavedModel. To inspect available tag-sets in the SavedModel, please use the "
        f"SavedModel CLI: `saved_model_cli`\navailable_tags: {available}"
    )
