"""The runtime on hand-built IR: prune, place, partition, lower, execute — no flowgraph."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from device import GraphIR, Node, PlacementOptions, Store, make_plan
from device.partition import partition
from device.place import place
from device.prune import prune
from kernels import errors, registry

F32 = np.dtype(np.float32)
I32 = np.dtype(np.int32)
STR = np.dtype(object)


def const(name, value, **kw):
    value = np.asarray(value)
    return Node(name, "Const", attrs={"value": value, "dtype": value.dtype},
                output_dtypes=(value.dtype,), output_shapes=(value.shape,), **kw)


def placeholder(name, dtype=F32, shape=None):
    return Node(name, "Placeholder", attrs={"dtype": dtype, "shape": shape},
                output_dtypes=(dtype,), output_shapes=(shape,))


def op(name, op_type, *inputs, dtype=F32, control=(), device="", **attrs):
    return Node(name, op_type, inputs=tuple((i, 0) if isinstance(i, str) else i for i in inputs),
                control_inputs=tuple(control), attrs=attrs, output_dtypes=(dtype,),
                output_shapes=(None,), device=device, source=f"test.py:1 in {name}")


def run(graph, fetches, feeds=None, targets=(), options=PlacementOptions()):
    feeds = feeds or {}
    plan = make_plan(graph, [(f, 0) for f in fetches], [(k, 0) for k in feeds], targets, options)
    return plan, plan.run(list(feeds.values()))


def test_prune_keeps_only_what_fetches_need_and_feeds_cut_producers():
    g = GraphIR((
        placeholder("a"), op("b", "Neg", "a"), op("c", "Exp", "b"), op("unused", "Sin", "a"),
    ))
    names = [n.name for n in prune(g, [("c", 0)], frozenset({("b", 0)}), [])]
    assert names == ["c"]
    names = [n.name for n in prune(g, [("c", 0)], frozenset(), ["unused"])]
    assert names == ["a", "b", "c", "unused"]


def test_canonical_order_breaks_ties_by_creation_order_and_follows_control_edges():
    g = GraphIR((const("x", 1.0), const("y", 2.0, control_inputs=("z",)), const("z", 3.0)))
    names = [n.name for n in prune(g, [("x", 0), ("y", 0)], frozenset(), [])]
    assert names == ["x", "z", "y"]


def test_a_cycle_is_an_invalid_argument():
    g = GraphIR((op("p", "Neg", "q"), op("q", "Neg", "p")))
    with pytest.raises(errors.InvalidArgumentError, match="cycle"):
        prune(g, [("p", 0)], frozenset(), [])


def test_xla_ops_compile_into_one_segment_and_match_numpy():
    g = GraphIR((placeholder("a"), placeholder("b"), op("s", "AddV2", "a", "b"),
                 op("m", "Mul", "s", "a"), op("t", "Tanh", "m")))
    a, b = np.float32([1, 2]), np.float32([3, -4])
    plan, (t,) = run(g, ["t"], {"a": a, "b": b})
    assert [s.kind for s in plan.segments] == ["xla"]
    np.testing.assert_allclose(np.asarray(t), np.tanh((a + b) * a), rtol=1e-6)


def test_host_op_between_xla_ops_makes_three_segments_in_order():
    g = GraphIR((
        placeholder("a"), op("x", "Mul", "a", "a"),
        Node("p", "Print", inputs=(("x", 0), ("x", 0)), attrs={"message": "x=", "summarize": 3},
             output_dtypes=(F32,), output_shapes=(None,)),
        op("y", "AddV2", "p", "a"),
    ))
    plan, (y,) = run(g, ["y"], {"a": np.float32([2.0])})
    assert [s.kind for s in plan.segments] == ["xla", "host", "xla"]
    np.testing.assert_allclose(np.asarray(y), [6.0])


def test_joining_a_segment_never_closes_a_cycle():
    # x1 -> host -> x2 while x3 reads both x1 and the host op: x3 cannot join x1's segment.
    g = GraphIR((
        placeholder("a"), op("x1", "Neg", "a"),
        Node("h", "Print", inputs=(("x1", 0),), attrs={"message": ""},
             output_dtypes=(F32,), output_shapes=(None,)),
        op("x3", "AddV2", "x1", "h"),
    ))
    nodes = prune(g, [("x3", 0)], frozenset({("a", 0)}), [])
    devices = place(nodes, PlacementOptions())
    segments = partition(g, nodes, devices, frozenset({("a", 0)}), [("x3", 0)])
    owner = {n.name: s.index for s in segments for n in s.nodes}
    assert owner["x1"] != owner["x3"]
    assert owner["x1"] < owner["h"] < owner["x3"]


def test_independent_ops_share_one_segment():
    g = GraphIR((placeholder("a"), op("p", "Neg", "a"), op("q", "Exp", "a")))
    plan, _ = run(g, ["p", "q"], {"a": np.float32(1.0)})
    assert len(plan.segments) == 1


def test_strings_force_host_kind():
    g = GraphIR((const("s", np.array(b"hi", dtype=object)), Node(
        "i", "Identity", inputs=(("s", 0),), output_dtypes=(STR,), output_shapes=((),))))
    plan, (value,) = run(g, ["i"])
    assert [s.kind for s in plan.segments] == ["host"]
    assert value == b"hi"


def test_static_input_computed_from_shape_is_folded_while_tracing():
    # reshape(a, shape(b)) with b's shape only known when fed.
    g = GraphIR((
        placeholder("a"), placeholder("b"),
        Node("sh", "Shape", inputs=(("b", 0),), attrs={"out_type": I32},
             output_dtypes=(I32,), output_shapes=((None,),)),
        op("r", "Reshape", "a", "sh"),
    ))
    _, (r,) = run(g, ["r"], {"a": np.arange(6, dtype=np.float32),
                             "b": np.zeros((2, 3), np.float32)})
    assert np.asarray(r).shape == (2, 3)


def test_static_input_computed_from_a_fed_value_specialises_on_that_value():
    g = GraphIR((placeholder("a"), placeholder("n", I32), op("m", "Mul", "n", "n", dtype=I32),
                 op("r", "Reshape", "a", "m")))
    _, (r,) = run(g, ["r"], {"a": np.zeros(4, np.float32), "n": np.int32([2, 1])})
    assert np.asarray(r).shape == (4, 1)


def test_static_input_computed_from_state_is_a_clear_error():
    shape_var = Node("s", "VariableV2", attrs={"shape": (1,), "dtype": I32},
                     output_dtypes=(I32,), output_shapes=((1,),))
    g = GraphIR((placeholder("a"), shape_var, const("four", np.int32([4])),
                 op("init", "Assign", "s", "four", dtype=I32), op("r", "Reshape", "a", "s")))
    store = Store()
    make_plan(g, [], [], ["init"], store=store).run([])
    with pytest.raises(errors.InvalidArgumentError) as info:
        make_plan(g, [("r", 0)], [("a", 0)], [], store=store).run([np.zeros(4, np.float32)])
    message = str(info.value)
    assert "Reshape op 'r'" in message and "input 'shape'" in message
    assert "test.py:1" in message


def test_fed_static_input_specialises_the_segment():
    g = GraphIR((placeholder("a"), placeholder("s", I32), op("r", "Reshape", "a", "s")))
    a = np.arange(6, dtype=np.float32)
    for shape in ([2, 3], [3, 2], [6]):
        _, (r,) = run(g, ["r"], {"a": a, "s": np.int32(shape)})
        assert np.asarray(r).shape == tuple(shape)


def test_kernel_errors_name_the_node_and_its_source():
    g = GraphIR((placeholder("a"), op("r", "Reshape", "a", "k"), const("k", np.int32([5]))))
    with pytest.raises(errors.InvalidArgumentError, match=r"Reshape op 'r'.*test.py:1"):
        run(g, ["r"], {"a": np.zeros(6, np.float32)})


@pytest.mark.parametrize("shape, text", [
    ((None, 3), "with dtype float and shape [?,3]"),
    ((), "with dtype float"),  # TF writes the shape only where its rank is > 0
    (None, "with dtype float"),
])
def test_unfed_placeholder_is_invalid_argument_quoting_it_as_tf(shape, text):
    g = GraphIR((placeholder("x", shape=shape), op("y", "Neg", "x")))
    with pytest.raises(errors.InvalidArgumentError) as info:
        make_plan(g, [("y", 0)], [], [])
    assert str(info.value) == (
        "Placeholder op 'x': You must feed a value for placeholder tensor 'x' " + text)


def test_unfed_placeholder_found_through_a_control_input():
    g = GraphIR((placeholder("x"), const("y", np.float32(1), control_inputs=("x",))))
    with pytest.raises(errors.InvalidArgumentError, match="placeholder tensor 'x'"):
        make_plan(g, [("y", 0)], [], [])
    _, (y,) = run(g, ["y"], {"x": np.float32(2)})
    assert y == 1


def test_targets_run_and_fetches_of_feeds_return_the_feed():
    g = GraphIR((placeholder("a"), op("n", "Neg", "a")))
    plan, (a,) = run(g, ["a"], {"a": np.float32(7)})
    assert plan.segments == [] and a == 7


def test_explicit_device_placement_uses_that_jax_device():
    cpus = jax.devices("cpu")
    last = len(cpus) - 1
    g = GraphIR((placeholder("a"), op("n", "Neg", "a", device=f"/device:CPU:{last}")))
    plan, (n,) = run(g, ["n"], {"a": np.float32(1)})
    assert plan.segments[0].device == cpus[last]
    assert n.devices() == {cpus[last]}


def test_unsatisfiable_device_errors_unless_soft_placement():
    g = GraphIR((placeholder("a"), op("n", "Neg", "a", device="/device:CPU:99")))
    with pytest.raises(errors.InvalidArgumentError, match="Cannot assign a device for operation n"):
        run(g, ["n"], {"a": np.float32(1)})
    _, (n,) = run(g, ["n"], {"a": np.float32(1)},
                  options=PlacementOptions(allow_soft_placement=True))
    assert n == -1


def test_segment_cache_reuses_lowered_functions():
    g = GraphIR((placeholder("a"), op("n", "Neg", "a")))
    cache: dict = {}
    p1 = make_plan(g, [("n", 0)], [("a", 0)], [], cache=cache)
    p2 = make_plan(g, [("n", 0)], [("a", 0)], [], cache=cache)
    assert p1.steps[0].call is p2.steps[0].call and len(cache) == 1


def test_feeding_a_node_satisfies_control_edges_on_it():
    g = GraphIR((placeholder("x"), Node("g", "NoOp", control_inputs=("x",))))
    nodes = prune(g, [], frozenset({("x", 0)}), ["g"])
    assert [n.name for n in nodes] == ["g"]


def test_static_input_computed_from_another_segments_output():
    # A host op's integer output feeds a static computation in the next xla segment.
    g = GraphIR((
        placeholder("a"),
        Node("p", "Print", inputs=(("k", 0),), attrs={"message": ""},
             output_dtypes=(I32,), output_shapes=((1,),)),
        const("k", np.int32([3])),
        op("twice", "Mul", "p", "k", dtype=I32),  # k is read by xla too: made by xla
        op("r", "Reshape", "a", "twice"),
    ))
    plan, (r,) = run(g, ["r"], {"a": np.zeros(9, np.float32)})
    assert np.asarray(r).shape == (9,)
    assert [s.kind for s in plan.segments] == ["xla", "host", "xla"]


def test_a_constant_only_host_ops_read_is_made_on_the_host():
    # As an xla segment of its own, its value would wait for the device's queued work.
    g = GraphIR((
        placeholder("a"),
        const("k", np.int32([3])),
        Node("p", "Print", inputs=(("k", 0),), attrs={"message": ""},
             output_dtypes=(I32,), output_shapes=((1,),)),
        op("r", "Reshape", "a", "p"),
    ))
    plan, (r,) = run(g, ["r"], {"a": np.zeros(3, np.float32)})
    assert np.asarray(r).shape == (3,)
    assert [[n.name for n in s.nodes] for s in plan.segments] == [["k", "p"], ["r"]]
    assert [s.kind for s in plan.segments] == ["host", "xla"]


# -- bind once: nodes carry their kernels; no pass looks one up by op type ------------------


def test_nodes_are_bound_to_their_kernels_when_made():
    node = op("n", "Neg", "a")
    assert node.kernel is registry.lookup("Neg") and node.static_inputs == frozenset()
    assert op("t", "Transpose", "a", "p").static_inputs == {1}
    assert op("w", "Assign", "v", "x").refs == {0: registry.WRITE}
    assert Node("x", "FgNoSuchOp").kernel is None  # placement tolerates unknown op types


def test_no_pass_looks_kernels_up_by_op_type(monkeypatch):
    g = GraphIR((
        placeholder("a"), const("two", 2.0), op("b", "Mul", "a", "two"),
        op("s", "Shape", "b", dtype=I32, out_type=I32), op("r", "Reshape", "b", "s"),
        op("text", "AsString", "r", dtype=STR),
    ))
    calls = []

    def counting(op_type):
        calls.append(op_type)
        return registry._KERNELS.get(op_type)

    monkeypatch.setattr(registry, "lookup", counting)
    monkeypatch.setattr(registry, "find", counting)
    plan, (value, text) = run(g, ["r", "text"], {"a": np.float32(3.0)})
    assert value == 6.0 and text == b"6.000000" and len(plan.segments) == 2
    assert calls == []


def test_gradient_pairing_is_a_listed_pass(monkeypatch):
    from device import plan as plan_module

    assert "pair_linearizations" in plan_module.make_plan.__code__.co_names
    g = GraphIR((
        placeholder("x"), op("y", "Sin", "x"), const("dy", 1.0),
        op("g", "VJP", "x", "dy", forward="Sin", forward_attrs=(), num_inputs=1, wrt=(0,),
           static_inputs=(), forward_node="y"),
    ))
    plan, (y, dx) = run(g, ["y", "g"], {"x": np.float32(0.5)})
    np.testing.assert_allclose([y, dx], [np.sin(0.5), np.cos(0.5)], rtol=1e-6)
    (seg,) = plan.segments
    assert seg.linearized == {"y": (0,)} and seg.pullbacks == {"g": "y"}


def test_no_side_channels_a_run_needs_comes_in_its_context():
    import pathlib

    import device
    import kernels

    for package in (device, kernels):
        for path in pathlib.Path(package.__file__).parent.glob("*.py"):
            assert "ContextVar" not in path.read_text(), path


def test_running_an_op_type_with_no_kernel_is_not_found():
    g = GraphIR((const("a", 1.0), op("b", "FgNoSuchOp", "a")))
    with pytest.raises(errors.NotFoundError, match="Op type not registered 'FgNoSuchOp'"):
        run(g, ["b"])
