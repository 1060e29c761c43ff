"""TensorFlow's tensor bundle (checkpoint format V2, `core/util/tensor_bundle/`).

A bundle with prefix `P` is `P.index`, a table (`kernels.leveldb_table`) holding a
`BundleHeaderProto` under the empty key and a `BundleEntryProto` per tensor, and the data
files `P.data-<shard>-of-<num_shards>` holding the tensors' bytes back to back, each
located by its entry's (shard_id, offset, size) and checked by its masked CRC32C.

Numeric tensors are stored as their little-endian bytes. A string tensor is stored as the
varint64 length of each element, a masked CRC32C of those lengths (each taken as 4 bytes),
then the elements' bytes. A tensor saved in slices (a partitioned variable) has an entry
with its full shape and the list of slices, and one entry per slice under the key
`EncodeTensorNameSlice(name, slice)` (TF's OrderedCode).

`BundleWriter` writes what TF's `SaveV2` writes, byte for byte, for the same tensors in the
same order. Files are written under temporary names and renamed when complete, the index
last, so a reader never sees an index naming data that is not fully written.
"""

from __future__ import annotations

import os
import struct
import uuid

import google_crc32c
import ml_dtypes
import numpy as np
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from tensorboard.compat.proto import tensor_shape_pb2, types_pb2, versions_pb2

from kernels.errors import DataLossError, InvalidArgumentError, NotFoundError
from kernels.leveldb_table import (
    CorruptionError,
    TableWriter,
    get_varint,
    mask,
    masked_crc32c,
    put_varint,
    read_table,
)

# -- protos (TF's tensor_bundle.proto and tensor_slice.proto, with TF's field numbers) -----


def _message_classes():
    f = descriptor_pb2.FileDescriptorProto(
        name="flowgraph/tensor_bundle.proto",
        package="tensorflow",
        syntax="proto3",
        dependency=[
            tensor_shape_pb2.DESCRIPTOR.name,
            types_pb2.DESCRIPTOR.name,
            versions_pb2.DESCRIPTOR.name,
        ],
    )
    t = descriptor_pb2.FieldDescriptorProto
    opt, rep = t.LABEL_OPTIONAL, t.LABEL_REPEATED

    def field(msg, name, number, ftype, type_name=None, label=opt, oneof=None):
        fd = msg.field.add(name=name, number=number, type=ftype, label=label)
        if type_name:
            fd.type_name = type_name
        if oneof is not None:
            fd.oneof_index = oneof

    sl = f.message_type.add(name="TensorSliceProto")
    extent = sl.nested_type.add(name="Extent")
    extent.oneof_decl.add(name="has_length")
    field(extent, "start", 1, t.TYPE_INT64)
    field(extent, "length", 2, t.TYPE_INT64, oneof=0)
    field(sl, "extent", 1, t.TYPE_MESSAGE, ".tensorflow.TensorSliceProto.Extent", rep)
    header = f.message_type.add(name="BundleHeaderProto")
    endian = header.enum_type.add(name="Endianness")
    endian.value.add(name="LITTLE", number=0)
    endian.value.add(name="BIG", number=1)
    field(header, "num_shards", 1, t.TYPE_INT32)
    field(header, "endianness", 2, t.TYPE_ENUM, ".tensorflow.BundleHeaderProto.Endianness")
    field(header, "version", 3, t.TYPE_MESSAGE, ".tensorboard.VersionDef")
    entry = f.message_type.add(name="BundleEntryProto")
    field(entry, "dtype", 1, t.TYPE_ENUM, ".tensorboard.DataType")
    field(entry, "shape", 2, t.TYPE_MESSAGE, ".tensorboard.TensorShapeProto")
    field(entry, "shard_id", 3, t.TYPE_INT32)
    field(entry, "offset", 4, t.TYPE_INT64)
    field(entry, "size", 5, t.TYPE_INT64)
    field(entry, "crc32c", 6, t.TYPE_FIXED32)
    field(entry, "slices", 7, t.TYPE_MESSAGE, ".tensorflow.TensorSliceProto", rep)
    pool = descriptor_pool.Default()
    try:
        fd = pool.FindFileByName(f.name)
    except KeyError:  # first import (a reloaded module finds it registered)
        pool.Add(f)
        fd = pool.FindFileByName(f.name)
    names = ("TensorSliceProto", "BundleHeaderProto", "BundleEntryProto")
    return [message_factory.GetMessageClass(fd.message_types_by_name[n]) for n in names]


