"""Lowering: a segment becomes one callable, a `jax.jit` function (xla) or a host loop.

A segment that touches state reads its variables' buffers and RNG keys from the session's
store, returns the new ones (donating the old buffers) and commits them, all under the
store's lock. A host segment with a queue or reader op, which may wait for another run,
takes the lock node by node, never while such an op waits.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any, Callable

import jax
import numpy as np
from jax.sharding import SingleDeviceSharding

from device.ir import Edge, Function, Node
from device.partition import Segment
from device.store import Store
from device.trace import HOST_OP_TIMER
from kernels import errors, gradients, registry
from kernels.registry import (
    HANDLE,
    PROBE,
    READ_WRITE,
    RESOURCE,
    RNG,
    VARIABLE,
    WRITE,
    StaticArray,
)

SegmentFn = Callable[..., tuple]


@dataclass(frozen=True)
class StateUse:
    """The state a segment touches, in the order its function takes and returns it."""

    reads: tuple[Node, ...]  # variables whose current value is needed
    probes: tuple[Node, ...]  # variables asked "initialized?"
    rngs: tuple[Node, ...]  # nodes that consume their RNG key
    writes: tuple[Node, ...]  # variables assigned (their final values are committed)
    resources: bool = False  # some node makes or uses a session resource (it may block)

    @property
    def empty(self) -> bool:
        return not (self.reads or self.probes or self.rngs or self.writes)

    @property
    def arity(self) -> int:
        return len(self.reads) + len(self.probes) + len(self.rngs)


def state_use(segment: Segment) -> StateUse:
    """Which variables a segment reads before writing, writes, probes; which nodes use RNG."""
    reads: dict[str, Node] = {}
    probes: dict[str, Node] = {}
    writes: dict[str, Node] = {}
    rngs: list[Node] = []
    for node in segment.nodes:
        kernel = registry.lookup(node.op)
        if kernel.state == VARIABLE:
            if (node.name, 0) in segment.outputs and node.name not in writes:
                reads.setdefault(node.name, node)
            continue
        if kernel.state == RNG:
            rngs.append(node)
        for i, (producer, _) in enumerate(node.inputs):
            var = segment.variables.get(producer)
            if var is None:
                continue
            mode = kernel.ref_mode(i, node.attrs)
            if mode == PROBE:
                probes[producer] = var
                continue
            if mode != WRITE and producer not in writes:
                reads.setdefault(producer, var)
            if mode in (WRITE, READ_WRITE):
                writes[producer] = var
    resources = any(_uses_resource(registry.lookup(n.op)) for n in segment.nodes)
    return StateUse(
        tuple(reads.values()),
        tuple(probes.values()),
        tuple(rngs),
        tuple(writes.values()),
        resources,
    )


def _uses_resource(kernel) -> bool:
    return kernel.state == RESOURCE or any(mode == HANDLE for _, mode in kernel.refs)


def lower(segment: Segment, store: Store | None = None) -> SegmentFn:
    """Returns `fn(*inputs) -> outputs` for `segment` (inputs and outputs in its order)."""
    use = state_use(segment)
    if store is None and not (use.empty and not use.resources):
        raise ValueError("a segment that touches variables, RNG state or resources needs a store")
    if use.resources and not use.empty:
        return _lower_host_resources(segment, store)
    fn = _lower_stateless(segment, use, store)
    return fn if use.empty else _with_store(fn, use, store, segment.kind)


def _lower_stateless(segment: Segment, use: StateUse, store: Store | None = None) -> SegmentFn:
    if segment.kind == registry.HOST:
        return _lower_host(segment, use, store)
    return _lower_xla(segment, use)


class _Frame:
    """Values while a segment runs: edges, probe answers and RNG keys."""

    store: Store | None = None  # a host segment's session store, where handles resolve

    def __init__(self, segment: Segment, use: StateUse, args: tuple, to_value=lambda a: a):
        n_reads, n_probes, n_rngs = len(use.reads), len(use.probes), len(use.rngs)
        self.variables = segment.variables
        self.env: dict[Any, Any] = {(v.name, 0): a for v, a in zip(use.reads, args)}
        self.probes = {v.name: a for v, a in zip(use.probes, args[n_reads:])}
        self.keys = {n.name: a for n, a in zip(use.rngs, args[n_reads + n_probes :])}
        self.pullbacks: dict[str, tuple] = {}  # forward node -> (pullback, outputs)
        inputs = args[n_reads + n_probes + n_rngs :]
        for e, a in zip(segment.inputs, inputs):
            self.env[e] = to_value(a.array if isinstance(a, StaticArray) else a)

    def results(self, segment: Segment, use: StateUse) -> tuple:
        outs = tuple(self.env[e] for e in segment.outputs)
        if use.empty:
            return outs
        return (
            outs,
            tuple(self.env[(v.name, 0)] for v in use.writes),
            tuple(self.keys[n.name] for n in use.rngs),
        )


def _lower_xla(segment: Segment, use: StateUse) -> SegmentFn:
    n_state = use.arity
    static_positions = tuple(
        n_state + i for i, e in enumerate(segment.inputs) if e in segment.static
    )
    folded = segment.folded
    written = {v.name for v in use.writes}
    donated = tuple(i for i, v in enumerate(use.reads) if v.name in written)
    donated += tuple(len(use.reads) + len(use.probes) + i for i in range(len(use.rngs)))

    linearized, pullbacks = _shared_linearizations(segment.nodes, folded)

    def trace(*args):
        frame = _Frame(segment, use, args)
        for node in segment.nodes:
            with jax.named_scope(node.name):
                if node.name in folded:
                    with jax.ensure_compile_time_eval():
                        run_node(node, frame)
                elif node.name in linearized:
                    run_node(node, frame, _linearizing(node.name, linearized[node.name], frame))
                elif node.name in pullbacks:
                    run_node(node, frame, _pulling_back(pullbacks[node.name], frame))
                else:
                    run_node(node, frame)
        return frame.results(segment, use)

    # A segment placed off the default device runs there even when no input is (constants).
    placed = None if _is_default(segment.device) else SingleDeviceSharding(segment.device)
    jitted = jax.jit(
        trace, static_argnums=static_positions, donate_argnums=donated, out_shardings=placed
    )
    if not static_positions and _is_default(segment.device):
        return jitted
    return _with_static_and_device(jitted, static_positions, segment.device, n_state)


def _is_default(device) -> bool:
    return device is None or device == jax.devices()[0]


def _with_static_and_device(jitted, static_positions, device, n_state: int) -> SegmentFn:
    def call(*args):
        args = list(args)
        for i in static_positions:
            args[i] = StaticArray(np.asarray(args[i]))
        if not _is_default(device):
            args = [
                a if i in static_positions else jax.device_put(a, device)
                for i, a in enumerate(args)
            ]
        return jitted(*args)

    return call


def _with_store(fn: SegmentFn, use: StateUse, store: Store, kind: str) -> SegmentFn:
    commit = _to_device if kind == registry.HOST else (lambda v: v)

    def call(*inputs):
        with store.lock:
            state = [store.read(v) for v in use.reads]
            state += [np.bool_(store.is_initialized(v.name)) for v in use.probes]
            state += [store.key(n) for n in use.rngs]
            outs, values, keys = fn(*state, *inputs)
            for v, value in zip(use.writes, values):
                store.variables[v.name] = commit(value)
            for n, key in zip(use.rngs, keys):
                store.keys[n.name] = key
        return outs

    return call


def _lower_host_resources(segment: Segment, store: Store) -> SegmentFn:
    """A host segment with queue or reader ops, which may wait on other runs, and state.

    Every other node runs under the store's lock, reading the state it uses just before
    and committing what it changes just after: a waiting op holds no lock, and no run
    reads a value another has changed but not yet committed.
    """
    waits = {n.name for n in segment.nodes if _uses_resource(registry.lookup(n.op))}
    stateless = {
        n.name
        for n in segment.nodes
        if registry.lookup(n.op).state not in (VARIABLE, RNG)
        and not any(p in segment.variables for p, _ in n.inputs)
    }
    wanted = set(segment.outputs)
    no_state = StateUse((), (), (), ())

    def run(*inputs):
        frame = _Frame(segment, no_state, inputs, to_value=_to_numpy)
        frame.store = store
        timer = HOST_OP_TIMER.get()  # set only by a traced run
        for node in segment.nodes:
            if node.name in waits or node.name in stateless:  # parsing, decoding: no lock
                _run_timed(node, frame, timer)
                continue
            with store.lock:
                _load_state(node, frame, store, wanted)
                _run_timed(node, frame, timer)
                _commit_state(node, frame, store)
        return tuple(frame.env[e] for e in segment.outputs)

    return run


def _run_timed(node: Node, frame: _Frame, timer) -> None:
    if timer is None:
        run_node(node, frame)
    else:
        timer(node, run_node, frame)


def _load_state(node: Node, frame: _Frame, store: Store, wanted: set) -> None:
    """Puts the current values of the variables, probes and RNG key `node` uses in `frame`."""
    kernel = registry.lookup(node.op)
    if kernel.state == VARIABLE:
        if (node.name, 0) in wanted:
            frame.env[(node.name, 0)] = _to_numpy(store.read(node))
        return
    for i, (producer, _) in enumerate(node.inputs):
        var = frame.variables.get(producer)
        if var is None:
            continue
        mode = kernel.ref_mode(i, node.attrs)
        if mode == PROBE:
            frame.probes[producer] = np.bool_(store.is_initialized(producer))
        elif mode != WRITE:
            frame.env[(producer, 0)] = _to_numpy(store.read(var))
    if kernel.state == RNG:
        frame.keys[node.name] = store.key(node)


def _commit_state(node: Node, frame: _Frame, store: Store) -> None:
    """Commits the variables `node` assigned and its new RNG key."""
    kernel = registry.lookup(node.op)
    for i, mode in kernel.refs_of(node.attrs):
        var = node.inputs[i][0]
        if mode in (WRITE, READ_WRITE) and var in frame.variables:
            store.variables[var] = _to_device(frame.env[node.inputs[i]])
    if kernel.state == RNG:
        store.keys[node.name] = frame.keys[node.name]


def _lower_host(segment: Segment, use: StateUse, store: Store | None = None) -> SegmentFn:
    def run(*args):
        frame = _Frame(segment, use, args, to_value=_to_numpy)
        frame.store = store
        for key in list(frame.env):
            frame.env[key] = _to_numpy(frame.env[key])
        timer = HOST_OP_TIMER.get()  # set only by a traced run
        for node in segment.nodes:
            if timer is None:
                run_node(node, frame)
            else:
                timer(node, run_node, frame)
        return frame.results(segment, use)

    return run


def _to_numpy(value) -> Any:
    return value if isinstance(value, np.ndarray) else np.asarray(value)


def _to_device(value) -> Any:
    """A host segment's new variable value as stored: on the device (strings stay here)."""
    if isinstance(value, np.ndarray) and value.dtype.kind == "O":
        return value
    return jax.device_put(value)


