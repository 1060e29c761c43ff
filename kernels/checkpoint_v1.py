"""TensorFlow's V1 checkpoint format (`core/util/tensor_slice_reader*`, `tensor_slice_writer*`,
`saved_tensor_slice.proto`) and its ops: `Save`, `SaveSlices`, `Restore`, `RestoreSlice`.

TF 1.x's `Saver(write_version=SaverDef.V1)` and its session-bundle exports wrote a
checkpoint as one file per shard (`P`, or `P-<shard>-of-<n>`), each a table
(`kernels.leveldb_table`, blocks often snappy-compressed) holding

    ""                                  -> SavedTensorSlices{meta: SavedTensorSliceMeta}
    EncodeTensorNameSlice(name, slice)  -> SavedTensorSlices{data: SavedSlice}

The meta lists each tensor's name, full shape, dtype and stored slices; a slice's values
are a `TensorProto`'s typed repeated field (`float_val`, `string_val`, ...). Every tensor is
stored as slices, a whole one as the slice of full extents. `Restore`'s file pattern may be
a glob naming every shard. The writer writes one file (TF's writer writes it under a
temporary name and renames it when complete: so does this one).
"""

from __future__ import annotations

import glob
import os
import uuid

import numpy as np
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from tensorboard.compat.proto import tensor_pb2, tensor_shape_pb2, types_pb2, versions_pb2

from kernels import tensor_bundle
from kernels.errors import DataLossError, InvalidArgumentError, NotFoundError
from kernels.leveldb_table import CorruptionError, TableWriter, read_table
from kernels.registry import HOST, SIDE_EFFECTS, Spec, register

# -- protos (TF's saved_tensor_slice.proto, with TF's field numbers) ------------------------


def _message_classes():
    f = descriptor_pb2.FileDescriptorProto(
        name="flowgraph/saved_tensor_slice.proto",
        package="tensorflow",
        syntax="proto3",
        dependency=[
            "flowgraph/tensor_bundle.proto",
            tensor_pb2.DESCRIPTOR.name,
            tensor_shape_pb2.DESCRIPTOR.name,
            types_pb2.DESCRIPTOR.name,
            versions_pb2.DESCRIPTOR.name,
        ],
    )
    t = descriptor_pb2.FieldDescriptorProto
    opt, rep = t.LABEL_OPTIONAL, t.LABEL_REPEATED

    def field(msg, name, number, ftype, type_name=None, label=opt):
        fd = msg.field.add(name=name, number=number, type=ftype, label=label)
        if type_name:
            fd.type_name = type_name

    slice_meta = f.message_type.add(name="SavedSliceMeta")
    field(slice_meta, "name", 1, t.TYPE_STRING)
    field(slice_meta, "shape", 2, t.TYPE_MESSAGE, ".tensorboard.TensorShapeProto")
    field(slice_meta, "type", 3, t.TYPE_ENUM, ".tensorboard.DataType")
    field(slice_meta, "slice", 4, t.TYPE_MESSAGE, ".tensorflow.TensorSliceProto", rep)
    meta = f.message_type.add(name="SavedTensorSliceMeta")
    field(meta, "tensor", 1, t.TYPE_MESSAGE, ".tensorflow.SavedSliceMeta", rep)
    field(meta, "versions", 2, t.TYPE_MESSAGE, ".tensorboard.VersionDef")
    saved = f.message_type.add(name="SavedSlice")
    field(saved, "name", 1, t.TYPE_STRING)
    field(saved, "slice", 2, t.TYPE_MESSAGE, ".tensorflow.TensorSliceProto")
    field(saved, "data", 3, t.TYPE_MESSAGE, ".tensorboard.TensorProto")
    slices = f.message_type.add(name="SavedTensorSlices")
    field(slices, "meta", 1, t.TYPE_MESSAGE, ".tensorflow.SavedTensorSliceMeta")
    field(slices, "data", 2, t.TYPE_MESSAGE, ".tensorflow.SavedSlice")
    pool = descriptor_pool.Default()
    try:
        fd = pool.FindFileByName(f.name)
    except KeyError:
        pool.Add(f)
        fd = pool.FindFileByName(f.name)
    names = ("SavedSliceMeta", "SavedTensorSliceMeta", "SavedSlice", "SavedTensorSlices")
    return [message_factory.GetMessageClass(fd.message_types_by_name[n]) for n in names]


