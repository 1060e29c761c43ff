"""A task's partition cut into stages: shared nodes copied where used, values carried
between stages, control edges to earlier stages dropped, sends in their producer's stage."""

from tensorboard.compat.proto import graph_pb2

import flowgraph as tf
from flowgraph.distributed import stages
from flowgraph.distributed.keys import rendezvous_key

PS = "/job:ps/replica:0/task:0/device:CPU:0"
WORKER = "/job:worker/replica:0/task:0/device:CPU:0"
DOWN = rendezvous_key(PS, 1, WORKER, "r:0")
UP = rendezvous_key(WORKER, 2, PS, "g:0")


def partition() -> graph_pb2.GraphDef:
    """ps: stage 0 sends v's value down and computes c = 2v; stage 1 receives g and
    runs v += g, then out = c + v (after a control edge to stage 0's r)."""
    with tf.Graph().as_default() as g:
        with tf.device(PS):
            v = tf.Variable(1.0, name="v")
            r = tf.identity(v, name="r")
            c = tf.multiply(v, 2.0, name="c")
            grad = tf.placeholder(tf.float32, [], name="g")
            with tf.control_dependencies([r]):
                tf.add(c, tf.assign_add(v, grad, name="update"), name="out")
    out = graph_pb2.GraphDef()
    for node in g.as_graph_def().node:
        if node.name.startswith("v/") and node.name != "v/read":
            continue  # the initializer runs apart
        if node.name == "g":
            node.op = "_Recv"
            node.attr["tensor_type"].type = node.attr["dtype"].type
            key_attrs(node, UP)
        node.attr[stages.STAGE_ATTR].i = 1 if node.name in ("update", "out") else 0
        out.node.add().CopyFrom(node)
    send = out.node.add(name="r/_send", op="_Send", device=PS, input=["r"])
    key_attrs(send, DOWN)
    return out


def key_attrs(node, key):
    send_device, incarnation, recv_device, tensor, _ = key.split(";")
    node.attr["send_device"].s = send_device.encode()
    node.attr["send_device_incarnation"].i = int(incarnation, 16)
    node.attr["recv_device"].s = recv_device.encode()
    node.attr["tensor_name"].s = tensor.encode()


def _names(stage):
    return {n.name: n for n in stage.graph_def.node}


def test_split_into_stages():
    first, second = stages.split(partition())
    assert first.sends == [(DOWN, "r:0")] and first.recvs == [] and first.carry_in == []
    assert set(_names(first)) >= {"v", "r", "c"} and "update" not in _names(first)
    assert all(stages.STAGE_ATTR not in n.attr for n in first.graph_def.node)
    assert all(n.device == "/device:CPU:0" for n in first.graph_def.node if n.device)
    assert second.recvs == [(UP, "g:0")] and second.sends == []
    nodes = _names(second)
    assert nodes["g"].op == "Placeholder"  # the _Recv, fed by the worker
    assert "v" in nodes and "v/read" not in nodes  # the variable is copied, not carried
    assert second.carry_in == [("c:0", "flowgraph_carry/0:0")]  # c crosses stages
    assert list(nodes["out"].input) == ["flowgraph_carry/0", "update"]  # ^r dropped
    assert second.targets == ["out"] and "c" in first.targets


def test_a_partition_without_marks_is_one_stage():
    graph_def = partition()
    for node in graph_def.node:
        node.attr.pop(stages.STAGE_ATTR, None)
    (only,) = stages.split(graph_def)
    assert only.carry_in == [] and only.sends == [(DOWN, "r:0")]
    assert {"r", "c", "update", "out"} <= set(_names(only))
