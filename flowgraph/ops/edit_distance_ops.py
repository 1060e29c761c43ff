"""`tf.edit_distance`: Levenshtein distances between the sequences of two SparseTensors."""

from __future__ import annotations

from flowgraph.framework.ops import Tensor, apply_op
from flowgraph.framework.sparse_tensor import SparseTensor
from flowgraph.ops.gradients import no_gradient

no_gradient("EditDistance")  # TF: NotDifferentiable


def edit_distance(hypothesis, truth, normalize=True, name="edit_distance") -> Tensor:
    """The edit distances between the sequences (last dimension) of two SparseTensors.

    Each position of the other dimensions holds one sequence; the result has the larger of
    the two shapes without the last dimension. With `normalize`, each distance is divided
    by the truth's length (inf where the truth is empty and the hypothesis is not).
    """
    for what, value in (("Hypothesis", hypothesis), ("Truth", truth)):
        if not isinstance(value, SparseTensor) and not hasattr(value, "dense_shape"):
            raise TypeError(f"{what} must be a SparseTensor.")
    hypothesis, truth = SparseTensor.from_value(hypothesis), SparseTensor.from_value(truth)
    return apply_op(
        "EditDistance",
        [
            hypothesis.indices,
            hypothesis.values,
            hypothesis.dense_shape,
            truth.indices,
            truth.values,
            truth.dense_shape,
        ],
        name=name,
        normalize=bool(normalize),
        T=hypothesis.values.dtype.base_dtype.numpy_dtype,
    )
