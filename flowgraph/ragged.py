"""`tf.ragged`: RaggedTensor factories and helpers."""

from flowgraph.framework.ragged_tensor import (  # noqa: F401  (re-exports)
    RaggedTensorValue as RaggedTensorValue,
    is_ragged as is_ragged,
)
from flowgraph.ops.ragged_ops import (  # noqa: F401  (re-exports)
    constant as constant,
    constant_value as constant_value,
    map_flat_values as map_flat_values,
    row_splits_to_segment_ids as row_splits_to_segment_ids,
    segment_ids_to_row_splits as segment_ids_to_row_splits,
)
