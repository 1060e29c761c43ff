"""Random ops (`tf.random_normal`, `tf.random_uniform`, …) with TF1's seed rules.

Each random op owns an RNG stream in every session: seeded ops repeat across sessions,
every run draws new values, unseeded ops differ between sessions.
"""

from __future__ import annotations

import numpy as np

from flowgraph.framework import dtypes
from flowgraph.framework.ops import apply_op
from flowgraph.framework.random_seed import get_seed
from flowgraph.framework.scopes import name_scope
from flowgraph.ops import array_ops, math_ops
from flowgraph.ops.constant_op import convert_to_tensor


def _seeds(seed) -> dict:
    seed1, seed2 = get_seed(seed)
    return {"seed": seed1 or 0, "seed2": seed2 or 0}


def _scaled(op_type: str, default_name: str, shape, mean, stddev, dtype, seed, name):
    dtype = dtypes.as_dtype(dtype)
    with name_scope(name, default_name, [shape, mean, stddev]) as scope:
        shape_t = array_ops.shape_tensor(shape, name="shape")
        mean_t = convert_to_tensor(mean, dtype=dtype, name="mean")
        stddev_t = convert_to_tensor(stddev, dtype=dtype, name="stddev")
        rnd = apply_op(op_type, [shape_t], dtype=dtype.numpy_dtype, **_seeds(seed))
        return math_ops.add(rnd * stddev_t, mean_t, name=scope)


def random_normal(shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, seed=None, name=None):
    """Values from a normal distribution with the given `mean` and `stddev`."""
    return _scaled("RandomStandardNormal", "random_normal", shape, mean, stddev, dtype, seed, name)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, seed=None, name=None):
    """Normal values, redrawn when more than two standard deviations from the mean."""
    return _scaled("TruncatedNormal", "truncated_normal", shape, mean, stddev, dtype, seed, name)


def random_uniform(shape, minval=0, maxval=None, dtype=dtypes.float32, seed=None, name=None):
    """Uniform values in [minval, maxval); integer dtypes need `maxval`."""
    dtype = dtypes.as_dtype(dtype)
    if dtype.is_integer and maxval is None:
        raise ValueError(f"Must specify maxval for integer dtype {dtype.name}")
    maxval = 1 if maxval is None else maxval
    with name_scope(name, "random_uniform", [shape, minval, maxval]) as scope:
        shape_t = array_ops.shape_tensor(shape, name="shape")
        lo = convert_to_tensor(minval, dtype=dtype, name="min")
        hi = convert_to_tensor(maxval, dtype=dtype, name="max")
        if dtype.is_integer:
            return apply_op("RandomUniformInt", [shape_t, lo, hi], name=scope, **_seeds(seed))
        rnd = apply_op("RandomUniform", [shape_t], dtype=dtype.numpy_dtype, **_seeds(seed))
        return math_ops.add(rnd * (hi - lo), lo, name=scope)


def random_shuffle(value, seed=None, name=None):
    """`value` with its first dimension randomly permuted."""
    return apply_op("RandomShuffle", [convert_to_tensor(value)], name=name, **_seeds(seed))


def multinomial(logits, num_samples, seed=None, name=None, output_dtype=None):
    """Samples `num_samples` class indices per row of `logits` (unnormalized log-probs)."""
    with name_scope(name, "multinomial", [logits]):
        logits = convert_to_tensor(logits, name="logits")
        n = convert_to_tensor(num_samples, dtype=dtypes.int32, name="num_samples")
        out = dtypes.as_dtype(output_dtype or dtypes.int64)
        return apply_op("Multinomial", [logits, n], output_dtype=out.numpy_dtype, **_seeds(seed))


def categorical(logits, num_samples, dtype=None, seed=None, name=None):
    """`tf.random.categorical`: like `multinomial`."""
    return multinomial(logits, num_samples, seed=seed, name=name, output_dtype=dtype)


def random_gamma(shape, alpha, beta=None, dtype=dtypes.float32, seed=None, name=None):
    """Gamma samples of shape `shape + alpha.shape` (`beta` is the inverse scale)."""
    dtype = dtypes.as_dtype(dtype)
    with name_scope(name, "random_gamma", [shape, alpha, beta]):
        shape_t = array_ops.shape_tensor(shape, name="shape")
        alpha_t = convert_to_tensor(alpha, dtype=dtype, name="alpha")
        beta_t = convert_to_tensor(1.0 if beta is None else beta, dtype=dtype, name="beta")
        alpha_b = alpha_t + beta_t * 0  # broadcast alpha against beta, as TF1 does
        sample = apply_op("RandomGamma", [shape_t, alpha_b], **_seeds(seed)) / beta_t
        return math_ops.maximum(np.finfo(dtype.numpy_dtype).tiny, sample)
