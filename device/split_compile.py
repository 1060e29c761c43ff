"""Compiling a very large segment as a chain of smaller XLA executables.

XLA:CPU's thunk runtime orders a program's thunks with an execution graph that it builds
when the executable is created, at compile time and again when one is loaded from the
persistent compile cache: an edge for every pair of thunks that touch the same buffer
(buffers are reused, so a chain of n layers has O(n^2) of them), then a transitive
reduction. For the 5,000-op graph of `benchmarks/graph_build.py` (3,332 thunks) that is
70% of loading its executable, 3.4-5 s of CPU, and a warm process saved nothing (8.3 s of
CPU cold and warm); linking the executable's object code takes ~1%.

A segment of at least `MIN_NODES` nodes is traced once to a jaxpr; when that has more
than `CHUNK_EQUATIONS` equations and no effects, its equations are cut in program order
into chunks of about that many, each compiled (and cached) as its own executable, called
in turn. The cost of each graph falls with the square of its size, and so does much of
XLA's compile time. Values crossing a cut are the ones XLA would hold anyway; each is
donated to the last chunk that reads it, as are the segment's donated arguments.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Sequence

import jax
from jax.extend import core

# Segments this large (in graph nodes) are traced first to see whether to split them;
# FLOWGRAPH_SPLIT_COMPILE_MIN_NODES overrides (read at import; a huge value: never split).
MIN_NODES = int(os.environ.get("FLOWGRAPH_SPLIT_COMPILE_MIN_NODES", "1500"))
# Jaxpr equations per executable (~500 thunks here: found in the cache and loaded in ~0.1 s).
CHUNK_EQUATIONS = 1000

_DEBUG_INFO = core.DebugInfo("jit", "a chunk of a segment", None, None)


def jit(
    fn: Callable,
    *,
    size: int,
    static_argnums: Sequence[int] = (),
    donate_argnums: Sequence[int] = (),
    out_shardings=None,
    compiler_options: dict | None = None,
) -> Callable:
    """`jax.jit(fn, ...)` for a segment of `size` nodes; for one of at least `MIN_NODES`
    (placed on the default device), a call whose program is large runs as a chain of
    executables, one chain per distinct signature (shapes, dtypes, static arguments)."""
    whole = jax.jit(
        fn,
        static_argnums=static_argnums,
        donate_argnums=donate_argnums,
        out_shardings=out_shardings,
        compiler_options=compiler_options,
    )
    if size < MIN_NODES or out_shardings is not None:
        return whole
    static = frozenset(static_argnums)
    chains: dict[tuple, Callable] = {}

    def call(*args):
        key = tuple(a if i in static else _signature(a) for i, a in enumerate(args))
        chain = chains.get(key)
        if chain is None:
            chain = chains[key] = _chain(fn, whole, args, static, donate_argnums, compiler_options)
        return chain(*args)

    return call


def _signature(value) -> Any:
    """What a jitted function's compiled program depends on in a non-static argument."""
    if hasattr(value, "shape"):
        return value.shape, value.dtype
    leaves, tree = jax.tree.flatten(value)
    if leaves == [value]:  # a Python scalar: traced by its type
        return type(value)
    return tree, tuple(_signature(leaf) for leaf in leaves)


def _chain(fn, whole, args, static, donated, options) -> Callable:
    """The callable for `args`' signature: a chain of executables, or `whole` when the
    program is small or has effects."""
    closed, out_shape = jax.make_jaxpr(fn, static_argnums=tuple(static), return_shape=True)(*args)
    if closed.effects or len(closed.jaxpr.eqns) <= CHUNK_EQUATIONS:
        return whole
    dynamic = [i for i in range(len(args)) if i not in static]
    owner = [i for i in dynamic for _ in jax.tree.leaves(args[i])]  # each invar's argument
    donated_vars = {v for v, i in zip(closed.jaxpr.invars, owner) if i in donated}
    chunks = steps(closed, donated_vars, options)
    invars, outvars = closed.jaxpr.invars, closed.jaxpr.outvars
    tree = jax.tree.structure(out_shape)
    consts = dict(zip(closed.jaxpr.constvars, closed.consts))  # a result may be one

    def run(*args):
        env: dict[Any, Any] = dict(consts)
        env.update(zip(invars, jax.tree.leaves([args[i] for i in dynamic])))
        for step, ins, outs in chunks:
            env.update(zip(outs, step(*[env.pop(v) if drop else env[v] for v, drop in ins])))
        return jax.tree.unflatten(tree, [_read(env, v) for v in outvars])

    return run


