"""Checkpoint bookkeeping: the `checkpoint` state file, finding, timing and removing checkpoints."""

from __future__ import annotations

import glob
import os
import re
import uuid

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, text_format
from tensorboard.compat.proto import saver_pb2

from flowgraph.logging import warning as _warning
from kernels import io_checkpoint


def _checkpoint_state_class():
    # tensorflow/core/protobuf/checkpoint_state.proto, built here: tensorboard does not ship it.
    proto = descriptor_pb2.FileDescriptorProto(
        name="flowgraph/checkpoint_state.proto", package="tensorflow", syntax="proto3"
    )
    message = proto.message_type.add(name="CheckpointState")
    for number, (name, kind, label) in enumerate(
        [
            ("model_checkpoint_path", "TYPE_STRING", "LABEL_OPTIONAL"),
            ("all_model_checkpoint_paths", "TYPE_STRING", "LABEL_REPEATED"),
            ("all_model_checkpoint_timestamps", "TYPE_DOUBLE", "LABEL_REPEATED"),
            ("last_preserved_timestamp", "TYPE_DOUBLE", "LABEL_OPTIONAL"),
        ],
        start=1,
    ):
        message.field.add(
            name=name,
            number=number,
            type=descriptor_pb2.FieldDescriptorProto.Type.Value(kind),
            label=descriptor_pb2.FieldDescriptorProto.Label.Value(label),
        )
    pool = descriptor_pool.DescriptorPool()
    pool.Add(proto)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("tensorflow.CheckpointState"))


CheckpointState = _checkpoint_state_class()


def _state_filename(save_dir: str, latest_filename: str | None) -> str:
    return os.path.join(save_dir, latest_filename or "checkpoint")


def generate_checkpoint_state_proto(
    save_dir,
    model_checkpoint_path,
    all_model_checkpoint_paths=None,
    all_model_checkpoint_timestamps=None,
    last_preserved_timestamp=None,
):
    """Generates a checkpoint state proto.

    Args:
      save_dir: Directory where the model was saved.
      model_checkpoint_path: The checkpoint file.
      all_model_checkpoint_paths: List of strings. Paths to all not-yet-deleted
        checkpoints, sorted from oldest to newest. If this is a non-empty list, the last
        element must be equal to model_checkpoint_path.
      all_model_checkpoint_timestamps: A list of floats, the timestamps of the checkpoints.
      last_preserved_timestamp: A float, the time of the newest checkpoint kept for
        `keep_checkpoint_every_n_hours`.

    Returns:
      CheckpointState proto with model_checkpoint_path and all_model_checkpoint_paths
      updated to either absolute paths or relative paths to the current save_dir.

    Raises:
      ValueError: If `all_model_checkpoint_timestamps` was provided but its length does
        not match `all_model_checkpoint_paths`.
    """
    paths = list(all_model_checkpoint_paths or [])
    if not paths or paths[-1] != model_checkpoint_path:
        paths.append(model_checkpoint_path)
    if all_model_checkpoint_timestamps and len(all_model_checkpoint_timestamps) != len(paths):
        raise ValueError(
            f"Checkpoint timestamps, if provided, must match checkpoint paths (got "
            f"paths {paths} and timestamps {all_model_checkpoint_timestamps})"
        )
    if not os.path.isabs(save_dir):  # relative paths are written relative to save_dir
        model_checkpoint_path = _relative_to(model_checkpoint_path, save_dir)
        paths = [_relative_to(p, save_dir) for p in paths]
    return CheckpointState(
        model_checkpoint_path=model_checkpoint_path,
        all_model_checkpoint_paths=paths,
        all_model_checkpoint_timestamps=all_model_checkpoint_timestamps or [],
        last_preserved_timestamp=last_preserved_timestamp or 0.0,
    )


def _relative_to(path: str, save_dir: str) -> str:
    return path if os.path.isabs(path) else os.path.relpath(path, save_dir)


def update_checkpoint_state(
    save_dir,
    model_checkpoint_path,
    all_model_checkpoint_paths=None,
    latest_filename=None,
    all_model_checkpoint_timestamps=None,
    last_preserved_timestamp=None,
    save_relative_paths=False,
):
    """Updates the content of the 'checkpoint' file.

    This updates the checkpoint file containing a CheckpointState proto. The file is
    replaced atomically, so a reader (or a crash) never sees it half written.

    Args:
      save_dir: Directory where the model was saved.
      model_checkpoint_path: The checkpoint file.
      all_model_checkpoint_paths: List of strings. Paths to all not-yet-deleted
        checkpoints, sorted from oldest to newest.
      latest_filename: Optional name of the checkpoint file. Default to 'checkpoint'.
      all_model_checkpoint_timestamps: Optional list of timestamps (floats, seconds since
        the Epoch) indicating when the checkpoints in `all_model_checkpoint_paths` were
        created.
      last_preserved_timestamp: A float, the time of the newest checkpoint kept.
      save_relative_paths: If `True`, write paths relative to `save_dir`.

    Raises:
      RuntimeError: If any of the model checkpoint paths conflict with the file
        containing CheckpointState.
    """
    paths = list(all_model_checkpoint_paths or [])
    if save_relative_paths:
        model_checkpoint_path = _relative_from_abs(model_checkpoint_path, save_dir)
        paths = [_relative_from_abs(p, save_dir) for p in paths]
    state = generate_checkpoint_state_proto(
        save_dir,
        model_checkpoint_path,
        all_model_checkpoint_paths=paths,
        all_model_checkpoint_timestamps=all_model_checkpoint_timestamps,
        last_preserved_timestamp=last_preserved_timestamp,
    )
    filename = _state_filename(save_dir, latest_filename)
    if filename == state.model_checkpoint_path:
        raise RuntimeError(
            f"Save path '{model_checkpoint_path}' conflicts with path used for checkpoint "
            "state.  Please use a different save path."
        )
    _atomic_write(filename, text_format.MessageToString(state))


