"""FileWriter's event files read back by TensorBoard's own loader (EventAccumulator) and by
`tf.train.summary_iterator`."""

from __future__ import annotations

import glob
import io
import os
import threading
import wave

import numpy as np
import pytest
from PIL import Image
from tensorboard.backend.event_processing import event_accumulator
from tensorboard.compat.proto import graph_pb2, meta_graph_pb2, node_def_pb2
from tensorboard.util.tensor_util import make_ndarray
from tensorboardX import summary as tbx_summary

import flowgraph as tf
from tests.summary.test_summary_ops import tf_histogram


@pytest.fixture
def graph():
    g = tf.Graph()
    with g.as_default():
        yield g


def _accumulator(logdir) -> event_accumulator.EventAccumulator:
    acc = event_accumulator.EventAccumulator(
        str(logdir), size_guidance=event_accumulator.STORE_EVERYTHING_SIZE_GUIDANCE
    )
    acc.Reload()
    return acc


def _event_files(logdir) -> list[str]:
    return sorted(glob.glob(os.path.join(str(logdir), "events.out.tfevents.*")))


def _events(logdir) -> list:
    return [e for path in _event_files(logdir) for e in tf.train.summary_iterator(path)]


def test_every_summary_kind_reads_back_in_event_accumulator(graph, tmp_path):
    x = tf.placeholder(tf.float32, [None], name="x")
    tf.summary.scalar("loss", tf.reduce_mean(x))
    tf.summary.histogram("values", x)
    images = tf.reshape(x[:12], [1, 2, 2, 3]) * 0.1
    tf.summary.image("pictures", images, max_outputs=1)
    tf.summary.audio("sound", tf.reshape(x[:12], [2, 6]) * 0.05, 4000)
    tf.summary.text("notes", tf.constant("hello **world**"))
    merged = tf.summary.merge_all()
    feeds = [np.arange(16, dtype=np.float32) + step for step in range(3)]
    with tf.Session() as sess, tf.summary.FileWriter(str(tmp_path)) as writer:
        for step, feed in enumerate(feeds):
            writer.add_summary(sess.run(merged, {x: feed}), global_step=10 * step)

    acc = _accumulator(tmp_path)
    tags = acc.Tags()
    assert tags["scalars"] == ["loss"] and tags["histograms"] == ["values"]
    assert tags["images"] == ["pictures/image"] and tags["tensors"] == ["notes"]
    assert tags["audio"] == ["sound/audio/0", "sound/audio/1"]
    scalars = acc.Scalars("loss")
    assert [(s.step, s.value) for s in scalars] == [(10 * i, f.mean()) for i, f in enumerate(feeds)]

    for event, feed in zip(acc.Histograms("values"), feeds):
        limits, counts = tf_histogram(feed)
        histo = event.histogram_value
        assert list(histo.bucket_limit) == limits and list(histo.bucket) == counts
        assert (histo.min, histo.max, histo.num, histo.sum) == (
            feed.min(),
            feed.max(),
            16,
            feed.astype(np.float64).sum(),
        )

    last = acc.Images("pictures/image")[-1]
    assert (last.step, last.width, last.height) == (20, 2, 2)
    pixels = np.asarray(Image.open(io.BytesIO(last.encoded_image_string)))
    image = feeds[-1][:12].reshape(2, 2, 3) * np.float32(0.1)
    expected = (image * np.float32(255.0 / image.max())).astype(np.uint8)
    np.testing.assert_array_equal(pixels, expected)

    sound = acc.Audio("sound/audio/1")[0]
    assert (sound.sample_rate, sound.length_frames, sound.content_type) == (4000, 6, "audio/wav")
    with wave.open(io.BytesIO(sound.encoded_audio_string)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getnframes()) == (4000, 1, 6)

    text = acc.Tensors("notes")
    assert [t.step for t in text] == [0, 10, 20]
    assert make_ndarray(text[0].tensor_proto).item() == b"hello **world**"
    assert acc.SummaryMetadata("notes").plugin_data.plugin_name == "text"


def test_summary_iterator_reads_events_in_order(graph, tmp_path):
    writer = tf.summary.FileWriter(str(tmp_path), filename_suffix=".mine")
    writer.add_summary(tf.Summary(value=[tf.Summary.Value(tag="a", simple_value=1.5)]), 3)
    writer.add_session_log(tf.SessionLog(status=tf.SessionLog.START), 4)
    writer.add_event(tf.Event(step=5, file_version="custom"))
    writer.close()
    (path,) = _event_files(tmp_path)
    assert path.endswith(".mine") and writer.get_logdir() == str(tmp_path)
    events = list(tf.train.summary_iterator(path))
    assert events[0].file_version == "brain.Event:2"
    assert (events[1].step, events[1].summary.value[0].simple_value) == (3, 1.5)
    assert (events[2].step, events[2].session_log.status) == (4, tf.SessionLog.START)
    assert (events[3].step, events[3].file_version) == (5, "custom")
    assert all(e.wall_time > 0 for e in events[:3])


