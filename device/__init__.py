"""The runtime: device specs, placement, partitioning, lowering to jax.jit, execution."""

from device.executor import Plan
from device.ir import GraphIR, Node
from device.place import PlacementOptions
from device.plan import make_plan
from device.spec import DeviceSpec
from device.store import Store

__all__ = ["GraphIR", "Node", "Plan", "PlacementOptions", "Store", "make_plan", "DeviceSpec"]
