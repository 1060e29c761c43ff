"""Checkpoint I/O kernels (host): `SaveV2` and `RestoreV2` on orbax-checkpoint bundles.

A checkpoint with prefix `P` (e.g. `/tmp/model.ckpt-1000`) is two things on disk, named
like TensorFlow's V2 bundles:

- `P.data-<token>/`: an orbax PyTree checkpoint of `{tensor name: array}`; orbax writes it
  under a temporary name and renames it when complete.
- `P.index`: a small JSON file naming the complete data directory, replaced atomically
  (write to a temporary file, `os.replace`) only after the data directory is complete.

So a process killed at any point of a save leaves either the previous checkpoint at `P`
or the new one, never a torn one; re-saving to the same prefix is safe the same way.
Leftovers of an interrupted save (unreferenced data directories, temporary files) are
removed by the next save to that prefix.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import uuid

import numpy as np

from kernels.errors import InvalidArgumentError, NotFoundError, UnimplementedError
from kernels.registry import HOST, SIDE_EFFECTS, Spec, register

_FORMAT = "flowgraph.orbax.v1"


def index_path(prefix: str) -> str:
    """The file that marks the checkpoint at `prefix` complete (TF's `<prefix>.index`)."""
    return prefix + ".index"


def exists(prefix: str) -> bool:
    """Whether a complete checkpoint is stored at `prefix`."""
    return os.path.isfile(index_path(prefix))


def write(prefix: str, tensors: dict[str, np.ndarray]) -> None:
    """Stores `tensors` as the checkpoint `prefix`, replacing any previous one atomically."""
    parent = os.path.dirname(prefix) or "."
    if not os.path.isdir(parent):
        raise NotFoundError(None, None, f"{parent}; No such file or directory")
    data = f"{prefix}.data-{uuid.uuid4().hex[:12]}"
    _checkpointer().save(os.path.abspath(data), {k: np.asarray(v) for k, v in tensors.items()})
    _atomic_write(
        index_path(prefix), json.dumps({"format": _FORMAT, "data": os.path.basename(data)})
    )
    _remove_leftovers(prefix, keep=data)


def remove(prefix: str) -> None:
    """Deletes the checkpoint at `prefix`: its index first, so it is never seen half-deleted."""
    if os.path.exists(index_path(prefix)):
        os.remove(index_path(prefix))
    _remove_leftovers(prefix, keep=None)


def metadata(prefix: str) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """`{tensor name: (shape, dtype)}` of the checkpoint at `prefix`."""
    tree = _checkpointer().metadata(_data_dir(prefix)).item_metadata.tree
    return {name: (tuple(m.shape), np.dtype(m.dtype)) for name, m in tree.items()}


def read(prefix: str, names: list[str]) -> dict[str, np.ndarray]:
    """The tensors `names` of the checkpoint at `prefix` (NotFoundError naming a missing one)."""
    import orbax.checkpoint as ocp

    data = _data_dir(prefix)
    stored = _checkpointer().metadata(data).item_metadata.tree
    for name in names:
        if name not in stored:
            raise NotFoundError(None, None, f"Key {name} not found in checkpoint")
    wanted = sorted(set(names))
    args = ocp.args.PyTreeRestore(
        item={n: np.zeros(stored[n].shape, stored[n].dtype) for n in wanted},
        restore_args={n: ocp.RestoreArgs(restore_type=np.ndarray) for n in wanted},
        partial_restore=True,
    )
    return _checkpointer().restore(data, args=args)


def _data_dir(prefix: str) -> str:
    try:
        with open(index_path(prefix)) as f:
            index = json.load(f)
    except FileNotFoundError:
        raise NotFoundError(
            None,
            None,
            "Unsuccessful TensorSliceReader constructor: Failed to find any matching files "
            f"for {prefix}",
        ) from None
    except ValueError as e:
        raise InvalidArgumentError(
            None, None, f"{index_path(prefix)} is not a checkpoint index: {e}"
        ) from None
    return os.path.abspath(os.path.join(os.path.dirname(prefix), index["data"]))


def _checkpointer():
    import orbax.checkpoint as ocp  # imported on first use: it takes a second to load

    return ocp.Checkpointer(ocp.PyTreeCheckpointHandler())


def _atomic_write(path: str, text: str) -> None:
    tmp = f"{path}.tmp-{uuid.uuid4().hex[:12]}"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def _remove_leftovers(prefix: str, keep: str | None) -> None:
    """Removes `prefix`'s data directories other than `keep`, and interrupted temporaries."""
    pattern = glob.escape(prefix)
    for path in glob.glob(pattern + ".data-*") + glob.glob(pattern + ".index.tmp-*"):
        if keep is None or os.path.abspath(path) != os.path.abspath(keep):
            _remove_path(path)


def _remove_path(path: str) -> None:
    if os.path.isdir(path):
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.exists(path):
        os.remove(path)


def _text(value) -> str:
    return _texts(value)[0]


def _texts(values) -> list[str]:
    return [v.decode() if isinstance(v, bytes) else str(v) for v in np.asarray(values).reshape(-1)]


def _check_whole(shape_and_slices) -> None:
    slices = [s for s in _texts(shape_and_slices) if s]
    if slices:
        raise UnimplementedError(
            None, None, f"saving or restoring tensor slices is not supported (got {slices[0]!r})"
        )


# -- kernels -------------------------------------------------------------------------------------


@register("SaveV2", kind=HOST, effects=SIDE_EFFECTS, shape=lambda specs, attrs, static_values: [])
def save_v2(prefix, tensor_names, shape_and_slices, *tensors, dtypes=()):
    """Writes `tensors` under `tensor_names` as the checkpoint `prefix`."""
    _check_whole(shape_and_slices)
    names = _texts(tensor_names)
    if len(names) != len(tensors):
        raise InvalidArgumentError(
            None, None, f"Got {len(tensors)} tensors but {len(names)} tensor names"
        )
    for name, t in zip(names, tensors):
        if np.asarray(t).dtype == object:
            raise UnimplementedError(None, None, f"cannot save string tensor {name}")
    write(_text(prefix), dict(zip(names, tensors)))
    return ()


def _restore_shape(specs, attrs, static_values):
    return [Spec(None, np.dtype(d)) for d in attrs["dtypes"]]


@register("RestoreV2", kind=HOST, effects=SIDE_EFFECTS, shape=_restore_shape)
def restore_v2(prefix, tensor_names, shape_and_slices, *, dtypes):
    """Reads the tensors `tensor_names` of the checkpoint `prefix`, checking their dtypes."""
    _check_whole(shape_and_slices)
    names = _texts(tensor_names)
    values = read(_text(prefix), names)
    out = []
    for name, dtype in zip(names, dtypes):
        value = values[name]
        if value.dtype != np.dtype(dtype):
            raise InvalidArgumentError(
                None,
                None,
                f"tensor_name = {name}; expected dtype {np.dtype(dtype).name} does not equal "
                f"original dtype {value.dtype.name}",
            )
        out.append(value)
    return tuple(out)
