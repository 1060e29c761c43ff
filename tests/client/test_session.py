"""Tests of `tf.Session` and `tf.InteractiveSession` against TF1's documented behaviour."""

from __future__ import annotations

import collections
import threading

import jax
import numpy as np
import pytest

import flowgraph as tf

Pair = collections.namedtuple("Pair", ["first", "second"])
THIS_FILE = "test_session.py"


@pytest.fixture(autouse=True)
def graph():
    """Every test builds in a fresh default graph and leaves no default session behind."""
    g = tf.Graph()
    with g.as_default():
        yield g
    assert tf.get_default_session() is None


@pytest.fixture
def sess(graph):
    with tf.Session(graph=graph) as s:
        yield s


def _has_gpu() -> bool:
    try:
        return bool(jax.devices("gpu"))
    except RuntimeError:
        return False


def _only_run(sess):
    (run,) = sess._runs.values()
    return run


# -- fetches ---------------------------------------------------------------------------------


def test_fetch_tensor_returns_its_value(sess):
    c = tf.add(tf.constant(1.0), tf.constant(2.0), name="add")
    assert sess.run(c) == 3.0


def test_fetch_operation_returns_none(sess):
    tf.constant(1.0)
    assert sess.run(tf.no_op(name="init")) is None


def test_fetch_by_name(sess):
    tf.add(tf.constant(1.0), tf.constant(2.0), name="add")
    tf.no_op(name="init")
    assert sess.run("add:0") == 3.0
    assert sess.run("init") is None
    assert sess.run(["add:0", "init"]) == [3.0, None]


def test_fetch_nested_structures_keep_their_types(sess):
    a, b = tf.constant(1), tf.constant(2)
    init = tf.no_op()
    fetches = [a, (b, {"k": [a, init]}), Pair(first=b, second=(a,))]
    out = sess.run(fetches)
    assert out == [1, (2, {"k": [1, None]}), Pair(first=2, second=(1,))]
    assert type(out) is list and type(out[1]) is tuple and type(out[1][1]) is dict
    assert type(out[2]) is Pair and type(out[2].second) is tuple


def test_fetch_ordered_dict_keeps_order_and_type(sess):
    a, b = tf.constant(1), tf.constant(2)
    out = sess.run(collections.OrderedDict([("z", b), ("a", a)]))
    assert type(out) is collections.OrderedDict
    assert list(out.items()) == [("z", 2), ("a", 1)]


def test_fetch_empty_structures(sess):
    tf.constant(1)
    assert sess.run([]) == []
    assert sess.run(()) == ()
    assert sess.run({}) == {}
    assert sess.run([[], {"a": ()}]) == [[], {"a": ()}]


def test_fetch_same_tensor_twice(sess):
    c = tf.constant([1.0, 2.0]) * 2
    first, second = sess.run([c, c.name])
    np.testing.assert_array_equal(first, [2.0, 4.0])
    np.testing.assert_array_equal(second, [2.0, 4.0])


def test_fetch_fed_tensor_returns_fed_value(sess):
    x = tf.placeholder(tf.float32, [None])
    y = x + 1
    fed = np.array([1.0, 2.0], np.float32)
    x_val, y_val = sess.run([x, y], {x: fed})
    np.testing.assert_array_equal(x_val, fed)
    np.testing.assert_array_equal(y_val, [2.0, 3.0])
    x_val[0] = 99.0  # a copy, as TF returns: the caller's array is untouched
    assert fed[0] == 1.0


@pytest.mark.parametrize("fetch", [None, 3, 1.5, object(), {1, 2}, np.zeros(2), [None]])
def test_fetch_of_unsupported_type_raises_type_error(sess, fetch):
    tf.constant(1)
    with pytest.raises(TypeError, match="Argument `fetch` = .* has invalid type"):
        sess.run(fetch)


def test_fetch_from_another_graph_raises_value_error(sess):
    tf.constant(1)
    with tf.Graph().as_default():
        other = tf.constant(2)
    with pytest.raises(ValueError, match="is not an element of this graph"):
        sess.run(other)


@pytest.mark.parametrize("name", ["nope:0", "nope", "Const:3"])
def test_fetch_of_unknown_name_raises_value_error(sess, name):
    tf.constant(1)
    with pytest.raises(ValueError, match="cannot be interpreted as a Tensor"):
        sess.run(name)


