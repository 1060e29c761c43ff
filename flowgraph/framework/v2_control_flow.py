"""TF 2.x functional control flow at import: `If`/`While`/`Case` (and their `Stateless`
forms) and `PartitionedCall`s whose bodies are TensorFlow's own FunctionDefs.

`tf.compat.v1` graph code in TF 2.x (control flow v2 on) makes each `tf.cond`/
`tf.while_loop` one functional node naming FunctionDefs of the GraphDef's library, in TF's
conventions: arguments by name, outputs as `node:output_arg:index`, a `While` body taking
and returning every loop input (TF's loop counter and iteration bound first, captured
tensors last), and no output types or shapes on the nodes. Such a node is rebuilt through
`tf.cond`/`tf.case`/`tf.while_loop` whose branches and bodies build the FunctionDef's
nodes on their arguments (a call is built inline), so the result is what those builders
make and its gradients are flowgraph's own.

The variant-handle ops in them are values here: a TensorList is a TensorArray (the lists
of a v2 `dynamic_rnn`; the accumulators TF's gradient pushes in a forward loop and pops
in its `while_grad` loop), and an optional is its value (TF's `If` gradient returns each
branch's intermediates as optionals, empty in the other branch; one whose values differ
in shape between branches is flattened, and a loop accumulating a cond's optionals
accumulates those values).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from flowgraph.framework import dtypes, tensor_shape
from flowgraph.framework.ops import Operation, Tensor, apply_op, constant_value, get_default_graph
from flowgraph.ops import array_ops, control_flow_ops, math_ops
from flowgraph.ops.tensor_array_ops import TensorArray
from kernels import errors

_IF_TYPES = frozenset({"If", "StatelessIf"})
_WHILE_TYPES = frozenset({"While", "StatelessWhile"})
_CASE_TYPES = frozenset({"Case", "StatelessCase"})
_CALL_TYPES = frozenset({"PartitionedCall", "StatefulPartitionedCall"})
_FUNCTIONAL_TYPES = _IF_TYPES | _WHILE_TYPES | _CASE_TYPES | _CALL_TYPES
_HANDLE_TYPES = frozenset(
    {
        "TensorListReserve", "TensorListSetItem", "TensorListGetItem", "TensorListStack",
        "TensorListFromTensor", "TensorListLength", "TensorListElementShape",
        "EmptyTensorList", "TensorListPushBack", "TensorListPopBack", "TensorListResize",
        "OptionalFromValue", "OptionalNone", "OptionalGetValue",
    }
)  # fmt: skip
_FUNCTION_ATTRS = ("then_branch", "else_branch", "cond", "body", "branches", "f")


def _tf_functions(node, functions: dict) -> list:
    """The FunctionDefs of `functions` that `node` calls, if they are TensorFlow's (ours
    record their argument placeholders in `_inputs` and import as they are)."""
    if node.op not in _FUNCTIONAL_TYPES:
        return []
    names = []
    for key in _FUNCTION_ATTRS:
        if key in node.attr:
            value = node.attr[key]
            names += [f.name for f in value.list.func] if key == "branches" else [value.func.name]
    found = [functions[n] for n in names if n in functions]
    return [f for f in found if "_inputs" not in f.attr]


def body_types(graph_def) -> set:
    """The op types of the nodes in TensorFlow's FunctionDefs of `graph_def`'s library."""
    return {
        nd.op for f in graph_def.library.function if "_inputs" not in f.attr for nd in f.node_def
    }


class Builder:
    """Builds TensorFlow's functional nodes and the nodes of their FunctionDefs."""

    def __init__(self, importer):
        self.importer = importer
        graph_def = importer.graph_def
        self.functions = {f.signature.name: f for f in graph_def.library.function}
        # handle ops are converted in graphs of TF 2.x's control flow, where loops use them
        self.v2 = any(_tf_functions(node, self.functions) for node in graph_def.node)
        self.counters: list = []  # the counter of each loop body being built, innermost last
        self.counts: dict = {}  # a list a loop pushed to → how many elements it pushed

    def converted_types(self, types: set) -> set:
        """The op types of `types` that import rebuilds here instead of building."""
        lists = _HANDLE_TYPES if self.v2 else frozenset()
        return {t for t in types if t in _FUNCTIONAL_TYPES or t in lists}

    def converts(self, node) -> bool:
        """Whether import rebuilds `node` here rather than building it as it is."""
        if node.op in _HANDLE_TYPES:
            return self.v2
        return bool(_tf_functions(node, self.functions))

    def build(self, graph, node, inputs: list, controls: list):
        """`node`'s outputs (Tensors; TensorArrays for TensorLists), built in `graph`."""
        name = self.importer.prefix + node.name
        if node.op == "TensorListPushBack":
            return [self.push(node, inputs[0], inputs[1])]
        if node.op in _HANDLE_TYPES:
            return _tensor_list_op(node, inputs, name)
        with graph.as_default(), graph.control_dependencies(controls):
            if node.op in _CALL_TYPES:
                return self.call(graph, self._function(node, "f"), inputs)
            if node.op in _IF_TYPES:
                return self._if(node, inputs, name)
            if node.op in _CASE_TYPES:
                return self._case(node, inputs, name)
            return self._while(node, inputs, name)

    def _function(self, node, key: str):
        return self.functions[node.attr[key].func.name]

    def _if(self, node, inputs: list, name: str) -> list:
        then_f, else_f = self._function(node, "then_branch"), self._function(node, "else_branch")
        then_fn, else_fn = self._branches(node, [then_f, else_f], inputs[1:])
        return control_flow_ops.cond(
            _predicate(inputs[0]), then_fn, else_fn, strict=True, name=name
        )

    def _case(self, node, inputs: list, name: str) -> list:
        branches = [self.functions[f.name] for f in node.attr["branches"].list.func]
        index = inputs[0]
        fns = self._branches(node, branches, inputs[1:])
        pairs = [(math_ops.equal(index, k), fn) for k, fn in enumerate(fns[:-1])]
        default = fns[-1]  # TF: an index out of range runs the last branch
        return control_flow_ops.case(pairs, default=default, strict=True, name=name)

    def _branches(self, node, fdefs: list, args: list) -> list:
        """The branch functions of an If or Case. TF's gradient makes each branch return
        its intermediates as optionals, empty (`OptionalNone`) in the other branches:
        here an optional is its value, and an empty one zeros of that value's shape."""
        from flowgraph.framework.func_graph import FuncGraph

        specs: dict[int, list] = {}  # optional output → its values' (dtype, shape)s
        optional = _optional_outputs(fdefs)
        if optional:
            for fdef in fdefs:  # a probe build: the shapes of the optionals' values
                probe = FuncGraph("probe", get_default_graph())
                with probe.as_default():
                    for k, value in enumerate(self.call(probe, fdef, args)):
                        if k in optional and isinstance(value, Tensor):
                            specs.setdefault(k, []).append(
                                (value.dtype.base_dtype, value.shape.as_tuple())
                            )
        flat = {k: _flat_size(v) for k, v in specs.items() if len(set(v)) > 1}

        def branch(fdef):
            def fn():
                results = self.call(get_default_graph(), fdef, args)
                return [
                    self._empty(node, fdefs, k, args)
                    if r is _NONE and not _fully_known(specs.get(k))
                    else _optional_value(r, specs.get(k), flat.get(k))
                    for k, r in enumerate(results)
                ]

            return fn

        return [branch(f) for f in fdefs]

    def _empty(self, node, fdefs: list, k: int, args: list) -> Tensor:
        """An empty optional whose value's shape only the run tells (an unknown batch):
        zeros shaped as the value output `k` of the branch that has one, built here for
        its shape alone (so its ops must not touch state)."""
        from flowgraph.framework.v1_control_flow import pure

        graph = get_default_graph()
        before = len(graph.get_operations())
        for fdef in fdefs:
            ret = fdef.ret[fdef.signature.output_arg[k].name]
            value = self.call(graph, fdef, args, [ret], pruned=True)[0]
            if isinstance(value, Tensor):
                break
        if not pure(graph.get_operations()[before:]):
            raise errors.UnimplementedError(
                None,
                None,
                f"{node.op} node '{node.name}': the value of its optional output {k} has a "
                "shape known only when run, and ops that touch state (random ops, "
                "assignments) compute it in the branch that has it.",
            )
        return array_ops.zeros_like(value)

    def _while(self, node, inputs: list, name: str) -> list:
        """TF's loop through `tf.while_loop`. Inputs its body passes through unchanged are
        captured, not carried (so a bound is known when compiled); TF's test of its
        iteration bound becomes `maximum_iterations`. A list its body pops (TF's gradient
        loop reading what the forward loop pushed) is carried with its top index. A list
        its body pushes is written at the loop's counter: growing once per iteration when
        the loop counts to a bound known when compiled, else sized to TF's
        `maximum_iterations` when that is known when compiled, else by `_bucket`."""
        cond_f, body_f = self._function(node, "cond"), self._function(node, "body")
        inputs = self._typed_lists(body_f, inputs)
        popped = _popped_arguments(body_f, inputs)
        tops, shapes = [], {k: _one_shape(inputs[k]) for k in popped if _holds_one_shape(inputs[k])}
        for k in popped:  # what the forward loop pushed, no longer growing
            count = self.counts.get(inputs[k])
            tops.append((inputs[k].size() if count is None else count) - 1)
            inputs[k] = TensorArray(inputs[k].dtype, size=0).unstack(inputs[k].stack())
        test, bounded = _test(cond_f)
        loop = _Loop(
            node, cond_f, body_f, test, bounded, popped, tops, _counter(cond_f, test), (), shapes
        )
        pushed = _pushed_arguments(body_f, inputs)
        if not pushed or _counts_when_compiled(loop, inputs):
            return self._loop(loop, inputs, name)
        if any(_grows(x) for k, x in enumerate(inputs) if k not in pushed):
            size = None  # a loop run from the host: the pushed lists grow as it runs
        elif loop.bounded and control_flow_ops._foldable(inputs[1]):
            size = inputs[1]  # at most TF's maximum_iterations steps, known when compiled
        else:
            size = self._bucket(loop, inputs, pushed, name)
        inputs = list(inputs)
        for k in pushed:
            x = inputs[k]
            inputs[k] = TensorArray(
                x.dtype,
                size=0 if size is None else size,
                dynamic_size=size is None,
                element_shape=x.element_shape(),
                name=x._name,
            )._as_stack()
        # pushed at TF's loop counter, each loop's first input
        results = self._loop(loop._replace(counter=0), inputs, name)
        for k in pushed:  # the list holds as many elements as the loop ran steps
            self.counts[results[k]] = results[0] - inputs[0]
        return results

    def _bucket(self, loop, inputs: list, pushed: list, name: str):
        """A power of two >= the loop's trip count, which only a run knows: the host reads
        it from the same loop without its pushes (`WhileTripCount`, `WhileBucket`) before
        the loop runs."""
        probe = self._loop(loop._replace(skipped=tuple(pushed)), inputs, name + "_trips")
        op = probe[0].op
        attrs = {k: v for k, v in op._attrs.items() if k not in ("_host", "_class")}
        graph = get_default_graph()
        with graph.name_scope(name + "_trips/"):
            trips = apply_op("WhileTripCount", list(op.inputs), **attrs)
            return apply_op("WhileBucket", [trips])

    def _loop(self, loop, inputs: list, name: str) -> list:
        """The While `loop` built on `inputs` through `tf.while_loop`; its outputs as
        TF's node has them."""
        fixed = _passed_through(loop.body_f, inputs) | set(loop.skipped)
        carried = [k for k in range(len(inputs)) if k not in fixed]
        popped, counter = loop.popped, loop.counter

        def unflat(args):
            values = list(inputs)
            for k, arg in zip(carried, args):
                values[k] = arg
            for j, k in enumerate(popped):
                values[k] = _Popped(values[k], args[len(carried) + j], loop.shapes.get(k))
            return values

        def cond(*args):
            graph = get_default_graph()
            return _predicate(self.call(graph, loop.cond_f, unflat(args), [loop.test])[0])

        def body(*args):
            values = unflat(args)
            at = _SKIP if loop.skipped else None if counter is None else values[counter]
            self.counters.append(at)
            try:
                results = self.call(get_default_graph(), loop.body_f, values)
            finally:
                self.counters.pop()
            results = [results[k] for k in carried]
            tops = [results[carried.index(k)].top for k in popped]
            return [r.array if isinstance(r, _Popped) else r for r in results] + tops

        node = loop.node
        shapes = node.attr["output_shapes"].list.shape if "output_shapes" in node.attr else []
        invariants = [
            _invariant(shapes[k]) if k < len(shapes) and _is_value(inputs[k]) else None
            for k in carried
        ]
        outputs = control_flow_ops.while_loop(
            cond,
            body,
            [inputs[k] for k in carried] + list(loop.tops),
            shape_invariants=invariants + [None] * len(loop.tops),
            parallel_iterations=node.attr["parallel_iterations"].i or 10,
            name=name,
            maximum_iterations=inputs[1] if loop.bounded else None,
            return_same_structure=True,
        )
        results = list(inputs)
        for k, value in zip(carried, outputs):
            results[k] = value
        return results

    def _typed_lists(self, body_f, inputs: list) -> list:
        """`inputs` with each list of optionals the body pushes to (TF's accumulators of
        a cond's intermediates) as a list of the optionals' values."""
        names = [a.name for a in body_f.signature.input_arg]
        pushes = {nd.input[0]: nd for nd in body_f.node_def if nd.op == "TensorListPushBack"}
        out = list(inputs)
        for k, x in enumerate(inputs):
            if isinstance(x, TensorArray) and x.dtype == dtypes.variant and names[k] in pushes:
                dtype = self._optional_type(body_f, pushes[names[k]].input[1])
                if dtype is not None:
                    out[k] = TensorArray(dtype, size=0, dynamic_size=True, name=x._name)
        return out

    def _optional_type(self, fdef, ref: str):
        """The dtype of the value in the optional `ref` of `fdef` (through Ifs and
        Identities), or None."""
        if ref.count(":") != 2:
            return None  # an argument
        by_name = {nd.name: nd for nd in fdef.node_def}
        name, _, index = ref.split(":")
        nd = by_name[name]
        if nd.op == "OptionalFromValue":
            return dtypes.as_dtype(nd.attr["Toutput_types"].list.type[0])
        if nd.op == "Identity":
            return self._optional_type(fdef, nd.input[0])
        if nd.op not in _IF_TYPES:
            return None
        for key in ("then_branch", "else_branch"):
            branch = self._function(nd, key)
            ret = branch.ret[branch.signature.output_arg[int(index)].name]
            found = self._optional_type(branch, ret)
            if found is not None:
                return found
        return None

    def push(self, node, array, value):
        """`TensorListPushBack`: the list written at the enclosing loop's counter."""
        if self.counters and self.counters[-1] is _SKIP:
            return array  # the loop built only to count its steps
        if not self.counters or self.counters[-1] is None:
            raise errors.UnimplementedError(
                None,
                None,
                f"{node.op} node '{node.name}' cannot be imported: lists are pushed to in "
                "loops that count (`i < n`, n known when the graph is compiled) only.",
            )
        return array.write(self.counters[-1], value)

    def call(self, graph, fdef, args: list, rets=None, pruned=False) -> list:
        """Builds the nodes of `fdef` in `graph` on `args`; returns its results (or the
        values `rets` names; `pruned`: building only the nodes they need)."""
        if len(args) != len(fdef.signature.input_arg):
            raise errors.InvalidArgumentError(
                None,
                None,
                f"Function '{fdef.signature.name}' takes {len(fdef.signature.input_arg)} "
                f"arguments, but its node passes {len(args)}.",
            )
        values = {a.name: v for a, v in zip(fdef.signature.input_arg, args)}
        by_name = {nd.name: nd for nd in fdef.node_def}
        built: dict[str, list] = {}
        roots = [by_name[r.split(":")[0]] for r in rets if r not in values] if pruned else None
        for nd in _order(fdef.node_def if roots is None else roots, by_name):
            inputs = [self._value(r, values, built, by_name) for r in nd.input if r[0] != "^"]
            controls = [built[r[1:]] for r in nd.input if r[0] == "^" and r[1:] in built]
            controls = [c for c in controls if isinstance(c, Operation)]
            built[nd.name] = self.build_node(graph, nd, inputs, controls)
        if rets is None:
            rets = [fdef.ret[a.name] for a in fdef.signature.output_arg]
        return [self._value(r, values, built, by_name) for r in rets]

    def build_node(self, graph, nd, inputs: list, controls: list):
        """The NodeDef `nd` built in `graph`, rebuilt here or by the importer."""
        if self.converts(nd):
            return self.build(graph, nd, inputs, controls)
        if nd.op == "Identity" and self.v2 and (_handle(nd) or not isinstance(inputs[0], Tensor)):
            return inputs  # a TensorList (a TensorArray here) or a variable passes through
        if nd.op == "AddN" and any(isinstance(x, (TensorArray, _Writes)) for x in inputs):
            return [_add_lists(nd, inputs)]
        if nd.op == "ZerosLike" and isinstance(inputs[0], TensorArray):  # a list's gradient
            zeros = array_ops.zeros_like(inputs[0].stack())
            return [TensorArray(inputs[0].dtype, size=0).unstack(zeros)]
        return self.importer.build(graph, nd, inputs, controls)

    @staticmethod
    def _value(ref: str, values: dict, built: dict, by_name: dict):
        from flowgraph.framework import tf_function_def

        if ref in values:
            return values[ref]
        name, arg, index = ref.split(":")
        result = built[name]
        outputs = result.outputs if isinstance(result, Operation) else result
        return outputs[tf_function_def.output_index(by_name[name], arg, int(index))]


