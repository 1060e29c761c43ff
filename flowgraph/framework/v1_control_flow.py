"""TF1's v1 control flow at import: `Switch`/`Merge`/`Enter`/`Exit`/`NextIteration`/
`LoopCond` dataflow (and the `TensorArray*V3` ops in it) rebuilt as functional `If`/`While`.

A GraphDef made by TF1's `tf.cond`/`tf.while_loop` holds each construct as a subgraph:
a cond as `Switch(x, pred)` nodes whose two outputs feed the two branches, joined again by
`Merge` nodes; a loop as a frame (the `Enter` nodes' `frame_name`) where each loop
variable is `Enter` → `Merge` (with `NextIteration` from the body) → `Switch` on
`LoopCond` → body (output 1) or `Exit` (output 0). Every tensor of the GraphDef has a
context, the stack of frames and branches it lives in; the context is found by one pass
in dataflow order. Nodes are then built context by context: a root node into the graph, a
loop through `tf.while_loop` whose cond and body build the frame's nodes, a cond through
`tf.cond` whose branches build theirs, so the result is what those builders make.
Values of enclosing contexts are captured by the bodies as for any Python-built loop.

TF1's `tf.gradients` through a v1 loop adds a backward loop fed by stacks: the forward
loop pushes (`StackPushV2`) what the backward loop pops (`StackPopV2`) in reverse. A
pushed stack becomes a TensorArray the forward loop writes at its counter, one element
per iteration (a push inside a cond of the body is returned by the cond's If, zeros
when the other branch runs), and a pop reads it from the top down. Its size is known
when compiled: the loop's bound, or a power of two >= the trip count that the host
reads before the loop runs. TF's gradient TensorArrays (`TensorArrayGradV3`) are
values held by the scope that makes them and carried by the loops and conds that write
them; the flows of their ops are dummies.
"""

from __future__ import annotations

import numpy as np

from flowgraph.framework import dtypes, tensor_shape, tensor_util
from flowgraph.framework.ops import (
    Operation,
    Tensor,
    apply_op,
    constant_value,
    get_default_graph,
)
from flowgraph.ops import array_ops, constant_op, control_flow_ops, math_ops
from flowgraph.ops.tensor_array_ops import TensorArray
from kernels import errors, op_def as op_def_registry, registry

LOOP_TYPES = frozenset(
    {"Enter", "RefEnter", "Exit", "RefExit", "NextIteration", "RefNextIteration", "LoopCond"}
)
COND_TYPES = frozenset({"Switch", "RefSwitch", "Merge", "RefMerge"})
TENSOR_ARRAY_TYPES = frozenset(
    {
        "TensorArrayV3", "TensorArrayWriteV3", "TensorArrayReadV3", "TensorArrayGatherV3",
        "TensorArrayScatterV3", "TensorArraySizeV3", "TensorArrayCloseV3",
        "TensorArrayConcatV3", "TensorArraySplitV3", "TensorArrayGradV3",
    }
)  # fmt: skip
_GRAD_WRITES = frozenset({"TensorArrayWriteV3", "TensorArrayScatterV3", "TensorArraySplitV3"})
STACK_TYPES = frozenset({"StackV2", "StackPushV2", "StackPopV2", "StackCloseV2"})
CONVERTED_TYPES = LOOP_TYPES | COND_TYPES | TENSOR_ARRAY_TYPES | STACK_TYPES
_COMPARISONS = ("Less", "LessEqual", "Greater", "GreaterEqual")


def has_v1_control_flow(graph_def) -> bool:
    """Whether `graph_def` needs converting (it holds v1 control flow or TensorArrays)."""
    return any(node.op in CONVERTED_TYPES for node in graph_def.node)


def _name(tensor_name: str) -> tuple[str, int]:
    """(node name, output index) of a GraphDef input string ("^x" → ("x", -1))."""
    if tensor_name.startswith("^"):
        return tensor_name[1:], -1
    name, _, out = tensor_name.partition(":")
    return name, int(out) if out else 0


class _Frame:
    """One v1 while loop: its loop variables (by Merge) and the nodes around them."""

    def __init__(self, name: str):
        self.name = name
        self.merges: list[str] = []
        self.enters: list[str] = []
        self.nexts: list[str] = []
        self.loop_cond: str | None = None
        self.parallel_iterations = 10
        self.pushes: dict[str, str] = {}  # stack → the StackPushV2 node in this frame
        self.pops: list[str] = []  # stacks popped in this frame
        self.grad_writes: list[str] = []  # writes to gradient TensorArrays in this frame
        self.grads: list[tuple] = []  # the gradient TensorArrays they write


