"""XLA compile options per platform: what a segment's `jax.jit` asks of XLA:CPU.

A training step donates its variables, so each updated variable is written into its old
buffer. XLA:CPU's default copy insertion cannot prove that every read of the old value
(a weight read by the forward pass and again by the input gradient of the backward pass)
comes before that write, and copies the weight first: every step, a 12.8 MB copy of the
benchmark CNN's 3136x1024 dense weight. Its region analysis proves it and drops the copies
(measured: 5% less CPU time per CNN step). Buffer assignment only: values are the same.

On for CPU segments by default; set the environment variable `FLOWGRAPH_XLA_CPU_OPTIONS=0`
before a session's first run to compile with XLA's defaults. GPU segments keep XLA's own.
"""

from __future__ import annotations

import os
from types import MappingProxyType
from typing import Any, Mapping

import jax

CPU_OPTIONS: Mapping[str, Any] = MappingProxyType(
    {"xla_cpu_copy_insertion_use_region_analysis": True}
)


def enabled() -> bool:
    """Whether CPU segments get `CPU_OPTIONS` (`FLOWGRAPH_XLA_CPU_OPTIONS=0` turns them off)."""
    value = os.environ.get("FLOWGRAPH_XLA_CPU_OPTIONS", "1").strip().lower()
    return value not in ("0", "false", "off")


def for_device(device: jax.Device | None) -> dict[str, Any] | None:
    """The compile options for a segment placed on `device` (None: the default device)."""
    platform = (device or jax.devices()[0]).platform
    if platform != "cpu" or not enabled():
        return None
    return dict(CPU_OPTIONS)