_NONE = object()  # an empty optional (TF's `OptionalNone`)
_SKIP = object()  # a loop counter under which pushes are left out


class _Loop(NamedTuple):
    """A TF While node being rebuilt: its functions, TF's test (and whether it also
    tests an iteration bound), the positions of the lists it pops with their top indices,
    the position of its counter (or None) and of the lists whose pushes it leaves out."""

    node: object
    cond_f: object
    body_f: object
    test: str
    bounded: bool
    popped: list
    tops: list
    counter: object = None
    skipped: tuple = ()
    shapes: dict = {}  # popped position → `_one_shape`, if the forward loop pushed one shape


def _pushed_arguments(body_f, inputs: list) -> list[int]:
    """Positions of the TensorArray inputs whose argument the loop body pushes to."""
    names = [a.name for a in body_f.signature.input_arg]
    pushed = {nd.input[0] for nd in body_f.node_def if nd.op == "TensorListPushBack"}
    return [k for k, x in enumerate(inputs) if isinstance(x, TensorArray) and names[k] in pushed]


def _counts_when_compiled(loop: _Loop, inputs: list) -> bool:
    """Whether the loop counts (`i < n`) to a bound known when it is compiled (a constant,
    or an input it passes through computed from shapes): then a list it pushes to grows
    one element per step."""
    if loop.counter is None:
        return False
    names = [a.name for a in loop.cond_f.signature.input_arg]
    by_name = {nd.name: nd for nd in loop.cond_f.node_def}
    nd = by_name.get(loop.test.split(":")[0])
    while nd.op == "Identity":
        nd = by_name.get(nd.input[0].split(":")[0])
    bound = nd.input[1]
    if bound in names:
        k = names.index(bound)
        fixed = k in _passed_through(loop.body_f, inputs)
        # a bound computed from shapes is a static input of the loop's segment
        return fixed and control_flow_ops._foldable(inputs[k])
    producer = by_name.get(bound.split(":")[0])
    return producer is not None and producer.op == "Const"


