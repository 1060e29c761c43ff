"""Tests for flowgraph.framework.scopes: `tf.name_scope` and friends on the default graph."""

import pytest

import flowgraph as tf


@pytest.fixture
def g():
    graph = tf.Graph()
    with graph.as_default():
        yield graph


# ---------------------------------------------------------------------------------------
# tf.name_scope


def test_name_scope_nests(g):
    with tf.name_scope("a") as a:
        with tf.name_scope("b") as b:
            c = tf.constant(1.0, name="c")
    assert (a, b, c.op.name) == ("a/", "a/b/", "a/b/c")
    assert tf.constant(1.0).op.name == "Const"


def test_name_scope_reopened_is_made_unique(g):
    with tf.name_scope("a") as first:
        pass
    with tf.name_scope("a") as second:
        x = tf.constant(1.0)
    assert (first, second, x.op.name) == ("a/", "a_1/", "a_1/Const")


def test_name_scope_default_name(g):
    with tf.name_scope(None, "layer") as first:
        pass
    with tf.name_scope(None, "layer") as second:
        pass
    with tf.name_scope("given", "layer") as given:
        pass
    assert (first, second, given) == ("layer/", "layer_1/", "given/")


def test_name_scope_absolute_and_reset(g):
    with tf.name_scope("outer") as outer:
        with tf.name_scope("x"):
            with tf.name_scope(outer) as again:
                assert tf.constant(1.0).op.name == "outer/Const"
            with tf.name_scope(None) as top:
                assert tf.constant(1.0).op.name == "Const"
    assert (again, top) == ("outer/", "")


def test_name_scope_needs_a_name_when_values_are_given(g):
    x = tf.constant(1.0)
    with pytest.raises(ValueError, match=r"At least one of name \(None\) and default_name"):
        with tf.name_scope(None, None, [x]):
            pass


def test_name_scope_invalid_name(g):
    with pytest.raises(ValueError, match="not a valid scope name"):
        with tf.name_scope("bad name"):
            pass
    assert g.get_name_scope() == ""


def test_name_scope_enters_the_graph_of_its_values(g):
    other = tf.Graph()
    with other.as_default():
        y = tf.constant(1.0)
    with tf.name_scope("s", values=[y]) as scope:
        assert tf.get_default_graph() is other
        z = tf.identity(y)
    assert tf.get_default_graph() is g
    assert scope == "s/" and z.op.name == "s/Identity" and z.graph is other
    assert g.get_operations() == []


def test_name_scope_values_from_two_graphs(g):
    a = tf.constant(1.0)
    with tf.Graph().as_default():
        b = tf.constant(1.0)
    with pytest.raises(ValueError, match="must be from the same graph"):
        with tf.name_scope("s", values=[a, b]):
            pass


def test_name_scope_ignores_plain_values(g):
    with tf.name_scope("s", values=[1.0, "x", None]) as scope:
        assert tf.get_default_graph() is g
    assert scope == "s/"


def test_name_scope_does_not_push_the_default_graph():
    tf.reset_default_graph()
    with tf.name_scope("a"):
        tf.reset_default_graph()  # allowed in TF1: no `as_default` block is open
    assert tf.get_default_graph().get_operations() == []


def test_name_scope_restored_after_an_exception(g):
    with pytest.raises(ZeroDivisionError):
        with tf.name_scope("a"):
            raise ZeroDivisionError
    assert g.get_name_scope() == ""
    assert tf.constant(1.0).op.name == "Const"


# ---------------------------------------------------------------------------------------
# tf.control_dependencies and tf.device


def test_control_dependencies_on_the_default_graph(g):
    a = tf.constant(1.0)
    with tf.control_dependencies([a]):
        b = tf.constant(2.0)
        with tf.control_dependencies(None):
            c = tf.constant(3.0)
    assert b.op.control_inputs == [a.op]
    assert c.op.control_inputs == []


def test_device_on_the_default_graph(g):
    with tf.device("/job:ps/task:0"):
        with tf.device("/gpu:1"):
            a = tf.constant(1.0)
        with tf.device(None):
            b = tf.constant(1.0)
    assert a.op.device == "/job:ps/task:0/device:GPU:1"
    assert b.op.device == ""


# ---------------------------------------------------------------------------------------
# Collections on the default graph


def test_module_level_collections(g):
    tf.add_to_collection("c", 1)
    tf.add_to_collections(["c", "d"], 2)
    assert tf.get_collection("c") == [1, 2]
    assert g.get_collection("d") == [2]
    ref = tf.get_collection_ref("c")
    ref.append(3)
    assert tf.get_collection("c") == [1, 2, 3]
    copy = tf.get_collection("c")
    copy.clear()
    assert g.get_collection("c") == [1, 2, 3]


def test_module_level_get_collection_scope(g):
    with tf.name_scope("tower_0"):
        a = tf.constant(1.0, name="loss")
    with tf.name_scope("tower_1"):
        b = tf.constant(1.0, name="loss")
    tf.add_to_collection(tf.GraphKeys.LOSSES, a)
    tf.add_to_collection(tf.GraphKeys.LOSSES, b)
    assert tf.get_collection(tf.GraphKeys.LOSSES, scope="tower_1") == [b]
    assert tf.get_collection("losses", "tower_") == [a, b]
    assert tf.get_collection(tf.GraphKeys.UPDATE_OPS) == []


def test_collections_follow_the_default_graph(g):
    tf.add_to_collection("k", "in g")
    with tf.Graph().as_default():
        assert tf.get_collection("k") == []
    assert tf.get_collection("k") == ["in g"]
