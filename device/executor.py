"""The executor: runs a plan's segments in order over a flat list of value slots."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

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
        self._direct = (
            len(steps) == 1
            and steps[0].in_slots == tuple(range(len(feeds)))
            and all(s >= len(feeds) for s in self.fetch_slots)
        )

    def run(self, feed_values: list[Any]) -> list[Any]:
        """Runs every step; returns the fetched values (jax arrays or numpy)."""
        if self._direct:  # one segment fed straight from the feeds: no slot shuffling
            outs = _call(self.steps[0], feed_values)
            base = self.n_feeds
            return [outs[i - base] for i in self.fetch_slots]
        env = list(feed_values) + [None] * (self.n_slots - self.n_feeds)
        for step in self.steps:
            outs = _call(step, [env[i] for i in step.in_slots])
            for slot, value in zip(step.out_slots, outs):
                env[slot] = value
        return [env[i] for i in self.fetch_slots]

    def __repr__(self) -> str:
        return "\n".join(repr(s) for s in self.segments)


def _call(step: Step, args: list[Any]) -> tuple:
    try:
        return step.call(*args)
    except errors.OpError as e:
        # The error already names the node and the user's line; drop jax's tracing notes.
        e.__notes__ = [n for n in getattr(e, "__notes__", []) if "JAX" not in n]
        e.__suppress_context__ = True
        raise
    except Exception as e:  # an XLA runtime failure: say which segment it was
        names = ", ".join(n.name for n in step.segment.nodes[:10])
        raise errors.InternalError(
            None,
            None,
            f"{type(e).__name__} while running segment {step.segment.index} "
            f"({step.segment.kind}, ops: {names}): {e}",
        ) from e
