"""A model's base path on disk: its version directories, which are complete, which to serve."""

from __future__ import annotations

import os

from google.protobuf import text_format
from google.protobuf.message import DecodeError

from flowgraph.saved_model import constants, loader
from kernels.tensor_bundle import BundleReader


def versions_on_disk(base_path):
    """The integer-named version directories under `base_path` that resolve inside it (a
    symlink pointing elsewhere is skipped), as {version: path}."""
    try:
        names = os.listdir(base_path)
    except OSError:
        return {}
    root = os.path.realpath(base_path)
    found = {}
    for name in names:
        path = os.path.join(base_path, name)
        inside = os.path.commonpath([root, os.path.realpath(path)]) == root
        if name.isdigit() and inside and os.path.isdir(path):
            found[int(name)] = path
    return found


def is_complete(path):
    """Whether the SavedModel in `path` can be loaded now: `saved_model.pb` parses, and the
    variables it restores (index and every data shard) are present and read back whole.

    A directory still being copied fails this check; the next poll tries it again.
    """
    try:
        saved_model = loader.read_saved_model(path)
    except (OSError, DecodeError, text_format.ParseError):
        return False
    needs_variables = any(m.saver_def.restore_op_name for m in saved_model.meta_graphs)
    if not needs_variables:
        return bool(saved_model.meta_graphs)
    prefix = os.path.join(path, constants.VARIABLES_DIRECTORY, constants.VARIABLES_FILENAME)
    try:
        reader = BundleReader(prefix)
        for name in reader.names():
            reader.read(name)
    except Exception:  # noqa: BLE001  (any failure to read means "not yet complete")
        return False
    return True


def aspired_versions(policy, candidates):
    """The versions the `ServableVersionPolicy` asks for among `candidates` (default: the
    latest one)."""
    choice = policy.WhichOneof("policy_choice")
    if choice == "all":
        return set(candidates)
    if choice == "specific":
        return set(policy.specific.versions) & set(candidates)
    count = policy.latest.num_versions if choice == "latest" else 1
    return set(sorted(candidates, reverse=True)[: max(count, 1)])
