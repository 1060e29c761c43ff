"""Plan inspection: what a run executes, where, in which segments, and what it cost."""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from device.executor import Plan
from device.lower import state_use
from device.place import device_name, short_name
from kernels import registry


@dataclass(frozen=True)
class OpPlacement:
    """One pruned op: its type, the device it asked for and the one it got."""

    name: str
    op: str
    requested: str
    assigned: str


@dataclass(frozen=True)
class Transfer:
    """A value a segment reads from another device (or a feed, or a variable's buffer)."""

    tensor: str
    source: str
    destination: str


@dataclass
class SegmentPlan:
    """One segment: a `jax.jit` function (xla) or a Python loop (host) on one device."""

    index: int
    kind: str
    device: str
    ops: list[str]
    inputs: list[str]
    outputs: list[str]
    transfers: list[Transfer] = field(default_factory=list)
    donated: list[str] = field(default_factory=list)  # variables updated in place
    cache_hit: bool = False  # the lowered function came from the session's cache
    first_call_seconds: float | None = None  # tracing + compiling happen on a first call
    # xla: the input shapes of each compile so far (one per distinct shape signature)
    compiled_shapes: list[dict[str, tuple]] = field(default_factory=list)
    # xla: per compile, "loaded" when its executables came from the executable cache
    compiled_from: list[str] = field(default_factory=list)
    # xla: whether the explained feeds' shapes compile it again (None: not known)
    compiles_again: bool | None = None


