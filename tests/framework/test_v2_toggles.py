"""TF2 behaviour switches: turning one off is accepted, turning one on is refused."""

import pytest

import flowgraph as tf

ACCEPTED = [
    "disable_eager_execution",
    "disable_v2_behavior",
    "disable_resource_variables",
    "disable_control_flow_v2",
    "disable_v2_tensorshape",
    "disable_tensor_equality",
    "enable_control_flow_v2",
]
REFUSED = [
    "enable_eager_execution",
    "enable_v2_behavior",
    "enable_resource_variables",
    "enable_v2_tensorshape",
    "enable_tensor_equality",
]


@pytest.mark.parametrize("name", ACCEPTED)
def test_turning_tf2_behaviour_off_keeps_tf1_semantics(name):
    assert getattr(tf, name)() is None
    assert getattr(tf.compat.v1, name) is getattr(tf, name)
    assert not tf.executing_eagerly()
    assert isinstance(tf.TensorShape([3])[0], tf.Dimension)  # v1 TensorShape
    a = tf.constant(1)
    assert (a == tf.constant(1)) is False and hash(a) is not None  # v1 Tensor equality


@pytest.mark.parametrize("name", REFUSED)
def test_turning_tf2_behaviour_on_is_refused(name):
    with pytest.raises(NotImplementedError, match="graph mode only"):
        getattr(tf, name)()


def test_script_preamble_then_graph_runs():
    tf.disable_v2_behavior()
    tf.disable_eager_execution()
    x = tf.placeholder(tf.float32)
    with tf.Session() as sess:
        assert sess.run(x + 1, {x: 1.0}) == 2.0


def test_queries():
    assert tf.executing_eagerly() is False
    assert tf.resource_variables_enabled() is False
    assert tf.control_flow_v2_enabled() is True
    x = tf.placeholder(tf.bool)
    out = tf.cond(x, lambda: tf.constant(1), lambda: tf.constant(2))
    assert out.op.type in ("If", "StatelessIf")  # functional control flow, as v2
