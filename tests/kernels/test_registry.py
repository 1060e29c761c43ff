"""Tests of the kernel registry: registration, refusals, lookup and static values."""

from __future__ import annotations

import inspect
import pathlib
import re

import numpy as np
import pytest

import kernels
from kernels import registry
from kernels.registry import (
    HOST,
    PROBE,
    READ_WRITE,
    SIDE_EFFECTS,
    WRITE,
    XLA,
    Effects,
    Spec,
    StaticArray,
    register,
    static_key,
)

_KERNELS_DIR = pathlib.Path(kernels.__file__).parent


@pytest.fixture(autouse=True)
def scratch_registry(monkeypatch):
    # Kernels registered by a test vanish after it: the real registry stays as it was.
    monkeypatch.setattr(registry, "_KERNELS", dict(registry._KERNELS))


def _same_shape(specs, attrs, static_values):
    return [specs[0]]


def test_register_records_inputs_attrs_and_static_inputs():
    def kernel(x, axis, *, keep_dims: bool = False):
        return x

    assert register("FgTestReduce", static=("axis",))(kernel) is kernel
    k = registry.lookup("FgTestReduce")
    assert (k.op_type, k.fn, k.kind) == ("FgTestReduce", kernel, XLA)
    assert k.input_names == ("x", "axis") and not k.variadic
    assert k.attr_names == {"keep_dims"}
    assert k.is_static_input(1) and not k.is_static_input(0)
    assert not k.stateful and k.shape_fn is None


def test_variadic_kernels_mark_every_input_static_with_a_star():
    @register("FgTestVariadic", static=("*",), effects=SIDE_EFFECTS)
    def kernel(*values, axis: int):
        return values[0]

    k = registry.lookup("FgTestVariadic")
    assert k.variadic and k.input_names == () and k.stateful
    assert all(k.is_static_input(i) for i in range(5))


def test_duplicate_registration_names_where_the_first_one_is():
    line = inspect.currentframe().f_lineno + 1
    register("FgTestDup")(lambda x: x)
    with pytest.raises(
        KeyError,
        match=rf"'FgTestDup' already has a kernel, registered at "
        rf".*test_registry\.py:{line}",
    ):
        register("FgTestDup")(lambda x: -x)
    assert registry.lookup("FgTestDup").fn(3) == 3  # the first registration stays


def test_duplicate_of_a_real_kernel_names_its_file():
    with pytest.raises(
        KeyError,
        match=r"'MatMul' already has a kernel, registered at "
        r".*kernels[/\\]math\.py:\d+",
    ):
        register("MatMul")(lambda a, b: a)


def test_host_kernels_need_a_shape_function():
    with pytest.raises(ValueError, match="host kernel 'FgTestHost' needs a shape function"):
        register("FgTestHost", kind=HOST)
    register("FgTestHost", kind=HOST, shape=_same_shape)(lambda x: x)
    assert registry.lookup("FgTestHost").kind == HOST


def test_unknown_kinds_are_refused():
    with pytest.raises(ValueError, match="'xla' or 'host', got 'gpu'"):
        register("FgTestKind", kind="gpu")


def test_static_inputs_must_be_inputs():
    with pytest.raises(
        ValueError,
        match=r"'FgTestStatic': static inputs \['axes', 'perm'\] "
        r"are not inputs",
    ):
        register("FgTestStatic", static=("x", "perm", "axes"))(lambda x, axis: x)
    with pytest.raises(KeyError):  # nothing was registered
        registry.lookup("FgTestStatic")


def test_lookup_of_a_missing_op_type_names_it():
    with pytest.raises(KeyError, match="no kernel is registered for op type 'FgTestMissing'"):
        registry.lookup("FgTestMissing")


def test_all_kernels_is_a_copy():
    table = registry.all_kernels()
    table["FgTestInjected"] = table["Add"]
    assert "FgTestInjected" not in registry.all_kernels()


def test_every_registered_kernel_is_well_formed():
    for op_type, k in registry.all_kernels().items():
        assert k.op_type == op_type and k.kind in (XLA, HOST)
        assert k.kind == XLA or k.shape_fn is not None, op_type
        where, _, line = k.where.rpartition(":")
        assert pathlib.Path(where).parent == _KERNELS_DIR and line.isdigit(), (op_type, k.where)


