"""Rich display in Jupyter: graphs drawn as SVG with name scopes collapsed (as TensorBoard's
graph view), operations and tensors as HTML cards, timelines as Gantt charts.

`Graph`, `Operation`, `Tensor` and `client.timeline.Timeline` render through this module
when a notebook cell returns them. Example:

  >>> tf.get_default_graph()                      # the top level, scopes collapsed
  >>> tf.display.GraphView(graph, scope="model")   # the inside of one name scope
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field

# Fill colours per device, in the order devices first appear (no device: white).
_PALETTE = ("#cfe2ff", "#ffe5b4", "#d4edda", "#f8d7da", "#e2d9f3", "#fff3cd", "#d1ecf1")
_CHAR_W = 6.6  # px per character of 11-12 px sans-serif text, for sizing boxes
_ROW_H, _GAP_X, _GAP_Y, _MARGIN = 38, 26, 46, 14
_STYLE = (
    "<style>.fg-card{font:13px sans-serif;border:1px solid #ccc;border-radius:6px;"
    "padding:6px 10px;display:inline-block}.fg-card table{border-collapse:collapse}"
    ".fg-card td,.fg-card th{padding:1px 8px;text-align:left!important;vertical-align:top}"
    ".fg-card th{color:#666;font-weight:normal}</style>"
)


@dataclass
class _Box:
    """One drawn node: an op, or a collapsed name scope holding `ops`."""

    key: str
    ops: list = field(default_factory=list)
    scope: bool = False
    outside: bool = False  # an input or consumer outside the drawn scope
    first: int = 0  # creation index of its first op: boxes are laid out in this order
    layer: int = 0
    x: float = 0.0

    @property
    def label(self) -> str:
        return self.key.rsplit("/", 1)[-1] if not self.outside else self.key

    @property
    def detail(self) -> str:
        if self.outside:
            return ""
        if self.scope:
            return f"{len(self.ops)} ops"
        return self.ops[0].type

    @property
    def devices(self) -> list[str]:
        return sorted({op.device for op in self.ops if op.device})

    @property
    def width(self) -> float:
        return max(len(self.label), len(self.detail)) * _CHAR_W + 18


class GraphView:
    """A drawing of a graph's ops inside one name scope, sub-scopes collapsed into boxes.

    Boxes are filled by requested device (a legend names them), scopes are drawn with a
    double border and their op count, edges carry the tensor's shape (or a count), control
    edges are dashed. Hover a box for its full name, type and device.

    Args:
      graph: the `tf.Graph` to draw.
      scope: the name scope to open ("" for the top level).
    """

    def __init__(self, graph, scope: str = ""):
        self.graph = graph
        self.scope = scope.rstrip("/")

    def _repr_html_(self) -> str:
        ops = self.graph.get_operations()
        where = f"inside <code>{html.escape(self.scope)}</code>" if self.scope else "top level"
        return (
            f"<div style='font:13px sans-serif'><b>Graph</b>: {len(ops)} ops "
            f"(version {self.graph.version}); {where}, name scopes collapsed</div>"
            f"<div style='overflow:auto'>{self.svg()}</div>"
        )

    def _repr_svg_(self) -> str:
        return self.svg()

    def svg(self) -> str:
        """The drawing as an SVG document string."""
        boxes, edges = _collapse(self.graph.get_operations(), self.scope)
        layers = _layout(boxes, edges)
        colours = _device_colours(boxes.values())
        width = max((b.x + b.width for b in boxes.values()), default=0) + _MARGIN
        height = len(layers) * (_ROW_H + _GAP_Y) + _MARGIN + 24
        parts = [_legend(colours)]
        ports = _ports(boxes, edges)
        parts += [_edge_svg(boxes[s], boxes[d], t, ports[s, d]) for (s, d), t in edges.items()]
        parts += [_box_svg(b, colours) for b in boxes.values()]
        return _svg_document(max(width, 320), height, parts)


def _collapse(ops, scope: str) -> tuple[dict[str, _Box], dict]:
    """The boxes drawn for `scope` and the edges between them: {(src, dst): [tensors|None]}."""
    prefix = scope + "/" if scope else ""
    index = {op.name: i for i, op in enumerate(ops)}
    boxes: dict[str, _Box] = {}

    def box_of(op) -> _Box:
        inside = op.name.startswith(prefix)
        rest = op.name[len(prefix) :] if inside else op.name
        key = (prefix if inside else "") + rest.split("/")[0]
        box = boxes.get(key)
        if box is None:
            box = boxes[key] = _Box(key, outside=not inside, first=index[op.name])
        return box

    for op in ops:
        if op.name.startswith(prefix):
            box = box_of(op)
            box.ops.append(op)
            box.scope = box.scope or op.name != box.key or len(box.ops) > 1
    edges: dict[tuple[str, str], list] = {}
    for op in ops:
        inside = op.name.startswith(prefix)
        for t in op.inputs:
            _connect(edges, box_of(t.op), box_of(op), t, inside or t.op.name.startswith(prefix))
        for c in op.control_inputs:
            _connect(edges, box_of(c), box_of(op), None, inside or c.name.startswith(prefix))
    linked = {key for pair in edges for key in pair}
    shown = [b for b in boxes.values() if not b.outside or b.key in linked]
    return {b.key: b for b in sorted(shown, key=lambda b: b.first)}, edges


def _connect(edges: dict, src: _Box, dst: _Box, tensor, relevant: bool) -> None:
    if relevant and src is not dst and not (src.outside and dst.outside):
        edges.setdefault((src.key, dst.key), []).append(tensor)


def _layout(boxes: dict[str, _Box], edges: dict) -> list[list[_Box]]:
    """Layers by longest path (creation order breaks cycles), sources just above their
    first reader, and each layer ordered under the boxes it reads from."""
    order = {k: i for i, k in enumerate(boxes)}
    forward = [(s, d) for s, d in edges if order[s] < order[d]]
    preds: dict[str, list[str]] = {}
    succs: dict[str, list[str]] = {}
    for s, d in forward:
        preds.setdefault(d, []).append(s)
        succs.setdefault(s, []).append(d)
    for key in boxes:  # boxes are in creation order of their first op: a topological order
        boxes[key].layer = max((boxes[p].layer + 1 for p in preds.get(key, ())), default=0)
    for key in reversed(boxes):  # constants and variables sit next to what reads them
        if key in succs and key not in preds:
            boxes[key].layer = min(boxes[d].layer for d in succs[key]) - 1
    depth = max((b.layer for b in boxes.values()), default=-1) + 1
    layers: list[list[_Box]] = [[] for _ in range(depth)]
    for box in boxes.values():
        layers[box.layer].append(box)
    _place_x(layers, forward, boxes)
    return layers


def _ports(boxes: dict[str, _Box], edges: dict) -> dict[tuple[str, str], tuple[float, float]]:
    """Where each edge leaves its source and enters its destination: spread along the
    boxes' bottom and top edges, ordered by the other end's position, so lines do not
    overlap."""
    ends: dict[tuple[str, str], list[float]] = {pair: [0.0, 0.0] for pair in edges}
    for side, (near, far) in enumerate(((0, 1), (1, 0))):
        groups: dict[str, list[tuple[str, str]]] = {}
        for pair in edges:
            groups.setdefault(pair[near], []).append(pair)
        for key, pairs in groups.items():
            box = boxes[key]
            pairs.sort(key=lambda p: boxes[p[far]].x)
            for i, pair in enumerate(pairs):
                ends[pair][side] = box.x + box.width * (i + 1) / (len(pairs) + 1)
    return {pair: (a, b) for pair, (a, b) in ends.items()}


def _place_x(layers: list[list[_Box]], edges: list, boxes: dict[str, _Box]) -> None:
    """Each box under the middle of the boxes it reads from; then each box that reads
    nothing over the middle of its readers; overlaps pushed right."""
    parents: dict[str, list[_Box]] = {}
    children: dict[str, list[_Box]] = {}
    for s, d in edges:
        parents.setdefault(d, []).append(boxes[s])
        children.setdefault(s, []).append(boxes[d])
    for layer in layers:
        for box in layer:
            box.x = _centred_over(box, parents.get(box.key, ()))
        _spread(layer)
    for layer in reversed(layers):
        for box in layer:
            if box.key not in parents:
                box.x = _centred_over(box, children.get(box.key, ()))
        _spread(layer)


def _centred_over(box: _Box, others) -> float:
    centres = [o.x + o.width / 2 for o in others]
    return sum(centres) / len(centres) - box.width / 2 if centres else 0.0


def _spread(layer: list[_Box]) -> None:
    layer.sort(key=lambda b: b.x)
    right = _MARGIN - _GAP_X
    for box in layer:
        box.x = max(box.x, right + _GAP_X)
        right = box.x + box.width


def _device_colours(boxes) -> dict[str, str]:
    colours: dict[str, str] = {}
    for box in boxes:
        for dev in box.devices:
            colours.setdefault(dev, _PALETTE[len(colours) % len(_PALETTE)])
    return colours


def _y(box: _Box) -> float:
    return 24 + _MARGIN + box.layer * (_ROW_H + _GAP_Y)


def _box_svg(box: _Box, colours: dict[str, str]) -> str:
    e = html.escape
    x, y, w = box.x, _y(box), box.width
    if box.outside:
        return (
            f"<g><title>{e(box.key)} (outside this scope)</title>"
            f"<rect x='{x:.1f}' y='{y + 8}' width='{w:.1f}' height='{_ROW_H - 16}' rx='10' "
            f"fill='#fafafa' stroke='#aaa' stroke-dasharray='3 2'/>"
            f"<text x='{x + w / 2:.1f}' y='{y + _ROW_H / 2 + 4}' text-anchor='middle' "
            f"fill='#777'>{e(box.label)}</text></g>"
        )
    devices = box.devices
    fill = colours[devices[0]] if len(devices) == 1 else "#eeeeee" if devices else "#ffffff"
    title = f"{box.key} ({box.detail})" + (f" on {', '.join(devices)}" if devices else "")
    border = "stroke-width='2.5' stroke='#555'" if box.scope else "stroke='#777'"
    return (
        f"<g><title>{e(title)}</title>"
        f"<rect x='{x:.1f}' y='{y}' width='{w:.1f}' height='{_ROW_H}' "
        f"rx='{4 if box.scope else 14}' fill='{fill}' {border}/>"
        f"<text x='{x + w / 2:.1f}' y='{y + 15}' text-anchor='middle' "
        f"font-weight='{'bold' if box.scope else 'normal'}'>{e(box.label)}</text>"
        f"<text x='{x + w / 2:.1f}' y='{y + 30}' text-anchor='middle' font-size='10' "
        f"fill='#555'>{e(box.detail)}</text></g>"
    )


def _edge_svg(src: _Box, dst: _Box, tensors: list, ports: tuple[float, float]) -> str:
    (x1, x2), y1, y2 = ports, _y(src) + _ROW_H, _y(dst)
    if dst.layer <= src.layer:  # an edge back up (a cycle between scopes): leave sideways
        x1, y1 = src.x + src.width, _y(src) + _ROW_H / 2
    bend = max(abs(y2 - y1) / 2, 20)
    data = [t for t in tensors if t is not None]
    dash = "" if data else " stroke-dasharray='4 3'"
    label = _edge_label(data) if dst.layer == src.layer + 1 else ""
    text = (
        f"<text x='{x1 + 3:.1f}' y='{y1 + 12:.1f}' font-size='9' "
        f"fill='#888'>{html.escape(label)}</text>"
        if label
        else ""
    )
    return (
        f"<path d='M{x1:.1f},{y1:.1f} C{x1:.1f},{y1 + bend:.1f} {x2:.1f},{y2 - bend:.1f} "
        f"{x2:.1f},{y2:.1f}' fill='none' stroke='#999'{dash} marker-end='url(#fg-arrow)'/>" + text
    )


def _edge_label(tensors: list) -> str:
    if len(tensors) > 1:
        return f"{len(tensors)} tensors"
    if not tensors:
        return ""
    shape = tensors[0].shape
    if shape.dims is None:
        return ""
    return "×".join("?" if d is None else str(d) for d in shape.as_list()) or "scalar"


def _legend(colours: dict[str, str]) -> str:
    parts, x = [], _MARGIN
    for dev, colour in colours.items():
        parts.append(
            f"<rect x='{x}' y='6' width='12' height='12' fill='{colour}' stroke='#777'/>"
            f"<text x='{x + 16}' y='16' font-size='11'>{html.escape(dev)}</text>"
        )
        x += 24 + len(dev) * _CHAR_W
    return "".join(parts)


def _svg_document(width: float, height: float, parts: list[str]) -> str:
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width:.0f}' height='{height:.0f}' "
        f"font-family='sans-serif' font-size='11'><defs><marker id='fg-arrow' "
        "viewBox='0 0 10 10' refX='10' refY='5' markerWidth='7' markerHeight='7' "
        "orient='auto'><path d='M0,0 L10,5 L0,10 z' fill='#999'/></marker></defs>"
        + "".join(parts)
        + "</svg>"
    )


# -- operations and tensors ------------------------------------------------------------


def operation_html(op) -> str:
    """An HTML card: the op's name, type, device, inputs, outputs, attrs and source line."""
    e = html.escape
    rows = [("type", f"<code>{e(op.type)}</code>"), ("device", e(op.device or "(any)"))]
    rows += [(f"input {i}", _tensor_cell(t)) for i, t in enumerate(op.inputs)]
    rows += [(f"output {i}", _tensor_cell(t)) for i, t in enumerate(op.outputs)]
    if op.control_inputs:
        rows.append(("control inputs", e(", ".join(c.name for c in op.control_inputs))))
    rows += [(f"attr {k}", e(_short(op.get_attr(k)))) for k in sorted(op._attrs)]
    if op.traceback:
        file, line, func, _ = op.traceback[-1]
        rows.append(("defined at", e(f"{file.rsplit('/', 1)[-1]}:{line} in {func}")))
    return _card(f"tf.Operation <b>{e(op.name)}</b>", rows)


