"""`tf.signal` beyond FFTs: framing and overlap-add, windows, short-time Fourier
transforms, DCTs, mel filterbanks and MFCCs (composites of existing ops)."""

from __future__ import annotations

import math

import numpy as np

from flowgraph.framework import dtypes
from flowgraph.framework.ops import Tensor, apply_op, constant_value
from flowgraph.framework.scopes import name_scope
from flowgraph.ops import array_ops, math_ops, spectral_ops
from flowgraph.ops.constant_op import constant, convert_to_tensor
from flowgraph.ops.manip_ops import roll
from flowgraph.ops.special_math_ops import bessel_i0e

# -- framing --------------------------------------------------------------------------------


def _int(value) -> Tensor:
    return math_ops.cast(convert_to_tensor(value), dtypes.int32)


def frame(signal, frame_length, frame_step, pad_end=False, pad_value=0, axis=-1, name=None):
    """Splits `signal`'s `axis` into frames of `frame_length` samples, `frame_step` apart.

    The axis becomes two: [num_frames, frame_length]. Without `pad_end` only whole frames
    are kept; with it the end is padded with `pad_value` so that every sample is framed.

    Example:
      >>> tf.signal.frame([1, 2, 3, 4, 5], frame_length=3, frame_step=2)  # [[1, 2, 3], [3, 4, 5]]
    """
    with name_scope(name, "frame", [signal, frame_length, frame_step, pad_value]):
        signal = convert_to_tensor(signal, name="signal")
        rank = signal.shape.ndims
        axis = axis % rank if rank is not None and axis < 0 else axis
        length, frame_length, frame_step = (
            array_ops.shape(signal)[axis],
            _int(frame_length),
            _int(frame_step),
        )
        if pad_end:
            num_frames = math_ops.maximum(0, -math_ops.floordiv(-length, frame_step))
            padded = (num_frames - 1) * frame_step + frame_length
            pad_after = math_ops.maximum(0, padded - length)
            paddings = array_ops.one_hot(axis, array_ops.rank(signal), dtype=dtypes.int32)
            paddings = array_ops.stack([array_ops.zeros_like(paddings), paddings * pad_after], 1)
            signal = array_ops.pad(signal, paddings, constant_values=pad_value)
        else:
            num_frames = math_ops.maximum(
                0, 1 + math_ops.floordiv(length - frame_length, frame_step)
            )
        starts = array_ops.range(num_frames) * frame_step
        index = array_ops.expand_dims(starts, 1) + array_ops.expand_dims(
            array_ops.range(frame_length), 0
        )
        return array_ops.gather(signal, index, axis=axis)


def overlap_and_add(signal, frame_step, name=None) -> Tensor:
    """Adds up frames `frame_step` apart: [..., frames, frame_length] to
    [..., (frames - 1) * frame_step + frame_length]; the inverse of `frame` for windows
    that sum to one."""
    with name_scope(name, "overlap_and_add", [signal, frame_step]):
        signal = convert_to_tensor(signal, name="signal")
        if signal.shape.ndims is not None and signal.shape.ndims < 2:
            raise ValueError(f"Shape must be at least rank 2 but is rank {signal.shape.ndims}")
        frame_step = _int(frame_step)
        shape = array_ops.shape(signal)
        frames, frame_length, outer = shape[-2], shape[-1], shape[:-2]
        out_length = (frames - 1) * frame_step + frame_length
        positions = array_ops.expand_dims(array_ops.range(frames) * frame_step, 1)
        index = array_ops.reshape(positions + array_ops.range(frame_length), [-1])
        columns = array_ops.transpose(array_ops.reshape(signal, [-1, frames * frame_length]))
        summed = math_ops.unsorted_segment_sum(columns, index, out_length)
        return array_ops.reshape(
            array_ops.transpose(summed), array_ops.concat([outer, array_ops.stack([out_length])], 0)
        )


# -- windows --------------------------------------------------------------------------------


def _static_length(window_length) -> int | None:
    value = (
        window_length
        if isinstance(window_length, int)
        else constant_value(convert_to_tensor(window_length))
    )
    return None if value is None else int(value)


def _raised_cosine(name, default_name, window_length, periodic, dtype, a, b) -> Tensor:
    dtype = dtypes.as_dtype(dtype)
    if not dtype.is_floating:
        raise ValueError(f"dtype must be a floating point type. Found {dtype}")
    with name_scope(name, default_name, [window_length, periodic]):
        length = _int(window_length)
        if _static_length(window_length) == 1:
            return array_ops.ones([1], dtype=dtype)
        even = 1 - math_ops.floormod(length, 2)
        periodic = math_ops.cast(convert_to_tensor(periodic, dtype=dtypes.bool), dtypes.int32)
        n = math_ops.cast(length + periodic * even - 1, dtype)
        count = math_ops.cast(array_ops.range(length), dtype)
        return a - b * math_ops.cos(2.0 * math.pi * count / n)


