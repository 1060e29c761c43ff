"""The executor: runs a plan's segments in order over a flat list of value slots."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import jax

from device.ir import Edge
from device.partition import Segment
from kernels import errors


@dataclass(frozen=True)
class Step:
    """One segment's callable and where its inputs come from and outputs go."""

    call: Callable[..., tuple]
    in_slots: tuple[int, ...]
    out_slots: tuple[int, ...]
    segment: Segment


class Plan:
    """A compiled run: feeds fill the first slots, steps fill the rest, fetches are read.

    Building a plan walks the graph once; `run` walks nothing.
    """

    def __init__(self, feeds: Sequence[Edge], fetches: Sequence[Edge], segments, lowered):
        slots: dict[Edge, int] = {e: i for i, e in enumerate(feeds)}
        steps = []
        for seg, call in zip(segments, lowered):
            ins = tuple(slots[e] for e in seg.inputs)
            outs = tuple(slots.setdefault(e, len(slots)) for e in seg.outputs)
            steps.append(Step(call, ins, outs, seg))
        self.segments = list(segments)
        self.steps = tuple(steps)
        self.n_slots = len(slots)
        self.n_feeds = len(feeds)
        self.fetch_slots = tuple(slots[e] for e in fetches)

    def run(self, feed_values: Sequence[Any]) -> list[Any]:
        """Runs every step; returns the fetched values (jax arrays or numpy)."""
        env = list(feed_values) + [None] * (self.n_slots - self.n_feeds)
        for step in self.steps:
            try:
                outs = step.call(*[env[i] for i in step.in_slots])
            except errors.OpError:
                raise
            except Exception as e:  # an XLA runtime failure: say which segment it was
                raise errors.InternalError(None, None, _describe_failure(step, e)) from e
            for slot, value in zip(step.out_slots, outs):
                env[slot] = value
        return [env[i] for i in self.fetch_slots]

    def __repr__(self) -> str:
        return "\n".join(repr(s) for s in self.segments)


def _describe_failure(step: Step, e: Exception) -> str:
    names = ", ".join(n.name for n in step.segment.nodes[:10])
    return (f"{type(e).__name__} while running segment {step.segment.index} "
            f"({step.segment.kind}, ops: {names}): {e}")


def to_numpy(values: list[Any]) -> list[Any]:
    """Fetched values as numpy, copied off their devices in one transfer."""
    return jax.device_get(values)
