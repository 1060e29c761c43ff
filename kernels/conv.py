"""Convolution and pooling kernels: Conv2D/3D, their input backprops, depthwise, pools.

Attrs are full-rank (`strides`, `dilations`, `ksize` have one entry per dim of the input,
in `data_format` order), as in TensorFlow. SAME padding follows TF's arithmetic (the odd
extra element at the end), which is also XLA's.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from kernels import conv_onednn
from kernels.conventions import tile_max, window_max
from kernels.op_def import allow_types
from kernels.registry import Spec, register

_PRECISION = lax.Precision.HIGHEST


def _spatial(data_format: str, values):
    """The spatial entries of a full-rank attr (strides, dilations, ksize)."""
    values = tuple(values)
    return values[2:] if data_format.startswith("NC") else values[1:-1]


def _dim_numbers(data_format: str):
    spatial = data_format.replace("N", "").replace("C", "")
    return (data_format, spatial + "IO", data_format)


def _padding(padding: str, explicit_paddings, data_format: str, rank: int):
    if padding != "EXPLICIT":
        return padding
    pairs = np.asarray(explicit_paddings, np.int64).reshape(rank, 2)
    return [tuple(int(v) for v in p) for p in _spatial(data_format, pairs)]


def _check_valid_sizes(op, x_shape, eff_window, data_format, padding):
    """TF's build-time error for a VALID window larger than the input."""
    if padding != "VALID":
        return
    for size, k in zip(_spatial(data_format, x_shape), eff_window):
        if isinstance(size, int) and size < k:
            raise ValueError(f"Negative dimension size caused by subtracting {k} from {size}")


def _conv(x, w, strides, padding, explicit_paddings, data_format, dilations, groups=1):
    return lax.conv_general_dilated(
        x,
        w,
        _spatial(data_format, strides),
        _padding(padding, explicit_paddings, data_format, x.ndim),
        rhs_dilation=_spatial(data_format, dilations),
        dimension_numbers=_dim_numbers(data_format),
        feature_group_count=groups,
        precision=_PRECISION,
    )


def _check_conv(op, x, w, data_format, dilations, padding):
    rank = len(data_format)
    if x.ndim != rank or w.ndim != rank:
        raise ValueError(
            f"Shape must be rank {rank} but is rank {x.ndim if x.ndim != rank else w.ndim}"
        )
    depth = x.shape[data_format.index("C")]
    in_depth, out_depth = w.shape[-2], w.shape[-1]
    if isinstance(depth, int) and isinstance(in_depth, int):
        if in_depth == 0 or depth % in_depth:
            raise ValueError(
                f"Depth of input ({depth}) is not a multiple of input depth of filter ({in_depth})"
            )
        groups = depth // in_depth
        if isinstance(out_depth, int) and out_depth % groups:
            raise ValueError(
                f"Depth of output ({out_depth}) is not a multiple of the number of groups "
                f"({groups})"
            )
    else:
        groups = 1
    eff = [(k - 1) * d + 1 for k, d in zip(w.shape[:-2], _spatial(data_format, dilations))]
    _check_valid_sizes(op, x.shape, eff, data_format, padding)
    return groups


def _conv_nd(op):
    def fn(input, filter, *, strides, padding, data_format, dilations, explicit_paddings=()):
        groups = _check_conv(op, input, filter, data_format, dilations, padding)
        if conv_onednn.usable(input, filter, data_format, groups):
            geo = onednn_geometry(input, filter, strides, padding, explicit_paddings, dilations)
            return conv_onednn.conv(input, filter, geo)
        return _conv(
            input, filter, strides, padding, explicit_paddings, data_format, dilations, groups
        )

    return fn


def onednn_geometry(x, w, strides, padding, explicit_paddings, dilations):
    """`conv_onednn`'s geometry of an NHWC Conv2D's attrs (full-rank strides, dilations)."""
    pads = _padding(padding, explicit_paddings, "NHWC", 4)
    return conv_onednn.geometry(
        x.shape, w.shape, _spatial("NHWC", strides), pads, _spatial("NHWC", dilations)
    )


conv2d = register("Conv2D")(_conv_nd("Conv2D"))
_conv3d = _conv_nd("Conv3D")


@register("Conv3D")
def conv3d(input, filter, *, strides, padding, data_format, dilations):
    # TF's 3-D convolutions have no `explicit_paddings` attr.
    return _conv3d(
        input,
        filter,
        strides=strides,
        padding=padding,
        data_format=data_format,
        dilations=dilations,
    )


