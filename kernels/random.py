"""Random kernels: each takes its node's RNG state and returns the next one.

TF's basic random ops, RandomShuffle, Multinomial and RandomGamma keep TF's Philox stream
(uint32[6], `kernels/philox.py`); the others a threefry key (uint32[2]) split at each run.
"""

from __future__ import annotations

import os

import jax
import jax.numpy as jnp
import numpy as np

from kernels import philox
from kernels.registry import RNG, register
from kernels.shapes import same_as_first


def _split(key):
    new, sub = jax.random.split(jax.random.wrap_key_data(key, impl="threefry2x32"))
    return jax.random.key_data(new), sub


def _dims(shape) -> tuple[int, ...]:
    return tuple(int(d) for d in np.asarray(shape).reshape(-1))


# TF's own streams (kernels/philox.py): a seeded TF1 program draws TensorFlow's numbers.
@register("RandomStandardNormal", effects=RNG, static=("shape",))
def random_standard_normal(key, shape, *, dtype, seed=0, seed2=0):
    return philox.normal(key, _dims(shape), dtype)


@register("RandomUniform", effects=RNG, static=("shape",))
def random_uniform(key, shape, *, dtype, seed=0, seed2=0):
    return philox.uniform(key, _dims(shape), dtype)


@register("RandomUniformInt", effects=RNG, static=("shape",))
def random_uniform_int(key, shape, minval, maxval, *, seed=0, seed2=0):
    return philox.uniform_int(key, _dims(shape), minval, maxval)


@register("TruncatedNormal", effects=RNG, static=("shape",))
def truncated_normal(key, shape, *, dtype, seed=0, seed2=0):
    return philox.truncated_normal(key, _dims(shape), dtype)


PHILOX_OPS = frozenset(
    {
        "RandomStandardNormal",
        "RandomUniform",
        "RandomUniformInt",
        "TruncatedNormal",
        "RandomShuffle",
        "Multinomial",
        "RandomGamma",
    }
)


@register("RandomShuffle", effects=RNG, shape=same_as_first)
def random_shuffle(key, value, *, seed=0, seed2=0):
    if value.ndim == 0:
        return value, key
    if isinstance(value, np.ndarray) and value.dtype == object:  # strings, on the host
        perm, key = _host_permutation(key, value.shape[0])  # one call, not op by op (37 ms)
        return value[np.asarray(perm)], key
    perm, key = philox.permutation(key, value.shape[0])
    return jnp.take(value, perm, axis=0), key


_host_permutation = jax.jit(philox.permutation, static_argnums=1)


@register("Multinomial", effects=RNG, static=("num_samples",))
def multinomial(key, logits, num_samples, *, output_dtype=np.dtype(np.int64), seed=0, seed2=0):
    n = int(np.asarray(num_samples))
    return philox.multinomial(key, logits, n, output_dtype, threads=_intra_op_threads())


def _intra_op_threads() -> int:
    """The intra-op threads TF would run a kernel on here (`TF_NUM_INTRAOP_THREADS`, else the
    CPUs this process may run on): Multinomial's draws depend on how TF shards its rows."""
    try:
        env = int(os.environ.get("TF_NUM_INTRAOP_THREADS", "0"))
    except ValueError:
        env = 0
    if env > 0:
        return env
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


@register("RandomGamma", effects=RNG, static=("shape",))
def random_gamma(key, shape, alpha, *, seed=0, seed2=0):
    return philox.gamma(key, _dims(shape), alpha)


def initial_key(seed: int, seed2: int, op_type: str = "") -> np.ndarray:
    """The first key of a node's stream: fixed by (seed, seed2), fresh if both are 0.

    TF's own random ops (`PHILOX_OPS`) get TF's Philox state; the others a threefry key.
    """
    if op_type in PHILOX_OPS:
        return philox.initial_state(seed, seed2)
    if seed == 0 and seed2 == 0:
        return np.frombuffer(np.random.default_rng().bytes(8), dtype=np.uint32).copy()
    return np.array([seed & 0xFFFFFFFF, seed2 & 0xFFFFFFFF], dtype=np.uint32)
