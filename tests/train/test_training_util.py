"""The global step: creation, lookup by collection or name, checks, and reading it."""

from __future__ import annotations

import pytest

import flowgraph as tf


@pytest.fixture
def graph():
    g = tf.Graph()
    with g.as_default():
        yield g


def test_create_global_step_builds_tf1_variable(graph):
    step = tf.train.create_global_step()
    assert step.name == "global_step:0" and step.op.type == "VariableV2"
    assert step.dtype.base_dtype == tf.int64 and step.shape.as_list() == []
    assert tf.get_collection(tf.GraphKeys.GLOBAL_STEP) == [step]
    assert tf.global_variables() == [step] and tf.trainable_variables() == []
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert tf.train.global_step(sess, step) == 0
        sess.run(tf.assign_add(step, 5))
        value = tf.train.global_step(sess, step)
    assert value == 5 and type(value) is int


def test_create_global_step_twice_is_a_value_error(graph):
    tf.train.create_global_step()
    with pytest.raises(ValueError, match='"global_step" already exists.'):
        tf.train.create_global_step()


def test_create_global_step_ignores_the_name_scope(graph):
    with tf.name_scope("outer"):
        step = tf.train.create_global_step()
    assert step.op.name == "global_step"


def test_create_global_step_is_named_by_the_variable_scope_as_tf1(graph):
    with tf.variable_scope("model"):
        step = tf.train.create_global_step()
    assert step.name == "model/global_step:0"
    assert tf.train.get_global_step() is step  # found through the GLOBAL_STEP collection


def test_create_global_step_in_another_graph(graph):
    other = tf.Graph()
    step = tf.train.create_global_step(other)
    assert step.graph is other and tf.train.get_global_step() is None
    assert tf.train.get_global_step(other) is step


def test_get_or_create_global_step_returns_the_same_variable(graph):
    step = tf.train.get_or_create_global_step()
    assert tf.train.get_or_create_global_step() is step
    assert tf.train.get_global_step() is step


def test_get_global_step_without_one_is_none(graph):
    assert tf.train.get_global_step() is None


def test_get_global_step_finds_a_tensor_by_name(graph):
    step = tf.Variable(3, trainable=False, name="global_step")
    found = tf.train.get_global_step()
    assert found.name == "global_step:0" and found.op is step.op
    with tf.Session() as sess:
        sess.run(step.initializer)
        assert tf.train.global_step(sess, "global_step:0") == 3


def test_get_global_step_with_several_in_the_collection_is_none(graph):
    for i in range(2):
        tf.add_to_collection(tf.GraphKeys.GLOBAL_STEP, tf.Variable(i, name=f"step{i}"))
    assert tf.train.get_global_step() is None


def test_non_integer_global_step_is_a_type_error(graph):
    tf.Variable(0.0, trainable=False, name="global_step")
    with pytest.raises(TypeError, match='"global_step" does not have integer type'):
        tf.train.get_global_step()


def test_assert_global_step(graph):
    tf.train.assert_global_step(tf.constant(1, tf.int64))
    tf.train.assert_global_step(tf.placeholder(tf.int32))  # unknown shape passes, as TF1
    with pytest.raises(TypeError, match="must be a Variable or Tensor"):
        tf.train.assert_global_step(3)
    with pytest.raises(TypeError, match="is not scalar"):
        tf.train.assert_global_step(tf.constant([1, 2]))
