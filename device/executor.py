"""The executor: runs a plan's segments in order over a flat list of value slots."""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import jax
import numpy as np

from device import callbacks, checks, heap
from device.compile_notice import announce_slow_compile
from device.context import NO_CONTEXT, RunContext
from device.ir import Edge, Node
from device.partition import Segment
from kernels import cancel, errors, op_def, registry


@dataclass(frozen=True)
class Step:
    """One segment's callable and where its inputs come from and outputs go."""

    call: Callable[..., tuple]
    in_slots: tuple[int, ...]
    out_slots: tuple[int, ...]
    segment: Segment
    moves: tuple[int, ...] = ()  # inputs made on another device: `jax.device_put` them here
    host: bool = False  # a host segment: its callable takes the run's context first
    polls: bool = True  # may run a loop that polls the run's deadline and cancellation


@dataclass
class PlanInfo:
    """What planning decided and cost, for `Session.explain` (never read by `run`)."""

    nodes: list[Node] = field(default_factory=list)  # the pruned nodes, in run order
    placement: dict[str, jax.Device] = field(default_factory=dict)
    build_seconds: float = 0.0  # prune + place + partition + lower
    segment_cache_hits: list[bool] = field(default_factory=list)  # lowered fn reused
    first_call_seconds: list[float | None] = field(default_factory=list)  # trace+compile


