"""Tests for flowgraph.framework.ops: Graph, Operation and Tensor with TF1's names and rules."""

import inspect
import operator
import os
import threading

import numpy as np
import pytest

import flowgraph as tf

HERE = os.path.abspath(__file__)


def _line() -> int:
    """The caller's line number (to check that ops and errors cite it)."""
    return inspect.currentframe().f_back.f_lineno


@pytest.fixture
def g():
    graph = tf.Graph()
    with graph.as_default():
        yield graph


def _run(fetches, feed_dict=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed_dict)


# ---------------------------------------------------------------------------------------
# The default graph


def test_as_default_nests_and_restores():
    g1, g2 = tf.Graph(), tf.Graph()
    outer = tf.get_default_graph()
    with g1.as_default() as entered:
        assert entered is g1
        assert tf.get_default_graph() is g1
        with g2.as_default():
            assert tf.get_default_graph() is g2
            assert tf.constant(1.0).graph is g2
        assert tf.get_default_graph() is g1
        assert tf.constant(1.0).graph is g1
    assert tf.get_default_graph() is outer
    assert g1.version == 1 and g2.version == 1


def test_as_default_is_restored_after_an_exception():
    g1 = tf.Graph()
    outer = tf.get_default_graph()
    with pytest.raises(ZeroDivisionError):
        with g1.as_default():
            raise ZeroDivisionError
    assert tf.get_default_graph() is outer


def test_default_graph_stack_is_thread_local():
    g1 = tf.Graph()
    seen = []
    with g1.as_default():
        t = threading.Thread(target=lambda: seen.append(tf.get_default_graph()))
        t.start()
        t.join()
        assert tf.get_default_graph() is g1
    assert seen[0] is not g1


def test_reset_default_graph_makes_a_new_global_graph():
    tf.reset_default_graph()
    before = tf.get_default_graph()
    assert tf.get_default_graph() is before
    tf.constant(1.0)
    tf.reset_default_graph()
    after = tf.get_default_graph()
    assert after is not before
    assert after.get_operations() == []
    assert tf.constant(1.0).op.name == "Const"


def test_reset_default_graph_inside_as_default_is_an_assertion_error():
    with tf.Graph().as_default():
        with pytest.raises(AssertionError, match="Do not use tf.reset_default_graph"):
            tf.reset_default_graph()


# ---------------------------------------------------------------------------------------
# Op names


def test_op_names_are_made_unique(g):
    names = [tf.constant(1.0).op.name for _ in range(3)]
    assert names == ["Const", "Const_1", "Const_2"]
    a, b = tf.constant(1.0), tf.constant(2.0)
    # "Add" clashes with "add" (names are compared case-insensitively).
    names = [(a + b).op.name, (a + b).op.name, tf.add(a, b).op.name]
    assert names == ["add", "add_1", "Add_2"]


def test_explicit_name_reuse_gets_a_suffix(g):
    assert tf.constant(1, name="x").op.name == "x"
    assert tf.constant(1, name="x").op.name == "x_1"
    assert tf.constant(1, name="x_1").op.name == "x_1_1"
    assert tf.constant(1, name="x").op.name == "x_2"


def test_unique_name_rules(g):
    assert g.unique_name("foo") == "foo"
    assert g.unique_name("foo") == "foo_1"
    # A name someone asked for explicitly is skipped when counting up.
    assert g.unique_name("bar_1") == "bar_1"
    assert g.unique_name("bar") == "bar"
    assert g.unique_name("bar") == "bar_2"
    # mark_as_used=False only peeks.
    assert g.unique_name("baz", mark_as_used=False) == "baz"
    assert g.unique_name("baz", mark_as_used=False) == "baz"
    assert g.unique_name("baz") == "baz"
    assert g.unique_name("baz", mark_as_used=False) == "baz_1"
    with g.name_scope("s"):
        assert g.unique_name("foo") == "s/foo"


def test_unique_name_is_case_insensitive_and_keeps_the_given_case(g):
    assert g.unique_name("Foo") == "Foo"
    assert g.unique_name("foo") == "foo_1"
    assert g.unique_name("FOO") == "FOO_2"
    assert tf.constant(1, name="Weights").op.name == "Weights"
    assert tf.constant(1, name="weights").op.name == "weights_1"


def test_a_name_ending_in_slash_is_used_exactly(g):
    with g.name_scope("scope") as scope:
        pass
    assert tf.constant(1.0, name=scope).op.name == "scope"
    tf.constant(1.0, name="dup/")
    with pytest.raises(ValueError, match="Duplicate node name in graph: 'dup'"):
        tf.constant(1.0, name="dup/")


@pytest.mark.parametrize("name", ["a b", "_x", "-x", "/x", "x!", "a\\b", "é"])
def test_invalid_op_names_are_value_errors(g, name):
    with pytest.raises(ValueError, match="is not a valid"):
        tf.constant(1.0, name=name)


def test_names_allowed_in_nested_scopes_only(g):
    with pytest.raises(ValueError, match="'_a' is not a valid scope name"):
        with g.name_scope("_a"):
            pass
    with g.name_scope("outer"):
        with g.name_scope("_inner") as scope:
            assert scope == "outer/_inner/"
            assert tf.constant(1.0).op.name == "outer/_inner/Const"
        assert tf.constant(1.0, name="_c").op.name == "outer/_c"
        with pytest.raises(ValueError, match="is not a valid scope name"):
            with g.name_scope("a b"):
                pass


