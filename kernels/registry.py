"""The kernel registry: one kernel per op type, with its kind and its static inputs."""

from __future__ import annotations

import inspect
import sys
from dataclasses import dataclass, replace
from typing import Any, Callable, NamedTuple

import numpy as np

XLA = "xla"
HOST = "host"

# What a kernel does with session state (device/lower.py threads it through segments).
VARIABLE = "variable"  # the node is a variable: its value lives in the session's store
RNG = "rng"  # the kernel takes and returns a per-node RNG key: fn(key, *inputs) -> (out, key)
# The kernel makes a session resource (a queue, a reader): the runtime calls it once per
# session and resource name, `fn(name, *inputs)`; the op outputs a handle naming the result.
RESOURCE = "resource"

# How a kernel uses a ref input (a variable's output edge).
WRITE = "w"  # overwrites the variable; the kernel returns the new value
READ_WRITE = "rw"  # updates the variable from its old value; returns the new value
PROBE = "probe"  # only asks whether the variable is initialized (gets a bool)
HANDLE = "handle"  # a resource handle: the kernel gets the resource it names (may block on it)


class Spec(NamedTuple):
    """A value's static description: shape (tuple of int/None, or None) and numpy dtype."""

    shape: tuple | None
    dtype: np.dtype


@dataclass(frozen=True)
class Kernel:
    """What one op type computes.

    A kernel's positional parameters are the op's inputs (a `*args` parameter takes a
    variadic list); its keyword-only parameters are the attrs it reads.
    """

    op_type: str
    fn: Callable
    kind: str
    input_names: tuple[str, ...]
    variadic: bool
    attr_names: frozenset[str]
    static: frozenset[int]
    stateful: bool
    shape_fn: Callable | None
    where: str
    state: str | None = None
    refs: tuple[tuple[int, str], ...] = ()
    static_attr: str | None = None
    shape_only: bool = False
    refs_attr: str | None = None
    outputs_then_refs: bool = False

    def refs_of(self, attrs=None) -> tuple[tuple[int, str], ...]:
        """(input index, mode) of every ref input, given the node's attrs."""
        if self.refs_attr and attrs:
            return self.refs + tuple((i, READ_WRITE) for i in attrs.get(self.refs_attr, ()))
        return self.refs

    def ref_mode(self, index: int, attrs=None) -> str | None:
        """How input `index` is used if it is a variable's edge (None: a plain read)."""
        for i, mode in self.refs_of(attrs):
            if i == index:
                return mode
        return None

    def is_static_input(self, index: int, attrs=None) -> bool:
        """Whether input `index` must be known at compile time (given the node's attrs)."""
        if index in self.static or (self.variadic and "*" in self.static):
            return True
        return bool(self.static_attr and attrs and index in attrs.get(self.static_attr, ()))


_KERNELS: dict[str, Kernel] = {}


