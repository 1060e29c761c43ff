"""`MethodNameUpdater`: change the method names of a SavedModel's signatures on disk."""

from __future__ import annotations

import os

from google.protobuf import text_format

from flowgraph.saved_model import constants
from flowgraph.saved_model.loader import read_saved_model


class MethodNameUpdater:
    """Updates the method name(s) of the SavedModel stored in the given path.

    Example:
      >>> updater = tf.saved_model.signature_def_utils.MethodNameUpdater(export_dir)
      >>> updater.replace_method_name(signature_key="foo", method_name="regress")
      >>> updater.save(new_export_dir)

    Args:
      export_dir: directory containing the SavedModel files.

    Raises:
      IOError: if the SavedModel file does not exist.
    """

    def __init__(self, export_dir):
        self._export_dir = os.fspath(export_dir)
        self._saved_model = read_saved_model(self._export_dir)

    def replace_method_name(self, signature_key, method_name, tags=None):
        """Replaces the method_name of the signature `signature_key` (in the MetaGraphs with
        exactly `tags`, or in all of them).

        Raises:
          ValueError: if a key or name is empty, no MetaGraph has the tags, or a matching
            MetaGraph has no such signature.
        """
        if not signature_key:
            raise ValueError("`signature_key` must be defined.")
        if not method_name:
            raise ValueError("`method_name` must be defined.")
        if tags is not None and not isinstance(tags, list):
            tags = [tags]
        found = False
        for meta_graph in self._saved_model.meta_graphs:
            if tags is None or set(tags) == set(meta_graph.meta_info_def.tags):
                if signature_key not in meta_graph.signature_def:
                    raise ValueError(
                        f"MetaGraphDef associated with tags {tags} does not have a "
                        f"signature_def with key: '{signature_key}'. This means either you "
                        "specified the wrong signature key or forgot to put the signature_def "
                        "with the corresponding key in your SavedModel."
                    )
                meta_graph.signature_def[signature_key].method_name = method_name
                found = True
        if not found:
            raise ValueError(
                f"MetaGraphDef associated with tags {tags} could not be found in SavedModel. "
                "This means either you specified invalid tags or your SavedModel does not "
                "have a MetaGraphDef with the specified tags."
            )

    def save(self, new_export_dir=None):
        """Writes the updated SavedModel proto (in its original format) to `new_export_dir`
        (default: over the input)."""
        text = os.path.exists(os.path.join(self._export_dir, constants.SAVED_MODEL_FILENAME_PBTXT))
        directory = os.fspath(new_export_dir or self._export_dir)
        os.makedirs(directory, exist_ok=True)
        if text:
            path = os.path.join(directory, constants.SAVED_MODEL_FILENAME_PBTXT)
            with open(path, "w") as f:
                f.write(text_format.MessageToString(self._saved_model))
        else:
            with open(os.path.join(directory, constants.SAVED_MODEL_FILENAME_PB), "wb") as f:
                f.write(self._saved_model.SerializeToString())