@register("DepthwiseConv2dNative")
def depthwise_conv2d_native(
    input, filter, *, strides, padding, data_format, dilations, explicit_paddings=()
):
    if input.ndim != 4 or filter.ndim != 4:
        raise ValueError(f"Shape must be rank 4 but is rank {min(input.ndim, filter.ndim)}")
    depth = input.shape[data_format.index("C")]
    kh, kw, in_depth, mult = filter.shape
    if isinstance(depth, int) and isinstance(in_depth, int) and depth != in_depth:
        raise ValueError(f"Dimensions must be equal, but are {depth} and {in_depth}")
    eff = [(k - 1) * d + 1 for k, d in zip((kh, kw), _spatial(data_format, dilations))]
    _check_valid_sizes("DepthwiseConv2dNative", input.shape, eff, data_format, padding)
    w = filter.reshape(kh, kw, 1, in_depth * mult)
    return _conv(input, w, strides, padding, explicit_paddings, data_format, dilations, in_depth)


def _full_sizes(input_sizes, filter_shape, out_shape, data_format):
    """input_sizes as a full shape (TF also takes only the spatial sizes)."""
    sizes = [int(v) for v in np.asarray(input_sizes).reshape(-1)]
    rank = len(data_format)
    if len(sizes) == rank - 2:
        spatial = iter(sizes)
        sizes = [
            out_shape[0] if c == "N" else filter_shape[-2] if c == "C" else next(spatial)
            for c in data_format
        ]
    if len(sizes) != rank:
        raise ValueError(f"input_sizes must be a 1-D tensor of {rank} elements, got {len(sizes)}")
    return tuple(sizes)


def _backprop_input_shape(op):
    def shape(specs, attrs, static_values):
        sizes, (_, filter, out) = static_values[0], specs
        rank = len(attrs["data_format"])
        if sizes is None or (np.size(sizes) != rank and None in (filter.shape, out.shape)):
            return [Spec(None, out.dtype)]
        sizes = _full_sizes(sizes, filter.shape, out.shape, attrs["data_format"])
        if None not in (filter.shape, out.shape) and None not in filter.shape:
            x = jax.ShapeDtypeStruct(sizes, out.dtype)
            w = jax.ShapeDtypeStruct(filter.shape, out.dtype)
            expected = jax.eval_shape(
                lambda x, w: _conv_nd(op)(x, w, **{k: v for k, v in attrs.items() if k != "T"}),
                x,
                w,
            ).shape
            if len(expected) != len(out.shape) or any(
                d is not None and d != e for d, e in zip(out.shape, expected)
            ):
                raise ValueError(
                    f"{op}: Size of out_backprop doesn't match computed: actual = "
                    f"{_fmt(out.shape)}, computed = {list(expected)}"
                )
        return [Spec(sizes, out.dtype)]

    return shape


def _fmt(shape):
    return "[" + ",".join("?" if d is None else str(d) for d in shape) + "]"


def _backprop_input(op):
    def fn(
        input_sizes,
        filter,
        out_backprop,
        *,
        strides,
        padding,
        data_format,
        dilations,
        explicit_paddings=(),
    ):
        sizes = _full_sizes(input_sizes, filter.shape, out_backprop.shape, data_format)
        x = jax.ShapeDtypeStruct(sizes, out_backprop.dtype)
        groups = _check_conv(op, x, filter, data_format, dilations, padding)

        def forward(v):
            return _conv(
                v, filter, strides, padding, explicit_paddings, data_format, dilations, groups
            )

        expected = jax.eval_shape(forward, x).shape
        if tuple(out_backprop.shape) != tuple(expected):
            raise ValueError(
                f"{op}: Size of out_backprop doesn't match computed: actual = "
                f"{list(out_backprop.shape)}, computed = {list(expected)}"
            )
        if conv_onednn.usable(x, filter, data_format, groups):
            geo = onednn_geometry(x, filter, strides, padding, explicit_paddings, dilations)
            return conv_onednn.backprop_input(out_backprop, filter, sizes, geo)
        return jax.linear_transpose(forward, x)(out_backprop)[0]

    return fn


conv2d_backprop_input = register(
    "Conv2DBackpropInput",
    static=("input_sizes",),
    shape=_backprop_input_shape("Conv2DBackpropInput"),
)(_backprop_input("Conv2DBackpropInput"))
_conv3d_backprop_input = _backprop_input("Conv3DBackpropInputV2")


@register(
    "Conv3DBackpropInputV2",
    static=("input_sizes",),
    shape=_backprop_input_shape("Conv3DBackpropInputV2"),
)
def conv3d_backprop_input_v2(
    input_sizes, filter, out_backprop, *, strides, padding, data_format, dilations
):
    return _conv3d_backprop_input(
        input_sizes,
        filter,
        out_backprop,
        strides=strides,
        padding=padding,
        data_format=data_format,
        dilations=dilations,
    )


# -- pooling ---------------------------------------------------------------------------------


def _check_pool(x, ksize, strides, data_format, padding):
    rank = len(data_format)
    if x.ndim != rank:
        raise ValueError(f"Shape must be rank {rank} but is rank {x.ndim}")
    _check_valid_sizes("Pool", x.shape, _spatial(data_format, ksize), data_format, padding)


