"""Reads of ref variables ordered by control dependencies (`device.ref_order`).

The TF1 idioms of `ref_order_cases` against TensorFlow's values
(`tests/fixtures/ref_order.json`, made by `tests/fixtures/make_ref_order.py`), then the pass
itself on hand-built IR: one segment, two devices, unordered reads, the untouched fast path.
"""

from __future__ import annotations

import json
import os

import jax
import numpy as np
import pytest

import flowgraph as tf
from device import GraphIR, Node, Store, make_plan
from device.prune import prune
from device.ref_order import order_reads
from tests.device import ref_order_cases

F32 = np.dtype(np.float32)
FIXTURE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "ref_order.json")

with open(FIXTURE) as f:
    EXPECTED = json.load(f)


@pytest.mark.parametrize("case", ref_order_cases.CASES, ids=lambda c: c.__name__)
def test_idiom_gives_tensorflows_values(case):
    tf.reset_default_graph()
    np.testing.assert_allclose(_flat(case(tf)), _flat(EXPECTED[case.__name__]), rtol=1e-6)


def _flat(value):
    if isinstance(value, list):
        return [x for v in value for x in _flat(v)]
    return [float(value)]  # strings too: "2.0"


def variable(name, device=""):
    return Node(
        name,
        "VariableV2",
        attrs={"shape": (), "dtype": F32},
        device=device,
        output_dtypes=(F32,),
        output_shapes=((),),
    )


def const(name, value):
    value = np.asarray(value, F32)
    return Node(
        name,
        "Const",
        attrs={"value": value, "dtype": F32},
        output_dtypes=(F32,),
        output_shapes=((),),
    )


def op(name, op_type, *inputs, control=(), device=""):
    return Node(
        name,
        op_type,
        inputs=tuple((i, 0) for i in inputs),
        control_inputs=tuple(control),
        device=device,
        output_dtypes=(F32,),
        output_shapes=((),),
    )


def build(read_device="", inc_device=""):
    return GraphIR(
        (
            variable("v"),
            const("init", 1.0),
            op("v/Assign", "Assign", "v", "init"),
            op("v/read", "Identity", "v"),
            const("one", 1.0),
            op("inc", "AssignAdd", "v", "one", device=inc_device),
            op("gate", "NoOp", control=["inc"]),
            op("ordered", "Mul", "v/read", "v/read", control=["gate"], device=read_device),
            op("ordered_id", "Identity", "v/read", control=["inc"]),
            op("chained", "Identity", "ordered_id"),
            op("unordered", "Mul", "v/read", "one"),
        )
    )


def run(g, store, fetches, targets=()):
    plan = make_plan(g, [(f, 0) for f in fetches], [], list(targets), store=store)
    return [float(np.asarray(x)) for x in plan.run([])]


@pytest.mark.parametrize("devices", [("", ""), ("/cpu:1", "/cpu:0")], ids=["one", "two"])
def test_ordered_reads_see_the_write_unordered_keep_canonical_order(devices):
    if devices[0] and len(jax.devices("cpu")) < 2:
        pytest.fail("tests/conftest.py asks jax for 4 CPU devices")
    g = build(*devices)
    store = Store()
    run(g, store, [], ["v/Assign"])
    # v = 1: inc makes it 2; `ordered` and the Identities under inc read 2, `unordered`
    # (no write ordered before it) reads the value tensor, as before the write.
    assert run(g, store, ["ordered", "ordered_id", "chained", "unordered"]) == [4.0, 2.0, 2.0, 1.0]
    assert run(g, store, ["ordered", "unordered"]) == [9.0, 2.0]


def test_a_run_without_ordered_reads_keeps_its_nodes():
    g = build()
    nodes = prune(g, [("unordered", 0), ("inc", 0)], frozenset(), [])
    assert order_reads(g, nodes, frozenset()) is nodes


def test_the_rewritten_node_is_the_same_in_every_plan():
    g = build()
    nodes = prune(g, [("ordered_id", 0)], frozenset(), [])
    first = order_reads(g, nodes, frozenset())
    again = order_reads(g, nodes, frozenset())
    rewritten = [n for n in first if n.name == "ordered_id"][0]
    assert rewritten.inputs == (("v", 0),)
    assert rewritten is [n for n in again if n.name == "ordered_id"][0]


def test_a_fed_value_tensor_is_not_replaced():
    g = build()
    store = Store()
    run(g, store, [], ["v/Assign"])
    plan = make_plan(g, [("ordered_id", 0)], [("v/read", 0)], [], store=store)
    assert [float(np.asarray(x)) for x in plan.run([np.float32(7.0)])] == [7.0]


def test_a_rewritten_loop_body_is_the_same_in_every_plan():
    g = tf.Graph()
    with g.as_default():
        v = tf.Variable(1.0, name="v")

        def body(i):
            with tf.control_dependencies([v.assign_add(1.0)]):
                return i + tf.identity(v)

        total = tf.while_loop(lambda i: i < 10.0, body, [tf.constant(0.0)])
    ir = g._as_ir()
    nodes = prune(ir, [(total.op.name, total.value_index)], frozenset(), [])
    first, again = (order_reads(ir, nodes, frozenset()) for _ in range(2))
    loop = [n for n in first if n.op == "While"][0]
    assert loop is [n for n in again if n.op == "While"][0]
    original = ir[loop.name].attrs["body"]
    assert loop.attrs["body"] is not original and loop.attrs["cond"] is ir[loop.name].attrs["cond"]
    reads = [n for n in loop.attrs["body"].graph.nodes if n.op == "Identity"]
    # The body reads `v` live (its captured read, then `tf.identity`): both read the ref.
    assert [n.inputs for n in reads] == [((original.inputs[original.refs[0]], 0),)] * 2
