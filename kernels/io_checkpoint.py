"""Checkpoint I/O kernels (host): `SaveV2`, `RestoreV2`, `MergeV2Checkpoints`,
`ShardedFilename`.

Checkpoints are written in TensorFlow's tensor-bundle format (`kernels.tensor_bundle`):
`P.index` plus `P.data-<shard>-of-<n>`, readable by TensorFlow. Every file is written
under a temporary name and renamed when complete, the index last, so a process killed at
any point of a save leaves the previous checkpoints intact (re-saving to the *same* prefix
can, as in TF, leave a checkpoint whose data and index disagree: reading it then raises
DataLossError, it never restores wrong values).

A save snapshots its tensors inside the op, then writes them on a writer thread, so
training steps run while the bytes go to disk. The op runs under the session's state lock,
so the snapshot must be quick: a variable's value is a read-only numpy view of its device
buffer (zero-copy on the CPU), and a jax buffer is immutable except by donation, which
jax skips for a buffer that such a view still references (the step that would have
donated it writes a new buffer instead). So the snapshot keeps those views, copying only
what else the op gets (writable or host-owned arrays): copying 100 MB under the lock held
every training step for 50-500 ms. Every reader of a prefix (`RestoreV2`, `read`, `exists`,
`Saver.save` before it records the checkpoint) first waits for the writes pending on it.

Checkpoints written by earlier flowgraph versions (an orbax PyTree directory
`P.data-<token>/` named by a JSON `P.index`, which may record each data file's size and
CRC32C) are still read, damage being a DataLossError naming the file; `write_orbax`
writes one. So are TF 1.x's V1 checkpoints (`kernels.checkpoint_v1`: a prefix, or a glob,
naming table files and no `.index`).
"""

from __future__ import annotations

import concurrent.futures
import glob
import json
import os
import shutil
import threading
import uuid

import google_crc32c
import jax
import numpy as np

from kernels import checkpoint_v1, tensor_bundle
from kernels.errors import DataLossError, InvalidArgumentError, NotFoundError
from kernels.registry import HOST, SIDE_EFFECTS, Spec, register

_ORBAX_FORMAT = "flowgraph.orbax.v1"
_writer = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="checkpoint-writer")
_pending: dict[str, concurrent.futures.Future] = {}
_pending_lock = threading.Lock()


def index_path(prefix: str) -> str:
    """The file that marks the checkpoint at `prefix` complete (TF's `<prefix>.index`)."""
    return prefix + ".index"


def exists(prefix: str) -> bool:
    """Whether a complete checkpoint is stored at `prefix` (after its pending writes)."""
    wait(prefix)
    return os.path.isfile(index_path(prefix))


# -- asynchronous writes -------------------------------------------------------------------


def _submit(prefix: str, fn, *args) -> None:
    with _pending_lock:
        # Writes nobody waited for (a save op run directly) are forgotten once they succeed.
        for key in [k for k, f in _pending.items() if f.done() and f.exception() is None]:
            del _pending[key]
        _pending[os.path.abspath(prefix)] = _writer.submit(fn, *args)


def wait(prefix: str) -> None:
    """Blocks until the writes pending on `prefix` are done; raises the error of a failed one."""
    with _pending_lock:
        future = _pending.pop(os.path.abspath(prefix), None)
    if future is not None:
        future.result()


def wait_all() -> None:
    """Blocks until every pending write is done (another process is about to read them)."""
    with _pending_lock:
        prefixes = list(_pending)
    for prefix in prefixes:
        wait(prefix)


def write(prefix: str, tensors: dict, slices: dict | None = None) -> None:
    """Stores `tensors` as the bundle `prefix` (synchronously).

    Args:
      prefix: the checkpoint prefix.
      tensors: `{name: array}`, written in this order.
      slices: `{name: (full_shape, [(start, length), ...])}` for tensors that are one
        slice of a larger tensor (several slices of one tensor: a list of such pairs,
        matching a list of arrays in `tensors`).
    """
    _check_parent(prefix)
    _write_bundle(prefix, list(_items(tensors, slices or {})))


def _items(tensors: dict, slices: dict):
    for name, value in tensors.items():
        if name not in slices:
            yield name, None, value
            continue
        parts = slices[name] if isinstance(slices[name], list) else [slices[name]]
        values = value if isinstance(slices[name], list) else [value]
        for part, v in zip(parts, values):
            yield name, part, v