def hann_window(window_length, periodic=True, dtype=dtypes.float32, name=None) -> Tensor:
    """A Hann window: 0.5 - 0.5 cos(2πn / N), N the length (periodic) or length - 1."""
    return _raised_cosine(name, "hann_window", window_length, periodic, dtype, 0.5, 0.5)


def hamming_window(window_length, periodic=True, dtype=dtypes.float32, name=None) -> Tensor:
    """A Hamming window: 0.54 - 0.46 cos(2πn / N)."""
    return _raised_cosine(name, "hamming_window", window_length, periodic, dtype, 0.54, 0.46)


def kaiser_window(window_length, beta=12.0, dtype=dtypes.float32, name=None) -> Tensor:
    """A (symmetric) Kaiser window: I0(beta sqrt(1 - x²)) / I0(beta) for x in [-1, 1]."""
    with name_scope(name, "kaiser_window"):
        length = _static_length(window_length)
        if length == 1:
            return array_ops.ones([1], dtype=dtype)
        half = (length - 1) / 2
        x = constant(np.arange(-half, half + 0.1) / half, dtype=dtype)
        s = math_ops.sqrt(math_ops.maximum(1.0 - math_ops.square(x), 0.0))
        beta = convert_to_tensor(beta, dtype=dtype)
        return bessel_i0e(beta * s) / bessel_i0e(beta) * math_ops.exp(beta * (s - 1.0))


def kaiser_bessel_derived_window(window_length, beta=12.0, dtype=dtypes.float32, name=None):
    """A Kaiser-Bessel derived window (for MDCTs): the normalized running sum of a Kaiser
    window of half the length, mirrored."""
    with name_scope(name, "kaiser_bessel_derived_window"):
        half = _static_length(window_length) // 2
        sums = math_ops.cumsum(kaiser_window(half + 1, beta, dtype))
        half_window = math_ops.sqrt(sums[:-1] / sums[-1])
        return array_ops.concat([half_window, array_ops.reverse(half_window, [0])], 0)


def vorbis_window(window_length, dtype=dtypes.float32, name=None) -> Tensor:
    """A Vorbis power-complementary window: sin(π/2 sin²(π(n + 0.5) / N))."""
    with name_scope(name, "vorbis_window"):
        n = math_ops.cast(array_ops.range(_int(window_length)), dtype)
        length = math_ops.cast(_int(window_length), dtype)
        inner = math_ops.sin(math.pi * (n + 0.5) / length)
        return math_ops.sin(0.5 * math.pi * math_ops.square(inner))


# -- short-time Fourier transforms ------------------------------------------------------------


def _default_fft_length(frame_length) -> int:
    return 2 ** int(math.ceil(math.log2(frame_length)))


def stft(
    signals,
    frame_length,
    frame_step,
    fft_length=None,
    window_fn=hann_window,
    pad_end=False,
    name=None,
) -> Tensor:
    """The short-time Fourier transform of `signals` [..., samples]: windowed frames'
    real FFTs, [..., frames, fft_length // 2 + 1] (fft_length: the next power of two)."""
    with name_scope(name, "stft", [signals]):
        signals = convert_to_tensor(signals, name="signals")
        fft_length = _default_fft_length(frame_length) if fft_length is None else fft_length
        framed = frame(signals, frame_length, frame_step, pad_end=pad_end)
        if window_fn is not None:
            framed = framed * window_fn(frame_length, dtype=signals.dtype)
        return spectral_ops.rfft(framed, [fft_length])


def inverse_stft(
    stfts, frame_length, frame_step, fft_length=None, window_fn=hann_window, name=None
) -> Tensor:
    """The signal of `stfts`: inverse FFTs of the frames, windowed and overlap-added (use
    `inverse_stft_window_fn` for a window that inverts `stft`'s)."""
    with name_scope(name, "inverse_stft", [stfts]):
        stfts = convert_to_tensor(stfts, name="stfts")
        fft_length = _default_fft_length(frame_length) if fft_length is None else fft_length
        frames = spectral_ops.irfft(stfts, [fft_length])[..., :frame_length]
        if fft_length < frame_length:
            raise ValueError(f"fft_length {fft_length} is shorter than frame_length {frame_length}")
        if window_fn is not None:
            frames = frames * window_fn(frame_length, dtype=frames.dtype)
        return overlap_and_add(frames, frame_step)


