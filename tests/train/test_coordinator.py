"""Coordinator, LooperThread and QueueRunner threads: stopping together, re-raising errors.

Threads synchronise on events and the coordinator itself, never on sleeps; every join has
a timeout.
"""

import threading

import pytest

import flowgraph as tf


@pytest.fixture(autouse=True)
def graph():
    """Each test builds its own graph (queue runners collect in the graph)."""
    with tf.Graph().as_default() as g:
        yield g


def _worker(coord, started: threading.Event, error=None):
    """A thread body: signals `started`, then raises `error` or waits for the stop."""
    with coord.stop_on_exception():
        started.set()
        if error is not None:
            raise error
        coord.wait_for_stop(20)


def test_request_stop_and_join():
    coord = tf.train.Coordinator()
    assert not coord.should_stop()
    started = threading.Event()
    thread = threading.Thread(target=_worker, args=(coord, started))
    thread.start()
    assert started.wait(20)
    coord.request_stop()
    assert coord.should_stop() and coord.wait_for_stop(0)
    coord.join([thread], stop_grace_period_secs=20)
    assert not thread.is_alive() and coord.joined


def test_join_reraises_the_first_exception():
    coord = tf.train.Coordinator()
    first, second = threading.Event(), threading.Event()
    bad = threading.Thread(target=_worker, args=(coord, first, ValueError("first")))
    bad.start()
    assert first.wait(20)
    bad.join(20)
    later = threading.Thread(target=_worker, args=(coord, second, KeyError("second")))
    later.start()
    later.join(20)
    with pytest.raises(ValueError, match="first"):
        coord.join([bad, later], stop_grace_period_secs=20)
    with pytest.raises(ValueError, match="first"):
        coord.raise_requested_exception()


def test_out_of_range_is_a_clean_stop():
    coord = tf.train.Coordinator()
    started = threading.Event()
    error = tf.errors.OutOfRangeError(None, None, "end of input")
    thread = threading.Thread(target=_worker, args=(coord, started, error))
    thread.start()
    thread.join(20)
    assert coord.should_stop()
    coord.join([thread])  # nothing raised
    custom = tf.train.Coordinator(clean_stop_exception_types=(StopIteration,))
    custom.request_stop(StopIteration())
    custom.join([])


def test_wait_for_stop_times_out_and_clear_stop():
    coord = tf.train.Coordinator()
    assert coord.wait_for_stop(0.01) is False
    coord.request_stop()
    coord.clear_stop()
    assert not coord.should_stop()


def test_join_waits_for_registered_threads_and_names_stragglers():
    coord = tf.train.Coordinator()
    release = threading.Event()
    straggler = threading.Thread(target=release.wait, args=(20,), name="straggler")
    straggler.start()
    coord.register_thread(straggler)
    coord.request_stop()
    with pytest.raises(RuntimeError, match="straggler"):
        coord.join(stop_grace_period_secs=0.01)
    release.set()
    straggler.join(20)
    coord.clear_stop()
    coord.request_stop()
    coord.join([straggler], ignore_live_threads=True)


def test_request_stop_after_join_raises():
    coord = tf.train.Coordinator()
    coord.request_stop()
    coord.join([])
    with pytest.raises(ValueError, match="late"):
        try:
            raise ValueError("late")
        except ValueError as e:
            coord.request_stop(e)


def test_looper_thread_runs_until_stopped():
    coord = tf.train.Coordinator()
    calls = []

    def target(limit):
        calls.append(1)
        if len(calls) == limit:
            coord.request_stop()

    looper = tf.train.LooperThread.loop(coord, None, target, args=(5,))
    coord.join([looper], stop_grace_period_secs=20)
    assert len(calls) == 5
    timed = tf.train.Coordinator()
    ticks = threading.Event()
    tf.train.LooperThread.loop(timed, 0.001, ticks.set)
    assert ticks.wait(20)
    timed.request_stop()
    timed.join(stop_grace_period_secs=20)
    with pytest.raises(ValueError, match="Coordinator"):
        tf.train.LooperThread(object(), None)


def test_looper_thread_reports_its_exception():
    coord = tf.train.Coordinator()

    def fail():
        raise RuntimeError("looper broke")

    tf.train.LooperThread.loop(coord, None, fail)
    with pytest.raises(RuntimeError, match="looper broke"):
        coord.join(stop_grace_period_secs=20)


# -- QueueRunner --------------------------------------------------------------------------------