def _check_parent(prefix: str) -> None:
    parent = os.path.dirname(prefix) or "."
    if not os.path.isdir(parent):
        raise NotFoundError(None, None, f"{parent}; No such file or directory")


def _make_parent(prefix: str) -> None:
    """Creates `prefix`'s directory if its own parent exists (TF's BundleWriter does: the
    temporary directory of a sharded save)."""
    try:
        os.mkdir(os.path.dirname(prefix) or ".")
    except FileExistsError:
        pass
    except FileNotFoundError:
        _check_parent(prefix)


def _write_bundle(prefix: str, items) -> None:
    writer = tensor_bundle.BundleWriter(prefix)
    try:
        for name, part, value in items:
            if part is None:
                writer.add(name, value)
            else:
                writer.add_slice(name, part[0], part[1], value)
        writer.finish()
    except BaseException:
        writer.abort()
        raise
    _remove_leftovers(prefix, keep={tensor_bundle.data_filename(prefix, 0, 1)})


def remove(prefix: str) -> None:
    """Deletes the checkpoint at `prefix`: its index first, so it is never seen half-deleted."""
    wait(prefix)
    if checkpoint_v1.is_v1(prefix):  # a V1 checkpoint: its file, or every shard's
        for path in checkpoint_v1.files(prefix):
            os.remove(path)
        return
    if os.path.exists(index_path(prefix)):
        os.remove(index_path(prefix))
    _remove_leftovers(prefix, keep=set())


def _remove_leftovers(prefix: str, keep: set) -> None:
    """Removes `prefix`'s data files or directories other than `keep`, and temporaries."""
    pattern = glob.escape(prefix)
    keep = {os.path.abspath(k) for k in keep}
    for path in glob.glob(pattern + ".data-*") + glob.glob(pattern + ".index.tmp-*"):
        if os.path.abspath(path) not in keep:
            _remove_path(path)
    for path in glob.glob(pattern + ".index.tempstate*"):
        _remove_path(path)


def _remove_path(path: str) -> None:
    if os.path.isdir(path):
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.exists(path):
        os.remove(path)


# -- reading -----------------------------------------------------------------------------


def metadata(prefix: str) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """`{tensor name: (shape, dtype)}` of the checkpoint at `prefix` (full shapes of slices)."""
    wait(prefix)
    if _orbax_data_dir(prefix) is not None:
        tree = _stored(_orbax_data_dir(prefix))
        return {name: (tuple(m.shape), np.dtype(m.dtype)) for name, m in tree.items()}
    reader = _reader(prefix)
    return {name: reader.shape_and_dtype(name) for name in reader.names()}


def read(prefix: str, names: list[str], slices=None) -> list[np.ndarray]:
    """The tensors `names` of the checkpoint at `prefix` (NotFoundError naming a missing one),
    in order (a name may repeat with different slices).

    Args:
      prefix: the checkpoint prefix.
      names: tensor names.
      slices: per name, None (the whole tensor) or [(start, length) per dim].
    """
    wait(prefix)
    slices = slices or [None] * len(names)
    if _orbax_data_dir(prefix) is not None:
        whole = _read_orbax(prefix, names)
        return [_cut(whole[n], s) for n, s in zip(names, slices)]
    reader = _reader(prefix)
    return [reader.read(n, s) for n, s in zip(names, slices)]


def _reader(prefix: str):
    """The reader of the bundle `prefix`, or of the V1 checkpoint files it names."""
    if checkpoint_v1.is_v1(prefix):
        return checkpoint_v1.Reader(prefix)
    return tensor_bundle.BundleReader(prefix)


def exists_v1(prefix: str) -> bool:
    """Whether `prefix` names a V1 checkpoint (its files, or a glob matching them)."""
    return checkpoint_v1.is_v1(prefix)


def _cut(value: np.ndarray, part) -> np.ndarray:
    if part is None:
        return value
    part = tensor_bundle.resolve(part, value.shape)
    return value[tuple(slice(s, s + n) for s, n in part)]


