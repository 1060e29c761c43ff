"""More of `tf.nn`, composed from existing ops: silu, the transposed convolutions of any rank,
with_space_to_batch and its paddings, batch_norm_with_global_normalization and the CTC
label helpers (`collapse_repeated`, `ctc_unique_labels`, `ctc_loss_v2`)."""

from __future__ import annotations

import numpy as np

from flowgraph.framework import dtypes
from flowgraph.framework.scopes import name_scope
from flowgraph.framework.sparse_tensor import SparseTensor
from flowgraph.ops import array_ops, conv_ops, ctc_ops, math_ops, nn_ops
from flowgraph.ops.constant_op import convert_to_tensor


def silu(features, beta=1.0, name=None):
    """The SiLU (swish) activation: `features * sigmoid(beta * features)`.

    Example:
      >>> tf.nn.silu([-1.0, 0.0, 2.0])   # [-0.2689, 0.0, 1.7616]
    """
    with name_scope(name, "silu", [features]):
        features = convert_to_tensor(features, name="features")
        if isinstance(beta, (int, float)) and beta == 1.0:
            return nn_ops.swish(features)
        beta = convert_to_tensor(beta, dtype=features.dtype, name="beta")
        return features * math_ops.sigmoid(beta * features)


def _with_unit_dim(shape, axis: int):
    """`shape` (a list or a 1-D tensor) with a 1 inserted at `axis`."""
    if isinstance(shape, (list, tuple, np.ndarray)):
        shape = list(shape)
        return shape[:axis] + [1] + shape[axis:]
    shape = convert_to_tensor(shape, name="output_shape")
    one = array_ops.ones([1], dtype=shape.dtype)
    return array_ops.concat([shape[:axis], one, shape[axis:]], 0)


def conv1d_transpose(
    input,
    filters,
    output_shape,
    strides,
    padding="SAME",
    data_format="NWC",
    dilations=None,
    name=None,
):
    """The transpose of `conv1d`: the gradient of a 1-D convolution with respect to its
    input, built as TF builds it (ExpandDims, Conv2DBackpropInput, Squeeze).

    Args:
      input: a 3-D `Tensor` `[batch, in_width, in_channels]` ("NWC") or "NCW".
      filters: a 3-D `Tensor` `[filter_width, output_channels, in_channels]`.
      output_shape: the 1-D shape of the output, `[batch, out_width, output_channels]`.
      strides: an int or a list of 1 or 3 ints, the stride of the sliding window.
      padding: "VALID" or "SAME".
      data_format: "NWC" or "NCW".
      dilations: an int or a list of 1 or 3 ints, the dilation rate.
      name: a name for the operation.
    """
    with name_scope(name, "conv1d_transpose", [input, filters, output_shape]) as scope:
        if data_format not in ("NWC", "NCW"):
            raise ValueError(
                f"`data_format` must be 'NWC' or 'NCW'. Received: data_format={data_format}"
            )
        spatial = 1 if data_format == "NWC" else 2
        fmt = "NHWC" if data_format == "NWC" else "NCHW"
        strides = [1] + _spatial_list(strides, spatial, fmt)
        dilations = [1] + _spatial_list(dilations or 1, spatial, fmt)
        value = array_ops.expand_dims(convert_to_tensor(input, name="input"), spatial)
        filters = array_ops.expand_dims(convert_to_tensor(filters, name="filters"), 0)
        out = conv_ops.conv2d_transpose(
            value,
            filters,
            _with_unit_dim(output_shape, spatial),
            strides=_nchw(strides, fmt),
            padding=padding,
            data_format=fmt,
            dilations=_nchw(dilations, fmt),
        )
        return array_ops.squeeze(out, [spatial], name=scope)


def _spatial_list(value, spatial: int, fmt: str) -> list:
    """A 1-D stride or dilation as [width] (from an int or a list of 1 or 3)."""
    values = [int(value)] if np.ndim(value) == 0 else [int(v) for v in value]
    if len(values) == 3:
        values = [values[spatial]]
    if len(values) != 1:
        raise ValueError(f"strides and dilations must have 1 or 3 elements, got {values}")
    return values


def _nchw(hw: list, fmt: str) -> list:
    return [1, 1] + hw if fmt == "NCHW" else [1] + hw + [1]


