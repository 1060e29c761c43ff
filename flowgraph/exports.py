"""Builds flowgraph's public namespaces from the export table (TF's `tf_export`, as a table).

Every public name of flowgraph, apart from those a namespace module defines itself (see
below), is one entry of `EXPORTS` in `flowgraph/export_table.py`, grouped by the module
that defines the object:

    "flowgraph.ops.math_ops": {
        "cumsum": "cumsum math.cumsum",    # the object, then each public name it gets
    },

A name without a dot is top-level (`tf.cumsum`); the others are `namespace.name`
(`tf.math.cumsum`, `tf.nn.rnn_cell.LSTMCell`). The object may be a function, class,
constant or module (`"flowgraph": {"gfile": "gfile io.gfile"}` exports a module).

To export something: add its line under its module's group, keeping the group sorted (a
new module: a new group, in order), or add a name to its object's line. That is the whole
act: `flowgraph/__init__.py` and the namespace modules are derived from the table by
`build`, so nothing is listed twice. A name given to two different objects is an error at
import; the same name listed twice for one object (e.g. after a merge) is accepted.
A namespace exists as soon as one name is exported into it. It is the module
`flowgraph/<namespace>.py` (or package) when there is one, which documents it and may
define names of its own (those are public there and not listed again here), and otherwise
a module made here.
`tests/test_exports.py` checks that every entry resolves, and counts and floors the share
of TensorFlow 1.x's names that exist (raise its floor when you add names).
"""

from __future__ import annotations

import importlib
import sys
import types

from flowgraph.export_table import EXPORTS


def exported_names(table=EXPORTS) -> dict[str, tuple[str, str]]:
    """Maps each public name (`"math.cumsum"`) to its (module, attribute) in `table`."""
    names = {}
    for module, objects in table.items():
        for attribute, public in objects.items():
            for name in public.split():
                if names.setdefault(name, (module, attribute)) != (module, attribute):
                    raise ValueError(f"{name} is exported twice: {names[name]} and {module}")
    return names


def resolve(module: str, attribute: str):
    """The object `module.attribute`, importing the module (or a submodule) if needed."""
    source = importlib.import_module(module)
    if hasattr(source, attribute):
        return getattr(source, attribute)
    try:
        return importlib.import_module(f"{module}.{attribute}")
    except ModuleNotFoundError:
        raise ImportError(f"export table: {module} has no {attribute!r}") from None


def build(root: types.ModuleType, table=EXPORTS) -> None:
    """Fills `root` (the `flowgraph` package) and its namespaces with the table's names."""
    by_depth = sorted(exported_names(table).items(), key=lambda item: item[0].count("."))
    for name, (module, attribute) in by_depth:
        namespace, _, leaf = name.rpartition(".")
        setattr(namespace_module(root, namespace), leaf, resolve(module, attribute))


def namespace_module(root: types.ModuleType, namespace: str) -> types.ModuleType:
    """The module of `namespace` under `root` (`""` is `root`), made if it has no file."""
    module = root
    for part in namespace.split(".") if namespace else ():
        child = getattr(module, part, None)
        if not isinstance(child, types.ModuleType):
            child = _import_or_make(f"{module.__name__}.{part}")
            setattr(module, part, child)
        module = child
    return module


def _import_or_make(qualified: str) -> types.ModuleType:
    try:
        return importlib.import_module(qualified)
    except ModuleNotFoundError as e:
        if e.name != qualified:
            raise
    module = types.ModuleType(qualified, f"`tf.{qualified.partition('.')[2]}`.")
    sys.modules[qualified] = module
    return module
