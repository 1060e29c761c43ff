"""The kernel registry: one kernel per op type, with its kind, static inputs and effects."""

from __future__ import annotations

import inspect
import sys
from dataclasses import dataclass
from typing import Any, Callable, NamedTuple

import numpy as np

XLA = "xla"
HOST = "host"

# How a kernel uses a ref input (a variable's edge or a resource handle); the runtime's view
# of an `Effects` value, by input position.
WRITE = "w"  # overwrites the variable; the kernel returns the new value
READ_WRITE = "rw"  # updates the variable from its old value; returns the new value
PROBE = "probe"  # only asks whether the variable is initialized (gets a bool)
HANDLE = "handle"  # a resource handle: the kernel gets the resource it names (may block on it)


class Spec(NamedTuple):
    """A value's static description: shape (tuple of int/None, or None) and numpy dtype."""

    shape: tuple | None
    dtype: np.dtype


@dataclass(frozen=True)
class Effects:
    """What an op does besides computing its outputs from its inputs' values.

    Refs are named by input; an op that writes refs returns its outputs, then the new
    values of the refs it writes in input order (see `register`).
    """

    variable: bool = False  # the node is a variable: its value lives in the session's store
    writes: tuple[str, ...] = ()  # ref inputs overwritten without being read (Assign)
    updates: tuple[str, ...] = ()  # ref inputs read, then overwritten (AssignAdd, ApplyAdam)
    updates_listed_in: str = ""  # an attr listing more updated input positions (If, While)
    probes: tuple[str, ...] = ()  # ref inputs only asked "initialized?"
    ref_output: bool = False  # output 0 is the first written ref (TF's `Ref(T)` output)
    makes_resource: bool = False  # makes a session resource: `fn(name, *inputs)`, once
    resources: tuple[str, ...] = ()  # handle inputs: the kernel gets the resource; may block
    rng: bool = False  # consumes a per-node RNG key: `fn(key, *inputs) -> (out, new key)`
    side_effects: bool = False  # I/O, printing, checks: never folded away
    shape_only: bool = False  # reads only its inputs' shapes (Shape, Size, Rank)

    @property
    def stateful(self) -> bool:
        """Whether the op touches anything but its inputs (never folded or merged away)."""
        return self not in (PURE, SHAPE_ONLY)

    def ref_names(self) -> dict[str, str]:
        """Input name -> how the op uses it, for every ref input it declares."""
        modes = {n: WRITE for n in self.writes}
        modes.update((n, READ_WRITE) for n in self.updates)
        modes.update((n, PROBE) for n in self.probes)
        modes.update((n, HANDLE) for n in self.resources)
        return modes


PURE = Effects()
SHAPE_ONLY = Effects(shape_only=True)
RNG = Effects(rng=True)
SIDE_EFFECTS = Effects(side_effects=True)
MAKES_RESOURCE = Effects(makes_resource=True)


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
    static: frozenset[int | str]
    shape_fn: Callable | None
    where: str
    effects: Effects = PURE
    ref_modes: tuple[tuple[int, str], ...] = ()  # (input index, mode), in input order
    static_listed_in: str = ""  # an attr listing more static input positions
    takes_deadline: bool = False  # a waiting kernel: gets the run's `deadline=` keyword
    takes_runs: bool = False  # a counting kernel: gets `runs=`, the node's earlier runs

    @property
    def stateful(self) -> bool:
        return self.effects.stateful

    def refs_of(self, attrs=None) -> tuple[tuple[int, str], ...]:
        """(input index, mode) of every ref input, given the node's attrs."""
        listed = self.effects.updates_listed_in
        if listed and attrs:
            return self.ref_modes + tuple((i, READ_WRITE) for i in _listed(attrs, listed))
        return self.ref_modes

    def ref_mode(self, index: int, attrs=None) -> str | None:
        """How input `index` is used if it is a variable's edge (None: a plain read)."""
        for i, mode in self.refs_of(attrs):
            if i == index:
                return mode
        return None

    def written(self, attrs=None) -> list[int]:
        """The input positions of the refs the op writes, in the order it returns them."""
        return [i for i, mode in self.refs_of(attrs) if mode in (WRITE, READ_WRITE)]

    def split_results(self, out: Any, attrs=None) -> tuple[tuple, tuple]:
        """(outputs, new values of the written refs) from what the kernel returned."""
        values = out if isinstance(out, tuple) else (out,)
        if self.effects.ref_output:  # output 0 is the first ref's new value
            return values[:1], values
        n = len(self.written(attrs))
        return (values[:-n], values[-n:]) if n else (values, ())

    def is_static_input(self, index: int, attrs=None) -> bool:
        """Whether input `index` must be known at compile time (given the node's attrs)."""
        if index in self.static or (self.variadic and "*" in self.static):
            return True
        listed = self.static_listed_in
        return bool(listed and attrs and index in _listed(attrs, listed))


def _listed(attrs, path: str) -> tuple:
    """The positions an attr lists: `ATTR`, or `ATTR.FIELD` of an attr of (field, value)
    pairs (a typed attr such as While's `_loop`)."""
    name, _, field = path.partition(".")
    value = attrs.get(name, ())
    return dict(value).get(field, ()) if field else value


_KERNELS: dict[str, Kernel] = {}