def tensor_html(tensor) -> str:
    """An HTML card: the tensor's name, dtype, shape, producing op, device and consumers."""
    e = html.escape
    rows = [
        ("dtype", e(tensor.dtype.name)),
        ("shape", e(str(tensor.shape))),
        ("op", f"{e(tensor.op.name)} <code>{e(tensor.op.type)}</code>"),
        ("device", e(tensor.device or "(any)")),
        ("consumers", e(", ".join(c.name for c in tensor.consumers()) or "-")),
    ]
    return _card(f"tf.Tensor <b>{e(tensor.name)}</b>", rows)


def _tensor_cell(t) -> str:
    about = html.escape(f"{t.dtype.name} {t.shape}")
    return f"{html.escape(t.name)} <span style='color:#666'>{about}</span>"


def _short(value, limit: int = 80) -> str:
    text = repr(value).replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _card(title: str, rows: list[tuple[str, str]]) -> str:
    body = "".join(f"<tr><th>{html.escape(k)}</th><td>{v}</td></tr>" for k, v in rows)
    return f"{_STYLE}<div class='fg-card'>{title}<table>{body}</table></div>"


# -- timelines -------------------------------------------------------------------------

_KINDS = {  # event kind -> (fill, legend text)
    "xla": ("#4e79a7", "compiled segment"),
    "host": ("#f28e2b", "host segment"),
    "op": ("#edc948", "host op"),
    "transfer": ("#59a14f", "transfer"),
}
_LANE_H, _CHART_W = 26, 860