TensorSliceProto, BundleHeaderProto, BundleEntryProto = _message_classes()

# -- dtypes -------------------------------------------------------------------------------

_DT = types_pb2.DataType
_NUMPY_OF = {
    _DT.Value("DT_FLOAT"): np.float32,
    _DT.Value("DT_DOUBLE"): np.float64,
    _DT.Value("DT_HALF"): np.float16,
    _DT.Value("DT_BFLOAT16"): ml_dtypes.bfloat16,
    _DT.Value("DT_INT8"): np.int8,
    _DT.Value("DT_INT16"): np.int16,
    _DT.Value("DT_INT32"): np.int32,
    _DT.Value("DT_INT64"): np.int64,
    _DT.Value("DT_UINT8"): np.uint8,
    _DT.Value("DT_UINT16"): np.uint16,
    _DT.Value("DT_UINT32"): np.uint32,
    _DT.Value("DT_UINT64"): np.uint64,
    _DT.Value("DT_BOOL"): np.bool_,
    _DT.Value("DT_COMPLEX64"): np.complex64,
    _DT.Value("DT_COMPLEX128"): np.complex128,
    _DT.Value("DT_STRING"): object,
}
_DT_OF = {np.dtype(v): k for k, v in _NUMPY_OF.items()}
DT_STRING = _DT.Value("DT_STRING")


def numpy_dtype(dt: int) -> np.dtype:
    """The numpy dtype of TF's `DataType` enum value `dt` (object for strings)."""
    if dt not in _NUMPY_OF:
        raise InvalidArgumentError(None, None, f"Unsupported dtype in checkpoint: {_DT.Name(dt)}")
    return np.dtype(_NUMPY_OF[dt])


def data_type(array: np.ndarray) -> int:
    """TF's `DataType` enum value for `array`'s dtype (strings: object or bytes arrays)."""
    if array.dtype == object or array.dtype.kind in "SU":
        return DT_STRING
    if array.dtype not in _DT_OF:
        raise InvalidArgumentError(None, None, f"Cannot save a tensor of dtype {array.dtype}")
    return _DT_OF[array.dtype]


# -- slices --------------------------------------------------------------------------------


def parse_shape_and_slice(spec: str) -> tuple[list[int], list[tuple[int, int]]]:
    """TF's `shape_and_slice` string, e.g. "7 2 0,3:-": (full shape, [(start, length)]).

    A full extent ("-") is (0, -1), as TF encodes it in keys and protos.
    """
    parts = spec.split()
    try:
        shape = [int(d) for d in parts[:-1]]
        extents = parts[-1].split(":")
        slices = [(0, -1) if e == "-" else tuple(int(x) for x in e.split(",")) for e in extents]
    except (ValueError, IndexError):
        slices = None
    if slices is None or len(extents) != len(shape) or any(len(e) != 2 for e in slices):
        raise InvalidArgumentError(None, None, f"Invalid shape and slice spec: {spec!r}")
    return shape, slices


def assemble(name: str, dtype: np.dtype, wanted, pieces) -> np.ndarray:
    """The part `wanted` ((start, length) per dim) of tensor `name`, from the stored slices
    it overlaps: `pieces` yields `(extents, read)`, a stored slice's resolved extents and a
    function reading its array (called only where it overlaps). A part no slice covers is a
    `NotFoundError`, as TF's reader says."""
    out = np.zeros([n for _, n in wanted], dtype=dtype)
    if out.dtype == object:
        out[...] = b""
    covered = np.zeros(out.shape, dtype=bool)
    for stored, read in pieces:
        lo = [max(s, w) for (s, _), (w, _) in zip(stored, wanted)]
        hi = [min(s + n, w + m) for (s, n), (w, m) in zip(stored, wanted)]
        if any(a >= b for a, b in zip(lo, hi)) and out.size:
            continue
        part = read()
        src = tuple(slice(a - s, b - s) for a, b, (s, _) in zip(lo, hi, stored))
        dst = tuple(slice(a - w, b - w) for a, b, (w, _) in zip(lo, hi, wanted))
        out[dst] = part[src]
        covered[dst] = True
    if not covered.all():
        raise NotFoundError(None, None, f"The slice {wanted} of {name} is not in the checkpoint")
    return out