SavedSliceMeta, SavedTensorSliceMeta, SavedSlice, SavedTensorSlices = _message_classes()

# -- TensorProto typed fields (TF's SaveTypeTraits) --------------------------------------------

_DT = types_pb2.DataType
_FIELD = {
    _DT.Value("DT_FLOAT"): "float_val",
    _DT.Value("DT_DOUBLE"): "double_val",
    _DT.Value("DT_INT32"): "int_val",
    _DT.Value("DT_INT16"): "int_val",
    _DT.Value("DT_INT8"): "int_val",
    _DT.Value("DT_UINT8"): "int_val",
    _DT.Value("DT_INT64"): "int64_val",
    _DT.Value("DT_BOOL"): "bool_val",
    _DT.Value("DT_HALF"): "half_val",
    _DT.Value("DT_BFLOAT16"): "half_val",
    _DT.Value("DT_COMPLEX64"): "scomplex_val",
    _DT.Value("DT_COMPLEX128"): "dcomplex_val",
    _DT.Value("DT_STRING"): "string_val",
}


def _values(proto, dt: int, shape, path: str, name: str) -> np.ndarray:
    """The values of a slice's `TensorProto` as an array of `shape`."""
    if dt not in _FIELD:
        raise InvalidArgumentError(
            None, None, f"{path}: unsupported dtype {_DT.Name(dt)} of {name}"
        )
    dtype = tensor_bundle.numpy_dtype(dt)
    values = getattr(proto, _FIELD[dt])
    if dt == tensor_bundle.DT_STRING:
        out = np.empty(len(values), dtype=object)
        out[:] = list(values)
    elif _FIELD[dt] == "half_val":
        out = np.asarray(values, np.uint16).view(dtype)
    elif _FIELD[dt] in ("scomplex_val", "dcomplex_val"):
        real = np.float32 if _FIELD[dt] == "scomplex_val" else np.float64
        out = np.asarray(values, real).view(dtype)
    else:
        out = np.asarray(values).astype(dtype)
    if out.size != int(np.prod(shape, dtype=np.int64)):
        raise DataLossError(
            None, None, f"{path}: slice of {name} holds {out.size} values, its shape {list(shape)}"
        )
    return out.reshape(shape)


def _fill(proto, array: np.ndarray) -> None:
    dt = tensor_bundle.data_type(array)
    field = _FIELD.get(dt)
    if field is None:
        raise InvalidArgumentError(None, None, f"Cannot save a tensor of dtype {array.dtype}")
    flat = array.reshape(-1)
    if dt == tensor_bundle.DT_STRING:
        proto.string_val.extend(v if isinstance(v, bytes) else str(v).encode() for v in flat)
    elif field == "half_val":
        proto.half_val.extend(flat.view(np.uint16).astype(np.int32).tolist())
    elif field in ("scomplex_val", "dcomplex_val"):
        real = np.float32 if field == "scomplex_val" else np.float64
        getattr(proto, field).extend(flat.view(real).tolist())
    else:
        getattr(proto, field).extend(flat.tolist())


# -- reading -------------------------------------------------------------------------------


def files(pattern: str) -> list[str]:
    """The V1 checkpoint files `pattern` names (itself, or what it matches as a glob)."""
    if os.path.isfile(pattern):
        return [pattern]
    return sorted(p for p in glob.glob(pattern) if os.path.isfile(p))


def is_v1(pattern: str) -> bool:
    """Whether `pattern` names V1 checkpoint files (tables whose first key is the meta)."""
    found = files(pattern)
    if not found or os.path.isfile(tensor_bundle.index_filename(pattern)):
        return False
    try:
        with open(found[0], "rb") as f:
            f.seek(-8, os.SEEK_END)
            return f.read(8) == b"\x57\xfb\x80\x8b\x24\x75\x47\xdb"  # the table's magic
    except OSError:
        return False