def conv_transpose(
    input,
    filters,
    output_shape,
    strides,
    padding="SAME",
    data_format=None,
    dilations=None,
    name=None,
):
    """The transpose of `convolution` with 1, 2 or 3 spatial dims (from `output_shape`'s
    length).

    Args:
      input: an N+2 dimensional `Tensor`.
      filters: an N+2 dimensional `Tensor` `spatial_filter_shape + [out_channels,
        in_channels]`.
      output_shape: the 1-D output shape, of length N+2.
      strides: an int or a list of ints, the stride per spatial dim.
      padding: "VALID" or "SAME".
      data_format: channels last (default) or first ("NCW", "NCHW", "NCDHW").
      dilations: an int or a list of ints, the dilation rate per spatial dim.
      name: a name for the operation.
    """
    with name_scope(name, "conv_transpose", [input, filters, output_shape]) as scope:
        if isinstance(output_shape, (list, tuple, np.ndarray)):
            rank = len(output_shape)
        else:
            rank = convert_to_tensor(output_shape).shape.as_list()[0]
        if rank not in (3, 4, 5):
            raise ValueError(
                f"`output_shape` must be of length 3, 4 or 5. Received: "
                f"output_shape={output_shape} of length {rank}."
            )
        channels_first = data_format is not None and data_format.startswith("NC")
        fmt = (
            {3: "NCW", 4: "NCHW", 5: "NCDHW"}[rank]
            if channels_first
            else {3: "NWC", 4: "NHWC", 5: "NDHWC"}[rank]
        )
        if rank == 3:
            return conv1d_transpose(
                input, filters, output_shape, strides, padding, fmt, dilations, name=scope
            )
        build = conv_ops.conv2d_transpose if rank == 4 else conv_ops.conv3d_transpose
        return build(
            input,
            filters,
            output_shape,
            strides,
            padding=padding,
            data_format=fmt,
            dilations=dilations,
            name=scope,
        )


def atrous_conv2d_transpose(value, filters, output_shape, rate, padding, name=None):
    """The transpose of `atrous_conv2d`: the gradient of a 2-D convolution with its filter
    dilated by `rate` (NHWC), with respect to its input.

    Raises:
      ValueError: if `rate` is less than one or `padding` is not "SAME" or "VALID".
    """
    with name_scope(name, "atrous_conv2d_transpose", [value, filters, output_shape]) as scope:
        if int(rate) < 1:
            raise ValueError(f"Argument `rate` cannot be less than one. Received: rate={rate}")
        if padding not in ("SAME", "VALID"):
            raise ValueError(f"padding must be either VALID or SAME. Received: padding={padding}")
        return conv_ops.conv2d_transpose(
            value,
            filters,
            output_shape,
            [1, 1, 1, 1],
            padding=padding,
            dilations=[1, rate, rate, 1],
            name=scope,
        )


def required_space_to_batch_paddings(input_shape, block_shape, base_paddings=None, name=None):
    """The paddings and crops that make `space_to_batch_nd` divide `input_shape`.

    Pads each block dim at the end (beyond `base_paddings`) until its padded size is a
    multiple of `block_shape`; the crops remove that extra padding again.

    Args:
      input_shape: int32 `[num_block_dims]`, the sizes of the block dims.
      block_shape: int32 `[num_block_dims]`.
      base_paddings: optional int32 `[num_block_dims, 2]`, the minimum paddings.
      name: a name scope.

    Returns:
      (paddings, crops): int32 `[num_block_dims, 2]` each.
    """
    with name_scope(name, "required_space_to_batch_paddings", [input_shape, block_shape]):
        input_shape = convert_to_tensor(input_shape, dtype=dtypes.int32, name="input_shape")
        block_shape = convert_to_tensor(block_shape, dtype=dtypes.int32, name="block_shape")
        if base_paddings is None:
            base_paddings = array_ops.zeros(
                array_ops.stack([array_ops.size(block_shape), 2]), dtypes.int32
            )
        base_paddings = convert_to_tensor(base_paddings, dtype=dtypes.int32, name="base_paddings")
        start, end = base_paddings[:, 0], base_paddings[:, 1]
        full = input_shape + start + end
        extra = (block_shape - full % block_shape) % block_shape
        paddings = array_ops.stack([start, end + extra], axis=1, name="paddings")
        crops = array_ops.stack([array_ops.zeros_like(extra), extra], axis=1, name="crops")
        return paddings, crops


