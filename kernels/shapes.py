"""Shape and dtype inference: from the kernel by `jax.eval_shape`, or by a fast rule."""

from __future__ import annotations

from typing import Any, Sequence

import jax
import numpy as np

from kernels.registry import Kernel, Spec, static_key

_cache: dict[Any, tuple[Spec, ...]] = {}


def infer(
    kernel: Kernel, specs: tuple[Spec, ...], attrs: dict, static_values: Sequence[Any]
) -> tuple[Spec, ...]:
    """Returns the output specs of `kernel` applied to inputs described by `specs`.

    `static_values[i]` is the value of static input `i` when known (numpy), else None.
    Unknown dims are None. Raises ValueError when the kernel rejects known shapes.
    """
    try:
        key = (
            kernel.op_type,
            specs,
            tuple(sorted(attrs.items())),
            tuple(static_key(v) for v in static_values),
        )
        hit = _cache.get(key)
    except TypeError:  # an unhashable attr (a Const's value): infer without the cache
        key = hit = None
    if hit is not None:
        return hit
    out = _infer(kernel, specs, attrs, static_values)
    if key is not None:
        _cache[key] = out
    return out


def _infer(kernel, specs, attrs, static_values) -> tuple[Spec, ...]:
    if kernel.shape_fn is not None:
        out = kernel.shape_fn(specs, attrs, static_values)
        if out is not None:  # None: the rule defers to the generic inference
            return tuple(out)
    missing = [
        i for i in range(len(specs)) if _is_static(kernel, i, attrs) and static_values[i] is None
    ]
    if missing:  # shapes depend on values not known yet
        return _with_unknown_values(kernel, specs, attrs, static_values, missing)
    if all(s.shape is not None and None not in s.shape for s in specs):
        return _eval(kernel, [s.shape for s in specs], specs, attrs, static_values)
    if any(s.shape is None for i, s in enumerate(specs) if not _is_static(kernel, i, attrs)):
        return _unknown_shapes(kernel, specs, attrs, static_values)
    try:
        return _eval(kernel, _symbolic_shapes(specs), specs, attrs, static_values)
    except Exception:  # symbolic dims undecidable (broadcasting): compare two guesses
        return _compare_guesses(kernel, specs, attrs, static_values)


def _with_unknown_values(kernel, specs, attrs, static_values, missing) -> tuple[Spec, ...]:
    """Outputs of a kernel whose static inputs are not all known: their dtypes and ranks
    come from stand-in values (a `shape` vector of ones, an axis of zero), their dims stay
    unknown. Without a stand-in that the kernel accepts, the dtype follows the first data
    input and the rank is unknown."""
    known = all(specs[i].shape is not None and None not in specs[i].shape for i in missing)
    dynamic_known = all(
        s.shape is not None for i, s in enumerate(specs) if not _is_static(kernel, i, attrs)
    )
    if known and dynamic_known:
        for fill in (1, 0):
            values = list(static_values)
            for i in missing:
                values[i] = np.full(specs[i].shape, fill, specs[i].dtype)
            try:
                outs = _eval(kernel, _guess(specs, 2), specs, attrs, values)
            except ValueError:
                continue
            return tuple(Spec(tuple(None for _ in o.shape), o.dtype) for o in outs)
    data = [s for i, s in enumerate(specs) if not _is_static(kernel, i, attrs)]
    return (Spec(None, data[0].dtype if data else specs[0].dtype),)


def _is_static(kernel: Kernel, i: int, attrs: dict) -> bool:
    return kernel.is_static_input(i, attrs)


def _eval(kernel, shapes, specs, attrs, static_values) -> tuple[Spec, ...]:
    dynamic = [i for i in range(len(specs)) if not _is_static(kernel, i, attrs)]

    def fn(*values):
        args = list(static_values)
        for i, v in zip(dynamic, values):
            args[i] = v
        if kernel.effects.rng:  # infer from a dummy key; the new key is not an output
            return kernel.fn(jax.numpy.zeros((2,), jax.numpy.uint32), *args, **attrs)[0]
        return kernel.fn(*args, **attrs)

    structs = [jax.ShapeDtypeStruct(shapes[i], specs[i].dtype) for i in dynamic]
    try:
        out = jax.eval_shape(fn, *structs)
    except Exception as e:  # jax reports shape and dtype errors in several classes
        raise ValueError(_first_line(e)) from None
    outs = out if isinstance(out, (tuple, list)) else (out,)
    return tuple(Spec(tuple(_dim(d) for d in o.shape), np.dtype(o.dtype)) for o in outs)


