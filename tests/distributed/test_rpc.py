"""TF's gRPC services over grpcio: method paths, tf.errors across the wire, big messages."""

import grpc
import numpy as np
import pytest

import flowgraph as tf
from flowgraph.distributed import protocol_pb2 as pb, rpc
from flowgraph.distributed.launch import free_ports
from flowgraph.distributed.wire import Tensors
from flowgraph.distributed.worker import from_named, to_named


class _Echo:
    """A WorkerService whose RunGraph sends back what it was sent; GetStatus fails."""

    def RunGraph(self, request):  # noqa: N802
        return Tensors(pb.RunGraphResponse(), request.tensors)

    def GetStatus(self, request):  # noqa: N802
        raise tf.errors.FailedPreconditionError(None, None, "not ready: /job:ps/task:0")


@pytest.fixture
def server():
    server, port = rpc.serve("127.0.0.1:0", {"tensorflow.WorkerService": _Echo()})
    yield f"127.0.0.1:{port}"
    server.stop(0)


def test_method_paths_are_tfs(server):
    channel = grpc.insecure_channel(server, options=rpc.CHANNEL_OPTIONS)
    call = channel.unary_unary(
        "/tensorflow.WorkerService/RunGraph",
        request_serializer=pb.RunGraphRequest.SerializeToString,
        response_deserializer=pb.RunGraphResponse.FromString,
    )
    request = pb.RunGraphRequest(send=[to_named("k", np.float32(3.0))])
    assert from_named(call(request, timeout=10).recv[0]) == ("k", 3.0)
    channel.close()


def test_errors_cross_as_their_tf_class(server):
    stub = rpc.Stub(server, "/job:ps/replica:0/task:0")
    with pytest.raises(tf.errors.FailedPreconditionError, match="not ready: /job:ps/task:0"):
        stub.call("GetStatus", pb.GetStatusRequest(), 10)
    stub.close()


def test_unreachable_task_is_unavailable_naming_it():
    stub = rpc.Stub(f"127.0.0.1:{free_ports(1)[0]}", "/job:ps/replica:0/task:1")
    with pytest.raises(
        (tf.errors.UnavailableError, tf.errors.DeadlineExceededError), match="ps/replica:0/task:1"
    ):
        stub.call("GetStatus", pb.GetStatusRequest(), 5)
    stub.close()


def test_messages_over_grpcs_4_mib_default(server):
    stub = rpc.Stub(server, "/job:ps/replica:0/task:0")
    value = np.arange(3 * 2**20, dtype=np.float32)  # 12 MiB each way
    response = stub.call("RunGraph", Tensors(pb.RunGraphRequest(), {"big": value}), 60)
    np.testing.assert_array_equal(response.tensors["big"], value)
    stub.close()