@dataclass
class Explanation:
    """The plan of one `Session.run` signature; prints as text, renders as HTML in Jupyter."""

    ops: list[OpPlacement]
    segments: list[SegmentPlan]
    build_seconds: float
    plan_cache_hit: bool

    @property
    def devices(self) -> dict[str, str]:
        """Op name → assigned device."""
        return {op.name: op.assigned for op in self.ops}

    @property
    def compile_seconds(self) -> float:
        """Time of the segments' first calls so far (tracing and compiling)."""
        return sum(s.first_call_seconds or 0.0 for s in self.segments)

    def __str__(self) -> str:
        lines = [
            f"Plan: {len(self.ops)} ops in {len(self.segments)} segments; planned in "
            f"{self.build_seconds * 1e3:.2f} ms (plan cache {_hit(self.plan_cache_hit)}); "
            f"first calls {self.compile_seconds * 1e3:.2f} ms",
        ]
        for s in self.segments:
            lines.append(
                f"segment {s.index} ({s.kind}) on {s.device}: {len(s.ops)} ops, "
                f"lowering cache {_hit(s.cache_hit)}, first call {_ms(s.first_call_seconds)}"
                f"{_compiles(s)}"
            )
            lines.extend(
                f"  compiled for: {_shapes(shapes)}{_origin(origin)}"
                for shapes, origin in zip(s.compiled_shapes, _origins(s))
            )
            lines.append(f"  ops: {', '.join(s.ops)}")
            lines.append(f"  inputs: {', '.join(s.inputs) or '-'}")
            lines.append(f"  outputs: {', '.join(s.outputs) or '-'}")
            for t in s.transfers:
                lines.append(f"  transfer: {t.tensor} {t.source} -> {t.destination}")
            if s.donated:
                lines.append(f"  donated variables: {', '.join(s.donated)}")
        lines.append("ops:")
        for op in self.ops:
            asked = f" (requested {op.requested})" if op.requested else ""
            lines.append(f"  {op.name} ({op.op}): {op.assigned}{asked}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:  # Jupyter
        return _html(self)


def explain_plan(
    plan: Plan, plan_cache_hit: bool = False, feed_shapes: list[tuple] | None = None
) -> Explanation:
    """Describes `plan` (built by `make_plan`) without running it; given the shapes of a
    run's feeds (in the plan's feed order), also which segments they would compile again."""
    info = plan.info
    ops = [
        OpPlacement(n.name, n.op, n.device, device_name(info.placement[n.name])) for n in info.nodes
    ]
    where = {e: _device_of(s) for s in plan.segments for e in s.outputs}
    segments = []
    for i, seg in enumerate(plan.segments):
        here = _device_of(seg)
        transfers = [
            Transfer(f"{e[0]}:{e[1]}", where.get(e, "feed"), here)
            for e in seg.inputs
            if e not in seg.static and where.get(e, "feed") != here
        ]
        transfers += [
            Transfer(f"{name}:0", short_name(info.placement[name]), here)
            for name in seg.variables
            if name in info.placement and short_name(info.placement[name]) != here
        ]
        use = state_use(seg)
        written = {v.name for v in use.writes}
        donated = [v.name for v in use.reads if v.name in written]
        segments.append(
            SegmentPlan(
                index=seg.index,
                kind=seg.kind,
                device=here,
                ops=[n.name for n in seg.nodes],
                inputs=[f"{n}:{k}" for n, k in seg.inputs],
                outputs=[f"{n}:{k}" for n, k in seg.outputs],
                transfers=transfers,
                donated=donated if seg.kind == registry.XLA else [],
                cache_hit=info.segment_cache_hits[i] if info.segment_cache_hits else False,
                first_call_seconds=info.first_call_seconds[i],
                compiled_shapes=_compiled(seg, plan.steps[i].call),
                compiled_from=list(getattr(plan.steps[i].call, "cache_origins", ())),
                compiles_again=_again(seg, plan.steps[i].call, plan, feed_shapes),
            )
        )
    return Explanation(ops, segments, info.build_seconds, plan_cache_hit)


def _compiled(seg, call) -> list[dict[str, tuple]]:
    names = [f"{n}:{k}" for n, k in seg.inputs]
    return [dict(zip(names, shapes)) for shapes in getattr(call, "input_shapes", ())]


def _again(seg, call, plan: Plan, feed_shapes: list[tuple] | None) -> bool | None:
    """Whether feeds of `feed_shapes` compile an xla segment again: a new shape for an input
    fed straight from a feed, or the segment never compiled yet. None when not known (the
    segment is fed only by other segments, or no feed shapes were given)."""
    if seg.kind != registry.XLA or feed_shapes is None or len(feed_shapes) != plan.n_feeds:
        return None
    fed = {i: feed_shapes[plan.slot_of[e]] for i, e in enumerate(seg.inputs)
           if plan.slot_of[e] < plan.n_feeds}  # fmt: skip
    done = getattr(call, "input_shapes", None)
    if not fed or done is None:
        return None
    return not any(all(shapes[i] == shape for i, shape in fed.items()) for shapes in done)


def _compiles(s: SegmentPlan) -> str:
    if s.compiles_again is None:
        return ""
    return "; these feed shapes compile it again" if s.compiles_again else "; compiled for them"


def _origins(s: SegmentPlan) -> list[str]:
    """Where each compile's executables came from ("" where not known)."""
    return s.compiled_from + [""] * (len(s.compiled_shapes) - len(s.compiled_from))


def _origin(origin: str) -> str:
    return " (loaded from the executable cache)" if origin == "loaded" else ""


def _shapes(shapes: dict[str, tuple]) -> str:
    return ", ".join(f"{name} {list(shape)}" for name, shape in shapes.items())


def _device_of(seg) -> str:
    return short_name(seg.device)


def _hit(hit: bool) -> str:
    return "hit" if hit else "miss"


def _ms(seconds: float | None) -> str:
    return "not yet run" if seconds is None else f"{seconds * 1e3:.2f} ms"


def _html(plan: Explanation) -> str:
    """A table of segments (long lists folded into `<details>`), then every op's device."""
    e = html.escape
    per_device: dict[str, int] = {}
    for op in plan.ops:
        per_device[op.assigned] = per_device.get(op.assigned, 0) + 1
    devices = ", ".join(
        f"{e(d.replace('/job:localhost/replica:0/task:0', ''))}: {n} ops"
        for d, n in per_device.items()
    )
    rows = "".join(
        f"<tr><td>{s.index}</td><td>{s.kind}</td><td>{e(s.device)}</td>"
        f"<td>{_fold(s.ops)}</td><td>{_fold(s.inputs)}</td><td>{_fold(s.outputs)}</td>"
        f"<td>{_fold([f'{t.tensor}: {t.source} → {t.destination}' for t in s.transfers])}</td>"
        f"<td>{_fold(s.donated)}</td><td>{_hit(s.cache_hit)}</td>"
        f"<td>{_ms(s.first_call_seconds)}{_compiles(s)}"
        f"{_fold([_shapes(sh) + _origin(o) for sh, o in zip(s.compiled_shapes, _origins(s))], 1)}"
        "</td></tr>"
        for s in plan.segments
    )
    ops = "".join(
        f"<tr><td>{e(o.name)}</td><td>{e(o.op)}</td><td>{e(o.requested)}</td>"
        f"<td>{e(o.assigned)}</td></tr>"
        for o in plan.ops
    )
    return (
        f"{_STYLE}<div class='fg-plan'><p><b>Plan</b>: {len(plan.ops)} ops in "
        f"{len(plan.segments)} segments on {devices}; planned in "
        f"{plan.build_seconds * 1e3:.2f} ms (plan cache {_hit(plan.plan_cache_hit)}); "
        f"first calls {plan.compile_seconds * 1e3:.2f} ms</p>"
        "<table><tr><th>segment</th><th>kind</th><th>device</th><th>ops</th>"
        "<th>inputs</th><th>outputs</th><th>transfers</th><th>donated</th>"
        f"<th>lowering cache</th><th>first call</th></tr>{rows}</table>"
        f"<details><summary>placement of all {len(plan.ops)} ops</summary>"
        "<table><tr><th>op</th><th>type</th><th>requested</th><th>assigned</th></tr>"
        f"{ops}</table></details></div>"
    )


_STYLE = (
    "<style>.fg-plan{font:13px sans-serif}.fg-plan table{border-collapse:collapse}"
    ".fg-plan td,.fg-plan th{border:1px solid #ddd;padding:2px 6px;text-align:left!important;"
    "vertical-align:top;max-width:240px;overflow-wrap:anywhere}"
    ".fg-plan th{background:#f3f3f3}.fg-plan summary{cursor:pointer}</style>"
)


def _fold(items: list[str], shown: int = 3) -> str:
    """The first few items, the rest behind a `<details>` toggle."""
    head = html.escape(", ".join(items[:shown])) or "-"
    if len(items) <= shown:
        return head
    rest = html.escape(", ".join(items[shown:]))
    return f"{head}<details><summary>{len(items) - shown} more</summary>{rest}</details>"
