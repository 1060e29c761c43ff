"""The OpDef registry: TensorFlow's OpDefs, flowgraph-specific declarations, unknown types."""

from __future__ import annotations

import pytest

import flowgraph  # noqa: F401  (registers every kernel)
from kernels import errors, op_def, registry


def test_every_kernel_has_an_op_def_with_its_inputs():
    for op_type, kernel in registry.all_kernels().items():
        definition = op_def.lookup(op_type)
        assert definition.name == op_type
        declared = [a.name for a in definition.input_arg]
        if not kernel.variadic:
            assert list(kernel.input_names) == declared, op_type


def test_every_kernel_attr_is_declared_by_its_op_def():
    for op_type, kernel in registry.all_kernels().items():
        declared = {a.name for a in op_def.lookup(op_type).attr}
        undeclared = {a for a in kernel.attr_names if not a.startswith("_")} - declared
        assert not undeclared, (op_type, undeclared)


def test_tensorflow_op_defs_are_tensorflows():
    matmul = op_def.lookup("MatMul")
    assert [a.name for a in matmul.input_arg] == ["a", "b"]
    assert [a.name for a in matmul.output_arg] == ["product"]
    attrs = {a.name: a for a in matmul.attr}
    assert attrs["transpose_a"].type == "bool" and not attrs["transpose_a"].default_value.b
    assert not op_def.is_flowgraph_specific("MatMul")
    # TensorFlow ops flowgraph has no kernel for are still known op types.
    assert op_def.is_registered("ResourceApplyAdam")
    assert "ResourceApplyAdam" not in registry.all_kernels()


def test_flowgraph_specific_ops_are_marked():
    for op_type in ("VJP", "RngKey", "DeduplicateIndexedSlices"):
        assert op_def.is_flowgraph_specific(op_type), op_type
    assert op_def.lookup("RngKey").is_stateful


def test_unknown_op_type_is_not_found():
    assert not op_def.is_registered("Bogus")
    with pytest.raises(errors.NotFoundError, match="Op type not registered 'Bogus'"):
        op_def.lookup("Bogus")


def test_declare_parses_register_op_notation():
    op_def.declare(
        "_TestDeclared",
        inputs=("x: T", "ys: N * T", "r: Ref(float)", "rest: Tlist"),
        outputs=("out: int64",),
        attrs=(
            "T: {float, double}",
            "N: int >= 1",
            "Tlist: list(type)",
            "s: string = 'a'",
            "f: float = 0.5",
            "l: list(int) = []",
            "d: type = int32",
        ),
    )
    d = op_def.lookup("_TestDeclared")
    x, ys, r, rest = d.input_arg
    assert (x.type_attr, ys.number_attr, ys.type_attr) == ("T", "N", "T")
    assert r.is_ref and r.type == 1 and rest.type_list_attr == "Tlist"
    assert d.output_arg[0].type == 9
    attrs = {a.name: a for a in d.attr}
    assert list(attrs["T"].allowed_values.list.type) == [1, 2]
    assert attrs["N"].has_minimum and attrs["N"].minimum == 1
    assert attrs["s"].default_value.s == b"a" and attrs["f"].default_value.f == 0.5
    assert attrs["l"].default_value.HasField("list") and attrs["d"].default_value.type == 3


def test_declare_refuses_tensorflow_names_and_duplicates():
    with pytest.raises(ValueError, match="'MatMul' is TensorFlow's"):
        op_def.declare("MatMul")
    with pytest.raises(KeyError, match="already declared, at .*gradients.py"):
        op_def.declare("VJP")
    with pytest.raises(ValueError, match="cannot parse attr"):
        op_def.declare("_TestBad", attrs=("not an attr",))


def test_kernel_keyword_defaults_agree_with_the_op_defs():
    # Building fills omitted attrs with the OpDef's defaults, so a kernel's own default for
    # a declared attr must say the same (or it would mislead its reader).
    import inspect

    import numpy as np

    from flowgraph.framework import op_def_library

    for op_type, kernel in registry.all_kernels().items():
        defaults = op_def_library.signature(op_type).defaults
        for p in inspect.signature(kernel.fn).parameters.values():
            if p.kind is p.KEYWORD_ONLY and p.default is not p.empty and p.name in defaults:
                ours, theirs = p.default, defaults[p.name]
                if isinstance(theirs, tuple):
                    ours = tuple(ours or ())
                if isinstance(theirs, np.ndarray) or isinstance(ours, np.ndarray):
                    continue  # tensors: compared by the kernels' own tests
                assert ours == theirs, (op_type, p.name, ours, theirs)