def test_summary_iterator_missing_file_and_corruption(tmp_path):
    with pytest.raises(tf.errors.NotFoundError):
        list(tf.train.summary_iterator(str(tmp_path / "nope")))
    writer = tf.summary.FileWriter(str(tmp_path))
    writer.add_summary(tf.Summary(value=[tf.Summary.Value(tag="a", simple_value=1)]))
    writer.close()
    (path,) = _event_files(tmp_path)
    data = open(path, "rb").read()
    with open(path, "wb") as f:
        f.write(data[:-3])
    with pytest.raises(tf.errors.DataLossError, match="truncated record"):
        list(tf.train.summary_iterator(path))


def test_add_summary_accepts_bytes_protos_and_tensorboardx_protos(tmp_path):
    writer = tf.summary.FileWriter(str(tmp_path))
    writer.add_summary(
        tf.Summary(value=[tf.Summary.Value(tag="p", simple_value=1)]).SerializeToString(), 1
    )
    writer.add_summary(tbx_summary.scalar("tbx", 7.0), 2)  # tensorboardX's own Summary class
    with pytest.raises(TypeError, match="Summary proto"):
        writer.add_summary(tf.Event(), 3)
    writer.close()
    acc = _accumulator(tmp_path)
    assert [(s.step, s.value) for s in acc.Scalars("p")] == [(1, 1.0)]
    assert [(s.step, s.value) for s in acc.Scalars("tbx")] == [(2, 7.0)]


def test_metadata_written_with_first_value_of_a_tag_only(graph, tmp_path):
    t = tf.summary.text("t", tf.constant("x"))
    with tf.Session() as sess, tf.summary.FileWriter(str(tmp_path)) as writer:
        for step in range(2):
            writer.add_summary(sess.run(t), step)
    values = [v for e in _events(tmp_path) for v in e.summary.value]
    assert [v.HasField("metadata") for v in values] == [True, False]


def test_flush_writes_pending_events_and_close_reopen(tmp_path):
    writer = tf.summary.FileWriter(str(tmp_path), max_queue=2, flush_secs=1000)
    for step in range(7):
        writer.add_summary(tf.Summary(value=[tf.Summary.Value(tag="s", simple_value=step)]), step)
    writer.flush()
    assert [e.step for e in _events(tmp_path) if e.HasField("summary")] == list(range(7))
    writer.close()
    with pytest.warns(UserWarning, match="closed FileWriter"):
        writer.add_summary(tf.Summary(value=[tf.Summary.Value(tag="s", simple_value=99)]), 99)
    writer.reopen()
    writer.add_summary(tf.Summary(value=[tf.Summary.Value(tag="s", simple_value=8)]), 8)
    writer.close()
    assert len(_event_files(tmp_path)) == 2  # reopen starts a new file, keeping the first
    steps = [s.step for s in _accumulator(tmp_path).Scalars("s")]
    assert steps == list(range(7)) + [8]


