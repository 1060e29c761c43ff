"""Lowering: a segment becomes one callable, a `jax.jit` function (xla) or a host loop.

A segment that touches state reads its variables' buffers and RNG keys from the session's
store, returns the new ones (donating the old buffers) and commits them, all under the
store's lock. A host segment with a queue or reader op, which may wait for another run,
takes the lock node by node, never while such an op waits. Host segments take the run's
context (`device.context.RunContext`) as their first argument.

An xla segment with nodes the compiled-in checks watch (`device.checks`) also returns
their reports (and, for nodes inside its bodies, checkify's error value); its callable
raises a failed check's error after the step. Checked values fed from the host are read
there (`checks.HostChecks`), and the segment compiles no check for them.

An xla segment on the CPU whose output is a written variable's new value
(`sess.run(v.assign_add(1))`: the same traced value) returns it once, as the variable's new
state; in its output's place the program returns a marker naming the write (`_alias`), and
the callable puts there the new buffer read as a numpy array (no copy on the CPU) while it
holds the store's lock: a second output was a copy XLA made and a second array jax made,
each call. The fetch is then the session's to copy (as it copies any fetch it is handed
read-only), and a step that donates the buffer before that (a later step of the run, a run
in another thread) leaves it be: a buffer numpy reads is not donated (the step writes a new
one).
"""

from __future__ import annotations

import functools
import operator
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import jax
import numpy as np
from jax.sharding import SingleDeviceSharding

from device import checks, collective, compile_options, executable_cache, split_compile
from device.context import RunContext
from device.interpret import (
    Frame,
    Unset,
    hoist_constants,
    holds_function,
    run_node,
    run_nodes,
)
from device.ir import Node
from device.linearize import linearizing, pulling_back
from device.partition import Segment
from device.store import Store, resource_name
from kernels import errors, registry
from kernels.registry import PROBE, READ_WRITE, WRITE, StaticArray

SegmentFn = Callable[..., tuple]


@dataclass(frozen=True)
class StateUse:
    """The state nodes touch, in the order a segment's function takes and returns it."""

    reads: tuple[Node, ...] = ()  # variables whose current value is needed
    probes: tuple[Node, ...] = ()  # variables asked "initialized?"
    rngs: tuple[Node, ...] = ()  # nodes that consume their RNG key
    writes: tuple[Node, ...] = ()  # variables assigned (their final values are committed)
    resources: bool = False  # some node makes or uses a session resource (it may block)

    @property
    def empty(self) -> bool:
        return not (self.reads or self.probes or self.rngs or self.writes)

    @property
    def arity(self) -> int:
        return len(self.reads) + len(self.probes) + len(self.rngs)


_NO_STATE = StateUse()


def node_use(node: Node, variables: Mapping[str, Node], outputs) -> StateUse:
    """The state one node touches: the one walk over its ref inputs. A variable node
    reads itself when one of `outputs` is its value."""
    effects = node.kernel.effects
    if effects.variable:
        return StateUse(reads=(node,) if (node.name, 0) in outputs else ())
    if not (variables or effects.rng or effects.makes_resource or effects.resources):
        return _NO_STATE  # most nodes of most segments: no walk over the inputs
    reads, probes, writes = {}, {}, {}
    for i, (producer, _) in enumerate(node.inputs):
        var = variables.get(producer)
        mode = node.refs.get(i)
        if var is None:
            continue
        if mode == PROBE:
            probes[producer] = var
            continue
        if mode != WRITE:
            reads[producer] = var
        if mode in (WRITE, READ_WRITE):
            writes[producer] = var
    return StateUse(
        tuple(reads.values()),
        tuple(probes.values()),
        (node,) if effects.rng else (),
        tuple(writes.values()),
        effects.makes_resource or bool(effects.resources),
    )


def state_use(segment: Segment) -> StateUse:
    """Which variables a segment reads before writing, writes, probes; which nodes use RNG."""
    reads: dict[str, Node] = {}
    probes: dict[str, Node] = {}
    writes: dict[str, Node] = {}
    rngs: list[Node] = []
    resources = False
    for node in segment.nodes:
        use = node_use(node, segment.variables, segment.outputs)
        if use is _NO_STATE:
            continue
        reads.update((v.name, v) for v in use.reads if v.name not in writes)
        probes.update((v.name, v) for v in use.probes)
        writes.update((v.name, v) for v in use.writes)
        rngs.extend(use.rngs)
        resources |= use.resources
    return StateUse(
        tuple(reads.values()),
        tuple(probes.values()),
        tuple(rngs),
        tuple(writes.values()),
        resources,
    )


def lower(segment: Segment, store: Store | None = None) -> SegmentFn:
    """Returns `fn(*inputs) -> outputs` for `segment` (inputs and outputs in its order);
    a host segment's `fn(ctx, *inputs)` also takes the run's context."""
    use = state_use(segment)
    if store is None and not (use.empty and not use.resources):
        raise ValueError("a segment that touches variables, RNG state or resources needs a store")
    if use.resources and not use.empty:
        return _lower_host_resources(segment, store)
    watched, bodies, shapes, host, origins = (), False, [], None, []
    aliased: list[int] = []  # the output positions where a trace returned an `_alias`
    if segment.kind == registry.HOST:
        fn = _lower_host(segment, use, store)
    else:
        watched = checks.checked(segment.nodes, segment.folded)
        bodies = checks.bodies_checked(segment.nodes)
        if not (bodies or segment.static) and collective.mesh_of(segment) is None:
            host = checks.host_checks(watched, segment.inputs, use.arity)
        fn = _lower_xla(segment, use, watched, bodies, shapes, host, origins, aliased)
    if not use.empty:
        on_host = segment.kind == registry.HOST
        lazy = _lazy(segment)
        unset = _eager(segment, use, store, on_host, watched, bodies, host) if lazy else None
        fn = _with_store(fn, use, store, on_host, unset, aliased)
    if watched or bodies:
        fn = checks.raising(fn, watched, bodies, host)  # `checks.deferred` waits (`Plan.run`)
    fn.input_shapes = shapes  # per compile of an xla segment: its inputs' shapes (explain)
    fn.cache_origins = origins  # and where its executables came from (executable_cache)
    fn.aliased_outputs = aliased  # the outputs a trace returned as writes (`_alias`)
    return fn


def _lazy(segment: Segment) -> bool:
    """Whether some variable the segment reads is read only by cond and loop ops (If,
    Case, While), which may not run the body that reads it (TF's `initialized_value`:
    `cond(is_variable_initialized(v), v.read_value, lambda: v.initial_value)`)."""
    readers: dict[str, bool] = {}
    for node in segment.nodes:
        functional = bool(node.kernel.effects.updates_listed_in)
        for v in node_use(node, segment.variables, segment.outputs).reads:
            readers[v.name] = readers.get(v.name, True) and functional
    return any(readers.values())


def _eager(
    segment, use: StateUse, store: Store, host: bool, watched, bodies, checker=None
) -> SegmentFn:
    """The segment run node by node with jit off, so that a cond runs its taken branch
    only: for a step where a variable read lazily (`_lazy`) is unset. Its value is an
    `Unset`, which fails the op of a body that reads it, as TF fails that op."""
    tail = (np.zeros(1, np.int32),) * bool(watched) + (None,) * bodies  # no check failed

    def run(*args):
        context, args = (args[:1], args[1:]) if host else ((RunContext(),), args)
        frame = _load_frame(Frame(segment.variables, store, context[0]), segment, use, args, _own)
        with jax.disable_jit():
            for node in segment.nodes:
                _run_timed(node, frame)
        outs, values, keys = _results(frame, segment, use)
        if not (host or (checker is not None and checker.on_host)):  # `checks.raising` drops it
            outs += tail
        return outs, tuple(map(_to_device, values)), keys

    return run


def _own(value) -> Any:
    return value if isinstance(value, Unset) else _to_numpy(value)


def _load_frame(frame: Frame, segment: Segment, use: StateUse, args: tuple, to_value) -> Frame:
    """Fills `frame` from a segment function's arguments: state first, then inputs."""
    n_reads, n_probes, n_rngs = len(use.reads), len(use.probes), len(use.rngs)
    frame.env.update(((v.name, 0), to_value(a)) for v, a in zip(use.reads, args))
    frame.probes.update((v.name, a) for v, a in zip(use.probes, args[n_reads:]))
    frame.keys.update((n.name, a) for n, a in zip(use.rngs, args[n_reads + n_probes :]))
    inputs = args[n_reads + n_probes + n_rngs :]
    for e, a in zip(segment.inputs, inputs):
        frame.env[e] = to_value(a.array if isinstance(a, StaticArray) else a)
    return frame


def _results(
    frame: Frame, segment: Segment, use: StateUse, reports: tuple = (), aliased=None
) -> tuple:
    """A segment function's results: its outputs (then `reports`) and, if it touches state,
    its writes' new values and its new RNG keys. With `aliased` (a trace's list), an output
    that is a write's new value is `_alias` of that write (its position is added to
    `aliased`)."""
    outs = tuple(frame.env[e] for e in segment.outputs)
    if use.empty:
        return outs + reports  # reports: after outputs
    values = tuple(frame.env[(v.name, 0)] for v in use.writes)
    if aliased is not None and values:
        written = {id(value): j for j, value in enumerate(values)}
        positions = [i for i, out in enumerate(outs) if id(out) in written]
        if positions:
            outs = tuple(_alias(written[id(o)]) if id(o) in written else o for o in outs)
            aliased[:] = sorted(set(aliased).union(positions))
    return outs + reports, values, tuple(frame.keys[n.name] for n in use.rngs)


def _alias(index: int) -> tuple:
    """In a segment program's outputs: the new value of its `index`-th write, returned once
    (as the write). A tuple of `index + 1` Nones: a pytree with no leaves, kept in the
    program's output structure (so in an executable loaded from the cache, its pickled
    output tree) and rebuilt by jax's C++ dispatch (a class of ours registered as a pytree
    node is called back in Python each call, ~0.4 us); no value is such a tuple."""
    return (None,) * (index + 1)


def _lower_xla(
    segment: Segment,
    use: StateUse,
    watched: tuple[Node, ...],
    bodies: bool,
    shapes: list,
    host: checks.HostChecks | None = None,
    origins: list | None = None,
    aliased: list | None = None,
) -> SegmentFn:
    n_state = use.arity
    static_positions = tuple(
        n_state + i for i, e in enumerate(segment.inputs) if e in segment.static
    )
    written = {v.name for v in use.writes}
    donated = tuple(i for i, v in enumerate(use.reads) if v.name in written)
    donated += tuple(len(use.reads) + len(use.probes) + i for i in range(len(use.rngs)))

    hoisted = _hoisted(segment)
    mesh = collective.mesh_of(segment)  # all-reduce mode: one program over the job's mesh
    reductions = collective.reductions(segment) if mesh is not None else {}
    # Outputs that are writes' values come back once (`_alias`), on the CPU (elsewhere,
    # reading one under the lock would wait for the step there); not through shard_map's or
    # checkify's output specs.
    cpu = (segment.device or jax.devices()[0]).platform == "cpu"
    aliasing = aliased if cpu and mesh is None and not bodies else None

    def trace(*args):
        args, constants = (args[: -len(hoisted)], args[-len(hoisted) :]) if hoisted else (args, ())
        shapes.append(tuple(_shape(a) for a in args[use.arity :]))  # jax traces per compile
        frame = _load_frame(Frame(segment.variables), segment, use, args, _same)
        # A node both linearized and pulling back (a VJP of a VJP) is linearized.
        calls = {n: pulling_back(f, frame) for n, f in segment.pullbacks.items()}
        calls.update((n, linearizing(n, wrt, frame)) for n, wrt in segment.linearized.items())
        calls.update((n.name, _given(c)) for n, c in zip(hoisted, constants))
        calls.update(reductions)
        run_nodes(segment.nodes, frame, segment.folded, calls)
        reports = checks.reports(watched, frame, host, args)
        return _results(frame, segment, use, reports, aliasing)

    if bodies:
        trace = checks.checking_bodies(trace, stateful=not use.empty)
    # A segment placed off the default device runs there even when no input is (constants);
    # one holding a collective op, in all-reduce mode, runs on every device of the job.
    placed = None if _is_default(segment.device) else SingleDeviceSharding(segment.device)
    if mesh is not None:
        trace, placed = collective.per_device(trace, mesh, static_positions), None
    may_dot = mesh is None and _may_dot(segment)
    jitted = compile_options.jit(
        functools.partial(split_compile.jit, size=0 if mesh is not None else len(segment.nodes)),
        trace,
        segment.device,
        may_dot,
        static_argnums=static_positions,
        donate_argnums=donated,
        out_shardings=placed,
    )
    plain = mesh is None and not (bodies or static_positions or placed)
    if plain and executable_cache.directory() is not None:
        hooks = _cache_hooks(use, shapes, host, len(hoisted), origins, aliased)
        names = tuple(n.name for n in hoisted)
        jitted = executable_cache.cached(
            jitted, trace, segment, donated=donated, may_dot=may_dot, hoisted=names, hooks=hooks
        )
    if mesh is not None:
        jitted = collective.over_job(jitted, mesh, static_positions, segment)
    if static_positions or not _is_default(segment.device):
        jitted = _with_static_and_device(jitted, static_positions, segment.device)
    jitted = _with_constants(jitted, hoisted, segment.device) if hoisted else jitted
    return host.wrap(jitted) if host is not None else jitted


def _cache_hooks(
    use: StateUse, shapes: list, host, n_hoisted: int, origins, aliased: list | None = None
) -> executable_cache.Hooks:
    """What `trace` records besides the program, for the executable cache to key, keep
    and replay: the inputs' shapes (explain), the host checks' specs and the outputs
    returned as writes (`_alias`: the callable looks there for them)."""

    def capture():
        specs = None if host is None else dict(host.statics)
        return {"host": specs, "aliased": list(aliased or ())}

    def restore(args, meta):
        shapes.append(tuple(_shape(a) for a in args[use.arity : len(args) - n_hoisted]))
        if host is not None:
            host.restored(meta["host"])
        if aliased is not None:
            aliased[:] = sorted(set(aliased).union(meta["aliased"]))

    return executable_cache.Hooks(
        variant=lambda: None if host is None else host.on_host,
        capture=capture,
        restore=restore,
        origins=origins if origins is not None else [],
    )


def _may_dot(segment: Segment) -> bool:
    """Whether the segment holds a dot or convolution op, or a function body that may."""
    return any(
        "MatMul" in n.op
        or "Conv" in n.op
        or n.op == "Einsum"
        or any(map(holds_function, n.attrs.values()))
        for n in segment.nodes
    )


# A constant this large is an argument of the segment's executable, not part of its code:
# embedded, XLA holds it in the HLO, its literal and the executable (a 64 MB initial value
# cost 224 MB where an argument costs its 64).
HOISTED_CONSTANT_BYTES = 1 << 20


def _hoisted(segment: Segment) -> tuple[Node, ...]:
    """The segment's large numeric constants (those not folded into compile-time values)."""
    return tuple(
        n
        for n in segment.nodes
        if n.op == "Const"
        and n.name not in segment.folded
        and n.attrs["value"].dtype.kind in "biufc"
        and n.attrs["value"].nbytes >= HOISTED_CONSTANT_BYTES
    )


def _given(value) -> Callable:
    return lambda kernel, args, attrs: value


def _with_constants(fn: SegmentFn, hoisted: tuple[Node, ...], device) -> SegmentFn:
    """`fn` given the hoisted constants' values: copied to the device for each of its first
    two calls, then kept there. An initializer (run once) holds no copy after it ran; a
    step that uses a large constant copies it to the device once."""
    placed: list = []
    calls = [0]

    def call(*args):
        if placed:
            return fn(*args, *placed)
        values = [jax.device_put(n.attrs["value"], device) for n in hoisted]
        calls[0] += 1
        if calls[0] == 2:
            placed.extend(values)
        return fn(*args, *values)

    return call


def _shape(value) -> tuple | None:
    """An input's shape as traced (None for one that is not an array, e.g. a pytree)."""
    if isinstance(value, StaticArray):
        return value.array.shape
    return getattr(value, "shape", None)


def _same(value):
    return value


def _is_default(device) -> bool:
    return device is None or device == jax.devices()[0]


def _with_static_and_device(jitted, static_positions, device) -> SegmentFn:
    elsewhere = not _is_default(device)  # once: listing jax's devices costs every call

    def call(*args):
        args = list(args)
        for i in static_positions:
            args[i] = StaticArray(np.asarray(args[i]))
        if elsewhere:
            args = [
                a if i in static_positions else jax.device_put(a, device)
                for i, a in enumerate(args)
            ]
        return jitted(*args)

    return call


def _with_store(
    fn: SegmentFn,
    use: StateUse,
    store: Store,
    host: bool,
    unset: SegmentFn | None = None,
    aliased: list | None = None,
) -> SegmentFn:
    """`fn` with its state read from and committed to `store`; `unset` runs the step
    instead when a variable is unset and `unset` takes `Unset` values (see `_eager`).
    The outputs at positions in `aliased` that `fn` returns as `_alias` markers are its
    writes' values, read as numpy arrays under the lock (see the module's note)."""
    aliased = [] if aliased is None else aliased
    written = tuple(v.name for v in use.writes)
    keyed = tuple(n.name for n in use.rngs)
    state = _state_reader(use, store)
    if unset is not None:
        fn, state = _falling_back(fn, state, unset, use, store)

    # The lock taken and released by its methods: a `with` block costs ~0.1 us more a step.
    acquire, release = store.lock.acquire, store.lock.release
    # Where `fn` is the executable cache's: its last program's C++ dispatch, called here.
    entry = getattr(fn, "entry", ())
    one = written[0] if len(written) == 1 else None  # the variable a step writes, if one

    def call(*inputs):
        acquire()
        try:
            if entry:
                try:
                    outs, values, keys = entry[0](*state(), *inputs)
                except (TypeError, ValueError):  # another signature: as `fn` handles it
                    outs, values, keys = fn(*state(), *inputs)
            else:
                outs, values, keys = fn(*state(), *inputs)
            if one:  # (a dict's update from a zip costs ~0.3 us)
                store.variables[one] = values[0]
            elif written:
                store.variables.update(zip(written, values))
            if keyed:
                store.keys.update(zip(keyed, keys))
            if aliased:  # read before another step may donate it (inline: ~0.3 us a call)
                outs = list(outs)
                for i in aliased:
                    out = outs[i]
                    if type(out) is tuple and out and out[0] is None:  # an `_alias`
                        outs[i] = np.asarray(values[len(out) - 1])
        finally:
            release()
        return outs

    def call_host(ctx, *inputs):  # a host segment's first input is the run's context
        with store.lock:
            outs, values, keys = fn(ctx, *state(), *inputs)
            store.variables.update(zip(written, map(_to_device, values)))
            store.keys.update(zip(keyed, keys))
        return outs

    return call_host if host else call


def _state_reader(use: StateUse, store: Store) -> Callable[[], tuple]:
    """A function gathering the state a segment takes, in its order, from `store`. On
    every step: the plain case (variables only, all initialized) is one C call."""
    if use.probes or use.rngs or not use.reads:
        return lambda: (
            *(store.read(v) for v in use.reads),
            *(np.bool_(store.is_initialized(v.name)) for v in use.probes),
            *(store.key(n) for n in use.rngs),
        )
    names = tuple(v.name for v in use.reads)
    get = operator.itemgetter(*names)  # one name: the value itself, not a tuple
    single = len(names) == 1

    def state() -> tuple:
        try:
            values = get(store.variables)
        except KeyError:
            values = None
        if values is None:  # an uninitialized variable: the store names it
            values = tuple(store.read(v) for v in use.reads)
        return (values,) if single else values

    return state


def _falling_back(fn, state, unset: SegmentFn, use: StateUse, store: Store) -> tuple:
    """`fn` and `state` such that a step whose variable is unset runs `unset` with `Unset`
    values instead of failing as it starts. Both are called under the store's lock."""
    falling = []

    def read() -> tuple:
        try:
            return state()
        except errors.FailedPreconditionError:
            falling.append(True)
            stored = store.variables
            return (
                *(stored[v.name] if v.name in stored else Unset(v) for v in use.reads),
                *(np.bool_(store.is_initialized(v.name)) for v in use.probes),
                *(store.key(n) for n in use.rngs),
            )

    def run(*args):
        if falling:
            falling.clear()
            return unset(*args)
        return fn(*args)

    return run, read


def _lower_host_resources(segment: Segment, store: Store) -> SegmentFn:
    """A host segment with queue or reader ops, which may wait on other runs, and state.

    Every other node runs under the store's lock, reading the state it uses just before
    and committing what it changes just after: a waiting op holds no lock, and no run
    reads a value another has changed but not yet committed.
    """
    wanted = set(segment.outputs)
    uses = {n.name: node_use(n, segment.variables, wanted) for n in segment.nodes}
    plain = _PlainRun(segment, store)

    def run(ctx: RunContext, *inputs):
        frame = _load_frame(
            Frame(segment.variables, store, ctx), segment, StateUse(), inputs, _to_numpy
        )
        for node in plain.nodes(frame):
            use = uses[node.name]
            # A waiting op holds no lock; nor does parsing or decoding (no state at all).
            if use.resources or (use.empty and not node.kernel.effects.variable):
                _run_timed(node, frame)
                continue
            with store.lock:
                _load_state(use, frame, store)
                _run_timed(node, frame)
                _commit_state(use, frame, store)
        return tuple(frame.env[e] for e in segment.outputs)

    return run


def _run_timed(node: Node, frame: Frame) -> None:
    timer = frame.ctx.host_timer  # set only by a traced run
    if timer is None:
        run_node(node, frame)
    else:
        timer(node, run_node, frame)


def _load_state(use: StateUse, frame: Frame, store: Store) -> None:
    """Puts the current values of the state one node uses in `frame`."""
    for var in use.reads:
        frame.env[(var.name, 0)] = _to_numpy(store.read(var))
    for var in use.probes:
        frame.probes[var.name] = np.bool_(store.is_initialized(var.name))
    for node in use.rngs:
        frame.keys[node.name] = store.key(node)


def _commit_state(use: StateUse, frame: Frame, store: Store) -> None:
    """Commits the variables one node assigned and its new RNG key."""
    for var in use.writes:
        store.variables[var.name] = _to_device(frame.env[(var.name, 0)])
    for node in use.rngs:
        store.keys[node.name] = frame.keys[node.name]


def _lower_host(segment: Segment, use: StateUse, store: Store | None = None) -> SegmentFn:
    plain = _PlainRun(segment, store)

    def run(ctx: RunContext, *args):
        frame = _load_frame(Frame(segment.variables, store, ctx), segment, use, args, _to_numpy)
        for node in plain.nodes(frame):
            _run_timed(node, frame)
        return _results(frame, segment, use)

    return run


class _PlainRun:
    """What a host segment computes once, not every run: its constants' values (a Const's
    kernel hands out its attr) and the handles of resources that exist already (a queue's,
    a reader's: their names). A queue runner's enqueue ran 6 Const and 3 handle nodes per
    batch, ~30 us of the input thread's time (more under load) that the step waited on.

    A traced run (its context times host nodes) runs every node, for its step stats.
    """

    def __init__(self, segment: Segment, store: Store | None):
        constants, rest = hoist_constants(segment.nodes)
        self.constants, self.all, self.store = constants, segment.nodes, store
        outputs = set(segment.outputs)
        # A resource node with no inputs: its handle is its resource's name (`Store.resource`)
        # once the resource exists; it runs to make the resource (or fail: a closed session).
        self.handles = {}
        for node in rest:
            if node.kernel.effects.makes_resource and not node.inputs and store is not None:
                edge = (node.name, 0)
                if edge not in outputs:
                    name = resource_name(node)
                    self.handles[node.name] = (name, edge, np.array(name.encode(), dtype=object))
        self.rest = tuple(rest)

    def nodes(self, frame: Frame):
        """The nodes `frame`'s run must run, in order (the rest's outputs put in `frame`)."""
        if frame.ctx.host_timer is not None:
            return self.all
        frame.env.update(self.constants)
        if not self.handles:
            return self.rest
        return self._unmade(frame)

    def _unmade(self, frame: Frame):
        handles, exists = self.handles, self.store.exists
        for node in self.rest:
            handle = handles.get(node.name)
            if handle is not None and exists(handle[0]):
                frame.env[handle[1]] = handle[2]
            else:
                yield node


def _to_numpy(value) -> Any:
    return value if isinstance(value, np.ndarray) else np.asarray(value)


def _to_device(value) -> Any:
    """A host segment's new variable value as stored: on the device (strings stay here)."""
    if isinstance(value, np.ndarray) and value.dtype.kind == "O":
        return value
    return jax.device_put(value)