class Reader:
    """The tensors of the V1 checkpoint whose files `pattern` names (every shard).

    Raises:
      NotFoundError: no file matches `pattern`.
      DataLossError: a file is truncated or corrupted (the message names it).
    """

    def __init__(self, pattern: str):
        paths = files(pattern)
        if not paths:
            raise NotFoundError(
                None,
                None,
                "Unsuccessful TensorSliceReader constructor: Failed to find any matching "
                f"files for {pattern}",
            )
        self._tensors: dict[str, tuple] = {}  # name -> (meta, [(path, extents)])
        self._tables: dict[str, dict[bytes, bytes]] = {}
        for path in paths:
            self._load(path)

    def _load(self, path: str) -> None:
        try:
            with open(path, "rb") as f:
                table = dict(read_table(f.read()))
            meta = SavedTensorSlices.FromString(table[b""]).meta
        except (CorruptionError, ValueError, KeyError) as e:
            detail = "no meta entry" if isinstance(e, KeyError) else e
            raise DataLossError(None, None, f"{path}: corrupted V1 checkpoint: {detail}") from None
        self._tables[path] = table
        for tensor in meta.tensor:
            known = self._tensors.get(tensor.name)
            if known is None:
                known = self._tensors[tensor.name] = (tensor, [])
            elif known[0].type != tensor.type or known[0].shape != tensor.shape:
                raise DataLossError(None, None, f"{path}: inconsistent shards of {tensor.name}")
            known[1].extend((path, tensor_bundle._slice_extents(s)) for s in tensor.slice)

    def names(self) -> list[str]:
        return sorted(self._tensors)

    def shape_and_dtype(self, name: str) -> tuple[tuple[int, ...], np.dtype]:
        meta = self._meta(name)
        return tuple(d.size for d in meta.shape.dim), tensor_bundle.numpy_dtype(meta.type)

    def _meta(self, name: str):
        if name not in self._tensors:
            raise NotFoundError(None, None, f"Key {name} not found in checkpoint")
        return self._tensors[name][0]

    def read(self, name: str, slices=None) -> np.ndarray:
        """Tensor `name`, or its part `slices` ((start, length) per dim)."""
        meta, stored_slices = self._tensors.get(name) or (self._meta(name), None)
        full = [d.size for d in meta.shape.dim]
        wanted = tensor_bundle.resolve(slices or [(0, -1)] * len(full), full)

        def piece(path, extents):
            stored = tensor_bundle.resolve(extents, full)
            shape = [n for _, n in stored]
            return stored, lambda: self._slice(path, name, meta.type, extents, shape)

        pieces = (piece(path, extents) for path, extents in stored_slices)
        return tensor_bundle.assemble(name, tensor_bundle.numpy_dtype(meta.type), wanted, pieces)

    def _slice(self, path, name, dt, extents, shape) -> np.ndarray:
        raw = self._tables[path].get(tensor_bundle.slice_key(name, extents))
        if raw is None:
            raise DataLossError(None, None, f"{path}: the data of {name} is missing")
        try:
            data = SavedTensorSlices.FromString(raw).data
        except ValueError as e:
            raise DataLossError(None, None, f"{path}: corrupted V1 checkpoint: {e}") from None
        return _values(data.data, dt, shape, path, name)


# -- writing -------------------------------------------------------------------------------


def write(path: str, items) -> None:
    """Writes `items`, (name, None or (full shape, [(start, length)]), array), as the V1
    checkpoint file `path` (under a temporary name, renamed when complete)."""
    meta = SavedTensorSliceMeta(versions=versions_pb2.VersionDef(producer=1))
    metas: dict[str, object] = {}
    entries: dict[bytes, bytes] = {}
    for name, part, value in items:
        value = np.asarray(value)
        full, extents = (list(value.shape), [(0, -1)] * value.ndim) if part is None else part
        dt = tensor_bundle.data_type(value)
        tensor = metas.get(name)
        if tensor is None:
            tensor = metas[name] = meta.tensor.add(
                name=name, shape=tensor_bundle._shape_proto(full), type=dt
            )
        elif tensor.type != dt or [d.size for d in tensor.shape.dim] != list(full):
            raise InvalidArgumentError(None, None, f"Inconsistent slices of {name}")
        tensor.slice.append(tensor_bundle._slice_proto(extents))
        saved = SavedTensorSlices()
        saved.data.name = name
        saved.data.slice.CopyFrom(tensor_bundle._slice_proto(extents))
        _fill(saved.data.data, value)
        entries[tensor_bundle.slice_key(name, extents)] = saved.SerializeToString()
    tmp = f"{path}.tempstate{uuid.uuid4().hex[:16]}"
    try:
        with open(tmp, "wb") as f:
            table = TableWriter(f)
            table.add(b"", SavedTensorSlices(meta=meta).SerializeToString())
            for key in sorted(entries):
                table.add(key, entries[key])
            table.finish()
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