# Keywords `register` took before `Effects`: what to write instead.
_REMOVED = {
    "state": "effects=Effects(variable=True | rng=True | makes_resource=True)",
    "refs": "effects=Effects(writes=/updates=/probes=/resources=(input names), ref_output=)",
    "static_attr": 'static=("@ATTR",) (an attr listing static input positions)',
    "shape_only": "effects=SHAPE_ONLY",
    "refs_attr": 'effects=Effects(updates_listed_in="ATTR")',
    "outputs_then_refs": "nothing: it is the one convention (outputs, then written refs)",
    "stateful": "effects=Effects(side_effects=True)",
}


def register(
    op_type: str,
    *,
    kind: str = XLA,
    static: tuple[str, ...] = (),
    shape: Callable | None = None,
    effects: Effects = PURE,
    **removed: Any,
) -> Callable[[Callable], Callable]:
    """Registers `fn` as the kernel of `op_type`.

    Args:
      op_type: the TensorFlow op type name, e.g. "MatMul".
      kind: "xla" (a pure jax function, compiled) or "host" (runs in Python on numpy).
      static: names of inputs that must be known when the segment is compiled (TF's
        HostMemory inputs: axes, shapes, permutations); the kernel gets them as numpy.
        "*" marks every input of a variadic kernel static; "@ATTR" the positions the
        node's attr ATTR lists (a variadic op's last input, a VJP node's), "@ATTR.FIELD"
        those a field of a typed attr lists (While's `_loop.static`).
      shape: `shape(specs, attrs, static_values) -> list[Spec]`, for kernels that
        `jax.eval_shape` cannot describe (all host kernels) or as a fast rule.
      effects: what the op does besides computing outputs (default: nothing).

    One return convention for every kernel: its outputs, then the new values of the refs
    it writes (`writes`, `updates`, `updates_listed_in`), in input order. An output that
    is a ref (`ref_output`) is that ref's new value and is not returned twice.

    | Effects                         | the kernel is called / returns                    |
    |---------------------------------|---------------------------------------------------|
    | PURE (default)                  | `fn(*inputs, **attrs) -> outputs`                 |
    | variable=True                   | never called: the value comes from the store      |
    | writes=/updates=, ref_output    | gets the old values (WRITE: a shape stand-in);    |
    |                                 | returns new ref values (output 0: the first)      |
    | writes=/updates= (no ref_output)| returns outputs + new ref values (CountUpTo)      |
    | updates_listed_in="ATTR"        | as above, refs listed by the node (If, While)     |
    | probes=                         | gets a bool: whether the variable is initialized  |
    | rng=True                        | `fn(key, *inputs) -> (outputs, new key)`          |
    | makes_resource=True             | `fn(name, *inputs)` once per session and name     |
    | resources=                      | gets the resource a handle names (may block); a   |
    |                                 | keyword `deadline` gets the run's deadline        |
    |                                 | (`time.monotonic()` at which waits end, or None)  |
    | (any) with keyword `runs`       | gets how many times the node ran before in this   |
    |                                 | session, counting this run (TF's per-session      |
    |                                 | kernel state: Print's `first_n`)                  |
    | side_effects=True               | as PURE, but never folded away (Print, SaveV2)    |
    | shape_only=True (SHAPE_ONLY)    | as PURE; known at trace time from shapes alone    |
    """
    if removed:
        hints = "; ".join(f"{k}= -> {_REMOVED.get(k, 'not a keyword')}" for k in removed)
        raise TypeError(f"register({op_type!r}): keywords were replaced by Effects: {hints}")
    if kind not in (XLA, HOST):
        raise ValueError(f"kernel kind must be 'xla' or 'host', got {kind!r}")
    if kind == HOST and shape is None:
        raise ValueError(f"host kernel {op_type!r} needs a shape function")
    caller = sys._getframe(1)
    where = f"{caller.f_code.co_filename}:{caller.f_lineno}"

    def decorate(fn: Callable) -> Callable:
        _add(_make_kernel(op_type, fn, kind, static, shape, where, effects))
        return fn

    return decorate


def _make_kernel(op_type, fn, kind, static, shape, where, effects: Effects) -> Kernel:
    params = inspect.signature(fn).parameters.values()
    positional = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if effects.rng or effects.makes_resource:  # the first parameter: its key (or name)
        positional = positional[1:]
    variadic = any(p.kind is p.VAR_POSITIONAL for p in params)
    attrs = frozenset(p.name for p in params if p.kind is p.KEYWORD_ONLY)
    takes_deadline = "deadline" in attrs  # not an attr: the run's deadline (waiting ops)
    takes_runs = "runs" in attrs  # not an attr: the node's runs so far in this session (Print)
    listed = [s[1:] for s in static if s.startswith("@")]
    static = tuple(s for s in static if not s.startswith("@"))
    _check_inputs(op_type, "static inputs", set(static) - {"*"}, positional)
    refs = effects.ref_names()
    _check_inputs(op_type, "ref inputs", set(refs), positional)
    return Kernel(
        op_type,
        fn,
        kind,
        tuple(positional),
        variadic,
        attrs - {"deadline", "runs"},
        frozenset(positional.index(s) if s != "*" else "*" for s in static),
        shape,
        where,
        effects,
        tuple(sorted((positional.index(n), m) for n, m in refs.items())),
        listed[0] if listed else "",
        takes_deadline,
        takes_runs,
    )


def _check_inputs(op_type: str, what: str, names: set[str], inputs: list[str]) -> None:
    unknown = names - set(inputs)
    if unknown:
        raise ValueError(
            f"kernel {op_type!r}: {what} {sorted(unknown)} are not inputs (inputs: {inputs})"
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


def find(op_type: str) -> Kernel | None:
    """The kernel of `op_type`, or None if there is none."""
    return _KERNELS.get(op_type)


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
