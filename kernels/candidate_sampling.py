"""Candidate samplers (TF's range samplers): each takes its node's RNG key and returns a new one.

Every sampler returns (sampled_candidates int64[num_sampled], true_expected_count
float32[batch, num_true], sampled_expected_count float32[num_sampled]).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax

from kernels.random import _split
from kernels.registry import RNG, register


def _uniform_draw(key, shape, range_max):
    return jax.random.randint(key, shape, 0, range_max)


def _uniform_prob(ids, range_max):
    return jnp.full(ids.shape, 1.0 / range_max, jnp.float32)


def _log_uniform_draw(key, shape, range_max):
    # TF: floor(exp(u * log(range_max + 1))) - 1, folded into [0, range_max).
    u = jax.random.uniform(key, shape, jnp.float32)
    value = jnp.floor(jnp.exp(u * jnp.log(range_max + 1.0))).astype(jnp.int64) - 1
    return value % range_max


def _log_uniform_prob(ids, range_max):
    k = ids.astype(jnp.float32)
    return (jnp.log(k + 2.0) - jnp.log(k + 1.0)) / jnp.log(range_max + 1.0)


def _expected(p, num_sampled, num_tries):
    # TF's ExpectedCountHelper: p * n with replacement, else 1 - (1 - p)^num_tries.
    return jnp.where(
        num_tries == num_sampled, p * num_sampled, -jnp.expm1(num_tries * jnp.log1p(-p))
    )


def _sample(key, true_classes, num_sampled, unique, range_max, draw, prob):
    if unique and num_sampled > range_max:
        raise ValueError(
            f"unique sampling needs num_sampled ({num_sampled}) <= range_max ({range_max})"
        )
    key, sub = _split(key)
    if not unique:
        sampled = draw(sub, (num_sampled,), range_max).astype(jnp.int64)
        tries = jnp.asarray(num_sampled, jnp.float32)
    else:

        def cond(state):
            return state[1] < num_sampled

        def body(state):
            out, count, tries, k = state
            k, d = jax.random.split(k)
            value = draw(d, (), range_max).astype(jnp.int64)
            fresh = ~jnp.any((out == value) & (jnp.arange(num_sampled) < count))
            out = jnp.where(fresh, out.at[count].set(value), out)
            return out, count + fresh.astype(jnp.int32), tries + 1, k

        init = (jnp.zeros((num_sampled,), jnp.int64), jnp.int32(0), jnp.int32(0), sub)
        sampled, _, tries, _ = lax.while_loop(cond, body, init)
        tries = tries.astype(jnp.float32)
    true_exp = _expected(prob(true_classes, range_max), num_sampled, tries)
    sampled_exp = _expected(prob(sampled, range_max), num_sampled, tries)
    return (sampled, true_exp.astype(jnp.float32), sampled_exp.astype(jnp.float32)), key


@register("UniformCandidateSampler", effects=RNG)
def uniform_candidate_sampler(
    key, true_classes, *, num_true, num_sampled, unique, range_max, seed=0, seed2=0
):
    return _sample(key, true_classes, num_sampled, unique, range_max, _uniform_draw, _uniform_prob)


@register("LogUniformCandidateSampler", effects=RNG)
def log_uniform_candidate_sampler(
    key, true_classes, *, num_true, num_sampled, unique, range_max, seed=0, seed2=0
):
    return _sample(
        key, true_classes, num_sampled, unique, range_max, _log_uniform_draw, _log_uniform_prob
    )
