"""Conv2D and its two gradients on oneDNN in CPU segments (`kernels/native/onednn.py`).

NHWC float32 convolutions with one group run as FFI custom calls inside the compiled
XLA:CPU segment; other platforms lower the same call to XLA's own convolution
(`lax.platform_dependent`), as do processes without oneDNN. The three are each other's
gradients (custom VJPs), so gradients of gradients stay on oneDNN too:
  conv(x, w)             -> dx = backprop_input(dy, w),  dw = backprop_filter(x, dy)
  backprop_input(dy, w)  -> d(dy) = conv(g, w),          dw = backprop_filter(g, dy)
  backprop_filter(x, dy) -> dx = backprop_input(dy, g),  d(dy) = conv(x, g)
`geometry` is the static (stride_h, stride_w, dilation_h, dilation_w, pad_top, pad_left,
pad_bottom, pad_right) that `onednn_conv.cc` takes, padding already resolved.
"""

from __future__ import annotations

from functools import partial

import jax
import numpy as np
from jax import lax

from kernels.native import onednn

_DN = ("NHWC", "HWIO", "NHWC")


def usable(x, w, data_format: str, groups: int) -> bool:
    """Whether conv(x, w) can run on oneDNN in a CPU segment."""
    if data_format != "NHWC" or groups != 1 or x.ndim != 4 or w.ndim != 4:
        return False
    if x.dtype != np.float32 or w.dtype != np.float32:
        return False
    if not all(isinstance(d, int) and d > 0 for d in (*x.shape, *w.shape)):
        return False
    return onednn.available()


def geometry(x_shape, w_shape, strides, padding, dilations) -> tuple[int, ...]:
    """The geometry attr of NHWC conv(x, w): `strides`/`dilations` are the 2 spatial
    entries, `padding` "SAME", "VALID" or explicit ((top, bottom), (left, right))."""
    pads = []
    for i in range(2):
        size, k, s, d = x_shape[1 + i], w_shape[i], strides[i], dilations[i]
        if padding == "VALID":
            pads.append((0, 0))
        elif padding == "SAME":  # TF's: the odd element goes at the end
            total = max((-(-size // s) - 1) * s + (k - 1) * d + 1 - size, 0)
            pads.append((total // 2, total - total // 2))
        else:
            pads.append(tuple(int(v) for v in padding[i]))
    return (*strides, *dilations, pads[0][0], pads[1][0], pads[0][1], pads[1][1])


def out_shape(x_shape, w_shape, geo) -> tuple[int, ...]:
    n, h, w, _ = x_shape
    sizes = []
    for i, size in enumerate((h, w)):
        eff = (w_shape[i] - 1) * geo[2 + i] + 1
        sizes.append((size + geo[4 + i] + geo[6 + i] - eff) // geo[i] + 1)
    return (n, *sizes, w_shape[3])


def _xla_conv(x, w, geo):
    pads = ((geo[4], geo[6]), (geo[5], geo[7]))
    return lax.conv_general_dilated(
        x,
        w,
        geo[:2],
        pads,
        rhs_dilation=geo[2:4],
        dimension_numbers=_DN,
        precision=lax.Precision.HIGHEST,
    )


def _ffi(target: str, shape, a, b, geo):
    out = jax.ShapeDtypeStruct(shape, np.float32)
    call = jax.ffi.ffi_call(target, out, vmap_method="sequential")
    return call(a, b, geometry=np.asarray(geo, np.int64))


def _on_cpu(onednn_fn, xla_fn, *args):
    if not onednn.available():
        return xla_fn(*args)
    return lax.platform_dependent(*args, cpu=onednn_fn, default=xla_fn)


@partial(jax.custom_vjp, nondiff_argnums=(2,))
def conv(x, w, geo):
    """NHWC/HWIO float32 conv(x, w) with `geometry` geo."""
    shape = out_shape(x.shape, w.shape, geo)
    return _on_cpu(
        lambda x, w: _ffi("flowgraph_onednn_conv2d", shape, x, w, geo),
        lambda x, w: _xla_conv(x, w, geo),
        x,
        w,
    )


@partial(jax.custom_vjp, nondiff_argnums=(2, 3))
def backprop_input(dy, w, x_shape, geo):
    """The gradient of conv(x, w) wrt x (of shape `x_shape`), given dy."""
    x_shape = tuple(x_shape)

    def xla(dy, w):
        zeros = jax.ShapeDtypeStruct(x_shape, dy.dtype)
        return jax.linear_transpose(lambda v: _xla_conv(v, w, geo), zeros)(dy)[0]

    return _on_cpu(
        lambda dy, w: _ffi("flowgraph_onednn_conv2d_backprop_input", x_shape, w, dy, geo),
        xla,
        dy,
        w,
    )


@partial(jax.custom_vjp, nondiff_argnums=(2, 3))
def backprop_filter(x, dy, w_shape, geo):
    """The gradient of conv(x, w) wrt w (of shape `w_shape`), given dy."""
    w_shape = tuple(w_shape)

    def xla(x, dy):
        zeros = jax.ShapeDtypeStruct(w_shape, dy.dtype)
        return jax.linear_transpose(lambda v: _xla_conv(x, v, geo), zeros)(dy)[0]

    return _on_cpu(
        lambda x, dy: _ffi("flowgraph_onednn_conv2d_backprop_filter", w_shape, x, dy, geo),
        xla,
        x,
        dy,
    )


def _conv_fwd(x, w, geo):
    return conv(x, w, geo), (x, w)


def _conv_bwd(geo, saved, g):
    x, w = saved
    return backprop_input(g, w, x.shape, geo), backprop_filter(x, g, w.shape, geo)


def _input_fwd(dy, w, x_shape, geo):
    return backprop_input(dy, w, x_shape, geo), (dy, w)


def _input_bwd(x_shape, geo, saved, g):
    dy, w = saved
    return conv(g, w, geo), backprop_filter(g, dy, w.shape, geo)


def _filter_fwd(x, dy, w_shape, geo):
    return backprop_filter(x, dy, w_shape, geo), (x, dy)


def _filter_bwd(w_shape, geo, saved, g):
    x, dy = saved
    return backprop_input(dy, g, x.shape, geo), conv(x, g, geo)


conv.defvjp(_conv_fwd, _conv_bwd)
backprop_input.defvjp(_input_fwd, _input_bwd)
backprop_filter.defvjp(_filter_fwd, _filter_bwd)
