"""Session state in the runtime: variables as donated device buffers, RNG keys, the lock."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from device import GraphIR, Node, Store, make_plan
from kernels import errors

F32 = np.dtype(np.float32)
I32 = np.dtype(np.int32)


def variable(name, shape=(2,), dtype=F32):
    return Node(name, "VariableV2", attrs={"shape": shape, "dtype": dtype},
                output_dtypes=(dtype,), output_shapes=(shape,), source=f"test.py:7 in {name}")


def const(name, value, dtype=F32):
    value = np.asarray(value, dtype)
    return Node(name, "Const", attrs={"value": value, "dtype": value.dtype},
                output_dtypes=(value.dtype,), output_shapes=(value.shape,))


def op(name, op_type, *inputs, dtype=F32, control=(), **attrs):
    return Node(name, op_type, inputs=tuple((i, 0) for i in inputs),
                control_inputs=tuple(control), attrs=attrs, output_dtypes=(dtype,),
                output_shapes=(None,))


GRAPH = GraphIR((
    variable("v"), const("init", [1.0, 2.0]), op("v/Assign", "Assign", "v", "init"),
    op("v/read", "Identity", "v"), const("one", [1.0, 1.0]),
    op("inc", "AssignAdd", "v", "one"), op("double", "Mul", "v/read", "v/read"),
    op("probe", "IsVariableInitialized", "v", dtype=np.dtype(bool)),
))


def run(store, fetches=(), targets=(), cache=None):
    plan = make_plan(GRAPH, [(f, 0) for f in fetches], [], list(targets), store=store,
                     cache=cache)
    return plan.run([])


def test_assign_then_read_and_update():
    store = Store()
    assert run(store, ["probe"])[0] == False  # noqa: E712  (a numpy bool)
    run(store, targets=["v/Assign"])
    assert run(store, ["probe"])[0] == True  # noqa: E712
    np.testing.assert_allclose(np.asarray(run(store, ["v/read"])[0]), [1.0, 2.0])
    np.testing.assert_allclose(np.asarray(run(store, ["inc"])[0]), [2.0, 3.0])
    np.testing.assert_allclose(np.asarray(run(store, ["double"])[0]), [4.0, 9.0])


def test_reading_an_uninitialized_variable_names_it():
    with pytest.raises(errors.FailedPreconditionError,
                       match=r"Attempting to use uninitialized value v \(defined at test.py:7"):
        run(Store(), ["v/read"])


def test_two_stores_hold_separate_values():
    a, b = Store(), Store()
    run(a, targets=["v/Assign"])
    run(b, targets=["v/Assign"])
    run(a, targets=["inc"])
    np.testing.assert_allclose(np.asarray(run(a, ["v/read"])[0]), [2.0, 3.0])
    np.testing.assert_allclose(np.asarray(run(b, ["v/read"])[0]), [1.0, 2.0])


def test_an_update_donates_the_old_buffer():
    store = Store()
    run(store, targets=["v/Assign"])
    old = store.variables["v"]
    run(store, targets=["inc"])
    assert old.is_deleted()
    assert not store.variables["v"].is_deleted()


def test_reads_and_writes_in_one_run_follow_canonical_order():
    # read -> (control) assign_add -> read again: the second read sees the update.
    g = GraphIR((
        variable("v"), const("init", [1.0, 2.0]), op("a", "Assign", "v", "init"),
        op("r1", "Identity", "v"), const("one", [1.0, 1.0]),
        op("inc", "AssignAdd", "v", "one", control=("r1",)),
        op("r2", "Identity", "v", control=("inc",)),
    ))
    store = Store()
    make_plan(g, [], [], ["a"], store=store).run([])
    r1, r2 = make_plan(g, [("r1", 0), ("r2", 0)], [], [], store=store).run([])
    np.testing.assert_allclose(np.asarray(r1), [1.0, 2.0])
    np.testing.assert_allclose(np.asarray(r2), [2.0, 3.0])


def test_concurrent_updates_are_not_lost():
    store, cache = Store(), {}
    run(store, targets=["v/Assign"])
    plan = make_plan(GRAPH, [], [], ["inc"], store=store, cache=cache)

    def work():
        for _ in range(200):
            plan.run([])

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    np.testing.assert_allclose(np.asarray(store.variables["v"]), [801.0, 802.0])


def rng_graph(seed, seed2):
    shape = const("shape", [3], I32)
    return GraphIR((shape, Node("r", "RandomStandardNormal", inputs=(("shape", 0),),
                                attrs={"dtype": F32, "seed": seed, "seed2": seed2},
                                output_dtypes=(F32,), output_shapes=((3,),))))


def test_seeded_random_streams_repeat_across_stores_and_advance_per_run():
    g = rng_graph(1, 2)
    s1, s2 = Store(), Store()
    first = [np.asarray(make_plan(g, [("r", 0)], [], [], store=s).run([])[0]) for s in (s1, s2)]
    np.testing.assert_array_equal(first[0], first[1])
    again = np.asarray(make_plan(g, [("r", 0)], [], [], store=s1).run([])[0])
    assert not np.array_equal(first[0], again)


def test_unseeded_random_streams_differ_between_stores():
    g = rng_graph(0, 0)
    values = [np.asarray(make_plan(g, [("r", 0)], [], [], store=Store()).run([])[0])
              for _ in range(2)]
    assert not np.array_equal(values[0], values[1])