def resolve(slices, full_shape) -> list[tuple[int, int]]:
    """`slices` with full extents (length -1) made explicit: (0, dim)."""
    return [(0, dim) if n == -1 else (s, n) for (s, n), dim in zip(slices, full_shape)]


def _slice_proto(slices):
    proto = TensorSliceProto()
    for start, length in slices:
        extent = proto.extent.add()
        if length != -1:
            extent.start, extent.length = start, length
    return proto


def _slice_extents(proto) -> list[tuple[int, int]]:
    return [(e.start, e.length) if e.HasField("length") else (0, -1) for e in proto.extent]


def _ordered_signed(value: int) -> bytes:
    """OrderedCode::WriteSignedNumIncreasing: sorts like the signed integer."""
    x = ~value if value < 0 else value
    length = next(n for n in range(1, 11) if n == 10 or x < 1 << (7 * n - 1))
    header = ((1 << length) - 1) << (7 * length)
    raw = (value & ((1 << (8 * length)) - 1)) ^ header
    return raw.to_bytes(length, "big")


def _ordered_unsigned(value: int) -> bytes:
    """OrderedCode::WriteNumIncreasing: the byte count, then big-endian bytes."""
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return bytes([len(raw)]) + raw


def slice_key(name: str, slices) -> bytes:
    """checkpoint::EncodeTensorNameSlice: the table key of one slice of `name`."""
    escaped = name.encode().replace(b"\xff", b"\xff\x00").replace(b"\x00", b"\x00\xff")
    key = _ordered_unsigned(0) + escaped + b"\x00\x01" + _ordered_unsigned(len(slices))
    for start, length in slices:
        key += _ordered_signed(start) + _ordered_signed(length)
    return key


# -- tensor bytes ----------------------------------------------------------------------------


def _string_bytes(array: np.ndarray) -> tuple[bytes, int]:
    items = [v if isinstance(v, bytes) else str(v).encode() for v in array.reshape(-1)]
    lengths = b"".join(put_varint(len(v)) for v in items)
    # Lengths enter the checksum as 4 bytes (8 past 4 GiB), as TF's older readers expect.
    sizes = b"".join(struct.pack("<I" if len(v) < 1 << 32 else "<Q", len(v)) for v in items)
    crc = google_crc32c.value(sizes)
    length_crc = struct.pack("<I", mask(crc))
    body = b"".join(items)
    crc = google_crc32c.extend(google_crc32c.extend(crc, length_crc), body)
    return lengths + length_crc + body, mask(crc)


def _tensor_bytes(array: np.ndarray, dt: int) -> tuple[bytes, int]:
    if dt == DT_STRING:
        return _string_bytes(array)
    data = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<")).tobytes()
    return data, masked_crc32c(data)


def _strings_from(data: bytes, count: int, path: str) -> np.ndarray:
    lengths, pos = [], 0
    for _ in range(count):
        n, pos = get_varint(data, pos)
        lengths.append(n)
    pos += 4  # the checksum of the lengths is covered by the entry's checksum too
    out = np.empty(count, dtype=object)
    for i, n in enumerate(lengths):
        out[i] = bytes(data[pos : pos + n])
        pos += n
    if pos != len(data):
        raise DataLossError(None, None, f"{path}: string tensor has the wrong size")
    return out


# -- writing ----------------------------------------------------------------------------------


def data_filename(prefix: str, shard: int, num_shards: int) -> str:
    """`<prefix>.data-<shard>-of-<num_shards>`, five digits each."""
    return f"{prefix}.data-{shard:05d}-of-{num_shards:05d}"


def index_filename(prefix: str) -> str:
    """`<prefix>.index`."""
    return prefix + ".index"


def _header(num_shards: int):
    return BundleHeaderProto(num_shards=num_shards, version=versions_pb2.VersionDef(producer=1))


def _shape_proto(shape):
    return tensor_shape_pb2.TensorShapeProto(
        dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=int(d)) for d in shape]
    )