def test_fetch_of_unfetchable_op_raises_value_error(graph, sess):
    c = tf.constant(1) + 1
    graph.prevent_fetching(c.op)
    with pytest.raises(ValueError, match="not fetchable"):
        sess.run(c)


# -- fetched values --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, dtype, expected_type",
    [
        (1.5, tf.float32, np.float32),
        (1.5, tf.float64, np.float64),
        (3, tf.int32, np.int32),
        (3, tf.int64, np.int64),
        (True, tf.bool, np.bool_),
    ],
)
def test_scalar_fetch_is_numpy_scalar(sess, value, dtype, expected_type):
    out = sess.run(tf.identity(tf.constant(value, dtype)))
    assert type(out) is expected_type
    assert out == value


def test_array_fetch_is_writable_numpy_array(sess):
    c = tf.constant([[1.0, 2.0]]) * 3
    out = sess.run(c)
    assert type(out) is np.ndarray and out.dtype == np.float32 and out.shape == (1, 2)
    assert out.flags.writeable
    out[0, 0] = -1.0
    np.testing.assert_array_equal(sess.run(c), [[3.0, 6.0]])


def test_strings_come_back_as_bytes(sess):
    s = tf.placeholder(tf.string, [None])
    scalar = tf.constant("hé")
    joined = tf.string_join([s, "!"])
    out_scalar, out_s, out_joined = sess.run([scalar, s, joined], {s: ["a", b"b"]})
    assert out_scalar == "hé".encode()
    assert out_s.dtype == object and list(out_s) == [b"a", b"b"]
    assert list(out_joined) == [b"a!", b"b!"]


def test_fed_object_array_of_str_comes_back_as_bytes(sess):
    s = tf.placeholder(tf.string, [None])
    out = sess.run(s, {s: np.array(["a", "b"], dtype=object)})
    assert list(out) == [b"a", b"b"]


# -- feeds -----------------------------------------------------------------------------------


def test_feed_by_tensor_and_by_name(sess):
    x = tf.placeholder(tf.float32, [None, 2], name="x")
    y = x * 2
    np.testing.assert_array_equal(sess.run(y, {x: [[1, 2]]}), [[2.0, 4.0]])
    np.testing.assert_array_equal(sess.run(y, {"x:0": [[3, 4]]}), [[6.0, 8.0]])


def test_feed_converts_to_the_tensor_dtype(sess):
    x = tf.placeholder(tf.float32, [2])
    out = sess.run(x * 1, {x: np.array([1, 2], np.int64)})
    assert out.dtype == np.float32


def test_feed_intermediate_tensor_cuts_its_inputs(sess):
    a = tf.placeholder(tf.float32, [], name="a")
    b = a + 1
    c = b * 2
    assert sess.run(c, {b: 5.0}) == 10.0  # `a` is not needed
    assert sess.run(b, {b: 5.0}) == 5.0
    assert sess.run([a, b, c], {a: 1.0}) == [1.0, 2.0, 4.0]


def test_feed_jax_array(sess):
    x = tf.placeholder(tf.float32, [2])
    out = sess.run(x + 1, {x: jax.numpy.ones(2, jax.numpy.float32)})
    np.testing.assert_array_equal(out, [2.0, 2.0])


def test_feed_of_wrong_shape_names_the_tensor(sess):
    x = tf.placeholder(tf.float32, [None, 2], name="x")
    y = x * 2
    message = "Cannot feed value of shape (3,) for Tensor x:0, which has shape (None, 2)"
    with pytest.raises(ValueError) as info:
        sess.run(y, {x: np.ones(3)})
    assert message in str(info.value)


def test_feed_of_wrong_shape_to_intermediate_tensor(sess):
    b = tf.placeholder(tf.float32, []) + 1
    with pytest.raises(ValueError, match="Cannot feed value of shape"):
        sess.run(b * 2, {b: [1.0, 2.0]})


def test_feed_numpy_cannot_convert_is_a_type_error(sess):
    x = tf.placeholder(tf.float32, [2], name="x")
    with pytest.raises(TypeError, match="float\\(\\) argument must be a string or a real number"):
        sess.run(x * 2, {x: object()})
    with pytest.raises(TypeError, match="Tensor 'x:0'"):
        sess.run(x * 2, {x: {"a": 1}})