def _optional_outputs(fdefs: list) -> set[int]:
    """Positions of the outputs some branch of `fdefs` returns as an optional."""
    out = set()
    for fdef in fdefs:
        ops = {nd.name: nd.op for nd in fdef.node_def}
        for k, arg in enumerate(fdef.signature.output_arg):
            if ops.get(fdef.ret[arg.name].split(":")[0]) in ("OptionalFromValue", "OptionalNone"):
                out.add(k)
    return out


def _fully_known(specs) -> bool:
    """Whether the (dtype, shape)s of an optional's values have fully known shapes."""
    return specs is None or all(shape is not None and None not in shape for _, shape in specs)


def _flat_size(specs: list):
    """The length of the vector that holds, flattened, any of the values an optional
    output takes in different branches (their shapes differ), or None."""
    known = all(shape is not None and None not in shape for _, shape in specs)
    if len({dtype for dtype, _ in specs}) > 1 or not known:
        return None
    return max(int(np.prod(shape)) for _, shape in specs)


def _optional_value(value, specs, flat):
    """A branch's value of an output: an empty optional as zeros; the values of an
    optional that differ in shape between branches flattened and zero-padded to `flat`
    (OptionalGetValue reshapes them back to the shape it records)."""
    if flat is not None:
        if value is _NONE:
            return array_ops.zeros([flat], specs[0][0])
        vector = array_ops.reshape(value, [-1])
        return array_ops.pad(vector, [[0, flat - vector.shape.num_elements()]])
    if value is _NONE:
        return array_ops.zeros(tensor_shape.TensorShape(specs[0][1]), specs[0][0])
    return value


