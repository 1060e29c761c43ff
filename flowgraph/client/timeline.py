"""Timelines (`tf.client.timeline`): a run's `StepStats` as a Chrome trace (chrome://tracing,
Perfetto), a process per device and an event per segment, host op and transfer."""

from __future__ import annotations

import json
import re

_LABEL = re.compile(r"(.*?) = (.*?)\((.*?)\)(?: \[(.*)\])?$")


class Timeline:
    """Converts `RunMetadata.step_stats` to the Chrome trace format.

    Example:
      >>> opts = tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE)
      >>> meta = tf.RunMetadata()
      >>> sess.run(train_op, options=opts, run_metadata=meta)
      >>> trace = timeline.Timeline(meta.step_stats).generate_chrome_trace_format()
      >>> open("timeline.json", "w").write(trace)     # load in chrome://tracing
    """

    def __init__(self, step_stats, graph=None):
        self._step_stats = step_stats
        self._graph = graph

    def generate_chrome_trace_format(self, show_dataflow=True, show_memory=False) -> str:
        """The trace as a JSON string: `{"traceEvents": [...]}`.

        Args:
          show_dataflow: draw arrows from each value's producer to its consumers.
          show_memory: add a counter of the bytes each device's events output.
        """
        events: list[dict] = []
        ops: list[tuple[dict, list[str], list[str]]] = []
        for pid, dev in enumerate(self._step_stats.dev_stats):
            events.append(_meta("process_name", pid, {"name": f"{dev.device} Compute"}))
            events.append(_meta("process_sort_index", pid, {"sort_index": pid}))
            total = 0
            for ns in sorted(dev.node_stats, key=lambda n: _start_us(n)):
                event, inputs, outputs = _op_event(ns, pid)
                events.append(event)
                ops.append((event, inputs, outputs))
                if show_memory:
                    total += sum(
                        o.tensor_description.allocation_description.requested_bytes
                        for o in ns.output
                    )
                    events.append(
                        {
                            "ph": "C",
                            "name": "Output bytes",
                            "pid": pid,
                            "tid": 0,
                            "ts": event["ts"] + event["dur"],
                            "args": {dev.device: total},
                        }
                    )
        if show_dataflow:
            events += _flows(ops)
        return json.dumps({"traceEvents": events})

    def _repr_html_(self) -> str:  # Jupyter: a Gantt chart of segments and transfers
        from flowgraph import display

        return display.timeline_svg(self.generate_chrome_trace_format(show_dataflow=False))


def _meta(name: str, pid: int, args: dict) -> dict:
    return {"ph": "M", "name": name, "pid": pid, "tid": 0, "args": args}


def _start_us(ns) -> float:
    return ns.all_start_nanos / 1e3 if ns.all_start_nanos else float(ns.all_start_micros)


def _duration_us(ns) -> float:
    if ns.all_end_rel_nanos:
        return ns.all_end_rel_nanos / 1e3
    return float(ns.all_end_rel_micros)


def _op_event(ns, pid: int) -> tuple[dict, list[str], list[str]]:
    """The complete ("X") event of one node's stats, with the tensors it reads and makes."""
    match = _LABEL.match(ns.timeline_label)
    if match:
        _, op, ins, extra = match.groups()
        inputs = [t for t in ins.split(", ") if t]
    else:
        op, inputs, extra = ns.node_name, [], None
    args = {"name": ns.node_name, "op": op}
    args.update({f"input{i}": t for i, t in enumerate(inputs)})
    outputs = [f"{ns.node_name}:{o.slot}" for o in ns.output]
    if extra and extra.startswith("ops: "):  # a segment: it makes its ops' outputs
        members = extra[len("ops: ") :].split(", ")
        args["ops"] = members
        outputs = members
    elif op == "_Transfer":
        args["route"] = extra
        outputs = inputs
    event = {
        "ph": "X",
        "cat": "Op",
        "name": ns.node_name,
        "pid": pid,
        "tid": ns.thread_id,
        "ts": _start_us(ns),
        "dur": _duration_us(ns),
        "args": args,
    }
    return event, inputs, outputs


def _flows(ops) -> list[dict]:
    """Flow arrows: each input comes from the last event before it that made that value."""
    made: dict[str, list[dict]] = {}
    for event, _, outputs in ops:
        for name in outputs:
            made.setdefault(name.split(":")[0], []).append(event)
    flows = []
    for event, inputs, _ in ops:
        for tensor in inputs:
            earlier = [
                e
                for e in made.get(tensor.split(":")[0], ())
                if e is not event and e["ts"] + e["dur"] <= event["ts"]
            ]
            if not earlier:
                continue
            source = max(earlier, key=lambda e: e["ts"] + e["dur"])
            flow_id = len(flows) // 2
            for ph, at, ts in (
                ("s", source, source["ts"] + source["dur"]),
                ("t", event, event["ts"]),
            ):
                flows.append(
                    {
                        "ph": ph,
                        "cat": "DataFlow",
                        "name": tensor,
                        "id": flow_id,
                        "pid": at["pid"],
                        "tid": at["tid"],
                        "ts": ts,
                    }
                )
    return flows
