"""The worker service: a registered partition's `_Recv`s are fed and its `_Send`s fetched,
on a resource manager that outlives graphs."""

import grpc
import numpy as np
import pytest
from tensorboard.compat.proto import graph_pb2

import flowgraph as tf
from flowgraph.distributed import protocol_pb2 as pb, rpc
from flowgraph.distributed.keys import rendezvous_key
from flowgraph.distributed.wire import Tensors
from flowgraph.distributed.worker import Worker, from_named, to_named
from tests.distributed import test_stages as stages_test

DEVICE = "/job:ps/replica:0/task:0/device:CPU:0"
CLIENT = "/job:localhost/replica:0/task:0/device:CPU:0"


def _partition(key_in: str, key_out: str) -> graph_pb2.GraphDef:
    """v += received; send v * 2 (a _Recv -> AssignAdd -> Mul -> _Send partition)."""
    with tf.Graph().as_default() as g:
        with tf.device(DEVICE):
            v = tf.Variable(1.0, name="v")
            x = tf.placeholder(tf.float32, [], name="x")
            tf.multiply(tf.assign_add(v, x), 2.0, name="out")
    graph_def = graph_pb2.GraphDef()
    for node in g.as_graph_def().node:
        if node.name in ("v/Assign", "v/initial_value"):
            continue  # the initializer: a partition of its own
        if node.name == "x":
            node.op = "_Recv"
            node.attr["tensor_type"].type = node.attr["dtype"].type
            _key_attrs(node, key_in)
        graph_def.node.add().CopyFrom(node)
    send = graph_def.node.add(name="out/_send", op="_Send", device=DEVICE, input=["out"])
    _key_attrs(send, key_out)
    return graph_def


def _key_attrs(node, key):
    send_device, incarnation, recv_device, tensor, _ = key.split(";")
    node.attr["send_device"].s = send_device.encode()
    node.attr["send_device_incarnation"].i = int(incarnation, 16)
    node.attr["recv_device"].s = recv_device.encode()
    node.attr["tensor_name"].s = tensor.encode()


def test_register_and_run_graph_on_the_resource_manager():
    worker = Worker(DEVICE)
    key_in = rendezvous_key(CLIENT, 0, DEVICE, "x:0")
    key_out = rendezvous_key(DEVICE, 5, CLIENT, "out:0")
    graph_def = _partition(key_in, key_out)
    with tf.Graph().as_default() as g:
        with tf.device(DEVICE):
            tf.Variable(1.0, name="v")
    init = g.as_graph_def()  # v and its initializer
    with tf.Graph().as_default():
        handle = worker.RegisterGraph(pb.RegisterGraphRequest(graph_def=init)).graph_handle
    worker.run_graph(handle, 1, {}, [])  # the partition's sinks run: v = 1
    handle = worker.RegisterGraph(
        pb.RegisterGraphRequest(session_handle="s", graph_def=graph_def)
    ).graph_handle
    request = pb.RunGraphRequest(
        graph_handle=handle, send=[to_named(key_in, np.float32(2.0))], recv_key=[key_out]
    )
    method_request, method_response = rpc.WORKER_METHODS["RunGraph"]
    for expected in (6.0, 10.0):  # v: 3 then 5, kept between steps
        # As gRPC calls it: TF's bytes in, TF's bytes out.
        response = worker.RunGraph(method_request.FromString(request.SerializeToString()))
        (named,) = pb.RunGraphResponse.FromString(method_response.SerializeToString(response)).recv
        assert from_named(named) == (key_out, expected)
    with pytest.raises(tf.errors.InvalidArgumentError, match="no value was sent for"):
        worker.run_graph(handle, 3, {}, [key_out])  # the client's feed is missing
    worker.DeleteWorkerSession(pb.DeleteWorkerSessionRequest(session_handle="s"))
    with pytest.raises(tf.errors.AbortedError, match="Graph handle is not found"):
        worker.run_graph(handle, 2, {key_in: np.float32(2.0)}, [key_out])
    assert float(worker.store.variables["v"]) == 5.0  # the state outlives the graphs
    worker.close()


def test_get_status_names_the_task():
    worker = Worker(DEVICE)
    (device,) = worker.GetStatus(pb.GetStatusRequest()).device_attributes
    assert device.name == DEVICE and device.device_type == "CPU"
    assert device.incarnation == worker.incarnation != 0