class Structure:
    """The contexts of a GraphDef's nodes and its loops and conds."""

    def __init__(self, nodes: dict, order: list):
        self.nodes = nodes
        self.frames: dict[str, _Frame] = {}
        self.var_of: dict[str, tuple[str, int]] = {}  # loop Merge → (frame, index)
        self.cond_merges: dict[str, tuple] = {}  # cond Merge → (ctx, pred, {branch: input})
        self.ctx: dict[str, tuple] = {}  # node → its context
        self.switch_ctx: dict[tuple[str, int], tuple] = {}  # cond Switch output → context
        self._groups: dict[str, list[str]] | None = None
        self.branch_pushes: dict[tuple, list[str]] = {}  # (ctx, pred) → pushes in its cond
        self.writes_of: dict[tuple, list[str]] = {}  # gradient TensorArray → its writes
        self._find_loops()
        for node in order:
            self.ctx[node.name] = self._context(node)
        self._find_stacks()
        self._find_grad_writes()

    def _find_grad_writes(self) -> None:
        """The writes to TF's gradient TensorArrays (`TensorArrayGradV3`): the loops and
        conds they are in carry those arrays."""
        for node in self.nodes.values():
            key = self.grad_key(node) if node.op in _GRAD_WRITES else None
            if key is None:
                continue
            self.writes_of.setdefault(key, []).append(node.name)
            ctx = self.ctx.get(node.name, ())
            loops = [s for s in ctx if s[0] == "while"]
            if loops:
                frame = self.frames[loops[-1][1]]
                if ctx[-1][0] == "while":
                    frame.grad_writes.append(node.name)
                if key not in frame.grads:
                    frame.grads.append(key)

    def branch_writes(self, group: list[str]) -> list[str]:
        """The writes to gradient TensorArrays in the branches of the cond whose Merges
        are `group` (those its Merges need)."""
        ctx, pred, _ = self.cond_merges[group[0]]
        found, seen = [], set()
        stack = [i for m in group for i in self.nodes[m].input]
        while stack:
            name = _name(stack.pop())[0]
            node_ctx = self.ctx.get(name, ())
            inside = len(node_ctx) > len(ctx) and node_ctx[len(ctx)][:2] == ("cond", pred)
            if name in seen or not inside or node_ctx[: len(ctx)] != ctx:
                continue
            seen.add(name)
            if self.nodes[name].op in _GRAD_WRITES and self.grad_key(self.nodes[name]):
                found.append(name)
            stack.extend(self.nodes[name].input)
        return sorted(found)

    def handle_of(self, node):
        """The node a TensorArray op's handle comes from (through Enter, Identity and
        Switch)."""
        handle = self.nodes.get(_name(node.input[0])[0])
        while handle is not None and handle.op in ("Enter", "RefEnter", "Identity", "Switch"):
            handle = self.nodes.get(_name(handle.input[0])[0])
        return handle

    def grad_key(self, node):
        """(forward TensorArrayV3 node, source) of the gradient TensorArray a
        TensorArray op works on, or None for a forward one."""
        grad = node if node.op == "TensorArrayGradV3" else self.handle_of(node)
        if grad is None or grad.op != "TensorArrayGradV3":
            return None
        forward = self.handle_of(grad)
        if forward is None or forward.op != "TensorArrayV3":
            raise _unconvertible(grad, "its handle does not come from a TensorArrayV3")
        return forward.name, grad.attr["source"].s.decode()

    def _find_stacks(self) -> None:
        """The stacks TF1's gradients push in a forward loop and pop in its backward one."""
        for node in self.nodes.values():
            if node.op not in ("StackPushV2", "StackPopV2"):
                continue
            ctx = self.ctx.get(node.name, ())
            loops = [k for k, step in enumerate(ctx) if step[0] == "while"]
            if not loops or len(ctx) - loops[-1] > 2:
                raise _unconvertible(node, "it is not in a loop's body or a cond of one")
            frame = self.frames[ctx[loops[-1]][1]]
            stack = self.stack_of(node)
            if node.op == "StackPopV2":
                frame.pops.append(stack)
            elif frame.pushes.setdefault(stack, node.name) != node.name:
                raise _unconvertible(node, "its stack is pushed twice per iteration")
            elif ctx[-1][0] == "cond" and not self.pushes_shape(node):
                # pushed when its branch runs: the cond returns it
                self.branch_pushes.setdefault((ctx[:-1], ctx[-1][1]), []).append(node.name)

    def pushes_shape(self, push) -> bool:
        """Whether `push` pushes a shape (TF's zeros for a branch's gradient, where the
        value's shape is unknown when built): known when compiled, the loop body computes
        it whichever branch runs, so the backward loop reads it as a static input."""
        return self.nodes[_name(push.input[1])[0]].op in ("Shape", "Size", "Rank")

    def stack_of(self, node) -> str:
        """The StackV2 node a stack op's handle comes from (through Enter and Identity)."""
        handle = self.nodes.get(_name(node.input[0])[0])
        while handle is not None and handle.op in ("Enter", "RefEnter", "Identity", "Switch"):
            handle = self.nodes.get(_name(handle.input[0])[0])
        if handle is None or handle.op != "StackV2":
            raise _unconvertible(node, "its handle does not come from a StackV2")
        return handle.name

    def counter(self, frame: _Frame) -> int:
        """The loop variable a loop's condition compares (`i < n`), or -1."""
        test = self.nodes.get(_name(self.nodes[frame.loop_cond].input[0])[0])
        if test is None or test.op not in _COMPARISONS:
            return -1
        for tensor_name in test.input:
            name = _name(tensor_name)[0]
            if name in self.var_of and self.var_of[name][0] == frame.name:
                return self.var_of[name][1]
        return -1

    def _find_loops(self) -> None:
        for node in self.nodes.values():
            if node.op not in ("Merge", "RefMerge"):
                continue
            producers = [self.nodes.get(_name(i)[0]) for i in node.input]
            enter = next(
                (p for p in producers if p is not None and p.op in ("Enter", "RefEnter")), None
            )
            nxt = next(
                (
                    p
                    for p in producers
                    if p is not None and p.op in ("NextIteration", "RefNextIteration")
                ),
                None,
            )
            if enter is None or nxt is None:
                continue
            frame_name = enter.attr["frame_name"].s.decode()
            frame = self.frames.setdefault(frame_name, _Frame(frame_name))
            frame.parallel_iterations = enter.attr["parallel_iterations"].i or 10
            self.var_of[node.name] = (frame_name, len(frame.merges))
            frame.merges.append(node.name)
            frame.enters.append(enter.name)
            frame.nexts.append(nxt.name)
        for node in self.nodes.values():
            if node.op in ("Switch", "RefSwitch") and self._loop_switch(node):
                frame, _ = self.var_of[_name(node.input[0])[0]]
                self.frames[frame].loop_cond = _name(node.input[1])[0]

    def _loop_switch(self, node) -> bool:
        pred = self.nodes.get(_name(node.input[1])[0])
        return pred is not None and pred.op == "LoopCond"

    def is_loop_switch(self, node) -> bool:
        return node.op in ("Switch", "RefSwitch") and self._loop_switch(node)

    def input_ctx(self, tensor_name: str) -> tuple:
        name, out = _name(tensor_name)
        return self.switch_ctx.get((name, out), self.ctx.get(name, ()))

    def _context(self, node) -> tuple:
        if node.op in ("Enter", "RefEnter"):
            return self.input_ctx(node.input[0]) + (("while", node.attr["frame_name"].s.decode()),)
        if node.op in ("Exit", "RefExit"):
            ctx = self.input_ctx(node.input[0])
            last = max(i for i, step in enumerate(ctx) if step[0] == "while")
            return ctx[:last]
        if node.name in self.var_of:
            frame = self.frames[self.var_of[node.name][0]]
            return self.ctx[frame.enters[self.var_of[node.name][1]]]
        if node.op in ("Merge", "RefMerge"):
            return self._cond_merge(node)
        ctx = self._joined(node, node.input)
        if node.op in ("Switch", "RefSwitch") and not self._loop_switch(node):
            pred = self.pred_key(node.input[1])
            for branch in (0, 1):
                self.switch_ctx[(node.name, branch)] = ctx + (("cond", pred, branch),)
        return ctx

    def cond_group(self, merge: str) -> list[str]:
        """The Merges of one cond: those on its predicate, in its context, whose branches
        share a Switch. (A cond's gradient switches on the same predicate, with Switches
        of its own: it is another cond, run after the loops between them.)"""
        if self._groups is None:
            self._groups = self._cond_groups()
        return self._groups[merge]

    def _cond_groups(self) -> dict[str, list[str]]:
        owner: dict[str, str] = {}  # a Switch → the first Merge found behind it
        parent = {m: m for m in self.cond_merges}

        def root(m):
            while parent[m] != m:
                m = parent[m]
            return m

        for merge, (ctx, pred, _) in self.cond_merges.items():
            for switch in self._branch_switches(merge, ctx, pred):
                other = owner.setdefault(switch, merge)
                parent[root(merge)] = root(other)
        groups: dict[object, list[str]] = {}
        for merge in self.cond_merges:  # in GraphDef order
            groups.setdefault(root(merge), []).append(merge)
        out = {}
        for members in groups.values():
            levels = self._levels(members)
            for merge in members:
                out[merge] = [m for m in members if levels[m] == levels[merge]]
        return out

    def _levels(self, members: list[str]) -> dict[str, int]:
        """How many of `members` each one depends on in a chain: TF builds a cond's
        gradient in the cond's own context, so a Merge of the gradient may need (through
        loops) a Merge of the forward cond. Those become two Ifs, one after the other."""
        if len(members) == 1:
            return {members[0]: 0}
        found = {m: self._reached(m, set(members) - {m}) for m in members}
        # Merges that reach each other (through a loop's back edge) belong together
        reaches = {m: {o for o in found[m] if m not in found[o]} for m in members}
        levels: dict[str, int] = {}

        def level(m):
            if m not in levels:
                levels[m] = 1 + max((level(o) for o in reaches[m]), default=-1)
            return levels[m]

        for m in members:
            level(m)
        return levels

    def _reached(self, merge: str, targets: set[str]) -> set[str]:
        found, seen, stack = set(), {merge}, list(self.nodes[merge].input)
        while stack and found != targets:
            name = _name(stack.pop())[0]
            if name in seen or name not in self.nodes:
                continue
            seen.add(name)
            if name in targets:
                found.add(name)
            stack.extend(self.nodes[name].input)
        return found

    def _branch_switches(self, merge: str, ctx: tuple, pred: str) -> set[str]:
        """The Switches on `pred` that the branches of `merge` start from."""
        inside = len(ctx) + 1
        found, seen, stack = set(), set(), list(self.nodes[merge].input)
        while stack:
            name, out = _name(stack.pop())
            if name in seen:
                continue
            seen.add(name)
            step = self.switch_ctx.get((name, max(out, 0)))
            if step is not None and step[len(ctx)][:2] == ("cond", pred):
                found.add(name)
                continue
            node_ctx = self.ctx.get(name, ())
            if len(node_ctx) >= inside and node_ctx[: len(ctx)] == ctx:
                stack.extend(self.nodes[name].input)
        return found

    def pred_key(self, tensor_name: str) -> str:
        """The tensor a cond's predicate is (through Identity: TF1's `pred_id`)."""
        name, out = _name(tensor_name)
        node = self.nodes.get(name)
        while node is not None and node.op == "Identity" and out == 0:
            name, out = _name(node.input[0])
            node = self.nodes.get(name)
        return f"{name}:{out}"

    def _joined(self, node, inputs) -> tuple:
        """The deepest context of `node`'s data inputs. A node without data inputs lives
        where its control inputs do, or (TF's gradient syncs, waiting on ops of both
        branches of a cond) in the context they share."""
        data = [i for i in inputs if not i.startswith("^")]
        ctx = ()
        for tensor_name in data:
            other = self.input_ctx(tensor_name)
            if len(other) > len(ctx):
                ctx, other = other, ctx
            if ctx[: len(other)] != other:
                raise _unconvertible(node, "its inputs come from different loops or branches")
        if data or not inputs:
            return ctx
        contexts = [self.input_ctx(i) for i in inputs]
        deepest = max(contexts, key=len)
        if all(deepest[: len(c)] == c for c in contexts):
            return deepest
        return _common_prefix(contexts)

    def _cond_merge(self, node) -> tuple:
        ctxs = [self.input_ctx(i) for i in node.input]
        prefix = _common_prefix(ctxs)
        branches, pred = {}, None
        for i, ctx in enumerate(ctxs):
            if len(ctx) > len(prefix) and ctx[len(prefix)][0] == "cond":
                pred = pred or ctx[len(prefix)][1]
                if ctx[len(prefix)][1] != pred:
                    raise _unconvertible(node, "it joins the branches of different conds")
                branches[ctx[len(prefix)][2]] = i
        if pred is None or not branches:
            raise _unconvertible(node, "its inputs are not the branches of one cond")
        self.cond_merges[node.name] = (prefix, pred, branches)
        return prefix