def test_valid_unusual_names(g):
    assert tf.constant(1.0, name="a.b-c>d").op.name == "a.b-c>d"
    assert tf.constant(1.0, name="9lives").op.name == "9lives"
    assert tf.constant(1.0, name=".hidden").op.name == ".hidden"


# ---------------------------------------------------------------------------------------
# Graph.name_scope


def test_nested_name_scopes(g):
    with g.name_scope("a") as a:
        assert a == "a/"
        assert g.get_name_scope() == "a"
        with g.name_scope("b") as b:
            assert b == "a/b/"
            assert tf.constant(1.0).op.name == "a/b/Const"
            assert tf.constant(1.0, name="c").op.name == "a/b/c"
        assert tf.constant(1.0).op.name == "a/Const"
    assert g.get_name_scope() == ""
    assert tf.constant(1.0).op.name == "Const"


def test_reopening_a_scope_makes_it_unique(g):
    with g.name_scope("a") as first:
        pass
    with g.name_scope("a") as second:
        assert tf.constant(1.0).op.name == "a_1/Const"
    with g.name_scope("A") as third:
        pass
    assert (first, second, third) == ("a/", "a_1/", "A_2/")


def test_a_scope_name_collides_with_an_op_name(g):
    tf.constant(1.0, name="layer")
    with g.name_scope("layer") as scope:
        assert scope == "layer_1/"


def test_absolute_scope_reenters_exactly(g):
    with g.name_scope("a") as a:
        tf.constant(1.0)
    with g.name_scope("x"):
        with g.name_scope(a) as again:
            assert again == "a/"
            assert tf.constant(1.0).op.name == "a/Const_1"
        with g.name_scope("a/b/") as deep:
            assert deep == "a/b/"
            assert tf.constant(1.0).op.name == "a/b/Const"


@pytest.mark.parametrize("reset", [None, ""])
def test_none_and_empty_scope_reset_to_the_top(g, reset):
    with g.name_scope("a"):
        with g.name_scope(reset) as scope:
            assert scope == ""
            assert g.get_name_scope() == ""
            assert tf.constant(1.0).op.name == "Const"
        assert tf.constant(1.0).op.name == "a/Const"


def test_name_scope_is_restored_after_an_exception(g):
    with pytest.raises(KeyError):
        with g.name_scope("a"):
            raise KeyError("x")
    assert g.get_name_scope() == ""
    assert tf.constant(1.0).op.name == "Const"


def test_name_scope_is_thread_local(g):
    seen = []

    def build():
        with g.as_default():
            seen.append(tf.constant(1.0, name="t").op.name)

    with g.name_scope("main"):
        t = threading.Thread(target=build)
        t.start()
        t.join()
    assert seen == ["t"]


# ---------------------------------------------------------------------------------------
# Finding ops and tensors


def test_get_operations_in_creation_order(g):
    assert g.get_operations() == []
    a = tf.constant(1.0, name="z")
    b = tf.constant(2.0, name="a")
    c = a + b
    assert g.get_operations() == [a.op, b.op, c.op]
    g.get_operations().clear()
    assert len(g.get_operations()) == 3


def test_get_operation_and_tensor_by_name(g):
    with g.name_scope("s"):
        x = tf.constant([1.0, 2.0], name="x")
    assert g.get_operation_by_name("s/x") is x.op
    assert g.get_tensor_by_name("s/x:0") is x


def test_get_tensor_by_name_errors(g):
    tf.constant(1.0, name="x")
    with pytest.raises(ValueError, match="refers to an Operation, not a Tensor"):
        g.get_tensor_by_name("x")
    with pytest.raises(ValueError, match="looks like an \\(invalid\\) Operation name"):
        g.get_tensor_by_name("nope")
    with pytest.raises(KeyError, match="The operation, 'y', does not exist in the graph"):
        g.get_tensor_by_name("y:0")
    with pytest.raises(KeyError, match="exists but only has 1 outputs"):
        g.get_tensor_by_name("x:1")
    with pytest.raises(ValueError, match="looks a like a Tensor name, but is not a valid one"):
        g.get_tensor_by_name("x:zero")
    with pytest.raises(TypeError, match="Tensor names are strings"):
        g.get_tensor_by_name(0)


def test_get_operation_by_name_errors(g):
    tf.constant(1.0, name="x")
    with pytest.raises(ValueError, match="appears to refer to a Tensor, not a Operation"):
        g.get_operation_by_name("x:0")
    with pytest.raises(KeyError, match="refers to an Operation not in the graph"):
        g.get_operation_by_name("missing")
    with pytest.raises(TypeError, match="Operation names are strings"):
        g.get_operation_by_name(None)


def test_as_graph_element(g):
    x = tf.constant(1.0, name="x")
    assert g.as_graph_element(x) is x
    assert g.as_graph_element(x.op) is x.op
    assert g.as_graph_element("x") is x.op
    assert g.as_graph_element("x:0") is x
    with pytest.raises(TypeError, match="Can not convert a int into a Tensor or Operation"):
        g.as_graph_element(3)
    with pytest.raises(TypeError, match="into a Tensor"):
        g.as_graph_element(x.op, allow_operation=False)
    with tf.Graph().as_default():
        other = tf.constant(1.0)
    with pytest.raises(ValueError, match="is not an element of this graph"):
        g.as_graph_element(other)
    with pytest.raises(ValueError, match="is not an element of this graph"):
        g.as_graph_element(other.op)


