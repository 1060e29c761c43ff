"""Running nodes one by one: each node's bound kernel on values held in a frame.

Segments (traced by `jax.jit` or run on the host) and function bodies (cond branches,
loop bodies) all run their nodes through `run_node`.
"""

from __future__ import annotations

import os
import weakref
from typing import Any, Callable, Mapping

import jax
import numpy as np

from device import callbacks
from device.context import NO_CONTEXT, RunContext
from device.ir import Edge, Function, Node, static_closure
from device.store import Store
from kernels import errors
from kernels.registry import HANDLE, PROBE, WRITE, StaticArray


class Frame:
    """Values while nodes run: edges, probe answers, RNG keys, pullbacks; the session's
    store (where handles resolve, host segments only) and the run's context."""

    def __init__(
        self,
        variables: Mapping[str, Node],
        store: Store | None = None,
        ctx: RunContext = NO_CONTEXT,
    ):
        self.env: dict[Edge, Any] = {}
        self.keys: dict[str, Any] = {}
        self.probes: dict[str, Any] = {}
        self.pullbacks: dict[str, tuple] = {}  # forward node -> (pullback, outputs)
        self.variables = variables
        self.store = store
        self.ctx = ctx


class Unset:
    """The value of a variable never assigned, given to an op that may not read it (a cond
    whose taken branch may not): an op that reads it fails, as TF's does."""

    def __init__(self, variable: Node):
        self.variable = variable

    def error(self, node: Node) -> errors.FailedPreconditionError:
        text = f"Attempting to use uninitialized value {self.variable.name}"
        return errors.FailedPreconditionError(node, None, cite(node, text))


def run_node(node: Node, frame: Frame, call: Callable | None = None) -> None:
    """Runs one node's kernel on values from `frame` and stores its outputs there
    (`call(kernel, args, attrs)` in place of the kernel's own function, if given)."""
    kernel = node.kernel
    if kernel.effects.variable:
        return  # its value is already in the frame (read from the store) if anyone needs it
    args = [_input(node, i, e, frame) for i, e in enumerate(node.inputs)]
    attrs = _kernel_attrs(node, frame)
    if kernel.takes_deadline:
        attrs["deadline"] = frame.ctx.deadline
    if kernel.takes_runs:
        attrs["runs"] = frame.store.count_run(node.name) if frame.store is not None else 0
    try:
        out = _call_kernel(node, args, attrs, frame, call)
    except errors.OpError as e:
        if e._node_def is not None and e._node_def is not node:
            raise  # an op of a function body run by this node: it names itself already
        raise type(e)(node, None, cite(node, e.message)) from None
    except Exception as e:
        found = callbacks.raised(e)  # a host op failed in a compiled body run from here
        if found is not None:
            raise found from None
        if not _bad_input(e):
            raise _kernel_bug(node, e) from e  # the cause stays, for whoever fixes it
        raise errors.InvalidArgumentError(node, None, cite(node, str(e))) from None
    outs, new_values = kernel.split_results(out, node.attrs)
    for i, value in enumerate(outs):
        frame.env[(node.name, i)] = value
    for i, value in zip(node.written, new_values):
        frame.env[node.inputs[i]] = value  # the variable's new value


_JAX_DIR = os.path.dirname(os.path.abspath(jax.__file__)) + os.sep


def _bad_input(e: Exception) -> bool:
    """Whether a kernel's exception says its inputs were bad (TF's InvalidArgumentError):
    its own checks raise ValueError (the same checks reject a graph while it is built);
    values fail with IndexError or ZeroDivisionError; jax rejects operands' shapes and
    dtypes with TypeError. Anything else is a bug in the kernel."""
    if isinstance(e, (ValueError, IndexError, ZeroDivisionError)):
        return True
    return isinstance(e, TypeError) and _innermost_file(e).startswith(_JAX_DIR)


def _innermost_file(e: Exception) -> str:
    tb = e.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    return tb.tb_frame.f_code.co_filename


def _kernel_bug(node: Node, e: Exception) -> errors.InternalError:
    return errors.InternalError(
        node,
        None,
        cite(
            node,
            f"the kernel failed with {type(e).__name__}: {e}. This is a bug in "
            f"flowgraph's kernel for {node.op}, not in your graph; please report it.",
        ),
    )


def _call_kernel(node: Node, args: list, attrs: dict, frame: Frame, call) -> Any:
    kernel = node.kernel
    if kernel.effects.rng:
        out, frame.keys[node.name] = kernel.fn(frame.keys[node.name], *args, **attrs)
        return out
    if kernel.effects.makes_resource:
        return frame.store.resource(node, lambda name: kernel.fn(name, *args, **attrs))
    if call is not None:
        return call(kernel, args, attrs)
    return kernel.fn(*args, **attrs)


