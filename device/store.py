"""The session's state: variable buffers and per-node RNG keys behind one short lock, and
host resources (queues, readers, accumulators) with locks of their own."""

from __future__ import annotations

import threading
from typing import Any, Callable

import jax
import numpy as np

from device.ir import Node
from kernels import errors
from kernels.random import initial_key


class Store:
    """Device buffers owned by one session (two sessions on a graph hold separate values).

    The lock covers reading buffer references, dispatching the segment that consumes
    (and donates) them, and committing the new buffers: never a blocking host op.
    `resources` maps a resource's name to its Python object (a queue, a reader); each
    object has its own lock, so a run waiting on a queue holds nothing others need.
    """

    def __init__(self):
        self.lock = threading.RLock()
        self.variables: dict[str, jax.Array] = {}
        self.keys: dict[str, Any] = {}
        self.resources: dict[str, Any] = {}
        self._containers: dict[str, str] = {}  # resource name -> its container
        self._runs: dict[str, int] = {}  # a counting node's name -> its runs so far
        self._resources_lock = threading.Lock()
        self._closed = False

    def read(self, node: Node) -> jax.Array:
        """The variable's current buffer; FailedPreconditionError if never assigned."""
        try:
            return self.variables[node.name]
        except KeyError:
            where = f" (defined at {node.source})" if node.source else ""
            raise errors.FailedPreconditionError(
                node, None, f"Attempting to use uninitialized value {node.name}{where}"
            ) from None

    def count_run(self, name: str) -> int:
        """How many times node `name` ran before in this session; counts this run."""
        with self._resources_lock:
            runs = self._runs.get(name, 0)
            self._runs[name] = runs + 1
        return runs

    def is_initialized(self, name: str) -> bool:
        return name in self.variables

    def key(self, node: Node) -> Any:
        """The node's RNG key, seeded from its `seed`/`seed2` attrs on first use."""
        key = self.keys.get(node.name)
        if key is None:
            seeds = int(node.attrs.get("seed", 0)), int(node.attrs.get("seed2", 0))
            key = initial_key(*seeds, node.op)
        return key

    def resource(self, node: Node, factory: Callable[[str], Any]) -> np.ndarray:
        """The handle of the resource `node` makes, calling `factory(name)` on its first use.

        Ops with the same `shared_name` (and `container`) share one resource; otherwise
        each op has its own, named after the op.
        """
        name = resource_name(node)
        with self._resources_lock:
            if self._closed:
                raise errors.CancelledError(node, None, "Session has been closed.")
            if name not in self.resources:
                self.resources[name] = factory(name)
                self._containers[name] = node.attrs.get("container") or ""
        return np.array(name.encode(), dtype=object)

    def exists(self, name: str) -> bool:
        """Whether resource `name` exists in this open session (a `resource` call for it
        would only hand out its handle)."""
        return not self._closed and name in self.resources

    def lookup(self, handle: Any) -> Any:
        """The resource a handle (from `resource`) names; NotFoundError if there is none."""
        name = np.asarray(handle, dtype=object).item()
        name = name.decode() if isinstance(name, bytes) else str(name)
        try:
            return self.resources[name]
        except KeyError:
            raise errors.NotFoundError(
                None, None, f"Resource {name} does not exist in this session."
            ) from None

    def reset(self, containers: list[str]) -> None:
        """TF's `ClearContainers` (`Session.reset`): drops the resources of `containers`
        (their pending waits cancelled); none named means the default container "", which
        also holds every variable value and RNG key (variables here take no container)."""
        containers = list(containers) or [""]
        with self.lock, self._resources_lock:
            names = [n for n, c in self._containers.items() if c in containers]
            dropped = [self.resources.pop(n) for n in names]
            for n in names:
                del self._containers[n]
            if "" in containers:
                self.variables.clear()
                self.keys.clear()
        _cancel(dropped)

    def close(self) -> None:
        """Cancels every resource's pending and future waits (the session is closing)."""
        with self._resources_lock:
            self._closed = True
            resources = list(self.resources.values())
        _cancel(resources)


def _cancel(resources) -> None:
    """Wakes every wait on `resources` (those that can wait: queues, barriers)."""
    for resource in resources:
        cancel = getattr(resource, "cancel", None)
        if cancel is not None:
            cancel()


def resource_name(node: Node) -> str:
    """`container/shared_name`, as TF's resource manager keys a resource (the op's name
    when it has no shared name)."""
    name = node.attrs.get("shared_name") or node.name
    container = node.attrs.get("container") or ""
    return f"{container}/{name}" if container else name
