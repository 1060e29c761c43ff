"""Stateless random ops (`tf.random.stateless_*`): values fixed by a [2] integer `seed`
tensor, the same on every run; `tf.random.poisson`; `fold_in` and `split` of seeds.

flowgraph draws with jax's threefry generator, so the values are deterministic but not
TF's (which uses Philox)."""

from __future__ import annotations

import numpy as np

from flowgraph.framework import dtypes
from flowgraph.framework.ops import Tensor, apply_op
from flowgraph.framework.scopes import name_scope
from flowgraph.ops import array_ops
from flowgraph.ops.constant_op import convert_to_tensor
from flowgraph.ops.gradients import no_gradient
from flowgraph.ops.random_ops import _seeds

_OPS = (
    "StatelessRandomUniform",
    "StatelessRandomNormal",
    "StatelessTruncatedNormal",
    "StatelessRandomUniformInt",
    "StatelessMultinomial",
    "StatelessRandomPoisson",
    "StatelessRandomGammaV2",
    "StatelessRandomBinomial",
    "StatelessParameterizedTruncatedNormal",
    "RandomPoissonV2",
)
for _op_type in _OPS:
    no_gradient(_op_type)  # random draws (TF: no gradient through the sampler)
del _op_type


def _shape_and_seed(shape, seed):
    shape = array_ops.shape_tensor(shape, name="shape")
    seed = convert_to_tensor(seed, name="seed")
    if seed.shape.ndims is not None and seed.shape.as_list() != [2]:
        raise ValueError(f"seed must have shape [2], got {seed.shape}")
    return shape, seed


def _attrs(shape, seed, dtype) -> dict:
    return dict(
        dtype=dtypes.as_dtype(dtype).numpy_dtype,
        T=shape.dtype.numpy_dtype,
        Tseed=seed.dtype.base_dtype.numpy_dtype,
    )


def stateless_uniform(
    shape, seed, minval=0, maxval=None, dtype=dtypes.float32, name=None, alg="auto_select"
) -> Tensor:
    """Uniform values in [minval, maxval) that depend only on `seed` (a [2] int tensor).

    Integer dtypes need `maxval` unless both bounds are None (the full range).
    """
    dtype = dtypes.as_dtype(dtype)
    with name_scope(name, "stateless_random_uniform", [shape, seed, minval, maxval]):
        shape, seed = _shape_and_seed(shape, seed)
        if dtype.is_integer:
            if maxval is None:
                if minval not in (None, 0):
                    raise ValueError("Must specify maxval for integer dtype")
                minval, maxval = int(dtype.min), int(dtype.max)
            lo, hi = (convert_to_tensor(v, dtype=dtype) for v in (minval, maxval))
            return apply_op(
                "StatelessRandomUniformInt", [shape, seed, lo, hi], **_attrs(shape, seed, dtype)
            )
        unit = apply_op("StatelessRandomUniform", [shape, seed], **_attrs(shape, seed, dtype))
        maxval = 1 if maxval is None else maxval
        lo = convert_to_tensor(minval, dtype=dtype)
        return unit * (convert_to_tensor(maxval, dtype=dtype) - lo) + lo


def _scaled(op_type, default_name, shape, seed, mean, stddev, dtype, name) -> Tensor:
    with name_scope(name, default_name, [shape, seed, mean, stddev]):
        shape, seed = _shape_and_seed(shape, seed)
        unit = apply_op(op_type, [shape, seed], **_attrs(shape, seed, dtype))
        return unit * convert_to_tensor(stddev, dtype=dtype) + convert_to_tensor(mean, dtype=dtype)


def stateless_normal(
    shape, seed, mean=0.0, stddev=1.0, dtype=dtypes.float32, name=None, alg="auto_select"
) -> Tensor:
    """Normal values that depend only on `seed`."""
    return _scaled(
        "StatelessRandomNormal", "stateless_random_normal", shape, seed, mean, stddev, dtype, name
    )


def stateless_truncated_normal(
    shape, seed, mean=0.0, stddev=1.0, dtype=dtypes.float32, name=None, alg="auto_select"
) -> Tensor:
    """Normal values within two standard deviations that depend only on `seed`."""
    return _scaled(
        "StatelessTruncatedNormal",
        "stateless_truncated_normal",
        shape,
        seed,
        mean,
        stddev,
        dtype,
        name,
    )


def stateless_multinomial(logits, num_samples, seed, output_dtype=dtypes.int64, name=None):
    """Class indices drawn from `logits` [batch, classes] that depend only on `seed`."""
    with name_scope(name, "stateless_multinomial", [logits, seed]):
        logits = convert_to_tensor(logits, name="logits")
        seed = convert_to_tensor(seed, name="seed")
        n = convert_to_tensor(num_samples, dtype=dtypes.int32, name="num_samples")
        return apply_op(
            "StatelessMultinomial",
            [logits, n, seed],
            T=logits.dtype.base_dtype.numpy_dtype,
            Tseed=seed.dtype.base_dtype.numpy_dtype,
            output_dtype=dtypes.as_dtype(output_dtype).numpy_dtype,
        )


