"""Function bodies: the sub-graphs that cond branches and loop bodies are built into.

A `FuncGraph` is a Graph built inside another (its `outer_graph`). An op in the body that
reads a tensor of an enclosing graph captures it: the body gets a placeholder, and the
functional op that holds the body takes the outer tensor as an input. Small constants are
copied instead, so values that must be known when the body is compiled (shapes, axes)
stay known. `to_function` freezes a finished body into the runtime's `Function`.
"""

from __future__ import annotations

import itertools
import re
import weakref
from typing import Sequence

import numpy as np
from tensorboard.compat.proto import function_pb2

from device import callbacks
from device.ir import Function, GraphIR, Node
from flowgraph.framework import dtypes, tf_function_def
from flowgraph.framework.ops import Graph, Operation, Tensor, branch_value_outside, encloses
from kernels import registry

_COPIED_CONSTANT_SIZE = 1024  # constants up to this many elements are copied, not captured


class FuncGraph(Graph):
    """The graph of one function body, built while `outer_graph` is being built.

    It shares the outer graph's collections (so `tf.trainable_variables()` and the variable
    store work inside a body), its seed and its current name scope.
    """

    def __init__(self, name: str, outer_graph: Graph):
        super().__init__()
        self.name = name
        self.outer_graph = outer_graph
        self._collections = outer_graph._collections
        self._seed = outer_graph._seed
        self._gradient_override_map = dict(outer_graph._gradient_override_map)
        self._local.name_stack = outer_graph._local.name_stack
        self._building_function = True
        self.captures: dict[Tensor, Tensor] = {}  # tensor of outer_graph -> its placeholder
        self.control_captures: list[Operation] = []  # ops of outer_graph to run first
        self.inputs: list[Tensor] = []  # the explicit arguments' placeholders
        # Variables read here are read where the body runs, not captured as values (a loop
        # condition reading a variable its body assigns).
        self.live_reads = False

    def capture(self, tensor: Tensor) -> Tensor:
        """The body's stand-in for `tensor` of an enclosing graph."""
        if tensor.graph is self:
            return tensor
        if tensor.graph is not self.outer_graph:
            if not encloses(tensor.graph, self.outer_graph):
                outside = branch_value_outside(tensor, self)  # of a cond built before
                if outside is tensor:
                    raise ValueError(f"Tensor {tensor} is not an element of this graph.")
                return self.capture(outside)
            tensor = self.outer_graph.capture(tensor)
        inner = self.captures.get(tensor)
        if inner is not None:
            return inner
        source = _variable_read(tensor) if self.live_reads else None
        if source is not None:  # read the variable each time the body runs: it sees updates
            source = self.capture(source)
            with self.as_default(), self.control_dependencies(None), self.name_scope(None):
                inner = self.captures[tensor] = _read_again(tensor.op, source)
            return inner
        with self.as_default(), self.control_dependencies(None), self.name_scope(None):
            value = _small_constant(tensor)
            if value is not None:
                inner = _constant(value, tensor.dtype)
                self.captures[tensor] = inner  # memoised, but not an input of the op
                return inner
            inner = _placeholder(tensor)
        self.captures[tensor] = inner
        return inner

    def add_argument(self, dtype: dtypes.DType, shape, name: str) -> Tensor:
        """A placeholder for the function's next explicit argument."""
        with self.as_default(), self.control_dependencies(None), self.name_scope(None):
            ph = _apply_placeholder(dtypes.as_dtype(dtype).base_dtype, shape, name)
        self.inputs.append(ph)
        return ph

    def control_dependencies(self, control_inputs):
        """Control dependencies on ops of enclosing graphs become dependencies of the
        functional op (they run before the body); the rest apply inside the body."""
        if control_inputs is None:
            return super().control_dependencies(None)
        inner = []
        for c in control_inputs:
            op = c.op if isinstance(c, Tensor) else c
            if isinstance(op, Operation) and op.graph is not self and encloses(op.graph, self):
                self._capture_control(op)
            else:
                inner.append(c)
        return super().control_dependencies(inner)

    def _capture_control(self, op: Operation) -> None:
        if op.graph is not self.outer_graph:
            self.outer_graph._capture_control(op)  # the enclosing op will wait for it
            return
        if op not in self.control_captures:
            self.control_captures.append(op)

    @property
    def captured_outer(self) -> list[Tensor]:
        """The outer tensors the body reads, in capture order (constants excluded)."""
        return [t for t, ph in self.captures.items() if ph.op.type == "Placeholder"]

    def written_captures(self) -> set[Tensor]:
        """The captured variables (ref tensors of the outer graph) the body assigns."""
        by_placeholder = {ph: t for t, ph in self.captures.items()}
        written = set()
        for op in self._ops:
            kernel = registry.lookup(op.type)
            for i in kernel.written(op._attrs):
                if op.inputs[i] in by_placeholder:
                    written.add(by_placeholder[op.inputs[i]])
        return written

    def uses_rng(self) -> bool:
        """Whether any op of the body draws random numbers."""
        return any(registry.lookup(op.type).effects.rng for op in self._ops)

    def host_ops(self) -> list[Operation]:
        """Ops of the body that cannot be compiled (host kernels, strings)."""
        return [op for op in self._ops if _on_host(op)]

    def uncompilable_ops(self, results=()) -> list[Operation]:
        """Host ops of the body that cannot run as host callbacks in compiled code either
        (those need only their inputs' values, take strings only from other host ops and
        have outputs of known shapes); all host ops if a string is among `results`."""
        hosts = self.host_ops()
        if any(t is not None and t.dtype.base_dtype == dtypes.string for t in results):
            return hosts
        return [op for op in hosts if not _callback(op)] + self._static_from_arguments()

    def _static_from_arguments(self) -> list[Operation]:
        """Ops with an input that must be known when compiled (`x[:t]`'s end) computed from
        the values of the explicit arguments (a loop variable): the body must run op by op,
        where each step's values are known, as TF's loops run any shape each step."""
        arguments = {t.op for t in self.inputs}
        found = []
        for op in self._ops:
            kernel = registry.lookup(op.type)
            static = [t for i, t in enumerate(op.inputs) if kernel.is_static_input(i, op._attrs)]
            if any(_reads_values_of(t, arguments) for t in static):
                found.append(op)
        return found