def _shared_linearizations(nodes: list[Node], folded) -> tuple[dict, dict]:
    """Forward nodes whose VJP nodes run in the same segment: the forward is linearized
    once (`jax.vjp`) and each VJP node applies its pullback instead of recomputing it.

    Returns ({forward name: wrt}, {VJP name: forward name}).
    """
    by_name = {n.name: n for n in nodes}
    linearized: dict[str, tuple] = {}
    pullbacks: dict[str, str] = {}
    for node in nodes:
        forward = by_name.get(node.attrs.get("forward_node", "")) if node.op == "VJP" else None
        if forward is None or forward.name in folded or node.name in folded:
            continue
        n = node.attrs["num_inputs"]
        wrt = node.attrs["wrt"]
        if node.inputs[:n] != forward.inputs or linearized.get(forward.name, wrt) != wrt:
            continue
        kernel = registry.lookup(forward.op)
        if kernel.state is not None or (kernel.refs and not kernel.outputs_then_refs):
            continue
        linearized[forward.name] = wrt
        pullbacks[node.name] = forward.name
    return linearized, pullbacks


def _linearizing(name: str, wrt: tuple, frame) -> Callable:
    def call(kernel, args, attrs):
        out, pull, written = gradients.linearize(kernel, attrs, args, wrt)
        frame.pullbacks[name] = (pull, out)
        if kernel.outputs_then_refs:
            return tuple(out) + tuple(written)
        return out

    return call


