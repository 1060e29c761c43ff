"""The session's state: variable buffers and per-node RNG keys, behind one short lock."""

from __future__ import annotations

import threading
from typing import Any

import jax

from device.ir import Node
from kernels import errors
from kernels.random import initial_key


class Store:
    """Device buffers owned by one session (two sessions on a graph hold separate values).

    The lock covers reading buffer references, dispatching the segment that consumes
    (and donates) them, and committing the new buffers: never a blocking host op.
    """

    def __init__(self):
        self.lock = threading.RLock()
        self.variables: dict[str, jax.Array] = {}
        self.keys: dict[str, Any] = {}

    def read(self, node: Node) -> jax.Array:
        """The variable's current buffer; FailedPreconditionError if never assigned."""
        try:
            return self.variables[node.name]
        except KeyError:
            where = f" (defined at {node.source})" if node.source else ""
            raise errors.FailedPreconditionError(
                node, None, f"Attempting to use uninitialized value {node.name}{where}"
            ) from None

    def is_initialized(self, name: str) -> bool:
        return name in self.variables

    def key(self, node: Node) -> Any:
        """The node's RNG key, seeded from its `seed`/`seed2` attrs on first use."""
        key = self.keys.get(node.name)
        if key is None:
            key = initial_key(int(node.attrs.get("seed", 0)), int(node.attrs.get("seed2", 0)))
        return key
