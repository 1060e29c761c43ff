"""tf.get_variable and tf.variable_scope: naming, reuse, defaults and collections as TF1."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import flowgraph as tf


@pytest.fixture
def graph():
    g = tf.Graph()
    with g.as_default():
        yield g


def _const(value):
    """An initializer callable with TF1's calling convention returning `value`."""
    return lambda shape, dtype=None, partition_info=None: tf.constant(value, dtype=dtype)


def _values(*fetches, init=None):
    with tf.Session() as sess:
        sess.run(init if init is not None else tf.global_variables_initializer())
        return sess.run(list(fetches))


def _op_names(graph):
    return [op.name for op in graph.get_operations()]


# -- names -----------------------------------------------------------------------------------


def test_variable_is_named_by_the_variable_scope_and_builds_tf1_ops(graph):
    with tf.variable_scope("foo"):
        v = tf.get_variable("v", [2], initializer=_const([1.0, 2.0]))
    assert v.name == "foo/v:0" and v.op.type == "VariableV2"
    assert isinstance(v, tf.Variable) and v.shape.as_list() == [2]
    assert v.dtype.base_dtype == tf.float32
    assert _op_names(graph) == ["foo/v/Initializer/Const", "foo/v", "foo/v/Assign", "foo/v/read"]
    assert v.initializer.name == "foo/v/Assign" and v.value().name == "foo/v/read:0"
    np.testing.assert_array_equal(_values(v)[0], [1.0, 2.0])


def test_name_scope_does_not_prefix_variables_but_does_prefix_ops(graph):
    with tf.name_scope("ns"):
        with tf.variable_scope("foo"):
            v = tf.get_variable("v", [1], initializer=_const([0.0]))
            c = tf.constant(1.0, name="c")
    assert v.name == "foo/v:0"
    assert c.name == "ns/foo/c:0"


def test_nested_scopes(graph):
    with tf.variable_scope("a"):
        with tf.variable_scope("b") as scope:
            v = tf.get_variable("v", [1], initializer=_const([0.0]))
            c = tf.constant(0.0, name="c")
    assert v.name == "a/b/v:0" and c.name == "a/b/c:0"
    assert scope.name == "a/b" and scope.original_name_scope == "a/b/"


def test_default_name_is_uniquified(graph):
    with tf.variable_scope(None, default_name="layer") as s1:
        v1 = tf.get_variable("w", [1], initializer=_const([0.0]))
        c1 = tf.constant(0.0, name="c")
    with tf.variable_scope(None, default_name="layer") as s2:
        v2 = tf.get_variable("w", [1], initializer=_const([0.0]))
        c2 = tf.constant(0.0, name="c")
    assert (s1.name, s2.name) == ("layer", "layer_1")
    assert (v1.name, v2.name) == ("layer/w:0", "layer_1/w:0")
    assert (c1.name, c2.name) == ("layer/c:0", "layer_1/c:0")
    assert s2.original_name_scope == "layer_1/"


def test_default_names_restart_inside_a_reopened_outer_scope(graph):
    """TF1 forgets sub-scope counts when the enclosing (string) scope closes."""
    names = []
    for _ in range(2):
        with tf.variable_scope("outer"):
            for _ in range(2):
                with tf.variable_scope(None, default_name="layer") as s:
                    names.append(s.name)
    assert names == ["outer/layer", "outer/layer_1", "outer/layer", "outer/layer_1"]


def test_reentering_a_scope_object_keeps_variable_names_but_opens_a_new_name_scope(graph):
    with tf.variable_scope("foo") as foo:
        v = tf.get_variable("v", [1], initializer=_const([0.0]))
    with tf.variable_scope(foo) as again:
        w = tf.get_variable("w", [1], initializer=_const([0.0]))
        c = tf.constant(0.0, name="c")
    assert (v.name, w.name, c.name) == ("foo/v:0", "foo/w:0", "foo_1/c:0")
    assert again.name == "foo" and again.original_name_scope == "foo/"
    assert _op_names(graph)[4:8] == ["foo/w/Initializer/Const", "foo/w", "foo/w/Assign",
                                     "foo/w/read"]