def _pulling_back(forward: str, frame) -> Callable:
    def call(kernel, args, attrs):
        pull, out = frame.pullbacks[forward]
        return gradients.pull_back(pull, out, args[attrs["num_inputs"] :])

    return call


def run_node(node: Node, frame: _Frame, call: Callable | None = None) -> None:
    """Runs one node's kernel on values from `frame` and stores its outputs there
    (`call(kernel, args, attrs)` in place of the kernel's own function, if given)."""
    kernel = registry.lookup(node.op)
    if kernel.state == VARIABLE:
        return  # its value is already in the frame (read from the store) if anyone needs it
    env = frame.env
    args = [_input(node, kernel, i, e, frame) for i, e in enumerate(node.inputs)]
    attrs = {k: _callable_attr(v) for k, v in node.attrs.items() if k in kernel.attr_names}
    try:
        if kernel.state == RNG:
            out, frame.keys[node.name] = kernel.fn(frame.keys[node.name], *args, **attrs)
        elif kernel.state == RESOURCE:
            out = frame.store.resource(node, lambda name: kernel.fn(name, *args, **attrs))
        elif call is not None:
            out = call(kernel, args, attrs)
        else:
            out = kernel.fn(*args, **attrs)
    except errors.OpError as e:
        raise type(e)(node, None, _cite(node, e.message)) from None
    except (ValueError, TypeError, IndexError, ZeroDivisionError) as e:
        raise errors.InvalidArgumentError(node, None, _cite(node, str(e))) from None
    written = [i for i, mode in kernel.refs_of(node.attrs) if mode in (WRITE, READ_WRITE)]
    if kernel.outputs_then_refs:  # its outputs, then the written refs' new values
        cut = len(out) - len(written)
        outs, new_values = out[:cut], out[cut:]
    elif len(written) > 1:  # one new value per written ref, in `refs` order; output 0 first
        new_values, outs = out, out[:1]
    else:
        outs = out if isinstance(out, tuple) else (out,)
        new_values = outs[:1]
    for i, value in enumerate(outs):
        env[(node.name, i)] = value
    for i, value in zip(written, new_values):
        env[node.inputs[i]] = value  # the variable's new value


