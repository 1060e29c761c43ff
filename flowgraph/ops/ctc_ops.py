"""CTC ops (`tf.nn.ctc_loss`, `tf.nn.ctc_greedy_decoder`, `tf.nn.ctc_beam_search_decoder`):
time-major logits, blank = last class."""

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
no_gradient("CTCBeamSearchDecoder")


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


def ctc_beam_search_decoder(
    inputs, sequence_length, beam_width=100, top_paths=1, merge_repeated=True
):
    """Performs beam search decoding on the logits given in input.

    The blank is the last class; each step's logits are normalized with a log-softmax, so
    `log_probability` is the log probability of each decoded beam (summed over its
    alignments that stayed in the beam).

    If `merge_repeated` is `True`, merge repeated classes in the output beams: the top
    path `A B B B B` is returned as `A B`, even if `A B B B B` and `A B` are separate
    beams (this is TF's behavior; `ctc_beam_search_decoder_v2` does not merge).

    Args:
      inputs: 3-D `float` `Tensor`, size `[max_time x batch_size x num_classes]`. The logits.
      sequence_length: 1-D `int32` vector containing sequence lengths, having size
        `[batch_size]`.
      beam_width: An int scalar >= 0 (beam search beam width).
      top_paths: An int scalar >= 0, <= beam_width (controls output size).
      merge_repeated: Boolean.  Default: True.

    Returns:
      A tuple `(decoded, log_probabilities)` where
      decoded: A list of length top_paths, where `decoded[j]` is a `SparseTensor`
        containing the decoded outputs: `indices` [total_decoded_outputs[j], 2] (int64),
        `values` [total_decoded_outputs[j]] (int64 classes), `dense_shape`
        `[batch_size, max_decoded_length[j]]`.
      log_probability: A `float` matrix `[batch_size, top_paths]` containing
        sequence log-probabilities.
    """
    with name_scope(None, "CTCBeamSearchDecoder", [inputs, sequence_length]):
        inputs = convert_to_tensor(inputs, name="inputs")
        inputs.shape.with_rank(3)
        sequence_length = math_ops.cast(
            convert_to_tensor(sequence_length, name="sequence_length"), dtypes.int32
        )
        top_paths = int(top_paths)
        outputs = apply_op(
            "CTCBeamSearchDecoder",
            [inputs, sequence_length],
            beam_width=int(beam_width),
            top_paths=top_paths,
            merge_repeated=bool(merge_repeated),
            T=inputs.dtype.numpy_dtype,
        )
    outputs = list(outputs) if isinstance(outputs, (tuple, list)) else [outputs]
    indices, values = outputs[:top_paths], outputs[top_paths : 2 * top_paths]
    shapes = outputs[2 * top_paths : 3 * top_paths]
    decoded = [SparseTensor(i, v, s) for i, v, s in zip(indices, values, shapes)]
    return decoded, outputs[-1]


def ctc_beam_search_decoder_v2(inputs, sequence_length, beam_width=100, top_paths=1):
    """Performs beam search decoding on the logits given in input.

    As `ctc_beam_search_decoder` with `merge_repeated=False`: repeated classes of a beam
    stay repeated.

    Args:
      inputs: 3-D `float` `Tensor`, size `[max_time, batch_size, num_classes]`. The logits.
      sequence_length: 1-D `int32` vector containing sequence lengths, having size
        `[batch_size]`.
      beam_width: An int scalar >= 0 (beam search beam width).
      top_paths: An int scalar >= 0, <= beam_width (controls output size).

    Returns:
      A tuple `(decoded, log_probabilities)`, as `ctc_beam_search_decoder`.
    """
    return ctc_beam_search_decoder(
        inputs, sequence_length, beam_width, top_paths, merge_repeated=False
    )


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