def _first_line(e: Exception) -> str:
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__


def _dim(d) -> int | None:
    return int(d) if isinstance(d, (int, np.integer)) else None


def _symbolic_shapes(specs) -> list[tuple]:
    count = sum(s.shape.count(None) for s in specs if s.shape is not None)
    symbols = iter(jax.export.symbolic_shape(",".join(f"d{i}" for i in range(count))))
    return [
        None if s.shape is None else tuple(next(symbols) if d is None else d for d in s.shape)
        for s in specs
    ]


def _guess(specs, fill: int) -> list[tuple]:
    return [
        None if s.shape is None else tuple(fill if d is None else d for d in s.shape) for s in specs
    ]


def _compare_guesses(kernel, specs, attrs, static_values) -> tuple[Spec, ...]:
    # Dims that come out the same for two different substitutions do not depend on the
    # unknown dims; the others stay unknown.
    try:
        a = _eval(kernel, _guess(specs, 2), specs, attrs, static_values)
        b = _eval(kernel, _guess(specs, 3), specs, attrs, static_values)
    except ValueError:
        return _unknown_shapes(kernel, specs, attrs, static_values)
    return tuple(
        Spec(
            tuple(x if x == y else None for x, y in zip(sa.shape, sb.shape))
            if len(sa.shape) == len(sb.shape)
            else None,
            sa.dtype,
        )
        for sa, sb in zip(a, b)
    )


def _unknown_shapes(kernel, specs, attrs, static_values) -> tuple[Spec, ...]:
    """Unknown-rank outputs; their number and dtypes from a guess of the unknown ranks."""
    for rank in (1, 2, 3, 4):
        try:
            guess = _guess(_rank_if_unknown(specs, rank), 2)
            outs = _eval(kernel, guess, specs, attrs, static_values)
        except ValueError:
            continue
        return tuple(Spec(None, s.dtype) for s in outs)
    return (Spec(None, specs[0].dtype),)


def _rank_if_unknown(specs, rank: int):
    return [Spec((None,) * rank, s.dtype) if s.shape is None else s for s in specs]


# Fast rules for the commonest families; they skip `jax.eval_shape` entirely.


def same_as_first(specs, attrs, static_values) -> list[Spec]:
    """Output like the first input (elementwise unary ops)."""
    return [specs[0]]


def broadcast(specs, attrs, static_values) -> list[Spec]:
    """Elementwise binary ops: TF broadcasting, the first input's dtype."""
    return [Spec(broadcast_shapes(specs[0].shape, specs[1].shape), specs[0].dtype)]


def broadcast_to_bool(specs, attrs, static_values) -> list[Spec]:
    """Comparisons: TF broadcasting, bool output."""
    return [Spec(broadcast_shapes(specs[0].shape, specs[1].shape), np.dtype(bool))]


def broadcast_shapes(a: tuple | None, b: tuple | None) -> tuple | None:
    """TF's broadcast of two shapes with unknown dims; ValueError on a known mismatch."""
    if a is None or b is None:
        return None
    n = max(len(a), len(b))
    a = (1,) * (n - len(a)) + a
    b = (1,) * (n - len(b)) + b
    return tuple(_broadcast_dim(x, y, a, b) for x, y in zip(a, b))


def _broadcast_dim(x, y, a, b):
    if x == 1:
        return y
    if y == 1:
        return x
    if x is None:
        return y
    if y is None:
        return x
    if x != y:
        raise ValueError(
            f"Dimensions must be equal, but are {x} and {y}; input shapes: {_fmt(a)}, {_fmt(b)}"
        )
    return x


def _fmt(shape) -> str:
    return "[" + ",".join("?" if d is None else str(d) for d in shape) + "]"


def reduction(specs, attrs, static_values) -> list[Spec]:
    """Reductions over a static `axis` input with `keep_dims`."""
    shape, axis = specs[0].shape, static_values[1]
    if shape is None or axis is None:
        return [Spec(None, specs[0].dtype)]
    rank = len(shape)
    axes = set()
    for a in np.atleast_1d(axis).tolist():
        if not -rank <= a < max(rank, 1):
            raise ValueError(f"Invalid reduction dimension {a} for input with {rank} dimensions")
        axes.add(a % rank if rank else 0)
    if attrs.get("keep_dims"):
        out = tuple(1 if i in axes else d for i, d in enumerate(shape))
    else:
        out = tuple(d for i, d in enumerate(shape) if i not in axes)
    return [Spec(out, specs[0].dtype)]
