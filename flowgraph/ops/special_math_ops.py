"""Special functions and division-safe math: `tf.math.igamma`, `betainc`, `zeta`,
`polygamma`, `bessel_*`, `erfinv`, `xlogy`, `divide_no_nan`, `lbeta`, and related composites."""

from __future__ import annotations

import numpy as np

from flowgraph.framework import dtypes
from flowgraph.framework.ops import Tensor, apply_op
from flowgraph.framework.scopes import name_scope
from flowgraph.ops import array_ops, math_ops
from flowgraph.ops.constant_op import convert_to_tensor
from flowgraph.ops.gradients import RegisterGradient, _vjp_gradient

_FLOATS = (dtypes.float16, dtypes.bfloat16, dtypes.float32, dtypes.float64)
_REAL = (dtypes.float32, dtypes.float64)


def _binary_fn(op_type: str, doc: str, allowed=_FLOATS):
    def fn(x, y, name=None) -> Tensor:
        return math_ops._binary(op_type, x, y, name, allowed)

    fn.__doc__ = doc
    return fn


def _unary_fn(op_type: str, doc: str, allowed=_FLOATS):
    def fn(x, name=None) -> Tensor:
        return math_ops._unary(op_type, x, name, allowed)

    fn.__doc__ = doc
    return fn


igamma = _binary_fn("Igamma", "The lower regularized incomplete gamma function P(a, x).", _REAL)
igammac = _binary_fn("Igammac", "The upper regularized incomplete gamma function Q(a, x).", _REAL)
zeta = _binary_fn("Zeta", "The Hurwitz zeta function ζ(x, q) = Σ_n (n + q)^-x.", _REAL)
polygamma = _binary_fn("Polygamma", "The polygamma function ψ^(a)(x), `a` a whole number.", _REAL)
xlogy = _binary_fn("Xlogy", "x * log(y), and 0 where x is 0.")
xlog1py = _binary_fn("Xlog1py", "x * log1p(y), and 0 where x is 0.")
xdivy = _binary_fn("Xdivy", "x / y, and 0 where x is 0.")
div_no_nan = _binary_fn("DivNoNan", "x / y, and 0 where y is 0 (even if x is 0, inf or nan).")
divide_no_nan = div_no_nan
multiply_no_nan = _binary_fn("MulNoNan", "x * y, and 0 where y is 0 (even if x is inf or nan).")
erfinv = _unary_fn("Erfinv", "The inverse of the error function.")
ndtri = _unary_fn("Ndtri", "The inverse of the standard normal CDF.")
bessel_i0 = _unary_fn("BesselI0", "The modified Bessel function of order 0.")
bessel_i1 = _unary_fn("BesselI1", "The modified Bessel function of order 1.")
bessel_i0e = _unary_fn("BesselI0e", "The exponentially scaled modified Bessel function I0.")
bessel_i1e = _unary_fn("BesselI1e", "The exponentially scaled modified Bessel function I1.")


def nextafter(x1, x2, name=None) -> Tensor:
    """The next representable value after `x1` in the direction of `x2`, elementwise."""
    return math_ops._binary("NextAfter", x1, x2, name, _REAL)


def betainc(a, b, x, name=None) -> Tensor:
    """The regularized incomplete beta function I_x(a, b)."""
    a, b, x = math_ops._as_tensors("Betainc", ("a", "b", "x"), [a, b, x])
    math_ops._check_dtype("Betainc", a, _REAL)
    return apply_op("Betainc", [a, b, x], name=name, T=a.dtype.base_dtype.numpy_dtype)


@RegisterGradient("Betainc")
def _betainc_grad(op, grad):
    return [None, None] + _vjp_gradient(op, grad)[2:]  # TF: no gradient in a or b


@RegisterGradient("Polygamma")
def _polygamma_grad(op, grad):
    return [None] + _vjp_gradient(op, grad)[1:]  # the order a is an integer


def erfcinv(x, name=None) -> Tensor:
    """The inverse of the complementary error function."""
    with name_scope(name, "erfcinv", [x]):
        x = convert_to_tensor(x)
        return -ndtri(0.5 * x) * np.sqrt(0.5).astype(x.dtype.base_dtype.numpy_dtype)