def test_as_graph_element_uses_the_conversion_hook(g):
    x = tf.constant(1.0)

    class Wrapper:
        def _as_graph_element(self):
            return x

    assert g.as_graph_element(Wrapper()) is x


# ---------------------------------------------------------------------------------------
# Collections


def test_graph_keys_have_tf_values():
    keys = tf.GraphKeys
    assert keys.GLOBAL_VARIABLES == "variables"
    assert keys.VARIABLES == "variables"
    assert keys.LOCAL_VARIABLES == "local_variables"
    assert keys.TRAINABLE_VARIABLES == "trainable_variables"
    assert keys.SUMMARIES == "summaries"
    assert keys.QUEUE_RUNNERS == "queue_runners"
    assert keys.UPDATE_OPS == "update_ops"
    assert keys.LOSSES == "losses"
    assert keys.REGULARIZATION_LOSSES == "regularization_losses"
    assert keys.GLOBAL_STEP == "global_step"
    assert keys.TABLE_INITIALIZERS == "table_initializer"
    assert keys.MODEL_VARIABLES == "model_variables"
    assert keys.SAVERS == "savers"
    assert keys.INIT_OP == "init_op"
    assert keys.TRAIN_OP == "train_op"


def test_add_and_get_collection(g):
    assert g.get_collection("things") == []
    g.add_to_collection("things", 1)
    g.add_to_collection("things", "two")
    got = g.get_collection("things")
    assert got == [1, "two"]
    got.append(3)  # a copy: the collection is unchanged
    assert g.get_collection("things") == [1, "two"]


def test_get_collection_ref_is_live(g):
    ref = g.get_collection_ref("live")
    assert ref == [] and "live" in g.get_all_collection_keys()
    ref.append("a")
    g.add_to_collection("live", "b")
    assert g.get_collection("live") == ["a", "b"]
    assert g.get_collection_ref("live") is ref
    assert ref == ["a", "b"]


def test_get_collection_filters_by_scope_regex_on_names(g):
    with g.name_scope("enc"):
        a = tf.constant(1.0, name="w")
    with g.name_scope("dec"):
        b = tf.constant(1.0, name="w")
    c = tf.constant(1.0, name="encoder_bias")
    for item in (a, b, "no name attr", c):
        g.add_to_collection("ws", item)
    assert g.get_collection("ws", scope="enc") == [a, c]  # re.match: a prefix
    assert g.get_collection("ws", scope="enc/") == [a]
    assert g.get_collection("ws", scope="dec|enc/") == [a, b]
    assert g.get_collection("ws", scope=".*w:0") == [a, b]
    assert g.get_collection("ws", scope="w") == []  # matched at the start only
    assert len(g.get_collection("ws")) == 4


def test_add_to_collections(g):
    g.add_to_collections(["a", "b", "a"], "v")
    g.add_to_collections("c", "w")
    assert g.get_collection("a") == ["v"]
    assert g.get_collection("b") == ["v"]
    assert g.get_collection("c") == ["w"]


def test_collection_keys_and_clear(g):
    g.add_to_collection("k1", 1)
    g.add_to_collection(tf.GraphKeys.LOSSES, 2)
    g.add_to_collection(("not", "a", "string"), 3)
    assert sorted(g.get_all_collection_keys()) == ["k1", "losses"]
    g.clear_collection("k1")
    assert g.get_collection("k1") == []
    assert g.get_all_collection_keys() == ["losses"]
    g.clear_collection("never-there")


def test_collections_belong_to_their_graph(g):
    g.add_to_collection("c", 1)
    assert tf.Graph().get_collection("c") == []


# ---------------------------------------------------------------------------------------
# Control dependencies


def test_ops_created_inside_get_the_control_inputs(g):
    a, b = tf.constant(1.0), tf.constant(2.0)
    with g.control_dependencies([a.op, b]):
        c = tf.constant(3.0)
        d = tf.identity(a)
    e = tf.constant(4.0)
    assert c.op.control_inputs == [a.op, b.op]
    assert d.op.control_inputs == [b.op]  # a is already a data input
    assert e.op.control_inputs == []


def test_control_dependencies_nest_and_accumulate(g):
    a, b = tf.constant(1.0), tf.constant(2.0)
    with g.control_dependencies([a]):
        with g.control_dependencies([b, a]):  # a is not repeated
            c = tf.constant(3.0)
        d = tf.constant(4.0)
    assert c.op.control_inputs == [a.op, b.op]
    assert d.op.control_inputs == [a.op]


def test_control_dependencies_none_clears(g):
    a, b = tf.constant(1.0), tf.constant(2.0)
    with g.control_dependencies([a]):
        with g.control_dependencies(None):
            c = tf.constant(3.0)
            with g.control_dependencies([b]):
                d = tf.constant(4.0)
        e = tf.constant(5.0)
    assert c.op.control_inputs == []
    assert d.op.control_inputs == [b.op]
    assert e.op.control_inputs == [a.op]