def _optional_get(node, value):
    """`OptionalGetValue`: the value, reshaped to its recorded shape if it was flattened."""
    shapes = node.attr["output_shapes"].list.shape if "output_shapes" in node.attr else []
    if not shapes or not isinstance(value, Tensor):
        return value
    shape = _invariant(shapes[0])
    if not shape.is_fully_defined() or value.shape.is_compatible_with(shape):
        return value
    size = shape.num_elements()
    return array_ops.reshape(value[:size], shape.as_list())


class _Writes:
    """A list reserved at a size known only when it runs (TF's gradient of
    `TensorListGetItem` in a loop body): the items set in it, added to a whole list by
    the `AddN` that sums the gradients."""

    def __init__(self, writes: tuple = ()):
        self.writes = writes


def _add_lists(nd, inputs: list) -> TensorArray:
    arrays = [x for x in inputs if isinstance(x, TensorArray)]
    if not arrays or len(arrays) + sum(isinstance(x, _Writes) for x in inputs) < len(inputs):
        raise errors.UnimplementedError(
            None, None, f"AddN node '{nd.name}': only lists are added to a list."
        )
    total = arrays[0]
    for other in arrays[1:]:
        total = TensorArray(total.dtype, size=0).unstack(total.stack() + other.stack())
    for writes in (x for x in inputs if isinstance(x, _Writes)):
        for index, value in writes.writes:
            total = total.write(index, total.read(index) + value)
    return total


