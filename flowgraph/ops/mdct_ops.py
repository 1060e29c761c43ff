"""`tf.signal.mdct` and `inverse_mdct`: the modified discrete cosine transform of
half-overlapping frames, and its inverse by overlap-add."""

from __future__ import annotations

import numpy as np

from flowgraph.framework.scopes import name_scope
from flowgraph.framework.tensor_util import constant_value
from flowgraph.ops import array_ops, linalg_ops, signal_ops
from flowgraph.ops.constant_op import convert_to_tensor


def _dct4(x, norm):
    """The type-IV DCT over the last dim (scipy's scaling: `2 sum x_n cos(...)`, or
    orthonormal), as a product with the cosine matrix (the length is static)."""
    n = x.shape.as_list()[-1]
    if n is None:
        raise ValueError("The last dimension must be known for a type-IV DCT.")
    grid = np.arange(n) + 0.5
    basis = 2.0 * np.cos(np.pi / n * np.outer(grid, grid))
    if norm == "ortho":
        basis = basis * np.sqrt(1.0 / (2 * n))
    return linalg_ops.tensordot(x, basis.astype(x.dtype.numpy_dtype), [[-1], [0]])


def mdct(
    signals, frame_length, window_fn=signal_ops.vorbis_window, pad_end=False, norm=None, name=None
):
    """The MDCT of `signals` in frames of `frame_length` (a multiple of 4), each frame
    overlapping the next by half: `[..., frames, frame_length // 2]`.

    Args:
      signals: a `[..., samples]` float32/float64 `Tensor`.
      frame_length: the frame length, a multiple of 4.
      window_fn: a function `(length, dtype) -> window` (default: the Vorbis window; None
        scales by `1/sqrt(2)`, no window).
      pad_end: pad the end of `signals` so that every sample is in a frame.
      norm: None or "ortho".
      name: a name scope.
    """
    with name_scope(name, "mdct", [signals, frame_length]):
        signals = convert_to_tensor(signals, name="signals")
        signals.shape.with_rank_at_least(1)
        length = constant_value(convert_to_tensor(frame_length, name="frame_length"))
        if length is None:
            raise ValueError("frame_length must be known when the graph is built.")
        length = int(length)
        if length % 4 != 0:
            raise ValueError("The frame length must be a multiple of 4.")
        frames = signal_ops.frame(signals, length, length // 2, pad_end=pad_end)
        if window_fn is not None:
            frames = frames * window_fn(length, dtype=frames.dtype)
        else:
            frames = frames * (1.0 / np.sqrt(2))
        a, b, c, d = array_ops.split(frames, 4, axis=-1)
        first = -array_ops.reverse_v2(c, [-1]) - d
        second = a - array_ops.reverse_v2(b, [-1])
        return _dct4(array_ops.concat([first, second], axis=-1), norm)


def inverse_mdct(mdcts, window_fn=signal_ops.vorbis_window, norm=None, name=None):
    """The inverse of `mdct`: signals `[..., samples]` by overlap-adding the inverse
    transforms of each frame (with the Princen-Bradley window the reconstruction is exact
    away from the ends).

    Args:
      mdcts: `[..., frames, frame_length // 2]` float32/float64.
      window_fn: as for `mdct`.
      norm: None or "ortho" (as used for `mdct`).
      name: a name scope.
    """
    with name_scope(name, "inverse_mdct", [mdcts]):
        mdcts = convert_to_tensor(mdcts, name="mdcts")
        mdcts.shape.with_rank_at_least(1)
        half = mdcts.shape.as_list()[-1]
        if norm is None:
            frames = _dct4(mdcts, None) * (0.5 / half)
        elif norm == "ortho":
            frames = _dct4(mdcts, "ortho")
        else:
            raise ValueError(f"norm must be None or 'ortho', got {norm!r}")
        first, second = array_ops.split(frames, 2, axis=-1)
        real = array_ops.concat(
            [
                second,
                -array_ops.reverse_v2(second, [-1]),
                -array_ops.reverse_v2(first, [-1]),
                -first,
            ],
            axis=-1,
        )
        if window_fn is not None:
            real = real * window_fn(2 * half, dtype=mdcts.dtype)
        else:
            real = real * (1.0 / np.sqrt(2))
        return signal_ops.overlap_and_add(real, half)