def inverse_stft_window_fn(frame_step, forward_window_fn=hann_window, name=None):
    """A window function for `inverse_stft` that undoes `forward_window_fn`'s windowing
    when frames are `frame_step` apart."""

    def inverse_window(frame_length, dtype):
        with name_scope(name, "inverse_stft_window_fn", [forward_window_fn]):
            window = forward_window_fn(frame_length, dtype=dtype)
            overlaps = -(-frame_length // frame_step)
            denom = array_ops.pad(
                math_ops.square(window), [[0, overlaps * frame_step - frame_length]]
            )
            denom = math_ops.reduce_sum(
                array_ops.reshape(denom, [overlaps, frame_step]), 0, keepdims=True
            )
            denom = array_ops.reshape(array_ops.tile(denom, [overlaps, 1]), [overlaps * frame_step])
            return window / denom[:frame_length]

    return inverse_window


# -- DCTs, mel filterbanks and MFCCs ----------------------------------------------------------


def dct(input, type=2, n=None, axis=-1, norm=None, name=None) -> Tensor:  # noqa: A002
    """The discrete cosine transform of type 2 or 3 over the last dimension (TF's scaling;
    `norm="ortho"` makes it orthonormal)."""
    if type not in (2, 3) or n is not None or axis != -1 or norm not in (None, "ortho"):
        raise ValueError(
            f"flowgraph's dct supports types 2 and 3 over axis -1 without n, with norm None "
            f"or 'ortho'; got type={type}, n={n}, axis={axis}, norm={norm}"
        )
    with name_scope(name, "dct", [input]):
        x = convert_to_tensor(input, name="input")
        size = x.shape.as_list()[-1]
        if size is None:
            raise ValueError("dct needs a known size of the last dimension")
        return _dct2(x, size, norm) if type == 2 else _dct3(x, size, norm)


def _dct2(x: Tensor, size: int, norm) -> Tensor:
    angle = -np.arange(size) * np.pi * 0.5 / size
    scale = constant(2.0 * np.exp(1j * angle), dtype=_complex_of(x))
    out = spectral_ops.real(spectral_ops.rfft(x, [2 * size])[..., :size] * scale)
    if norm == "ortho":
        weights = np.full(size, 0.5 * np.sqrt(2.0 / size))
        weights[0] = 0.5 / np.sqrt(size)
        out = out * weights.astype(x.dtype.base_dtype.numpy_dtype)
    return out


def _dct3(x: Tensor, size: int, norm) -> Tensor:
    if norm == "ortho":
        weights = np.full(size, np.sqrt(size) * np.sqrt(0.5))
        weights[0] = np.sqrt(size)
        x = x * weights.astype(x.dtype.base_dtype.numpy_dtype)
    else:
        x = x * float(size)
    angle = np.arange(size) * np.pi * 0.5 / size
    scale = constant(2.0 * np.exp(1j * angle), dtype=_complex_of(x))
    spectrum = scale * spectral_ops.complex(x, array_ops.zeros_like(x))
    return spectral_ops.irfft(spectrum, [2 * size])[..., :size]


def _complex_of(x: Tensor):
    return dtypes.complex128 if x.dtype.base_dtype == dtypes.float64 else dtypes.complex64


def idct(input, type=2, n=None, axis=-1, norm=None, name=None) -> Tensor:  # noqa: A002
    """The inverse DCT as TF defines it: a DCT of type 3 for type 2 (and 2 for 3), so
    `idct(dct(x)) == 2 * N * x` unless `norm="ortho"` (then it is `x`)."""
    inverse_type = {2: 3, 3: 2}.get(type)
    if inverse_type is None:
        raise ValueError(f"flowgraph's idct supports types 2 and 3, got {type}")
    with name_scope(name, "idct", [input]):
        return dct(input, type=inverse_type, n=n, axis=axis, norm=norm)


_MEL_BREAK_FREQUENCY_HERTZ = 700.0
_MEL_HIGH_FREQUENCY_Q = 1127.0


def _hertz_to_mel(frequencies):
    return _MEL_HIGH_FREQUENCY_Q * np.log1p(frequencies / _MEL_BREAK_FREQUENCY_HERTZ)


def linear_to_mel_weight_matrix(
    num_mel_bins=20,
    num_spectrogram_bins=129,
    sample_rate=8000,
    lower_edge_hertz=125.0,
    upper_edge_hertz=3800.0,
    dtype=dtypes.float32,
    name=None,
) -> Tensor:
    """A [num_spectrogram_bins, num_mel_bins] matrix of triangular mel filters, taking a
    linear-frequency spectrogram to a mel spectrogram (HTK's mel scale; the DC bin is 0)."""
    if lower_edge_hertz < 0.0 or lower_edge_hertz >= upper_edge_hertz:
        raise ValueError(
            f"lower_edge_hertz {lower_edge_hertz} must be >= 0 and < "
            f"upper_edge_hertz {upper_edge_hertz}"
        )
    if upper_edge_hertz > sample_rate / 2:
        raise ValueError(
            f"upper_edge_hertz must not be larger than the Nyquist frequency "
            f"(sample_rate / 2). Got {upper_edge_hertz} for sample_rate: "
            f"{sample_rate}"
        )
    np_dtype = dtypes.as_dtype(dtype).numpy_dtype
    linear = np.linspace(0.0, sample_rate / 2.0, num_spectrogram_bins, dtype=np_dtype)[1:]
    bins_mel = _hertz_to_mel(linear)[:, None].astype(np_dtype)
    edges = np.linspace(
        _hertz_to_mel(np.float64(lower_edge_hertz)),
        _hertz_to_mel(np.float64(upper_edge_hertz)),
        num_mel_bins + 2,
    )
    edges = edges.astype(np_dtype)
    lower, center, upper = edges[:-2][None], edges[1:-1][None], edges[2:][None]
    lower_slopes = (bins_mel - lower) / (center - lower)
    upper_slopes = (upper - bins_mel) / (upper - center)
    weights = np.maximum(0.0, np.minimum(lower_slopes, upper_slopes)).astype(np_dtype)
    with name_scope(name, "linear_to_mel_weight_matrix"):
        return constant(np.pad(weights, [[1, 0], [0, 0]]), dtype=dtype)


def mfccs_from_log_mel_spectrograms(log_mel_spectrograms, name=None) -> Tensor:
    """MFCCs: the orthonormal-scaled type-2 DCT of log mel spectrograms [..., num_mel_bins]."""
    with name_scope(name, "mfccs_from_log_mel_spectrograms", [log_mel_spectrograms]):
        x = convert_to_tensor(log_mel_spectrograms, name="log_mel_spectrograms")
        num_mel_bins = x.shape.as_list()[-1]
        return dct(x, type=2) * (1.0 / math.sqrt(num_mel_bins * 2.0))


def fftshift(x, axes=None, name=None) -> Tensor:
    """Moves the zero-frequency term to the center of the spectrum (along `axes`)."""
    return _shift(x, axes, name, "fftshift", lambda n: n // 2)


def ifftshift(x, axes=None, name=None) -> Tensor:
    """The inverse of `fftshift`."""
    return _shift(x, axes, name, "ifftshift", lambda n: -(n // 2))


def _shift(x, axes, name, default_name, amount) -> Tensor:
    with name_scope(name, default_name, [x]):
        x = convert_to_tensor(x)
        axes = list(range(x.shape.ndims)) if axes is None else axes
        axes = [axes] if isinstance(axes, int) else list(axes)
        shape = array_ops.shape(x)
        shifts = [amount(shape[a]) for a in axes]
        return roll(x, array_ops.stack(shifts), axes)


def _real_fft_nd(op_type: str, rank: int, inverse: bool):
    def fn(input_tensor, fft_length=None, name=None) -> Tensor:
        with name_scope(name, op_type.lower(), [input_tensor]) as scope:
            x = convert_to_tensor(input_tensor, name="input_tensor")
            if fft_length is None:
                dims = x.shape.as_list()[-rank:]
                if inverse:
                    dims = dims[:-1] + [2 * (dims[-1] - 1)]
                fft_length = dims
            length = convert_to_tensor(fft_length, dtype=dtypes.int32, name="fft_length")
            real, complex_ = (
                (dtypes.float64, dtypes.complex128)
                if x.dtype.base_dtype in (dtypes.float64, dtypes.complex128)
                else (dtypes.float32, dtypes.complex64)
            )
            return apply_op(
                op_type,
                [x, length],
                name=scope,
                Treal=real.numpy_dtype,
                Tcomplex=complex_.numpy_dtype,
            )

    fn.__doc__ = (
        f"The {'inverse ' if inverse else ''}real FFT over the inner {rank} "
        "dimensions (`fft_length` defaults to the input's sizes)."
    )
    return fn


rfft2d = _real_fft_nd("RFFT2D", 2, inverse=False)
irfft2d = _real_fft_nd("IRFFT2D", 2, inverse=True)
rfft3d = _real_fft_nd("RFFT3D", 3, inverse=False)
irfft3d = _real_fft_nd("IRFFT3D", 3, inverse=True)