def test_queue_runner_fills_a_queue_and_closes_it_at_the_end():
    counter = tf.Variable(0, dtype=tf.int64)
    queue = tf.FIFOQueue(4, tf.int64, shapes=[[]])
    runner = tf.train.QueueRunner(queue, [queue.enqueue(tf.count_up_to(counter, 6))] * 2)
    tf.train.add_queue_runner(runner)
    assert tf.get_collection(tf.GraphKeys.QUEUE_RUNNERS)[-1] is runner
    assert runner.queue_closed_exception_types == (tf.errors.OutOfRangeError,)
    with tf.Session() as sess:
        sess.run(counter.initializer)
        coord = tf.train.Coordinator()
        threads = runner.create_threads(sess, coord=coord, start=True)
        assert len(threads) == 3  # two enqueuing threads and one closing on stop
        assert runner.create_threads(sess, coord=coord) == []  # still running
        got = sess.run(queue.dequeue_up_to(10), options=tf.RunOptions(timeout_in_ms=20000))
        while len(got) < 6:
            got = list(got) + list(sess.run(queue.dequeue_up_to(10)))
        assert sorted(got) == [0, 1, 2, 3, 4, 5]
        with pytest.raises(tf.errors.OutOfRangeError):
            sess.run(queue.dequeue(), options=tf.RunOptions(timeout_in_ms=20000))
        coord.request_stop()
        coord.join(threads, stop_grace_period_secs=20)


def test_queue_runner_errors_go_to_the_coordinator_and_cancel_the_queue():
    queue = tf.FIFOQueue(4, tf.float32, shapes=[[]])
    bad = queue.enqueue(tf.check_numerics(tf.constant(float("nan")), "bad value"))
    runner = tf.train.QueueRunner(queue, [bad])
    with tf.Session() as sess:
        coord = tf.train.Coordinator()
        threads = runner.create_threads(sess, coord=coord, daemon=True, start=True)
        with pytest.raises(tf.errors.InvalidArgumentError, match="bad value"):
            coord.join(threads, stop_grace_period_secs=20)
        assert sess.run(queue.is_closed())


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # re-raised
def test_queue_runner_without_coordinator_keeps_exceptions():
    queue = tf.FIFOQueue(4, tf.float32, shapes=[[]])
    runner = tf.train.QueueRunner(queue, [queue.enqueue(tf.check_numerics(float("nan"), "nan!"))])
    with tf.Session() as sess:
        (thread,) = runner.create_threads(sess, start=True)
        thread.join(20)
        assert len(runner.exceptions_raised) == 1
        assert isinstance(runner.exceptions_raised[0], tf.errors.InvalidArgumentError)


def test_start_queue_runners_needs_a_session():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="No default session"):
            tf.train.start_queue_runners()
        with pytest.raises(TypeError, match="queue_closed_exception_types"):
            tf.train.QueueRunner(tf.FIFOQueue(1, tf.int32), [tf.no_op()], None, None, (KeyError,))


def test_queue_runners_survive_a_meta_graph_round_trip():
    # QueueRunnerDef (TF's field numbers) carries the runner; the imported one fills the queue.
    with tf.Graph().as_default():
        queue = tf.FIFOQueue(10, tf.int32, name="q")
        counter = tf.Variable(0, name="counter")
        enqueue = queue.enqueue(tf.assign_add(counter, 1))
        qr = tf.train.QueueRunner(queue, [enqueue], queue_closed_exception_types=(
            tf.errors.OutOfRangeError, tf.errors.CancelledError))
        tf.train.add_queue_runner(qr)
        tf.identity(queue.dequeue(), name="taken")
        meta = tf.train.export_meta_graph()
    (item,) = meta.collection_def[tf.GraphKeys.QUEUE_RUNNERS].bytes_list.value
    proto = tf.train.QueueRunnerDef.FromString(item)
    assert proto.queue_name == "q" and list(proto.enqueue_op_name) == [enqueue.name]
    assert list(proto.queue_closed_exception_types) == [11, 1]  # OUT_OF_RANGE, CANCELLED
    with tf.Graph().as_default(), tf.Session() as sess:
        tf.train.import_meta_graph(meta)
        (runner,) = tf.get_collection(tf.GraphKeys.QUEUE_RUNNERS)
        assert runner.queue_closed_exception_types == (
            tf.errors.OutOfRangeError, tf.errors.CancelledError)
        sess.run("counter/Assign")
        coord = tf.train.Coordinator()
        threads = runner.create_threads(sess, coord=coord, start=True)
        got = sorted(sess.run("taken:0") for _ in range(3))
        assert got[0] >= 1 and len(set(got)) == 3
        coord.request_stop()
        sess.run(runner.cancel_op)
        coord.join(threads, stop_grace_period_secs=10)
