"""The export table: every entry reaches its public name; coverage of TF1's names."""

import pathlib
import sys
import types

import pytest

import flowgraph as tf
from flowgraph import exports

# A copy of ../shared/reference/tf1_api_names.txt: each public name of tf.compat.v1, 'in'
# where a TF1 graph-mode program may use it.
NAMES_FILE = pathlib.Path(__file__).parent / "fixtures" / "tf1_api_names.txt"
# The number of 'in' names that exist today: raise it as names are added, never lower it.
COVERAGE_FLOOR = 1790


def _lookup(name):
    obj = tf
    for part in name.rstrip("/").split("."):
        obj = getattr(obj, part)
    return obj


def _tf1_names(status):
    rows = (line.split("\t") for line in NAMES_FILE.read_text().splitlines())
    return [row[0] for row in rows if len(row) == 2 and row[1] == status]


def test_every_entry_is_its_public_name():
    for name, (module, attribute) in exports.exported_names().items():
        assert _lookup(name) is exports.resolve(module, attribute), name


def test_namespaces_are_importable_modules():
    import flowgraph.math
    import flowgraph.train

    assert tf.math is flowgraph.math and tf.train is flowgraph.train
    assert tf.math.cumsum is tf.cumsum
    assert tf.errors.InvalidArgumentError.__module__ == "flowgraph.errors"


def test_build_makes_namespaces_without_files():
    root = types.ModuleType("fg_exports_test")
    table = {"flowgraph.ops.math_ops": {"sqrt": "sqrt a.b.root"}}
    sys.modules[root.__name__] = root
    try:
        exports.build(root, table)
        assert root.sqrt is tf.sqrt and root.a.b.root is tf.sqrt
        assert sys.modules["fg_exports_test.a.b"] is root.a.b
    finally:
        for name in ("fg_exports_test", "fg_exports_test.a", "fg_exports_test.a.b"):
            sys.modules.pop(name, None)


def test_a_name_exported_twice_is_refused():
    table = {"flowgraph.ops.math_ops": {"sqrt": "sqrt"}, "flowgraph.ops.nn_ops": {"relu": "sqrt"}}
    with pytest.raises(ValueError, match="sqrt is exported twice"):
        exports.exported_names(table)


def test_a_name_listed_twice_for_the_same_object_is_one_name():
    table = {"flowgraph.ops.math_ops": {"sqrt": "sqrt math.sqrt sqrt"}}
    assert exports.exported_names(table) == {
        "sqrt": ("flowgraph.ops.math_ops", "sqrt"),
        "math.sqrt": ("flowgraph.ops.math_ops", "sqrt"),
    }


def test_an_unknown_entry_names_module_and_attribute():
    with pytest.raises(ImportError, match="flowgraph.ops.math_ops has no 'no_such_op'"):
        exports.resolve("flowgraph.ops.math_ops", "no_such_op")


def test_tf1_name_coverage_does_not_regress():
    names = _tf1_names("in")
    present = []
    for name in names:
        try:
            _lookup(name)
            present.append(name)
        except AttributeError:
            pass
    share = len(present) / len(names)
    print(f"\nTF1 'in' names present: {len(present)} of {len(names)} ({share:.1%})")
    assert len(present) >= COVERAGE_FLOOR
