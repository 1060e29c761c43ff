"""More candidate samplers: all classes, a fixed unigram distribution, and the accidental
hits of sampled candidates among the true classes."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from kernels.candidate_sampling import _sample
from kernels.registry import HOST, RNG, Spec, register


@register("AllCandidateSampler", effects=RNG)
def all_candidate_sampler(key, true_classes, *, num_true, num_sampled, unique, seed=0, seed2=0):
    # Every class of [0, num_sampled), each "expected" once: nothing is random.
    sampled = jnp.arange(num_sampled, dtype=jnp.int64)
    ones = jnp.ones(true_classes.shape, jnp.float32)
    return (sampled, ones, jnp.ones((num_sampled,), jnp.float32)), key


def _unigram_weights(
    range_max, vocab_file, distortion, num_reserved_ids, num_shards, shard, unigrams
) -> np.ndarray:
    """TF's FixedUnigramSampler weights: counts (from `unigrams` or the last CSV column of
    `vocab_file`) for ids from `num_reserved_ids` on, each raised to `distortion`; only this
    shard's ids (`id % num_shards == shard`) are kept."""
    if vocab_file:
        with open(vocab_file) as f:
            counts = [float(line.rstrip("\n").split(",")[-1]) for line in f if line.strip()]
    else:
        counts = [float(u) for u in unigrams]
    weights = np.zeros(range_max, np.float64)
    for k, count in enumerate(counts):
        word = k + num_reserved_ids
        if word < range_max and word % num_shards == shard:
            weights[word] = count**distortion
    if len(counts) + num_reserved_ids != range_max:
        raise ValueError(
            f"FixedUnigramCandidateSampler: range_max ({range_max}) must be the "
            f"vocabulary size ({len(counts)}) plus num_reserved_ids "
            f"({num_reserved_ids})"
        )
    return weights / weights.sum()


@register("FixedUnigramCandidateSampler", effects=RNG)
def fixed_unigram_candidate_sampler(
    key,
    true_classes,
    *,
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
    seed=0,
    seed2=0,
):
    p = jnp.asarray(
        _unigram_weights(
            range_max, vocab_file, distortion, num_reserved_ids, num_shards, shard, unigrams
        ),
        jnp.float32,
    )
    logits = jnp.log(p)

    def draw(k, shape, _):
        return jax.random.categorical(k, logits, shape=shape)

    def prob(ids, _):
        return p[ids]

    return _sample(key, true_classes, num_sampled, unique, range_max, draw, prob)


def _hits_shape(specs, attrs, static_values):
    return [
        Spec((None,), np.dtype(np.int32)),
        Spec((None,), np.dtype(np.int64)),
        Spec((None,), np.dtype(np.float32)),
    ]


@register("ComputeAccidentalHits", kind=HOST, shape=_hits_shape)
def compute_accidental_hits(true_classes, sampled_candidates, *, num_true, seed=0, seed2=0):
    true_classes = np.asarray(true_classes, np.int64)
    if true_classes.ndim != 2 or true_classes.shape[1] != num_true:
        raise ValueError(
            f"ComputeAccidentalHits: true_classes must be [batch, {num_true}], "
            f"got {list(true_classes.shape)}"
        )
    # As TF's kernel: a sampled value maps to its last position.
    position = {int(v): j for j, v in enumerate(np.asarray(sampled_candidates).reshape(-1))}
    hits = [
        (i, position[int(c)])
        for i, row in enumerate(true_classes)
        for c in row
        if int(c) in position
    ]
    rows = np.array([i for i, _ in hits], np.int32)
    ids = np.array([j for _, j in hits], np.int64)
    return rows, ids, np.full(len(hits), np.finfo(np.float32).min, np.float32)
