"""Placement: every node gets a jax device from its requested device string."""

from __future__ import annotations

import sys
from dataclasses import dataclass

import jax

from device.ir import Node
from device.spec import DeviceSpec
from kernels.errors import InvalidArgumentError

_JAX_PLATFORM = {"CPU": "cpu", "GPU": "gpu", "TPU": "tpu"}


@dataclass(frozen=True)
class PlacementOptions:
    """The ConfigProto fields placement reads."""

    allow_soft_placement: bool = False
    log_device_placement: bool = False


def place(nodes: list[Node], options: PlacementOptions) -> dict[str, jax.Device]:
    """Maps each node's name to the jax device it runs on."""
    default = jax.devices()[0]
    placed = {n.name: resolve(n, default, options) for n in nodes}
    if options.log_device_placement:
        for n in nodes:
            print(f"{n.name}: ({n.op}): {device_name(placed[n.name])}", file=sys.stderr)
    return placed


def resolve(node: Node, default: jax.Device, options: PlacementOptions) -> jax.Device:
    """The jax device for one node's request; InvalidArgumentError if none satisfies it."""
    if not node.device:
        return default
    spec = DeviceSpec.from_string(node.device)
    if spec.job not in (None, "localhost") or spec.device_type is None:
        return default
    devices = _local_devices(spec.device_type)
    index = spec.device_index or 0
    if index < len(devices):
        return devices[index]
    if options.allow_soft_placement:
        return default
    raise InvalidArgumentError(
        node,
        None,
        f"Cannot assign a device for operation {node.name}: Could not satisfy explicit device "
        f"specification '{node.device}' because no supported kernel for "
        f"{spec.device_type} devices is available. Registered devices: "
        f"[{', '.join(device_name(d) for d in _all_devices())}]"
        + (f" (defined at {node.source})" if node.source else ""),
    )


def _local_devices(device_type: str) -> list[jax.Device]:
    platform = _JAX_PLATFORM.get(device_type.upper(), device_type.lower())
    try:
        return jax.devices(platform)
    except RuntimeError:  # no backend of that platform on this machine
        return []


def _all_devices() -> list[jax.Device]:
    return [d for p in ("cpu", "gpu", "tpu") for d in _local_devices(p.upper())]


def device_name(d: jax.Device) -> str:
    """TF's full name for a jax device: `/job:localhost/replica:0/task:0/device:CPU:0`."""
    kind = {"cpu": "CPU", "gpu": "GPU", "cuda": "GPU", "rocm": "GPU", "tpu": "TPU"}.get(
        d.platform, d.platform.upper()
    )
    index = jax.devices(d.platform).index(d)
    return f"/job:localhost/replica:0/task:0/device:{kind}:{index}"
