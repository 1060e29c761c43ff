"""Candidate samplers (`tf.nn.uniform_candidate_sampler`, `log_uniform_candidate_sampler`)."""

from __future__ import annotations

from flowgraph.framework import dtypes
from flowgraph.framework.ops import apply_op
from flowgraph.ops import math_ops
from flowgraph.ops.constant_op import convert_to_tensor
from flowgraph.ops.random_ops import _seeds


def _sampler(op_type, true_classes, num_true, num_sampled, unique, range_max, seed, name):
    true_classes = convert_to_tensor(true_classes, name="true_classes")
    if true_classes.dtype != dtypes.int64:
        true_classes = math_ops.cast(true_classes, dtypes.int64)
    return apply_op(
        op_type,
        [true_classes],
        name=name,
        num_true=int(num_true),
        num_sampled=int(num_sampled),
        unique=bool(unique),
        range_max=int(range_max),
        **_seeds(seed),
    )


def uniform_candidate_sampler(
    true_classes, num_true, num_sampled, unique, range_max, seed=None, name=None
):
    """Samples `num_sampled` classes uniformly from [0, range_max).

    Returns (sampled_candidates, true_expected_count, sampled_expected_count).
    """
    return _sampler(
        "UniformCandidateSampler",
        true_classes,
        num_true,
        num_sampled,
        unique,
        range_max,
        seed,
        name,
    )


def log_uniform_candidate_sampler(
    true_classes, num_true, num_sampled, unique, range_max, seed=None, name=None
):
    """Samples classes from the log-uniform (Zipfian) distribution
    P(k) = (log(k + 2) - log(k + 1)) / log(range_max + 1).

    Returns (sampled_candidates, true_expected_count, sampled_expected_count).
    """
    return _sampler(
        "LogUniformCandidateSampler",
        true_classes,
        num_true,
        num_sampled,
        unique,
        range_max,
        seed,
        name,
    )


def _compute_sampled_logits(
    weights,
    biases,
    labels,
    inputs,
    num_sampled,
    num_classes,
    num_true,
    sampled_values,
    subtract_log_q,
    remove_accidental_hits,
    partition_strategy,
    seed,
):
    """TF1's logits and labels of the true and the sampled classes:
    ([batch, num_true + num_sampled], same) for a sigmoid or softmax cross entropy."""
    from flowgraph.ops import array_ops, embedding_ops

    labels = math_ops.cast(convert_to_tensor(labels, name="labels"), dtypes.int64)
    inputs = convert_to_tensor(inputs, name="inputs")
    if sampled_values is None:
        sampled_values = log_uniform_candidate_sampler(
            labels, num_true, num_sampled, True, num_classes, seed=seed
        )
    sampled, true_expected, sampled_expected = (array_ops.stop_gradient(s) for s in sampled_values)
    sampled = math_ops.cast(sampled, dtypes.int64)
    labels_flat = array_ops.reshape(labels, [-1])
    all_ids = array_ops.concat([labels_flat, sampled], 0)
    all_w = embedding_ops.embedding_lookup(weights, all_ids, partition_strategy)
    all_b = embedding_ops.embedding_lookup(biases, all_ids, partition_strategy)
    n_true = array_ops.shape(labels_flat)[0]
    true_w = array_ops.slice(all_w, [0, 0], array_ops.stack([n_true, -1]))
    sampled_w = array_ops.slice(all_w, array_ops.stack([n_true, 0]), [-1, -1])
    true_b = array_ops.slice(all_b, [0], array_ops.stack([n_true]))
    sampled_b = array_ops.slice(all_b, array_ops.stack([n_true]), [-1])
    dim = array_ops.shape(true_w)[1:2]
    true_w = array_ops.reshape(true_w, array_ops.concat([[-1, num_true], dim], 0))
    true_logits = math_ops.reduce_sum(array_ops.expand_dims(inputs, 1) * true_w, -1)
    true_logits += array_ops.reshape(true_b, [-1, num_true])
    sampled_logits = math_ops.matmul(inputs, sampled_w, transpose_b=True) + sampled_b
    if remove_accidental_hits:  # a sampled class that is a true class gets -FLT_MAX
        hits = math_ops.reduce_any(
            math_ops.equal(array_ops.expand_dims(labels, -1), sampled), axis=1
        )
        lowest = convert_to_tensor(dtypes.float32.min, dtype=sampled_logits.dtype)
        sampled_logits += array_ops.where(
            hits, array_ops.ones_like(sampled_logits) * lowest, array_ops.zeros_like(sampled_logits)
        )
    if subtract_log_q:
        true_logits -= math_ops.log(math_ops.cast(true_expected, true_logits.dtype))
        sampled_logits -= math_ops.log(math_ops.cast(sampled_expected, sampled_logits.dtype))
    out_logits = array_ops.concat([true_logits, sampled_logits], 1)
    out_labels = array_ops.concat(
        [array_ops.ones_like(true_logits) / num_true, array_ops.zeros_like(sampled_logits)], 1
    )
    return out_logits, out_labels


def nce_loss(
    weights,
    biases,
    labels,
    inputs,
    num_sampled,
    num_classes,
    num_true=1,
    sampled_values=None,
    remove_accidental_hits=False,
    partition_strategy="mod",
    name="nce_loss",
):
    """The noise-contrastive estimation loss, [batch]: a sigmoid cross entropy over the
    true and the sampled classes' logits (each less the log of its expected count)."""
    from flowgraph.framework.scopes import name_scope
    from flowgraph.ops import nn_ops

    with name_scope(name, "nce_loss", [inputs, labels]):
        logits, targets = _compute_sampled_logits(
            weights,
            biases,
            labels,
            inputs,
            num_sampled,
            num_classes,
            num_true,
            sampled_values,
            True,
            remove_accidental_hits,
            partition_strategy,
            None,
        )
        losses = nn_ops.sigmoid_cross_entropy_with_logits(labels=targets, logits=logits)
        return math_ops.reduce_sum(losses, 1)


def sampled_softmax_loss(
    weights,
    biases,
    labels,
    inputs,
    num_sampled,
    num_classes,
    num_true=1,
    sampled_values=None,
    remove_accidental_hits=True,
    partition_strategy="mod",
    name="sampled_softmax_loss",
    seed=None,
):
    """The sampled softmax loss, [batch]: a softmax cross entropy over the true and the
    sampled classes' logits (each less the log of its expected count)."""
    from flowgraph.framework.scopes import name_scope
    from flowgraph.ops import array_ops, nn_ops

    with name_scope(name, "sampled_softmax_loss", [inputs, labels]):
        logits, targets = _compute_sampled_logits(
            weights,
            biases,
            labels,
            inputs,
            num_sampled,
            num_classes,
            num_true,
            sampled_values,
            True,
            remove_accidental_hits,
            partition_strategy,
            seed,
        )
        return nn_ops.softmax_cross_entropy_with_logits_v2(
            labels=array_ops.stop_gradient(targets), logits=logits
        )
