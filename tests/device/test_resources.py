"""Session resources in the runtime: made once per session and name, found through their
handles, cancelled when the session closes, and used without holding the store's lock."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from device import GraphIR, Node, Store, make_plan
from device.context import NO_CONTEXT, RunContext
from kernels import errors

I64 = np.dtype(np.int64)
OBJ = np.dtype(object)


def queue(name, capacity=1, shared_name=""):
    attrs = {"component_types": (I64,), "shapes": ((),), "capacity": capacity}
    if shared_name:
        attrs["shared_name"] = shared_name
    return Node(name, "FIFOQueueV2", attrs=attrs, output_dtypes=(OBJ,), output_shapes=((),))


def op(name, op_type, *inputs, dtypes=(), **attrs):
    return Node(
        name,
        op_type,
        inputs=tuple((i, 0) for i in inputs),
        attrs=attrs,
        output_dtypes=dtypes,
        output_shapes=tuple(None for _ in dtypes),
    )


def const(name, value, dtype=I64):
    value = np.asarray(value, dtype)
    return Node(
        name,
        "Const",
        attrs={"value": value, "dtype": value.dtype},
        output_dtypes=(value.dtype,),
        output_shapes=(value.shape,),
    )


def counter(name):
    return Node(
        name,
        "VariableV2",
        attrs={"shape": (), "dtype": I64},
        output_dtypes=(I64,),
        output_shapes=((),),
    )


GRAPH = GraphIR(
    (
        queue("q"),
        queue("a", shared_name="shared"),
        queue("b", shared_name="shared"),
        const("seven", 7),
        const("zero", 0),
        counter("c"),
        op("c/init", "Assign", "c", "zero", dtypes=(I64,)),
        op("count", "CountUpTo", "c", dtypes=(I64,), limit=100),
        op("enqueue", "QueueEnqueueV2", "q", "seven"),
        op("enqueue_count", "QueueEnqueueV2", "q", "count"),  # a host segment with state
        op("dequeue", "QueueDequeueV2", "q", dtypes=(I64,), component_types=(I64,)),
        op("size", "QueueSizeV2", "q", dtypes=(np.dtype(np.int32),)),
        op("enqueue_a", "QueueEnqueueV2", "a", "seven"),
        op("size_b", "QueueSizeV2", "b", dtypes=(np.dtype(np.int32),)),
        op("inc", "AssignAdd", "c", "seven", dtypes=(I64,)),
    )
)


def run(store, fetches=(), targets=(), ctx=NO_CONTEXT):
    plan = make_plan(GRAPH, [(f, 0) for f in fetches], [], list(targets), store=store)
    return plan.run([], ctx)


def test_a_resource_is_made_once_per_store_and_name():
    store, other = Store(), Store()
    run(store, targets=["enqueue"])
    assert run(store, ["size"]) == [1] and run(other, ["size"]) == [0]
    assert set(store.resources) == {"q"}
    run(store, targets=["enqueue_a"])
    assert run(store, ["size_b"]) == [1]  # "a" and "b" share the name "shared"


def test_handles_name_their_resource():
    store = Store()
    handle = run(store, ["q"])[0]
    assert handle.item() == b"q"
    assert store.lookup(handle) is store.resources["q"]
    with pytest.raises(errors.NotFoundError, match="Resource nowhere does not exist"):
        store.lookup(np.array(b"nowhere", dtype=object))


def test_closing_the_store_cancels_waiting_runs():
    store = Store()
    outcome = []
    waiting = threading.Thread(target=lambda: _capture(outcome, run, store, ["dequeue"]))
    waiting.start()
    _wait_until(lambda: "q" in store.resources and store.resources["q"]._dequeuers)
    store.close()
    waiting.join(20)
    assert isinstance(outcome[0], errors.CancelledError)
    with pytest.raises(errors.CancelledError, match="Session has been closed"):
        run(store, targets=["enqueue_a"])


def test_a_waiting_queue_op_holds_no_lock_other_runs_need():
    store = Store()
    run(store, targets=["c/init"])
    run(store, targets=["enqueue_count"])  # the queue (capacity 1) is now full
    outcome = []
    blocked = threading.Thread(target=lambda: _capture(outcome, run, store, [], ["enqueue_count"]))
    blocked.start()
    _wait_until(lambda: store.resources["q"]._enqueuers)
    bounded = RunContext.with_timeout(20)  # the variable and the queue stay usable meanwhile
    assert run(store, ["inc"], ctx=bounded) == [9]  # 2 counts (the blocked run's own) + 7
    assert run(store, ["dequeue"], ctx=bounded) == [0]
    blocked.join(20)
    assert outcome == [[]] and run(store, ["dequeue"]) == [1]


def _capture(outcome, fn, *args):
    try:
        outcome.append(fn(*args))
    except Exception as e:  # handed to the test
        outcome.append(e)


def _wait_until(condition, timeout=20.0):
    """Polls `condition` (a thread's progress inside a resource) for at most `timeout` s."""
    done = threading.Event()
    for _ in range(int(timeout / 0.01)):
        if condition():
            return
        done.wait(0.01)
    raise AssertionError("condition never held")


def test_the_run_context_carries_the_deadline_of_waiting_ops():
    store = Store()
    start = time.monotonic()
    with pytest.raises(errors.DeadlineExceededError, match="QueueDequeueV2 op 'dequeue'"):
        run(store, ["dequeue"], ctx=RunContext.with_timeout(0.2))  # the queue is empty
    assert 0.2 <= time.monotonic() - start < 10
    # The deadline belonged to that run only: a later run with a deadline still waits.
    run(store, targets=["enqueue"])
    assert run(store, ["dequeue"], ctx=RunContext.with_timeout(20)) == [7]
