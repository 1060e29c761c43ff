"""Placement: TF's placer — every node gets a jax device from its request, colocation group
and kernel, over the whole graph."""

from __future__ import annotations

import functools
import os
import re
import sys
import warnings
from dataclasses import dataclass
from typing import Iterable, Sequence

import jax
from jax._src import xla_bridge  # backends_are_initialized: no public twin

from device.ir import GraphIR, Node
from device.spec import DeviceSpec
from kernels import registry
from kernels.errors import InvalidArgumentError

_TYPES = ("GPU", "TPU", "CPU")  # TF prefers an accelerator to the CPU for unrequested ops
_TYPE_OF_PLATFORM = {"cpu": "CPU", "gpu": "GPU", "cuda": "GPU", "rocm": "GPU", "tpu": "TPU"}
_FIELDS = ("job", "replica", "task", "device_type", "device_index")


@dataclass(frozen=True)
class PlacementOptions:
    """The ConfigProto fields placement reads (`device_count` as sorted (type, n) pairs)."""

    allow_soft_placement: bool = False
    log_device_placement: bool = False
    device_count: tuple[tuple[str, int], ...] = ()


def session_devices(device_count: Iterable[tuple[str, int]] = ()) -> list[jax.Device]:
    """The devices a session may use, preferred first, each type capped by `device_count`."""
    limits = {kind.upper(): n for kind, n in device_count}
    out: list[jax.Device] = []
    for kind in _TYPES:
        found = _local_devices(kind)
        out += found[: limits.get(kind, len(found))]
    return out


def place(ir: GraphIR | Sequence[Node], options: PlacementOptions) -> dict[str, jax.Device]:
    """Maps every node of `ir` to its device (TF places the whole graph, not one run's part).

    Raises InvalidArgumentError naming the op when a request cannot be met and soft
    placement is off.
    """
    if not isinstance(ir, GraphIR):
        ir = GraphIR(tuple(ir))
    devices = session_devices(options.device_count)
    placed: dict[str, jax.Device] = {}
    host_only = _host_only_of(ir)
    cpus = [d for d in devices if _type_of(d) == "CPU"]
    for members in colocation_groups(ir):
        if len(members) == 1 and not members[0].device:  # most nodes: one, asking nothing
            node = members[0]
            placed[node.name] = (cpus if host_only(node) else devices)[0]
            continue
        device = _place_group(members, devices, options, host_only)
        placed.update((n.name, device) for n in members)
    if options.log_device_placement:
        for n in ir.nodes:
            print(f"{n.name}: ({n.op}): {device_name(placed[n.name])}", file=sys.stderr)
    return placed


def colocation_groups(ir: GraphIR) -> list[list[Node]]:
    """Nodes that must share a device: `_class` `loc:@` groups and ref (variable) edges."""
    parent = {n.name: n.name for n in ir.nodes}
    order = ir.order

    def find(name: str) -> str:
        while parent[name] != name:
            parent[name] = parent[parent[name]]
            name = parent[name]
        return name

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            first, second = sorted((ra, rb), key=order.__getitem__)
            parent[second] = first

    for node in ir.nodes:
        for group in node.attrs.get("_class", ()):
            target = group[5:].decode() if group.startswith(b"loc:@") else None
            if target in parent:
                union(node.name, target)
        for i in node.refs if node.kernel is not None else ():
            union(node.name, node.inputs[i][0])
    groups: dict[str, list[Node]] = {}
    for node in ir.nodes:
        groups.setdefault(find(node.name), []).append(node)
    return list(groups.values())


def _host_only_of(ir: GraphIR):
    """`host_only(node)`: whether the node runs in Python (host kernels, strings), which
    only CPUs can run."""
    strings = ir.strings

    def host_only(node: Node) -> bool:
        kernel = node.kernel
        if kernel is None:  # e.g. an imported op with no kernel here
            return False
        if kernel.kind == registry.HOST or node.name in strings:
            return True
        if not strings:
            return False
        by_name = ir.by_name
        return any(
            p in strings and by_name[p].output_dtypes[i].kind == "O" for p, i in node.inputs
        )

    return host_only