def _has_effects(op_type: str) -> bool:
    """Whether running a node of `op_type` does something besides its outputs (a queue's
    enqueue, an assign, a print): TF's OpDef says it is stateful, or it has no outputs, or
    it writes a ref input (TF's OpDefs of Assign/AssignAdd/Apply* do not say stateful)."""
    op_def = op_def_registry.find(op_type)
    if op_def is None:
        return False
    if op_def.is_stateful or not op_def.output_arg:
        return True
    effects = registry.lookup(op_type).effects
    return bool(effects.writes or effects.updates)


def _common_prefix(contexts: list) -> tuple:
    prefix = contexts[0]
    for ctx in contexts[1:]:
        n = 0
        while n < min(len(prefix), len(ctx)) and prefix[n] == ctx[n]:
            n += 1
        prefix = prefix[:n]
    return prefix


def _encloses(outer: tuple, ctx: tuple) -> bool:
    return outer[: len(ctx)] == ctx


def _unconvertible(node, why: str):
    return errors.UnimplementedError(
        None,
        None,
        f"{node.op} node '{node.name}' of TF1 v1 control flow cannot be converted to "
        f"If/While at import: {why}.",
    )


class _TensorArrayHandle:
    """A `TensorArrayV3` handle: TensorArrays here are values, so ops use the flow."""