class BundleWriter:
    """Writes tensors (and tensor slices) as the single-shard bundle `prefix`."""

    def __init__(self, prefix: str):
        self._prefix = prefix
        self._tmp = f".tempstate{uuid.uuid4().hex[:16]}"
        self._data_path = data_filename(prefix, 0, 1)
        self._data = open(self._data_path + self._tmp, "wb")
        self._offset = 0
        self._entries: dict[str, object] = {}

    def add(self, name: str, array) -> None:
        """Appends the whole tensor `array` under `name`."""
        if name.encode() in self._entries:
            raise InvalidArgumentError(None, None, f"Adding duplicate key: {name}")
        self._entries[name.encode()] = self._write(np.asarray(array))

    def add_slice(self, name: str, full_shape, slices, array) -> None:
        """Appends `array`, the part `slices` ((start, length) per dim) of tensor `name`."""
        array = np.asarray(array)
        full = self._entries.setdefault(
            name.encode(), BundleEntryProto(dtype=data_type(array), shape=_shape_proto(full_shape))
        )
        if full.dtype != data_type(array) or list(full_shape) != [d.size for d in full.shape.dim]:
            raise InvalidArgumentError(None, None, f"Inconsistent slices of {name}")
        full.slices.append(_slice_proto(slices))
        self._entries[slice_key(name, slices)] = self._write(array)

    def _write(self, array: np.ndarray):
        dt = data_type(array)
        data, crc = _tensor_bytes(array, dt)
        self._data.write(data)
        entry = BundleEntryProto(dtype=dt, shape=_shape_proto(array.shape), offset=self._offset)
        entry.size, entry.crc32c = len(data), crc
        self._offset += len(data)
        return entry

    def finish(self) -> None:
        """Completes the bundle: the data file, then the index (atomically renamed)."""
        self._data.close()
        os.replace(self._data_path + self._tmp, self._data_path)
        entries = {k: v.SerializeToString() for k, v in self._entries.items()}
        write_index(self._prefix, 1, entries, self._tmp)

    def abort(self) -> None:
        """Removes what was written (after an error)."""
        self._data.close()
        _remove(self._data_path + self._tmp)


def write_index(prefix: str, num_shards: int, entries: dict[bytes, bytes], tmp: str) -> None:
    """Writes `prefix.index` for `entries` (key: serialized entry) via a temporary file."""
    path = index_filename(prefix)
    with open(path + tmp, "wb") as f:
        table = TableWriter(f)
        table.add(b"", _header(num_shards).SerializeToString())
        for key in sorted(entries):
            table.add(key, entries[key])
        table.finish()
    os.replace(path + tmp, path)


def merge(sources: list[str], prefix: str, delete_old_dirs: bool = True) -> None:
    """TF's MergeV2Checkpoints: one bundle `prefix` from single-writer bundles `sources`.

    Their data files become `prefix.data-<i>-of-<n>` (renamed, not copied), then the merged
    index is written; source directories left empty are removed with `delete_old_dirs`.
    """
    headers_entries = [_read_index(src) for src in sources]
    num_shards = sum(h.num_shards for h, _ in headers_entries)
    merged: dict[bytes, object] = {}
    first = 0
    for src, (header, entries) in zip(sources, headers_entries):
        for key, entry in entries.items():
            if entry.slices and key in merged:
                merged[key].slices.extend(entry.slices)
                continue
            if key in merged:
                raise InvalidArgumentError(None, None, f"Duplicate tensor key {key!r} in {src}")
            entry.shard_id += first if not entry.slices else 0
            merged[key] = entry
        for shard in range(header.num_shards):
            os.replace(
                data_filename(src, shard, header.num_shards),
                data_filename(prefix, first + shard, num_shards),
            )
        first += header.num_shards
    tmp = f".tempstate{uuid.uuid4().hex[:16]}"
    write_index(prefix, num_shards, {k: v.SerializeToString() for k, v in merged.items()}, tmp)
    for src in sources:
        _remove(index_filename(src))
        if delete_old_dirs:
            try:
                os.rmdir(os.path.dirname(src))
            except OSError:
                pass


# -- reading ----------------------------------------------------------------------------------