def _place_group(members: list[Node], devices, options: PlacementOptions, host_only) -> jax.Device:
    host = any(host_only(n) for n in members)
    supported = [d for d in devices if not host or _type_of(d) == "CPU"]
    request = _merged_request(members, options.allow_soft_placement)
    if request is None:
        return supported[0]
    found = [d for d in supported if _matches(request, d)]
    if not found and options.allow_soft_placement:  # keep job/task, drop type and index
        soft = request.replace(device_type=None, device_index=None)
        found = [d for d in supported if _matches(soft, d)]
    if found:
        return found[0]
    node = next(n for n in members if n.device)
    raise _unsatisfiable(node, request, devices, host)


def _merged_request(members: list[Node], soft: bool) -> DeviceSpec | None:
    """The group's request: its members' requests merged (None when nobody asks)."""
    merged, owner, dropped = DeviceSpec(), {}, set()
    for node in members:
        if not node.device:
            continue
        spec = DeviceSpec.from_string(node.device)
        for field in _FIELDS:
            mine, theirs = getattr(merged, field), getattr(spec, field)
            if theirs is None or mine == theirs or field in dropped:
                continue
            if mine is None:
                setattr(merged, field, theirs)
                owner[field] = node
            elif soft and field in ("device_type", "device_index"):
                # Soft placement lets colocated ops disagree on type or index: both go.
                dropped |= {"device_index", field}
                merged.device_index = None
                setattr(merged, field, None)
            else:
                raise _conflict(owner[field], node, field, merged, spec)
    return merged if merged.to_string() else None


def _matches(spec: DeviceSpec, device: jax.Device) -> bool:
    kind, index = _type_of(device), _index_of(device)
    return (
        spec.job in (None, "localhost")
        and spec.replica in (None, 0)
        and spec.task in (None, 0)
        and spec.device_type in (None, kind)
        and spec.device_index in (None, index)
    )


def _unsatisfiable(node: Node, request: DeviceSpec, devices, host: bool) -> InvalidArgumentError:
    prefix = f"Cannot assign a device for operation {node.name}: "
    if host and any(_matches(request, d) for d in devices):
        message = (
            f"Could not satisfy explicit device specification '{node.device}' because no "
            f"supported kernel for {request.device_type} devices is available. Op: {node.op} "
            "(a host kernel: it runs on CPU only)"
        )
    else:
        names = ", ".join(sorted(device_name(d) for d in devices))
        message = (
            f"{node.describe()} was explicitly assigned to {node.device} but available devices "
            f"are [ {names} ]. Make sure the device specification refers to a valid device."
        )
        if request.device_type == "GPU" and not _local_devices("GPU"):
            message += " The requested device appears to be a GPU, but jax has no GPU backend."
    return InvalidArgumentError(node, None, prefix + message)


def _conflict(a: Node, b: Node, field: str, x: DeviceSpec, y: DeviceSpec) -> InvalidArgumentError:
    noun = {"device_type": "types", "device_index": "ids"}.get(field, field + "s")
    return InvalidArgumentError(
        b,
        None,
        f"Cannot colocate nodes {a.describe()} and {b.describe()}: Cannot merge devices with "
        f"incompatible {noun}: '{x.to_string()}' and '{y.to_string()}'",
    )


def _local_devices(device_type: str) -> list[jax.Device]:
    try:
        return jax.devices(device_type.lower())
    except RuntimeError:  # no backend of that platform on this machine
        return []


def _type_of(d: jax.Device) -> str:
    return _TYPE_OF_PLATFORM.get(d.platform, d.platform.upper())


@functools.cache
def _index_of(d: jax.Device) -> int:
    return jax.devices(d.platform).index(d)


@functools.cache
def device_name(d: jax.Device) -> str:
    """TF's full name for a jax device: `/job:localhost/replica:0/task:0/device:CPU:0`."""
    return f"/job:localhost/replica:0/task:0/device:{_type_of(d)}:{_index_of(d)}"


