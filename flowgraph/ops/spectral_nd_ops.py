"""`tf.signal.fftnd` and its inverse and real forms: FFTs over chosen axes (TF's FFTND,
IFFTND, RFFTND and IRFFTND ops)."""

from __future__ import annotations

import numpy as np

from flowgraph.framework import dtypes
from flowgraph.framework.ops import apply_op
from flowgraph.framework.scopes import name_scope
from flowgraph.ops import array_ops, math_ops
from flowgraph.ops.constant_op import convert_to_tensor

_NORMS = (None, "backward", "forward", "ortho")


def _axes(x, axes):
    if axes is None:
        axes = np.arange(x.shape.ndims, dtype=np.int32)
    return convert_to_tensor(axes, dtypes.int32, name="axes")


def _lengths(x, fft_length, axes, inverse_real: bool):
    if fft_length is not None:
        return convert_to_tensor(fft_length, dtypes.int32, name="fft_length")
    if axes is None and not inverse_real:
        return array_ops.shape(x)
    lengths = array_ops.gather(array_ops.shape(x), axes)
    if inverse_real:  # the last transformed axis holds n // 2 + 1 coefficients
        last = math_ops.maximum(0, 2 * (lengths[-1] - 1))
        lengths = array_ops.concat([lengths[:-1], array_ops.reshape(last, [1])], 0)
    return lengths


def _scaled(x, lengths, norm, inverse: bool):
    """TF's `norm`: "backward" (default) scales the inverse by 1/n, "forward" the forward
    transform, "ortho" both by 1/sqrt(n) — by scaling the input."""
    if norm not in _NORMS:
        raise ValueError(f"norm must be one of {_NORMS[1:]}, got {norm!r}")
    if norm in (None, "backward"):
        return x
    n = math_ops.cast(math_ops.reduce_prod(lengths), x.dtype.real_dtype)
    factor = math_ops.sqrt(n) if norm == "ortho" else n
    factor = math_ops.cast(factor, x.dtype)
    return x * factor if inverse else x / factor


def _complex_fft(op_type: str, default_name: str, inverse: bool):
    def transform(input_tensor, fft_length=None, axes=None, norm=None, name=None):
        with name_scope(name, default_name, [input_tensor]) as scope:
            x = convert_to_tensor(input_tensor, preferred_dtype=dtypes.complex64, name="input")
            if x.dtype not in (dtypes.complex64, dtypes.complex128):
                x = convert_to_tensor(x, dtypes.complex64)
            axes_t = _axes(x, axes)
            lengths = _lengths(x, fft_length, axes, False)
            x = _scaled(x, lengths, norm, inverse)
            return apply_op(op_type, [x, lengths, axes_t], name=scope)

    transform.__name__ = default_name
    transform.__doc__ = (
        f"The {'inverse ' if inverse else ''}N-d discrete Fourier transform over `axes` "
        "(default: every axis), each of length `fft_length` (default: the input's).\n\n"
        "Args:\n  input_tensor: a complex64 or complex128 `Tensor`.\n"
        "  fft_length: int32 lengths of the transform, one per axis.\n"
        "  axes: int32 axes to transform.\n"
        '  norm: "backward" (default), "forward" or "ortho", as numpy.\n'
        "  name: a name for the operation.\n"
    )
    return transform


fftnd = _complex_fft("FFTND", "fftnd", inverse=False)
ifftnd = _complex_fft("IFFTND", "ifftnd", inverse=True)


def rfftnd(input_tensor, fft_length=None, axes=None, norm=None, name=None):
    """The N-d FFT of a real signal over `axes`: the last axis keeps `fft_length // 2 + 1`
    coefficients.

    Args:
      input_tensor: a float32 or float64 `Tensor`.
      fft_length: int32 lengths of the transform, one per axis (default: the input's).
      axes: int32 axes to transform (default: every axis).
      norm: "backward" (default), "forward" or "ortho".
      name: a name for the operation.
    """
    with name_scope(name, "rfftnd", [input_tensor]) as scope:
        x = convert_to_tensor(input_tensor, preferred_dtype=dtypes.float32, name="input")
        if x.dtype not in (dtypes.float32, dtypes.float64):
            raise ValueError(f"RFFT requires tf.float32 or tf.float64 inputs, got: {x}")
        complex_dtype = dtypes.complex64 if x.dtype == dtypes.float32 else dtypes.complex128
        axes_t = _axes(x, axes)
        lengths = _lengths(x, fft_length, axes, False)
        x = _scaled(x, lengths, norm, inverse=False)
        return apply_op(
            "RFFTND", [x, lengths, axes_t], name=scope, Tcomplex=complex_dtype.numpy_dtype
        )


def irfftnd(input_tensor, fft_length=None, axes=None, norm=None, name=None):
    """The inverse of `rfftnd`: a real signal from its N-d half spectrum.

    Args:
      input_tensor: a complex64 or complex128 `Tensor`.
      fft_length: int32 lengths of the output, one per axis (default: the input's, with
        `2 * (n - 1)` on the last transformed axis).
      axes: int32 axes to transform (default: every axis).
      norm: "backward" (default), "forward" or "ortho".
      name: a name for the operation.
    """
    with name_scope(name, "irfftnd", [input_tensor]) as scope:
        x = convert_to_tensor(input_tensor, preferred_dtype=dtypes.complex64, name="input")
        if x.dtype not in (dtypes.complex64, dtypes.complex128):
            raise ValueError(f"IRFFT requires tf.complex64 or tf.complex128 inputs, got: {x}")
        axes_t = _axes(x, axes)
        lengths = _lengths(
            x,
            fft_length,
            axes_t if axes is not None else np.arange(x.shape.ndims, dtype=np.int32),
            True,
        )
        x = _scaled(x, lengths, norm, inverse=True)
        return apply_op(
            "IRFFTND", [x, lengths, axes_t], name=scope, Treal=x.dtype.real_dtype.numpy_dtype
        )