class _GradHandle:
    """A `TensorArrayGradV3` handle: ops on it use the gradient TensorArray its scope
    holds (by forward array and source); their flows are dummies."""

    def __init__(self, key: tuple):
        self.key = key


class _Scope:
    """Where nodes of one context are built: the graph, or a traced body or branch."""

    def __init__(self, parent, ctx: tuple, args=None):
        self.graph = get_default_graph()  # a body's scope is made while it is traced
        self.parent = parent
        self.ctx = ctx
        self.args = args  # a loop body's arguments, by loop variable index
        self.stacks: dict[str, object] = {}  # a loop body's stack arguments, by stack
        self.grads: dict[tuple, TensorArray] = {}  # gradient TensorArrays held here
        self.built: dict[str, object] = {}
        self.structures: dict[object, list] = {}  # loops and conds built here

    def home(self, ctx: tuple, node) -> "_Scope":
        scope = self
        while scope is not None and scope.ctx != ctx:
            scope = scope.parent
        if scope is None:
            raise _unconvertible(node, "it is used outside the loop or branch it belongs to")
        return scope


class Converter:
    """Builds a GraphDef's nodes into the importer's graph, converting v1 control flow."""

    def __init__(self, importer, order: list):
        self.importer = importer
        self.nodes = importer.nodes
        self.structure = Structure(self.nodes, order)
        self.order = order
        self.root = _Scope(None, ())
        self.stacks: dict[str, TensorArray] = {}  # stack → what its forward loop pushed
        self.shape_reads: dict[str, Tensor] = {}  # stack → its shape, where a host loop ran
        self.counts: dict[str, Tensor] = {}  # stack → how many elements were pushed, if not all

    def import_nodes(self) -> dict:
        """Builds every node of the root context; returns them by name (an Operation, or
        the outputs of a converted node)."""
        for node in self.order:
            if self.structure.ctx[node.name] == ():
                self.result(self.root, node.name)
        consumed = {_name(i.lstrip("^"))[0] for node in self.order for i in node.input}
        for node in self.order:
            ctx = self.structure.ctx[node.name]
            if ctx and all(c[0] == "cond" for c in ctx) and node.name not in consumed:
                if _has_effects(node.op):  # a pure one (a gradient's unused tuple) is left
                    self.root.built[node.name] = self._branch_sink(ctx, node)
        return self.root.built

    def _branch_sink(self, ctx: tuple, node):
        """A node with effects of a cond's branch (of conds nested in branches: `ctx`, the
        outermost first) that no Merge reaches and nothing consumes (an enqueue fed a branch
        value): TF runs it only when its branches run. It is built with its producers in
        conds of its own on the branches' predicates, one in the other, so running it runs
        nothing else; its single output is dead (TF's error if fetched) otherwise."""
        name = self.importer.prefix + node.name
        with self.root.graph.name_scope(None):
            out = self._live_cond(self.root, ctx, node, name + "_live")
        if isinstance(out, Operation):
            with self.root.graph.control_dependencies([out]):
                return control_flow_ops.no_op(name=name)
        return [self._named(node, out[0])] if len(out) == 1 else out

    def _live_cond(self, parent: _Scope, ctx: tuple, node, name: str):
        """The cond on the predicate of branch `ctx[len(parent.ctx)]` that builds `node`
        in the branch (in a cond of the next branch of `ctx` while one is left)."""
        branch = ctx[len(parent.ctx)]
        _, pred, b = branch
        made = []

        def taken():
            scope = _Scope(parent, parent.ctx + (branch,))
            if scope.ctx == ctx:
                result = self.result(scope, node.name)
            else:
                result = self._live_cond(scope, ctx, node, name)
            outputs = result.outputs if isinstance(result, Operation) else result
            made.extend(t for t in outputs if isinstance(t, Tensor) and not t.dtype._is_ref_dtype)
            if made:
                return list(made)
            return result if isinstance(result, Operation) else control_flow_ops.no_op()

        def other():
            return list(made) or control_flow_ops.no_op()  # stand-ins: dead here

        pred_value = self.value(parent, pred)
        if b == 0:
            pred_value = math_ops.logical_not(pred_value)
        return control_flow_ops.cond(pred_value, taken, other, strict=True, name=name)

    # -- resolving names in a scope -----------------------------------------------------

    def result(self, scope: _Scope, name: str):
        """The node `name` as built in its context's scope (building it once)."""
        node = self.nodes.get(name)
        if node is None:
            raise ValueError(f"Unknown input node '{name}'")
        home = scope.home(self.structure.ctx[name], node)
        if name not in home.built:
            with home.graph.as_default(), home.graph.name_scope(None):
                for pending in self._unbuilt(home, node):  # producers first: no deep recursion
                    home.built[pending.name] = self._build(home, pending)
        return home.built[name]

    def _unbuilt(self, home: _Scope, node) -> list:
        """`node` and the producers of its context it needs that `home` has not built yet,
        producers first."""
        order, seen, stack = [], set(), [(node, False)]
        while stack:
            current, ready = stack.pop()
            if ready:
                order.append(current)
                continue
            if current.name in seen or current.name in home.built:
                continue
            seen.add(current.name)
            stack.append((current, True))
            for tensor_name in reversed(self._needs(current)):
                producer = self.nodes.get(_name(tensor_name)[0])
                if producer is not None and self.structure.ctx.get(producer.name) == home.ctx:
                    stack.append((producer, False))
        return order

    def _needs(self, node) -> list:
        """The inputs `_build` reads for `node` (a loop variable or a structure's output
        reads none of its own context's)."""
        if node.name in self.structure.var_of or node.op in ("Exit", "RefExit"):
            return []
        if node.op in ("Merge", "RefMerge") or node.op in STACK_TYPES:
            return []
        return node.input[:1] if node.op in ("Switch", "RefSwitch") else node.input

    def value(self, scope: _Scope, tensor_name: str):
        key = self.importer.mapped(tensor_name)
        if key is not None:
            return key
        name, out = _name(tensor_name)
        result = self.result(scope, name)
        if isinstance(result, Operation):
            result = result.outputs
        if out >= len(result):
            raise ValueError(
                f"Connecting to invalid output {out} of source node {name} which has "
                f"{len(result)} outputs."
            )
        return result[out]

    def control(self, scope: _Scope, tensor_name: str):
        mapped = self.importer.mapped(tensor_name)
        if mapped is not None:
            return mapped.op if isinstance(mapped, Tensor) else mapped
        if not _encloses(scope.ctx, self.structure.ctx.get(tensor_name[1:], ())):
            return None  # an op inside a loop or branch: its functional op runs it
        result = self.result(scope, tensor_name[1:])
        if isinstance(result, Operation):
            return result
        ops = [v.op for v in result if isinstance(v, Tensor)]
        return ops[0] if ops else None

    # -- building one node ----------------------------------------------------------------

    def _build(self, scope: _Scope, node):
        structure = self.structure
        if node.op in ("Enter", "RefEnter", "NextIteration", "RefNextIteration", "LoopCond"):
            return [self.value(scope, node.input[0])]
        if node.name in structure.var_of:
            return [scope.args[structure.var_of[node.name][1]], None]
        if node.op in ("Switch", "RefSwitch"):
            data = self.value(scope, node.input[0])
            return [None, data] if structure.is_loop_switch(node) else [data, data]
        if node.op in ("Exit", "RefExit"):
            return [self._named(node, self._exit(scope, node))]
        if node.op in ("Merge", "RefMerge"):
            return [self._named(node, self._merge(scope, node)), None]
        if node.op in TENSOR_ARRAY_TYPES:
            return _tensor_array_op(self, scope, node)
        if node.op in STACK_TYPES:
            return self._stack_op(scope, node)
        inputs = [self.value(scope, i) for i in node.input if not i.startswith("^")]
        if node.op == "Identity" and (not isinstance(inputs[0], Tensor) or self._pivot(node)):
            return inputs  # a TensorArray's flow or handle, or a loop variable in its body
        controls = [self.control(scope, i) for i in node.input if i.startswith("^")]
        controls = [c for c in controls if c is not None]
        # TF's gradients treat a flow as the float scalar it is there (Shape, ZerosLike)
        inputs = [_dummy_flow() if isinstance(x, TensorArray) else x for x in inputs]
        return self.importer.build(scope.graph, node, inputs, controls)

    def _pivot(self, node) -> bool:
        """Whether `node` is the Identity TF1 puts on a loop variable in its body (the loop
        builder sees the variable itself, and so recognises a counting loop)."""
        producer = self.nodes.get(_name(node.input[0])[0])
        return producer is not None and self.structure.is_loop_switch(producer)

    def _named(self, node, value):
        """`value` under the name of the node it stands for, so names still resolve."""
        if not isinstance(value, Tensor):
            return value
        return array_ops.identity(value, name=self.importer.prefix + node.name)

    # -- loops ------------------------------------------------------------------------------

    def _exit(self, scope: _Scope, node):
        switch = self.nodes[_name(node.input[0])[0]]
        while switch.op == "Identity":  # TF's gradients put tuple() identities before Exit
            switch = self.nodes[_name(switch.input[0])[0]]
        if not self.structure.is_loop_switch(switch):
            raise _unconvertible(node, "its input is not a loop variable's Switch")
        frame_name, index = self.structure.var_of[_name(switch.input[0])[0]]
        key = ("while", frame_name)
        if key not in scope.structures:
            scope.structures[key] = self._loop(scope, self.structure.frames[frame_name])
        return scope.structures[key][index]

    def _loop(self, scope: _Scope, frame: _Frame) -> list:
        """The loop's outputs; the stacks it pushes are TensorArrays written at its counter
        (extra loop variables), the stacks it pops are read from the top down, and the
        gradient TensorArrays it writes are loop variables too. A loop that does not count
        to a bound known when compiled writes its stacks at a counter of its own, sized by
        `_bucket`."""
        inits = [self.value(scope, self.nodes[e].input[0]) for e in frame.enters]
        if frame.loop_cond is None:
            raise _unconvertible(self.nodes[frame.merges[0]], "its loop has no LoopCond")
        grads = [self._grad_init(scope, key) for key in frame.grads]
        pushed = list(frame.pushes)
        name = self.importer.prefix + frame.name.rsplit("/", 1)[0]
        count = bool(pushed) and not self._counts_when_compiled(scope, frame)
        if count and any(_grows(x) for x in inits + grads):  # run from the host: stacks grow
            arrays = [self._pushed_array(stack) for stack in pushed]
        elif count:
            size = self._upper_bound(scope, frame)
            if size is None:
                size = self._bucket(scope, frame, inits, grads, name)
            arrays = [self._pushed_array(stack, size) for stack in pushed]
        else:
            arrays = [self._pushed_array(stack) for stack in pushed]
        outputs = self._while(scope, frame, inits, arrays, grads, name, count)
        n, k = len(inits), len(frame.grads)
        self.stacks.update(zip(pushed, outputs[n : n + len(pushed)]))
        last = len(outputs) - int(count)
        scope.grads.update(zip(frame.grads, outputs[last - k : last]))
        if count:
            self.counts.update((stack, outputs[-1]) for stack in pushed)
        return outputs[:n]

    def _bucket(self, scope: _Scope, frame: _Frame, inits: list, grads: list, name: str):
        """A power of two >= the loop's trip count, which only a run knows: the host reads
        it from the same loop without its pushes (`WhileTripCount`, `WhileBucket`) before
        the loop runs."""
        probe = self._while(scope, frame, inits, None, grads, name + "_trips")
        op = next(t for t in probe if isinstance(t, Tensor)).op
        attrs = {k: v for k, v in op._attrs.items() if k not in ("_host", "_class")}
        with scope.graph.name_scope(name + "_trips/"):
            trips = apply_op("WhileTripCount", list(op.inputs), **attrs)
            return apply_op("WhileBucket", [trips])

    def _upper_bound(self, scope: _Scope, frame: _Frame):
        """A bound on the loop's trip count known when compiled, or None: its test is, or
        joins with LogicalAnd, `i < n` with `i` counting by 1 from a constant and `n`
        computed from shapes (TF's test of `maximum_iterations` is one)."""
        test = self.nodes[_name(self.nodes[frame.loop_cond].input[0])[0]]
        tests = [test]
        if test.op == "LogicalAnd":
            tests = [self.nodes[_name(i)[0]] for i in test.input]
        for node in tests:
            if node.op != "Less" or _name(node.input[0])[0] not in frame.merges:
                continue
            start = self._counter_start(scope, frame, frame.merges.index(_name(node.input[0])[0]))
            bound = self._outer_bound(scope, node.input[1])
            if start is not None and bound is not None:
                return math_ops.maximum(math_ops.cast(bound, dtypes.int32) - start, 0)
        return None

    def _counter_start(self, scope: _Scope, frame: _Frame, k: int):
        """The constant loop variable `k` starts from if each step adds 1 to it, or None."""
        update = self.nodes[_name(self.nodes[frame.nexts[k]].input[0])[0]]
        if update.op not in ("Add", "AddV2"):
            return None
        one = [self.nodes[_name(i)[0]] for i in update.input if _name(i)[0] in self.nodes]
        step = [n for n in one if n.op == "Const"]
        if len(step) != 1 or tensor_util.make_ndarray(step[0].attr["value"].tensor) != 1:
            return None
        start = constant_value(self.value(scope, self.nodes[frame.enters[k]].input[0]))
        return None if start is None or np.ndim(start) else int(start)

    def _outer_bound(self, scope: _Scope, tensor_name: str):
        """The tensor from outside the loop a test compares with, if it is computed from
        shapes (known when compiled)."""
        node = self.nodes.get(_name(tensor_name)[0])
        if node is None or node.op not in ("Enter", "RefEnter"):
            return None
        outer = self.value(scope, node.input[0])
        return outer if control_flow_ops._foldable(outer) else None

    def _while(self, scope, frame, inits, arrays, grads, name: str, count=False) -> list:
        """The loop built with `arrays` for its pushed stacks (None: without its pushes),
        written at its counter or, with `count`, at one more loop variable counting from 0;
        its outputs: the loop variables', the pushed stacks', the popped stacks' tops,
        the gradient TensorArrays' and the count's."""
        ctx = scope.ctx + (("while", frame.name),)
        n, pushed = len(inits), list(frame.pushes) if arrays is not None else []
        tops = [self._top(frame, stack) for stack in frame.pops]
        inits = inits + list(arrays or []) + tops + grads
        inits += [constant_op.constant(0, dtypes.int32, name=name + "_count")] if count else []
        pops = slice(n + len(pushed), n + len(pushed) + len(tops))
        held = slice(pops.stop, pops.stop + len(grads))

        def body_scope(args):
            inner = _Scope(scope, ctx, list(args[:n]))
            inner.stacks = dict(zip(pushed, args[n:])) | dict(zip(frame.pops, args[pops]))
            inner.grads = dict(zip(frame.grads, args[held]))
            return inner

        def cond(*args):
            return self.value(body_scope(args), self.nodes[frame.loop_cond].input[0])

        def body(*args):
            inner = body_scope(args)
            results = [self.value(inner, self.nodes[x].input[0]) for x in frame.nexts]
            counter = args[-1] if count else args[self.structure.counter(frame)] if pushed else None
            for stack in pushed:
                value = self._pushed_value(inner, self.nodes[frame.pushes[stack]])
                if isinstance(value, TensorArray):  # a TensorArray's flow: orders ops only
                    value = constant_op.constant(
                        0.0, _dtype(self.nodes[stack].attr["elem_type"].type)
                    )
                results.append(inner.stacks[stack].write(counter, value))
            results += [inner.stacks[stack] - 1 for stack in frame.pops]
            for write in frame.grad_writes:  # each iteration's writes, wherever they flow
                self.result(inner, write)
            results += [inner.grads[key] for key in frame.grads]
            return results + ([args[-1] + 1] if count else [])

        return control_flow_ops.while_loop(
            cond,
            body,
            inits,
            shape_invariants=self._invariants(frame, inits),
            parallel_iterations=frame.parallel_iterations,
            name=name,
            return_same_structure=True,
        )

    def _grad_init(self, scope: _Scope, key: tuple) -> TensorArray:
        """The gradient TensorArray `key` as a loop or cond writing it starts: as an
        enclosing scope holds it, or zeros shaped like its forward array (what TF's
        TensorArrayGradV3 makes from its flow input, which comes from outside)."""
        held = _holder(scope, key)
        if held is not None:
            return held.grads[key]
        grad = self.structure.handle_of(self.nodes[self.structure.writes_of[key][0]])
        flow, passing = grad.input[1], ("Enter", "RefEnter", "Switch", "RefSwitch", "Identity")
        node = self.nodes.get(_name(flow)[0])
        while node is not None and node.op in passing and not self._outside(scope, node):
            flow = node.input[0]
            node = self.nodes.get(_name(flow)[0])
        if node is None or not self._outside(scope, node):
            raise _unconvertible(grad, "its flow input does not come from outside its loop")
        scope.grads[key] = _zeros_like_array(self.value(scope, flow), grad)
        return scope.grads[key]

    def _outside(self, scope: _Scope, node) -> bool:
        """Whether `node` lives in `scope` or a scope enclosing it."""
        return _encloses(scope.ctx, self.structure.ctx.get(node.name, ()))

    def _counts_when_compiled(self, scope: _Scope, frame: _Frame) -> bool:
        """Whether the loop counts (`i < n`) to a bound known when it is compiled (a
        constant, or computed from shapes): then a stack it pushes grows one element per
        step."""
        k = self.structure.counter(frame)
        if k < 0:
            return False
        test = self.nodes[_name(self.nodes[frame.loop_cond].input[0])[0]]
        merge = frame.merges[k]
        bound = next(i for i in test.input if _name(i)[0] != merge)
        node = self.nodes.get(_name(bound)[0])
        while node is not None and node.op == "Identity":
            node = self.nodes.get(_name(node.input[0])[0])
        if node is None or node.op not in ("Const", "Enter", "RefEnter"):
            return False
        if node.op == "Const":
            return True
        # a bound computed from shapes is a static input of the loop's segment
        return control_flow_ops._foldable(self.value(scope, node.input[0]))

    def _top(self, frame: _Frame, stack: str):
        """The index of the last element pushed to `stack`."""
        count = self.counts.get(stack)
        return (self._popped(frame, stack).size() if count is None else count) - 1

    def _pushed_value(self, scope: _Scope, push):
        """What `push` pushes in this iteration: a value of the loop body, or of a cond in
        it (that cond's If returns it, zeros when the other branch runs)."""
        ctx = self.structure.ctx[push.name]
        if ctx == scope.ctx:
            return self.value(scope, push.input[1])
        if self.structure.pushes_shape(push):
            return self._shape_pushed(scope, push)
        pred = ctx[-1][1]
        merge = next(
            m for m, (c, p, _) in self.structure.cond_merges.items() if c == scope.ctx and p == pred
        )
        self.result(scope, merge)  # builds the cond, which returns what its branches push
        return scope.structures[("pushes", pred)][push.name]

    def _pushed_array(self, stack: str, size=None) -> TensorArray:
        """What a loop pushes `stack` to: a TensorArray of `size`, or growing."""
        dtype = _dtype(self.nodes[stack].attr["elem_type"].type)
        name = self.importer.prefix + stack
        if size is not None:
            return TensorArray(dtype, size=size, name=name)._as_stack()
        return TensorArray(dtype, size=0, dynamic_size=True, name=name)._as_stack()

    def _popped(self, frame: _Frame, stack: str) -> TensorArray:
        if stack not in self.stacks:  # its forward loop: built through any of its exits
            raise _unconvertible(
                self.nodes[stack], f"it is popped in '{frame.name}' before it is pushed"
            )
        return self.stacks[stack]

    def _stack_op(self, scope: _Scope, node) -> list:
        if node.op == "StackV2":
            return [None]  # a handle: the ops that use it find their stack by name
        if node.op == "StackCloseV2":
            return control_flow_ops.no_op(name=self.importer.prefix + node.name)
        if node.op == "StackPushV2":  # the loop writes it; as a value it is what it pushes
            return [self.value(scope, node.input[1])]
        stack = self.structure.stack_of(node)
        while stack not in scope.stacks and scope.parent is not None:
            scope = scope.parent  # a pop inside a cond of the loop body
        array = self.stacks[stack]
        if not control_flow_ops.holds_one_shape(array):
            return [array.read(scope.stacks[stack])]
        if not array.flow.op._attrs.get("_host"):
            return [array.read(0)]  # a shape, known when compiled (in the same segment)
        if stack not in self.shape_reads:  # read where the loop ran, a static input here
            with array.flow.graph.as_default():
                self.shape_reads[stack] = array.read(0)
        return [self.shape_reads[stack]]

    def _invariants(self, frame: _Frame, inits: list):
        out = []
        for merge, init in zip(frame.merges, inits):
            recorded = self.nodes[merge].attr.get("_output_shapes")
            if recorded is not None and recorded.list.shape and isinstance(init, Tensor):
                out.append(tensor_shape.TensorShape(_shape(recorded.list.shape[0])))
            else:
                out.append(None)
        return out + [None] * (len(inits) - len(out))  # the stacks' variables

    # -- conds ------------------------------------------------------------------------------

    def _merge(self, scope: _Scope, node):
        _, pred, _ = self.structure.cond_merges[node.name]
        group = self.structure.cond_group(node.name)
        key = ("cond", group[0])
        if key not in scope.structures:
            outputs = self._cond(scope, pred, group)
            scope.structures[key] = dict(zip(group, outputs))
        return scope.structures[key][node.name]

    def _cond(self, scope: _Scope, pred: str, group: list) -> list:
        """The outputs of the cond whose Merges are `group`. The first cond built on `pred`
        in a loop body also returns what TF's gradient pushes in its branches."""
        pushes = []
        if ("pushes", pred) not in scope.structures:
            pushes = self.structure.branch_pushes.get((scope.ctx, pred), [])
            scope.structures[("pushes", pred)] = {}
        writes = self.structure.branch_writes(group)
        keys = list(dict.fromkeys(self.structure.grad_key(self.nodes[w]) for w in writes))
        grads = [self._grad_init(scope, key) for key in keys]

        def branch(b):
            def fn():
                inner = _Scope(scope, scope.ctx + (("cond", pred, b),))
                values = []
                for name in group:
                    _, _, branches = self.structure.cond_merges[name]
                    index = branches.get(b)
                    if index is None:  # the input outside both branches
                        index = next(i for i in range(2) if i not in branches.values())
                    values.append(self.value(inner, self.nodes[name].input[index]))
                for write in writes:  # the gradient arrays it writes, as they end
                    if self.structure.ctx[write] == inner.ctx:
                        self.result(inner, write)
                values += [inner.grads.get(key, grad) for key, grad in zip(keys, grads)]
                return values + [self._branch_push(inner, self.nodes[p]) for p in pushes]

            return fn

        pred_value = self.value(scope, pred)
        name = self.importer.prefix + group[0].rsplit("/", 1)[0]  # TF's cond scope
        outputs = control_flow_ops.cond(pred_value, branch(1), branch(0), strict=True, name=name)
        n = len(group)
        for key, grad, out in zip(keys, grads, outputs[n : n + len(keys)]):
            scope.grads[key] = grad._with_buffer(out) if isinstance(out, Tensor) else out
        scope.structures[("pushes", pred)].update(zip(pushes, outputs[n + len(keys) :]))
        return outputs[:n]

    def _branch_push(self, branch: _Scope, push):
        """What `push` pushes when `branch` runs: its value there, else zeros."""
        if self.structure.ctx[push.name] == branch.ctx:
            return self.value(branch, push.input[1])
        name, out = _name(push.input[1])
        recorded = self.nodes[name].attr.get("_output_shapes")
        shape = _shape(recorded.list.shape[out]) if recorded is not None else None
        if shape is None or None in shape:
            shape = self._probed_shape(branch, push)
        dtype = _dtype(self.nodes[self.structure.stack_of(push)].attr["elem_type"].type)
        if shape is None or None in shape:  # dims the run decides (an unknown batch)
            return array_ops.zeros(self._pushed_shape(branch, push), dtype)
        return array_ops.zeros(shape, dtype)

    def _pushed_shape(self, other: _Scope, push) -> Tensor:
        """The shape of what `push` pushes, that value built in `other` (the branch where
        it is not pushed) for its shape alone."""
        return array_ops.shape(self._built_elsewhere(other.parent, push, push.input[1]))

    def _shape_pushed(self, body: _Scope, push) -> Tensor:
        """The shape `push` pushes in a cond of the loop `body`, built in the body."""
        return self._built_elsewhere(body, push, push.input[1])

    def _built_elsewhere(self, parent: _Scope, push, ref: str) -> Tensor:
        """`ref`, of the branch `push` is in, built in the graph of the scope being built
        (`parent` or a branch of it) for its shape alone: its ops must not touch state."""
        graph = get_default_graph()
        before = len(graph.get_operations())
        value = self.value(_Scope(parent, self.structure.ctx[push.name]), ref)
        if not pure(graph.get_operations()[before:]):
            raise _unconvertible(
                push,
                "what it pushes inside a cond has a shape known only when run, and ops that "
                "touch state (random ops, assignments) compute it",
            )
        return value

    def _probed_shape(self, other: _Scope, push):
        """The static shape of what `push` pushes, built in a throwaway function of the
        branch it is in (`other` is the other branch's scope)."""
        from flowgraph.framework.func_graph import FuncGraph

        with FuncGraph("probe", other.graph).as_default():
            value = self.value(_Scope(other.parent, self.structure.ctx[push.name]), push.input[1])
        return value.shape.as_list() if value.shape.ndims is not None else None