def test_static_keys_hash_arrays_by_dtype_shape_and_bytes():
    a = static_key(np.array([1, 2], np.int32))
    assert isinstance(a, StaticArray) and a.array.tolist() == [1, 2]
    assert a == static_key(np.array([1, 2], np.int32))
    assert hash(a) == hash(static_key(np.array([1, 2], np.int32)))
    assert a != static_key(np.array([1, 2], np.int64))
    assert a != static_key(np.array([[1, 2]], np.int32))
    assert a != static_key(np.array([1, 3], np.int32))
    assert static_key(3) == 3 and static_key(None) is None


def test_spec_is_a_plain_value():
    spec = Spec((None, 3), np.dtype(np.float32))
    assert spec == Spec((None, 3), np.dtype("float32")) and hash(spec) == hash(spec._replace())


# -- effects and the one return convention ----------------------------------------------------


@pytest.mark.parametrize(
    "keyword, hint",
    [
        ("state", "Effects(variable=True"),
        ("refs", "writes=/updates="),
        ("static_attr", "@ATTR"),
        ("shape_only", "SHAPE_ONLY"),
        ("refs_attr", "updates_listed_in"),
        ("outputs_then_refs", "the one convention"),
        ("stateful", "side_effects=True"),
    ],
)
def test_old_effect_keywords_fail_loudly_saying_what_to_write(keyword, hint):
    with pytest.raises(
        TypeError, match=rf"register\(.FgTestOld.\).*{keyword}= -> .*{re.escape(hint)}"
    ):
        register("FgTestOld", **{keyword: True})
    with pytest.raises(KeyError):
        registry.lookup("FgTestOld")


def test_effects_name_ref_inputs_in_input_order():
    effects = Effects(updates=("accum", "var"), writes=("out",), probes=("flag",))

    @register("FgTestRefs", effects=effects)
    def kernel(var, grad, accum, out, flag):
        return var, accum, out

    k = registry.lookup("FgTestRefs")
    assert k.refs_of() == ((0, READ_WRITE), (2, READ_WRITE), (3, WRITE), (4, PROBE))
    assert k.written() == [0, 2, 3] and k.stateful and k.effects is effects
    with pytest.raises(ValueError, match=r"'FgTestBadRef': ref inputs \['nope'\] are not inputs"):
        register("FgTestBadRef", effects=Effects(writes=("nope",)))(lambda x: x)


def test_one_return_convention_outputs_then_written_refs():
    # CountUpTo-like: an output that is not a ref, then the ref's new value.
    register("FgTestCount", effects=Effects(updates=("ref",)))(lambda ref: (ref, ref + 1))
    k = registry.lookup("FgTestCount")
    assert k.split_results(k.fn(3)) == ((3,), (4,))
    # Functional ops: the refs written are listed by the node.
    register("FgTestLoop", effects=Effects(updates_listed_in="w"))(lambda *a, w=(): a)
    k = registry.lookup("FgTestLoop")
    assert k.written({"w": (1, 2)}) == [1, 2]
    assert k.split_results((10, 11, 12), {"w": (1, 2)}) == ((10,), (11, 12))
    assert k.split_results((10, 11, 12), {"w": ()}) == ((10, 11, 12), ())
    # A ref output is the first written ref's new value: returned once.
    register("FgTestApply", effects=Effects(updates=("v", "m"), ref_output=True))(
        lambda v, m, g: (v - g, m + g)
    )
    k = registry.lookup("FgTestApply")
    assert k.split_results(k.fn(5, 1, 2)) == ((3,), (3, 3))
    register("FgTestPure")(lambda x: x * 2)
    k = registry.lookup("FgTestPure")
    assert k.split_results(k.fn(4)) == ((8,), ()) and not k.stateful


def test_static_inputs_listed_by_an_attr():
    register("FgTestListed", static=("axis", "@static_inputs"))(
        lambda x, axis, *rest, static_inputs=(): x
    )
    k = registry.lookup("FgTestListed")
    assert k.is_static_input(1) and not k.is_static_input(3)
    assert k.is_static_input(3, {"static_inputs": (3,)})


def test_every_real_kernel_declares_its_effects_consistently():
    for op_type, k in registry.all_kernels().items():
        e = k.effects
        assert not (e.ref_output and not k.written()), op_type  # a ref output is a written ref
        assert not (e.rng and e.makes_resource), op_type
        assert e.stateful or not (k.ref_modes or e.updates_listed_in), op_type
