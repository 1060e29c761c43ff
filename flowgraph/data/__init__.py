"""tf.data: input pipelines as graph ops (TF1 graph mode)."""

from flowgraph.data import experimental as experimental
from flowgraph.data.dataset_ops import (
    AUTOTUNE as AUTOTUNE,
    Dataset as Dataset,
    DatasetV1 as DatasetV1,
)
from flowgraph.data.iterator_ops import (
    Iterator as Iterator,
    get_output_classes as get_output_classes,
    get_output_shapes as get_output_shapes,
    get_output_types as get_output_types,
    make_initializable_iterator as make_initializable_iterator,
    make_one_shot_iterator as make_one_shot_iterator,
)
from flowgraph.data.readers import (
    FixedLengthRecordDataset as FixedLengthRecordDataset,
    TextLineDataset as TextLineDataset,
    TFRecordDataset as TFRecordDataset,
)