def test_input_created_inside_the_block_makes_the_control_input_redundant(g):
    a = tf.constant(1.0)
    with g.control_dependencies([a]):
        b = tf.constant(2.0)
        c = b * 2.0  # its input b already depends on a
        d = tf.constant(3.0) + tf.constant(4.0)
    assert b.op.control_inputs == [a.op]
    assert c.op.control_inputs == []
    assert d.op.control_inputs == []


def test_domination_is_per_block(g):
    a, b = tf.constant(1.0), tf.constant(2.0)
    with g.control_dependencies([a]):
        x = tf.constant(3.0)
        with g.control_dependencies([b]):
            y = tf.identity(x)  # dominated for a's block, not for b's
    assert y.op.control_inputs == [b.op]


def test_control_dependencies_bad_inputs(g):
    with pytest.raises(TypeError, match="Can not convert a float into a Tensor or Operation"):
        with g.control_dependencies([1.0]):
            pass
    with tf.Graph().as_default():
        other = tf.constant(1.0)
    with pytest.raises(ValueError, match="not an element of this graph"):
        with g.control_dependencies([other]):
            pass


def test_control_dependencies_accept_op_names(g):
    a = tf.constant(1.0, name="a")
    with g.control_dependencies(["a"]):
        b = tf.constant(2.0)
    assert b.op.control_inputs == [a.op]


def test_control_dependencies_order_execution(g):
    a = tf.constant(1.0)
    with g.control_dependencies([a]):
        noop = tf.no_op(name="after_a")
    assert noop.control_inputs == [a.op]
    assert noop.node_def.input == ["^Const"]
    assert _run([noop, a])[1] == 1.0


# ---------------------------------------------------------------------------------------
# Devices


def test_device_scope_sets_the_canonical_device(g):
    with g.device("/cpu:0"):
        a = tf.constant(1.0)
    b = tf.constant(1.0)
    assert a.op.device == "/device:CPU:0"
    assert a.device == "/device:CPU:0"
    assert b.op.device == ""


@pytest.mark.parametrize(
    "outer, inner, expected",
    [
        ("/job:ps", "/cpu:0", "/job:ps/device:CPU:0"),
        ("/job:ps/task:1/gpu:0", "/cpu:0", "/job:ps/task:1/device:CPU:0"),
        ("/job:ps", "/job:worker/gpu:1", "/job:worker/device:GPU:1"),
        ("/job:worker/replica:2", "/task:3", "/job:worker/replica:2/task:3"),
        ("/cpu:0", "", "/device:CPU:0"),
        ("/device:GPU:1", "/device:CPU:0", "/device:CPU:0"),
    ],
)
def test_nested_device_specs_merge_inner_wins(g, outer, inner, expected):
    with g.device(outer):
        with g.device(inner):
            a = tf.constant(1.0)
        b = tf.constant(1.0)
    assert a.op.device == expected
    assert b.op.device == tf.DeviceSpec.from_string(outer).to_string()


def test_device_function(g):
    def by_type(op):
        return "/gpu:0" if op.type == "MatMul" else "/cpu:0"

    with g.device(by_type):
        x = tf.constant([[1.0]])
        y = tf.matmul(x, x)
    assert x.op.device == "/device:CPU:0"
    assert y.op.device == "/device:GPU:0"


def test_device_function_sees_inner_scopes_and_merges_with_outer(g):
    seen = []

    def record(op):
        seen.append(op.device)
        return op.device

    with g.device("/job:worker"):
        with g.device(lambda op: tf.DeviceSpec(device_type="CPU", device_index=1)):
            a = tf.constant(1.0)
    with g.device(record):
        with g.device("/gpu:0"):
            b = tf.constant(1.0)
    assert a.op.device == "/job:worker/device:CPU:1"
    assert seen == ["/device:GPU:0"]
    assert b.op.device == "/device:GPU:0"


def test_device_none_clears_enclosing_scopes(g):
    with g.device("/job:ps/cpu:0"):
        with g.device(None):
            a = tf.constant(1.0)
            with g.device("/gpu:0"):
                b = tf.constant(1.0)
        c = tf.constant(1.0)
    assert a.op.device == ""
    assert b.op.device == "/device:GPU:0"
    assert c.op.device == "/job:ps/device:CPU:0"


def test_device_spec_scope_and_api(g):
    spec = tf.DeviceSpec(job="ps", task=0, device_type="CPU", device_index=0)
    assert spec.to_string() == "/job:ps/task:0/device:CPU:0"
    with g.device(spec):
        a = tf.constant(1.0)
    assert a.op.device == "/job:ps/task:0/device:CPU:0"
    parsed = tf.DeviceSpec.from_string("/job:worker/replica:0/task:2/gpu:3")
    assert (parsed.job, parsed.replica, parsed.task) == ("worker", 0, 2)
    assert (parsed.device_type, parsed.device_index) == ("GPU", 3)
    assert tf.DeviceSpec.from_string("/cpu:*").to_string() == "/device:CPU:*"
    with pytest.raises(ValueError):
        tf.DeviceSpec.from_string("/foo:1")


def test_device_scope_is_restored_after_an_exception(g):
    with pytest.raises(RuntimeError):
        with g.device("/cpu:0"):
            raise RuntimeError
    assert tf.constant(1.0).op.device == ""


