"""TensorFlow's graph-building checks of cond branches and loop bodies, in its words:
matching structures, types and ranks of what they return."""

from __future__ import annotations

import jax

from flowgraph.ops.control_flow_composites import Components

_LEAF = "."  # how TF draws a leaf when it prints a structure


def assert_same_structure(first, second, top_as_list: bool = False) -> None:
    """TF's `nest.assert_same_structure` on two treedefs: ValueError when the nesting
    differs, TypeError when only the kinds of sequences do. `top_as_list` compares the
    outermost sequences as lists (a while loop's variables and its body's results)."""
    a, b = _skeleton(first), _skeleton(second)
    if top_as_list:
        a, b = _as_list(a), _as_list(b)
    error = _mismatch(a, b)
    if error is not None:
        raise error(
            "The two structures don't have the same nested structure.\n\n"
            f"First structure: {_drawn(a)}\n\nSecond structure: {_drawn(b)}"
        )


def _mismatch(a, b):
    """The error class for the first difference, walking down as TF's nest does: kinds of
    sequences (TypeError) before their lengths or keys (ValueError)."""
    if isinstance(a, Components) and isinstance(b, Components) and a.kind != b.kind:
        return TypeError
    a, b = (x.parts if isinstance(x, Components) else x for x in (a, b))
    seq_a, seq_b = isinstance(a, (list, tuple, dict)), isinstance(b, (list, tuple, dict))
    if not (seq_a or seq_b):
        return None
    if seq_a != seq_b:
        return ValueError
    if type(a) is not type(b):
        return TypeError
    if isinstance(a, dict):
        if sorted(map(str, a)) != sorted(map(str, b)):
            return ValueError
        pairs = [(a[k], b[k]) for k in a]
    elif len(a) != len(b):
        return ValueError
    else:
        pairs = list(zip(a, b))
    return next((e for e in (_mismatch(x, y) for x, y in pairs) if e is not None), None)


def _skeleton(treedef):
    return jax.tree_util.tree_unflatten(treedef, [_LEAF] * treedef.num_leaves)


def _as_list(obj):
    return list(obj) if isinstance(obj, (list, tuple)) else [obj]


def _drawn(obj) -> str:
    return repr(obj).replace(repr(_LEAF), _LEAF)


def unpacked_singleton(treedef):
    """The treedef of a non-strict cond's result: a one-element list or tuple unpacked."""
    obj = _skeleton(treedef)
    if isinstance(obj, (list, tuple)) and len(obj) == 1:
        obj = obj[0]
    return jax.tree_util.tree_structure(obj)


def branch_types_error(names: list[str], first, other, k: int) -> ValueError:
    """TF's error for branches returning different dtypes (`first` from branch 0,
    `other` from branch `k`)."""
    return ValueError(
        f"Outputs of '{names[0]}' and '{names[k]}' must have the same type(s). "
        f"Received {first.name} from '{names[0]}' and {other.name} from '{names[k]}'."
    )


def rank_error(shape, node: str, op_type: str, inputs: list[str], attrs: str = "") -> ValueError:
    """TF's shape-function error for a predicate that must be a scalar (LoopCond,
    Switch): the node as TF would have built it, with its inputs' shapes."""
    dims = "[" + ",".join("?" if d is None else str(d) for d in shape.as_list()) + "]"
    return ValueError(
        f"Shape must be rank 0 but is rank {shape.ndims} for '{{{{node {node}}}}} = "
        f"{op_type}[{attrs}]({', '.join(inputs)})' with input shapes: "
        + ", ".join([dims] * len(inputs))
        + "."
    )
