"""`switch_case`: an integer-indexed conditional, one `Case` op holding its branches."""

from __future__ import annotations

import builtins

from flowgraph.framework.ops import Tensor
from flowgraph.framework.scopes import name_scope
from flowgraph.ops import control_flow_composites, control_flow_ops as cf


def switch_case(branch_index, branch_fns, default=None, name="switch_case"):
    """Create a switch/case operation, i.e. an integer-indexed conditional.

    The `branch_index` `Tensor` selects the callable of `branch_fns` with the matching
    `int` key, falling back to `default` if none matches, or to the max-keyed callable if
    no `default` is given. Only the chosen branch runs.

    Args:
      branch_index: An int Tensor specifying which of `branch_fns` should be executed.
      branch_fns: A `dict` mapping `int`s to callables, or a `list` of (`int`, callable)
        pairs, or simply a list of callables (in which case the index serves as the key).
        Each callable must return a matching structure of tensors.
      default: Optional callable that returns a structure of tensors.
      name: A name for this operation (optional).

    Returns:
      The tensors returned by the callable identified by `branch_index`.

    Example:
      >>> r = tf.switch_case(i, branch_fns={0: lambda: tf.constant(17),
      ...                                   1: lambda: tf.constant(31)},
      ...                    default=lambda: tf.constant(-1))
    """
    fns = _branches(branch_fns, default, branch_index)
    with name_scope(name, "case", [branch_index]) as scope:
        bodies = [
            cf._trace(f"{scope}branch{i}", cf._expanded(fn), allow_host=True)
            for i, fn in enumerate(fns)
        ]
        cf._check_same_structure(bodies)
        outs = cf._merged_outputs(bodies, [f"branch {i}" for i in range(len(bodies))])
        op = cf._functional_op(
            "Case",
            [branch_index],
            bodies,
            0,
            "indexed_case",
            branches=[],
            _bodies={f"branch{i}": b for i, b in enumerate(bodies)},
            Tout=builtins.tuple(d.numpy_dtype for d, _ in outs),
            output_shapes=builtins.tuple(s.as_tuple() for _, s in outs),
            _host=any(b.host for b in bodies) or cf._shapes_differ(bodies),
        )
        result = cf._pack_outputs(bodies[0], op, op.outputs)
        return cf._unpack_singleton(control_flow_composites.restore(result))


def _branches(branch_fns, default, branch_index) -> list:
    """TF's checks of `switch_case`'s arguments; the callables in key order, default last."""
    if not isinstance(branch_index, Tensor):
        raise TypeError(f"'branch_index' must be a Tensor, got {type(branch_index)}")
    if not branch_index.dtype.is_integer:
        raise TypeError(f"'branch_index' must be an integer Tensor, got {branch_index.dtype}")
    if not branch_fns:
        raise ValueError("Must provide at least one item in 'branch_fns'")
    if not isinstance(branch_fns, (list, builtins.tuple, dict)):
        raise TypeError("'branch_fns' must be a list, tuple, or dict")
    pairs = list(branch_fns.items()) if isinstance(branch_fns, dict) else list(branch_fns)
    if all(callable(fn) for fn in pairs):
        pairs = list(enumerate(pairs))
    for pair in pairs:
        _check_pair(pair)
    keys = [key for key, _ in pairs]
    if min(keys) < 0 or max(keys) >= len(keys) or len(set(keys)) != len(keys):
        found = ",".join(map(str, sorted(keys)))
        raise ValueError(
            f"branch indices (keys) must form contiguous range of [0 to {len(keys)}) but "
            f"found {{{found}}}"
        )
    fns = [fn for _, fn in sorted(pairs, key=lambda p: p[0])]
    return fns + ([default] if default is not None else [])


def _check_pair(pair) -> None:
    if not isinstance(pair, builtins.tuple) or len(pair) != 2:
        raise TypeError(f"Each entry in 'branch_fns' must be a 2-tuple. Received {pair}.")
    key, fn = pair
    if not isinstance(key, int):
        raise TypeError(f"key must be a Python `int`, got {type(key)}")
    if not callable(fn):
        raise TypeError(f"fn for key {key} must be callable.")
