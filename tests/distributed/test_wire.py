"""Tensors on the wire: the fast codec writes and reads TF's own NamedTensorProto bytes."""

import numpy as np
import pytest

from flowgraph.distributed import protocol_pb2 as pb
from flowgraph.distributed.wire import Codec, Tensors
from flowgraph.distributed.worker import from_named, to_named

VALUES = {
    "f32": np.arange(12, dtype=np.float32).reshape(3, 4),
    "strings": np.array([b"x", b"yz"], dtype=object),
    "bytes_dtype": np.array([b"ab", b"c"]),
    "i64_scalar": np.int64(-5),
    "empty": np.zeros((0, 3), np.float64),
    "bool": np.array(True),
    "transposed": np.arange(6, dtype=np.int32).reshape(2, 3).T,
    "half": np.array([1.5, -2.0], np.float16),
    "complex": np.array([1 + 2j], np.complex64),
}
CODEC = Codec(pb.RunGraphRequest, 3)


def _check(tensors):
    assert set(tensors) == set(VALUES)
    for key, value in tensors.items():
        expected = np.asarray(VALUES[key])
        if expected.dtype.kind == "S":
            expected = expected.astype(object)
        assert value.shape == expected.shape and value.dtype == expected.dtype, key
        np.testing.assert_array_equal(value, expected)


def test_written_bytes_are_tfs_message():
    request = pb.RunGraphRequest(graph_handle="h", step_id=7, recv_key=["r1", "r2"])
    parsed = pb.RunGraphRequest.FromString(CODEC.SerializeToString(Tensors(request, VALUES)))
    assert (parsed.graph_handle, parsed.step_id, list(parsed.recv_key)) == ("h", 7, ["r1", "r2"])
    _check(dict(from_named(n) for n in parsed.send))


@pytest.mark.parametrize("fast", [True, False])
def test_reads_tfs_message(fast):
    request = pb.RunGraphRequest(graph_handle="h", recv_key=["r"])
    if fast:
        data = CODEC.SerializeToString(Tensors(request, VALUES))
    else:  # as protobuf (and TF) write it
        request.send.extend(to_named(k, v) for k, v in VALUES.items())
        data = request.SerializeToString()
    back = CODEC.FromString(data)
    assert back.message.graph_handle == "h" and list(back.message.recv_key) == ["r"]
    assert not back.message.send  # the tensors come apart, as arrays
    _check(back.tensors)
