"""Queues and conditional accumulators: order, blocking, closing, cancellation, timeouts.

Threads are bounded: every wait that could hang has a RunOptions timeout or a join timeout.
"""

import re
import threading
import time

import numpy as np
import pytest

import flowgraph as tf

OP_TYPES_TESTED = {
    "FIFOQueueV2",
    "PaddingFIFOQueueV2",
    "RandomShuffleQueueV2",
    "PriorityQueueV2",
    "QueueEnqueueV2",
    "QueueEnqueueManyV2",
    "QueueDequeueV2",
    "QueueDequeueManyV2",
    "QueueDequeueUpToV2",
    "QueueCloseV2",
    "QueueSizeV2",
    "QueueIsClosedV2",
    "ResourceConditionalAccumulator",
    "ResourceAccumulatorApplyGradient",
    "ResourceAccumulatorNumAccumulated",
    "ResourceAccumulatorSetGlobalStep",
    "ResourceAccumulatorTakeGradient",
    "SparseConditionalAccumulator",
    "SparseAccumulatorApplyGradient",
    "SparseAccumulatorTakeGradient",
    "AccumulatorNumAccumulated",
    "AccumulatorSetGlobalStep",
    "CountUpTo",
}

_QUEUE_OPS_REASON = "a queue/accumulator op: session state, no gradient in TF"
NOT_DIFFERENTIABLE = {op: _QUEUE_OPS_REASON for op in OP_TYPES_TESTED - {"CountUpTo"}}
NOT_DIFFERENTIABLE["CountUpTo"] = "an integer counter update"


@pytest.fixture(autouse=True)
def graph():
    """Each test builds its own graph (queue runners collect in the graph)."""
    with tf.Graph().as_default() as g:
        yield g


SHORT = tf.RunOptions(timeout_in_ms=100)  # for runs that must block (they time out)
LONG = tf.RunOptions(timeout_in_ms=20000)  # for runs that must finish (a bound, not a wait)


def _in_thread(fn):
    """Starts `fn` in a thread; returns (thread, outcome list: value or exception)."""
    outcome = []

    def run():
        try:
            outcome.append(fn())
        except Exception as e:  # reported to the test through `outcome`
            outcome.append(e)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def _wait_for_pending(sess, queue, enqueues=0, dequeues=0):
    """Waits (at most 20 s) until that many ops wait in the session's queue, so a test knows
    its threads are blocked there. No op tells this: it asks the queue resource itself,
    re-checking whenever the queue changes (or every 10 ms, as a new waiter notifies none)."""
    resource = sess._store.lookup(sess.run(queue.queue_ref))
    deadline = time.monotonic() + 20
    with resource._cond:
        while len(resource._enqueuers) < enqueues or len(resource._dequeuers) < dequeues:
            assert time.monotonic() < deadline, "no op came to wait in the queue"
            resource._cond.wait(0.01)


def test_fifo_order_and_components():
    q = tf.FIFOQueue(10, [tf.int32, tf.string], shapes=[[], [2]])
    enq = q.enqueue_many([[1, 2, 3], [[b"a", b"b"], [b"c", b"d"], [b"e", b"f"]]])
    one, many = q.dequeue(), q.dequeue_many(2)
    assert q.queue_ref.dtype == tf.resource and q.name == "fifo_queue"
    assert many[0].shape.as_list() == [2] and many[1].shape.as_list() == [2, 2]
    with tf.Session() as sess:
        sess.run(enq)
        assert sess.run(q.size()) == 3
        value, strings = sess.run(one)
        assert value == 1 and strings.tolist() == [b"a", b"b"]
        values, strings = sess.run(many)
        assert values.tolist() == [2, 3] and strings.tolist() == [[b"c", b"d"], [b"e", b"f"]]


def test_names_give_dicts():
    q = tf.FIFOQueue(4, [tf.float32, tf.int64], shapes=[[], []], names=["x", "y"])
    enq = q.enqueue({"x": 1.5, "y": 7})
    with pytest.raises(ValueError, match="must enqueue a dictionary"):
        q.enqueue([1.5, 7])
    with tf.Session() as sess:
        sess.run(enq)
        assert sess.run(q.dequeue()) == {"x": 1.5, "y": 7}


def test_enqueue_shape_checked():
    q = tf.FIFOQueue(4, tf.float32, shapes=[[2]])
    with pytest.raises(ValueError):
        q.enqueue([[1.0, 2.0, 3.0]])
    x = tf.placeholder(tf.float32)
    enq = q.enqueue([x])
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="Shape mismatch in tuple"):
            sess.run(enq, {x: [1.0, 2.0, 3.0]})


