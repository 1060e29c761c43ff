"""`tf.saved_model.builder.SavedModelBuilder` and `simple_save`: write a SavedModel.

A SavedModel directory holds `saved_model.pb` (a `SavedModel` proto of tagged
MetaGraphDefs with their signatures), `variables/variables*` (a checkpoint written by
`tf.train.Saver`, in TensorFlow's tensor-bundle format) and `assets/` (files the graph
reads, such as vocabularies).
"""

from __future__ import annotations

import os

from google.protobuf import text_format

from flowgraph.framework.ops import GraphKeys, get_default_graph
from flowgraph.framework.scopes import add_to_collection, get_collection
from flowgraph.saved_model import assets, constants, signature_def_utils
from flowgraph.saved_model.saved_model_pb2 import SavedModel
from flowgraph.train.saver import Saver


class SavedModelBuilder:
    """Builds a SavedModel: one MetaGraph with the variables, then more MetaGraphs.

    Example:
      >>> builder = tf.saved_model.builder.SavedModelBuilder(export_dir)
      >>> with tf.Session(graph=tf.Graph()) as sess:
      ...     ...
      ...     builder.add_meta_graph_and_variables(
      ...         sess, [tf.saved_model.tag_constants.SERVING],
      ...         signature_def_map={"serving_default": signature})
      >>> builder.save()

    Args:
      export_dir: the directory to write to; it must not exist or be empty.
    """

    def __init__(self, export_dir):
        self._export_dir = os.fspath(export_dir)
        if os.path.exists(self._export_dir) and os.listdir(self._export_dir):
            raise AssertionError(
                "Export directory already exists, and isn't empty. Please choose a different "
                "export directory, or delete all the contents of the specified directory: "
                f"{self._export_dir}"
            )
        os.makedirs(self._export_dir, exist_ok=True)
        self._saved_model = SavedModel(
            saved_model_schema_version=constants.SAVED_MODEL_SCHEMA_VERSION
        )
        self._has_saved_variables = False

    def add_meta_graph_and_variables(self, sess, tags, signature_def_map=None,
                                     assets_collection=None, legacy_init_op=None,
                                     clear_devices=False, main_op=None, strip_default_attrs=False,
                                     saver=None, train_op=None):  # fmt: skip
        """Saves the session's variables and adds the current graph as a MetaGraph with `tags`.

        `main_op` (or `legacy_init_op`) is run by the loader after restoring. The files
        named by `assets_collection` (scalar string constants, e.g.
        `tf.get_collection(tf.GraphKeys.ASSET_FILEPATHS)`) are copied into `assets/`; the
        loader feeds their new paths to the main op.
        """
        if self._has_saved_variables:
            raise AssertionError("Graph state including variables and assets has already been "
                                 "saved. Please invoke `add_meta_graph()` instead.")  # fmt: skip
        _check_signatures(signature_def_map or {})
        self._add_collections(main_op or legacy_init_op, train_op)
        variables_dir = os.path.join(self._export_dir, constants.VARIABLES_DIRECTORY)
        os.makedirs(variables_dir, exist_ok=True)
        saver = saver or Saver(allow_empty=True)
        path = os.path.join(variables_dir, constants.VARIABLES_FILENAME)
        saver.save(sess, path, write_meta_graph=False, write_state=False)
        meta_graph = saver.export_meta_graph(clear_devices=clear_devices,
                                             strip_default_attrs=strip_default_attrs)  # fmt: skip
        assets.save_assets(meta_graph, assets_collection, self._export_dir)
        self._tag_and_add(meta_graph, tags, signature_def_map or {})
        self._has_saved_variables = True

    def add_meta_graph(self, tags, signature_def_map=None, assets_collection=None,
                       legacy_init_op=None, clear_devices=False, main_op=None,
                       strip_default_attrs=False, saver=None, train_op=None):  # fmt: skip
        """Adds the current graph as another MetaGraph with `tags` (same variables)."""
        if not self._has_saved_variables:
            raise AssertionError(
                "Graph state including variables and assets has not been saved yet. Please "
                "invoke `add_meta_graph_and_variables()` first."
            )
        _check_signatures(signature_def_map or {})
        self._add_collections(main_op or legacy_init_op, train_op)
        saver = saver or Saver(allow_empty=True)
        meta_graph = saver.export_meta_graph(clear_devices=clear_devices,
                                             strip_default_attrs=strip_default_attrs)  # fmt: skip
        assets.save_assets(meta_graph, assets_collection, self._export_dir)
        self._tag_and_add(meta_graph, tags, signature_def_map or {})

    def save(self, as_text=False):
        """Writes `saved_model.pb` (or `.pbtxt`) and returns its path."""
        name = (
            constants.SAVED_MODEL_FILENAME_PBTXT if as_text else constants.SAVED_MODEL_FILENAME_PB
        )
        path = os.path.join(self._export_dir, name)
        if as_text:
            with open(path, "w") as f:
                f.write(text_format.MessageToString(self._saved_model))
        else:
            with open(path, "wb") as f:
                f.write(self._saved_model.SerializeToString())
        return path

    def _add_collections(self, main_op, train_op):
        graph = get_default_graph()
        if main_op is not None:
            if graph.get_collection_ref(constants.MAIN_OP_KEY):
                raise ValueError(f"Graph already contains one or more main ops under the "
                                 f"collection {constants.MAIN_OP_KEY}.")  # fmt: skip
            add_to_collection(constants.MAIN_OP_KEY, main_op)
        if train_op is not None and not get_collection(GraphKeys.TRAIN_OP):
            add_to_collection(GraphKeys.TRAIN_OP, train_op)

    def _tag_and_add(self, meta_graph, tags, signature_def_map):
        meta_graph.meta_info_def.tags.extend(tags)
        for key, signature in signature_def_map.items():
            meta_graph.signature_def[key].CopyFrom(signature)
        self._saved_model.meta_graphs.add().CopyFrom(meta_graph)


def simple_save(session, export_dir, inputs, outputs, legacy_init_op=None):
    """Convenience function to build a SavedModel suitable for serving.

    Saves the session's graph and variables under the tag `serve` with one prediction
    signature, `serving_default`, from the `inputs` and `outputs` dicts of tensors.
    """
    signature = signature_def_utils.predict_signature_def(inputs, outputs)
    builder = SavedModelBuilder(export_dir)
    builder.add_meta_graph_and_variables(
        session, [constants.SERVING],
        signature_def_map={constants.DEFAULT_SERVING_SIGNATURE_DEF_KEY: signature},
        main_op=legacy_init_op, clear_devices=True,
    )  # fmt: skip
    builder.save()


def _check_signatures(signature_def_map):
    for key, signature in signature_def_map.items():
        for info in list(signature.inputs.values()) + list(signature.outputs.values()):
            if not info.name and info.WhichOneof("encoding") != "coo_sparse":
                raise AssertionError(f"All TensorInfo protos used in the SignatureDefs must "
                                     f"have the name and dtype fields set; {key} has one "
                                     f"without.")  # fmt: skip