def test_reentering_a_scope_object_inside_another_scope_is_absolute(graph):
    with tf.variable_scope("foo") as foo:
        pass
    with tf.variable_scope("other"):
        with tf.variable_scope(foo) as scope:
            v = tf.get_variable("v", [1], initializer=_const([0.0]))
            c = tf.constant(0.0, name="c")
    assert scope.name == "foo" and v.name == "foo/v:0" and c.name == "other/foo/c:0"


def test_auxiliary_name_scope_false_keeps_the_enclosing_name_scope(graph):
    with tf.name_scope("ns"):
        with tf.variable_scope("foo", auxiliary_name_scope=False) as scope:
            v = tf.get_variable("v", [1], initializer=_const([0.0]))
            c = tf.constant(0.0, name="c")
    assert v.name == "foo/v:0" and c.name == "ns/c:0"
    assert scope.original_name_scope == "ns/"


# -- initializers and dtypes ----------------------------------------------------------------


def test_initializer_values(graph):
    a = tf.get_variable("a", initializer=tf.constant([[1.0, 2.0]]))
    b = tf.get_variable("b", initializer=np.arange(3, dtype=np.float64))
    c = tf.get_variable("c", initializer=[1, 2])
    d = tf.get_variable("d", initializer=5.0)
    e = tf.get_variable("e", [2, 2], initializer=lambda shape, dtype: tf.constant(
        np.full(shape, 7.0), dtype=dtype))
    f = tf.get_variable("f", initializer=lambda: tf.constant([4.0]))
    assert a.shape.as_list() == [1, 2]
    assert [x.dtype.base_dtype for x in (a, b, c, d, e, f)] == [
        tf.float32, tf.float64, tf.int32, tf.float32, tf.float32, tf.float32]
    va, vb, vc, vd, ve, vf = _values(a, b, c, d, e, f)
    np.testing.assert_array_equal(va, [[1.0, 2.0]])
    np.testing.assert_array_equal(vb, [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(vc, [1, 2])
    assert vd == 5.0 and vb.dtype == np.float64
    np.testing.assert_array_equal(ve, np.full([2, 2], 7.0, np.float32))
    np.testing.assert_array_equal(vf, [4.0])


def test_value_initializers_build_initial_value_op(graph):
    v = tf.get_variable("v", initializer=[1.0, 2.0])
    assert _op_names(graph) == ["v/initial_value", "v", "v/Assign", "v/read"]
    assert v.initial_value.name == "v/initial_value:0"


def test_initializer_receives_shape_dtype_and_partition_info(graph):
    calls = []

    def init(shape, dtype=None, partition_info="unset"):
        calls.append((shape, dtype, partition_info))
        return tf.constant(np.zeros(shape), dtype=dtype)

    tf.get_variable("v", (2, 3), dtype=tf.float64, initializer=init)
    assert calls == [([2, 3], tf.float64, None)]


def test_initializer_class_is_instantiated(graph):
    class Fives:
        def __call__(self, shape, dtype=None, partition_info=None):
            return tf.constant(np.full(shape, 5.0), dtype=dtype)

    v = tf.get_variable("v", [2], initializer=Fives)
    np.testing.assert_array_equal(_values(v)[0], [5.0, 5.0])


def test_constant_initializer_with_shape_is_an_error(graph):
    with pytest.raises(ValueError, match="If initializer is a constant, do not specify shape."):
        tf.get_variable("v", [2], initializer=[1.0, 2.0])


def test_initializer_needing_a_shape_without_one_is_an_error(graph):
    with pytest.raises(ValueError, match="The initializer passed is not valid"):
        tf.get_variable("v", initializer=_const([1.0]))


def test_no_shape_and_no_initializer_names_the_variable(graph):
    message = "Variable scope/w did not get an initializer, so its `shape` argument must be"
    with tf.variable_scope("scope"), pytest.raises(ValueError, match=message):
        tf.get_variable("w", dtype=tf.float32)


def test_initializer_dtype_must_match_explicit_dtype(graph):
    with pytest.raises(ValueError) as err:
        tf.get_variable("v", dtype=tf.float32, initializer=[1, 2])
    assert str(err.value) == ("Initializer type '<dtype: 'int32'>' and explicit dtype "
                              "'<dtype: 'float32'>' don't match.")
    assert graph.get_operations() == []  # no stray Const is built for the check


def test_default_initializers(graph):
    pytest.importorskip("flowgraph.ops.init_ops")
    w = tf.get_variable("w", [30, 20])
    i = tf.get_variable("i", [3], dtype=tf.int32)
    b = tf.get_variable("b", [2], dtype=tf.bool)
    assert w.initial_value.op.name.startswith("w/Initializer/")
    vw, vi, vb = _values(w, i, b)
    limit = np.sqrt(6.0 / (30 + 20))
    assert vw.dtype == np.float32 and np.all(np.abs(vw) <= limit) and vw.std() > limit / 4
    np.testing.assert_array_equal(vi, [0, 0, 0])
    np.testing.assert_array_equal(vb, [False, False])


def test_complex_variable_needs_an_initializer(graph):
    with pytest.raises(ValueError, match="An initializer for variable c of "
                                         "<dtype: 'complex64'> is required"):
        tf.get_variable("c", [1], dtype=tf.complex64)


def test_scope_initializer_is_inherited_and_overridable(graph):
    with tf.variable_scope("foo", initializer=_const([3.0])):
        a = tf.get_variable("a", [1])
        b = tf.get_variable("b", [1], initializer=_const([4.0]))
        with tf.variable_scope("bar") as bar:
            c = tf.get_variable("c", [1])
            bar.set_initializer(_const([5.0]))
            d = tf.get_variable("d", [1])
        with tf.variable_scope(bar):
            e = tf.get_variable("e", [1])
    assert [list(x) for x in _values(a, b, c, d, e)] == [[3.0], [4.0], [3.0], [5.0], [5.0]]


def test_scope_dtype_is_inherited(graph):
    with tf.variable_scope("foo", dtype=tf.float64) as foo:
        a = tf.get_variable("a", [1], initializer=_const([1.0]))
        with tf.variable_scope("bar"):
            b = tf.get_variable("b", [1], initializer=_const([1.0]))
        foo.set_dtype(tf.int32)
        c = tf.get_variable("c", [1], initializer=_const([1]))
        d = tf.get_variable("d", [1], dtype=tf.float16, initializer=_const([1.0]))
    assert foo.dtype == tf.int32 and tf.get_variable_scope().dtype == tf.float32
    assert [x.dtype.base_dtype for x in (a, b, c, d)] == [
        tf.float64, tf.float64, tf.int32, tf.float16]


# -- collections ----------------------------------------------------------------------------


def test_collections(graph):
    v = tf.get_variable("v", [1], initializer=_const([1.0]))
    frozen = tf.get_variable("frozen", [1], initializer=_const([2.0]), trainable=False)
    model = tf.get_variable("model", [1], initializer=_const([3.0]),
                            collections=[tf.GraphKeys.MODEL_VARIABLES,
                                         tf.GraphKeys.GLOBAL_VARIABLES])
    with tf.variable_scope("loc"):
        local = tf.get_local_variable("local", [1], initializer=_const([4.0]), trainable=True)
    assert tf.global_variables() == [v, frozen, model]
    assert tf.trainable_variables() == [v, model]
    assert tf.model_variables() == [model]
    assert tf.local_variables() == [local] and local.name == "loc/local:0"
    assert not local.trainable and v.trainable and not frozen.trainable
    assert _values(local, init=tf.local_variables_initializer()) == [4.0]


def test_get_local_variable_adds_to_given_collections_without_changing_them(graph):
    keys = ["mine"]
    v = tf.get_local_variable("v", [1], initializer=_const([0.0]), collections=keys)
    assert keys == ["mine"]
    assert tf.get_collection("mine") == [v] and tf.local_variables() == [v]
    assert tf.global_variables() == []


def test_scope_collection_helpers(graph):
    with tf.variable_scope("foo") as foo:
        a = tf.get_variable("a", [1], initializer=_const([0.0]))
        b = tf.get_variable("b", [1], initializer=_const([0.0]), trainable=False)
        c = tf.get_local_variable("c", [1], initializer=_const([0.0]))
    tf.get_variable("foobar", [1], initializer=_const([0.0]))
    assert foo.global_variables() == [a, b]
    assert foo.trainable_variables() == [a]
    assert foo.local_variables() == [c]


# -- reuse ----------------------------------------------------------------------------------


def test_accidental_reuse_is_an_error(graph):
    with tf.variable_scope("foo"):
        tf.get_variable("v", [1], initializer=_const([0.0]))
    with pytest.raises(ValueError) as err:
        with tf.variable_scope("foo"):
            tf.get_variable("v", [1], initializer=_const([0.0]))
    message = str(err.value)
    assert message.startswith("Variable foo/v already exists, disallowed. Did you mean to set "
                              "reuse=True or reuse=tf.AUTO_REUSE in VarScope? Originally "
                              "defined at:")
    assert "test_variable_scope.py" in message and "test_accidental_reuse" in message


def test_reusing_a_missing_variable_is_an_error(graph):
    with pytest.raises(ValueError) as err:
        with tf.variable_scope("foo", reuse=True):
            tf.get_variable("v", [1])
    assert str(err.value) == ("Variable foo/v does not exist, or was not created with "
                              "tf.get_variable(). Did you mean to set reuse=tf.AUTO_REUSE in "
                              "VarScope?")


def test_reusing_with_another_shape_or_dtype_is_an_error(graph):
    with tf.variable_scope("foo"):
        tf.get_variable("v", [1], initializer=_const([0.0]))
    with tf.variable_scope("foo", reuse=True):
        with pytest.raises(ValueError) as err:
            tf.get_variable("v", [2])
        assert str(err.value) == ("Trying to share variable foo/v, but specified shape (2,) "
                                  "and found shape (1,).")
        with pytest.raises(ValueError) as err:
            tf.get_variable("v", [1], dtype=tf.int32)
        assert str(err.value) == ("Trying to share variable foo/v, but specified dtype int32 "
                                  "and found dtype float32_ref.")


def test_reuse_true_returns_the_same_variable(graph):
    with tf.variable_scope("foo"):
        v = tf.get_variable("v", [1], initializer=_const([0.0]))
    n_ops = len(graph.get_operations())
    with tf.variable_scope("foo", reuse=True) as scope:
        assert tf.get_variable("v", [1]) is v
        assert tf.get_variable("v") is v  # shape None is compatible
        assert scope.reuse is True
    assert len(graph.get_operations()) == n_ops  # no new variable


def test_reuse_is_inherited_and_sticky(graph):
    with tf.variable_scope("foo"):
        with tf.variable_scope("bar"):
            v = tf.get_variable("v", [1], initializer=_const([0.0]))
    with tf.variable_scope("foo", reuse=True):
        with tf.variable_scope("bar") as bar:
            assert bar.reuse is True
            assert tf.get_variable("v") is v
        with tf.variable_scope("bar", reuse=False) as bar:
            assert bar.reuse is True
            assert tf.get_variable("v") is v


def test_reuse_variables(graph):
    with tf.variable_scope("foo") as scope:
        v = tf.get_variable("v", [1], initializer=_const([0.0]))
        assert scope.reuse is False
        scope.reuse_variables()
        assert tf.get_variable_scope().reuse is True
        assert tf.get_variable("v") is v
        with tf.variable_scope("inner") as inner:
            assert inner.reuse is True
    with tf.variable_scope("foo") as scope:
        assert scope.reuse is False  # reuse_variables lasts for that scope object only


def test_reentering_a_reusing_scope_object_reuses(graph):
    with tf.variable_scope("foo") as foo:
        v = tf.get_variable("v", [1], initializer=_const([0.0]))
    with tf.variable_scope(foo, reuse=True):
        assert tf.get_variable("v") is v
    foo.reuse_variables()
    with tf.variable_scope(foo):
        assert tf.get_variable("v") is v


def test_auto_reuse_creates_then_reuses(graph):
    def layer():
        with tf.variable_scope("layer", reuse=tf.AUTO_REUSE) as scope:
            assert scope.reuse is tf.AUTO_REUSE
            return tf.get_variable("w", [1], initializer=_const([1.0]))

    first, second = layer(), layer()
    assert first is second and first.name == "layer/w:0"
    assert tf.global_variables() == [first]


def test_variable_scope_argument_errors(graph):
    with pytest.raises(TypeError, match="If default_name is None then name_or_scope"):
        tf.variable_scope(None)
    with pytest.raises(ValueError, match="The reuse parameter must be True or False or None"):
        tf.variable_scope("foo", reuse="yes")
    with pytest.raises(TypeError, match="name_or_scope must be a string or VariableScope"):
        tf.variable_scope(3)
    with pytest.raises(ValueError, match="reuse=True cannot be used without a name_or_scope"):
        with tf.variable_scope(None, default_name="d", reuse=True):
            pass
    assert tf.get_variable_scope().name == "" and graph.get_name_scope() == ""


def test_partitioner_of_the_scope_or_the_call_slices_the_variable(graph):
    # More in tests/ops/test_partitioned_variables.py.
    with tf.variable_scope("p", partitioner=lambda shape, dtype: [2]):
        v = tf.get_variable("v", [4], initializer=tf.zeros_initializer())
        scalar = tf.get_variable("s", [], initializer=tf.zeros_initializer())
    w = tf.get_variable("w", [3], partitioner=lambda shape, dtype: [3])
    assert [p.name for p in v] == ["p/v/part_0:0", "p/v/part_1:0"] and v.name == "p/v"
    assert scalar.name == "p/s:0"  # scalars are never partitioned
    assert [p.shape.as_list() for p in w] == [[1], [1], [1]]


# -- get_variable_scope ---------------------------------------------------------------------


def test_get_variable_scope(graph):
    root = tf.get_variable_scope()
    assert isinstance(root, tf.VariableScope)
    assert (root.name, root.original_name_scope, root.reuse) == ("", "", False)
    assert root.dtype == tf.float32 and root.initializer is None and root.regularizer is None
    with tf.variable_scope("foo", initializer=_const([1.0])) as foo:
        assert tf.get_variable_scope() is foo
        assert foo.initializer is not None
    assert tf.get_variable_scope() is root


def test_root_scope_settings_apply_to_top_level_variables(graph):
    tf.get_variable_scope().set_initializer(_const([9.0]))
    v = tf.get_variable("v", [1])
    assert _values(v)[0] == [9.0]


def test_each_thread_starts_in_the_root_scope(graph):
    seen = []

    def worker():
        with graph.as_default():
            seen.append(tf.get_variable_scope().name)

    with tf.variable_scope("foo"):
        t = threading.Thread(target=worker)
        t.start()
        t.join()
    assert seen == [""]


def test_graphs_do_not_interfere():
    g1, g2 = tf.Graph(), tf.Graph()
    with g1.as_default():
        with tf.variable_scope("foo"):
            v1 = tf.get_variable("v", [1], initializer=_const([1.0]))
            with g2.as_default():
                assert tf.get_variable_scope().name == ""
                with tf.variable_scope("foo"):
                    v2 = tf.get_variable("v", [1], initializer=_const([2.0]))
    assert v1.name == v2.name == "foo/v:0"
    assert v1.graph is g1 and v2.graph is g2
    with g2.as_default():
        assert tf.global_variables() == [v2]
        assert _values(v2) == [[2.0]]
    with g1.as_default():
        assert _values(v1) == [[1.0]]


def test_values_select_the_graph():
    g1, g2 = tf.Graph(), tf.Graph()
    with g2.as_default():
        x = tf.constant(1.0)
    with g1.as_default():
        with tf.variable_scope("foo", values=[x]):
            assert tf.get_default_graph() is g2
            v = tf.get_variable("v", [1], initializer=_const([0.0]))
        assert tf.get_default_graph() is g1
    assert v.graph is g2


def test_variables_ignore_enclosing_control_dependencies(graph):
    c = tf.constant(1.0)
    with tf.control_dependencies([c]):
        v = tf.get_variable("v", [1], initializer=_const([0.0]),
                            regularizer=lambda w: tf.reduce_sum(w))
    new_ops = graph.get_operations()[1:]
    assert v.op in new_ops and all(op.control_inputs == [] for op in new_ops)


# -- regularizers ---------------------------------------------------------------------------


def test_regularizer_loss_is_collected(graph):
    with tf.variable_scope("foo"):
        v = tf.get_variable("v", [2], initializer=_const([1.0, 2.0]),
                            regularizer=lambda w: tf.reduce_sum(tf.square(w)))
    (loss,) = tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)
    assert loss.op.name.startswith("foo/v/Regularizer/")
    assert loss.op.inputs[0].op.inputs[0] is v.value()
    assert _values(loss) == [5.0]


def test_scope_regularizer_and_no_regularizer(graph):
    def l2(w):
        return tf.multiply(0.5, tf.reduce_sum(tf.square(w)), name="l2")

    with tf.variable_scope("foo", regularizer=l2) as foo:
        a = tf.get_variable("a", [1], initializer=_const([2.0]))
        with tf.variable_scope("bar"):
            b = tf.get_variable("b", [1], initializer=_const([4.0]))
        tf.get_variable("c", [1], initializer=_const([6.0]), regularizer=tf.no_regularizer)
        tf.get_variable("d", [1], initializer=_const([8.0]), regularizer=lambda w: None)
    assert foo.regularizer is l2
    losses = tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)
    assert [x.name for x in losses] == ["foo/a/Regularizer/l2:0", "foo/bar/b/Regularizer/l2:0"]
    assert _values(*losses) == [2.0, 8.0]
    assert {a, b} <= set(tf.trainable_variables())


