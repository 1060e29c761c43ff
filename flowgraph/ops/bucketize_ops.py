"""`bucketize`: the index of the bucket of sorted `boundaries` each value falls into."""

from __future__ import annotations

from flowgraph.framework.ops import Tensor, apply_op
from flowgraph.ops.constant_op import convert_to_tensor
from flowgraph.ops.gradients import no_gradient

no_gradient("Bucketize")  # TF: NotDifferentiable


def bucketize(input, boundaries, name=None) -> Tensor:
    """Bucketizes `input` by `boundaries` (TF's `math_ops._bucketize`).

    Value `x` goes to bucket `i` where `boundaries[i - 1] <= x < boundaries[i]`.

    Example:
      >>> bucketize([-5., 0., 2.5, 10.], boundaries=[0., 10.])   # [0, 1, 1, 2] (int32)
    """
    input = convert_to_tensor(input, name="input")
    return apply_op("Bucketize", [input], name=name, boundaries=[float(b) for b in boundaries])