def test_feed_of_a_tensor_names_the_placeholder(sess):
    x = tf.placeholder(tf.float32, [2], name="x")
    with pytest.raises(TypeError) as info:
        sess.run(x * 2, {x: tf.constant([1.0, 2.0], name="c")})
    message = str(info.value)
    assert message.startswith("The value of a feed cannot be a tf.Tensor object.")
    assert 'the tensor object was Tensor("c:0"' in message
    assert 'with key Tensor("x:0", shape=(2,), dtype=float32)' in message


def test_feed_with_unknown_rank_accepts_any_shape(sess):
    x = tf.placeholder(tf.float32)
    assert sess.run(x * 2, {x: 3.0}) == 6.0
    assert sess.run(x * 2, {x: np.ones((2, 3))}).shape == (2, 3)


@pytest.mark.parametrize(
    "dtype, value",
    [
        (tf.int32, 2**40),
        (tf.int32, -(2**31) - 1),
        (tf.uint8, 300),
        (tf.uint8, -1),
    ],
)
def test_feed_of_too_big_python_int_raises_type_error(sess, dtype, value):
    x = tf.placeholder(dtype, [])
    with pytest.raises(TypeError, match="is not compatible with Tensor type"):
        sess.run(x + 1, {x: value})


def test_feed_of_unconvertible_value_raises_value_error(sess):
    x = tf.placeholder(tf.float32, [1], name="x")
    with pytest.raises(ValueError, match="'x:0'"):
        sess.run(x + 1, {x: ["a"]})


def test_feed_value_that_is_a_tensor_raises_type_error(sess):
    x = tf.placeholder(tf.float32, [])
    with pytest.raises(TypeError, match="The value of a feed cannot be a tf.Tensor"):
        sess.run(x + 1, {x: tf.constant(1.0)})


def test_feed_of_non_feedable_tensor_raises_value_error(graph, sess):
    x = tf.placeholder(tf.float32, [], name="x")
    graph.prevent_feeding(x)
    with pytest.raises(ValueError, match="x:0 may not be fed"):
        sess.run(x + 1, {x: 1.0})


@pytest.mark.parametrize("key", ["nope:0", "nope"])
def test_feed_of_unknown_key_raises_type_error(sess, key):
    x = tf.placeholder(tf.float32, [], name="x")
    with pytest.raises(TypeError, match="Cannot interpret feed_dict key as Tensor"):
        sess.run(x + 1, {key: 1.0})


def test_feed_key_from_another_graph_raises_type_error(sess):
    x = tf.placeholder(tf.float32, [])
    with tf.Graph().as_default():
        other = tf.placeholder(tf.float32, [])
    with pytest.raises(TypeError, match="Cannot interpret feed_dict key as Tensor"):
        sess.run(x + 1, {other: 1.0})


def test_unfed_placeholder_raises_invalid_argument(sess):
    x = tf.placeholder(tf.float32, [None, 2], name="my_input")
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        sess.run(x * 2)
    message = str(info.value)
    assert "You must feed a value for placeholder tensor" in message
    assert "my_input" in message
    assert THIS_FILE in message


def test_placeholder_with_default(sess):
    d = tf.placeholder_with_default(tf.constant([1, 2]), [None])
    e = d * 3
    np.testing.assert_array_equal(sess.run(e), [3, 6])
    np.testing.assert_array_equal(sess.run(e, {d: [5, 6, 7]}), [15, 18, 21])
    with pytest.raises(ValueError, match="Cannot feed value of shape"):
        sess.run(e, {d: [[1]]})


def test_feed_numpy_scalar_of_another_dtype_is_converted(sess):
    x = tf.placeholder(tf.float32, [])
    out = sess.run(x * 2, {x: np.float64(1.25)})
    assert type(out) is np.float32 and out == 2.5
    assert sess.run(x * 2, {x: np.int32(3)}) == 6.0


def test_feed_numpy_scalar_to_a_tensor_of_known_shape_is_refused(sess):
    x = tf.placeholder(tf.float32, [2], name="x")
    with pytest.raises(ValueError, match=r"Cannot feed value of shape \(\) for Tensor x:0,"):
        sess.run(x * 2, {x: np.float32(1.0)})
    with pytest.raises(ValueError, match=r"Cannot feed value of shape \(3,\)"):
        sess.run(x * 2, {x: np.ones(3, np.float32)})


