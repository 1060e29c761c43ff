"""`tf.saved_model.utils`: `TensorInfo` protos of tensors, and the tensors back."""

from __future__ import annotations

from tensorboard.compat.proto import meta_graph_pb2, tensor_shape_pb2

from flowgraph.framework.ops import get_default_graph
from flowgraph.framework.sparse_tensor import SparseTensor


def build_tensor_info(tensor):
    """Utility function to build TensorInfo proto from a Tensor (or a SparseTensor).

    Example:
      >>> tf.saved_model.utils.build_tensor_info(x)   # name: "x:0" dtype: DT_FLOAT ...
    """
    if isinstance(tensor, SparseTensor):
        info = meta_graph_pb2.TensorInfo(
            dtype=tensor.dtype.as_datatype_enum, tensor_shape=_shape_proto(tensor.get_shape())
        )
        info.coo_sparse.values_tensor_name = tensor.values.name
        info.coo_sparse.indices_tensor_name = tensor.indices.name
        info.coo_sparse.dense_shape_tensor_name = tensor.dense_shape.name
        return info
    return meta_graph_pb2.TensorInfo(
        name=tensor.name, dtype=tensor.dtype.as_datatype_enum,
        tensor_shape=_shape_proto(tensor.get_shape()),
    )  # fmt: skip


def get_tensor_from_tensor_info(tensor_info, graph=None, import_scope=None):
    """Returns the Tensor or SparseTensor described by a TensorInfo proto.

    Raises:
      KeyError: if `tensor_info` does not name a tensor of `graph` (default: the default).
    """
    graph = graph or get_default_graph()

    def tensor(name):
        return graph.get_tensor_by_name(f"{import_scope}/{name}" if import_scope else name)

    if tensor_info.WhichOneof("encoding") == "coo_sparse":
        sparse = tensor_info.coo_sparse
        return SparseTensor(tensor(sparse.indices_tensor_name),
                            tensor(sparse.values_tensor_name),
                            tensor(sparse.dense_shape_tensor_name))  # fmt: skip
    return tensor(tensor_info.name)


def _shape_proto(shape):
    if shape.ndims is None:
        return tensor_shape_pb2.TensorShapeProto(unknown_rank=True)
    dims = [-1 if d is None else d for d in shape.as_list()]
    return tensor_shape_pb2.TensorShapeProto(
        dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=d) for d in dims]
    )
