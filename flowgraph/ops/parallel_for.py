"""`tf.vectorized_map`: `fn` applied to each slice of `elems` along axis 0."""

from __future__ import annotations

from flowgraph.framework import nest
from flowgraph.framework.scopes import name_scope
from flowgraph.ops import functional_ops
from flowgraph.ops.constant_op import convert_to_tensor


def vectorized_map(fn, elems, fallback_to_while_loop=True, warn=True):
    """`fn` applied to each slice of `elems` along axis 0, results stacked (as `map_fn`).

    TF vectorizes `fn` with its pfor compiler and otherwise falls back to a `while_loop`;
    flowgraph always runs the loop, which XLA compiles into the step, with the same
    results. The output structure and dtypes are those of `fn` on a slice of `elems`.

    Args:
      fn: a function of one slice (with `elems`' structure).
      elems: a tensor or a (nested) structure of tensors with equal leading dims.
      fallback_to_while_loop: accepted for TF's signature.
      warn: accepted for TF's signature.

    Example:
      >>> tf.vectorized_map(lambda row: tf.reduce_sum(row), tf.ones([3, 4]))   # [4, 4, 4]
    """
    with name_scope("loop_body"):
        flat = [convert_to_tensor(e) for e in nest.flatten(elems)]
        structure = nest.pack_sequence_as(elems, flat)
        # A probe on the first slice gives the output dtypes; nothing runs it.
        with name_scope("output_signature"):
            probe = fn(nest.map_structure(lambda t: t[0], structure))
        dtype = nest.map_structure(lambda t: convert_to_tensor(t).dtype, probe)
    return functional_ops.map_fn(fn, structure, dtype=dtype)
