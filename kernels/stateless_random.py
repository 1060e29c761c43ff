"""Stateless random kernels: pure functions of a [2] seed tensor (same seed, same values),
with jax's threefry generator (TF uses Philox: the streams differ from TF's)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from kernels.registry import RNG, register


def _key(seed):
    seed = jnp.asarray(seed).astype(jnp.uint32).reshape(2)
    return jax.random.wrap_key_data(seed, impl="threefry2x32")


def _dims(shape) -> tuple[int, ...]:
    return tuple(int(d) for d in np.asarray(shape).reshape(-1))


@register("StatelessRandomUniform", static=("shape",))
def stateless_random_uniform(shape, seed, *, dtype=np.float32):
    return jax.random.uniform(_key(seed), _dims(shape), dtype=dtype)


@register("StatelessRandomNormal", static=("shape",))
def stateless_random_normal(shape, seed, *, dtype=np.float32):
    return jax.random.normal(_key(seed), _dims(shape), dtype=dtype)


@register("StatelessTruncatedNormal", static=("shape",))
def stateless_truncated_normal(shape, seed, *, dtype=np.float32):
    return jax.random.truncated_normal(_key(seed), -2.0, 2.0, _dims(shape), dtype=dtype)


@register("StatelessRandomUniformInt", static=("shape",))
def stateless_random_uniform_int(shape, seed, minval, maxval, *, dtype):
    return jax.random.randint(_key(seed), _dims(shape), minval, maxval, dtype=dtype)


@register("StatelessMultinomial", static=("num_samples",))
def stateless_multinomial(logits, num_samples, seed, *, output_dtype=np.int64):
    n = int(np.asarray(num_samples))
    draws = jax.random.categorical(_key(seed), logits, axis=-1, shape=(n, logits.shape[0]))
    return jnp.transpose(draws).astype(output_dtype)


@register("StatelessRandomPoisson", static=("shape",))
def stateless_random_poisson(shape, seed, lam, *, dtype):
    draws = jax.random.poisson(_key(seed), lam, _dims(shape))
    return draws.astype(dtype)


@register("StatelessRandomGammaV2", static=("shape",))
def stateless_random_gamma_v2(shape, seed, alpha, *, dtype):
    return jax.random.gamma(_key(seed), alpha, _dims(shape), dtype=dtype)


@register("StatelessRandomBinomial", static=("shape",))
def stateless_random_binomial(shape, seed, counts, probs, *, dtype=np.int64):
    dims = _dims(shape)
    counts = jnp.broadcast_to(counts, dims).astype(jnp.float32)
    probs = jnp.broadcast_to(probs, dims).astype(jnp.float32)
    return jax.random.binomial(_key(seed), counts, probs, dims).astype(dtype)


@register("StatelessParameterizedTruncatedNormal", static=("shape",))
def stateless_parameterized_truncated_normal(
    shape, seed, means, stddevs, minvals, maxvals, *, dtype
):
    dims = _dims(shape)
    lower = (minvals - means) / stddevs
    upper = (maxvals - means) / stddevs
    unit = jax.random.truncated_normal(
        _key(seed), jnp.broadcast_to(lower, dims), jnp.broadcast_to(upper, dims), dims, dtype=dtype
    )
    return means + stddevs * unit


@register("RandomPoissonV2", effects=RNG, static=("shape",))
def random_poisson_v2(key, shape, rate, *, dtype=np.int64, seed=0, seed2=0):
    new_key, sub = jax.random.split(jax.random.wrap_key_data(key, impl="threefry2x32"))
    dims = _dims(shape) + tuple(rate.shape)
    draws = jax.random.poisson(sub, rate, dims)
    return draws.astype(dtype), jax.random.key_data(new_key)