def _reads_values_of(t: Tensor, ops: set) -> bool:
    """Whether `t` is computed from the values (not only the shapes) of `ops`' outputs."""
    stack, seen = [t.op], set()
    while stack:
        op = stack.pop()
        if op in ops:
            return True
        if op in seen or op.type in ("Shape", "Size", "Rank", "ShapeN"):
            continue
        seen.add(op)
        stack.extend(i.op for i in op.inputs)
    return False


def _on_host(op: Operation) -> bool:
    if registry.lookup(op.type).kind == registry.HOST or op._attrs.get("_host"):
        return True  # a cond or loop run from the host (its body has host ops) is one too
    return any(t.dtype.base_dtype == dtypes.string for t in op.outputs) or any(
        t.dtype.base_dtype == dtypes.string for t in op.inputs
    )


def _callback(op: Operation) -> bool:
    if op._attrs.get("_host") or not callbacks.callable_kernel(registry.lookup(op.type)):
        return False
    if callbacks.counts_runs(op.type, op._attrs):
        return False
    for t in op.inputs:
        if t.dtype.base_dtype == dtypes.string and t.op.type == "Placeholder":
            return False  # a string argument or capture: strings cannot enter compiled code
    if op.type in callbacks.PASSTHROUGH:
        return True
    return all(
        t.dtype.base_dtype == dtypes.string or t.shape.is_fully_defined() for t in op.outputs
    )


def to_function(
    graph: FuncGraph,
    arguments: Sequence[Tensor | None],
    outputs: Sequence[Tensor],
    op_inputs: Sequence[Tensor],
    writes: Sequence[int],
    rng: int | None,
) -> Function:
    """Freezes `graph` into a Function called with the functional op's inputs.

    `arguments[i]` is the body's placeholder for the op's i-th function argument (None if
    unused); the op's captured inputs follow, matched by outer tensor through `op_inputs`.
    """
    names = [a.op.name if a is not None else None for a in arguments]
    refs = []
    for i, outer in enumerate(op_inputs[len(arguments) :], start=len(arguments)):
        ph = graph.captures.get(outer)
        names.append(ph.op.name if ph is not None and ph.op.type == "Placeholder" else None)
        if outer.dtype._is_ref_dtype:
            refs.append(i)
    return Function(
        name=graph.name,
        graph=graph._as_ir(),
        inputs=tuple(names),
        outputs=tuple((t.op.name, t.value_index) for t in outputs),
        refs=tuple(refs),
        writes=tuple(writes),
        rng=rng,
    )


