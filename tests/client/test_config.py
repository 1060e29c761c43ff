"""Tests of the session config protos (`tf.ConfigProto`, `tf.RunOptions`, `tf.RunMetadata`)."""

from __future__ import annotations

import pytest

import flowgraph as tf


@pytest.fixture(autouse=True)
def graph():
    g = tf.Graph()
    with g.as_default():
        yield g


# -- the protos themselves -------------------------------------------------------------------


def test_config_proto_fields_and_defaults():
    config = tf.ConfigProto()
    assert not config.allow_soft_placement and not config.log_device_placement
    config = tf.ConfigProto(
        allow_soft_placement=True,
        log_device_placement=True,
        intra_op_parallelism_threads=2,
        inter_op_parallelism_threads=4,
        device_count={"GPU": 0},
        gpu_options=tf.GPUOptions(allow_growth=True, per_process_gpu_memory_fraction=0.5),
        graph_options=tf.GraphOptions(
            optimizer_options=tf.OptimizerOptions(opt_level=tf.OptimizerOptions.L1)
        ),
    )
    assert config.allow_soft_placement and config.log_device_placement
    assert config.intra_op_parallelism_threads == 2
    assert config.device_count["GPU"] == 0
    assert config.gpu_options.allow_growth
    assert config.graph_options.optimizer_options.opt_level == tf.OptimizerOptions.L1


def test_config_proto_attribute_assignment():
    config = tf.ConfigProto()
    config.gpu_options.allow_growth = True
    config.allow_soft_placement = True
    assert config.gpu_options.allow_growth and config.allow_soft_placement


def test_config_proto_round_trips_through_serialisation():
    config = tf.ConfigProto(
        allow_soft_placement=True, gpu_options=tf.GPUOptions(visible_device_list="0")
    )
    parsed = tf.ConfigProto.FromString(config.SerializeToString())
    assert parsed == config
    assert parsed.gpu_options.visible_device_list == "0"


def test_config_proto_rejects_unknown_fields():
    with pytest.raises(ValueError):
        tf.ConfigProto(no_such_field=True)


def test_run_options_and_metadata():
    options = tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE, timeout_in_ms=1000)
    assert options.trace_level == tf.RunOptions.FULL_TRACE
    assert tf.RunOptions().trace_level == tf.RunOptions.NO_TRACE
    metadata = tf.RunMetadata()
    assert not metadata.HasField("step_stats")


def test_protos_are_wire_compatible_with_tensorflows():
    # tensorboard's copy of config.proto keeps TF's field numbers, so TF reads these bytes.
    numbers = {name: f.number for name, f in tf.ConfigProto.DESCRIPTOR.fields_by_name.items()}
    assert numbers["device_count"] == 1 and numbers["gpu_options"] == 6
    assert numbers["allow_soft_placement"] == 7 and numbers["log_device_placement"] == 8
    assert tf.RunOptions.DESCRIPTOR.fields_by_name["trace_level"].number == 1
    assert tf.ConfigProto(allow_soft_placement=True).SerializeToString() == b"\x38\x01"


# -- sessions accept them --------------------------------------------------------------------


def test_session_accepts_config(graph):
    c = tf.constant(2.0) * 3
    config = tf.ConfigProto(
        intra_op_parallelism_threads=1, gpu_options=tf.GPUOptions(allow_growth=True)
    )
    with tf.Session(graph=graph, config=config) as sess:
        assert sess.run(c) == 6.0


@pytest.mark.parametrize(
    "config", [{}, {"allow_soft_placement": True}, "config", 1, tf.RunOptions()]
)
def test_session_rejects_wrong_config_type(graph, config):
    with pytest.raises(TypeError, match="ConfigProto"):
        tf.Session(graph=graph, config=config)


def test_interactive_session_accepts_and_checks_config(graph):
    sess = tf.InteractiveSession(config=tf.ConfigProto(allow_soft_placement=True))
    sess.close()
    with pytest.raises(TypeError, match="ConfigProto"):
        tf.InteractiveSession(config={})
    assert tf.get_default_session() is None


def test_run_accepts_options_and_metadata(graph):
    x = tf.placeholder(tf.float32, [])
    y = x + 1
    with tf.Session(graph=graph) as sess:
        metadata = tf.RunMetadata()
        options = tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE)
        assert sess.run(y, {x: 1.0}, options=options, run_metadata=metadata) == 2.0
        assert sess.run(y, feed_dict={x: 2.0}, options=tf.RunOptions()) == 3.0