def test_device_and_control_scopes_are_thread_local(g):
    a = tf.constant(1.0)
    seen = []

    def build():
        with g.as_default():
            seen.append(tf.constant(2.0).op)

    with g.device("/cpu:0"), g.control_dependencies([a]):
        t = threading.Thread(target=build)
        t.start()
        t.join()
        assert tf.constant(3.0).op.device == "/device:CPU:0"
    assert (seen[0].device, seen[0].control_inputs) == ("", [])


# ---------------------------------------------------------------------------------------
# finalize and version


def test_finalize(g):
    tf.constant(1.0)
    assert not g.finalized
    g.finalize()
    assert g.finalized
    with pytest.raises(RuntimeError, match="Graph is finalized and cannot be modified."):
        tf.constant(2.0)
    with pytest.raises(RuntimeError, match="Graph is finalized and cannot be modified."):
        g.add_to_collection("c", 1)
    assert g.version == 1
    assert [op.name for op in g.get_operations()] == ["Const"]


def test_finalized_graph_still_runs(g):
    x = tf.constant(2.0) * 3.0
    g.finalize()
    assert _run(x) == 6.0


def test_version_counts_ops(g):
    assert g.version == 0
    a = tf.constant(1.0)
    assert g.version == 1
    a + a
    assert g.version == 2
    a + 1.0  # a Const for 1.0 and the add
    assert g.version == 4
    with tf.Graph().as_default():
        tf.constant(1.0)
    assert g.version == 4


# ---------------------------------------------------------------------------------------
# Operation


def test_operation_properties(g):
    a = tf.constant([[1.0, 2.0]], name="a")
    b = tf.constant([[3.0], [4.0]], name="b")
    c = tf.constant(0.0, name="c")
    with g.control_dependencies([c]), g.device("/cpu:0"):
        m = tf.matmul(a, b, name="m")
    op = m.op
    assert isinstance(op, tf.Operation)
    assert (op.name, op.type, op.device) == ("m", "MatMul", "/device:CPU:0")
    assert op.graph is g
    assert list(op.inputs) == [a, b] and len(op.inputs) == 2 and op.inputs[1] is b
    assert op.control_inputs == [c.op]
    assert op.outputs == [m] and op.values() == (m,)
    assert len(a.op.inputs) == 0
    assert repr(op) == "<tf.Operation 'm' type=MatMul>"


def test_operation_with_no_outputs(g):
    op = tf.no_op(name="nothing")
    assert isinstance(op, tf.Operation)
    assert (op.name, op.type, op.outputs, op.values()) == ("nothing", "NoOp", [], ())


def test_traceback_cites_the_creating_line(g):
    line = _line() + 1
    y = tf.constant(1.0) * 2.0
    filename, lineno, function, text = y.op.traceback[-1]
    assert (filename, lineno, function) == (HERE, line, "test_traceback_cites_the_creating_line")
    assert text == "y = tf.constant(1.0) * 2.0"
    assert all("flowgraph" + os.sep not in f for f, *_ in y.op.traceback)


def test_traceback_of_an_op_built_in_a_helper(g):
    def layer(x):
        return tf.identity(x, name="inner")

    line = _line() + 1
    out = layer(tf.constant(1.0))
    frames = out.op.traceback
    assert frames[-1][2] == "layer" and frames[-1][3] == 'return tf.identity(x, name="inner")'
    assert frames[-2][:3] == (HERE, line, "test_traceback_of_an_op_built_in_a_helper")


def test_get_attr(g):
    x = tf.constant([1, 2], dtype=tf.int64, name="x")
    y = x + x
    m = tf.matmul(tf.constant([[1.0]]), tf.constant([[2.0]]), transpose_b=True)
    assert x.op.get_attr("dtype") == tf.int64
    assert isinstance(x.op.get_attr("dtype"), tf.DType)
    np.testing.assert_array_equal(x.op.get_attr("value"), [1, 2])
    assert y.op.get_attr("T") == tf.int64
    assert isinstance(y.op.get_attr("T"), tf.DType)
    assert m.op.get_attr("transpose_b") is True
    assert m.op.get_attr("transpose_a") is False
    assert tf.cast(x, tf.float32).op.get_attr("DstT") == tf.float32
    with pytest.raises(ValueError, match="no_such_attr"):
        y.op.get_attr("no_such_attr")


def test_node_def(g):
    a = tf.constant(1.0, name="a")
    b = tf.constant(2.0, name="b")
    with g.control_dependencies([b]), g.device("/job:ps/cpu:0"):
        s = tf.add(a, a, name="s")
    nd = s.op.node_def
    assert nd.name == "s"
    assert nd.op == "Add"
    assert nd.input == ["a", "a", "^b"]
    assert nd.device == "/job:ps/device:CPU:0"
    assert dict(nd.attr) == {"T": tf.AttrValue(type=tf.float32.as_datatype_enum)}
    assert a.op.node_def.input == [] and a.op.node_def.device == ""
    assert a.op.node_def.attr["dtype"].type == tf.float32.as_datatype_enum


def test_operation_run(g):
    noop = tf.no_op()
    with pytest.raises(ValueError, match="Cannot execute operation using `run\\(\\)`: No default"):
        noop.run()
    with tf.Session() as sess:
        assert noop.run() is None
        assert noop.run(session=sess) is None
    sess = tf.Session()
    with sess.as_default():
        noop.run()
    with tf.Graph().as_default():
        tf.constant(0.0)
        other = tf.Session()
    with pytest.raises(ValueError, match="the given session to execute operation"):
        noop.run(session=other)
    with other.as_default():
        with pytest.raises(ValueError, match="the default session to execute operation"):
            noop.run()