def _variable_read(tensor: Tensor) -> Tensor | None:
    """The variable (ref or handle) that `tensor` reads, if it is a variable's read op."""
    op = tensor.op
    if op.type == "Identity" and op.inputs[0].dtype._is_ref_dtype:
        return op.inputs[0]
    if op.type == "ReadVariableOp":
        return op.inputs[0]
    return None


def _read_again(op: Operation, source: Tensor) -> Tensor:
    from flowgraph.framework.ops import apply_op

    attr = "T" if op.type == "Identity" else "dtype"
    return apply_op(op.type, [source], name="read", **{attr: op._attrs[attr]})


def _small_constant(tensor: Tensor):
    # Floating-point constants stay inputs of the op: gradients with respect to them pass
    # through the body (TF's do). Others are copied: static inputs (shapes) may need them.
    if tensor.op.type != "Const" or tensor.dtype._is_ref_dtype or _differentiable(tensor):
        return None
    value = tensor.op._attrs.get("value")
    if value is None or np.size(value) > _COPIED_CONSTANT_SIZE:
        return None
    return value


def _differentiable(tensor: Tensor) -> bool:
    return tensor.dtype.base_dtype.is_floating or tensor.dtype.base_dtype.is_complex


def _constant(value, dtype: dtypes.DType) -> Tensor:
    from flowgraph.ops.constant_op import constant

    return constant(value, dtype=dtype.base_dtype)


def _placeholder(tensor: Tensor) -> Tensor:
    ph = _apply_placeholder(tensor.dtype.base_dtype, tensor._shape_tuple, "captured")
    if tensor.dtype._is_ref_dtype:
        ph._dtype = tensor.dtype  # the body assigns through it: it stands for the variable
    return ph


def _apply_placeholder(dtype: dtypes.DType, shape, name: str) -> Tensor:
    from flowgraph.ops.array_ops import placeholder

    return placeholder(dtype, shape, name=name)


# -- functions in a GraphDef's library ---------------------------------------------------------
#
# A Function becomes a FunctionDef: one NodeDef per body node (with its output types and
# shapes, so reading it back needs no shape inference), `ret` naming the outputs, and attrs
# recording which arguments the body binds and which carry variables or the RNG key.

_function_names: "weakref.WeakKeyDictionary[Function, str]" = weakref.WeakKeyDictionary()


def _function_name(fn: Function) -> str:
    name = _function_names.get(fn)
    if name is None:
        base = re.sub(r"[^A-Za-z0-9_]", "_", fn.name.strip("/")) or "fn"
        name = _function_names[fn] = f"{base}_{next(_function_ids)}"
    return name


_function_ids = itertools.count()


def to_function_def(fn: Function, library) -> function_pb2.FunctionDef:
    """The FunctionDef of `fn` in TensorFlow's conventions (functions it calls go into
    `library` too): arguments by name, outputs as `node:output_arg:index`."""
    from flowgraph.framework import graph_def

    fdef = function_pb2.FunctionDef()
    fdef.signature.name = _function_name(fn)
    nodes = fn.graph.by_name
    arguments = {name: f"arg{i}" for i, name in enumerate(fn.inputs) if name is not None}

    def ref(name: str, index: int) -> str:
        if name in arguments:
            return arguments[name]
        return f"{name}:{tf_function_def.output_name(nodes[name].op, nodes[name].attrs, index)}"

    for i, name in enumerate(fn.inputs):
        arg = fdef.signature.input_arg.add(name=f"arg{i}")
        if name is not None:
            arg.type = dtypes.as_dtype(nodes[name].output_dtypes[0]).as_datatype_enum
            shapes = fdef.arg_attr[i].attr["_output_shapes"].list.shape
            shapes.add().CopyFrom(graph_def._shape_proto(nodes[name].output_shapes[0]))
    for j, (name, index) in enumerate(fn.outputs):
        dtype = dtypes.as_dtype(nodes[name].output_dtypes[index]).as_datatype_enum
        fdef.signature.output_arg.add(name=f"out{j}", type=dtype)
        fdef.ret[f"out{j}"] = ref(name, index)
    for node in fn.graph.nodes:
        if node.name in arguments:
            continue  # an argument's placeholder: TF names the argument itself
        nd = fdef.node_def.add(name=node.name, op=node.op, device=node.device)
        nd.input.extend(ref(*e) for e in node.inputs)
        nd.input.extend("^" + c for c in node.control_inputs if c not in arguments)
        for key, value in node.attrs.items():
            nd.attr[key].CopyFrom(graph_def.attr_value(value, key, library))
        nd.attr["_output_types"].list.type.extend(
            dtypes.as_dtype(d).as_datatype_enum for d in node.output_dtypes
        )
        nd.attr["_output_shapes"].list.shape.extend(
            graph_def._shape_proto(s) for s in node.output_shapes
        )
    fdef.attr["_inputs"].list.s.extend((n or "").encode() for n in fn.inputs)
    fdef.attr["_refs"].list.i.extend(fn.refs)
    fdef.attr["_writes"].list.i.extend(fn.writes)
    fdef.attr["_rng"].i = -1 if fn.rng is None else fn.rng
    return fdef