def test_feed_of_a_partly_known_shape_checks_each_known_dimension(sess):
    x = tf.placeholder(tf.float32, [None, 2], name="x")
    assert sess.run(x * 2, {x: np.ones((5, 2), np.float32)}).shape == (5, 2)
    with pytest.raises(ValueError, match=r"which has shape \(None, 2\)"):
        sess.run(x * 2, {x: np.ones((5, 3), np.float32)})
    with pytest.raises(ValueError, match=r"Cannot feed value of shape \(2, 2, 1\)"):
        sess.run(x * 2, {x: np.ones((2, 2, 1), np.float32)})


def test_fetched_variable_is_a_copy_of_its_value_not_its_buffer(sess):
    v = tf.Variable([1.0, 2.0])
    step = v.assign_add([1.0, 1.0])
    sess.run(v.initializer)
    before = sess.run(v)
    after = sess.run(step)
    before[0] = after[0] = -5.0  # the caller's arrays: writable, and the session's unchanged
    np.testing.assert_array_equal(sess.run(step), [3.0, 4.0])
    np.testing.assert_array_equal(sess.run(v), [3.0, 4.0])


# -- session lifetime and defaults -----------------------------------------------------------


def test_run_after_close_raises_runtime_error(graph):
    c = tf.constant(1)
    sess = tf.Session(graph=graph)
    assert sess.run(c) == 1
    sess.close()
    sess.close()  # closing twice is harmless
    with pytest.raises(RuntimeError, match="closed Session"):
        sess.run(c)


def test_context_manager_makes_session_and_graph_default_then_closes():
    other = tf.Graph()
    with other.as_default():
        c = tf.constant(2)
    outer = tf.get_default_graph()
    with tf.Session(graph=other) as sess:
        assert tf.get_default_session() is sess
        assert tf.get_default_graph() is other
        assert c.eval() == 2
    assert tf.get_default_session() is None
    assert tf.get_default_graph() is outer
    with pytest.raises(RuntimeError, match="closed Session"):
        sess.run(c)


def test_session_defaults_to_the_default_graph(graph):
    tf.constant(1)
    with tf.Session() as sess:
        assert sess.graph is graph


def test_as_default_does_not_close(graph):
    c = tf.constant(4)
    sess = tf.Session(graph=graph)
    with sess.as_default():
        assert tf.get_default_session() is sess
        assert c.eval() == 4
    assert tf.get_default_session() is None
    assert sess.run(c) == 4
    sess.close()


def test_nested_defaults(graph):
    tf.constant(1)
    first, second = tf.Session(graph=graph), tf.Session(graph=graph)
    with first.as_default():
        with second.as_default():
            assert tf.get_default_session() is second
        assert tf.get_default_session() is first


def test_default_session_is_per_thread(sess):
    seen = []
    thread = threading.Thread(target=lambda: seen.append(tf.get_default_session()))
    thread.start()
    thread.join()
    assert tf.get_default_session() is sess and seen == [None]


def test_eval_and_run_on_default_session(sess):
    x = tf.placeholder(tf.float32, [])
    y = x * 2
    assert y.eval({x: 3.0}) == 6.0
    assert y.eval(feed_dict={x: 4.0}) == 8.0
    assert y.op.run({x: 1.0}) is None


def test_eval_and_run_with_explicit_session(graph):
    x = tf.placeholder(tf.float32, [])
    y = x * 2
    sess = tf.Session(graph=graph)
    assert y.eval({x: 3.0}, session=sess) == 6.0
    assert y.op.run({x: 3.0}, session=sess) is None


def test_eval_without_default_session_raises_value_error():
    c = tf.constant(1)
    with pytest.raises(ValueError, match="No default session"):
        c.eval()


def test_eval_with_session_of_another_graph_raises_value_error():
    c = tf.constant(1)
    other = tf.Graph()
    with other.as_default():
        tf.constant(2)
    with pytest.raises(ValueError, match="graph is different"):
        c.eval(session=tf.Session(graph=other))


def test_interactive_session_installs_itself_as_default(graph):
    c = tf.constant(5)
    sess = tf.InteractiveSession()
    try:
        assert tf.get_default_session() is sess
        assert c.eval() == 5
    finally:
        sess.close()
    assert tf.get_default_session() is None


def test_interactive_session_with_explicit_graph_makes_it_default(graph):
    other = tf.Graph()
    sess = tf.InteractiveSession(graph=other)
    try:
        assert tf.get_default_graph() is other
        c = tf.constant(7)
        assert c.graph is other and c.eval() == 7
    finally:
        sess.close()
    assert tf.get_default_graph() is graph
    assert tf.get_default_session() is None


