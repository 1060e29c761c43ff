"""More candidate samplers: `tf.nn.all_candidate_sampler`,
`fixed_unigram_candidate_sampler` and `compute_accidental_hits`."""

from __future__ import annotations

from flowgraph.framework import dtypes
from flowgraph.framework.ops import apply_op
from flowgraph.ops import math_ops
from flowgraph.ops.constant_op import convert_to_tensor
from flowgraph.ops.gradients import no_gradient
from flowgraph.ops.random_ops import _seeds

for _op_type in ("AllCandidateSampler", "FixedUnigramCandidateSampler", "ComputeAccidentalHits"):
    no_gradient(_op_type)  # int64 classes (TF: NotDifferentiable)
del _op_type


def _int64(t, name):
    t = convert_to_tensor(t, name=name)
    return t if t.dtype == dtypes.int64 else math_ops.cast(t, dtypes.int64)


def all_candidate_sampler(true_classes, num_true, num_sampled, unique, seed=None, name=None):
    """Generates the set of all classes `[0, num_sampled)` (useful for testing a sampled
    loss against the full softmax).

    Returns:
      (sampled_candidates int64 `[num_sampled]`, true_expected_count float32
      `[batch, num_true]` of ones, sampled_expected_count float32 `[num_sampled]` of ones).
    """
    return apply_op(
        "AllCandidateSampler",
        [_int64(true_classes, "true_classes")],
        name=name,
        num_true=int(num_true),
        num_sampled=int(num_sampled),
        unique=bool(unique),
        **_seeds(seed),
    )


def fixed_unigram_candidate_sampler(
    true_classes,
    num_true,
    num_sampled,
    unique,
    range_max,
    vocab_file="",
    distortion=1.0,
    num_reserved_ids=0,
    num_shards=1,
    shard=0,
    unigrams=(),
    seed=None,
    name=None,
):
    """Samples classes from a fixed unigram distribution: class `num_reserved_ids + k` has
    weight `count_k ** distortion`, the counts from `unigrams` or from the last column of
    each line of the CSV `vocab_file`; reserved ids have weight 0; with `num_shards > 1`
    only the ids of `shard` are sampled.

    Returns:
      (sampled_candidates, true_expected_count, sampled_expected_count), as the other
      samplers.
    """
    if bool(vocab_file) == bool(len(unigrams)):
        raise ValueError("Exactly one of vocab_file and unigrams needs to be passed.")
    return apply_op(
        "FixedUnigramCandidateSampler",
        [_int64(true_classes, "true_classes")],
        name=name,
        num_true=int(num_true),
        num_sampled=int(num_sampled),
        unique=bool(unique),
        range_max=int(range_max),
        vocab_file=str(vocab_file),
        distortion=float(distortion),
        num_reserved_ids=int(num_reserved_ids),
        num_shards=int(num_shards),
        shard=int(shard),
        unigrams=tuple(float(u) for u in unigrams),
        **_seeds(seed),
    )


def compute_accidental_hits(true_classes, sampled_candidates, num_true, seed=None, name=None):
    """The positions of sampled candidates that are also true classes, to be masked out of
    a sampled loss.

    Returns:
      (indices int32: the batch rows; ids int64: the positions in `sampled_candidates`;
      weights float32: `-FLOAT_MAX`, to add to those logits).
    """
    return apply_op(
        "ComputeAccidentalHits",
        [_int64(true_classes, "true_classes"), _int64(sampled_candidates, "sampled_candidates")],
        name=name,
        num_true=int(num_true),
        **_seeds(seed),
    )