def register(
    op_type: str,
    *,
    kind: str = XLA,
    static: tuple[str, ...] = (),
    stateful: bool = False,
    shape: Callable | None = None,
    state: str | None = None,
    refs: dict[str, str] | None = None,
    static_attr: str | None = None,
    shape_only: bool = False,
    refs_attr: str | None = None,
    outputs_then_refs: bool = False,
) -> Callable[[Callable], Callable]:
    """Registers `fn` as the kernel of `op_type`.

    Args:
      op_type: the TensorFlow op type name, e.g. "MatMul".
      kind: "xla" (a pure jax function, compiled) or "host" (runs in Python on numpy).
      static: names of inputs that must be known when the segment is compiled (TF's
        HostMemory inputs: axes, shapes, permutations); the kernel gets them as numpy.
        "*" marks every input of a variadic kernel static.
      stateful: the op has side effects, so it is never folded or merged away.
      shape: `shape(specs, attrs, static_values) -> list[Spec]`, for kernels that
        `jax.eval_shape` cannot describe (all host kernels) or as a fast rule.
      state: VARIABLE for variable nodes, RNG for kernels that consume randomness,
        RESOURCE for kernels that make a session resource.
      refs: input name -> WRITE / READ_WRITE / PROBE for inputs that are variable refs,
        HANDLE for inputs that are resource handles.
        A kernel that writes one ref returns its new value (also the op's output); one
        that writes several returns a tuple of their new values in `refs` order (the op's
        output is the first) and needs a `shape` function.
      static_attr: an attr of the kernel listing further static input positions, for ops
        whose static inputs depend on the node (a variadic op's last input, a VJP node).
      shape_only: the kernel reads only its inputs' shapes (Shape, Size, Rank): its value
        is known at trace time whatever its inputs' values are.
      refs_attr: an attr of the node listing the inputs that are variables it updates
        (READ_WRITE), for functional ops whose bodies assign variables. Such a kernel
        returns its outputs followed by the new values of those variables, in order.
      outputs_then_refs: the kernel returns its outputs followed by the new values of the
        refs it writes (implied by `refs_attr`), for ops whose output is not the new
        value (CountUpTo outputs the old one).
    """
    if kind not in (XLA, HOST):
        raise ValueError(f"kernel kind must be 'xla' or 'host', got {kind!r}")
    if kind == HOST and shape is None:
        raise ValueError(f"host kernel {op_type!r} needs a shape function")
    caller = sys._getframe(1)
    where = f"{caller.f_code.co_filename}:{caller.f_lineno}"

    def decorate(fn: Callable) -> Callable:
        kernel = _make_kernel(
            op_type,
            fn,
            kind,
            static,
            stateful or bool(state or refs),
            shape,
            where,
            skip_key=state in (RNG, RESOURCE),
        )
        unknown = set(refs or ()) - set(kernel.input_names)
        if unknown:
            raise ValueError(
                f"kernel {op_type!r}: ref inputs {sorted(unknown)} are not inputs "
                f"(inputs: {list(kernel.input_names)})"
            )
        ref_modes = tuple((kernel.input_names.index(n), m) for n, m in (refs or {}).items())
        _add(
            replace(
                kernel,
                state=state,
                refs=ref_modes,
                static_attr=static_attr,
                shape_only=shape_only,
                refs_attr=refs_attr,
                outputs_then_refs=outputs_then_refs or bool(refs_attr),
            )
        )
        return fn

    return decorate


def _make_kernel(op_type, fn, kind, static, stateful, shape, where, skip_key=False) -> Kernel:
    params = inspect.signature(fn).parameters.values()
    positional = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if skip_key:  # an RNG kernel's first parameter is its key (a resource's: its name)
        positional = positional[1:]
    variadic = any(p.kind is p.VAR_POSITIONAL for p in params)
    attrs = frozenset(p.name for p in params if p.kind is p.KEYWORD_ONLY)
    unknown = set(static) - set(positional) - {"*"}
    if unknown:
        raise ValueError(f"kernel {op_type!r}: static inputs {sorted(unknown)} are not inputs")
    static_idx = frozenset(positional.index(s) if s != "*" else "*" for s in static)
    return Kernel(
        op_type, fn, kind, tuple(positional), variadic, attrs, static_idx, stateful, shape, where
    )


def _add(kernel: Kernel) -> None:
    first = _KERNELS.get(kernel.op_type)
    if first is not None:
        raise KeyError(
            f"op type {kernel.op_type!r} already has a kernel, registered at {first.where}"
        )
    _KERNELS[kernel.op_type] = kernel


def lookup(op_type: str) -> Kernel:
    """Returns the kernel of `op_type`; KeyError naming the op type if there is none."""
    try:
        return _KERNELS[op_type]
    except KeyError:
        raise KeyError(f"no kernel is registered for op type {op_type!r}") from None


def all_kernels() -> dict[str, Kernel]:
    """Every registered kernel, by op type."""
    return dict(_KERNELS)


def static_key(value: Any) -> Any:
    """A hashable stand-in for a static value (numpy arrays hash by dtype, shape, bytes)."""
    if isinstance(value, np.ndarray):
        return StaticArray(value)
    return value


class StaticArray:
    """A numpy array usable as a `jax.jit` static argument and a cache key."""

    __slots__ = ("array", "_key")

    def __init__(self, array: np.ndarray):
        self.array = array
        self._key = (array.dtype.str, array.shape, array.tobytes())

    def __hash__(self) -> int:
        return hash(self._key)

    def __eq__(self, other) -> bool:
        return isinstance(other, StaticArray) and self._key == other._key

    def __repr__(self) -> str:
        return f"StaticArray({self.array!r})"
