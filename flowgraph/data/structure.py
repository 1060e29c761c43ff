"""Element structures of datasets: nests of tuples, dicts and namedtuples whose leaves are
Tensors or SparseTensors, flattened into the components dataset ops carry.

A SparseTensor leaf travels as one variant component of shape [..., 3] (TF's
`SerializeSparse` to variant; kernels/dataset_sparse.py): its leading dimensions are batch
dimensions, so dataset kernels batch, slice and shuffle it as they do a dense component.
Lists are values, not structure, as in tf.data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from flowgraph.framework import dtypes, tensor_shape
from flowgraph.framework.ops import Tensor, apply_op
from flowgraph.framework.sparse_tensor import SparseTensor, SparseTensorValue


@dataclass(frozen=True)
class Spec:
    """One leaf of an element: its dtype, static (dense) shape and class."""

    dtype: dtypes.DType
    shape: tensor_shape.TensorShape
    cls: type

    @property
    def components(self) -> list[tuple[dtypes.DType, tuple | None]]:
        """(dtype, shape tuple) of the components this leaf travels as."""
        if self.cls is SparseTensor:
            return [(dtypes.variant, None)]  # rows [..., 3]: TF leaves their shape unknown
        shape = self.shape.as_tuple() if self.shape.ndims is not None else None
        return [(self.dtype, shape)]


def _is_namedtuple(x) -> bool:
    return isinstance(x, tuple) and hasattr(x, "_fields")


def flatten(structure) -> list:
    """The leaves of `structure` in TF's nest order (dict keys sorted)."""
    if isinstance(structure, dict):
        return [leaf for k in sorted(structure) for leaf in flatten(structure[k])]
    if isinstance(structure, tuple):
        return [leaf for item in structure for leaf in flatten(item)]
    return [structure]


def pack(structure, leaves: list):
    """`leaves` arranged like `structure`."""
    it = iter(leaves)
    out = _pack(structure, it)
    return out


def _pack(structure, it):
    if isinstance(structure, dict):
        values = {k: _pack(structure[k], it) for k in sorted(structure)}
        return type(structure)((k, values[k]) for k in structure)
    if _is_namedtuple(structure):
        return type(structure)(*(_pack(s, it) for s in structure))
    if isinstance(structure, tuple):
        return tuple(_pack(s, it) for s in structure)
    return next(it)


def map_structure(fn, structure):
    return pack(structure, [fn(leaf) for leaf in flatten(structure)])


def same_structure(a, b) -> bool:
    if isinstance(a, dict) or isinstance(b, dict):
        return (
            isinstance(a, dict)
            and isinstance(b, dict)
            and sorted(a) == sorted(b)
            and all(same_structure(a[k], b[k]) for k in a)
        )
    if isinstance(a, tuple) or isinstance(b, tuple):
        return (
            isinstance(a, tuple)
            and isinstance(b, tuple)
            and len(a) == len(b)
            and all(same_structure(x, y) for x, y in zip(a, b))
        )
    return True


def spec_of(value) -> Spec:
    """The Spec of a Tensor or SparseTensor."""
    if isinstance(value, SparseTensor):
        return Spec(value.dtype.base_dtype, value.shape, SparseTensor)
    return Spec(value.dtype.base_dtype, value.shape, Tensor)


def to_tensors(value):
    """`value` (nested) with every leaf a Tensor or SparseTensor (lists become tensors)."""
    from flowgraph.ops.constant_op import convert_to_tensor

    def leaf(x):
        if isinstance(x, (Tensor, SparseTensor)):
            return x
        if isinstance(x, SparseTensorValue):
            return SparseTensor.from_value(x)
        return convert_to_tensor(x)

    return map_structure(leaf, value)


