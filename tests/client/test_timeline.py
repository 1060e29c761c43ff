"""client.timeline.Timeline: a traced run's StepStats as Chrome trace JSON."""

import json

import numpy as np

import flowgraph as tf
from flowgraph.client import timeline


def _traced():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [4], name="x")
        with tf.device("/cpu:1"):
            a = tf.square(x, name="a")
        with tf.device("/cpu:2"):
            b = tf.reduce_sum(a, name="b")
        s = tf.as_string(b, name="s")
        with tf.Session() as sess:
            meta = tf.RunMetadata()
            options = tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE)
            sess.run(s, {x: np.arange(4.0)}, options=options, run_metadata=meta)
            plan = sess.explain(s, {x: np.arange(4.0)})
    return meta, plan


def test_chrome_trace_has_a_process_per_device_and_names_every_segment():
    meta, plan = _traced()
    trace = json.loads(timeline.Timeline(meta.step_stats).generate_chrome_trace_format())
    events = trace["traceEvents"]
    processes = [e["args"]["name"] for e in events if e["name"] == "process_name"]
    assert processes == [f"{d.device} Compute" for d in meta.step_stats.dev_stats]
    ops = [e for e in events if e["ph"] == "X"]
    names = {e["name"] for e in ops}
    assert {f"segment_{s.index}" for s in plan.segments} <= names
    assert {"s", "a:0/_Transfer"} <= names
    for e in ops:
        assert e["dur"] >= 0 and e["ts"] > 0
    segment = next(e for e in ops if "a" in e["args"].get("ops", ()))
    assert segment["args"]["ops"] == ["a"]


def test_dataflow_arrows_and_memory_counters():
    meta, _ = _traced()
    tl = timeline.Timeline(meta.step_stats)
    events = json.loads(tl.generate_chrome_trace_format(show_dataflow=True))["traceEvents"]
    starts = [e for e in events if e["ph"] == "s"]
    ends = [e for e in events if e["ph"] == "t"]
    assert starts and len(starts) == len(ends)
    assert {e["id"] for e in starts} == {e["id"] for e in ends}
    assert all(s["ts"] <= t["ts"] for s, t in zip(starts, ends))
    plain = json.loads(tl.generate_chrome_trace_format(show_dataflow=False, show_memory=True))
    assert not [e for e in plain["traceEvents"] if e["ph"] in "st"]
    assert [e for e in plain["traceEvents"] if e["ph"] == "C"]