def test_dequeue_waits_for_a_producer_thread():
    q = tf.FIFOQueue(2, tf.int32, shapes=[[]])
    x = tf.placeholder(tf.int32, [None])
    enq = q.enqueue_many([x])
    deq = q.dequeue_many(5)  # more than the capacity: taken as they arrive
    with tf.Session() as sess:
        thread, outcome = _in_thread(lambda: sess.run(enq, {x: np.arange(5)}, options=LONG))
        got = sess.run(deq, options=LONG)
        thread.join(20)
        assert got.tolist() == [0, 1, 2, 3, 4] and outcome == [None]


def test_full_queue_blocks_enqueue_until_timeout():
    q = tf.FIFOQueue(1, tf.int32, shapes=[[]])
    enq = q.enqueue(1)
    with tf.Session() as sess:
        sess.run(enq)
        with pytest.raises(tf.errors.DeadlineExceededError):
            sess.run(enq, options=SHORT)
        assert sess.run(q.size()) == 1


def test_empty_queue_dequeue_times_out():
    q = tf.FIFOQueue(1, tf.int32, shapes=[[]])
    with tf.Session() as sess:
        with pytest.raises(tf.errors.DeadlineExceededError, match="Timed out"):
            sess.run(q.dequeue(), options=SHORT)


def test_close_drains_then_out_of_range():
    q = tf.FIFOQueue(5, tf.int32, shapes=[[]])
    with tf.Session() as sess:
        sess.run(q.enqueue_many([[1, 2]]))
        sess.run(q.close())
        assert sess.run(q.is_closed())
        with pytest.raises(tf.errors.OutOfRangeError, match=r"requested 3, current size 2"):
            sess.run(q.dequeue_many(3))
        assert sess.run(q.size()) == 2  # a failed dequeue_many puts its elements back
        with pytest.raises(tf.errors.CancelledError, match="is closed"):
            sess.run(q.enqueue(3))
        assert sess.run(q.dequeue_up_to(5)).tolist() == [1, 2]
        with pytest.raises(tf.errors.OutOfRangeError):
            sess.run(q.dequeue_up_to(5))


def test_close_wakes_a_waiting_dequeue():
    q = tf.FIFOQueue(5, tf.int32, shapes=[[]])
    deq = q.dequeue()
    with tf.Session() as sess:
        thread, outcome = _in_thread(lambda: sess.run(deq, options=LONG))
        _wait_for_pending(sess, q, dequeues=1)
        sess.run(q.close())
        thread.join(20)
        assert isinstance(outcome[0], tf.errors.OutOfRangeError)


def test_cancel_pending_enqueues():
    q = tf.FIFOQueue(1, tf.int32, shapes=[[]])
    enq = q.enqueue(7)
    with tf.Session() as sess:
        sess.run(enq)
        pending, outcome = _in_thread(lambda: sess.run(enq, options=LONG))
        _wait_for_pending(sess, q, enqueues=1)
        sess.run(q.close(cancel_pending_enqueues=True))
        pending.join(20)
        assert isinstance(outcome[0], tf.errors.CancelledError)
        assert "Enqueue operation was cancelled" in str(outcome[0])
        assert sess.run(q.dequeue()) == 7


def test_pending_enqueue_finishes_after_plain_close():
    q = tf.FIFOQueue(1, tf.int32, shapes=[[]])
    enq = q.enqueue(7)
    with tf.Session() as sess:
        sess.run(enq)
        pending, outcome = _in_thread(lambda: sess.run(enq, options=LONG))
        _wait_for_pending(sess, q, enqueues=1)
        sess.run(q.close())
        assert sess.run(q.dequeue(), options=LONG) == 7
        pending.join(20)
        assert outcome == [None]
        assert sess.run(q.dequeue()) == 7


def test_session_close_cancels_waiting_runs():
    q = tf.FIFOQueue(1, tf.int32, shapes=[[]])
    deq = q.dequeue()
    sess = tf.Session()
    thread, outcome = _in_thread(lambda: sess.run(deq, options=LONG))
    _wait_for_pending(sess, q, dequeues=1)
    sess.close()
    thread.join(20)
    assert isinstance(outcome[0], tf.errors.CancelledError)


def test_sessions_have_separate_queues_and_shared_names_share():
    q = tf.FIFOQueue(3, tf.int32, shapes=[[]])
    a = tf.FIFOQueue(3, tf.int32, shapes=[[]], shared_name="shared")
    b = tf.FIFOQueue(3, tf.int32, shapes=[[]], shared_name="shared")
    with tf.Session() as s1, tf.Session() as s2:
        s1.run(q.enqueue(1))
        assert s1.run(q.size()) == 1 and s2.run(q.size()) == 0
        s1.run(a.enqueue(5))
        assert s1.run(b.dequeue()) == 5


