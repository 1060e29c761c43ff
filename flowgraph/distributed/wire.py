"""Tensors on the wire without protobuf copies: a message's repeated `NamedTensorProto`
field written from, and read into, numpy buffers (TF's wire format all the same).

Building a 1 MiB `TensorProto` copies the bytes three times before gRPC sees them (to
bytes, into the message, serialised), and parsing copies them three more times: each
copy into fresh memory. Here a tensor's bytes are copied once each way.
"""

from __future__ import annotations

import numpy as np
from tensorboard.compat.proto import types_pb2

from flowgraph.distributed import protocol_pb2 as pb
from flowgraph.framework import dtypes
from flowgraph.framework.graph_def import make_ndarray, make_tensor_proto

_LEN = 2  # the wire type of bytes, strings and messages


class Tensors:
    """A message plus named arrays that travel as its repeated NamedTensorProto field."""

    __slots__ = ("message", "tensors")

    def __init__(self, message, tensors: dict):
        self.message = message
        self.tensors = tensors


class Codec:
    """Serialises and parses `Tensors` of `message_class` whose field `number` holds the
    named tensors (gRPC's request/response (de)serializer); `single`: the field is one
    TensorProto (RecvTensorResponse.tensor), the one tensor of `Tensors` named ""."""

    def __init__(self, message_class, number: int, single: bool = False):
        self.message_class = message_class
        self.number = number
        self.single = single

    def SerializeToString(self, value: Tensors) -> bytes:  # noqa: N802 (protobuf's name)
        parts = [value.message.SerializeToString()]
        for name, array in value.tensors.items():
            array = np.asarray(array)
            field = _tensor(array) if self.single else _named_tensor(name, array)
            parts += [_key(self.number), _varint(sum(len(p) for p in field)), *field]
        return b"".join(parts)

    def FromString(self, data: bytes) -> Tensors:  # noqa: N802
        rest, tensors = [], {}
        view = memoryview(data)
        for number, start, end, body in _fields(view):
            if number != self.number:
                rest.append(view[start:end])
            elif self.single:
                tensors[""] = _parse_tensor(view[body:end])
            else:
                name, array = _parse_named(view[body:end])
                tensors[name] = array
        return Tensors(self.message_class.FromString(b"".join(rest)), tensors)


def _named_tensor(name: str, array: np.ndarray) -> list:
    """The parts of a NamedTensorProto: name, then the TensorProto of `_tensor`."""
    tensor = _tensor(array)
    return [_key(1) + _string(name.encode()), _key(2), _varint(sum(len(p) for p in tensor))] + (
        tensor
    )


def _tensor(array: np.ndarray) -> list:
    """The parts of a TensorProto whose content is the array's own buffer (strings and
    odd layouts go through the TensorProto message)."""
    if array.dtype.kind in "OSUV" or array.dtype.byteorder == ">" or not array.flags.c_contiguous:
        return [make_tensor_proto(array).SerializeToString()]
    shape = b"".join(_key(2) + _string(b"\x08" + _varint(d)) for d in array.shape)
    content = memoryview(array.reshape(-1).view(np.uint8))
    header = (
        b"\x08" + _varint(dtypes.as_dtype(array.dtype).as_datatype_enum)
        + _key(2) + _string(shape)
        + _key(4) + _varint(content.nbytes)
    )  # fmt: skip
    return [header, content]


def _parse_named(view: memoryview) -> tuple[str, np.ndarray]:
    name, tensor = "", None
    for number, _, end, body in _fields(view):
        if number == 1:
            name = bytes(view[body:end]).decode()
        elif number == 2:
            tensor = view[body:end]
    return name, _parse_tensor(tensor if tensor is not None else memoryview(b""))


def _parse_tensor(view: memoryview) -> np.ndarray:
    """A TensorProto's array: a view of the received bytes when it holds `tensor_content`."""
    dtype, dims, content, other = 0, [], None, False
    for number, _, end, body in _fields(view):
        if number == 1:
            dtype = _read_varint(view, body)[0]
        elif number == 2:
            shape = view[body:end]
            dims = [_dim(shape[b:e]) for n, _, e, b in _fields(shape) if n == 2]
        elif number == 4:
            content = view[body:end]
        else:
            other = True
    if content is None or other or dtype == types_pb2.DT_STRING:
        return make_ndarray(pb.NamedTensorProto.FromString(b"\x12" + _string(bytes(view))).tensor)
    np_dtype = dtypes.as_dtype(dtype).numpy_dtype.newbyteorder("<")
    return np.frombuffer(content, np_dtype).reshape(dims)


def _dim(view: memoryview) -> int:
    for number, _, _, body in _fields(view):
        if number == 1:
            return _read_varint(view, body)[0]
    return 0


def _fields(view: memoryview):
    """(field number, start, end, body start) of each field; body is the payload of a
    length-delimited field (the value's position for the others)."""
    pos, n = 0, len(view)
    while pos < n:
        start = pos
        key, pos = _read_varint(view, pos)
        number, kind = key >> 3, key & 7
        if kind == _LEN:
            length, body = _read_varint(view, pos)
            pos = body + length
        elif kind == 0:
            body = pos
            pos = _read_varint(view, pos)[1]
        else:  # fixed 64 / 32 bits
            body = pos
            pos += 8 if kind == 1 else 4
        yield number, start, pos, body


def _read_varint(view: memoryview, pos: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        byte = view[pos]
        value |= (byte & 0x7F) << shift
        pos += 1
        if byte < 0x80:
            return value, pos
        shift += 7


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        bits = value & 0x7F
        value >>= 7
        if value:
            out.append(bits | 0x80)
        else:
            out.append(bits)
            return bytes(out)


def _key(number: int) -> bytes:
    return _varint(number << 3 | _LEN)


def _string(data: bytes) -> bytes:
    return _varint(len(data)) + data
