"""`tf.sparse`: SparseTensor and the ops on it."""

from flowgraph.framework.sparse_tensor import (  # noqa: F401  (re-exports)
    SparseTensor as SparseTensor,
)
from flowgraph.ops.sparse_ops import (  # noqa: F401  (re-exports)
    sparse_add as add,
    sparse_concat as concat,
    sparse_fill_empty_rows as fill_empty_rows,
    sparse_mask as mask,
    sparse_placeholder as placeholder,
    sparse_reduce_sum as reduce_sum,
    sparse_reduce_sum_sparse as reduce_sum_sparse,
    sparse_reorder as reorder,
    sparse_reshape as reshape,
    sparse_retain as retain,
    sparse_slice as slice,  # noqa: A004
    sparse_softmax as softmax,
    sparse_split as split,
    sparse_tensor_dense_matmul as sparse_dense_matmul,
    sparse_tensor_to_dense as to_dense,
    sparse_to_indicator as to_indicator,
    sparse_transpose as transpose,
)
