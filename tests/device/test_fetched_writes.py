"""A fetched value that is a written variable's new value (`sess.run(v.assign_add(1))`):
the segment's program returns it once, as the variable's new state, and the run fetches
that buffer (`device/lower.py`'s `_Alias`). The fetched array is the caller's own: later
steps, which donate the variable's buffer, never change it; a run whose later step writes
the variable again fetches a copy; an executable loaded from the cache maps it the same."""

from __future__ import annotations

import numpy as np
import pytest

import flowgraph as tf
from device import executable_cache


@pytest.fixture
def graph():
    g = tf.Graph()
    with g.as_default():
        yield g


def _plan(sess, fetches):
    sess.run(fetches)
    return sess._cached_run(fetches, ())[0].plan


@pytest.mark.parametrize("shape", [(), (3,), (2, 3)], ids=["scalar", "vector", "matrix"])
def test_a_fetched_assign_add_is_its_value_then_and_never_changes(graph, shape):
    v = tf.Variable(np.zeros(shape, np.float32), name="v")
    step = np.arange(1, 1 + int(np.prod(shape)), dtype=np.float32).reshape(shape)
    update = v.assign_add(step)
    with tf.Session() as sess:
        sess.run(v.initializer)
        first, second = sess.run(update), sess.run(update)
        plan = _plan(sess, update)  # the third step
        (call,) = [s.call for s in plan.steps]
        assert call.aliased_outputs == [0]  # returned once: as the write
        later = [sess.run(update) for _ in range(3)]
        np.testing.assert_array_equal(first, step)
        np.testing.assert_array_equal(second, 2 * step)
        np.testing.assert_array_equal(later[-1], 6 * step)
        assert isinstance(first, np.ndarray if shape else np.float32)
        if shape:
            assert first.flags.writeable and first.flags.owndata
            first[...] = -1.0  # the caller's own array: the variable does not see it
        np.testing.assert_array_equal(sess.run(v), 6 * step)
        np.testing.assert_array_equal(sess.run(update), 7 * step)


def test_an_assign_fetched_with_reads_of_its_variable_and_values_made_from_it(graph):
    v = tf.Variable(np.zeros(4, np.float32), name="v")
    update = v.assign_add(np.ones(4, np.float32))
    with tf.control_dependencies([update]):
        after = v.read_value()
        doubled = tf.identity(update) * 2.0
    same = tf.identity(update)
    with tf.Session() as sess:
        sess.run(v.initializer)
        for n in range(1, 4):
            a, b, c, d, e = sess.run([update, update, after, doubled, same])
            for value in (a, b, c, e):
                np.testing.assert_array_equal(value, np.full(4, n, np.float32))
            np.testing.assert_array_equal(d, np.full(4, 2 * n, np.float32))
            # A tensor fetched twice is one array (as before); each other its own.
            assert a is b and len({id(x) for x in (a, c, e)}) == 3
            a[0] = 100.0
            np.testing.assert_array_equal(c, np.full(4, n, np.float32))
            np.testing.assert_array_equal(e, np.full(4, n, np.float32))
        np.testing.assert_array_equal(sess.run(v), np.full(4, 3, np.float32))


def test_two_variables_assigned_in_one_run_each_fetch_their_own(graph):
    u = tf.Variable(1.0, name="u")
    w = tf.Variable(np.ones(2, np.float32), name="w")
    ups = [u.assign(u * 3.0), w.assign_sub(np.array([1.0, 2.0], np.float32)), u * 1.0]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        first = sess.run(ups[:2])
        second = sess.run(ups[:2])
        assert first[0] == np.float32(3.0) and second[0] == np.float32(9.0)
        np.testing.assert_array_equal(first[1], [0.0, -1.0])
        np.testing.assert_array_equal(second[1], [-1.0, -3.0])
        assert sess.run(ups[2]) == np.float32(9.0)


def test_a_later_step_writing_the_variable_again_leaves_the_fetch_alone(graph):
    # A host op between two updates of `v` splits them into two compiled steps; the second
    # donates the buffer of `v` the first wrote: the first step's fetch must be a copy.
    v = tf.Variable(np.zeros(3, np.float32), name="v")
    first = v.assign_add(np.ones(3, np.float32))
    with tf.control_dependencies([first]):
        ten = tf.py_func(lambda: np.float32(10.0), [], tf.float32)
    with tf.control_dependencies([ten]):
        second = v.assign(v * 2.0 + ten)
    with tf.Session() as sess:
        sess.run(v.initializer)
        plan = _plan(sess, [first, second])  # v: 1, then 12
        xla = [s for s in plan.steps if not s.host]
        assert len(xla) == 2 and xla[0].call.aliased_outputs == [0]
        a, b = sess.run([first, second])  # v: 13, then 36
        np.testing.assert_array_equal(a, np.full(3, 13.0, np.float32))
        np.testing.assert_array_equal(b, np.full(3, 36.0, np.float32))
        np.testing.assert_array_equal(sess.run(v), np.full(3, 36.0, np.float32))
        # The first step alone (another plan of the same segment) stays right too.
        np.testing.assert_array_equal(sess.run(first), np.full(3, 37.0, np.float32))