class Plan:
    """A compiled run: feeds fill the first slots, steps fill the rest, fetches are read.

    Building a plan walks the graph once; `run` walks nothing. Its first run times each
    step (tracing and compiling happen then); a run whose context has a recorder records
    step stats.
    """

    def __init__(
        self,
        feeds: Sequence[Edge],
        fetches: Sequence[Edge],
        segments,
        lowered,
        info: PlanInfo | None = None,
    ):
        slots: dict[Edge, int] = {e: i for i, e in enumerate(feeds)}
        made_on: dict[int, Any] = {}  # slot -> device of the segment that makes it
        steps = []
        for seg, call in zip(segments, lowered):
            ins = tuple(slots[e] for e in seg.inputs)
            outs = tuple(slots.setdefault(e, len(slots)) for e in seg.outputs)
            moves = tuple(
                i
                for i, (e, slot) in enumerate(zip(seg.inputs, ins))
                if seg.device is not None
                and made_on.get(slot, seg.device) not in (None, seg.device)
                and e not in seg.static
            )
            made_on.update((slot, seg.device) for slot in outs)
            host = seg.kind == registry.HOST
            steps.append(Step(call, ins, outs, seg, moves, host, _polls(seg)))
        self.segments = list(segments)
        self.steps = tuple(steps)
        self.n_slots = len(slots)
        self.n_feeds = len(feeds)
        self.fetch_slots = tuple(slots[e] for e in fetches)
        self.slot_of = slots
        self.info = info or PlanInfo()
        self.info.first_call_seconds = [None] * len(steps)
        self._first = bool(steps)
        self._first_feeds: list[type] | None = None  # the types of the first run's feeds
        self._fed_straight = (
            len(steps) == 1
            and steps[0].in_slots == tuple(range(len(feeds)))
            and all(s >= len(feeds) for s in self.fetch_slots)
        )
        # A direct step's outputs to fetch, by position; whether they are all of them.
        self._picks = tuple(s - len(feeds) for s in self.fetch_slots)
        self._all = bool(steps) and self._picks == tuple(range(len(steps[0].out_slots)))
        self._choose_paths()

    def _choose_paths(self) -> None:
        """The last step's compiled-in checks are read with the run's fetches (one host
        sync); an earlier step's at once, before any later step runs on bad values. A
        plan whose one step checks none after the step (`device.checks.HostChecks` checked
        its fed values, known after the first call) runs it directly."""
        last = self.steps[-1] if self.steps else None
        self._settled = None
        if last is not None and not last.host and _checked(last.call):
            self._settled = last
        self._direct = self._fed_straight and self._settled is None
        # A direct step that neither polls nor takes the context is called right here, its
        # errors translated as `_call` does (one Python frame less a run).
        first = self.steps[0] if self._direct else None
        self._bare = None
        if first is not None and not (first.polls or first.host):
            settled = getattr(first.call, "settled", None)  # `checks.raising`'s
            self._bare = first.call if settled is None else settled()
        # Its numpy scalar feeds, where the step is a plain compiled call (no checks reading
        # them on the host, no static inputs, the default device): `_resident`.
        self._scalars = ()
        if self._bare is not None and _takes_device_feeds(first) and self._first_feeds:
            self._scalars = tuple(
                i for i, t in enumerate(self._first_feeds) if issubclass(t, _SCALARS)
            )
        self._held = [None] * self.n_feeds
        self._ready = None if self._first else self._bare

    def run(self, feed_values: list[Any], ctx: RunContext = NO_CONTEXT) -> list[Any]:
        """Runs every step; returns the fetched values (jax arrays or numpy).

        `ctx` carries the run's deadline for waiting ops and, if it has one, a recorder
        (`device.trace.StepRecorder`) that moves inputs to each step's device and times
        transfers and steps (waiting for each).
        """
        bare = self._ready  # a direct step called right here, once the first run is done
        if bare is not None and ctx.recorder is None:  # checked first: a step's least work
            if self._scalars:
                feed_values = self._resident(feed_values)
            try:
                outs = bare(*feed_values)
            except Exception as e:
                _raise_step_error(self.steps[0], e)
                raise
            return list(outs) if self._all else [outs[i] for i in self._picks]
        if ctx.recorder is not None:
            return self._run_steps(feed_values, ctx.recorder, ctx)
        if self._first:
            return self._run_steps(feed_values, _FirstCallTimer(self.info), ctx)
        if self._direct:  # one segment fed straight from the feeds: no slot shuffling
            outs = _call(self.steps[0], feed_values, ctx)
            return list(outs) if self._all else [outs[i] for i in self._picks]
        env = list(feed_values) + [None] * (self.n_slots - self.n_feeds)
        fetched = lambda: [env[i] for i in self.fetch_slots]  # noqa: E731 (read when settling)
        for step in self.steps:
            if step is self._settled:
                with checks.deferred(fetched):
                    _step(step, env, ctx)
            else:
                _step(step, env, ctx)
        return fetched()

    def _resident(self, values: list[Any]) -> list[Any]:
        """`values` with each numpy scalar fed by the same object as the run before replaced
        by its copy on the device, made the second time in a row it is fed: a numpy scalar
        cannot change (unlike an array, which the caller may write to between runs), and a
        device array skips the host-to-device copy of each call (about a third of a scalar
        `a + b`'s dispatch). A learning rate or keep probability held in a variable is fed
        so on every step; a new object every call costs a comparison."""
        values = list(values)
        held = self._held
        for i in self._scalars:
            value, kept = values[i], held[i]
            if kept is not None and kept[0] is value:
                if kept[1] is None:
                    kept = held[i] = (value, jax.device_put(value))
                values[i] = kept[1]
            elif isinstance(value, _SCALARS):
                held[i] = (value, None)
        return values

    def _run_steps(self, feed_values: list[Any], hooks, ctx: RunContext) -> list[Any]:
        env = list(feed_values) + [None] * (self.n_slots - self.n_feeds)
        for index, step in enumerate(self.steps):
            args = hooks.inputs(step, [env[i] for i in step.in_slots])
            outs = hooks.call(index, step, args, ctx)
            for slot, value in zip(step.out_slots, outs):
                env[slot] = value
        if self._first:  # tracing and compiling just freed far more than a step allocates
            heap.release()
            self._first_feeds = [type(v) for v in feed_values]
            self._first = False
            self._choose_paths()
        return [env[i] for i in self.fetch_slots]

    def __repr__(self) -> str:
        return "\n".join(repr(s) for s in self.segments)


