"""SparseTensor and IndexedSlices through cond branches and while loops: each crosses the
functional op as its component tensors and is rebuilt on the other side (TF's
`expand_composites`)."""

from __future__ import annotations

import jax

from flowgraph.framework import tensor_shape
from flowgraph.framework.indexed_slices import IndexedSlices
from flowgraph.framework.sparse_tensor import SparseTensor


@jax.tree_util.register_pytree_node_class
class Components:
    """A composite value as a pytree node: its `kind` and its component tensors."""

    def __init__(self, kind: str, parts: tuple):
        self.kind = kind
        self.parts = tuple(parts)

    def tree_flatten(self):
        return self.parts, self.kind

    @classmethod
    def tree_unflatten(cls, kind, parts):
        return cls(kind, parts)

    def __repr__(self) -> str:
        return f"{self.kind}{self.parts}"


def _is_composite(x) -> bool:
    return isinstance(x, (SparseTensor, IndexedSlices))


def _split(x):
    if isinstance(x, SparseTensor):
        return Components("SparseTensor", (x.indices, x.values, x.dense_shape))
    if isinstance(x, IndexedSlices):
        parts = (x.values, x.indices) + (() if x.dense_shape is None else (x.dense_shape,))
        return Components("IndexedSlices", parts)
    return x


def _joined(x):
    if not isinstance(x, Components):
        return x
    if x.kind == "SparseTensor":
        return SparseTensor(*x.parts)
    return IndexedSlices(*x.parts)


def _leaf(x) -> bool:
    return not isinstance(x, (list, tuple, dict)) or _is_composite(x)


def expand(structure):
    """`structure` with every SparseTensor and IndexedSlices as its `Components`."""
    return jax.tree_util.tree_map(_split, structure, is_leaf=_leaf)


def restore(structure):
    """`structure` with every `Components` rebuilt into its composite value."""
    return jax.tree_util.tree_map(
        _joined, structure, is_leaf=lambda x: isinstance(x, Components) or _leaf(x)
    )


def has_composites(structure) -> bool:
    leaves = jax.tree_util.tree_leaves(structure, is_leaf=_leaf)
    return any(_is_composite(x) for x in leaves)


def loop_body(body, single: bool):
    """`body` taking and returning expanded structures (one value packed into a list when
    the loop has one loop variable, as TF packs it)."""

    def fn(*args):
        result = body(*restore(list(args)))
        if single and not isinstance(result, (list, tuple)):
            result = [result]
        return expand(result)

    return fn


def loop_cond(cond):
    return lambda *args: cond(*restore(list(args)))


def invariants(loop_vars, shape_invariants):
    """Shape invariants of the expanded loop variables: a composite's components may
    change their leading (count) dimension between iterations, as TF1 lets them."""
    given = shape_invariants if shape_invariants is not None else _nones(loop_vars)
    return jax.tree_util.tree_map(_loose, loop_vars, given, is_leaf=_leaf)


def _nones(structure):
    return jax.tree_util.tree_map(lambda _: None, structure, is_leaf=_leaf)


def _loose(value, invariant):
    if not _is_composite(value):
        return invariant
    parts = _split(value).parts
    return Components(
        _split(value).kind,
        tuple(_counted(p.shape) for p in parts[:2]) + tuple(p.shape for p in parts[2:]),
    )


def _counted(shape: tensor_shape.TensorShape) -> tensor_shape.TensorShape:
    if shape.ndims is None or shape.ndims == 0:
        return shape
    return tensor_shape.TensorShape([None] + shape.as_list()[1:])