def from_function_def(name: str, library) -> Function:
    """The Function `name` of `library` (written by `to_function_def`, or by flowgraph
    versions that kept argument placeholders as nodes and named outputs `node:index`)."""
    fdef = next((f for f in library.function if f.signature.name == name), None)
    if fdef is None:
        raise ValueError(f"function '{name}' is not in the graph's function library")
    inputs = tuple(n.decode() or None for n in fdef.attr["_inputs"].list.s)
    by_name = {nd.name: nd for nd in fdef.node_def}
    arguments = {f"arg{i}": n for i, n in enumerate(inputs) if n is not None}

    def edge(ref: str) -> tuple[str, int]:
        if ref in arguments:
            return arguments[ref], 0
        parts = ref.split(":")
        if len(parts) == 2:
            return parts[0], int(parts[1])
        return parts[0], tf_function_def.output_index(by_name[parts[0]], parts[1], int(parts[2]))

    nodes = [_argument_node(fdef, i, n) for i, n in enumerate(inputs) if n and n not in by_name]
    nodes += [_node(nd, edge, library) for nd in fdef.node_def]
    count = fdef.attr["_outputs"].i if "_outputs" in fdef.attr else len(fdef.signature.output_arg)
    rng = fdef.attr["_rng"].i
    return Function(
        name=name,
        graph=GraphIR(tuple(nodes)),
        inputs=inputs,
        outputs=tuple(edge(fdef.ret[a.name]) for a in fdef.signature.output_arg[:count]),
        refs=tuple(fdef.attr["_refs"].list.i),
        writes=tuple(fdef.attr["_writes"].list.i),
        rng=None if rng < 0 else rng,
    )


def _argument_node(fdef, index: int, name: str) -> Node:
    from flowgraph.framework import graph_def

    dtype = dtypes.as_dtype(fdef.signature.input_arg[index].type).numpy_dtype
    shape = graph_def._shape(fdef.arg_attr[index].attr["_output_shapes"].list.shape[0])
    return Node(
        name=name,
        op="Placeholder",
        attrs={"dtype": dtype, "shape": shape},
        output_dtypes=(dtype,),
        output_shapes=(shape,),
    )


def _node(nd, edge, library) -> Node:
    from flowgraph.framework import graph_def

    attrs = {
        k: graph_def.attr_python(v, k, library)
        for k, v in nd.attr.items()
        if k not in ("_output_types", "_output_shapes")
    }
    attrs = tf_function_def.loop_outputs(attrs, nd.op)
    return Node(
        name=nd.name,
        op=nd.op,
        inputs=tuple(edge(i) for i in nd.input if not i.startswith("^")),
        control_inputs=tuple(i[1:] for i in nd.input if i.startswith("^")),
        attrs=attrs,
        device=nd.device,
        output_dtypes=tuple(
            dtypes.as_dtype(t).numpy_dtype for t in nd.attr["_output_types"].list.type
        ),
        output_shapes=tuple(graph_def._shape(s) for s in nd.attr["_output_shapes"].list.shape),
    )


def _register_codec() -> None:
    from flowgraph.framework import graph_def

    graph_def.register_function_codec(
        graph_def.FunctionCodec(Function, to_function_def, from_function_def)
    )


_register_codec()