# ---------------------------------------------------------------------------------------
# Tensor: properties


def test_tensor_properties(g):
    a = tf.constant([[1, 2, 3]], name="a")
    assert isinstance(a, tf.Tensor)
    assert a.name == "a:0"
    assert a.dtype == tf.int32
    assert a.shape == tf.TensorShape([1, 3])
    assert a.get_shape().as_list() == [1, 3]
    assert a.graph is g
    assert a.op.name == "a" and a.op.outputs[0] is a
    assert a.value_index == 0
    assert str(a) == 'Tensor("a:0", shape=(1, 3), dtype=int32)'


def test_consumers(g):
    a = tf.constant(1.0)
    assert a.consumers() == []
    b = tf.identity(a)
    c = a * 2.0
    assert a.consumers() == [b.op, c.op]
    a.consumers().clear()
    assert len(a.consumers()) == 2


def test_set_shape_merges_unknown_dims(g):
    x = tf.placeholder(tf.float32, shape=[None, 3])
    x.set_shape([4, None])
    assert x.shape.as_list() == [4, 3]
    assert x.get_shape().as_list() == [4, 3]
    with pytest.raises(ValueError):
        x.set_shape([5, 3])
    with pytest.raises(ValueError):
        x.set_shape([4, 3, 1])
    assert x.shape.as_list() == [4, 3]
    y = tf.placeholder(tf.float32)
    assert y.shape.ndims is None
    y.set_shape(tf.TensorShape([2]))
    assert y.shape.as_list() == [2]
    # The refined shape flows into ops built afterwards.
    assert (x + 1.0).shape.as_list() == [4, 3]


def test_set_shape_after_a_run_is_checked_on_the_next_feed(g):
    x = tf.placeholder(tf.float32)
    y = x * 2.0
    with tf.Session() as sess:
        assert sess.run(y, {x: [1.0, 2.0, 3.0]}).tolist() == [2.0, 4.0, 6.0]
        x.set_shape([2])
        with pytest.raises(ValueError, match="Cannot feed value of shape"):
            sess.run(y, {x: [1.0, 2.0, 3.0]})
        assert sess.run(y, {x: [1.0, 2.0]}).tolist() == [2.0, 4.0]


def test_eval(g):
    x = tf.placeholder(tf.float32, shape=[2])
    y = x + 1.0
    with pytest.raises(ValueError, match="Cannot evaluate tensor using `eval\\(\\)`: No default"):
        y.eval({x: [1.0, 2.0]})
    with tf.Session() as sess:
        np.testing.assert_array_equal(y.eval({x: [1.0, 2.0]}), [2.0, 3.0])
        np.testing.assert_array_equal(y.eval(feed_dict={x: [0.0, 0.0]}, session=sess), [1, 1])
    sess = tf.Session()
    assert tf.constant(7).eval(session=sess) == 7
    with sess.as_default():
        assert tf.constant(8).eval() == 8


def test_eval_in_a_session_of_another_graph(g):
    x = tf.constant(1.0)
    with tf.Graph().as_default():
        tf.constant(0.0)
        sess = tf.Session()
    with pytest.raises(ValueError, match="the given session to evaluate tensor"):
        x.eval(session=sess)
    with sess.as_default():
        with pytest.raises(ValueError, match="the default session to evaluate tensor"):
            x.eval()


# ---------------------------------------------------------------------------------------
# Tensor: Python protocol


def test_tensor_is_not_a_bool_an_iterable_or_sized(g):
    x = tf.constant([1.0, 2.0])
    with pytest.raises(TypeError, match="as a Python `bool` is not allowed"):
        bool(x)
    with pytest.raises(TypeError):
        if x:
            pass
    with pytest.raises(TypeError, match="only iterable when eager execution is enabled"):
        iter(x)
    with pytest.raises(TypeError):
        a, b = x
    with pytest.raises(TypeError, match="len is not well defined for symbolic Tensors"):
        len(x)


def test_equality_is_identity_and_tensors_are_hashable(g):
    x = tf.constant(1.0)
    y = tf.identity(x)
    assert x == x and not (x != x)
    assert (x == y) is False and (x != y) is True
    assert (x == 1.0) is False
    table = {x: "x", y: "y"}
    assert table[x] == "x" and table[y] == "y"
    assert len({x, y, x}) == 2
    assert x in [y, x]


# ---------------------------------------------------------------------------------------
# Tensor: operators, checked against numpy

_X = np.array([[1.5, -2.0, 3.0], [4.0, 5.5, -6.0]], np.float32)
_Y = np.array([[2.0, 3.0, -1.0], [0.5, 2.0, 4.0]], np.float32)

_BINARY = [
    ("add", operator.add, "AddV2"),  # TF 1.15's `+`: AddV2 (tf.add: Add)
    ("sub", operator.sub, "Sub"),
    ("mul", operator.mul, "Mul"),
    ("truediv", operator.truediv, "RealDiv"),
    ("floordiv", operator.floordiv, "FloorDiv"),
    ("mod", operator.mod, "FloorMod"),
    ("pow", operator.pow, "Pow"),
]


