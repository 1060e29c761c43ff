"""`tf.sparse`: SparseTensor and the ops on it."""

from flowgraph.framework.sparse_tensor import (  # noqa: F401  (re-exports)
    SparseTensor as SparseTensor,
)
from flowgraph.ops.sparse_ops import (  # noqa: F401  (re-exports)
    sparse_placeholder as placeholder,
    sparse_tensor_dense_matmul as sparse_dense_matmul,
    sparse_tensor_to_dense as to_dense,
)