class _Popped:
    """A list a loop pops: its TensorArray and the index of its top element; `shapes`, if
    the forward loop pushed one shape each step, what to read it from (`_one_shape`)."""

    def __init__(self, array: TensorArray, top: Tensor, shapes=None):
        self.array = array
        self.top = top
        self.shapes = shapes


def _grows(x) -> bool:
    """Whether `x` is a list that grows as its loop writes it (a loop that does not count
    runs from the host, step by step)."""
    return isinstance(x, TensorArray) and x._dynamic_size and x.flow is None


def _one_shape(array: TensorArray):
    """What a loop popping `array`, which holds one shape, reads it from: the array (read
    in the loop, in the segment of the loop that wrote it), or where a loop run from the
    host wrote it, the shape read here (the popping loop's static input)."""
    return array.read(0) if array.flow.op._attrs.get("_host") else array


def _holds_one_shape(x) -> bool:
    return isinstance(x, TensorArray) and control_flow_ops.holds_one_shape(x)


def _popped_arguments(body_f, inputs: list) -> list[int]:
    """Positions of the TensorArray inputs whose argument the loop body pops."""
    names = [a.name for a in body_f.signature.input_arg]
    popped = {nd.input[0] for nd in body_f.node_def if nd.op == "TensorListPopBack"}
    return [k for k, x in enumerate(inputs) if isinstance(x, TensorArray) and names[k] in popped]


def _passed_through(body_f, inputs: list) -> set[int]:
    """Positions of the tensor inputs a loop body returns unchanged."""
    names = [a.name for a in body_f.signature.input_arg]
    rets = [body_f.ret[a.name] for a in body_f.signature.output_arg]
    return {k for k, x in enumerate(inputs) if isinstance(x, Tensor) and rets[k] == names[k]}


def _test(cond_f) -> tuple[str, bool]:
    """The value a loop's cond tests, and whether that drops TF's test of its iteration
    bound (`LogicalAnd(Less(loop_counter, maximum_iterations), test)`)."""
    names = [a.name for a in cond_f.signature.input_arg]
    by_name = {nd.name: nd for nd in cond_f.node_def}
    ret = cond_f.ret[cond_f.signature.output_arg[0].name]
    nd = by_name.get(ret.split(":")[0])
    if nd is None or nd.op != "LogicalAnd":
        return ret, False
    for mine, other in ((nd.input[0], nd.input[1]), (nd.input[1], nd.input[0])):
        bound = by_name.get(mine.split(":")[0])
        if bound is not None and bound.op == "Less" and list(bound.input) == names[:2]:
            return other, True
    return ret, False


def _counter(cond_f, test: str):
    """The position of the loop variable a loop's `test` compares with a bound, or None."""
    names = [a.name for a in cond_f.signature.input_arg]
    by_name = {nd.name: nd for nd in cond_f.node_def}
    nd = by_name.get(test.split(":")[0])
    while nd is not None and nd.op == "Identity":
        nd = by_name.get(nd.input[0].split(":")[0])
    if nd is None or nd.op not in ("Less", "LessEqual", "Greater", "GreaterEqual"):
        return None
    return names.index(nd.input[0]) if nd.input[0] in names else None


def _order(node_defs, by_name: dict) -> list:
    """The NodeDefs of a FunctionDef with every producer first."""
    order, done = [], set()
    for root in node_defs:
        stack = [(root, False)]
        while stack:
            nd, ready = stack.pop()
            if ready:
                order.append(nd)
                continue
            if nd.name in done:
                continue
            done.add(nd.name)
            stack.append((nd, True))
            for ref in nd.input:
                producer = by_name.get(ref.lstrip("^").split(":")[0])
                if producer is not None and producer.name not in done:
                    stack.append((producer, False))
    return order


def _handle(nd) -> bool:
    """Whether NodeDef `nd` outputs a resource or variant handle (T is DT_RESOURCE=20 or
    DT_VARIANT=21): a variable or a TensorList, values of other dtypes here."""
    return "T" in nd.attr and nd.attr["T"].type in (20, 21)


def _is_value(x) -> bool:
    return isinstance(x, Tensor) and not x.dtype._is_ref_dtype


def _predicate(value: Tensor) -> Tensor:
    """TF's functional ops take any tensor as predicate (non-zero, or non-empty)."""
    if value.dtype.base_dtype == dtypes.bool:
        return value
    return math_ops.not_equal(value, array_ops.zeros_like(value))


def _invariant(proto):
    if proto.unknown_rank:
        return tensor_shape.TensorShape(None)
    return tensor_shape.TensorShape([d.size if d.size >= 0 else None for d in proto.dim])


def _sized_at_run_time(size) -> bool:
    """Whether a list reserved in a function body has a size only known when it runs."""
    from flowgraph.framework import tensor_util
    from flowgraph.framework.func_graph import FuncGraph

    if not isinstance(get_default_graph(), FuncGraph):
        return False
    return tensor_util.constant_value(size) is None


