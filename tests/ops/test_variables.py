"""tf.Variable: TF1's graph structure, values held per session as donated device buffers."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import flowgraph as tf

OP_TYPES_TESTED = {"VariableV2", "Assign", "AssignAdd", "AssignSub", "IsVariableInitialized"}


@pytest.fixture
def graph():
    g = tf.Graph()
    with g.as_default():
        yield g


def test_variable_builds_tf1_structure(graph):
    v = tf.Variable([1.0, 2.0], name="v")
    names = [op.name for op in graph.get_operations()]
    assert names == ["v/initial_value", "v", "v/Assign", "v/read"]
    assert v.name == "v:0" and v.op.type == "VariableV2" and v.op.name == "v"
    assert v.dtype.name == "float32_ref" and v.dtype._is_ref_dtype
    assert v.dtype.base_dtype == tf.float32
    assert v.shape.as_list() == [2] and v.get_shape().as_list() == [2]
    assert v.initializer.name == "v/Assign" and v.initializer.type == "Assign"
    assert v.initial_value.name == "v/initial_value:0"
    assert v.value().name == "v/read:0" and v.value().dtype == tf.float32
    assert repr(v) == "<tf.Variable 'v:0' shape=(2,) dtype=float32_ref>"


def test_default_and_unique_names(graph):
    a = tf.Variable(1.0)
    b = tf.Variable(2.0)
    with tf.name_scope("layer"):
        c = tf.Variable(3.0, name="w")
    assert (a.op.name, b.op.name, c.op.name) == ("Variable", "Variable_1", "layer/w")
    assert c.value().name == "layer/w/read:0"


def test_callable_initial_value_is_built_under_initializer_scope(graph):
    v = tf.Variable(lambda: tf.constant([3.0]), name="v")
    assert v.initial_value.op.name.startswith("v/Initializer/")
    with tf.Session() as sess:
        sess.run(v.initializer)
        np.testing.assert_array_equal(sess.run(v), [3.0])


def test_collections_and_trainable(graph):
    v = tf.Variable(1.0, name="v")
    frozen = tf.Variable(2.0, name="frozen", trainable=False)
    local = tf.Variable(3.0, name="local", collections=[tf.GraphKeys.LOCAL_VARIABLES])
    model = tf.Variable(4.0, name="model",
                        collections=[tf.GraphKeys.MODEL_VARIABLES, tf.GraphKeys.GLOBAL_VARIABLES])
    assert tf.global_variables() == [v, frozen, model]
    assert tf.trainable_variables() == [v, local, model]
    assert tf.local_variables() == [local]
    assert tf.model_variables() == [model]
    assert tf.moving_average_variables() == []
    assert v.trainable and not frozen.trainable
    with pytest.raises(ValueError, match="must be a list, tuple, or set"):
        tf.Variable(1.0, collections="variables")


def test_values_live_in_the_session(graph):
    v = tf.Variable([1.0, 2.0], name="v")
    init = tf.global_variables_initializer()
    assert init.name == "init" and init.type == "NoOp"
    s1, s2 = tf.Session(), tf.Session()
    s1.run(init)
    s2.run(init)
    s1.run(v.assign([5.0, 6.0]))
    np.testing.assert_array_equal(s1.run(v), [5.0, 6.0])
    np.testing.assert_array_equal(s2.run(v), [1.0, 2.0])


def test_uninitialized_read_is_failed_precondition_naming_the_variable(graph):
    v = tf.Variable([1.0], name="weights")
    with tf.Session() as sess:
        with pytest.raises(tf.errors.FailedPreconditionError,
                           match=r"uninitialized value weights .*test_variables.py"):
            sess.run(v.value() * 2)
        assert sess.run(tf.is_variable_initialized(v)) == False  # noqa: E712
        sess.run(v.initializer)
        assert sess.run(tf.is_variable_initialized(v)) == True  # noqa: E712


def test_assign_family_methods_and_functions(graph):
    v = tf.Variable([1.0, 2.0], name="v")
    with tf.Session() as sess:
        sess.run(v.initializer)
        np.testing.assert_array_equal(sess.run(v.assign_add([1.0, 1.0])), [2.0, 3.0])
        np.testing.assert_array_equal(sess.run(v.assign_sub([0.5, 0.5])), [1.5, 2.5])
        np.testing.assert_array_equal(sess.run(tf.assign(v, [7.0, 8.0])), [7.0, 8.0])
        np.testing.assert_array_equal(sess.run(tf.assign_add(v, [1.0, 1.0])), [8.0, 9.0])
        np.testing.assert_array_equal(sess.run(tf.assign_sub(v, [8.0, 9.0], use_locking=True)),
                                      [0.0, 0.0])
        op = v.assign([3.0, 3.0], read_value=False)
        assert isinstance(op, tf.Operation) and sess.run(op) is None
        np.testing.assert_array_equal(sess.run(v), [3.0, 3.0])
        t = v.assign_add([1.0, 1.0])
        assert t.dtype.name == "float32_ref"


def test_assign_of_a_mismatched_shape_names_the_op(graph):
    v = tf.Variable([1.0, 2.0], name="v")
    # TF 2.21's text for a ref variable (Assign's shape function), as TF 1 wrote the node.
    # The failed op's name stays taken, as in TF: the second is 'grow_1'.
    message = (
        "Dimension 0 in both shapes must be equal, but are 2 and 3. Shapes are [2] and [3]. "
        "for '{}' (op: 'Assign') with input shapes: [2], [3]."
    )
    for name, assign in (
        ("grow", lambda: tf.assign(v, [1.0, 2.0, 3.0], name="grow")),
        ("grow_1", lambda: v.assign([1.0, 2.0, 3.0], name="grow")),
    ):
        with pytest.raises(ValueError) as info:
            assign()
        assert str(info.value).startswith(message.format(name))
        assert "test_variables.py" in str(info.value)
    tf.assign(v, [1.0, 2.0, 3.0], validate_shape=False)  # TF: no check asked for, none made


def test_assign_checks_shape_unless_validate_shape_false(graph):
    v = tf.Variable([1.0, 2.0], name="v")
    with pytest.raises(ValueError, match="Dimension 0 in both shapes must be equal"):
        tf.assign(v, [1.0, 2.0, 3.0])
    u = tf.Variable([1.0, 2.0], name="u", validate_shape=False)
    grow = tf.assign(u._ref(), [1.0, 2.0, 3.0], validate_shape=False)
    with tf.Session() as sess:
        sess.run(u.initializer)
        np.testing.assert_array_equal(sess.run(grow), [1.0, 2.0, 3.0])


def test_operators_make_new_tensors_and_leave_the_variable(graph):
    v = tf.Variable([1.0, -2.0], name="v")
    exprs = [v + 1, 1 + v, v * 2, v - 1, -v, abs(v), v[1], v / 2, v ** 2]
    with tf.Session() as sess:
        sess.run(v.initializer)
        values = sess.run(exprs)
        expected = [[2, -1], [2, -1], [2, -4], [0, -3], [-1, 2], [1, 2], -2, [0.5, -1], [1, 4]]
        for got, want in zip(values, expected):
            np.testing.assert_allclose(got, want)
        np.testing.assert_array_equal(sess.run(v), [1.0, -2.0])
    assert isinstance(tf.convert_to_tensor(v), tf.Tensor)
    with pytest.raises(TypeError):
        bool(v)


def test_initialized_value_read_value_eval_and_load(graph):
    v = tf.Variable([1.0, 2.0], name="v")
    w = tf.Variable(v.initialized_value() * 3, name="w")
    r = v.read_value()
    with tf.Session() as sess:
        sess.run(w.initializer)  # runs v's initializer first
        np.testing.assert_array_equal(sess.run(w), [3.0, 6.0])
        v.load([4.0, 5.0], sess)
        np.testing.assert_array_equal(sess.run(r), [4.0, 5.0])
        np.testing.assert_array_equal(v.eval(sess), [4.0, 5.0])
        np.testing.assert_array_equal(v.eval(), [4.0, 5.0])


def test_control_dependency_orders_a_read_after_an_assign(graph):
    # Without a control dependency the canonical order (creation order) decides.
    v = tf.Variable(1.0, name="v")
    before = v.read_value()
    inc = v.assign_add(10.0)
    with tf.control_dependencies([inc]):
        after = v.read_value()
    with tf.Session() as sess:
        sess.run(v.initializer)
        b, a = sess.run([before, after])
        assert (b, a) == (1.0, 11.0)


def test_device_scope_applies_to_the_variable(graph):
    with tf.device("/cpu:0"):
        v = tf.Variable(1.0, name="v")
    assert v.device == "/device:CPU:0"
    assert v.initializer.device == "/device:CPU:0" and v.value().device == "/device:CPU:0"


def test_an_update_donates_the_old_buffer(graph):
    v = tf.Variable(np.zeros(1000, np.float32), name="v")
    inc = v.assign_add(np.ones(1000, np.float32))
    with tf.Session() as sess:
        sess.run(v.initializer)
        old = sess._store.variables["v"]
        sess.run(inc.op)
        assert old.is_deleted()
        assert sess.run(v)[0] == 1.0


def test_a_training_step_donates_every_parameter_and_optimizer_slot(graph):
    # No second copy of the parameters or the Adam slots lives on after a step.
    x = tf.placeholder(tf.float32, [None, 8])
    loss = tf.reduce_mean(tf.square(tf.layers.dense(tf.layers.dense(x, 16, tf.nn.relu), 2)))
    step = tf.train.get_or_create_global_step()
    train = tf.train.AdamOptimizer(0.01).minimize(loss, global_step=step)
    feed = {x: np.ones((4, 8), np.float32)}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train, feed)  # the first step compiles
        before = dict(sess._store.variables)
        assert len(before) == 15  # 4 parameters, 8 slots, 2 beta powers, the step
        sess.run(train, feed)
        assert [name for name, value in before.items() if not value.is_deleted()] == []
        assert sess.run(step) == 2


def test_concurrent_assign_add_loses_no_update(graph):
    v = tf.Variable(0.0, name="counter")
    inc = v.assign_add(1.0)
    with tf.Session() as sess:
        sess.run(v.initializer)

        def work():
            for _ in range(500):
                sess.run(inc)

        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sess.run(v) == 2000.0


def test_initializers_for_lists_and_locals(graph):
    a = tf.Variable(1.0, name="a")
    b = tf.Variable(2.0, name="b", collections=[tf.GraphKeys.LOCAL_VARIABLES])
    init_a = tf.variables_initializer([a], name="init_a")
    init_local = tf.local_variables_initializer()
    empty = tf.variables_initializer([])
    with tf.Session() as sess:
        sess.run(empty)
        sess.run(init_a)
        assert sess.run(tf.is_variable_initialized(b)) == False  # noqa: E712
        sess.run(init_local)
        assert sess.run([a, b]) == [1.0, 2.0]


def test_assert_variables_initialized(graph):
    tf.Variable([1.0], name="a")
    tf.Variable([[2.0]], name="b")
    check = tf.assert_variables_initialized()
    with tf.Session() as sess:
        with pytest.raises(tf.errors.FailedPreconditionError, match="uninitialized value a"):
            sess.run(check)
        sess.run(tf.global_variables_initializer())
        np.testing.assert_array_equal(sess.run(check), [1, 2])
    assert tf.assert_variables_initialized([]) is None


def test_report_uninitialized_variables(graph):
    a = tf.Variable(1.0, name="a")
    b = tf.Variable(2.0, name="b", collections=[tf.GraphKeys.LOCAL_VARIABLES])
    report = tf.report_uninitialized_variables()
    only_a = tf.report_uninitialized_variables([a])
    with tf.Session() as sess:
        assert sess.run(report).tolist() == [b"a", b"b"]
        sess.run(a.initializer)
        assert sess.run(report).tolist() == [b"b"] and sess.run(only_a).tolist() == []
        sess.run(b.initializer)
        assert sess.run(report).tolist() == []
    empty = tf.report_uninitialized_variables([])
    assert empty.dtype == tf.string and empty.shape.as_list() == [0]
