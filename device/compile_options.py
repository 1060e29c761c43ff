"""XLA compile options per platform: what a segment's `jax.jit` asks of XLA:CPU.

A training step donates its variables, so each updated variable is written into its old
buffer. XLA:CPU's default copy insertion cannot prove that every read of the old value
(a weight read by the forward pass and again by the input gradient of the backward pass)
comes before that write, and copies the weight first: every step, a 12.8 MB copy of the
benchmark CNN's 3136x1024 dense weight. Its region analysis proves it and drops the copies
(measured: 5% less CPU time per CNN step). Buffer assignment only: values are the same.

XLA:CPU runs dots and convolutions as YNNPACK fusions, each set up at the executable's first
run (about 0.3 ms apiece: half a second for a graph of 1,666 dense layers). On small dots
that buys nothing: measured in chains of dots, XLA's own emitter runs dots of up to 2**18
FLOPs as fast or faster (8x64x64: 0.77x the time, 32x64x64: 0.5x); from 2**19 on YNNPACK is
as fast or faster (up to 3x at 2**22). So a segment whose every dot and convolution is small
compiles without YNN fusions, decided on its first call from the shapes it is traced with;
one with any larger dot keeps them.

On for CPU segments by default; set the environment variable `FLOWGRAPH_XLA_CPU_OPTIONS=0`
before a session's first run to compile with XLA's defaults. GPU segments keep XLA's own.
"""

from __future__ import annotations

import math
import os
from types import MappingProxyType
from typing import Any, Callable, Iterator, Mapping

import jax
from jax.extend import core as jax_core

CPU_OPTIONS: Mapping[str, Any] = MappingProxyType(
    {"xla_cpu_copy_insertion_use_region_analysis": True}
)
# What a segment of only small dots adds to `CPU_OPTIONS`.
NO_YNN_OPTIONS: Mapping[str, Any] = MappingProxyType({"xla_cpu_experimental_ynn_fusion_type": ""})
SMALL_DOT_FLOPS = 1 << 18  # the largest dot (or convolution) XLA's own emitter runs as fast


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


def jit(make: Callable, fun: Callable, device: jax.Device | None, may_dot: bool, **kwargs):
    """`make(fun, compiler_options=..., **kwargs)` (`jax.jit` or a function like it) compiled
    with `device`'s options. Where the segment `may_dot` on CPU, its first call traces it and
    picks: without YNN fusions if every dot and convolution is small (`SMALL_DOT_FLOPS`),
    with them otherwise. The pick holds for the segment's later shapes; the picked function
    reuses the probe's trace (jax caches it per function and arguments)."""
    options = for_device(device)
    if options is None or not may_dot:
        return make(fun, compiler_options=options, **kwargs)
    probe = jax.jit(fun, compiler_options=options, **kwargs)
    large = make(fun, compiler_options=options, **kwargs)
    small = make(fun, compiler_options={**options, **NO_YNN_OPTIONS}, **kwargs)
    chosen: list[Callable] = []

    def call(*args):
        if chosen:
            return chosen[0](*args)
        jaxpr = probe.trace(*args).jaxpr
        chosen.append(small if pick(options, jaxpr) != options else large)
        return chosen[0](*args)

    return call


def pick(options: Mapping[str, Any], jaxpr) -> dict[str, Any]:
    """`options` for a CPU program that may dot, traced to `jaxpr`: without YNN fusions
    if every dot and convolution in it is small (`SMALL_DOT_FLOPS`)."""
    if max(dot_flops(jaxpr), default=0) <= SMALL_DOT_FLOPS:
        return {**options, **NO_YNN_OPTIONS}
    return dict(options)


def dot_flops(jaxpr) -> Iterator[int]:
    """The FLOPs of each dot and convolution in `jaxpr` (a `ClosedJaxpr` or `Jaxpr`) and in
    the jaxprs its equations hold (loop bodies, branches, nested calls)."""
    jaxpr = getattr(jaxpr, "jaxpr", jaxpr)
    for eqn in jaxpr.eqns:
        name = eqn.primitive.name
        if name == "dot_general":
            (contract, _), _ = eqn.params["dimension_numbers"]
            lhs = eqn.invars[0].aval.shape
            yield 2 * _size(eqn.outvars[0].aval.shape) * _size(lhs[i] for i in contract)
        elif name == "conv_general_dilated":
            rhs = eqn.invars[1].aval.shape  # per output: every input feature of its group
            out_features = rhs[eqn.params["dimension_numbers"].rhs_spec[0]]
            macs = _size(rhs) // max(out_features, 1)
            yield 2 * _size(eqn.outvars[0].aval.shape) * macs
        for sub in jax_core.jaxprs_in_params(eqn.params):
            yield from dot_flops(sub)


def _size(dims) -> int:
    return math.prod(int(d) for d in dims)