@pytest.mark.parametrize("name, fn, op_type", _BINARY, ids=[b[0] for b in _BINARY])
def test_binary_operators(g, name, fn, op_type):
    x, y = tf.constant(_X), tf.constant(_Y)
    cases = {
        "tensor_tensor": (fn(x, y), fn(_X, _Y)),
        "tensor_scalar": (fn(x, 2.0), fn(_X, np.float32(2.0))),
        "scalar_tensor": (fn(2.0, y), fn(np.float32(2.0), _Y)),
        "numpy_scalar_tensor": (fn(np.float32(2.0), y), fn(np.float32(2.0), _Y)),
        "numpy_array_tensor": (fn(_X, y), fn(_X, _Y)),
    }
    results = _run({k: t for k, (t, _) in cases.items()})
    for key, (t, expected) in cases.items():
        assert isinstance(t, tf.Tensor), key
        assert t.dtype == tf.float32, key
        assert t.op.type == op_type, key
        assert t.shape.as_list() == [2, 3], key
        np.testing.assert_allclose(results[key], expected, rtol=1e-6, err_msg=key)
    assert cases["tensor_tensor"][0].op.name == name


def test_reflected_operators_keep_operand_order(g):
    x = tf.constant(_X)
    out = _run([2 - x, 2 / x, 2 // x, 2 % x, 2**x, np.float32(2) * x])
    np.testing.assert_allclose(out[0], 2 - _X)
    np.testing.assert_allclose(out[1], 2 / _X, rtol=1e-6)
    np.testing.assert_allclose(out[2], 2 // _X)
    np.testing.assert_allclose(out[3], 2 % _X, rtol=1e-6)
    np.testing.assert_allclose(out[4], 2.0**_X, rtol=1e-6)
    np.testing.assert_allclose(out[5], 2 * _X)


def test_integer_operators(g):
    a = np.array([7, -7, 9, -1], np.int32)
    b = np.array([2, 2, -4, 3], np.int32)
    x, y = tf.constant(a), tf.constant(b)
    results = _run([x + y, x - 1, x * y, x // y, x % y, 3 ** tf.constant(2), x / y])
    np.testing.assert_array_equal(results[0], a + b)
    np.testing.assert_array_equal(results[1], a - 1)
    np.testing.assert_array_equal(results[2], a * b)
    np.testing.assert_array_equal(results[3], a // b)
    np.testing.assert_array_equal(results[4], a % b)
    assert results[5] == 9
    np.testing.assert_allclose(results[6], a / b)
    assert (x // y).dtype == tf.int32
    assert (x / y).dtype == tf.float64  # TF1's truediv: int32 → float64


def test_matmul_operator(g):
    x, y = tf.constant(_X), tf.constant(_Y.T.copy())
    z = x @ y
    assert z.op.type == "MatMul" and z.shape.as_list() == [2, 2]
    np.testing.assert_allclose(_run(z), _X @ _Y.T, rtol=1e-6)
    w = _X.T.copy() @ x
    np.testing.assert_allclose(_run(w), _X.T @ _X, rtol=1e-6)


def test_unary_operators(g):
    x = tf.constant(_X)
    neg, absolute = -x, abs(x)
    assert (neg.op.type, absolute.op.type) == ("Neg", "Abs")
    assert (neg.op.name, absolute.op.name) == ("Neg", "Abs")
    results = _run([neg, absolute])
    np.testing.assert_array_equal(results[0], -_X)
    np.testing.assert_array_equal(results[1], np.abs(_X))


@pytest.mark.parametrize(
    "fn, op_type",
    [
        (operator.lt, "Less"),
        (operator.le, "LessEqual"),
        (operator.gt, "Greater"),
        (operator.ge, "GreaterEqual"),
    ],
)
def test_comparison_operators(g, fn, op_type):
    x, y = tf.constant(_X), tf.constant(_Y)
    both, with_scalar, reflected = fn(x, y), fn(x, 3.0), fn(3.0, x)
    for t in (both, with_scalar):
        assert t.dtype == tf.bool and t.op.type == op_type and t.shape.as_list() == [2, 3]
    results = _run([both, with_scalar, reflected])
    np.testing.assert_array_equal(results[0], fn(_X, _Y))
    np.testing.assert_array_equal(results[1], fn(_X, 3.0))
    np.testing.assert_array_equal(results[2], fn(3.0, _X))


def test_logical_operators(g):
    a_np = np.array([True, True, False, False])
    b_np = np.array([True, False, True, False])
    a, b = tf.constant(a_np), tf.constant(b_np)
    ops = {"not": ~a, "and": a & b, "or": a | b, "xor": a ^ b, "rand": True & b, "ror": False | a}
    results = _run(ops)
    np.testing.assert_array_equal(results["not"], ~a_np)
    np.testing.assert_array_equal(results["and"], a_np & b_np)
    np.testing.assert_array_equal(results["or"], a_np | b_np)
    np.testing.assert_array_equal(results["xor"], a_np ^ b_np)
    np.testing.assert_array_equal(results["rand"], b_np)
    np.testing.assert_array_equal(results["ror"], a_np)
    assert ops["not"].op.type == "LogicalNot"
    assert (ops["and"].op.type, ops["or"].op.type) == ("LogicalAnd", "LogicalOr")
    assert all(t.dtype == tf.bool for t in ops.values())


def test_logical_operators_need_bools(g):
    x = tf.constant([1, 2])
    with pytest.raises(TypeError):
        _ = x & x
    with pytest.raises(TypeError):
        _ = ~x


def test_python_scalars_adopt_the_tensor_dtype(g):
    f32 = tf.placeholder(tf.float32)
    f64 = tf.constant(1.0, dtype=tf.float64)
    i64 = tf.constant(1, dtype=tf.int64)
    assert (f32 + 1).dtype == tf.float32
    assert (1 + f32).dtype == tf.float32
    assert (f32 * 2.5).dtype == tf.float32
    assert (f64 - 1).dtype == tf.float64
    assert (2 * i64).dtype == tf.int64
    assert (tf.constant(3) + 1).dtype == tf.int32
    assert _run(f64 * 0.1) == pytest.approx(0.1, abs=1e-15)  # 0.1 kept in float64


def test_mismatched_dtypes_are_type_errors(g):
    with pytest.raises(TypeError):
        tf.constant(1) + tf.constant(1.0)
    with pytest.raises(TypeError):
        tf.constant(1.0) * tf.constant(1.0, dtype=tf.float64)
    with pytest.raises(TypeError):
        tf.constant(1) + 1.5
    with pytest.raises(TypeError):
        tf.constant([1.0]) @ tf.constant([[1]])


# ---------------------------------------------------------------------------------------
# Tensor: slicing


def test_slicing_against_numpy(g):
    v = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    x = tf.constant(v)
    cases = {
        "x[1:, ::2]": (x[1:, ::2], v[1:, ::2]),
        "x[..., 0]": (x[..., 0], v[..., 0]),
        "x[:, tf.newaxis]": (x[:, tf.newaxis], v[:, np.newaxis]),
        "x[-1]": (x[-1], v[-1]),
        "x[0, -2, -1]": (x[0, -2, -1], v[0, -2, -1]),
        "x[:, ::-1, 1:3]": (x[:, ::-1, 1:3], v[:, ::-1, 1:3]),
        "x[None, ..., 1]": (x[None, ..., 1], v[None, ..., 1]),
    }
    results = _run({k: t for k, (t, _) in cases.items()})
    for key, (t, expected) in cases.items():
        assert t.op.type == "StridedSlice" and t.op.name.startswith("strided_slice"), key
        assert tuple(t.shape.as_list()) == expected.shape, key
        np.testing.assert_array_equal(results[key], expected, err_msg=key)


def test_slicing_unknown_dims_and_fed_values(g):
    x = tf.placeholder(tf.float32, shape=[None, 3])
    col, row = x[:, 1], x[-1]
    assert col.shape.as_list() == [None]
    assert row.shape.as_list() == [3]
    v = np.arange(12, dtype=np.float32).reshape(4, 3)
    got_col, got_row = _run([col, row], {x: v})
    np.testing.assert_array_equal(got_col, v[:, 1])
    np.testing.assert_array_equal(got_row, v[-1])


# ---------------------------------------------------------------------------------------
# Tensor: build-time shape inference


def test_broadcasting_with_unknown_dims(g):
    x = tf.placeholder(tf.float32, shape=[None, 3])
    b = tf.constant([1.0, 2.0, 3.0])
    assert (x + b).shape.as_list() == [None, 3]
    assert (b * x).shape.as_list() == [None, 3]
    assert (x + tf.placeholder(tf.float32, shape=[5, 1])).shape.as_list() == [5, 3]
    assert (x + tf.placeholder(tf.float32)).shape.ndims is None
    assert (x + 1.0).shape.as_list() == [None, 3]


def test_incompatible_broadcast_is_a_value_error(g):
    with pytest.raises(ValueError, match="'add'"):
        tf.constant(np.ones([2, 3], np.float32)) + tf.constant([1.0, 2.0])


def test_matmul_shapes(g):
    a = tf.constant(np.ones([2, 3], np.float32))
    b = tf.constant(np.ones([3, 4], np.float32))
    assert tf.matmul(a, b).shape.as_list() == [2, 4]
    assert tf.matmul(a, a, transpose_b=True).shape.as_list() == [2, 2]
    x = tf.placeholder(tf.float32, shape=[None, 3])
    assert tf.matmul(x, b).shape.as_list() == [None, 4]


def test_matmul_shape_mismatch_names_the_op_and_the_line(g):
    a = tf.constant(np.ones([2, 3], np.float32))
    b = tf.constant(np.ones([4, 5], np.float32))
    line = _line() + 2
    with pytest.raises(ValueError) as info:
        tf.matmul(a, b, name="proj")
    message = str(info.value)
    assert "'proj'" in message and "MatMul" in message
    assert "[2,3], [4,5]" in message
    assert f"test_ops.py:{line}" in message
    assert "proj" not in [op.name for op in g.get_operations()]


def test_operator_helper_ops_live_under_the_operator_scope(g):
    x = tf.placeholder(tf.float32, name="x")
    b = tf.placeholder(tf.bool, name="b")
    y, r, m, v = x + 1.0, 2.0 - x, tf.constant([[1.0]]) @ tf.constant([[2.0]]), b ^ b
    assert [y.op.inputs[1].op.name, r.op.inputs[0].op.name] == ["add/y", "sub/x"]
    assert (m.op.name, m.op.type) == ("matmul", "MatMul")
    assert v.op.name == "xor"
    assert [t.op.name for t in v.op.inputs] == ["xor/LogicalOr", "xor/LogicalNot"]
