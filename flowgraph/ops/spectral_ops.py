"""Spectral ops: fast Fourier transforms and the parts of complex numbers."""

from __future__ import annotations

from flowgraph.framework import dtypes
from flowgraph.framework.ops import Tensor, apply_op
from flowgraph.framework.scopes import name_scope
from flowgraph.ops import array_ops
from flowgraph.ops.constant_op import convert_to_tensor

_COMPLEX = (dtypes.complex64, dtypes.complex128)
_REAL_OF = {dtypes.complex64: dtypes.float32, dtypes.complex128: dtypes.float64}
_COMPLEX_OF = {v: k for k, v in _REAL_OF.items()}


def _typed(op_type: str, value, allowed, arg="input") -> Tensor:
    t = convert_to_tensor(value, name=arg)
    if t.dtype.base_dtype not in allowed:
        raise TypeError(
            f"Value passed to parameter '{arg}' has DataType {t.dtype.base_dtype.name} not in "
            f"list of allowed values: {', '.join(d.name for d in allowed)} (op '{op_type}')"
        )
    return t


def _fft(op_type: str):
    def fn(input, name=None) -> Tensor:
        x = _typed(op_type, input, _COMPLEX)
        return apply_op(op_type, [x], name=name, Tcomplex=x.dtype.base_dtype.numpy_dtype)

    fn.__name__ = op_type.lower()
    fn.__doc__ = f"The {op_type} of `input` over its innermost dims (complex64/complex128)."
    return fn


fft = _fft("FFT")
ifft = _fft("IFFT")
fft2d = _fft("FFT2D")
ifft2d = _fft("IFFT2D")
fft3d = _fft("FFT3D")
ifft3d = _fft("IFFT3D")


def _fft_length(x: Tensor, fft_length, inverse: bool) -> Tensor:
    if fft_length is not None:
        return convert_to_tensor(fft_length, dtype=dtypes.int32, name="fft_length")
    n = x.shape.ndims and x.shape.as_list()[-1]
    if n is not None and x.shape.ndims is not None:
        return convert_to_tensor(
            [2 * (n - 1) if inverse else n], dtype=dtypes.int32, name="fft_length"
        )
    n = array_ops.shape(x)[-1:]
    return 2 * (n - 1) if inverse else n


def rfft(input_tensor, fft_length=None, name=None) -> Tensor:
    """The FFT of real `input_tensor` over its inner dim: the `fft_length // 2 + 1` unique
    (non-negative frequency) terms, the input cropped or zero-padded to `fft_length`.

    Example:
      >>> tf.spectral.rfft([1.0, 2.0, 3.0, 4.0])   # [10, -2+2j, -2]
    """
    with name_scope(name, "rfft", [input_tensor, fft_length]) as scope:
        x = convert_to_tensor(input_tensor, name="input_tensor", preferred_dtype=dtypes.float32)
        x = _typed("RFFT", x, tuple(_COMPLEX_OF), "input_tensor")
        length = _fft_length(x, fft_length, inverse=False)
        tc = _COMPLEX_OF[x.dtype.base_dtype].numpy_dtype
        return apply_op(
            "RFFT", [x, length], name=scope, Tcomplex=tc, Treal=x.dtype.base_dtype.numpy_dtype
        )


def irfft(input_tensor, fft_length=None, name=None) -> Tensor:
    """The inverse of `rfft`: a real signal of length `fft_length` (default 2 * (n - 1))."""
    with name_scope(name, "irfft", [input_tensor, fft_length]) as scope:
        x = _typed("IRFFT", input_tensor, _COMPLEX, "input_tensor")
        length = _fft_length(x, fft_length, inverse=True)
        tr = _REAL_OF[x.dtype.base_dtype].numpy_dtype
        return apply_op(
            "IRFFT", [x, length], name=scope, Treal=tr, Tcomplex=x.dtype.base_dtype.numpy_dtype
        )


# -- Complex numbers ---------------------------------------------------------------------


def complex(real, imag, name=None) -> Tensor:
    """The complex numbers `real + imag * 1j` (float32 -> complex64, float64 -> complex128).

    Example:
      >>> tf.complex(2.25, 3.25)   # 2.25+3.25j
    """
    with name_scope(name, "Complex", [real, imag]) as scope:
        re = convert_to_tensor(real, name="real")
        im = convert_to_tensor(imag, name="imag", preferred_dtype=re.dtype.base_dtype)
        r, i = re.dtype.base_dtype, im.dtype.base_dtype
        if r != i or r not in _COMPLEX_OF:
            raise TypeError(f"real and imag have incorrect types: {r.name} {i.name}")
        return apply_op(
            "Complex", [re, im], name=scope, T=r.numpy_dtype, Tout=_COMPLEX_OF[r].numpy_dtype
        )


def _part(op_type: str, default_name: str, x, name, otherwise):
    with name_scope(name, default_name, [x]) as scope:
        x = convert_to_tensor(x, name="input")
        if x.dtype.is_complex:
            return apply_op(
                op_type,
                [x],
                name=scope,
                T=x.dtype.base_dtype.numpy_dtype,
                Tout=_REAL_OF[x.dtype.base_dtype].numpy_dtype,
            )
        return otherwise(x)


def real(input, name=None) -> Tensor:
    """The real parts of `input`; a real `input` is returned unchanged."""
    return _part("Real", "Real", input, name, lambda x: x)


def imag(input, name=None) -> Tensor:
    """The imaginary parts of `input`; zeros for a real `input`."""
    return _part("Imag", "Imag", input, name, array_ops.zeros_like)


def angle(input, name=None) -> Tensor:
    """The arguments of complex `input`; zeros for a real `input` (as in TF1)."""
    return _part("Angle", "Angle", input, name, array_ops.zeros_like)


def conj(x, name=None) -> Tensor:
    """The complex conjugates of `x`; a real `x` is returned unchanged."""
    with name_scope(name, "Conj", [x]) as scope:
        x = convert_to_tensor(x, name="x")
        if x.dtype.is_complex:
            return apply_op("Conj", [x], name=scope, T=x.dtype.base_dtype.numpy_dtype)
        if x.dtype.is_floating or x.dtype.is_integer:
            return x
        raise TypeError(f"Expected numeric or variant tensor, got dtype {x.dtype!r}")