def with_space_to_batch(
    input, dilation_rate, padding, op, filter_shape=None, spatial_dims=None, data_format=None
):
    """Performs `op` on the space-to-batch representation of `input`.

    With `dilation_rate` all ones this is `op(input, num_spatial_dims, padding)`; otherwise
    `input` is padded and moved into the batch dim by `space_to_batch_nd`, `op` runs with
    "VALID" padding, and `batch_to_space_nd` moves the result back and crops it — which
    turns an undilated `op` (a convolution, a pooling) into its dilated form.

    Args:
      input: a `Tensor` of rank N+2 (channels last unless `data_format` starts with "NC").
      dilation_rate: int32 `[N]`, the dilation per spatial dim.
      padding: "VALID" or "SAME" (which needs `filter_shape`).
      op: a function `(converted_input, num_spatial_dims, padding) -> Tensor`.
      filter_shape: the spatial shape of the filter, for "SAME" padding.
      spatial_dims: the spatial dims of `input` (default: 1..N, or 2..N+1 for "NC" formats).
      data_format: a format string such as "NHWC" or "NCHW".
    """
    input = convert_to_tensor(input, name="input")
    rate = [int(r) for r in np.atleast_1d(dilation_rate)]
    n = len(rate)
    first = 2 if data_format is not None and data_format.startswith("NC") else 1
    dims = list(spatial_dims) if spatial_dims is not None else list(range(first, first + n))
    if dims != list(range(dims[0], dims[0] + n)):
        raise ValueError(f"spatial_dims must be consecutive, got {dims}")
    if padding not in ("SAME", "VALID"):
        raise ValueError(f"Invalid padding method {padding!r}")
    if all(r == 1 for r in rate):
        return op(input, n, padding)
    if padding == "SAME":
        if filter_shape is None:
            raise ValueError("filter_shape must be specified for SAME padding")
        extra = (np.asarray(filter_shape, np.int64)[:n] - 1) * rate
        base = np.stack([extra // 2, extra - extra // 2], axis=1)
    else:
        base = np.zeros((n, 2), np.int64)
    spatial_shape = array_ops.shape(input)[dims[0] : dims[0] + n]
    paddings, crops = required_space_to_batch_paddings(spatial_shape, rate, base)
    moved = _to_batch_layout(input, dims[0], first)
    converted = array_ops.space_to_batch_nd(moved, rate, paddings)
    result = op(_from_batch_layout(converted, dims[0], first), n, "VALID")
    back = array_ops.batch_to_space_nd(_to_batch_layout(result, dims[0], first), rate, crops)
    return _from_batch_layout(back, dims[0], first)


def _to_batch_layout(x, start: int, first: int):
    """`x` with its spatial dims right after the batch dim (space_to_batch_nd's layout)."""
    if start == 1:
        return x
    rank = x.shape.ndims
    perm = [0] + list(range(start, rank)) + list(range(1, start))
    return array_ops.transpose(x, perm)


def _from_batch_layout(x, start: int, first: int):
    if start == 1:
        return x
    rank = x.shape.ndims
    n = rank - start
    perm = [0] + list(range(n + 1, rank)) + list(range(1, n + 1))
    return array_ops.transpose(x, perm)


def batch_norm_with_global_normalization(
    t=None,
    m=None,
    v=None,
    beta=None,
    gamma=None,
    variance_epsilon=None,
    scale_after_normalization=None,
    name=None,
    input=None,
    mean=None,
    variance=None,
):
    """Batch normalization with given (global) mean and variance:
    `(t - m) / sqrt(v + variance_epsilon) * gamma + beta` (`gamma` only when
    `scale_after_normalization`)."""
    t = conv_ops._one_of("input", input, "t", t)
    m = conv_ops._one_of("mean", mean, "m", m)
    v = conv_ops._one_of("variance", variance, "v", v)
    scale = gamma if scale_after_normalization else None
    return nn_ops.batch_normalization(
        t, m, v, beta, scale, variance_epsilon, name=name or "batchnorm"
    )


def collapse_repeated(labels, seq_length, name=None):
    """Merges repeated labels into single labels.

    Args:
      labels: `[batch, max_seq_length]` label sequences.
      seq_length: `[batch]`, the length of each sequence.
      name: a name scope.

    Returns:
      (collapsed labels `[batch, max_new_length]`, zero-padded; their new lengths).

    Example: `[[1, 1, 2, 2, 3]]` with length 5 becomes `[[1, 2, 3]]` with length 3.
    """
    with name_scope(name, "collapse_repeated_labels", [labels, seq_length]):
        labels = convert_to_tensor(labels, name="labels")
        seq_length = convert_to_tensor(seq_length, name="seq_length")
        first = array_ops.ones_like(labels[:, :1], dtype=dtypes.bool)
        changed = math_ops.not_equal(labels[:, 1:], labels[:, :-1])
        keep = array_ops.concat([first, changed], axis=1)
        keep = math_ops.logical_and(
            keep, array_ops.sequence_mask(seq_length, maxlen=array_ops.shape(labels)[1])
        )
        new_length = math_ops.reduce_sum(math_ops.cast(keep, dtypes.int32), axis=1)
        new_max = math_ops.reduce_max(new_length)
        slots = array_ops.reshape(array_ops.sequence_mask(new_length, maxlen=new_max), [-1])
        index = array_ops.boolean_mask(array_ops.range(array_ops.size(slots)), slots)
        kept = array_ops.boolean_mask(
            array_ops.reshape(labels, [-1]), array_ops.reshape(keep, [-1])
        )
        flat = array_ops.scatter_nd(array_ops.expand_dims(index, 1), kept, array_ops.shape(slots))
        collapsed = array_ops.reshape(flat, array_ops.stack([array_ops.shape(labels)[0], new_max]))
        return collapsed, math_ops.cast(new_length, seq_length.dtype)


def ctc_unique_labels(labels, name=None):
    """The unique labels of each batch row and their indices, for `ctc_loss_v2`'s `unique`.

    Returns:
      (unique labels `[batch, max_label_length]` int64, zero-padded; for each label the
      index of its unique value, int32).
    """
    with name_scope(name, "ctc_unique_labels", [labels]):
        labels = convert_to_tensor(labels, name="labels")
        n = array_ops.shape(labels)[1]
        # Computed with comparisons rather than Unique, so that it compiles with XLA.
        same = math_ops.equal(labels[:, :, None], labels[:, None, :])  # [batch, i, j]
        positions = array_ops.range(n)
        earlier = math_ops.greater(positions[:, None], positions[None, :])  # j < i
        first = math_ops.logical_not(
            math_ops.reduce_any(math_ops.logical_and(same, earlier), axis=2)
        )
        slot = math_ops.cumsum(math_ops.cast(first, dtypes.int32), axis=1) - 1
        first_of = math_ops.argmax(
            math_ops.cast(same, dtypes.int32), axis=2, output_type=dtypes.int32
        )
        idx = array_ops.gather(slot, first_of, axis=1, batch_dims=1)
        places = (
            array_ops.one_hot(slot, n, dtype=dtypes.int64)
            * math_ops.cast(first, dtypes.int64)[:, :, None]
        )
        values = math_ops.reduce_sum(
            places * math_ops.cast(labels, dtypes.int64)[:, :, None], axis=1
        )
        return values, idx


def ctc_loss_v2(
    labels,
    logits,
    label_length,
    logit_length,
    logits_time_major=True,
    unique=None,
    blank_index=None,
    name=None,
):
    """The CTC (Connectionist Temporal Classification) loss of each batch element.

    Args:
      labels: `[batch, max_label_length]` int labels (dense), or a `SparseTensor`.
      logits: `[frames, batch, num_labels]` (or batch major, see `logits_time_major`).
      label_length: `[batch]` label lengths (dense labels); None for a `SparseTensor`.
      logit_length: `[batch]` logit lengths.
      logits_time_major: whether `logits` is time major.
      unique: accepted for TF's signature (`ctc_unique_labels` of `labels`); the loss is the
        same without it.
      blank_index: the class of the blank label (default 0 for dense labels; required for
        `SparseTensor` labels); negative values count from `num_labels`.
      name: a name scope.

    Returns:
      The loss, `[batch]`.
    """
    with name_scope(name, "ctc_loss_dense", [logits, labels, label_length, logit_length]):
        logits = convert_to_tensor(logits, name="logits")
        if isinstance(labels, SparseTensor):
            if blank_index is None:
                raise ValueError(
                    "Argument `blank_index` must be provided when `labels` is a `SparseTensor`."
                )
            sparse = labels
        else:
            blank_index = 0 if blank_index is None else blank_index
            sparse = _dense_to_sparse(labels, label_length)
        num_labels = logits.shape.as_list()[2]
        if blank_index < 0:
            blank_index += num_labels
        if blank_index != num_labels - 1:
            # ctc_loss takes the last class as the blank: move it there, and shift labels.
            logits = array_ops.concat(
                [
                    logits[:, :, :blank_index],
                    logits[:, :, blank_index + 1 :],
                    logits[:, :, blank_index : blank_index + 1],
                ],
                axis=2,
            )
            values = sparse.values
            values = array_ops.where(values < blank_index, values, values - 1)
            sparse = SparseTensor(sparse.indices, values, sparse.dense_shape)
        return ctc_ops.ctc_loss(sparse, logits, logit_length, time_major=logits_time_major)


def _dense_to_sparse(labels, label_length):
    labels = convert_to_tensor(labels, name="labels")
    mask = array_ops.sequence_mask(label_length, maxlen=array_ops.shape(labels)[1])
    indices = array_ops.where(mask)
    values = math_ops.cast(array_ops.gather_nd(labels, indices), dtypes.int32)
    shape = labels.shape.as_list()
    if None in shape:  # ctc_loss needs a constant dense_shape: the labels' static one
        raise ValueError(f"ctc_loss_v2: dense labels need a static shape, got {shape}")
    return SparseTensor(indices, values, np.asarray(shape, np.int64))