def reciprocal_no_nan(x, name=None) -> Tensor:
    """1 / x, and 0 where x is 0."""
    with name_scope(name, "reciprocal_no_nan", [x]):
        x = convert_to_tensor(x)
        return div_no_nan(array_ops.ones_like(x), x)


def lbeta(x, name=None) -> Tensor:
    """log|B(x)| over the last dimension: Σ lgamma(x_i) - lgamma(Σ x_i).

    An empty last dimension gives 0 (B of no arguments is 1).
    """
    with name_scope(name, "lbeta", [x]):
        x = convert_to_tensor(x)
        log_prod = math_ops.reduce_sum(math_ops.lgamma(x), axis=[-1])
        return log_prod - math_ops.lgamma(math_ops.reduce_sum(x, axis=[-1]))


def polyval(coeffs, x, name=None) -> Tensor:
    """The polynomial Σ coeffs[i] * x^(n-1-i) at `x`, by Horner's rule."""
    with name_scope(name, "polyval", [x]):
        x = convert_to_tensor(x)
        if not coeffs:
            return array_ops.zeros_like(x)
        out = convert_to_tensor(coeffs[0], dtype=x.dtype.base_dtype)
        for c in coeffs[1:]:
            out = c + out * x
        return out * array_ops.ones_like(x) if len(coeffs) == 1 else out


def reduce_euclidean_norm(input_tensor, axis=None, keepdims=False, name=None) -> Tensor:
    """sqrt(Σ x²) across `axis` (all dimensions when None)."""
    with name_scope(name, "reduce_euclidean_norm", [input_tensor]):
        x = convert_to_tensor(input_tensor)
        square = math_ops.square(math_ops.abs(x)) if x.dtype.is_complex else math_ops.square(x)
        return math_ops.sqrt(math_ops.reduce_sum(square, axis=axis, keepdims=keepdims))


def _segment_count(segment_ids, num_segments, dtype) -> Tensor:
    ones = array_ops.ones_like(segment_ids, dtype=dtype)
    return math_ops.unsorted_segment_sum(ones, segment_ids, num_segments)


def _per_row(count: Tensor, data: Tensor) -> Tensor:
    # [num_segments] counts against [num_segments, d1, ...] sums.
    inner = array_ops.ones_like(array_ops.shape(data)[1:])
    return array_ops.reshape(count, array_ops.concat([array_ops.shape(count), inner], 0))


def unsorted_segment_mean(data, segment_ids, num_segments, name=None) -> Tensor:
    """The mean of the rows of `data` sharing a segment id (0 for empty segments)."""
    with name_scope(name, "UnsortedSegmentMean", [data, segment_ids]):
        data, ids = convert_to_tensor(data), convert_to_tensor(segment_ids)
        total = math_ops.unsorted_segment_sum(data, ids, num_segments)
        count = math_ops.maximum(_segment_count(ids, num_segments, data.dtype), 1)
        return total / _per_row(count, total)


def unsorted_segment_sqrt_n(data, segment_ids, num_segments, name=None) -> Tensor:
    """The sum of the rows sharing a segment id divided by sqrt(their count)."""
    with name_scope(name, "UnsortedSegmentSqrtN", [data, segment_ids]):
        data, ids = convert_to_tensor(data), convert_to_tensor(segment_ids)
        total = math_ops.unsorted_segment_sum(data, ids, num_segments)
        count = math_ops.maximum(_segment_count(ids, num_segments, data.dtype), 1)
        return total / _per_row(math_ops.sqrt(count), total)


def cumulative_logsumexp(x, axis=0, exclusive=False, reverse=False, name=None) -> Tensor:
    """log(cumsum(exp(x))) along `axis`, computed stably."""
    x = convert_to_tensor(x, name="x")
    axis = convert_to_tensor(axis, dtype=dtypes.int32, name="axis")
    return apply_op(
        "CumulativeLogsumexp",
        [x, axis],
        name=name,
        exclusive=bool(exclusive),
        reverse=bool(reverse),
        T=x.dtype.base_dtype.numpy_dtype,
        Tidx=np.dtype(np.int32),
    )