def pure(ops) -> bool:
    """Whether `ops` only compute their outputs from their inputs (or read shapes)."""
    return all(not registry.lookup(op.type).effects.stateful for op in ops)


def _grows(x) -> bool:
    """Whether `x` is a TensorArray that grows as its loop writes it (a loop that does not
    count runs from the host, step by step)."""
    return isinstance(x, TensorArray) and x._dynamic_size and x.flow is None


def _shape(proto) -> list | None:
    if proto.unknown_rank:
        return None
    return [d.size if d.size >= 0 else None for d in proto.dim]


# -- TensorArrays: values here, so each op works on the TensorArray its flow input carries --


def _tensor_array_op(converter: Converter, scope: _Scope, node) -> list:
    inputs = [converter.value(scope, i) for i in node.input if not i.startswith("^")]
    name = converter.importer.prefix + node.name
    op = node.op
    if op == "TensorArrayGradV3" or isinstance(inputs[0], _GradHandle):
        return _grad_array_op(converter, scope, node, inputs, name)
    if op == "TensorArrayV3":
        shape = node.attr["element_shape"].shape
        array = TensorArray(
            _dtype(node.attr["dtype"].type),
            size=inputs[0],
            dynamic_size=node.attr["dynamic_size"].b,
            element_shape=None if shape.unknown_rank else _shape(shape),
            name=name,
        )
        return [_TensorArrayHandle(), array]
    if op == "TensorArrayCloseV3":
        return control_flow_ops.no_op(name=name)
    array = inputs[-1]
    if not isinstance(array, TensorArray):
        raise _unconvertible(node, "its flow input is not a TensorArray's")
    if op == "TensorArrayWriteV3":
        return [array.write(inputs[1], inputs[2])]
    if op == "TensorArrayReadV3":
        return [array.read(inputs[1], name=name)]
    if op == "TensorArrayGatherV3":
        return [array.gather(inputs[1], name=name)]
    if op == "TensorArrayScatterV3":
        return [array.scatter(inputs[1], inputs[2])]
    if op == "TensorArraySizeV3":
        return [array.size(name=name)]
    if op == "TensorArraySplitV3":
        return [array.split(inputs[1], inputs[2])]
    if op == "TensorArrayConcatV3":
        return [array.concat(name=name), _lengths(array)]
    raise _unconvertible(node, "this TensorArray op is not converted")


