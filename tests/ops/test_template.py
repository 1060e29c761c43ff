"""`tf.make_template`: variables made by the first call, shared by the later ones (as TF)."""

import numpy as np
import pytest

import flowgraph as tf


@pytest.fixture(autouse=True)
def fresh_graph():
    with tf.Graph().as_default() as graph:
        yield graph


def scale_by_y(x, factor=1.0):
    y = tf.get_variable("y", shape=[1], initializer=tf.ones_initializer())
    return x * y * factor


def test_calls_share_variables_and_names_follow_tf():
    x = tf.constant([2.0])
    template = tf.make_template("scale_by_y", scale_by_y, factor=3.0)
    assert template.variable_scope is None and template.name == "scale_by_y"
    z1, z2 = template(x), template(x)
    other = tf.make_template("scale_by_y", scale_by_y)(x)
    # Names as TF 2.21's compat.v1 gives them.
    assert (z1.name, z2.name, other.name) == (
        "scale_by_y/mul_1:0", "scale_by_y_1/mul_1:0", "scale_by_y_2/mul_1:0",
    )  # fmt: skip
    assert template.variable_scope_name == "scale_by_y/"
    assert [v.name for v in template.variables] == ["scale_by_y/y:0"]
    assert template.trainable_variables == template.variables
    assert [v.name for v in tf.global_variables()] == ["scale_by_y/y:0", "scale_by_y_1/y:0"]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(tf.assign(template.variables[0], [2.0]))
        np.testing.assert_allclose(sess.run([z1, z2, other]), [[12.0], [12.0], [2.0]])


def test_create_scope_now_and_nesting():
    x = tf.constant([1.0])
    now = tf.make_template("now", scale_by_y, create_scope_now_=True)
    assert now.variable_scope_name == "now/"
    assert now(x).name == "now/mul_1:0"
    with tf.variable_scope("outer"):
        inner = tf.make_template("inner", scale_by_y, unique_name_="given")
        assert inner(x).name == "outer/given/mul_1:0"
    assert inner.variable_scope_name == "outer/given/"


def test_a_trainable_variable_made_by_a_later_call_is_an_error():
    template = tf.make_template("bad", lambda x: x * tf.Variable(1.0, name="v"))
    template(tf.constant(1.0))
    with pytest.raises(ValueError, match="Trainable variable created when calling a template"):
        template(tf.constant(1.0))


def test_name_is_required():
    with pytest.raises(ValueError, match="name cannot be None"):
        tf.make_template(None, scale_by_y)
