"""Fractional max and average pooling (`tf.nn.fractional_max_pool`, `fractional_avg_pool`)."""

from __future__ import annotations

from flowgraph.framework import dtypes
from flowgraph.framework.ops import apply_op
from flowgraph.framework.scopes import name_scope
from flowgraph.ops import array_ops
from flowgraph.ops.constant_op import convert_to_tensor
from flowgraph.ops.gradients import RegisterGradient


def _fractional_pool(
    op_type, value, pooling_ratio, pseudo_random, overlapping, deterministic, seed, seed2, name
):
    with name_scope(name, op_type, [value]):
        value = convert_to_tensor(value, name="value")
        return apply_op(
            op_type,
            [value],
            pooling_ratio=[float(r) for r in pooling_ratio],
            pseudo_random=bool(pseudo_random),
            overlapping=bool(overlapping),
            deterministic=bool(deterministic),
            seed=int(seed),
            seed2=int(seed2),
            T=value.dtype.numpy_dtype,
        )


def fractional_max_pool(
    value,
    pooling_ratio,
    pseudo_random=False,
    overlapping=False,
    deterministic=False,
    seed=0,
    seed2=0,
    name=None,
):
    """Performs fractional max pooling on the input.

    Fractional max pooling pools over regions of size k or k + 1 (k = floor(input size /
    ratio)) along rows and columns, so an output can be a non-integer fraction of its input.
    The region boundaries are drawn at random: as a shuffled sequence of steps, or, with
    `pseudo_random`, as `ceil(alpha * (i + u))` for one uniform `u`. They are drawn the way
    TF draws them but from flowgraph's random stream, not TF's Philox stream, so one seed
    gives other regions than in TensorFlow; the pooling over given regions is TF's.

    Args:
      value: A 4-D `Tensor` [batch, height, width, channels] of float32, float64, int32 or
        int64.
      pooling_ratio: 4 floats, the pooling ratio of each dim of `value`; the first and last
        must be 1.0 (no pooling over batch or channels), the others at least 1.0.
      pseudo_random: draw the regions pseudo-randomly instead of randomly.
      overlapping: each region also includes the next region's first row and column.
      deterministic: use the same regions on every run of this op.
      seed: the op's random seed.
      seed2: a second seed against seed collisions.
      name: A name for the operation (optional).

    Returns:
      A tuple of `Tensor`s `(output, row_pooling_sequence, col_pooling_sequence)`: the
      pooled values, and the int64 region boundaries along rows and columns (length output
      size + 1; first 0, last the input size).
    """
    return _fractional_pool(
        "FractionalMaxPool",
        value,
        pooling_ratio,
        pseudo_random,
        overlapping,
        deterministic,
        seed,
        seed2,
        name,
    )


def fractional_avg_pool(
    value,
    pooling_ratio,
    pseudo_random=False,
    overlapping=False,
    deterministic=False,
    seed=0,
    seed2=0,
    name=None,
):
    """Performs fractional average pooling on the input.

    As `fractional_max_pool`, but each output is the mean of its region (integer means
    truncate toward zero). Regions are drawn as TF draws them, from flowgraph's random
    stream rather than TF's Philox stream.

    Args:
      value: A 4-D `Tensor` [batch, height, width, channels] of float32, float64, int32 or
        int64.
      pooling_ratio: 4 floats, the pooling ratio of each dim of `value`; the first and last
        must be 1.0.
      pseudo_random: draw the regions pseudo-randomly instead of randomly.
      overlapping: each region also includes the next region's first row and column.
      deterministic: use the same regions on every run of this op.
      seed: the op's random seed.
      seed2: a second seed against seed collisions.
      name: A name for the operation (optional).

    Returns:
      A tuple of `Tensor`s `(output, row_pooling_sequence, col_pooling_sequence)`.
    """
    return _fractional_pool(
        "FractionalAvgPool",
        value,
        pooling_ratio,
        pseudo_random,
        overlapping,
        deterministic,
        seed,
        seed2,
        name,
    )


@RegisterGradient("FractionalMaxPool")
def _fractional_max_pool_grad(op, grad, unused_rows_grad, unused_cols_grad):
    return [
        apply_op(
            "FractionalMaxPoolGrad",
            [op.inputs[0], op.outputs[0], grad, op.outputs[1], op.outputs[2]],
            overlapping=op.get_attr("overlapping"),
            T=op.inputs[0].dtype.numpy_dtype,
        )
    ]


@RegisterGradient("FractionalAvgPool")
def _fractional_avg_pool_grad(op, grad, unused_rows_grad, unused_cols_grad):
    return [
        apply_op(
            "FractionalAvgPoolGrad",
            [
                array_ops.shape(op.inputs[0], out_type=dtypes.int64),
                grad,
                op.outputs[1],
                op.outputs[2],
            ],
            overlapping=op.get_attr("overlapping"),
            T=grad.dtype.numpy_dtype,
        )
    ]