def _grad_array_op(converter: Converter, scope: _Scope, node, inputs: list, name: str) -> list:
    """An op on one of TF's gradient TensorArrays: the array its scope (or an enclosing
    one) holds. Writes add to what is there (a gradient array aggregates its writes), in
    the scope that holds it; the flows they return are dummies."""
    key = converter.structure.grad_key(node)
    if node.op == "TensorArrayGradV3":
        if _holder(scope, key) is None:  # made where it is first used, shaped like its array
            scope.grads[key] = _zeros_like_array(inputs[-1], node)
        return [_GradHandle(key), inputs[-1]]
    holder = _holder(scope, key)
    if holder is None:
        raise _unconvertible(node, "its gradient TensorArray is not made before it is used")
    array = holder.grads[key]
    op = node.op
    if op in _GRAD_WRITES:  # the array as this scope (a loop body, a branch) leaves it
        if op == "TensorArrayWriteV3":
            array = array.write(inputs[1], array.read(inputs[1]) + inputs[2])
        elif op == "TensorArrayScatterV3":
            array = array.scatter(inputs[1], array.gather(inputs[1]) + inputs[2])
        else:
            array = array.unstack(array.stack() + array.split(inputs[1], inputs[2]).stack())
        scope.grads[key] = array
        return [constant_op.constant(0.0, name=name)]  # TF's flows are float scalars
    if op == "TensorArrayReadV3":
        return [array.read(inputs[1], name=name)]
    if op == "TensorArrayGatherV3":
        return [array.gather(inputs[1], name=name)]
    if op == "TensorArraySizeV3":
        return [array.size(name=name)]
    if op == "TensorArrayConcatV3":
        return [array.concat(name=name), _lengths(array)]
    return control_flow_ops.no_op(name=name)  # TensorArrayCloseV3


