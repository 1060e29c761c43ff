"""Tests of the session config protos (`tf.ConfigProto`, `tf.RunOptions`, `tf.RunMetadata`)."""

from __future__ import annotations

import os
import subprocess
import sys

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


# -- device_count: how many CPU devices jax starts ---------------------------------------------

_DEVICE_COUNT_SCRIPT = """
import warnings
import jax
import flowgraph as tf
if {started}:
    jax.numpy.zeros(1).block_until_ready()  # something else started jax's backends first
x = tf.constant([1.0, 2.0])
outs = []
for i in range(3):
    with tf.device("/cpu:%d" % i):
        outs.append(tf.reduce_sum(x * (i + 1)))
config = tf.ConfigProto(device_count={{"CPU": 3}}, allow_soft_placement={started})
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    for _ in range(2):
        with tf.Session(config=config) as sess:
            print(sess.run(outs), len(sess.list_devices()))
print(len(caught), caught[0].message if caught else "")
"""


def _run_device_count_script(started: bool) -> list[str]:
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, PYTHONPATH=root, JAX_PLATFORMS="cpu")
    env.pop("XLA_FLAGS", None)  # the suite's 4 forced devices must not hide the effect
    out = subprocess.run(
        [sys.executable, "-c", _DEVICE_COUNT_SCRIPT.format(started=started)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip().splitlines()


def test_device_count_cpu_starts_that_many_cpu_devices():
    lines = _run_device_count_script(started=False)
    assert lines[:2] == ["[np.float32(3.0), np.float32(6.0), np.float32(9.0)] 3"] * 2
    assert lines[2] == "0"  # no warning


def test_device_count_after_jax_started_warns_once_and_says_why():
    lines = _run_device_count_script(started=True)
    assert lines[0].endswith(" 1")  # the one CPU jax started with; soft placement
    count, message = lines[2].split(" ", 1)
    assert count == "1"
    assert "device_count={'CPU': 3} cannot be applied: jax has already started" in message
    assert "--xla_force_host_platform_device_count=3" in message
