"""Rich display: graphs as SVG with scopes collapsed, op/tensor cards, timelines, plans."""

import re
import xml.etree.ElementTree as ET

import numpy as np

import flowgraph as tf
from flowgraph.client import timeline


def _two_device_model():
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    with tf.variable_scope("model"):
        with tf.device("/cpu:0"):
            h = tf.layers.dense(x, 4, activation=tf.nn.relu, name="hidden")
        with tf.device("/cpu:1"):
            out = tf.layers.dense(h, 1, name="out")
    loss = tf.reduce_mean(tf.square(out), name="loss")
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    return x, loss, train


def _texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)  # well-formed XML, or this raises
    return [t.text for t in root.iter("{http://www.w3.org/2000/svg}text") if t.text]


def test_graph_svg_collapses_scopes_and_names_ops_and_devices():
    with tf.Graph().as_default() as g:
        _two_device_model()
        texts = _texts(g._repr_svg_())
        assert {"x", "Placeholder", "model", "loss", "Mean", "gradients"} <= set(texts)
        assert "/device:CPU:0" in texts and "/device:CPU:1" in texts
        model_ops = [op for op in g.get_operations() if op.name.startswith("model/")]
        assert f"{len(model_ops)} ops" in texts  # the scope is one box, its ops counted
        assert not any(t.startswith("model/") for t in texts)  # ... none of them drawn
        html = g._repr_html_()
        assert f"{len(g.get_operations())} ops" in html and "<svg" in html


def test_opening_a_scope_draws_its_sub_scopes_and_outside_neighbours():
    with tf.Graph().as_default() as g:
        _two_device_model()
        texts = _texts(tf.display.GraphView(g, scope="model").svg())
        assert {"hidden", "out"} <= set(texts)
        assert {"x", "gradients"} <= set(texts)  # inputs and readers outside the scope
        assert "?×3" in texts  # the edge from x carries its shape
        inner = _texts(tf.display.GraphView(g, scope="model/hidden").svg())
        assert {"kernel", "MatMul", "BiasAdd", "Relu"} <= set(inner)


def test_boxes_never_overlap_within_a_layer():
    with tf.Graph().as_default() as g:
        _two_device_model()
        svg = g._repr_svg_()
    rects = [
        (float(m[1]), float(m[2]), float(m[3]))
        for m in re.finditer(r"<rect x='([\d.]+)' y='([\d.]+)' width='([\d.]+)' height='38'", svg)
    ]
    assert len(rects) > 5
    for i, (x1, y1, w1) in enumerate(rects):
        for x2, y2, w2 in rects[i + 1 :]:
            assert y1 != y2 or x1 + w1 <= x2 or x2 + w2 <= x1


def test_operation_and_tensor_cards_name_the_op_its_inputs_and_device():
    with tf.Graph().as_default():
        a = tf.constant([1.0, 2.0], name="a")
        with tf.device("/cpu:1"):
            b = tf.multiply(a, 3.0, name="b")
        card = b.op._repr_html_()
        assert "tf.Operation <b>b</b>" in card and "<code>Mul</code>" in card
        assert "/device:CPU:1" in card and "a:0" in card and "test_display.py" in card
        tensor = a._repr_html_()
        assert "tf.Tensor <b>a:0</b>" in tensor and "Const" in tensor and "b" in tensor


def _traced_run():
    with tf.Graph().as_default():
        x, loss, train = _two_device_model()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            meta = tf.RunMetadata()
            options = tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE)
            feed = {x: np.ones((5, 3), np.float32)}
            sess.run(train, feed, options=options, run_metadata=meta)
            plan = sess.explain(train, feed)
    return meta, plan


def test_timeline_renders_a_lane_per_device_and_a_bar_per_segment_and_transfer():
    meta, plan = _traced_run()
    svg = timeline.Timeline(meta.step_stats)._repr_html_()
    texts = _texts(svg)
    assert "/device:CPU:0" in texts and "/device:CPU:1" in texts
    assert "/device:CPU:1/memcpy" in texts  # the transfers' lane
    titles = [t.text for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}title")]
    for s in plan.segments:
        assert any(t.startswith(f"segment_{s.index} (xla)") for t in titles)
    assert any("(transfer)" in t and "/device:CPU:0 -> /device:CPU:1" in t for t in titles)
    assert any(t.endswith(" ms") for t in texts)  # the time axis


def test_explain_html_names_segments_devices_transfers_and_donation():
    _, plan = _traced_run()
    page = plan._repr_html_()
    assert "<table>" in page and "/device:CPU:0: " in page and "/device:CPU:1: " in page
    for s in plan.segments:
        assert f"<td>{s.index}</td><td>xla</td><td>{s.device}</td>" in page
    assert "model/hidden/Relu:0: /device:CPU:0 → /device:CPU:1" in page
    assert "model/out/kernel" in page and "lowering cache" in page
    assert "Plan: " in str(plan)  # the text form is unchanged