def _orbax_data_dir(prefix: str) -> str | None:
    """The data directory of an earlier flowgraph (orbax) checkpoint, or None; its files
    are checked against the sizes and CRC32Cs its index records (DataLossError naming one)."""
    if tensor_bundle.is_bundle(prefix) or not os.path.exists(index_path(prefix)):
        return None
    try:
        with open(index_path(prefix)) as f:
            index = json.load(f)
    except (ValueError, UnicodeDecodeError) as e:
        raise DataLossError(
            None, None, f"{index_path(prefix)} is not a checkpoint index (corrupted?): {e}"
        ) from None
    if not isinstance(index, dict) or not isinstance(index.get("data"), str):
        raise DataLossError(None, None, f"{index_path(prefix)} is not a checkpoint index")
    data = os.path.abspath(os.path.join(os.path.dirname(prefix), index["data"]))
    _verify(data, index.get("files", {}))  # the oldest checkpoints recorded none
    return data


def _verify(data: str, files: dict[str, list[int]]) -> None:
    """Raises DataLossError naming the first missing, truncated or corrupted data file."""
    for rel, (size, crc) in sorted(files.items()):
        path = os.path.join(data, rel)
        try:
            with open(path, "rb") as f:
                content = f.read()
        except OSError as e:
            raise DataLossError(
                None, None, f"{path}: checkpoint data file is missing: {e}"
            ) from None
        if len(content) != size:
            raise DataLossError(
                None,
                None,
                f"{path}: checkpoint data file has {len(content)} bytes, expected {size} "
                "(truncated or overwritten)",
            )
        if google_crc32c.value(content) != crc:
            raise DataLossError(
                None,
                None,
                f"{path}: Checksum does not match: stored {crc} vs. calculated on the restored "
                f"bytes {google_crc32c.value(content)}",
            )


def _checksums(data: str) -> dict[str, list[int]]:
    """`{path relative to data: [size, crc32c]}` of every file under `data`."""
    out = {}
    for root, _, files in os.walk(data):
        for name in files:
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                out[os.path.relpath(path, data)] = [
                    os.path.getsize(path),
                    google_crc32c.value(f.read()),
                ]
    return out


def _stored(data: str) -> dict:
    """The orbax data directory's `{tensor name: metadata}` (DataLossError if unreadable)."""
    try:
        tree = _checkpointer().metadata(data).item_metadata.tree
    except (OSError, ValueError, AttributeError) as e:
        raise DataLossError(None, None, f"{data}: checkpoint data is unreadable: {e}") from None
    if tree is None:
        raise DataLossError(None, None, f"{data}: checkpoint data has no readable metadata")
    return tree


def _read_orbax(prefix: str, names: list[str]) -> dict[str, np.ndarray]:
    import orbax.checkpoint as ocp

    data = _orbax_data_dir(prefix)
    stored = _stored(data)
    for name in names:
        if name not in stored:
            raise NotFoundError(None, None, f"Key {name} not found in checkpoint")
    wanted = sorted(set(names))
    args = ocp.args.PyTreeRestore(
        item={n: np.zeros(stored[n].shape, stored[n].dtype) for n in wanted},
        restore_args={n: ocp.RestoreArgs(restore_type=np.ndarray) for n in wanted},
        partial_restore=True,
    )
    try:
        return _checkpointer().restore(data, args=args)
    except (OSError, ValueError) as e:
        raise DataLossError(None, None, f"{data}: checkpoint data is unreadable: {e}") from None


def write_orbax(prefix: str, tensors: dict[str, np.ndarray]) -> None:
    """Stores `tensors` as an orbax checkpoint `prefix`, the format of earlier flowgraph
    versions (kept for comparison: `benchmarks/checkpoint.py`)."""
    _check_parent(prefix)
    data = f"{prefix}.data-{uuid.uuid4().hex[:12]}"
    _checkpointer().save(os.path.abspath(data), {k: np.asarray(v) for k, v in tensors.items()})
    index = {"format": _ORBAX_FORMAT, "data": os.path.basename(data), "files": _checksums(data)}
    tmp = f"{index_path(prefix)}.tmp-{uuid.uuid4().hex[:12]}"
    with open(tmp, "w") as f:
        f.write(json.dumps(index))
    os.replace(tmp, index_path(prefix))
    _remove_leftovers(prefix, keep={data})


def _checkpointer():
    import orbax.checkpoint as ocp  # imported on first use: it takes a second to load

    return ocp.Checkpointer(ocp.PyTreeCheckpointHandler())


# -- kernels -------------------------------------------------------------------------------------


def _text(value) -> str:
    return _texts(value)[0]


def _texts(values) -> list[str]:
    return [v.decode() if isinstance(v, bytes) else str(v) for v in np.asarray(values).reshape(-1)]


