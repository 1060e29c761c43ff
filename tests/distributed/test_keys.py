"""TF's rendezvous keys: their layout, a `_Send`/`_Recv` node's key, the sending task."""

from tensorboard.compat.proto import graph_pb2

from flowgraph.distributed.keys import CLIENT_DEVICE, key_of_node, rendezvous_key, sender_task

PS = "/job:ps/replica:0/task:1/device:CPU:0"


def test_key_layout_is_tfs():
    # TF's Rendezvous::CreateKey: src;incarnation (16 hex digits);dst;name;frame:iteration
    assert rendezvous_key(PS, 255, CLIENT_DEVICE, "w/read:0") == (
        f"{PS};00000000000000ff;{CLIENT_DEVICE};w/read:0;0:0"
    )


def test_key_of_a_send_node_and_its_task():
    node = graph_pb2.GraphDef().node.add(name="w/_send", op="_Send", input=["w/read"])
    node.attr["send_device"].s = PS.encode()
    node.attr["send_device_incarnation"].i = 7
    node.attr["recv_device"].s = CLIENT_DEVICE.encode()
    node.attr["tensor_name"].s = b"w/read:0"
    key = key_of_node(node)
    assert key == rendezvous_key(PS, 7, CLIENT_DEVICE, "w/read:0")
    assert sender_task(key) == "/job:ps/replica:0/task:1"