def test_add_summary_from_threads(tmp_path):
    writer = tf.summary.FileWriter(str(tmp_path), max_queue=3)

    def add(base):
        for i in range(20):
            writer.add_summary(
                tf.Summary(value=[tf.Summary.Value(tag=f"t{base}", simple_value=i)]), i
            )

    threads = [threading.Thread(target=add, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    writer.close()
    acc = _accumulator(tmp_path)
    assert all([s.value for s in acc.Scalars(f"t{k}")] == list(range(20)) for k in range(3))


def _graph_def():
    return graph_pb2.GraphDef(
        node=[
            node_def_pb2.NodeDef(name="scope/a", op="Const", device="/device:CPU:0"),
            node_def_pb2.NodeDef(name="scope/b", op="Identity", input=["scope/a"]),
        ]
    )


def test_add_graph_def_meta_graph_and_errors(tmp_path):
    writer = tf.summary.FileWriter(str(tmp_path), graph_def=_graph_def())
    meta = meta_graph_pb2.MetaGraphDef(graph_def=_graph_def())
    meta.meta_info_def.tags.append("serve")
    writer.add_meta_graph(meta, global_step=3)
    with pytest.raises(TypeError, match="meta_graph_def must be type MetaGraphDef"):
        writer.add_meta_graph(_graph_def())
    with pytest.raises(ValueError, match="only graph, or graph_def"):
        writer.add_graph(tf.Graph(), graph_def=_graph_def())
    with pytest.raises(TypeError, match="instance of `Graph`"):
        writer.add_graph("not a graph")
    writer.close()
    acc = _accumulator(tmp_path)
    assert [(n.name, n.op, n.device) for n in acc.Graph().node] == [
        ("scope/a", "Const", "/device:CPU:0"),
        ("scope/b", "Identity", ""),
    ]
    assert list(acc.MetaGraph().meta_info_def.tags) == ["serve"]


def test_add_run_metadata_with_step_stats(tmp_path):
    metadata = tf.RunMetadata()
    device = metadata.step_stats.dev_stats.add(
        device="/job:localhost/replica:0/task:0/device:CPU:0"
    )
    device.node_stats.add(node_name="layer/MatMul", all_start_micros=5, all_end_rel_micros=7)
    writer = tf.summary.FileWriter(str(tmp_path))
    writer.add_run_metadata(metadata, "step_1", global_step=1)
    with pytest.raises(ValueError, match="already used"):
        writer.add_run_metadata(metadata, "step_1", global_step=2)
    writer.close()
    acc = _accumulator(tmp_path)
    assert acc.Tags()["run_metadata"] == ["step_1"]
    stats = acc.RunMetadata("step_1").step_stats.dev_stats[0]
    assert stats.device.endswith("CPU:0") and stats.node_stats[0].node_name == "layer/MatMul"
    tagged = [e for e in _events(tmp_path) if e.HasField("tagged_run_metadata")]
    assert [(e.step, e.tagged_run_metadata.tag) for e in tagged] == [(1, "step_1")]


def test_file_writer_cache(graph, tmp_path):
    tf.constant(1.0, name="c")
    first = tf.summary.FileWriterCache.get(str(tmp_path))
    assert tf.summary.FileWriterCache.get(str(tmp_path)) is first
    tf.summary.FileWriterCache.clear()
    assert tf.summary.FileWriterCache.get(str(tmp_path)) is not first
    tf.summary.FileWriterCache.clear()
    assert [n.name for n in _accumulator(tmp_path).Graph().node] == ["c"]


def test_add_graph_writes_op_types_attrs_devices_and_scopes(graph, tmp_path):
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    with tf.name_scope("dense"), tf.device("/cpu:0"):
        w = tf.Variable(np.ones([3, 2], np.float32), name="kernel")
        y = tf.matmul(x, w, transpose_b=False, name="MatMul")
    with tf.Session() as sess:
        writer = tf.summary.FileWriter(str(tmp_path), sess.graph)
        writer.add_graph(sess.graph, global_step=7)
        writer.close()
    acc = _accumulator(tmp_path)
    nodes = {n.name: n for n in acc.Graph().node}
    assert [n.name for n in acc.Graph().node] == [op.name for op in graph.get_operations()]
    matmul = nodes[y.op.name]
    assert (matmul.name, matmul.op) == ("dense/MatMul", "MatMul")
    assert list(matmul.input) == ["x", "dense/kernel/read"]
    assert (
        matmul.attr["transpose_b"].b is False
        and matmul.attr["T"].type == tf.float32.as_datatype_enum
    )
    assert matmul.device == "/device:CPU:0" and nodes["x"].device == ""
    assert nodes["dense/kernel"].op == "VariableV2"
    assert [d.size for d in nodes["x"].attr["_output_shapes"].list.shape[0].dim] == [-1, 3]
    assert acc.MetaGraph().graph_def == acc.Graph()  # the constructor also writes a MetaGraph
    graph_events = [e for e in _events(tmp_path) if e.HasField("graph_def")]
    assert [e.step for e in graph_events] == [0, 7]


def test_run_metadata_traced_by_a_session_run(graph, tmp_path):
    # TF1's recipe: trace one step and attach its RunMetadata to that step.
    x = tf.placeholder(tf.float32, [None])
    loss = tf.summary.scalar("loss", tf.reduce_sum(x * 2.0))
    metadata = tf.RunMetadata()
    options = tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE)
    with tf.Session() as sess, tf.summary.FileWriter(str(tmp_path), sess.graph) as writer:
        summary = sess.run(loss, {x: [1.0, 2.0]}, options=options, run_metadata=metadata)
        writer.add_run_metadata(metadata, "step5", global_step=5)
        writer.add_summary(summary, 5)
    acc = _accumulator(tmp_path)
    assert metadata.step_stats.dev_stats  # the session recorded the step
    assert acc.RunMetadata("step5") == metadata
    assert [(s.step, s.value) for s in acc.Scalars("loss")] == [(5, 6.0)]


def test_write_error_reaches_the_caller(tmp_path, monkeypatch):
    writer = tf.summary.FileWriter(str(tmp_path))

    def disk_full(event):
        raise OSError("No space left on device")

    monkeypatch.setattr(writer.event_writer._events, "write_event", disk_full)
    writer.add_summary(tf.Summary(value=[tf.Summary.Value(tag="a", simple_value=1)]), 1)
    with pytest.raises(OSError, match="No space left"):
        writer.flush()
    with pytest.raises(OSError, match="No space left"):
        writer.close()
    with pytest.warns(UserWarning, match="closed FileWriter"):
        writer.add_event(tf.Event())  # closed: a warning and no write, as TF


def test_protos_are_tensorboards_and_exported_as_tf1():
    from tensorboard.compat.proto import event_pb2, summary_pb2

    assert tf.Summary is tf.summary.Summary is summary_pb2.Summary
    assert tf.Event is tf.summary.Event is event_pb2.Event
    assert tf.SessionLog is tf.summary.SessionLog is event_pb2.SessionLog