def short_name(d: jax.Device | None) -> str:
    """`/device:CPU:0`; the host (None) is CPU:0, where TF runs host kernels."""
    return "/" + device_name(d).split("/", 4)[-1] if d is not None else "/device:CPU:0"


# -- ConfigProto.gpu_options -----------------------------------------------------------------


def apply_gpu_options(
    memory_fraction: float = 0.0, allow_growth: bool = False, visible_device_list: str = ""
) -> dict[str, str]:
    """Configures jax's GPU client as TF's `GPUOptions` ask; returns the settings made.

    jax reads them when it starts its backends, so they apply only before that: later,
    settings that differ from those in force give a warning and change nothing.
    """
    env = {}
    if memory_fraction:
        env["XLA_PYTHON_CLIENT_MEM_FRACTION"] = repr(float(memory_fraction))
    if allow_growth:
        env["XLA_PYTHON_CLIENT_PREALLOCATE"] = "false"
    visible = visible_device_list.replace(" ", "")
    if not env and not visible:
        return {}
    current = {k: os.environ.get(k) for k in env}
    in_force = current == env and (not visible or _visible_devices() == visible)
    if xla_bridge.backends_are_initialized():
        if not in_force:
            wanted = ", ".join(f"{k}={v}" for k, v in env.items())
            wanted += f", jax_cuda_visible_devices={visible}" if visible else ""
            warnings.warn(
                "ConfigProto.gpu_options cannot be applied: jax has already started its "
                f"backends in this process. Wanted {wanted}; set them before the first "
                "Session is created or any jax computation runs.",
                RuntimeWarning,
                stacklevel=3,
            )
        return {}
    os.environ.update(env)
    if visible:
        jax.config.update("jax_cuda_visible_devices", visible)
        env["jax_cuda_visible_devices"] = visible
    return env


def _visible_devices() -> str:
    return str(jax.config.read("jax_cuda_visible_devices"))


_cpu_count_warned = False


def apply_cpu_device_count(count: int) -> bool:
    """Makes jax start at least `count` CPU devices (TF's `device_count={'CPU': N}`).

    jax fixes its CPU device count when it starts its backends, so this applies only
    before that; later, a count above the one in force gives one warning per process.
    Returns whether the count was raised.
    """
    global _cpu_count_warned
    if count <= _cpu_devices_configured():
        return False
    if not xla_bridge.backends_are_initialized():
        jax.config.update("jax_num_cpu_devices", int(count))
        return True
    if len(jax.devices("cpu")) < count and not _cpu_count_warned:
        _cpu_count_warned = True
        warnings.warn(
            f"ConfigProto.device_count={{'CPU': {count}}} cannot be applied: jax has already "
            f"started its backends in this process with {len(jax.devices('cpu'))} CPU "
            "device(s). Create the Session before any jax computation runs, or set "
            f"XLA_FLAGS=--xla_force_host_platform_device_count={count}.",
            RuntimeWarning,
            stacklevel=3,
        )
    return False


def _cpu_devices_configured() -> int:
    """The CPU device count jax starts (or started) with: its config, else XLA_FLAGS, else 1."""
    if xla_bridge.backends_are_initialized():
        return len(jax.devices("cpu"))
    configured = int(jax.config.jax_num_cpu_devices)
    if configured > 0:
        return configured
    found = re.search(
        r"--xla_force_host_platform_device_count=(\d+)", os.environ.get("XLA_FLAGS", "")
    )
    return int(found.group(1)) if found else 1


def device_mapping(devices: list[jax.Device]) -> str:
    """TF's "Device mapping:" lines for a session's accelerators."""
    lines = [
        f"{device_name(d)} -> device: {_index_of(d)}, name: {d.device_kind}"
        for d in devices
        if _type_of(d) != "CPU"
    ]
    return "Device mapping:\n" + "\n".join(lines) if lines else "Device mapping: no known devices."