def _lengths(array: TensorArray):
    """TensorArrayConcatV3's `lengths` output: each element's first dimension (int64),
    a constant when the elements' shape is known."""
    shape = array.flow.shape
    if shape.ndims is not None and shape[:2].is_fully_defined() and shape.ndims > 1:
        n, each = shape.as_list()[:2]
        return constant_op.constant([each] * n, dtypes.int64)
    dims = array_ops.shape(array.flow, out_type=dtypes.int64)
    return array_ops.fill(dims[:1], dims[1])


def _dummy_flow() -> Tensor:
    """A flow where TF's ops need a tensor: TF's flows are float scalars, which order
    TensorArray ops only (here the arrays are values)."""
    return constant_op.constant(0.0, dtypes.float32, name="flow")


def _holder(scope: _Scope, key: tuple):
    """The scope (this one or an enclosing one) that holds gradient TensorArray `key`."""
    while scope is not None and key not in scope.grads:
        scope = scope.parent
    return scope


def _zeros_like_array(array, node) -> TensorArray:
    """A TensorArray of zeros shaped like `array` (TF's TensorArrayGradV3)."""
    if not isinstance(array, TensorArray) or array.flow is None:
        raise _unconvertible(node, "its flow input is not a written TensorArray's")
    return array._with_buffer(array_ops.zeros_like(array.flow))


def _dtype(enum: int):
    return dtypes.as_dtype(enum)