def steps(closed, donated: set, options, make: Callable | None = None) -> list[tuple]:
    """Each chunk's jitted function, its inputs (var, last use here) and its outputs.
    `make(chunk, donate_argnums=..., compiler_options=...)` jits a chunk's `ClosedJaxpr`
    instead where given (`device/executable_cache.py`, which compiles ahead of time)."""
    jaxpr = closed.jaxpr
    eqns = jaxpr.eqns
    n = -(-len(eqns) // CHUNK_EQUATIONS)
    size = -(-len(eqns) // n)
    chunks = [eqns[i : i + size] for i in range(0, len(eqns), size)]
    last = _last_chunk(chunks)
    finals = {v for v in jaxpr.outvars if isinstance(v, core.Var)}
    consts = dict(zip(jaxpr.constvars, closed.consts))
    steps = []
    for c, chunk in enumerate(chunks):
        ins = _inputs(chunk)
        outs = _outputs(chunk, c, last, finals)
        mine = [v for v in ins if v in consts]
        args = [v for v in ins if v not in consts]
        drop = [last.get(v) == c and v not in finals for v in args]
        spent = [v for v, d in zip(args, drop) if d and (v in donated or v not in jaxpr.invars)]
        sub = core.Jaxpr(mine, args, outs, chunk, debug_info=_DEBUG_INFO)
        closed_sub = core.ClosedJaxpr(sub, [consts[v] for v in mine])
        keep = _donations(args, spent, donated, outs)
        jitted = (make or _jit)(closed_sub, donate_argnums=keep, compiler_options=options)
        steps.append((jitted, list(zip(args, drop)), outs))
    return steps


def _jit(chunk, **kwargs) -> Callable:
    return jax.jit(core.jaxpr_as_fun(chunk), **kwargs)


def _last_chunk(chunks) -> dict:
    """Var → index of the last chunk that reads it."""
    last: dict = {}
    for c, chunk in enumerate(chunks):
        for eqn in chunk:
            for v in eqn.invars:
                if isinstance(v, core.Var):
                    last[v] = c
    return last


def _inputs(chunk) -> list:
    """The vars a chunk reads that it does not define, in first-use order."""
    defined, ins = set(), {}
    for eqn in chunk:
        for v in eqn.invars:
            if isinstance(v, core.Var) and v not in defined:
                ins.setdefault(v, None)
        defined.update(eqn.outvars)
    return list(ins)


def _outputs(chunk, c: int, last: dict, finals: set) -> list:
    """The vars a chunk defines that a later chunk or the program's result reads."""
    return [
        v
        for eqn in chunk
        for v in eqn.outvars
        if not isinstance(v, core.DropVar) and (v in finals or last.get(v, c) > c)
    ]


def _donations(args: list, spent: list, donated: set, outs: list) -> tuple[int, ...]:
    """Positions of the spent inputs a chunk donates: each needs an output of its type to
    write (XLA drops the rest, with a warning), and donated arguments (variables updated in
    place) come first."""
    free = [v.aval for v in outs]
    keep = []
    for v in sorted(spent, key=lambda v: v not in donated):
        if v.aval in free:
            free.remove(v.aval)
            keep.append(args.index(v))
    return tuple(sorted(keep))


def _read(env: dict, v) -> Any:
    return v.val if isinstance(v, core.Literal) else env[v]