# -- ops -------------------------------------------------------------------------------------


def _texts(values) -> list[str]:
    return [v.decode() if isinstance(v, bytes) else str(v) for v in np.asarray(values).reshape(-1)]


def _text(value) -> str:
    return _texts(value)[0]


def _save(filename, names, specs, tensors) -> None:
    if not len(names) == len(specs) == len(tensors):
        raise InvalidArgumentError(
            None, None, f"Expected {len(names)} tensors to save, got {len(tensors)}"
        )
    path = _text(filename)
    parent = os.path.dirname(path) or "."
    if not os.path.isdir(parent):
        raise NotFoundError(None, None, f"{parent}; No such file or directory")
    parts = [tensor_bundle.parse_shape_and_slice(s) if s else None for s in specs]
    write(path, [(n, p, np.array(t, copy=True)) for n, p, t in zip(names, parts, tensors)])


@register("Save", kind=HOST, effects=SIDE_EFFECTS, shape=lambda specs, attrs, static_values: [])
def save(filename, tensor_names, *data, T=()):
    """Writes `data` under `tensor_names` as the V1 checkpoint file `filename`."""
    names = _texts(tensor_names)
    _save(filename, names, [""] * len(names), data)
    return ()


@register(
    "SaveSlices", kind=HOST, effects=SIDE_EFFECTS, shape=lambda specs, attrs, static_values: []
)
def save_slices(filename, tensor_names, shapes_and_slices, *data, T=()):
    """`Save` of tensors that may be slices of larger ones (`shapes_and_slices`)."""
    _save(filename, _texts(tensor_names), _texts(shapes_and_slices), data)
    return ()


@register(
    "ShardedFilespec",
    kind=HOST,
    shape=lambda specs, attrs, static_values: [Spec((), np.dtype(object))],
)
def sharded_filespec(basename, num_shards):
    """`<basename>-?????-of-<num_shards>`: the pattern naming every shard's file."""
    return np.array(f"{_text(basename)}-?????-of-{int(num_shards):05d}".encode(), dtype=object)


def _restore_shape(specs, attrs, static_values):
    return [Spec(None, np.dtype(attrs["dt"]))]


def _restore(file_pattern, tensor_name, spec, dt) -> np.ndarray:
    name = _text(tensor_name)
    reader = Reader(_text(file_pattern))
    value = reader.read(name, tensor_bundle.parse_shape_and_slice(spec)[1] if spec else None)
    if value.dtype != np.dtype(dt):
        raise InvalidArgumentError(
            None,
            None,
            f"Expected to restore a tensor of type {np.dtype(dt).name}, got a tensor of type "
            f"{value.dtype.name} instead: tensor_name = {name}",
        )
    return value


@register("Restore", kind=HOST, effects=SIDE_EFFECTS, shape=_restore_shape)
def restore(file_pattern, tensor_name, *, dt, preferred_shard=-1):
    """Tensor `tensor_name` of the V1 checkpoint `file_pattern` names."""
    return (_restore(file_pattern, tensor_name, "", dt),)


@register("RestoreSlice", kind=HOST, effects=SIDE_EFFECTS, shape=_restore_shape)
def restore_slice(file_pattern, tensor_name, shape_and_slice, *, dt, preferred_shard=-1):
    """The part `shape_and_slice` of tensor `tensor_name` of a V1 checkpoint."""
    return (_restore(file_pattern, tensor_name, _text(shape_and_slice), dt),)