def _input(node: Node, kernel, index: int, edge: Edge, frame: _Frame) -> Any:
    var = frame.variables.get(edge[0])
    if var is not None:
        mode = kernel.ref_mode(index, node.attrs)
        if mode == PROBE:
            return edge in frame.env or frame.probes[var.name]
        if mode == WRITE:
            return frame.env.get(edge) if edge in frame.env else _declared(var)
    value = frame.env[edge]
    if kernel.refs and kernel.ref_mode(index) == HANDLE:
        try:
            return frame.store.lookup(value)
        except errors.NotFoundError as e:
            raise errors.NotFoundError(node, None, _cite(node, e.message)) from None
    if kernel.is_static_input(index, node.attrs):
        return _static_value(node, kernel, index, value)
    return value


def _declared(var: Node) -> jax.ShapeDtypeStruct | None:
    """A stand-in carrying the variable's declared shape, for shape validation."""
    shape = var.attrs.get("shape")
    if shape is None or None in shape:
        return None
    return jax.ShapeDtypeStruct(tuple(shape), var.attrs["dtype"])


def _static_value(node: Node, kernel, index: int, value) -> np.ndarray:
    if isinstance(value, jax.core.Tracer):
        name = kernel.input_names[min(index, len(kernel.input_names) - 1)]
        raise errors.InvalidArgumentError(
            node,
            None,
            _cite(
                node,
                f"input '{name}' must be known when the graph is compiled, but it is "
                "computed from values only known at run time. Feed it, or compute it "
                "from constants and tf.shape/tf.size/tf.rank of tensors.",
            ),
        )
    return np.asarray(value)


