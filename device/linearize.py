"""Pairing gradients with forward ops: a VJP node that runs in the same compiled segment as
its forward op applies the forward's pullback instead of linearizing it again."""

from __future__ import annotations

from typing import Callable

from device import checks
from device.ir import Node
from device.partition import Segment
from kernels import gradients


def pair_linearizations(segments: list[Segment]) -> list[Segment]:
    """Sets each xla segment's `linearized` ({forward: wrt}) and `pullbacks` ({VJP node:
    forward}): the forward op is linearized once (`jax.vjp`) for every paired VJP node."""
    for seg in segments:
        if seg.kind == "xla":
            seg.linearized, seg.pullbacks = _pairs(seg.nodes, seg.folded)
    return segments


def _pairs(nodes: list[Node], folded: frozenset[str]) -> tuple[dict, dict]:
    by_name = {n.name: n for n in nodes}
    linearized: dict[str, tuple] = {}
    pullbacks: dict[str, str] = {}
    for node in nodes:
        forward = by_name.get(node.attrs.get("forward_node", ""))  # set on VJP nodes
        if forward is None or forward.name in folded or node.name in folded:
            continue
        wrt = node.attrs["wrt"]
        if node.inputs[: node.attrs["num_inputs"]] != forward.inputs:
            continue
        effects = forward.kernel.effects
        if effects.variable or effects.rng or forward.kernel.ref_modes:
            continue
        if linearized.get(forward.name, wrt) != wrt:
            continue
        linearized[forward.name] = wrt
        pullbacks[node.name] = forward.name
    return linearized, pullbacks


def linearizing(name: str, wrt: tuple, frame) -> Callable:
    """Runs forward op `name`'s kernel through `jax.vjp`, keeping the pullback in `frame`."""

    def call(kernel, args, attrs):
        keep = checks.bodies_active()
        out, pull, written = gradients.linearize(kernel, attrs, args, wrt, keep_errors=keep)
        frame.pullbacks[name] = (pull, out)
        return tuple(out) + tuple(written) if written else out

    return call


def pulling_back(forward: str, frame) -> Callable:
    """Runs a VJP node by applying its forward op's pullback from `frame`."""

    def call(kernel, args, attrs):
        pull, out = frame.pullbacks[forward]
        return gradients.pull_back(pull, out, args[attrs["num_inputs"] :])

    return call