def _read_index(prefix: str):
    path = index_filename(prefix)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise NotFoundError(
            None,
            None,
            "Unsuccessful TensorSliceReader constructor: Failed to find any matching files "
            f"for {prefix}",
        ) from None
    try:
        table = read_table(data)
        if not table or table[0][0] != b"":
            raise CorruptionError("no bundle header")
        header = BundleHeaderProto.FromString(table[0][1])
        entries = {k: BundleEntryProto.FromString(v) for k, v in table[1:]}
    except (CorruptionError, ValueError) as e:  # protobuf's DecodeError is a ValueError
        raise DataLossError(None, None, f"{path}: corrupted checkpoint index: {e}") from None
    if header.endianness != BundleHeaderProto.LITTLE:
        raise InvalidArgumentError(None, None, f"{path}: big-endian bundles are not supported")
    return header, entries


class BundleReader:
    """Reads the tensors of the bundle `prefix` (every shard).

    Raises:
      NotFoundError: `prefix.index` does not exist.
      DataLossError: the index is truncated or corrupted (the message names the file).
    """

    def __init__(self, prefix: str):
        self._prefix = prefix
        self._header, self._entries = _read_index(prefix)

    def names(self) -> list[str]:
        """The tensors' names (whole tensors; slices are read through their tensor)."""
        return sorted(k.decode() for k in self._entries if not k.startswith(b"\x00"))

    def shape_and_dtype(self, name: str) -> tuple[tuple[int, ...], np.dtype]:
        """`(shape, numpy dtype)` of tensor `name` (its full shape if saved in slices)."""
        entry = self._entry(name)
        return tuple(d.size for d in entry.shape.dim), numpy_dtype(entry.dtype)

    def _entry(self, name: str):
        if name.encode() not in self._entries:
            raise NotFoundError(None, None, f"Key {name} not found in checkpoint")
        return self._entries[name.encode()]

    def read(self, name: str, slices=None) -> np.ndarray:
        """Tensor `name`, or its part `slices` ((start, length) per dim), as a numpy array."""
        entry = self._entry(name)
        full_shape = [d.size for d in entry.shape.dim]
        if not entry.slices and slices is None:
            return self._read_entry(entry)
        wanted = resolve(slices or [(0, -1)] * len(full_shape), full_shape)
        if not entry.slices:
            return self._read_entry(entry)[tuple(slice(s, s + n) for s, n in wanted)]
        return self._assemble(name, entry, full_shape, wanted)

    def _assemble(self, name, entry, full_shape, wanted) -> np.ndarray:
        def piece(extents):
            key = slice_key(name, extents)
            return resolve(extents, full_shape), lambda: self._read_entry(self._entries[key])

        pieces = (piece(_slice_extents(proto)) for proto in entry.slices)
        return assemble(name, numpy_dtype(entry.dtype), wanted, pieces)

    def _read_entry(self, entry) -> np.ndarray:
        """The tensor `entry` locates (read-only unless it holds strings)."""
        path = data_filename(self._prefix, entry.shard_id, self._header.num_shards)
        try:
            with open(path, "rb") as f:
                f.seek(entry.offset)
                data = f.read(entry.size)  # bytes: google_crc32c takes only read-only buffers
        except FileNotFoundError:
            raise NotFoundError(None, None, f"{path}; No such file or directory") from None
        if len(data) != entry.size:
            raise DataLossError(None, None, f"{path}: truncated (tensor at offset {entry.offset})")
        actual = masked_crc32c(data) if entry.dtype != DT_STRING else None
        shape = [d.size for d in entry.shape.dim]
        if entry.dtype == DT_STRING:
            actual = _string_bytes(value := _strings_from(data, int(np.prod(shape)), path))[1]
        else:
            value = np.frombuffer(data, dtype=numpy_dtype(entry.dtype).newbyteorder("<"))
        if actual != entry.crc32c:
            raise DataLossError(
                None,
                None,
                f"{path}: Checksum does not match: stored {entry.crc32c} vs. calculated on the "
                f"restored bytes {actual}",
            )
        return value.reshape(shape).astype(numpy_dtype(entry.dtype), copy=False)


def is_bundle(prefix: str) -> bool:
    """Whether `prefix.index` is a tensor-bundle table (not an older flowgraph JSON index)."""
    try:
        with open(index_filename(prefix), "rb") as f:
            return f.read(1) != b"{"
    except OSError:
        return False


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass
