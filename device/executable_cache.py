"""The executable cache: compiled segments kept on disk, found again without tracing.

jax's persistent compilation cache (`flowgraph/compile_cache.py`) saves XLA's compile, but
a new process still traces every segment to a jaxpr and lowers it to find its entry: for
the 5,000-op graph of `benchmarks/graph_build.py` that is most of a warm first run. This
cache sits above it. An xla segment's first call with a signature (its arguments' shapes,
dtypes and weak types) computes a key (`device/fingerprint.py`: the segment's nodes and
everything else its trace reads, flowgraph's own code, jax's version, the device, the
compile options, the arguments' donation) and looks for the entry under that key:

- found: the serialized executables are loaded (`jax.experimental.serialize_executable`)
  with what the runtime took from the trace (the outputs' structure, a chain's wiring and
  donations, the host checks' specs); the segment is neither traced nor lowered;
- not found: the segment is traced once, its options picked (`compile_options.pick`), and
  compiled whole or as a chain (`split_compile.steps`) ahead of time; the executables are
  written (to a temporary file, then renamed) for the next process.

An entry that cannot be read (cut short, corrupt, made by another jaxlib) is compiled
again and rewritten; each holds a digest of its contents, checked before anything is
loaded. Entries live in `executables/` of the compile cache's directory and share its
switch: `configure(None)` (`FLOWGRAPH_COMPILE_CACHE=0`) turns this cache off too.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import hashlib
import math
import os
import pickle
import tempfile
from dataclasses import dataclass, field
from typing import Any, Callable

import jax
import numpy as np
from jax._src import config as jax_config  # a thread's own setting: `_fresh`
from jax.experimental import serialize_executable
from jax.extend import core

from device import compile_options, fingerprint, split_compile
from device.partition import Segment
from kernels.native import onednn

_FORMAT = b"flowgraph-executable-1\n"
_DIGEST = 32  # bytes of blake2b over the pickled entry
_root: list[str | None] = [None]  # the compile cache's directory (None: off)


def configure(path: str | None) -> str | None:
    """Keeps entries in `path`/executables (None: the cache is off); returns the path
    configured before."""
    before, _root[0] = _root[0], path
    if path is not None:
        fingerprint.prefetch()  # every key reads it: computed while the graph is built
    return before


def directory() -> str | None:
    """Where entries are kept, or None when the cache is off."""
    return None if _root[0] is None else os.path.join(_root[0], "executables")


@dataclass
class Hooks:
    """What the runtime takes from a segment's trace besides its program. `variant()` is
    state the trace reads (part of the key); `capture()` after a trace returns what it
    recorded, and `restore(args, meta)` records it again for a loaded entry. `origins`
    says where each signature's executables came from, in the order compiled: "loaded"
    (this cache), "compiled" (and written), "compiled, not cached" (no key, or not
    serializable)."""

    variant: Callable[[], Any]
    capture: Callable[[], Any]
    restore: Callable[[tuple, Any], None]
    origins: list[str] = field(default_factory=list)


def cached(
    fallback: Callable,
    trace: Callable,
    seg: Segment,
    *,
    donated: tuple[int, ...],
    may_dot: bool,
    hoisted: tuple[str, ...],
    hooks: Hooks,
) -> Callable:
    """The segment's callable: each signature's program loaded from the cache, or traced
    from `trace` and compiled ahead of time (and cached). Arguments on another device than
    the default go to `fallback` (the segment's `jax.jit`), as do all of a job's processes
    (`jax.process_count() > 1`: the first device is not every process's own)."""
    if jax.process_count() > 1:
        return fallback
    programs: dict[tuple, Callable] = {}
    last: list[Callable] = []
    key_of = _keys(seg, donated, may_dot, hoisted, hooks)
    options = compile_options.for_device(None)

    def slow(args):
        sig = _signature(args)
        if sig is None:
            return fallback(*args)
        program = programs.get(sig)
        if program is None:
            build = _Build(trace, args, donated, may_dot, len(seg.nodes), options)
            program, entry = _program(build, key_of(args), hooks)
            programs[sig] = program
            if entry is not None:  # loaded: what its trace recorded comes from the entry
                hooks.restore(args, entry["meta"])  # (raises where a host check fails)
        outs = program(*args)
        last[:] = [] if isinstance(program, _Chain) else [_entry_point(program)]
        return outs

    def call(*args):
        if last:
            try:  # one executable (not a chain) checks its arguments before it runs
                return last[0](*args)
            except (TypeError, ValueError):  # another signature (a new batch size)
                pass
        return slow(args)

    # The last program's entry point (empty for a chain): a caller may call it first, as
    # `call` does, one Python frame less (`device.lower._with_store`).
    call.entry = last
    return call


def _entry_point(program: Callable) -> Callable:
    """What calling `program` (a `jax.stages.Compiled`, called once) calls: its C++
    dispatch (`PjitFunction`, the fast path `jax.jit` takes), without `Compiled.__call__`'s
    Python frame in front (~1 us of a ~20 us scalar call). It checks the arguments' types
    as `program` does (TypeError for another signature)."""
    inner = getattr(program, "_call", None)  # made by the first call (jax 0.4.x to 0.10)
    return inner if callable(inner) else program


def _keys(seg: Segment, donated, may_dot: bool, hoisted, hooks) -> Callable[[tuple], str | None]:
    """`key(args)`: the entry's name for a call's arguments (None: the segment has an attr
    with no stable digest). The segment's own part is computed once."""
    memo: list = []

    def key(args) -> str | None:
        if not memo:
            try:
                memo.append(fingerprint.digest(fingerprint.segment(seg, hoisted)))
            except fingerprint.Unhashable:
                memo.append(None)
        if memo[0] is None:
            return None
        options = compile_options.for_device(None)
        split = (split_compile.MIN_NODES, split_compile.CHUNK_EQUATIONS)
        extra = (donated, may_dot, options, split, hooks.variant(), _signature(args))
        return fingerprint.digest([memo[0], fingerprint.environment(), repr(extra)])

    return key


def _signature(args: tuple) -> tuple | None:
    """What an executable's code depends on in the arguments (None: some argument is on
    another device than the default, or is not an array)."""
    default = jax.devices()[0]
    sig = []
    for a in args:
        if isinstance(a, jax.Array):
            if a.is_fully_addressable and a.devices() != {default}:
                return None
            sig.append((a.shape, a.dtype, a.weak_type))
        elif hasattr(a, "shape") and hasattr(a, "dtype"):
            sig.append((a.shape, a.dtype, False))
        else:
            return None
    return tuple(sig)


@dataclass
class _Build:
    trace: Callable
    args: tuple
    donated: tuple[int, ...]
    may_dot: bool
    size: int
    options: dict | None


def _program(build: _Build, key: str | None, hooks: Hooks) -> tuple[Callable, Any]:
    """The program for one signature and the entry it was loaded from under `key` (whose
    records the caller restores), else compiled and written (and None)."""
    path = None if key is None or directory() is None else os.path.join(directory(), key)
    entry = _read(path) if path else None
    if entry is not None:
        try:
            program = _load(entry)
        except Exception:  # noqa: BLE001 -- an entry another jaxlib wrote: compile again
            program = None
        if program is not None:
            hooks.origins.append("loaded")
            return program, entry
    program, parts = _compile(build)
    written = False
    if path is not None and parts is not None:
        written = _write(path, {**parts, "meta": hooks.capture()})
    hooks.origins.append("compiled" if written else "compiled, not cached")
    return program, None


def _compile(build: _Build) -> tuple[Callable, dict | None]:
    """Traces once and compiles ahead of time: the program, and its entry's parts (None
    when an executable cannot be serialized, e.g. one with host callbacks)."""
    traced = jax.jit(_named(build.trace), donate_argnums=build.donated).trace(*build.args)
    closed = traced.jaxpr
    options = build.options
    if options is not None and build.may_dot:
        options = compile_options.pick(options, closed)
    chain = None
    if build.size >= split_compile.MIN_NODES and not closed.effects:
        if len(closed.jaxpr.eqns) > split_compile.CHUNK_EQUATIONS:
            chain = _Chain.trace(closed, traced.out_info, build.args, build.donated, options)
    if chain is None:
        with _fresh():
            compiled = traced.lower().compile(compiler_options=options)
        return compiled, _serialized(lambda: {"whole": _serialize(compiled)})
    return chain, _serialized(lambda: {"chain": chain.entry()})


def _named(fn: Callable) -> Callable:
    """`fn` under a name that only this cache compiles (its jax module `jit_flowgraph_aot`)."""

    def flowgraph_aot(*args):
        return fn(*args)

    return flowgraph_aot


@contextlib.contextmanager
def _fresh():
    """Compiles in XLA, never loads from jax's persistent cache: jaxlib serializes a loaded
    XLA:CPU executable without some of its functions ("Function wrapped_broadcast not
    found" when the copy runs). jax writes no entry (none is ever read: `_named`)."""
    with jax_config.persistent_cache_min_compile_time_secs(math.inf):
        yield


def _serialized(parts: Callable[[], dict]) -> dict | None:
    try:
        return parts()
    except Exception:  # noqa: BLE001 -- host callbacks, const args, ...: not kept
        return None


def _load(entry: dict) -> Callable:
    if "whole" in entry:
        payload, in_tree, out_tree = entry["whole"]
        _register_targets([payload])
        return _deserialize(payload, in_tree, out_tree)
    _register_targets([c[0] for c in entry["chain"]["executables"]])
    return _Chain.load(entry["chain"])


def _register_targets(payloads: list[bytes]) -> None:
    """Registers the FFI targets (oneDNN's convolutions) that the executables call: loaded,
    they find their custom calls by name, and no trace has registered them in this
    process (unregistered, the load fails and the segment compiled again)."""
    if any(t.encode() in p for p in payloads for t in onednn.TARGETS):
        onednn.available()


def _serialize(compiled) -> tuple:
    return serialize_executable.serialize(compiled)


def _deserialize(payload, in_tree, out_tree):
    return serialize_executable.deserialize_and_load(
        payload, in_tree, out_tree, execution_devices=[jax.devices()[0]]
    )


def _deserialize_all(parts: list) -> list:
    """The executables of `parts` (each `_serialize`'s), loaded side by side: XLA releases
    the GIL while it rebuilds an executable (links its code, orders its thunks), so a
    chain's executables load on as many cores as there are, not one after another."""
    workers = min(len(parts), os.cpu_count() or 1)
    if workers < 2:
        return [_deserialize(*c) for c in parts]
    with concurrent.futures.ThreadPoolExecutor(workers, "flowgraph-load") as pool:
        return list(pool.map(lambda c: _deserialize(*c), parts))


class _Chunks:
    """Jits a chain's chunks (`split_compile.steps`), one function for identical chunks
    (the same equations, constants, argument types and donations): compiled and loaded
    once (a chain of identical layers has a few distinct chunks)."""

    def __init__(self):
        self.jitted: dict[tuple, Callable] = {}

    def __call__(self, chunk, donate_argnums, compiler_options) -> Callable:
        identity = (
            str(chunk.jaxpr),
            tuple(v.aval for v in chunk.jaxpr.invars),
            tuple(fingerprint.token(np.asarray(c)) for c in chunk.consts),
            donate_argnums,
            repr(compiler_options),
        )
        if identity not in self.jitted:
            fn = _named(core.jaxpr_as_fun(chunk))
            self.jitted[identity] = jax.jit(
                fn, donate_argnums=donate_argnums, compiler_options=compiler_options
            )
        return self.jitted[identity]


@dataclass
class _Chain:
    """A segment run as a chain of executables (`split_compile`), its values named by
    integers: the constants and literals the program returns, the arguments' leaves, and
    for each step its executable's index in `executables`, the names it reads (with
    whether that is the last read) and the names it writes."""

    consts: dict[int, Any]
    invars: list[int]
    executables: list[Any]
    steps: list[tuple[int, list[tuple[int, bool]], list[int]]]
    outvars: list[int]
    tree: Any

    @classmethod
    def trace(cls, closed, out_info, args, donated, options) -> _Chain:
        jaxpr = closed.jaxpr
        owner = [i for i, a in enumerate(args) for _ in jax.tree.leaves(a)]
        donated_vars = {v for v, i in zip(jaxpr.invars, owner) if i in donated}
        names: dict[Any, int] = {}

        def name(v) -> int:
            return names.setdefault(v, len(names))

        consts = {name(v): c for v, c in zip(jaxpr.constvars, closed.consts)}
        invars = [name(v) for v in jaxpr.invars]
        executables, index, steps = [], {}, []
        for jitted, ins, outs in split_compile.steps(closed, donated_vars, options, _Chunks()):
            if id(jitted) not in index:
                with _fresh():
                    executables.append(jitted.lower(*[_struct(v.aval) for v, _ in ins]).compile())
                index[id(jitted)] = len(executables) - 1
            steps.append(
                (index[id(jitted)], [(name(v), d) for v, d in ins], [name(v) for v in outs])
            )
        outvars = []
        for v in jaxpr.outvars:
            if isinstance(v, core.Literal):
                consts[len(names) + len(outvars)] = v.val
                outvars.append(len(names) + len(outvars))
            else:
                outvars.append(name(v))
        return cls(consts, invars, executables, steps, outvars, jax.tree.structure(out_info))

    def __call__(self, *args):
        env = dict(self.consts)
        env.update(zip(self.invars, jax.tree.leaves(args)))
        run = self.executables
        for step, ins, outs in self.steps:
            env.update(zip(outs, run[step](*[env.pop(v) if drop else env[v] for v, drop in ins])))
        return self.tree.unflatten([env[v] for v in self.outvars])

    def entry(self) -> dict:
        return {
            "consts": {k: jax.device_get(v) for k, v in self.consts.items()},
            "invars": self.invars,
            "executables": [_serialize(c) for c in self.executables],
            "steps": self.steps,
            "outvars": self.outvars,
            "tree": self.tree,
        }

    @classmethod
    def load(cls, entry: dict) -> _Chain:
        executables = _deserialize_all(entry["executables"])
        fields = ("consts", "invars", "steps", "outvars", "tree")
        return cls(**{f: entry[f] for f in fields}, executables=executables)


def _struct(aval) -> jax.ShapeDtypeStruct:
    return jax.ShapeDtypeStruct(aval.shape, aval.dtype, weak_type=aval.weak_type)


def _read(path: str) -> dict | None:
    """The entry at `path`, or None if there is none or it is not whole and ours."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    head, body = data[: len(_FORMAT) + _DIGEST], data[len(_FORMAT) + _DIGEST :]
    if head != _FORMAT + hashlib.blake2b(body, digest_size=_DIGEST).digest():
        return None
    try:
        return pickle.loads(body)
    except Exception:  # noqa: BLE001 -- a class another version pickled: compile again
        return None


def _write(path: str, entry: dict) -> bool:
    """Writes `entry` atomically (a reader sees all of it or none); False if it cannot."""
    try:
        body = pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
    except Exception:  # noqa: BLE001 -- an unpicklable tree or meta, a read-only disk
        return False
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(_FORMAT + hashlib.blake2b(body, digest_size=_DIGEST).digest() + body)
        os.replace(tmp, path)
        return True
    except OSError:
        os.unlink(tmp)
        return False