def _input(node: Node, index: int, edge: Edge, frame: Frame) -> Any:
    mode = node.refs.get(index)
    var = frame.variables.get(edge[0])
    if var is not None:
        if mode == PROBE:  # assigned earlier in this step, or before it
            written = edge in frame.env and type(frame.env[edge]) is not Unset
            return written or frame.probes[var.name]
        if mode == WRITE:
            return frame.env.get(edge) if edge in frame.env else _declared(var)
    value = frame.env[edge]
    if type(value) is Unset and not node.kernel.effects.updates_listed_in:
        raise value.error(node)  # cond and loop ops hand it to their bodies
    if mode == HANDLE:
        try:
            return frame.store.lookup(value)
        except errors.NotFoundError as e:
            raise errors.NotFoundError(node, None, cite(node, e.message)) from None
    if index in node.static_inputs:
        return _static_value(node, index, value)
    return value


def _declared(var: Node) -> jax.ShapeDtypeStruct | None:
    """A stand-in carrying the variable's declared shape, for shape validation."""
    shape = var.attrs.get("shape")
    if shape is None or None in shape:
        return None
    return jax.ShapeDtypeStruct(tuple(shape), var.attrs["dtype"])


def _static_value(node: Node, index: int, value) -> np.ndarray:
    if isinstance(value, jax.core.Tracer):
        names = node.kernel.input_names
        name = names[min(index, len(names) - 1)]
        raise errors.InvalidArgumentError(
            node,
            None,
            cite(
                node,
                f"input '{name}' must be known when the graph is compiled, but it is "
                "computed from values only known at run time. Feed it, or compute it "
                "from constants and tf.shape/tf.size/tf.rank of tensors.",
            ),
        )
    return np.asarray(value.array if isinstance(value, StaticArray) else value)


def cite(node: Node, message: str) -> str:
    """`Op op 'name': message (defined at file:line)`, as errors name a node."""
    where = f" (defined at {node.source})" if node.source else ""
    return f"{node.op} op '{node.name}': {message}{where}"


# -- functions: the sub-graphs of functional ops (cond branches, loop bodies) ---------------

_callables: "weakref.WeakKeyDictionary[Function, Callable]" = weakref.WeakKeyDictionary()
_checked_callables: "weakref.WeakKeyDictionary[Function, Callable]" = weakref.WeakKeyDictionary()


# A node's attrs as its kernel takes them, where none holds a Function: the same every run
# (a host segment runs each node every step; rebuilding them cost ~20 us a dataset step).
_fixed_attrs: "weakref.WeakKeyDictionary[Node, dict | None]" = weakref.WeakKeyDictionary()


def _kernel_attrs(node: Node, frame: Frame) -> dict:
    fixed = _fixed_attrs.get(node, False)
    if fixed is False:
        names = node.kernel.attr_names
        fixed = {k: v for k, v in node.attrs.items() if k in names}
        fixed = _fixed_attrs[node] = None if any(map(holds_function, fixed.values())) else fixed
    if fixed is None:
        names = node.kernel.attr_names
        return {k: _callable_attr(v, frame) for k, v in node.attrs.items() if k in names}
    return dict(fixed)  # the kernel's own: some add the run's deadline or count


def holds_function(value) -> bool:
    """Whether an attr value is a Function or a tuple holding one (at any depth)."""
    return isinstance(value, Function) or (type(value) is tuple and any(map(holds_function, value)))


def _callable_attr(value, frame: Frame):
    """An attr as a kernel gets it: Functions become callables (also inside tuples). In a
    host segment they run with its store and context (a queue op in a cond branch)."""
    if isinstance(value, Function):
        if frame.store is not None:
            run = _runner(value)
            return lambda *args: run(args, frame.store, frame.ctx)
        return function_callable(value)
    if type(value) is tuple and any(type(v) in (Function, tuple) for v in value):
        return tuple(_callable_attr(v, frame) for v in value)
    return value


def function_callable(fn: Function) -> Callable[..., tuple]:
    """`fn` as a jax-traceable `call(*args) -> outputs + written ref values`.

    Runs the body's nodes with the same `run_node` as a segment; nodes whose values feed
    static inputs are evaluated while tracing. Random ops draw from keys folded out of the
    key argument `fn.rng`, one stream per node.
    """
    from device import checks  # it imports this module

    # A body traced inside a segment under checkify adds its checks: a callable of its own,
    # as jax caches what it traced per callable.
    checked = checks.bodies_active()
    cache = _checked_callables if checked else _callables
    call = cache.get(fn)
    if call is None:
        run, check = _runner(fn), checks.check_body if checked else None
        call = cache[fn] = lambda *args: run(args, check=check)
    return call


def _runner(fn: Function) -> Callable[..., tuple]:
    run = _runners.get(fn)
    if run is None:
        run = _runners[fn] = _make_function_runner(fn)
    return run


_runners: "weakref.WeakKeyDictionary[Function, Callable]" = weakref.WeakKeyDictionary()