@pytest.fixture
def served():
    """A ps task's WorkerService on a free 127.0.0.1 port, and a client of it."""
    worker = Worker(stages_test.PS)
    server, port = rpc.serve("127.0.0.1:0", {"tensorflow.WorkerService": worker})
    stub = rpc.Stub(f"127.0.0.1:{port}", "/job:ps/replica:0/task:0")
    yield worker, stub, port
    stub.close()
    server.stop(0)
    worker.close()


def test_recv_tensor_sends_tfs_response_as_raw_bytes(served):
    worker, stub, port = served
    big = np.arange(5 * 2**20 // 4, dtype=np.float32)  # over gRPC's 4 MiB default
    worker.rendezvous.send(11, "k", big)
    with grpc.insecure_channel(f"127.0.0.1:{port}", options=rpc.CHANNEL_OPTIONS) as channel:
        call = channel.unary_unary(
            "/tensorflow.WorkerService/RecvTensor",
            request_serializer=pb.RecvTensorRequest.SerializeToString,
            response_deserializer=pb.RecvTensorResponse.FromString,
        )  # TF's own messages: what a TF worker would send and read
        response = call(pb.RecvTensorRequest(step_id=11, rendezvous_key="k"), timeout=30)
    assert response.tensor.tensor_content == big.tobytes()  # raw bytes, not float_val
    assert [d.size for d in response.tensor.tensor_shape.dim] == [big.size]
    worker.rendezvous.send(12, "k", big[:3])
    request = pb.RecvTensorRequest(step_id=12, rendezvous_key="k")
    np.testing.assert_array_equal(stub.call("RecvTensor", request, 30).tensors[""], big[:3])
    with pytest.raises(tf.errors.DeadlineExceededError):
        stub.call("RecvTensor", request, 0.3)  # taken; a call's deadline bounds the wait


def test_stages_run_in_one_run_graph_pulling_between_them(served):
    """The ps sends v down in stage 0; the (fake) worker pulls it over gRPC with
    RecvTensor and answers g = v + 1, which stage 1 receives: v = 1 + 2, out = 2 + 3."""
    worker, stub, _ = served
    with tf.Graph().as_default() as g:
        with tf.device(stages_test.PS):
            tf.Variable(1.0, name="v")
    init = worker.RegisterGraph(pb.RegisterGraphRequest(graph_def=g.as_graph_def()))
    worker.run_graph(init.graph_handle, 1, {}, [])
    graph_def = stages_test.partition()
    out_key = rendezvous_key(stages_test.PS, 1, CLIENT, "out:0")
    send = graph_def.node.add(name="out/_send", op="_Send", device=DEVICE, input=["out"])
    _key_attrs(send, out_key)
    handle = worker.RegisterGraph(pb.RegisterGraphRequest(graph_def=graph_def)).graph_handle

    class Peer:  # the worker task: pulls v from the ps, sends back v + 1
        def call(self, method, request, timeout):
            assert (method, request.rendezvous_key) == ("RecvTensor", stages_test.UP)
            down = pb.RecvTensorRequest(step_id=request.step_id, rendezvous_key=stages_test.DOWN)
            value = stub.call("RecvTensor", down, 30).tensors[""]
            return Tensors(pb.RecvTensorResponse(), {"": value + 1})

    worker.peer = lambda task: Peer()
    response = worker.RunGraph(
        Tensors(pb.RunGraphRequest(graph_handle=handle, step_id=2, recv_key=[out_key]), {})
    )
    assert response.tensors == {out_key: 5.0}
    assert float(worker.store.variables["v"]) == 3.0


def test_a_failed_partition_aborts_its_step_for_those_pulling_from_it(served):
    worker, stub, _ = served
    handle = worker.RegisterGraph(
        pb.RegisterGraphRequest(graph_def=stages_test.partition())
    ).graph_handle
    with pytest.raises(tf.errors.FailedPreconditionError):  # v was never initialized
        worker.run_graph(handle, 3, {}, [], timeout=30)
    request = pb.RecvTensorRequest(step_id=3, rendezvous_key=stages_test.DOWN)
    with pytest.raises(tf.errors.FailedPreconditionError):  # at once, not after 30 s
        stub.call("RecvTensor", request, 30)