def _parse_slices(shape_and_slices) -> list:
    """Per tensor: None (whole) or (full shape, [(start, length) per dim])."""
    return [tensor_bundle.parse_shape_and_slice(s) if s else None for s in _texts(shape_and_slices)]


@register("SaveV2", kind=HOST, effects=SIDE_EFFECTS, shape=lambda specs, attrs, static_values: [])
def save_v2(prefix, tensor_names, shape_and_slices, *tensors, dtypes=()):
    """Writes `tensors` under `tensor_names` (slices per `shape_and_slices`) as `prefix`."""
    names, parts = _texts(tensor_names), _parse_slices(shape_and_slices)
    if not len(names) == len(parts) == len(tensors):
        raise InvalidArgumentError(
            None, None, f"Got {len(tensors)} tensors but {len(names)} tensor names"
        )
    prefix = _text(prefix)
    _make_parent(prefix)
    wait(prefix)  # two saves to one prefix: in order
    # The snapshot: the values must not change once this op returns.
    items = [(n, p, _snapshot(t)) for n, p, t in zip(names, parts, tensors)]
    for *_, value in items:
        tensor_bundle.data_type(value)  # an unsavable dtype fails the op, not the writer
    _submit(prefix, _write_bundle, prefix, items)
    return ()


def _snapshot(value) -> np.ndarray:
    """`value` as it is now, for a later write: a read-only view of a jax buffer as is (the
    view pins the buffer: jax does not donate it while the view lives), anything else
    copied."""
    base = getattr(value, "base", None)
    if (
        isinstance(value, np.ndarray)
        and not value.flags.writeable
        and isinstance(base, memoryview)
        and base.readonly
        and isinstance(base.obj, jax.Array)
    ):
        return value
    return np.array(value, copy=True)


def _restore_shape(specs, attrs, static_values):
    return [Spec(None, np.dtype(d)) for d in attrs["dtypes"]]


@register("RestoreV2", kind=HOST, effects=SIDE_EFFECTS, shape=_restore_shape)
def restore_v2(prefix, tensor_names, shape_and_slices, *, dtypes):
    """Reads the tensors `tensor_names` (or their slices) of `prefix`, checking their dtypes."""
    names, parts = _texts(tensor_names), _parse_slices(shape_and_slices)
    values = read(_text(prefix), names, [p and p[1] for p in parts])
    for name, dtype, value in zip(names, dtypes, values):
        if value.dtype != np.dtype(dtype):
            raise InvalidArgumentError(
                None,
                None,
                f"tensor_name = {name}; expected dtype {np.dtype(dtype).name} does not equal "
                f"original dtype {value.dtype.name}",
            )
    return tuple(values)


@register(
    "MergeV2Checkpoints",
    kind=HOST,
    effects=SIDE_EFFECTS,
    shape=lambda specs, attrs, static_values: [],
)
def merge_v2_checkpoints(
    checkpoint_prefixes, destination_prefix, *, delete_old_dirs=True, allow_missing_files=False
):
    """Merges the bundles `checkpoint_prefixes` (one per shard) into `destination_prefix`."""
    sources, destination = _texts(checkpoint_prefixes), _text(destination_prefix)
    _check_parent(destination)
    futures = [_pending.get(os.path.abspath(s)) for s in sources]
    for source, future in zip(sources, futures):
        if future is None and not os.path.isfile(index_path(source)):
            raise NotFoundError(None, None, f"{index_path(source)}; No such file or directory")
    _submit(destination, _merge, sources, destination, bool(delete_old_dirs))
    return ()


def _merge(sources: list[str], destination: str, delete_old_dirs: bool) -> None:
    for source in sources:  # the writer runs in order: the shards are done, errors surface
        wait(source)
    tensor_bundle.merge(sources, destination, delete_old_dirs)
    num_shards = len(sources)
    keep = {tensor_bundle.data_filename(destination, i, num_shards) for i in range(num_shards)}
    _remove_leftovers(destination, keep)


def _sharded_shape(specs, attrs, static_values):
    return [Spec((), np.dtype(object))]


@register("ShardedFilename", kind=HOST, shape=_sharded_shape)
def sharded_filename(basename, shard, num_shards):
    """`<basename>-<shard>-of-<num_shards>`, five digits each."""
    return np.array(
        f"{_text(basename)}-{int(shard):05d}-of-{int(num_shards):05d}".encode(), dtype=object
    )
