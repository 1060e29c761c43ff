"""RunOptions(trace_level=FULL_TRACE): step stats per device, transfers, partition graphs."""

import numpy as np
import pytest

import flowgraph as tf

CPU = "/job:localhost/replica:0/task:0/device:CPU:{}".format


@pytest.fixture
def traced_run():
    """A model over cpu:1 and cpu:2 with a host op, run once traced; (session, meta, plan)."""
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [2, 3], name="x")
        with tf.device("/cpu:1"):
            w = tf.Variable(np.ones((3, 2), np.float32), name="w")
            h = tf.matmul(x, w, name="h")
        with tf.device("/cpu:2"):
            y = tf.reduce_sum(tf.tanh(h), name="y")
        label = tf.as_string(y, name="label")
        with tf.Session() as sess:
            sess.run(w.initializer)
            meta = tf.RunMetadata()
            options = tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE)
            out = sess.run([y, label], {x: np.ones((2, 3))}, options=options, run_metadata=meta)
            plan = sess.explain([y, label], {x: np.ones((2, 3))})
            yield sess, meta, plan, out, (x, y, label)


def test_step_stats_per_device_name_every_segment(traced_run):
    _, meta, plan, out, _ = traced_run
    assert out[0] == pytest.approx(4 * np.tanh(3.0))
    by_device = {d.device: d for d in meta.step_stats.dev_stats}
    assert CPU(1) in by_device and CPU(2) in by_device
    segments = {n.node_name for d in meta.step_stats.dev_stats for n in d.node_stats}
    assert {f"segment_{s.index}" for s in plan.segments} <= segments
    for d in meta.step_stats.dev_stats:
        for n in d.node_stats:
            assert n.all_start_micros > 0 and n.all_end_rel_nanos >= 0


def test_host_ops_and_transfers_have_times_and_bytes(traced_run):
    _, meta, _, _, _ = traced_run
    stats = {n.node_name: (d.device, n) for d in meta.step_stats.dev_stats for n in d.node_stats}
    device, host_op = stats["label"]
    assert device == CPU(0) and host_op.timeline_label == "label = AsString(y:0)"
    device, moved = stats["h:0/_Transfer"]  # h made on cpu:1, read on cpu:2
    assert device == CPU(2) + "/memcpy"
    assert CPU(1) in moved.timeline_label
    assert moved.output[0].tensor_description.allocation_description.requested_bytes == 2 * 2 * 4
    device, fed = stats["x:0/_Transfer"]
    assert device == CPU(1) + "/memcpy" and "feed" in fed.timeline_label


def test_partition_graphs_hold_each_segment_with_its_device(traced_run):
    _, meta, plan, _, _ = traced_run
    assert len(meta.partition_graphs) == len(plan.segments)
    nodes = {n.name: n for gd in meta.partition_graphs for n in gd.node}
    assert nodes["h"].device == CPU(1) and list(nodes["h"].input) == ["x", "w/read"]
    assert nodes["y"].device == CPU(2)
    assert nodes["h"].attr["transpose_a"].b is False  # attrs as in as_graph_def
    assert nodes["label"].attr["precision"].i == -1


def test_untraced_runs_leave_metadata_alone_and_make_callable_traces(traced_run):
    sess, _, _, _, (x, y, _) = traced_run
    meta = tf.RunMetadata()
    sess.run(y, {x: np.ones((2, 3))}, run_metadata=meta)
    assert not meta.step_stats.dev_stats
    call = sess.make_callable(y, [x], accept_options=True)
    options = tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE)
    value = call(np.ones((2, 3)), options=options, run_metadata=meta)
    assert value == pytest.approx(4 * np.tanh(3.0))
    assert meta.step_stats.dev_stats
    only_graphs = tf.RunMetadata()
    sess.run(y, {x: np.ones((2, 3))}, tf.RunOptions(output_partition_graphs=True), only_graphs)
    assert only_graphs.partition_graphs and not only_graphs.step_stats.dev_stats


def test_explain_lists_ops_segments_transfers_and_caches(traced_run):
    sess, _, plan, _, (x, y, label) = traced_run
    assert plan.plan_cache_hit  # the traced run planned it already
    assert plan.devices["h"] == CPU(1) and plan.devices["y"] == CPU(2)
    kinds = [(s.kind, s.device) for s in plan.segments]
    assert ("xla", "/device:CPU:1") in kinds and ("host", "/device:CPU:0") in kinds
    seg = next(s for s in plan.segments if s.device == "/device:CPU:2")
    assert [(t.tensor, t.source) for t in seg.transfers] == [("h:0", "/device:CPU:1")]
    assert all(s.first_call_seconds is not None for s in plan.segments)
    text = str(plan)
    assert "segment" in text and "transfer: h:0 /device:CPU:1 -> /device:CPU:2" in text
    assert "<table>" in plan._repr_html_() and "h:0" in plan._repr_html_()


def test_explain_names_donated_variables():
    with tf.Graph().as_default():
        with tf.device("/cpu:3"):
            v = tf.Variable([1.0, 2.0], name="v")
            step = v.assign_add([1.0, 1.0])
        with tf.Session() as sess:
            sess.run(v.initializer)
            fresh = sess.explain(step)
            assert not fresh.plan_cache_hit
            assert fresh.segments[0].donated == ["v"]
            assert fresh.segments[0].device == "/device:CPU:3"
            assert fresh.segments[0].first_call_seconds is None
            np.testing.assert_allclose(sess.run(step), [2.0, 3.0])
            assert sess.explain(step).plan_cache_hit
