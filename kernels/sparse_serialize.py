"""SparseTensors as strings: SerializeSparse, SerializeManySparse (one [3] row of
serialized TensorProtos per minibatch entry) and DeserializeManySparse."""

from __future__ import annotations

import numpy as np
from tensorboard.compat.proto import tensor_pb2

from kernels.errors import InvalidArgumentError
from kernels.parsing import _DATA_TYPES, parse_tensor, serialize_tensor
from kernels.registry import HOST, Spec, register

_STRING, _INT64 = np.dtype(object), np.dtype(np.int64)


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _serialize_strings(array: np.ndarray) -> bytes:
    # TF's tensor_content for strings: every length as a varint, then every string's bytes.
    flat = [bytes(v) for v in array.reshape(-1)]
    proto = tensor_pb2.TensorProto(dtype=_DATA_TYPES[_STRING])
    proto.tensor_shape.SetInParent()
    for d in array.shape:
        proto.tensor_shape.dim.add().size = d
    proto.tensor_content = b"".join(_varint(len(v)) for v in flat) + b"".join(flat)
    return proto.SerializeToString()


def _serialized(indices, values, shape) -> list:
    values = np.asarray(values)
    first = [serialize_tensor(np.asarray(indices))[()]]
    middle = _serialize_strings(values) if values.dtype == _STRING else serialize_tensor(values)[()]
    return first + [middle, serialize_tensor(np.asarray(shape))[()]]


def _parse_strings(serialized: bytes) -> np.ndarray:
    proto = tensor_pb2.TensorProto()
    proto.ParseFromString(serialized)
    if not proto.tensor_content:
        return parse_tensor(np.array(serialized, dtype=object), out_type=_STRING).reshape(-1)
    count = int(np.prod([d.size for d in proto.tensor_shape.dim]))
    data, position, lengths = proto.tensor_content, 0, []
    for _ in range(count):
        length, shift = 0, 0
        while True:
            byte = data[position]
            position += 1
            length |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        lengths.append(length)
    out = np.empty(count, dtype=object)
    for i, length in enumerate(lengths):
        out[i], position = data[position : position + length], position + length
    return out


def _values(serialized, dtype) -> np.ndarray:
    if np.dtype(dtype) == _STRING:
        return _parse_strings(serialized)
    return parse_tensor(np.array(serialized, dtype=object), out_type=dtype)


@register(
    "SerializeSparse", kind=HOST, shape=lambda specs, attrs, static_values: [Spec((3,), _STRING)]
)
def serialize_sparse(sparse_indices, sparse_values, sparse_shape, *, T=None, out_type=_STRING):
    return np.array(_serialized(sparse_indices, sparse_values, sparse_shape), dtype=object)


@register(
    "SerializeManySparse",
    kind=HOST,
    shape=lambda specs, attrs, static_values: [Spec((None, 3), _STRING)],
)
def serialize_many_sparse(sparse_indices, sparse_values, sparse_shape, *, T=None, out_type=_STRING):
    indices, values = np.asarray(sparse_indices, np.int64), np.asarray(sparse_values)
    shape = np.asarray(sparse_shape, np.int64)
    if shape.size < 2:
        raise InvalidArgumentError(
            None, None, f"Rank of input SparseTensor should be > 1, but saw rank: {shape.size}"
        )
    out = np.empty((int(shape[0]), 3), dtype=object)
    for row in range(int(shape[0])):
        mine = indices[:, 0] == row
        out[row] = _serialized(indices[mine][:, 1:], values[mine], shape[1:])
    return out


def _deserialized_shape(specs, attrs, static_values):
    return [
        Spec((None, None), _INT64),
        Spec((None,), np.dtype(attrs["dtype"])),
        Spec((None,), _INT64),
    ]


@register("DeserializeManySparse", kind=HOST, shape=_deserialized_shape)
def deserialize_many_sparse(serialized_sparse, *, dtype):
    rows = np.asarray(serialized_sparse, dtype=object)
    if rows.ndim != 2 or rows.shape[1] != 3:
        raise InvalidArgumentError(
            None,
            None,
            f"Serialized sparse should be a matrix of shape [N, 3], got {list(rows.shape)}",
        )
    parts = [
        (
            parse_tensor(np.array(r[0], dtype=object), out_type=_INT64),
            _values(r[1], dtype),
            parse_tensor(np.array(r[2], dtype=object), out_type=_INT64),
        )
        for r in rows
    ]
    ranks = {len(shape) for _, _, shape in parts}
    if len(ranks) > 1:
        raise InvalidArgumentError(None, None, f"Inconsistent rank across SparseTensors: {ranks}")
    rank = ranks.pop() if ranks else 0
    shape = np.max([p[2] for p in parts], axis=0) if parts else np.zeros(rank, np.int64)
    indices = [
        np.concatenate([np.full((len(i), 1), n), i.reshape(-1, rank)], 1)
        for n, (i, _, _) in enumerate(parts)
    ]
    return (
        np.concatenate(indices).astype(np.int64) if indices else np.zeros((0, rank + 1), np.int64),
        np.concatenate([v for _, v, _ in parts]).astype(dtype) if parts else np.zeros(0, dtype),
        np.concatenate([[len(parts)], shape]).astype(np.int64),
    )