def _make_function_runner(fn: Function) -> Callable[..., tuple]:
    """`run(args, store=None, ctx=NO_CONTEXT, check=None)`: the body's outputs on `args`
    (`check(nodes, frame, folded)`: adds a traced body's compiled-in checks)."""
    inputs = {name: i for i, name in enumerate(fn.inputs) if name is not None}
    nodes = [n for n in fn.graph.nodes if n.name not in inputs]
    folded = static_closure(nodes)
    variables = {fn.inputs[i]: fn.graph[fn.inputs[i]] for i in fn.refs if fn.inputs[i]}
    rng_nodes = [n for n in nodes if n.kernel.effects.rng]
    traced = [n for n in nodes if n.name not in folded]  # folded host ops run while tracing
    hosts = callbacks.HostGroups(traced, lambda e: fn.graph[e[0]].output_dtypes[e[1]], fn.outputs)
    everything = nodes  # traced: host ops as callbacks, string producers inside their readers
    nodes = [n for n in nodes if n.name not in hosts.skipped]
    constants, computed = hoist_constants(everything)  # for runs with no trace under way

    def run(args, store: Store | None = None, ctx: RunContext = NO_CONTEXT, check=None):
        frame = Frame(variables, store, ctx)
        for name, i in inputs.items():
            frame.env[(name, 0)] = args[i]
        if rng_nodes:
            key = jax.random.wrap_key_data(args[fn.rng], impl="threefry2x32")
            for j, node in enumerate(rng_nodes):
                frame.keys[node.name] = jax.random.key_data(jax.random.fold_in(key, j))
        if check is None and eager():  # a dataset function, a host segment's cond body
            frame.env.update(constants)
            for node in computed:
                run_node(node, frame)
        elif hosts and _tracing():
            _run_with_callbacks(nodes, frame, folded, hosts.groups)
        else:  # run eagerly (a host segment's cond, a dataset function): node by node
            run_nodes(everything, frame, folded)
        if check is not None:
            check(nodes, frame, folded)
        outs = tuple(frame.env[e] for e in fn.outputs)
        written = tuple(
            frame.env[(fn.inputs[i], 0)] if fn.inputs[i] is not None else args[i] for i in fn.writes
        )
        return outs + written

    return run


def _tracing() -> bool:
    # Inside a jax trace every new array is a tracer, even one built from constants.
    return not eager() and isinstance(jax.numpy.zeros(()), jax.core.Tracer)


try:  # jax exports no cheaper test than making an array (~30 us, more under load)
    from jax._src.core import EvalTrace as _EvalTrace
    from jax._src.core import unsafe_get_current_trace as _current_trace
except ImportError:  # pragma: no cover (another jax: every run takes the general path)
    _EvalTrace, _current_trace = (), lambda: None  # never eager


def eager() -> bool:
    """Whether no jax trace is under way (jax's evaluating trace is the current one, as
    outside any `jit`, `vmap` or `grad`): nodes then run one by one as plain calls, with
    nothing to name (`jax.named_scope`) or fold at compile time."""
    return type(_current_trace()) is _EvalTrace


def hoist_constants(nodes) -> tuple[dict[Edge, Any], list[Node]]:
    """The outputs of the Const nodes among `nodes` (the same values every run: a Const's
    kernel hands out its attr), computed once; and the other nodes, in order. A host
    segment or a dataset function runs every node per call: ~1-2 us each, more under load."""
    constants: dict[Edge, Any] = {}
    rest = []
    for node in nodes:
        if node.op == "Const" and not node.inputs:
            frame = Frame({})
            run_node(node, frame)
            constants.update(frame.env)
        else:
            rest.append(node)
    return constants, rest


def _run_with_callbacks(nodes, frame: Frame, folded, groups: Mapping[str, tuple]) -> None:
    for node in nodes:
        group = groups.get(node.name)
        if group is None:
            run_nodes((node,), frame, folded)
            continue
        with jax.named_scope(node.name):
            outs = callbacks.run_group(group, frame.env, _run_on_host)
        frame.env.update(((node.name, i), value) for i, value in enumerate(outs))


def _run_on_host(node: Node, env: dict) -> None:
    frame = Frame({})
    frame.env = env
    run_node(node, frame)


def run_nodes(nodes, frame: Frame, folded=frozenset(), calls: Mapping[str, Callable] = {}):
    """Traces `nodes` in order, each under its name; `folded` ones at compile time, and
    `calls[name](kernel, args, attrs)` in place of a node's kernel where given."""
    for node in nodes:
        with jax.named_scope(node.name):
            if node.name in folded:
                run_folded(node, frame)
            else:
                run_node(node, frame, calls.get(node.name))


def run_folded(node: Node, frame: Frame) -> None:
    """The one constant folder: runs `node` now, even while tracing, so that its outputs
    are concrete values (static inputs need them when the code is compiled)."""
    with jax.ensure_compile_time_eval():
        run_node(node, frame)


def fold(node: Node, values: list) -> tuple:
    """`node`'s outputs on the known values of its inputs (folding while a graph is built)."""
    frame = Frame({})
    frame.env.update(zip(node.inputs, values))
    run_folded(node, frame)
    return tuple(frame.env[(node.name, i)] for i in range(len(node.output_dtypes)))