def _element_shape(value):
    """A TensorList's `element_shape` input (-1: unknown rank, -1 entries: unknown dims)."""
    from flowgraph.framework import tensor_util

    known = tensor_util.constant_value(value) if isinstance(value, Tensor) else value
    if known is None or known.ndim == 0:
        return None
    return [int(d) if d >= 0 else None for d in known]


def _shrunk(node, array: TensorArray, size, name: str) -> TensorArray:
    """`TensorListResize` to at most the list's length (TF's gradient of a list that grew
    in a loop shrinks it each step of its `while_grad` loop, to a size only a run knows):
    the list keeps its buffer and its elements from `size` on become zeros, what TF reads
    from elements never set."""
    buffer = array.flow
    known, length = constant_value(size), None if buffer is None else _leading_dim(buffer)
    if buffer is None or (known is not None and (length is None or int(known) > length)):
        raise errors.UnimplementedError(
            None, None, f"TensorListResize node '{node.name}': a list grows only as it is set."
        )
    keep = array_ops.sequence_mask(size, array_ops.shape(buffer)[0])
    shrunk = array_ops.where(keep, buffer, array_ops.zeros_like(buffer), name=name)
    return TensorArray(array.dtype, size=0).unstack(shrunk)


def _leading_dim(tensor: Tensor):
    return tensor.shape.as_list()[0] if tensor.shape.ndims else None


def _tensor_list_op(node, inputs: list, name: str) -> list:
    op = node.op
    if op == "TensorListReserve":
        if _sized_at_run_time(inputs[1]):
            return [_Writes()]
        size = constant_value(inputs[1])
        return [
            TensorArray(
                dtypes.as_dtype(node.attr["element_dtype"].type),
                size=inputs[1],
                dynamic_size=size is not None and int(size) == 0,  # `dynamic_size=True`'s
                element_shape=_element_shape(inputs[0]),
                name=name,
            )
        ]
    if op == "OptionalFromValue":
        return [inputs[0]]
    if op == "OptionalNone":
        return [_NONE]
    if op == "OptionalGetValue":
        return [_optional_get(node, inputs[0])]
    if op == "EmptyTensorList":
        return [
            TensorArray(
                dtypes.as_dtype(node.attr["element_dtype"].type),
                size=0,
                dynamic_size=True,
                element_shape=_element_shape(inputs[0]),
                name=name,
            )
        ]
    if op == "TensorListPopBack":
        popped = inputs[0]
        if not isinstance(popped, _Popped):
            raise errors.UnimplementedError(
                None, None, f"{op} node '{node.name}': lists are popped in loops only."
            )
        if isinstance(popped.shapes, Tensor):  # read where a host loop ran: a static input
            value = array_ops.identity(popped.shapes, name=name)
        elif popped.shapes is not None:  # the same shape at every index, known when compiled
            value = popped.shapes.read(0, name=name)
        else:
            value = popped.array.read(popped.top, name=name)
        return [_Popped(popped.array, popped.top - 1, popped.shapes), value]
    if op == "TensorListFromTensor":
        tensor = inputs[0]
        array = TensorArray(tensor.dtype, size=array_ops.shape(tensor)[0], name=name)
        return [array.unstack(tensor)]
    array = inputs[0]
    if op == "TensorListSetItem" and isinstance(array, _Writes):
        return [_Writes(array.writes + ((inputs[1], inputs[2]),))]
    if not isinstance(array, TensorArray):
        raise errors.UnimplementedError(
            None, None, f"{op} node '{node.name}': its list input is not a TensorList's."
        )
    if op == "TensorListSetItem":
        return [array.write(inputs[1], inputs[2])]
    if op == "TensorListGetItem":
        return [array.read(inputs[1], name=name)]
    if op == "TensorListStack":
        return [array.stack(name=name)]
    if op == "TensorListLength":
        return [array.size(name=name)]
    if op == "TensorListResize":
        return [_shrunk(node, array, inputs[1], name)]
    return [array_ops.shape(array.read(0))]  # TensorListElementShape