def timeline_svg(chrome_trace: str) -> str:
    """A Gantt chart of a Chrome trace (`Timeline.generate_chrome_trace_format()`): a lane per
    device and thread, a bar per segment, host op and transfer, a time axis in ms."""
    events = json.loads(chrome_trace)["traceEvents"]
    names = {e["pid"]: e["args"]["name"] for e in events if e.get("name") == "process_name"}
    bars = [e for e in events if e["ph"] == "X"]
    lanes = sorted({(e["pid"], e["tid"]) for e in bars})
    if not bars:
        return _svg_document(320, 30, ["<text x='10' y='20'>empty timeline</text>"])
    t0 = min(e["ts"] for e in bars)
    span = max(max(e["ts"] + e["dur"] for e in bars) - t0, 1.0)
    labels = [_lane_label(names.get(p, str(p)), t) for p, t in lanes]
    left = max(len(s) for s in labels) * _CHAR_W + 2 * _MARGIN
    scale = _CHART_W / span
    top = 30
    parts = [_timeline_legend()]
    for i, label in enumerate(labels):
        y = top + i * _LANE_H
        parts.append(
            f"<rect x='0' y='{y}' width='{left + _CHART_W + _MARGIN:.0f}' height='{_LANE_H}' "
            f"fill='{'#f7f7f7' if i % 2 else '#ffffff'}'/>"
            f"<text x='{_MARGIN}' y='{y + 17}'>{html.escape(label)}</text>"
        )
    for e in bars:
        y = top + lanes.index((e["pid"], e["tid"])) * _LANE_H
        parts.append(_bar(e, left + (e["ts"] - t0) * scale, y, e["dur"] * scale))
    parts += _axis(left, top + len(lanes) * _LANE_H, span, scale)
    return _svg_document(left + _CHART_W + 2 * _MARGIN, top + len(lanes) * _LANE_H + 34, parts)