def test_random_shuffle_queue_keeps_min_after_dequeue():
    q = tf.RandomShuffleQueue(10, 2, tf.int32, shapes=[[]], seed=7)
    with tf.Session() as sess:
        sess.run(q.enqueue_many([[1, 2, 3]]))
        first = sess.run(q.dequeue())
        with pytest.raises(tf.errors.DeadlineExceededError):
            sess.run(q.dequeue(), options=SHORT)  # 2 left: no more than min_after_dequeue
        sess.run(q.close())
        rest = sess.run(q.dequeue_up_to(5))  # once closed, everything may leave
        assert sorted([first] + rest.tolist()) == [1, 2, 3]


def test_random_shuffle_queue_is_seeded_permutation():
    q = tf.RandomShuffleQueue(100, 0, tf.int32, shapes=[[]], seed=42)
    enq, deq = q.enqueue_many([np.arange(50)]), q.dequeue_many(50)
    orders = []
    for _ in range(2):
        with tf.Session() as sess:
            sess.run(enq)
            orders.append(sess.run(deq).tolist())
    assert sorted(orders[0]) == list(range(50))
    assert orders[0] == orders[1] and orders[0] != list(range(50))


def test_padding_fifo_queue_pads_batches():
    q = tf.PaddingFIFOQueue(5, [tf.int32, tf.string], shapes=[[None], [None]])
    x, s = tf.placeholder(tf.int32, [None]), tf.placeholder(tf.string, [None])
    enq = q.enqueue([x, s])
    deq = q.dequeue_many(2)
    assert deq[0].shape.as_list() == [2, None]
    with tf.Session() as sess:
        sess.run(enq, {x: [1, 2, 3], s: [b"a"]})
        sess.run(enq, {x: [4], s: [b"b", b"c"]})
        ints, strings = sess.run(deq)
        assert ints.tolist() == [[1, 2, 3], [4, 0, 0]]
        assert strings.tolist() == [[b"a", b""], [b"b", b"c"]]
    with pytest.raises(ValueError, match="partial shapes"):
        tf.PaddingFIFOQueue(5, tf.int32, shapes=None)


def test_priority_queue_orders_by_priority():
    q = tf.PriorityQueue(10, [tf.string], shapes=[[]])
    enq = q.enqueue_many([[5, 1, 3, 1], [b"e", b"a", b"c", b"b"]])
    with tf.Session() as sess:
        sess.run(enq)
        priorities, values = sess.run(q.dequeue_many(4))
        assert priorities.tolist() == [1, 1, 3, 5]
        assert values.tolist() == [b"a", b"b", b"c", b"e"]


def test_from_list_selects_a_queue():
    q1 = tf.FIFOQueue(3, tf.int32, shapes=[[]])
    q2 = tf.FIFOQueue(3, tf.int32, shapes=[[]])
    index = tf.placeholder(tf.int32, [])
    q = tf.QueueBase.from_list(index, [q1, q2])
    with tf.Session() as sess:
        sess.run(q.enqueue(9), {index: 1})
        assert sess.run([q1.size(), q2.size()]) == [0, 1]
        assert sess.run(q2.dequeue()) == 9
    with pytest.raises(TypeError, match="matching component dtypes"):
        tf.QueueBase.from_list(0, [q1, tf.FIFOQueue(3, tf.float32)])


def test_dequeue_many_needs_no_elements_when_n_is_zero():
    q = tf.FIFOQueue(3, tf.float32, shapes=[[2]])
    with tf.Session() as sess:
        assert sess.run(q.dequeue_many(0)).shape == (0, 2)


# -- accumulators ----------------------------------------------------------------------------


def test_conditional_accumulator_averages_and_drops_stale():
    acc = tf.ConditionalAccumulator(tf.float32, shape=[2])
    grad, step = tf.placeholder(tf.float32, [2]), tf.placeholder(tf.int64, [])
    apply = acc.apply_grad(grad, local_step=step)
    take = acc.take_grad(2)
    with tf.Session() as sess:
        sess.run(apply, {grad: [1.0, 2.0], step: 0})
        sess.run(apply, {grad: [3.0, 6.0], step: 0})
        assert sess.run(acc.num_accumulated()) == 2
        np.testing.assert_allclose(sess.run(take), [2.0, 4.0])
        assert sess.run(acc.num_accumulated()) == 0
        sess.run(apply, {grad: [100.0, 100.0], step: 0})  # step 0 < global step 1: dropped
        assert sess.run(acc.num_accumulated()) == 0
        sess.run(acc.set_global_step(5))
        sess.run(apply, {grad: [1.0, 1.0], step: 4})  # stale
        sess.run(apply, {grad: [1.0, 1.0], step: 5})
        assert sess.run(acc.num_accumulated()) == 1
        with pytest.raises(tf.errors.InvalidArgumentError, match="must be positive"):
            sess.run(acc.take_grad(0))