def test_interactive_sessions_close_out_of_order(graph):
    tf.constant(1)
    first = tf.InteractiveSession()
    second = tf.InteractiveSession()
    first.close()
    assert tf.get_default_session() is second
    second.close()
    assert tf.get_default_session() is None


def test_empty_graph_raises_runtime_error(graph):
    sess = tf.Session(graph=graph)
    with pytest.raises(RuntimeError, match="graph is empty"):
        sess.run([])


# -- make_callable ---------------------------------------------------------------------------


def test_make_callable(sess):
    x = tf.placeholder(tf.float32, [], name="x")
    y = x * 2
    init = tf.no_op()
    double = sess.make_callable(y, [x])
    assert double(3.0) == 6.0 and double(np.float32(4.0)) == 8.0
    both = sess.make_callable([y, init], ["x:0"])
    assert both(1.0) == [2.0, None]
    assert sess.make_callable(init)() is None


def test_make_callable_checks_feeds(sess):
    x = tf.placeholder(tf.float32, [2])
    f = sess.make_callable(x + 1, [x])
    with pytest.raises(ValueError, match="Cannot feed value of shape"):
        f([1.0])
    with pytest.raises(tf.errors.InvalidArgumentError, match="Expected 1 feed values"):
        f()


def test_make_callable_with_options(sess):
    x = tf.placeholder(tf.float32, [])
    f = sess.make_callable(x + 1, [x], accept_options=True)
    metadata = tf.RunMetadata()
    assert f(1.0, options=tf.RunOptions(), run_metadata=metadata) == 2.0
    plain = sess.make_callable(x + 1, [x])
    with pytest.raises(TypeError):
        plain(1.0, options=tf.RunOptions())


def test_make_callable_after_close_raises_runtime_error(graph):
    sess = tf.Session(graph=graph)
    f = sess.make_callable(tf.constant(1) + 1)
    sess.close()
    with pytest.raises(RuntimeError, match="closed Session"):
        f()


# -- placement -------------------------------------------------------------------------------


def test_gpu_op_without_soft_placement(graph):
    with tf.device("/gpu:0"):
        y = tf.constant(2.0) * 3
    sess = tf.Session(graph=graph)
    if _has_gpu():
        assert sess.run(y) == 6.0
    else:
        with pytest.raises(
            tf.errors.InvalidArgumentError, match="Cannot assign a device for operation"
        ):
            sess.run(y)


def test_gpu_op_with_soft_placement(graph):
    with tf.device("/gpu:0"):
        y = tf.constant(2.0) * 3
    config = tf.ConfigProto(allow_soft_placement=True)
    assert tf.Session(graph=graph, config=config).run(y) == 6.0


def test_log_device_placement_prints_each_op(graph, capfd):
    tf.add(tf.constant(1.0, name="a"), tf.constant(2.0, name="b"), name="sum")
    sess = tf.Session(graph=graph, config=tf.ConfigProto(log_device_placement=True))
    assert sess.run("sum:0") == 3.0
    err = capfd.readouterr().err
    assert "sum: (Add): /job:localhost/replica:0/task:0/device:" in err
    assert "a: (Const): " in err


def test_list_devices(sess):
    names = [d.name for d in sess.list_devices()]
    assert "/job:localhost/replica:0/task:0/device:CPU:0" in names or _has_gpu()
    assert all(n.startswith("/job:localhost/replica:0/task:0/device:") for n in names)


# -- plan caching ----------------------------------------------------------------------------


def test_second_run_reuses_the_plan(graph, sess, monkeypatch):
    x = tf.placeholder(tf.float32, [], name="x")
    y = x * 2
    calls = []
    as_ir = graph._as_ir
    monkeypatch.setattr(graph, "_as_ir", lambda: calls.append(1) or as_ir())
    assert sess.run([y], {x: 1.0}) == [2.0]
    assert len(sess._runs) == 1 and len(calls) == 1
    assert sess.run([y], {x: 2.0}) == [4.0]
    assert sess.run([y], {x: 3.0}) == [6.0]
    assert len(sess._runs) == 1 and len(calls) == 1