def _counting(tmp_path):
    """Runs v.assign_add(1) (a vector) and [it, v + 0] three times each in a new graph
    and session; returns the fetches, where each segment's executable came from and the
    outputs it returns as writes."""
    with tf.Graph().as_default():
        v = tf.Variable(np.zeros(3, np.float32), name="v")
        update = v.assign_add(np.ones(3, np.float32))
        with tf.control_dependencies([update]):
            plus = v + 0.0
        with tf.Session() as sess:
            sess.run(v.initializer)
            fetched = [sess.run(update) for _ in range(3)]
            fetched += [x for _ in range(3) for x in sess.run([update, plus])]
            plan = sess._cached_run(update, ())[0].plan
            origins = [o for s in sess.explain(update).segments for o in s.compiled_from]
            return fetched, origins, plan.steps[0].call.aliased_outputs


def test_an_executable_loaded_from_the_cache_fetches_the_write_the_same(tmp_path):
    before = executable_cache.configure(str(tmp_path))
    try:
        cold, cold_origins, cold_aliased = _counting(tmp_path)
        warm, warm_origins, warm_aliased = _counting(tmp_path)
    finally:
        executable_cache.configure(before)
    assert cold_origins == ["compiled"] and warm_origins == ["loaded"]
    assert cold_aliased == warm_aliased == [0]
    expected = [np.full(3, n, np.float32) for n in (1, 2, 3, 4, 4, 5, 5, 6, 6)]
    for values in (cold, warm):
        assert len({id(x) for x in values}) == len(values)
        for value, want in zip(values, expected):
            np.testing.assert_array_equal(value, want)


@pytest.mark.parametrize("shape", [(), (3,)], ids=["scalar", "vector"])
def test_threads_fetching_one_assign_each_get_the_value_their_update_made(graph, shape):
    # Another thread's step donates the buffer a fetch was read from before the session
    # copied it: every update's value is fetched once, none lost, none seen twice.
    import threading

    v = tf.Variable(np.zeros(shape, np.float32), name="v")
    update = v.assign_add(np.ones(shape, np.float32))
    with tf.Session() as sess:
        sess.run(v.initializer)
        seen, failed = [[] for _ in range(4)], []

        def work(out):
            try:
                for _ in range(150):
                    value = sess.run(update)
                    out.append(float(np.ravel(value)[0]))
                    assert np.all(value == np.ravel(value)[0])
            except Exception as e:  # noqa: BLE001 -- reported by the test's thread
                failed.append(e)

        threads = [threading.Thread(target=work, args=(out,)) for out in seen]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not failed
        assert sorted(x for out in seen for x in out) == list(range(1, 601))
        assert all(out == sorted(out) for out in seen)  # each thread's in its order
        np.testing.assert_array_equal(sess.run(v), np.full(shape, 600.0, np.float32))


def test_a_fetched_assign_in_a_traced_run_and_a_callable(graph):
    v = tf.Variable(np.zeros(3, np.float32), name="v")
    x = tf.placeholder(tf.float32, [3], name="x")
    update = v.assign_add(x)
    ones = np.ones(3, np.float32)
    with tf.Session() as sess:
        sess.run(v.initializer)
        options = tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE)
        metadata = tf.RunMetadata()
        traced = sess.run(update, {x: ones}, options=options, run_metadata=metadata)
        call = sess.make_callable(update, [x])
        called = [call(ones * 2), call(ones * 3)]
        both = sess.run([update, v], {x: ones}, options=options, run_metadata=metadata)
        np.testing.assert_array_equal(traced, ones)
        np.testing.assert_array_equal(called[0], 3 * ones)
        np.testing.assert_array_equal(called[1], 6 * ones)
        np.testing.assert_array_equal(both[0], 7 * ones)
        np.testing.assert_array_equal(both[1], 7 * ones)
        assert metadata.step_stats.dev_stats  # the traced run recorded its step