def test_take_grad_waits_for_enough_gradients():
    acc = tf.ConditionalAccumulator(tf.float32, shape=[], reduction_type="SUM")
    apply = acc.apply_grad(2.5)
    take = acc.take_grad(3)
    with tf.Session() as sess:
        sess.run(apply)
        with pytest.raises(tf.errors.DeadlineExceededError):
            sess.run(take, options=SHORT)
        taker, outcome = _in_thread(lambda: sess.run(take, options=LONG))
        sess.run(apply)
        sess.run(apply)
        taker.join(20)
        assert outcome == [7.5]


def test_sparse_accumulator_averages_each_row():
    acc = tf.SparseConditionalAccumulator(tf.float32, shape=[4, 2])
    first = acc.apply_grad([1, 3], [[1.0, 1.0], [2.0, 2.0]], local_step=0)
    second = acc.apply_indexed_slices_grad(
        tf.IndexedSlices(tf.constant([[4.0, 4.0], [5.0, 5.0]]), tf.constant([0, 1]))
    )
    indices, values, shape = acc.take_grad(2)
    with tf.Session() as sess:
        sess.run(first)
        sess.run(second)
        assert sess.run(acc.num_accumulated()) == 2
        i, v, s = sess.run([indices, values, shape])
        assert i.tolist() == [0, 1, 3] and s.tolist() == [4, 2]
        np.testing.assert_allclose(v, [[4.0, 4.0], [3.0, 3.0], [2.0, 2.0]])  # row 1: (1+5)/2
        sess.run(acc.set_global_step(3))
        sess.run(first)  # local step 0 < 3: dropped
        assert sess.run(acc.num_accumulated()) == 0


def test_sparse_accumulator_unknown_shape_and_indexed_slices():
    acc = tf.SparseConditionalAccumulator(tf.float32)
    apply = acc.apply_grad([2], [[1.0, 3.0]], grad_shape=[5, 2])
    slices = acc.take_indexed_slices_grad(1)
    with tf.Session() as sess:
        sess.run(apply)
        value = sess.run(slices)
        assert value.indices.tolist() == [2] and value.dense_shape.tolist() == [-1, 2]


def test_count_up_to_raises_at_limit():
    v = tf.Variable(0, dtype=tf.int64)
    count = tf.count_up_to(v, 2)
    with tf.Session() as sess:
        sess.run(v.initializer)
        assert [sess.run(count), sess.run(count)] == [0, 1]
        with pytest.raises(tf.errors.OutOfRangeError, match="Reached limit of 2"):
            sess.run(count)
        assert sess.run(v) == 2


@pytest.mark.parametrize("kind", ["FIFOQueue", "RandomShuffleQueue"])
@pytest.mark.parametrize("up_to", [False, True])
def test_dequeue_many_needs_specified_shapes(kind, up_to):
    # TF 2.21's text; the queue keeps its elements.
    q = (
        tf.FIFOQueue(3, [tf.float32])
        if kind == "FIFOQueue"
        else tf.RandomShuffleQueue(3, 0, [tf.float32])
    )
    many = q.dequeue_up_to(1) if up_to else q.dequeue_many(1)
    with tf.Session() as sess:
        sess.run(q.enqueue([1.0]))
        text = (
            f"{kind}'s DequeueMany and DequeueUpTo require the components to have specified shapes."
        )
        with pytest.raises(tf.errors.InvalidArgumentError, match=re.escape(text)):
            sess.run(many)
        assert sess.run(q.size()) == 1
        assert sess.run(q.dequeue()) == 1.0


def test_sparse_accumulator_checks_shapes_as_tf():
    # TF's sparse_conditional_accumulator_test: the declared shape is a prefix of the
    # gradient's (shape=() accepts any), its first dim bounds the indices.
    scalar_shape = tf.SparseConditionalAccumulator(tf.float32, shape=())
    accepted = scalar_shape.apply_grad([1], [[2.0]], grad_shape=[2, 1])
    acc = tf.SparseConditionalAccumulator(tf.float32, shape=[2, 2, None])
    cases = [
        ("expected shape rank at least 3, got 2", acc.apply_grad([0], [[1.0, 2.0]], [2, 2])),
        (
            "expected shape dim 1 to be 2, got 3",
            acc.apply_grad([0], np.ones([1, 3, 2], np.float32), grad_shape=[2, 3, 2]),
        ),
        (
            "index of slice 0 exceeded limits of shape; index is 3 exceeded 2",
            acc.apply_grad([3], np.ones([1, 2, 2], np.float32)),
        ),
    ]
    with tf.Session() as sess:
        sess.run(accepted)
        assert sess.run(scalar_shape.num_accumulated()) == 1
        for message, op in cases:
            with pytest.raises(tf.errors.InvalidArgumentError, match=f"Shape mismatch: {message}"):
                sess.run(op)
