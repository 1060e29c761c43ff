"""TF's rendezvous keys: which tensor of a step goes from which device to which."""

from __future__ import annotations

# The client's device: tensors it feeds come from here, tensors it fetches go here.
CLIENT_DEVICE = "/job:localhost/replica:0/task:0/device:CPU:0"


def rendezvous_key(send_device: str, incarnation: int, recv_device: str, tensor: str) -> str:
    """TF's rendezvous key of a tensor crossing from `send_device` to `recv_device`."""
    return f"{send_device};{incarnation:016x};{recv_device};{tensor};0:0"


def key_of_node(node) -> str:
    """The rendezvous key of a `_Send` or `_Recv` NodeDef."""
    attr = node.attr
    return rendezvous_key(
        attr["send_device"].s.decode(),
        attr["send_device_incarnation"].i,
        attr["recv_device"].s.decode(),
        attr["tensor_name"].s.decode(),
    )


def sender_task(key: str) -> str:
    """The task whose rendezvous holds `key`'s tensor: `/job:ps/replica:0/task:0`."""
    device = key.split(";", 1)[0]
    return device.rsplit("/device:", 1)[0]
