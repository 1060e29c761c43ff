"""SparseTensors to and from strings (`tf.serialize_sparse`, `tf.serialize_many_sparse`,
`tf.deserialize_many_sparse`): rows of three serialized TensorProtos (indices, values,
dense shape), the format TF's queues and input pipelines pass sparse batches in."""

from __future__ import annotations

from flowgraph.framework import dtypes
from flowgraph.framework.ops import Tensor, apply_op
from flowgraph.framework.sparse_tensor import SparseTensor
from flowgraph.ops.constant_op import convert_to_tensor
from flowgraph.ops.gradients import no_gradient

for _op_type in ("SerializeSparse", "SerializeManySparse", "DeserializeManySparse"):
    no_gradient(_op_type)  # strings
del _op_type


def _sparse(sp_input) -> SparseTensor:
    if isinstance(sp_input, SparseTensor):
        return sp_input
    if hasattr(sp_input, "dense_shape"):
        return SparseTensor.from_value(sp_input)
    raise TypeError(f"Input must be a SparseTensor, got {type(sp_input).__name__}.")


def _serialize(op_type: str, sp_input, name, out_type) -> Tensor:
    if dtypes.as_dtype(out_type) != dtypes.string:
        raise ValueError(f"flowgraph serializes SparseTensors as strings, got out_type={out_type}")
    sp = _sparse(sp_input)
    return apply_op(
        op_type,
        [sp.indices, sp.values, sp.dense_shape],
        name=name,
        T=sp.values.dtype.base_dtype.numpy_dtype,
        out_type=dtypes.string.numpy_dtype,
    )


def serialize_sparse(sp_input, name=None, out_type=dtypes.string) -> Tensor:
    """A SparseTensor as a [3] string vector of serialized TensorProtos."""
    return _serialize("SerializeSparse", sp_input, name, out_type)


def serialize_many_sparse(sp_input, name=None, out_type=dtypes.string) -> Tensor:
    """A rank-R SparseTensor as [N, 3] strings: one serialized rank-(R-1) SparseTensor per
    entry of its first dimension."""
    return _serialize("SerializeManySparse", sp_input, name, out_type)


def deserialize_many_sparse(serialized_sparse, dtype, rank=None, name=None) -> SparseTensor:
    """The SparseTensor of `serialize_many_sparse` rows [N, 3]: the rows stacked along a new
    first dimension, the other dimensions the largest of the rows'."""
    serialized = convert_to_tensor(serialized_sparse, dtype=dtypes.string)
    indices, values, shape = apply_op(
        "DeserializeManySparse", [serialized], name=name, dtype=dtypes.as_dtype(dtype).numpy_dtype
    )
    if rank is not None:
        indices.set_shape([None, rank])
        shape.set_shape([rank])
    return SparseTensor(indices, values, shape)