def _cite(node: Node, message: str) -> str:
    where = f" (defined at {node.source})" if node.source else ""
    return f"{node.op} op '{node.name}': {message}{where}"


# -- functions: the sub-graphs of functional ops (cond branches, loop bodies) ---------------

_callables: "weakref.WeakKeyDictionary[Function, Callable]" = weakref.WeakKeyDictionary()


def _callable_attr(value):
    """An attr as a kernel gets it: Functions become callables (also inside tuples)."""
    if isinstance(value, Function):
        return function_callable(value)
    if type(value) is tuple and any(type(v) in (Function, tuple) for v in value):
        return tuple(_callable_attr(v) for v in value)
    return value


def function_callable(fn: Function) -> Callable[..., tuple]:
    """`fn` as a jax-traceable `call(*args) -> outputs + written ref values`.

    Runs the body's nodes with the same `run_node` as a segment; nodes whose values feed
    static inputs are evaluated while tracing. Random ops draw from keys folded out of the
    key argument `fn.rng`, one stream per node.
    """
    call = _callables.get(fn)
    if call is not None:
        return call
    inputs = {name: i for i, name in enumerate(fn.inputs) if name is not None}
    nodes = [n for n in fn.graph.nodes if n.name not in inputs]
    folded = _static_closure(nodes, inputs)
    variables = {fn.inputs[i]: fn.graph[fn.inputs[i]] for i in fn.refs if fn.inputs[i]}
    rng_nodes = [n for n in nodes if registry.lookup(n.op).state == RNG]

    def call(*args):
        frame = _FunctionFrame(variables)
        for name, i in inputs.items():
            frame.env[(name, 0)] = args[i]
        if rng_nodes:
            key = jax.random.wrap_key_data(args[fn.rng], impl="threefry2x32")
            for j, node in enumerate(rng_nodes):
                frame.keys[node.name] = jax.random.key_data(jax.random.fold_in(key, j))
        for node in nodes:
            with jax.named_scope(node.name):
                if node.name in folded:
                    with jax.ensure_compile_time_eval():
                        run_node(node, frame)
                else:
                    run_node(node, frame)
        outs = tuple(frame.env[e] for e in fn.outputs)
        written = tuple(
            frame.env[(fn.inputs[i], 0)] if fn.inputs[i] is not None else args[i] for i in fn.writes
        )
        return outs + written

    _callables[fn] = call
    return call


class _FunctionFrame:
    """Values while a function body is traced (the body's own edges and RNG keys)."""

    store: Store | None = None

    def __init__(self, variables: dict[str, Node]):
        self.env: dict[Any, Any] = {}
        self.keys: dict[str, Any] = {}
        self.variables = variables
        self.probes: dict[str, Any] = {}


def _static_closure(nodes: list[Node], inputs: dict[str, int]) -> frozenset[str]:
    """Body nodes whose values some static input needs (evaluated while tracing)."""
    by_name = {n.name: n for n in nodes}
    stack = [
        e[0]
        for n in nodes
        for i, e in enumerate(n.inputs)
        if registry.lookup(n.op).is_static_input(i, n.attrs)
    ]
    needed: set[str] = set()
    while stack:
        name = stack.pop()
        if name in needed or name not in by_name:
            continue
        needed.add(name)
        if not registry.lookup(by_name[name].op).shape_only:
            stack.extend(e[0] for e in by_name[name].inputs)
    return frozenset(needed)