def components(value, rows: bool = False) -> list[Tensor]:
    """The flat component tensors of a structure of Tensors and SparseTensors: a
    SparseTensor as a variant row [3], or with `rows` as [dense_shape[0], 3] rows of its
    slices (what `from_tensor_slices` and `unbatch` split)."""
    out = []
    for leaf in flatten(value):
        out.append(_sparse_variant(leaf, rows) if isinstance(leaf, SparseTensor) else leaf)
    return out


def _sparse_variant(st: SparseTensor, rows: bool) -> Tensor:
    op_type = "SerializeManySparseToVariant" if rows else "SerializeSparseToVariant"
    out = apply_op(
        op_type,
        [st.indices, st.values, st.dense_shape],
        T=st.values.dtype.base_dtype.numpy_dtype,
    )
    out._dtype = dtypes.variant
    return out


def from_components(specs, tensors: list):
    """The structure of `specs` rebuilt from flat component tensors."""
    it = iter(tensors)
    leaves = []
    for spec in flatten(specs):
        if spec.cls is SparseTensor:
            leaves.append(_sparse(spec, next(it)))
        elif hasattr(spec.cls, "wrap"):  # a nested dataset
            leaves.append(spec.cls.wrap(next(it)))
        else:
            t = next(it)
            t.set_shape(spec.shape)
            leaves.append(t)
    return pack(specs, leaves)


def _sparse(spec: Spec, variant: Tensor) -> SparseTensor:
    """The SparseTensor of a variant component; static dims of `spec` become constants of
    its dense_shape, as TF's SparseTensorSpec restores them."""
    from flowgraph.ops import array_ops
    from flowgraph.ops.constant_op import constant

    variant._dtype = dtypes.variant  # as TF's: the component is a variant (not a string)
    indices, values, dense_shape = apply_op(
        "DeserializeSparse", [variant], dtype=spec.dtype.numpy_dtype
    )  # Tserialized binds to the input's variant (TF writes DT_VARIANT)
    rank = spec.shape.ndims
    if rank is None:
        return SparseTensor(indices, values, dense_shape)
    indices.set_shape([None, rank])
    dense_shape.set_shape([rank])
    dims = spec.shape.as_tuple()
    if spec.shape.is_fully_defined():
        dense_shape = constant(np.array(dims, np.int64), name="shape")
    elif any(d is not None for d in dims):
        pieces = array_ops.unstack(dense_shape, num=rank)
        pieces = [p if d is None else constant(d, dtypes.int64) for p, d in zip(pieces, dims)]
        dense_shape = array_ops.stack(pieces)
    return SparseTensor(indices, values, dense_shape)


def component_specs(specs) -> list[tuple[dtypes.DType, tuple | None]]:
    return [c for spec in flatten(specs) for c in spec.components]


def types_attr(specs) -> tuple:
    return tuple(d.numpy_dtype for d, _ in component_specs(specs))


def shapes_attr(specs) -> tuple:
    return tuple(s for _, s in component_specs(specs))


def output_types(specs):
    return map_structure(lambda s: s.dtype, specs)


def output_shapes(specs):
    return map_structure(lambda s: s.shape, specs)


def output_classes(specs):
    return map_structure(lambda s: s.cls, specs)


def specs_from(types, shapes=None, classes=None) -> Any:
    """Specs from TF1's output_types / output_shapes / output_classes structures."""
    shapes = map_structure(lambda _: None, types) if shapes is None else shapes
    classes = map_structure(lambda _: Tensor, types) if classes is None else classes
    t, s, c = flatten(types), flatten(shapes), flatten(classes)
    if not len(t) == len(s) == len(c):
        raise ValueError("output_types, output_shapes and output_classes must match")
    leaves = [
        Spec(
            dtypes.as_dtype(dt),
            tensor_shape.as_shape(sh) if sh is not None else tensor_shape.unknown_shape(),
            cl,
        )
        for dt, sh, cl in zip(t, s, c)
    ]
    return pack(types, leaves)


def describe(specs) -> str:
    return str(map_structure(lambda s: s.dtype.name, specs))


def numpy_component(value) -> np.ndarray:
    return np.asarray(value)