def _relative_from_abs(path: str, save_dir: str) -> str:
    return os.path.relpath(path, save_dir) if os.path.isabs(path) else path


def _atomic_write(path: str, text: str) -> None:
    tmp = f"{path}.tmp{uuid.uuid4().hex}"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def get_checkpoint_state(checkpoint_dir, latest_filename=None):
    """Returns CheckpointState proto from the "checkpoint" file.

    If the "checkpoint" file contains a valid CheckpointState proto, returns it; relative
    paths in it are made relative to `checkpoint_dir`.

    Args:
      checkpoint_dir: The directory of checkpoints.
      latest_filename: Optional name of the checkpoint file. Default to 'checkpoint'.

    Returns:
      A CheckpointState if the state was available, None otherwise.

    Raises:
      ValueError: if the checkpoint read doesn't have model_checkpoint_path set.
    """
    filename = _state_filename(checkpoint_dir, latest_filename)
    try:
        with open(filename) as f:
            text = f.read()
    except FileNotFoundError:
        return None
    state = CheckpointState()
    try:
        text_format.Merge(text, state)
    except text_format.ParseError as e:
        _warning("%s: %s", type(e).__name__, e)
        _warning("%s: Checkpoint ignored", filename)
        return None
    if not state.model_checkpoint_path:
        raise ValueError("Invalid checkpoint state loaded from " + str(checkpoint_dir))
    if not os.path.isabs(state.model_checkpoint_path):
        state.model_checkpoint_path = os.path.join(checkpoint_dir, state.model_checkpoint_path)
    for i, p in enumerate(state.all_model_checkpoint_paths):
        if not os.path.isabs(p):
            state.all_model_checkpoint_paths[i] = os.path.join(checkpoint_dir, p)
    return state


def latest_checkpoint(checkpoint_dir, latest_filename=None):
    """Finds the filename of latest saved checkpoint file.

    Example:
      >>> saver.save(sess, "/tmp/run/model.ckpt", global_step=1000)
      >>> tf.train.latest_checkpoint("/tmp/run")
      '/tmp/run/model.ckpt-1000'

    Args:
      checkpoint_dir: Directory where the variables were saved.
      latest_filename: Optional name for the protocol buffer file that contains the list
        of most recent checkpoint filenames. See the corresponding argument to
        `Saver.save()`.

    Returns:
      The full path to the latest checkpoint or `None` if no checkpoint was found.
    """
    state = get_checkpoint_state(checkpoint_dir, latest_filename)
    if state and state.model_checkpoint_path:
        if checkpoint_exists(state.model_checkpoint_path):
            return state.model_checkpoint_path
        _warning("Couldn't match files for checkpoint %s", state.model_checkpoint_path)
    return None


def checkpoint_exists(checkpoint_prefix) -> bool:
    """Checks whether a V2 checkpoint exists with the given prefix (as from `Saver.save()`).

    Args:
      checkpoint_prefix: the prefix of a checkpoint, e.g. "/tmp/run/model.ckpt-1000"; a
        glob pattern matches if any checkpoint matches.

    Returns:
      A bool, true if a complete checkpoint (its data and index) exists, or a V1
      checkpoint's files (TF 1.x) match the prefix.
    """
    prefix = str(checkpoint_prefix)
    return bool(glob.glob(io_checkpoint.index_path(prefix))) or io_checkpoint.exists_v1(prefix)


def get_checkpoint_mtimes(checkpoint_prefixes) -> list[float]:
    """Returns the mtimes (modification timestamps) of the checkpoints.

    Checkpoints that do not exist are skipped, so the result may be shorter than the
    input.
    """
    mtimes = []
    for prefix in checkpoint_prefixes:
        for path in glob.glob(io_checkpoint.index_path(str(prefix))):
            mtimes.append(os.stat(path).st_mtime)
    return mtimes


def remove_checkpoint(
    checkpoint_prefix, checkpoint_format_version=saver_pb2.SaverDef.V2, meta_graph_suffix="meta"
) -> None:
    """Removes a checkpoint given by `checkpoint_prefix`: its index, data and meta graph."""
    io_checkpoint.remove(str(checkpoint_prefix))
    meta = meta_graph_filename(checkpoint_prefix, meta_graph_suffix)
    if os.path.exists(meta):
        os.remove(meta)


def meta_graph_filename(checkpoint_filename, meta_graph_suffix="meta") -> str:
    """Returns the meta graph filename: `model.ckpt-1000` -> `model.ckpt-1000.meta`."""
    basename = re.sub(r"-[\d\?]+-of-\d+$", "", str(checkpoint_filename))
    return ".".join([basename, meta_graph_suffix])
