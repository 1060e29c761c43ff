"""SavedModel assets: files a MetaGraph reads (vocabularies), kept in `assets/` and fed
to the init op at load with their path inside the SavedModel, as TensorFlow does.

An asset is named by a scalar string `Const` (the `ASSET_FILEPATHS` collection holds those
of lookup-table initializers). The builder copies each file into `assets/` and records an
`AssetFileDef` (file name, tensor name) both in the MetaGraph's `asset_file_def` and, as
TF1's builder did, packed in its `saved_model_assets` collection; the loader reads either.
"""

from __future__ import annotations

import filecmp
import os
import shutil

from tensorboard.compat.proto import meta_graph_pb2

from flowgraph.framework import dtypes
from flowgraph.framework.ops import Tensor, constant_value, init_scope
from flowgraph.ops.constant_op import convert_to_tensor
from flowgraph.saved_model import constants

_ASSET_TYPE_URL = "type.googleapis.com/tensorflow.AssetFileDef"  # TF's name for the proto


class Asset:
    """A file a SavedModel keeps: `asset_path` is the string constant that names it.

    Pass `asset_path` where the graph reads the file and in the builder's
    `assets_collection`; the SavedModel gets a copy, and the loader feeds its path.

    Example:
      >>> vocab = tf.saved_model.Asset("/data/vocab.txt")
      >>> init = tf.lookup.TextFileInitializer(vocab.asset_path, tf.string, 0, tf.int64, -1)
      >>> builder.add_meta_graph_and_variables(sess, ["serve"],
      ...                                      assets_collection=[vocab.asset_path])

    Args:
      path: the file's path (a string or `os.PathLike`).
    """

    def __init__(self, path):
        path = os.fspath(path) if isinstance(path, os.PathLike) else path
        with init_scope():  # a constant of the outermost graph, not of a function body
            self._path = convert_to_tensor(path, dtype=dtypes.string, name="asset_path")

    @property
    def asset_path(self) -> Tensor:
        """The path of the file, a scalar string tensor."""
        return self._path


def save_assets(meta_graph, assets_collection, export_dir: str) -> None:
    """Copies the files of `assets_collection` (asset path tensors) into `export_dir`'s
    `assets/` and records them in `meta_graph`."""
    sources: dict[str, str] = {}  # file name in assets/ -> the file it copies
    for tensor in assets_collection or ():
        source = _asset_path(tensor)
        name = _asset_filename(source, sources)
        sources.setdefault(name, source)
        asset = meta_graph_pb2.AssetFileDef(filename=name)
        asset.tensor_info.name = tensor.name
        meta_graph.asset_file_def.add().CopyFrom(asset)
        packed = meta_graph.collection_def[constants.ASSETS_KEY].any_list.value.add()
        packed.type_url, packed.value = _ASSET_TYPE_URL, asset.SerializeToString()
    if not sources:
        return
    directory = os.path.join(export_dir, constants.ASSETS_DIRECTORY)
    os.makedirs(directory, exist_ok=True)
    for name, source in sources.items():
        destination = os.path.join(directory, name)
        if not os.path.exists(destination):
            shutil.copyfile(source, destination)


def asset_tensors(meta_graph, export_dir: str, import_scope=None) -> dict[str, str]:
    """Each asset tensor's name → the path of its file in `export_dir/assets/`."""
    protos = list(meta_graph.asset_file_def)
    if not protos and constants.ASSETS_KEY in meta_graph.collection_def:
        for packed in meta_graph.collection_def[constants.ASSETS_KEY].any_list.value:
            protos.append(meta_graph_pb2.AssetFileDef.FromString(packed.value))
    directory = os.path.join(export_dir, constants.ASSETS_DIRECTORY)
    out = {}
    for asset in protos:
        name = asset.tensor_info.name
        out[f"{import_scope}/{name}" if import_scope else name] = os.path.join(
            directory, asset.filename
        )
    return out


def _asset_path(tensor) -> str:
    if not isinstance(tensor, Tensor):
        raise TypeError("Asset path tensor must be a Tensor.")
    if tensor.op.type != "Const":
        raise TypeError("Asset path tensor must be of type constant.")
    if tensor.dtype.base_dtype != dtypes.string:
        raise TypeError("Asset path tensor must be of dtype string.")
    value = constant_value(tensor)
    if getattr(value, "ndim", 0) != 0:
        raise TypeError("Asset path tensor must be a scalar.")
    value = value.item() if hasattr(value, "item") else value
    return value.decode() if isinstance(value, bytes) else str(value)


def _asset_filename(source: str, sources: dict) -> str:
    """The file's base name, suffixed `_1`, `_2`… when another file of that name differs."""
    name = os.path.basename(source)
    if name not in sources or sources[name] == source or filecmp.cmp(source, sources[name]):
        return name
    i, unique = 1, name
    while unique in sources:
        unique, i = f"{name}_{i}", i + 1
    return unique