class _FirstCallTimer:
    """Times each step of a plan's first run: jax traces and compiles on a first call."""

    def __init__(self, info: PlanInfo):
        self.info = info

    def inputs(self, step: Step, args: list) -> list:
        for i in step.moves:
            args[i] = jax.device_put(args[i], step.segment.device)
        return args

    def call(self, index: int, step: Step, args: list, ctx: RunContext) -> tuple:
        start = time.perf_counter()
        with announce_slow_compile(step.segment):
            outs = _call(step, args, ctx)
        self.info.first_call_seconds[index] = time.perf_counter() - start
        return outs


def _step(step: Step, env: list, ctx: RunContext) -> None:
    """Runs one step on its input slots of `env`, filling its output slots."""
    args = [env[i] for i in step.in_slots]
    for i in step.moves:  # a cross-device edge: an async copy, no host sync
        args[i] = jax.device_put(args[i], step.segment.device)
    outs = _call(step, args, ctx)
    for slot, value in zip(step.out_slots, outs):
        env[slot] = value


def _polls(segment: Segment) -> bool:
    """Whether `segment` may run a loop with no bound, which polls the run's deadline and
    its session's cancellation: a loop op, or an op with function attrs (bodies). A `VJP`
    (a gradient) may where its forward op may: its own attrs hold the forward's, not a
    function."""
    return any(_may_poll(_forward(n) if n.op == "VJP" else n.op) for n in segment.nodes)


def _forward(node: Node) -> str:
    forward = node.attrs.get("forward")
    if isinstance(forward, bytes):
        forward = forward.decode()
    return forward if isinstance(forward, str) and forward != "VJP" else "While"  # else: may


@functools.cache
def _may_poll(op: str) -> bool:
    # Per op type, from its OpDef: this runs for every node of every plan.
    definition = op_def.find(op)
    if op in ("While", "WhileTripCount") or definition is None:
        return True
    return any(a.type in ("func", "list(func)") for a in definition.attr)


_SCALARS = (np.number, np.bool_)  # numpy's immutable scalars jax takes (not str_, void)


def _takes_device_feeds(step: Step) -> bool:
    """Whether `step`'s call takes device arrays for its fed values as it takes numpy ones:
    a compiled segment on the default device with no checks (host checks read fed values
    with numpy) and no static inputs (values its program is specialized on)."""
    segment = step.segment
    return (
        segment.kind != registry.HOST
        and not segment.static
        and (segment.device is None or segment.device == jax.devices()[0])
        and getattr(step.call, "raises_checks", None) is None
    )


def _checked(call: Callable) -> bool:
    """Whether a lowered segment raises its compiled-in checks' errors after its step
    (`device.checks.raising`)."""
    raises = getattr(call, "raises_checks", None)
    return raises is not None and raises()


def _call(step: Step, args: list[Any], ctx: RunContext) -> tuple:
    # Unbounded loops poll the calls registered (registering costs every call ~0.5 us).
    registered = cancel.enter(ctx.deadline, ctx.cancelled) if step.polls else None
    try:
        return step.call(ctx, *args) if step.host else step.call(*args)
    except Exception as e:
        _raise_step_error(step, e)
        raise
    finally:
        if registered is not None:
            cancel.leave(registered)


def _raise_step_error(step: Step, e: Exception) -> None:
    """Called handling `e`, raised by `step`'s call: raises the error a run reports; TF's
    errors themselves are left to the caller's `raise` (their traceback unchanged)."""
    if isinstance(e, errors.OpError):
        # The error already names the node and the user's line; drop jax's tracing notes.
        e.__notes__ = [n for n in getattr(e, "__notes__", []) if "JAX" not in n]
        e.__suppress_context__ = True
        return
    # An XLA runtime failure: say which segment it was.
    found = callbacks.raised(e)  # a host op in a compiled body raised TF's error
    if found is not None:
        raise found from None
    names = ", ".join(n.name for n in step.segment.nodes[:10])
    raise errors.InternalError(
        None,
        None,
        f"{type(e).__name__} while running segment {step.segment.index} "
        f"({step.segment.kind}, ops: {names}): {e}",
    ) from e
