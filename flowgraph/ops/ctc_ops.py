"""CTC ops (`tf.nn.ctc_loss`, `tf.nn.ctc_greedy_decoder`): time-major logits, blank = last class."""

from __future__ import annotations

import numpy as np

from flowgraph.framework import dtypes
from flowgraph.framework.ops import Tensor, apply_op, constant_value
from flowgraph.framework.scopes import name_scope
from flowgraph.framework.sparse_tensor import SparseTensor
from flowgraph.ops import array_ops, math_ops
from flowgraph.ops.constant_op import convert_to_tensor
from flowgraph.ops.gradients import no_gradient

no_gradient("CTCGreedyDecoder")  # TF: NotDifferentiable


def ctc_greedy_decoder(inputs, sequence_length, merge_repeated=True):
    """Best-path decoding of time-major logits [max_time, batch, num_classes].

    At each step takes the most likely class; drops blanks (the last class) and, with
    `merge_repeated`, repeats of the previous step's class.

    Returns:
      `([decoded], neg_sum_logits)`: `decoded` a SparseTensor [batch, longest] of int64
      classes, `neg_sum_logits` [batch, 1] the negative sum over time of each step's max logit.
    """
    with name_scope(None, "CTCGreedyDecoder", [inputs, sequence_length]):
        inputs = convert_to_tensor(inputs, name="inputs")
        inputs.shape.with_rank(3)
        sequence_length = math_ops.cast(
            convert_to_tensor(sequence_length, name="sequence_length"), dtypes.int32
        )
        indices, values, shape, log_prob = apply_op(
            "CTCGreedyDecoder",
            [inputs, sequence_length],
            merge_repeated=bool(merge_repeated),
            T=inputs.dtype.numpy_dtype,
        )
    return [SparseTensor(indices, values, shape)], log_prob


def ctc_loss(
    labels,
    inputs,
    sequence_length,
    preprocess_collapse_repeated=False,
    ctc_merge_repeated=True,
    ignore_longer_outputs_than_inputs=False,
    time_major=True,
) -> Tensor:
    """The CTC loss, -log p(labels | inputs), per batch entry.

    Args:
      labels: an int32 SparseTensor [batch, max_label_length] whose `dense_shape` is a
        constant; `labels.indices[i] = [b, j]` puts `labels.values[i]` at position j of
        sequence b. Labels are in [0, num_classes - 1); num_classes - 1 is the blank.
      inputs: logits, [max_time, batch, num_classes] (or [batch, max_time, num_classes]
        with `time_major=False`).
      sequence_length: int32 [batch], each at most max_time.
      preprocess_collapse_repeated: merge repeated labels before computing the loss.
      ctc_merge_repeated: when False, a repeated class in an alignment is a repeated label.
      ignore_longer_outputs_than_inputs: entries whose label sequence is longer than their
        sequence_length get a loss of 0 (and no gradient). Otherwise an entry without any
        alignment gets an infinite loss (TF raises an error there).

    Returns:
      A 1-D float tensor [batch] of negative log probabilities.
    """
    if not isinstance(labels, SparseTensor):
        raise TypeError("Expected labels (first argument) to be a SparseTensor")
    with name_scope(None, "CTCLoss", [labels.indices, labels.values, inputs, sequence_length]):
        inputs = convert_to_tensor(inputs, name="inputs")
        if not time_major:
            inputs = array_ops.transpose(inputs, [1, 0, 2])
        inputs.shape.with_rank(3)
        shape = constant_value(labels.dense_shape)
        if shape is None:
            raise ValueError("ctc_loss needs labels.dense_shape to be a constant")
        shape = np.asarray(shape)
        if shape.shape != (2,):
            raise ValueError(f"labels must be 2-D [batch, max_label_length], got {shape}")
        values = labels.values
        if values.dtype.base_dtype != dtypes.int32:
            values = math_ops.cast(values, dtypes.int32)
        sequence_length = math_ops.cast(
            convert_to_tensor(sequence_length, name="sequence_length"), dtypes.int32
        )
        loss, _ = apply_op(
            "CTCLoss",
            [inputs, labels.indices, values, sequence_length],
            _max_label_length=int(shape[1]),
            preprocess_collapse_repeated=bool(preprocess_collapse_repeated),
            ctc_merge_repeated=bool(ctc_merge_repeated),
            ignore_longer_outputs_than_inputs=bool(ignore_longer_outputs_than_inputs),
            T=inputs.dtype.numpy_dtype,
        )
        return loss