def test_regularizer_is_not_reapplied_on_reuse(graph):
    with tf.variable_scope("foo", regularizer=tf.reduce_sum):
        tf.get_variable("v", [1], initializer=_const([1.0]))
    with tf.variable_scope("foo", reuse=True):
        tf.get_variable("v", [1])
    assert len(tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)) == 1


# -- custom getters -------------------------------------------------------------------------


def test_custom_getter_wraps_get_variable(graph):
    seen = []

    def getter(getter, name, *args, **kwargs):
        seen.append((name, kwargs["shape"], kwargs["trainable"]))
        return getter(name + "_custom", *args, **kwargs)

    with tf.variable_scope("foo", custom_getter=getter):
        v = tf.get_variable("v", [1], initializer=_const([0.0]))
    w = tf.get_variable("w", [1], initializer=_const([0.0]), custom_getter=getter)
    assert (v.name, w.name) == ("foo/v_custom:0", "w_custom:0")
    assert seen == [("foo/v", [1], True), ("w", [1], True)]


def test_nested_custom_getters_compose_inner_first(graph):
    order = []

    def named(tag):
        def getter(getter, *args, **kwargs):
            order.append(tag)
            return getter(*args, **kwargs)
        return getter

    with tf.variable_scope("outer", custom_getter=named("outer")):
        with tf.variable_scope("inner", custom_getter=named("inner")):
            v = tf.get_variable("v", [1], initializer=_const([0.0]))
    assert order == ["inner", "outer"] and v.name == "outer/inner/v:0"


def test_custom_getter_must_be_callable(graph):
    with pytest.raises(ValueError, match="Passed a custom_getter which is not callable"):
        tf.get_variable("v", [1], initializer=_const([0.0]), custom_getter="nope")
