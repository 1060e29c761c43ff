"""`tf.math.special`: Dawson's integral, the exponential integral, Fresnel integrals,
Spence's function and the modified Bessel functions."""

from __future__ import annotations

from flowgraph.framework import dtypes
from flowgraph.ops import array_ops, math_ops
from flowgraph.ops.gradients import RegisterGradient
from flowgraph.ops.special_math_ops import (  # noqa: F401  (tf.math.special names them too)
    bessel_i0,
    bessel_i0e,
    bessel_i1,
    bessel_i1e,
)

_FLOATS = (dtypes.float16, dtypes.bfloat16, dtypes.float32, dtypes.float64)


def _special(op_type: str, doc: str):
    def fn(x, name=None):
        return math_ops._unary(op_type, x, name, _FLOATS)

    fn.__doc__ = doc
    return fn


dawsn = _special("Dawsn", "Dawson's integral `exp(-x^2) * integral_0^x exp(t^2) dt`.")
expint = _special("Expint", "The exponential integral `Ei(x) = integral_-inf^x exp(t) / t dt`.")
fresnel_cos = _special(
    "FresnelCos", "The Fresnel cosine integral `C(x) = integral_0^x cos(pi t^2 / 2) dt`."
)
fresnel_sin = _special(
    "FresnelSin", "The Fresnel sine integral `S(x) = integral_0^x sin(pi t^2 / 2) dt`."
)
spence = _special("Spence", "Spence's function `integral_1^x log(t) / (1 - t) dt` (x >= 0).")


@RegisterGradient("Spence")
def _spence_grad(op, grad):
    # TF's rule: d/dx = log(x) / (1 - x), and -1 at x = 1 (jax's derivative is NaN off it).
    x = op.inputs[0]
    one = array_ops.ones_like(x)
    partial = array_ops.where(math_ops.equal(x, one), -one, math_ops.log(x) / (one - x))
    return [grad * partial]