def _lane_label(process: str, tid: int) -> str:
    name = _local(process.removesuffix(" Compute"))
    return name + (" (host ops)" if tid else "")


def _local(device: str) -> str:
    return device.replace("/job:localhost/replica:0/task:0", "")


def _kind(event: dict) -> str:
    op = event["args"].get("op", "")
    if op == "_Transfer":
        return "transfer"
    if op.endswith("Segment"):
        return "xla" if op.startswith("Xla") else "host"
    return "op"


def _bar(event: dict, x: float, y: float, width: float) -> str:
    kind = _kind(event)
    ms = event["dur"] / 1e3
    detail = ", ".join(event["args"].get("ops", [])[:12])
    route = _local(event["args"].get("route", ""))
    title = f"{event['name']} ({kind}): {ms:.3f} ms " + (detail or route)
    label = event["name"]
    text = (
        f"<text x='{x + 3:.1f}' y='{y + 17}' fill='white' font-size='10'>"
        f"{html.escape(label)}</text>"
        if len(label) * 6 < width
        else ""
    )
    return (
        f"<g><title>{html.escape(title)}</title><rect x='{x:.2f}' y='{y + 4}' "
        f"width='{max(width, 3):.2f}' height='{_LANE_H - 8}' fill='{_KINDS[kind][0]}'/>"
        f"{text}</g>"
    )


def _axis(left: float, y: float, span_us: float, scale: float) -> list[str]:
    step = _nice_step(span_us / 8)
    parts = [
        f"<line x1='{left}' y1='{y}' x2='{left + span_us * scale:.1f}' y2='{y}' stroke='#444'/>"
    ]
    tick = 0.0
    while tick <= span_us * 1.0001:
        x = left + tick * scale
        parts.append(
            f"<line x1='{x:.1f}' y1='{y}' x2='{x:.1f}' y2='{y + 5}' stroke='#444'/>"
            f"<text x='{x:.1f}' y='{y + 17}' text-anchor='middle' font-size='10'>"
            f"{tick / 1e3:g} ms</text>"
        )
        tick += step
    return parts


def _nice_step(raw: float) -> float:
    """1, 2 or 5 times a power of ten, at least `raw`."""
    power = 10 ** len(str(int(max(raw, 1)))) / 10
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def _timeline_legend() -> str:
    parts, x = [], _MARGIN
    for fill, text in _KINDS.values():
        parts.append(
            f"<rect x='{x}' y='8' width='12' height='12' fill='{fill}'/>"
            f"<text x='{x + 16}' y='18'>{text}</text>"
        )
        x += 30 + len(text) * _CHAR_W
    return "".join(parts)
