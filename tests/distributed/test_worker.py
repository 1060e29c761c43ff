"""The worker service: a registered partition's `_Recv`s are fed and its `_Send`s fetched,
on a resource manager that outlives graphs."""

import numpy as np
import pytest
from tensorboard.compat.proto import graph_pb2

import flowgraph as tf
from flowgraph.distributed import protocol_pb2 as pb, rpc
from flowgraph.distributed.keys import rendezvous_key
from flowgraph.distributed.worker import Worker, from_named, to_named

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