def stateless_categorical(logits, num_samples, seed, dtype=dtypes.int64, name=None):
    """`stateless_multinomial` under its TF2 name."""
    return stateless_multinomial(logits, num_samples, seed, output_dtype=dtype, name=name)


def stateless_poisson(shape, seed, lam, dtype=dtypes.int32, name=None) -> Tensor:
    """Poisson draws with rates `lam` (broadcast to `shape`) that depend only on `seed`."""
    with name_scope(name, "stateless_random_poisson", [shape, seed, lam]):
        shape, seed = _shape_and_seed(shape, seed)
        lam = convert_to_tensor(lam, name="lam")
        return apply_op(
            "StatelessRandomPoisson",
            [shape, seed, lam],
            Rtype=lam.dtype.base_dtype.numpy_dtype,
            **_attrs(shape, seed, dtype),
        )


def stateless_gamma(shape, seed, alpha, beta=None, dtype=dtypes.float32, name=None) -> Tensor:
    """Gamma draws with shapes `alpha` (and rates `beta`) that depend only on `seed`."""
    dtype = dtypes.as_dtype(dtype)
    with name_scope(name, "stateless_random_gamma", [shape, seed, alpha, beta]):
        shape, seed = _shape_and_seed(shape, seed)
        alpha = array_ops.broadcast_to(convert_to_tensor(alpha, dtype=dtype), shape)
        draws = apply_op(
            "StatelessRandomGammaV2", [shape, seed, alpha], **_attrs(shape, seed, dtype)
        )
        return draws if beta is None else draws / convert_to_tensor(beta, dtype=dtype)


def stateless_binomial(shape, seed, counts, probs, output_dtype=dtypes.int32, name=None):
    """Binomial draws (`counts` trials of probability `probs`) that depend only on `seed`."""
    with name_scope(name, "stateless_random_binomial", [shape, seed, counts, probs]):
        shape, seed = _shape_and_seed(shape, seed)
        probs = convert_to_tensor(probs, name="probs")
        counts = convert_to_tensor(counts, dtype=probs.dtype, name="counts")
        return apply_op(
            "StatelessRandomBinomial",
            [shape, seed, counts, probs],
            S=shape.dtype.numpy_dtype,
            Tseed=seed.dtype.base_dtype.numpy_dtype,
            T=probs.dtype.base_dtype.numpy_dtype,
            dtype=dtypes.as_dtype(output_dtype).numpy_dtype,
        )


def stateless_parameterized_truncated_normal(
    shape, seed, means=0.0, stddevs=1.0, minvals=-2.0, maxvals=2.0, name=None
):
    """Normal draws of `means`/`stddevs` truncated to [minvals, maxvals], by `seed`."""
    with name_scope(name, "stateless_parameterized_truncated_normal", [shape, seed]):
        shape, seed = _shape_and_seed(shape, seed)
        params = [
            convert_to_tensor(v, dtype=dtypes.float32) for v in (means, stddevs, minvals, maxvals)
        ]
        return apply_op(
            "StatelessParameterizedTruncatedNormal",
            [shape, seed, *params],
            S=shape.dtype.numpy_dtype,
            Tseed=seed.dtype.base_dtype.numpy_dtype,
            dtype=np.dtype(np.float32),
        )


def random_poisson(lam, shape, dtype=dtypes.float32, seed=None, name=None) -> Tensor:
    """Poisson draws of shape `shape + lam.shape` (a stateful op: new values every run)."""
    with name_scope(name, "random_poisson", [lam, shape]):
        shape = array_ops.shape_tensor(shape, name="shape")
        lam = convert_to_tensor(lam, name="lam")
        return apply_op(
            "RandomPoissonV2",
            [shape, lam],
            S=shape.dtype.numpy_dtype,
            R=lam.dtype.base_dtype.numpy_dtype,
            dtype=dtypes.as_dtype(dtype).numpy_dtype,
            **_seeds(seed),
        )


def fold_in(seed, data, alg="auto_select") -> Tensor:
    """A new [2] seed from `seed` and the integer `data` (TF's recipe)."""
    data = convert_to_tensor(data)
    first = stateless_uniform([], seed, minval=None, maxval=None, dtype=data.dtype)
    return array_ops.stack([first, data])


def split(seed, num=2, alg="auto_select") -> Tensor:
    """`num` new [2] seeds from `seed`, as a [num, 2] tensor."""
    seed = convert_to_tensor(seed)
    return stateless_uniform([num, 2], seed, minval=None, maxval=None, dtype=seed.dtype)