def test_adding_ops_keeps_earlier_fetches_working(sess):
    x = tf.placeholder(tf.float32, [])
    y = x * 2
    assert sess.run(y, {x: 1.0}) == 2.0
    z = y + 10
    assert sess.run(y, {x: 2.0}) == 4.0
    assert sess.run(z, {x: 2.0}) == 14.0
    assert sess.run([y, z], {x: 3.0}) == [6.0, 16.0]


def test_two_sessions_on_one_graph_are_independent(graph):
    x = tf.placeholder(tf.float32, [])
    y = x + 1
    first, second = tf.Session(graph=graph), tf.Session(graph=graph)
    assert first.run(y, {x: 1.0}) == 2.0
    assert second.run(y, {x: 2.0}) == 3.0
    assert first._runs is not second._runs
    first.close()
    assert second.run(y, {x: 5.0}) == 6.0


def test_concurrent_runs_from_threads(sess):
    x = tf.placeholder(tf.float32, [3])
    y = tf.reduce_sum(x * 2)
    failures = []

    def worker(seed):
        try:
            for i in range(50):
                value = np.full(3, seed * 100 + i, np.float32)
                out = sess.run(y, {x: value})
                if out != value.sum() * 2:
                    failures.append((seed, i, out))
        except Exception as e:  # report, don't hang the join
            failures.append(e)

    threads = [threading.Thread(target=worker, args=(s,)) for s in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert len(sess._runs) == 1


# -- host and xla kernels in one graph ----------------------------------------------------------


def test_print_between_xla_ops(sess, capfd):
    x = tf.placeholder(tf.float32, [None])
    y = tf.Print(x * 2, [x], "x=") + 1
    np.testing.assert_array_equal(sess.run(y, {x: [1.0, 2.0]}), [3.0, 5.0])
    assert "x=[1 2]" in capfd.readouterr().err
    kinds = [seg.kind for seg in _only_run(sess).plan.segments]
    assert len(kinds) > 1 and "host" in kinds and "xla" in kinds


def test_string_ops_between_xla_ops(sess):
    a, b = tf.constant(1), tf.constant(2)
    s = tf.string_join([tf.as_string(a + b), "!"])
    assert sess.run(s) == b"3!"
    kinds = [seg.kind for seg in _only_run(sess).plan.segments]
    assert len(kinds) > 1 and "host" in kinds and "xla" in kinds


# -- runtime errors --------------------------------------------------------------------------


def test_runtime_error_names_op_and_user_line(sess):
    x = tf.placeholder(tf.float32, [None])
    r = tf.reshape(x, [5], name="my_reshape")
    np.testing.assert_array_equal(sess.run(r, {x: np.arange(5.0)}), np.arange(5.0))
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        sess.run(r, {x: np.arange(6.0)})
    message = str(info.value)
    assert "Reshape" in message and "my_reshape" in message
    assert THIS_FILE in message


def test_session_survives_a_failed_run(sess):
    x = tf.placeholder(tf.float32, [None])
    r = tf.reshape(x, [2])
    with pytest.raises(tf.errors.InvalidArgumentError):
        sess.run(r, {x: np.ones(3)})
    np.testing.assert_array_equal(sess.run(r, {x: np.ones(2)}), [1.0, 1.0])


def test_a_list_of_fetches_is_planned_once_and_read_as_it_is_each_run():
    with tf.Graph().as_default() as g:
        x = tf.placeholder(tf.float32, [None])
        v = tf.Variable(1.0)
        y, total = x * v, tf.reduce_sum(x * v)
        bump = v.assign_add(1.0)
        with tf.Session(graph=g) as sess:
            sess.run(v.initializer)
            feed = {x: np.array([1.0, 2.0], np.float32)}
            fetches = [total, bump]
            assert sess.run(fetches, feed) == [3.0, 2.0]
            assert sess.run(fetches, feed) == [6.0, 3.0]
            fetches[1] = y  # the same list, changed: its new contents are fetched
            value = sess.run(fetches, feed)
            assert value[0] == 9.0 and value[1].tolist() == [3.0, 6.0]
            assert len(sess._listed) == 2  # one run per distinct flat list
            nested = sess.run([[y], "Sum:0"], feed)  # nested and named: the general path
            assert nested[0][0].tolist() == [3.0, 6.0] and nested[1] == 9.0
            doubled = total * 2.0  # the graph grew: planned again
            assert sess.run([doubled, total], feed) == [18.0, 9.0]