def _non_overlapping(x, ksize, strides, padding):
    """Whether the pool is non-overlapping windows that tile x: the reshape form applies."""
    if tuple(ksize) != tuple(strides):
        return False
    for size, k in zip(x.shape, ksize):
        if not isinstance(size, int):
            return False
        if padding == "SAME" and size % k:
            return False
    return padding in ("SAME", "VALID")


def _tiles(x, ksize):
    """x cropped to whole windows and reshaped so each window is its own axes."""
    x = x[tuple(slice(0, size // k * k) for size, k in zip(x.shape, ksize))]
    shape, axes = [], []
    for size, k in zip(x.shape, ksize):
        shape.append(size // k)
        if k > 1:
            shape.append(k)
            axes.append(len(shape) - 1)
    return x.reshape(shape), tuple(axes)


def _windows_last(tiles, axes):
    """Tiles with each window's elements moved onto one last axis, in row-major order."""
    rest = tuple(a for a in range(tiles.ndim) if a not in axes)
    moved = jnp.transpose(tiles, rest + axes)
    return moved.reshape(moved.shape[: len(rest)] + (-1,))


def _lowest(dtype):
    if jnp.issubdtype(dtype, jnp.floating):
        return -jnp.inf
    return jnp.iinfo(dtype).min


def _max_pool(x, ksize, strides, padding):
    if _non_overlapping(x, ksize, strides, padding):
        tiles, axes = _tiles(x, ksize)
        if not axes:
            return tiles
        if x.ndim == 5:  # MaxPool3DGrad: every tie
            return window_max(_windows_last(tiles, axes), True)
        return tile_max(tiles, axes)
    # reduce_window's gradient goes to the first max of a window, as TF's MaxPoolGrad
    # (MaxPool3DGrad's gift to every tie is matched only on non-overlapping windows).
    init = np.array(_lowest(x.dtype), x.dtype)
    return lax.reduce_window(x, init, lax.max, tuple(ksize), tuple(strides), padding)


def _avg_pool(x, ksize, strides, padding):
    if _non_overlapping(x, ksize, strides, padding):
        tiles, axes = _tiles(x, ksize)
        return jnp.mean(tiles, axis=axes) if axes else tiles
    zero = np.array(0, x.dtype)
    total = lax.reduce_window(x, zero, lax.add, tuple(ksize), tuple(strides), padding)
    if padding == "VALID":
        return total / np.prod(ksize).astype(x.dtype)
    # SAME: TF divides by the number of elements inside the input, not the window size.
    ones = jnp.ones(tuple(1 if k == 1 else d for d, k in zip(x.shape, ksize)), x.dtype)
    count = lax.reduce_window(ones, zero, lax.add, tuple(ksize), tuple(strides), padding)
    return total / count


def _pool(reduce, op):
    def fn(input, *, ksize, strides, padding, data_format):
        _check_pool(input, ksize, strides, data_format, padding)
        return reduce(input, ksize, strides, padding)

    fn.__name__ = op
    return fn


max_pool = register("MaxPool")(_pool(_max_pool, "max_pool"))
_avg_pool_2d = _pool(_avg_pool, "avg_pool")


@register("AvgPool")
def avg_pool(value, *, ksize, strides, padding, data_format):  # TF calls this input `value`
    return _avg_pool_2d(
        value, ksize=ksize, strides=strides, padding=padding, data_format=data_format
    )


# flowgraph computes in float64 too (TF's MaxPool3D: half, bfloat16 and float only).
allow_types("MaxPool3D", "T", "double")
max_pool3d = register("MaxPool3D")(_pool(_max_pool, "max_pool3d"))
avg_pool3d = register("AvgPool3D")(_pool(_avg_pool, "avg_pool3d"))


@register("MaxPoolWithArgmax")
def max_pool_with_argmax(input, *, ksize, strides, padding, Targmax, include_batch_in_index):
    _check_pool(input, ksize, strides, "NHWC", padding)
    out = _max_pool(input, ksize, strides, padding)
    Targmax = np.dtype(Targmax)
    _, h, w, c = input.shape
    iota = [lax.broadcasted_iota(Targmax, input.shape, d) for d in range(4)]
    index = (iota[1] * w + iota[2]) * c + iota[3]
    if include_batch_in_index:  # ((b * h + y) * w + x) * c + channel
        index = index + iota[0] * (h * w * c)
    big = jnp.asarray(np.iinfo(Targmax).max, Targmax)

    def pick(a, b):
        (av, ai), (bv, bi) = a, b
        take_b = (bv > av) | ((bv == av) & (bi < ai))
        return jnp.where(take_b, bv, av), jnp.where(take_b, bi, ai)

    init = (jnp.asarray(_lowest(input.dtype), input.dtype), big)
    _, argmax = lax.reduce_window(
        (lax.stop_gradient(input), index), init, pick, tuple(ksize), tuple(strides), padding
    )
    return out, argmax
