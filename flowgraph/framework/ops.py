"""The symbolic graph: Graph, Operation and Tensor, with TF1's names and scoping rules."""

from __future__ import annotations

import contextlib
import linecache
import os
import re
import sys
import threading
from typing import Any, Callable, Iterable

import numpy as np
from tensorboard.compat.proto import attr_value_pb2

from device import ir
from device.interpret import fold
from device.spec import DeviceSpec
from flowgraph.framework import dtypes, graph_def, op_def_library, tensor_shape
from flowgraph.framework.traceback_util import api_boundary, at_boundary
from kernels import errors, op_def as op_def_registry, registry
from kernels.registry import Spec
from kernels.shapes import infer

# TF1's regexes: no backslash; a scope inside another may also start with "_", "-", "/" or ">".
_VALID_OP_NAME = re.compile(r"^[A-Za-z0-9.][A-Za-z0-9_./>-]*$")
_VALID_SCOPE_NAME = re.compile(r"^[A-Za-z0-9_./>-]*$")
_INTERNAL_DIRS = (
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep,
    os.path.dirname(os.path.abspath(registry.__file__)) + os.sep,
    os.path.dirname(os.path.abspath(ir.__file__)) + os.sep,
    os.path.dirname(contextlib.__file__) + os.sep + "contextlib.py",
)


class GraphKeys:
    """Standard names for graph collections (TF1's `tf.GraphKeys`)."""

    GLOBAL_VARIABLES = "variables"
    VARIABLES = GLOBAL_VARIABLES
    LOCAL_VARIABLES = "local_variables"
    METRIC_VARIABLES = "metric_variables"
    MODEL_VARIABLES = "model_variables"
    TRAINABLE_VARIABLES = "trainable_variables"
    SUMMARIES = "summaries"
    QUEUE_RUNNERS = "queue_runners"
    TABLE_INITIALIZERS = "table_initializer"
    ASSET_FILEPATHS = "asset_filepaths"
    MOVING_AVERAGE_VARIABLES = "moving_average_variables"
    REGULARIZATION_LOSSES = "regularization_losses"
    CONCATENATED_VARIABLES = "concatenated_variables"
    SAVERS = "savers"
    WEIGHTS = "weights"
    BIASES = "biases"
    ACTIVATIONS = "activations"
    UPDATE_OPS = "update_ops"
    LOSSES = "losses"
    SAVEABLE_OBJECTS = "saveable_objects"
    RESOURCES = "resources"
    LOCAL_RESOURCES = "local_resources"
    TRAINABLE_RESOURCE_VARIABLES = "trainable_resource_variables"
    INIT_OP = "init_op"
    LOCAL_INIT_OP = "local_init_op"
    READY_OP = "ready_op"
    READY_FOR_LOCAL_INIT_OP = "ready_for_local_init_op"
    SUMMARY_OP = "summary_op"
    GLOBAL_STEP = "global_step"
    EVAL_STEP = "eval_step"
    TRAIN_OP = "train_op"
    COND_CONTEXT = "cond_context"
    WHILE_CONTEXT = "while_context"


_internal_code: dict = {}  # code object -> whether it belongs to flowgraph itself


def _user_frames() -> tuple[tuple[str, int, str], ...]:
    """The caller's stack outside flowgraph, outermost first (cheap: no source reading)."""
    frames = []
    f = sys._getframe(2)
    internal = _internal_code
    while f is not None and len(frames) < 40:
        code = f.f_code
        hidden = internal.get(code)
        if hidden is None:
            hidden = internal[code] = code.co_filename.startswith(_INTERNAL_DIRS)
        if not hidden:
            frames.append((code.co_filename, f.f_lineno, code.co_name))
        f = f.f_back
    frames.reverse()
    return tuple(frames)


class Operation:
    """A node in the graph: an op type applied to input tensors, producing output tensors.

    Created by op constructors such as `tf.matmul`, never directly.
    """

    __slots__ = (
        "_graph",
        "_name",
        "_type",
        "_inputs",
        "_control_inputs",
        "_attrs",
        "_device",
        "_outputs",
        "_frames",
        "_id",
        "_node",
        "__weakref__",
    )

    def __init__(
        self,
        graph: "Graph",
        name: str,
        op_type: str,
        inputs: list["Tensor"],
        attrs: dict,
        output_specs: tuple[Spec, ...],
        control_inputs: list["Operation"],
        frames: tuple,
    ):
        self._graph = graph
        self._name = name
        self._type = op_type
        self._inputs = tuple(inputs)
        self._control_inputs = list(control_inputs)
        self._attrs = attrs
        self._device = ""
        self._frames = frames
        self._node = None
        self._outputs = tuple(
            Tensor(self, i, dtypes.as_dtype(s.dtype), s.shape) for i, s in enumerate(output_specs)
        )

    @property
    def name(self) -> str:
        """The full name of this operation."""
        return self._name

    @property
    def type(self) -> str:
        """The op type, e.g. "MatMul"."""
        return self._type

    @property
    def graph(self) -> "Graph":
        return self._graph

    @property
    def inputs(self) -> tuple["Tensor", ...]:
        """The input tensors of this op."""
        return self._inputs

    @property
    def outputs(self) -> list["Tensor"]:
        """The output tensors of this op."""
        return list(self._outputs)

    @property
    def control_inputs(self) -> list["Operation"]:
        """The operations that must run before this one."""
        return list(self._control_inputs)

    @property
    def device(self) -> str:
        """The requested device of this op, or "" if none."""
        return self._device

    @property
    def traceback(self) -> list[tuple[str, int, str, str]]:
        """Where the user created this op: (filename, lineno, function, line), outermost first."""
        return [(f, n, fn, linecache.getline(f, n).strip()) for f, n, fn in self._frames]

    @property
    def node_def(self):
        """This op as a `NodeDef` proto: name, op type, inputs, device and attrs."""
        return graph_def.node_def(self)

    def get_attr(self, name: str) -> Any:
        """The value of attr `name`; ValueError if this op has no such attr."""
        if name not in self._attrs:
            raise ValueError(f"Operation '{self._name}' has no attr named '{name}'.")
        value = self._attrs[name]
        if name == "_class":  # stored as a tuple (hashable); TF hands back a list
            return list(value)
        if isinstance(value, np.dtype):
            return dtypes.as_dtype(value)
        if isinstance(value, (list, tuple)) and value and isinstance(value[0], np.dtype):
            return [dtypes.as_dtype(v) for v in value]
        return value

    def values(self) -> tuple["Tensor", ...]:
        """The output tensors (TF1's `Operation.values()`)."""
        return self._outputs

    @api_boundary
    def run(self, feed_dict=None, session=None) -> None:
        """Runs this op in `session` (default: the default session)."""
        _run_with_session(self._graph, self, feed_dict, session)

    def colocation_groups(self) -> list[bytes]:
        """The colocation groups of this op: its `_class` `loc:@` entries, else its own."""
        groups = [c for c in self._attrs.get("_class", ()) if c.startswith(b"loc:@")]
        return groups or [b"loc:@" + self._name.encode()]

    def _set_device(self, device) -> None:
        spec = device.to_string() if isinstance(device, DeviceSpec) else (device or "")
        self._device = DeviceSpec.from_string(spec).to_string() if spec else ""
        self._node = None
        self._graph._mutated()

    def _add_control_input(self, op: "Operation") -> None:
        if op not in self._control_inputs:
            self._control_inputs.append(op)
            self._node = None
            self._graph._mutated()

    def _add_control_inputs(self, ops: Iterable["Operation"]) -> None:
        for op in ops:
            self._add_control_input(op)

    def _add_input(self, tensor: "Tensor") -> None:
        """Appends an input (TF1's `Operation._add_input`); the caller updates the attrs
        that describe the inputs."""
        self._inputs += (tensor,)
        tensor._consumers.append(self)
        self._node = None
        self._graph._mutated()

    def _add_output(self, dtype: dtypes.DType, shape: tuple | None) -> "Tensor":
        """Appends an output; the caller updates the attrs that describe the outputs."""
        tensor = Tensor(self, len(self._outputs), dtype, shape)
        self._outputs += (tensor,)
        self._node = None
        self._graph._mutated()
        return tensor

    def _source(self) -> str:
        if not self._frames:
            return ""
        filename, line, func = self._frames[-1]
        return f"{os.path.basename(filename)}:{line} in {func}"

    def _as_node(self) -> ir.Node:
        if self._node is None:
            self._node = ir.Node(
                name=self._name,
                op=self._type,
                inputs=tuple((t._op._name, t._value_index) for t in self._inputs),
                control_inputs=tuple(c._name for c in self._control_inputs),
                attrs=self._attrs,
                device=self._device,
                output_dtypes=tuple(t._dtype.numpy_dtype for t in self._outputs),
                output_shapes=tuple(t._shape_tuple for t in self._outputs),
                source=self._source(),
            )
        return self._node

    def __repr__(self) -> str:
        return f"<tf.Operation '{self._name}' type={self._type}>"

    def _repr_html_(self) -> str:  # Jupyter
        from flowgraph import display

        return display.operation_html(self)

    def __str__(self) -> str:
        return repr(self._as_node())


class Tensor:
    """A symbolic handle to one output of an Operation; its value exists only in a session.

    Example:
      >>> a = tf.constant([[1., 2.]]); b = a * 2
      >>> b.name, b.shape
      ('mul:0', TensorShape([Dimension(1), Dimension(2)]))
    """

    __slots__ = (
        "_op",
        "_value_index",
        "_dtype",
        "_shape_tuple",
        "_shape",
        "_consumers",
        "__weakref__",
    )
    __array_priority__ = 100

    def __init__(self, op: Operation, value_index: int, dtype: dtypes.DType, shape: tuple | None):
        self._op = op
        self._value_index = value_index
        self._dtype = dtype
        self._shape_tuple = shape
        self._shape = None
        self._consumers: list[Operation] = []

    @property
    def op(self) -> Operation:
        return self._op

    @property
    def graph(self) -> "Graph":
        return self._op._graph

    @property
    def value_index(self) -> int:
        return self._value_index

    @property
    def dtype(self) -> dtypes.DType:
        return self._dtype

    @property
    def name(self) -> str:
        """`op_name:index`."""
        return f"{self._op._name}:{self._value_index}"

    @property
    def device(self) -> str:
        return self._op.device

    @property
    def shape(self) -> tensor_shape.TensorShape:
        """The statically known shape (dims may be unknown)."""
        if self._shape is None:
            self._shape = tensor_shape.TensorShape._from_tuple(self._shape_tuple)
        return self._shape

    def get_shape(self) -> tensor_shape.TensorShape:
        return self.shape

    def set_shape(self, shape) -> None:
        """Refines the static shape; ValueError if `shape` is incompatible."""
        merged = self.shape.merge_with(tensor_shape.as_shape(shape))
        self._shape = merged
        self._shape_tuple = merged.as_tuple()
        self._op._node = None
        self._op._graph._mutated()  # cached runs hold feed shapes: re-plan

    def consumers(self) -> list[Operation]:
        """The operations that read this tensor."""
        return list(self._consumers)

    @api_boundary
    def eval(self, feed_dict=None, session=None):
        """This tensor's value in `session` (default: the default session)."""
        return _run_with_session(self.graph, self, feed_dict, session)

    def __repr__(self) -> str:
        return f"<tf.Tensor '{self.name}' shape={self.shape} dtype={self._dtype.name}>"

    def _repr_html_(self) -> str:  # Jupyter
        from flowgraph import display

        return display.tensor_html(self)

    def __str__(self) -> str:
        return f'Tensor("{self.name}", shape={self.shape}, dtype={self._dtype.name})'

    __hash__ = object.__hash__  # identity, computed in C (tensors are dict keys on every run)

    def __eq__(self, other) -> bool:
        return self is other

    def __ne__(self, other) -> bool:
        return self is not other

    def __bool__(self):
        raise TypeError(
            "Using a `tf.Tensor` as a Python `bool` is not allowed. Use `if t is not None:` "
            "instead of `if t:` to test if a tensor is defined, and use TensorFlow ops such "
            "as tf.cond to execute subgraphs conditioned on the value of a tensor."
        )

    def __iter__(self):
        raise TypeError(
            "Tensor objects are only iterable when eager execution is enabled. To iterate "
            "over this tensor use tf.map_fn."
        )

    def __len__(self):
        raise TypeError(
            f"len is not well defined for symbolic Tensors. ({self.name}) Please call "
            "`x.shape` rather than `len(x)` for shape information."
        )

    @classmethod
    def _override_operator(cls, name: str, fn: Callable) -> None:
        setattr(cls, name, fn)

    def _as_node_def_input(self) -> str:
        return self.name if self._value_index else self._op.name


def _run_with_session(graph, fetch, feed_dict, session):
    from flowgraph.client import session as session_lib

    what, how, noun = (
        ("execute operation", "run", "operation")
        if isinstance(fetch, Operation)
        else ("evaluate tensor", "eval", "tensor")
    )
    if session is None:
        session = session_lib.get_default_session()
        if session is None:
            raise ValueError(
                f"Cannot {what} using `{how}()`: No default session is registered. "
                f"Use `with sess.as_default()` or pass an explicit session to "
                f"`{how}(session=sess)`"
            )
        if session.graph is not graph:
            raise ValueError(
                f"Cannot use the default session to {what}: the {noun}'s graph is "
                "different from the session's graph. Pass an explicit session to "
                f"`{how}(session=sess)`."
            )
    elif session.graph is not graph:
        raise ValueError(
            f"Cannot use the given session to {what}: the {noun}'s graph is "
            "different from the session's graph."
        )
    return session.run(fetch, feed_dict)


class _BuilderState(threading.local):
    """Per-thread scoping state of one graph (TF1 keeps these thread-local too)."""

    def __init__(self):
        self.name_stack = ""
        self.control_controllers: list[_ControlDependencies] = []
        self.device_functions: list[Callable | None] = []
        self.colocation_stack: list[Operation] = []


class Graph:
    """A TensorFlow computation: Operations (nodes) and Tensors (edges).

    Example:
      >>> g = tf.Graph()
      >>> with g.as_default():
      ...     c = tf.constant(30.0)
      >>> c.graph is g
      True
    """

    control_flow = ""  # a loop body's ("while") or cond branch's ("cond") FuncGraph
    # A built cond branch: its tensor as an output of its cond op, for use outside (TF1's
    # v1 cond allows that), or None.
    outside: Callable[["Tensor"], "Tensor"] | None = None

    def __init__(self):
        self._lock = threading.RLock()
        self._ops: list[Operation] = []
        self._ops_by_name: dict[str, Operation] = {}
        self._names_in_use: dict[str, int] = {}
        self._collections: dict[str, list] = {}
        self._local = _BuilderState()
        self._finalized = False
        self._epoch = 0
        self._ir: ir.GraphIR | None = None
        self._unfeedable: set[Tensor] = set()
        self._unfetchable: set[Any] = set()
        self._gradient_override_map: dict[str, str] = {}
        self._building_function = False
        self._seed: int | None = None

    @property
    def seed(self) -> int | None:
        """The graph-level random seed (`tf.set_random_seed`), or None."""
        return self._seed

    @seed.setter
    def seed(self, seed: int | None) -> None:
        self._seed = seed

    # -- the default graph --------------------------------------------------

    @contextlib.contextmanager
    def as_default(self):
        """Makes this graph the default graph within the `with` block."""
        stack = _default_graphs.stack
        stack.append(self)
        try:
            yield self
        finally:
            _remove_last(stack, self)  # by identity: an InteractiveSession may exit out of order

    # -- state ---------------------------------------------------------------

    @property
    def version(self) -> int:
        """Increases each time an op is added; 0 for an empty graph."""
        return len(self._ops)

    @property
    def finalized(self) -> bool:
        return self._finalized

    def finalize(self) -> None:
        """Makes this graph read-only: adding an op then raises RuntimeError."""
        self._finalized = True

    def _unsafe_unfinalize(self) -> None:
        self._finalized = False

    def _check_not_finalized(self) -> None:
        if self._finalized:
            raise RuntimeError("Graph is finalized and cannot be modified.")

    def _repr_html_(self) -> str:  # Jupyter: drawn with name scopes collapsed
        from flowgraph import display

        return display.GraphView(self)._repr_html_()

    def _repr_svg_(self) -> str:
        from flowgraph import display

        return display.GraphView(self).svg()

    def _mutated(self) -> None:
        # The one counter of changes to existing ops (devices, control inputs): a session's
        # cached runs and placements are planned again. Adding ops keeps them valid; the
        # public `version` (TF's) counts ops.
        self._epoch += 1
        self._ir = None

    # -- names ----------------------------------------------------------------

    def get_name_scope(self) -> str:
        """The current name scope, without a trailing slash."""
        return self._local.name_stack

    def unique_name(self, name: str, mark_as_used: bool = True) -> str:
        """`name` under the current scope, suffixed `_1`, `_2`, … if already in use."""
        stack = self._local.name_stack
        if stack:
            name = stack + "/" + name
        key = name.lower()
        i = self._names_in_use.get(key, 0)
        if mark_as_used:
            self._names_in_use[key] = i + 1
        if i > 0:
            base = key
            while key in self._names_in_use:
                key = f"{base}_{i}"
                i += 1
            if mark_as_used:
                self._names_in_use[key] = 1
            name = f"{name}_{i - 1}"
        return name

    @contextlib.contextmanager
    def name_scope(self, name: str | None):
        """Opens a name scope; `None`/"" resets to the top, a trailing "/" re-enters exactly."""
        local = self._local
        if name:
            pattern = _VALID_SCOPE_NAME if local.name_stack else _VALID_OP_NAME
            if not pattern.match(name):
                raise ValueError(f"'{name}' is not a valid scope name")
        old = local.name_stack
        if not name:
            new = ""
        elif name[-1] == "/":
            new = name[:-1]
        else:
            new = self.unique_name(name)
        local.name_stack = new
        try:
            yield new + "/" if new else ""
        finally:
            local.name_stack = old

    # -- ops --------------------------------------------------------------------

    def get_operations(self) -> list[Operation]:
        """Every operation, in creation order."""
        return list(self._ops)

    def get_operation_by_name(self, name: str) -> Operation:
        """The operation called `name`; KeyError if there is none."""
        if not isinstance(name, str):
            raise TypeError(f"Operation names are strings (or similar), not {type(name).__name__}.")
        return self.as_graph_element(name, allow_tensor=False, allow_operation=True)

    def get_tensor_by_name(self, name: str) -> Tensor:
        """The tensor called `op_name:index`; KeyError/ValueError as in TF1."""
        if not isinstance(name, str):
            raise TypeError(f"Tensor names are strings (or similar), not {type(name).__name__}.")
        return self.as_graph_element(name, allow_tensor=True, allow_operation=False)

    def as_graph_element(self, obj, allow_tensor: bool = True, allow_operation: bool = True):
        """The Tensor or Operation that `obj` (an object or a name) names in this graph."""
        with self._lock:
            return self._as_graph_element_locked(obj, allow_tensor, allow_operation)

    def _as_graph_element_locked(self, obj, allow_tensor, allow_operation):
        types = " or ".join(
            t for t, ok in (("Tensor", allow_tensor), ("Operation", allow_operation)) if ok
        )
        if hasattr(obj, "_as_graph_element") and not isinstance(obj, (Tensor, Operation)):
            obj = obj._as_graph_element()
        if isinstance(obj, str):
            return self._element_by_name(obj, allow_tensor, allow_operation, types)
        if isinstance(obj, Tensor) and allow_tensor:
            if obj.graph is not self:
                raise ValueError(f"Tensor {obj} is not an element of this graph.")
            return obj
        if isinstance(obj, Operation) and allow_operation:
            if obj.graph is not self:
                raise ValueError(f"Operation {obj} is not an element of this graph.")
            return obj
        raise TypeError(f"Can not convert a {type(obj).__name__} into a {types}.")

    def _element_by_name(self, name, allow_tensor, allow_operation, types):
        if ":" in name and allow_tensor:
            op_name, _, index = name.rpartition(":")
            try:
                i = int(index)
            except ValueError:
                raise ValueError(
                    f"The name {name!r} looks a like a Tensor name, but is not a "
                    "valid one. Tensor names must be of the form "
                    '"<op_name>:<output_index>".'
                ) from None
            if op_name not in self._ops_by_name:
                raise KeyError(
                    f"The name {name!r} refers to a Tensor which does not exist. "
                    f"The operation, {op_name!r}, does not exist in the graph."
                )
            outputs = self._ops_by_name[op_name]._outputs
            if not 0 <= i < len(outputs):
                raise KeyError(
                    f"The name {name!r} refers to a Tensor which does not exist. "
                    f"The operation, {op_name!r}, exists but only has "
                    f"{len(outputs)} outputs."
                )
            return outputs[i]
        if ":" not in name and allow_operation:
            if name not in self._ops_by_name:
                raise KeyError(f"The name {name!r} refers to an Operation not in the graph.")
            return self._ops_by_name[name]
        if ":" not in name and allow_tensor and name in self._ops_by_name:
            raise ValueError(
                f"The name {name!r} refers to an Operation, not a {types}. "
                'Tensor names must be of the form "<op_name>:<output_index>".'
            )
        if ":" in name and allow_operation:
            raise ValueError(f"Name {name!r} appears to refer to a Tensor, not a {types}.")
        raise ValueError(
            f"The name {name!r} looks like an (invalid) Operation name, not a {types}."
        )

    def create_op(
        self,
        op_type: str,
        inputs: list[Tensor],
        dtypes=None,
        input_types=None,
        name: str | None = None,
        attrs: dict | None = None,
        op_def=None,
        compute_shapes: bool = True,
        compute_device: bool = True,
    ) -> Operation:
        """Creates an `Operation` in this graph.

        This is a low-level interface for creating an `Operation`. Most programs will not
        call this method directly, and instead use the Python op constructors, such as
        `tf.constant()`, which add ops to the default graph. The op is checked against the
        `OpDef` of `op_type`, and attrs it omits that have defaults are filled.

        Example:
          >>> g.create_op("MatMul", [a, b], name="mm",
          ...             attrs={"transpose_a": attr_value_pb2.AttrValue(b=True)})

        Args:
          op_type: The `Operation` type to create (the `OpDef.name` of its op).
          inputs: A list of `Tensor` objects that will be inputs to the `Operation`.
          dtypes: (Optional) The `DType`s of the outputs; ignored, as in TF (the OpDef and
            the inputs determine them).
          input_types: (Optional.) A list of `DType`s that will be the types of the
            tensors that the operation consumes. By default, the base `DType` of each input.
          name: (Optional.) A string name for the operation. If not specified, a name is
            generated based on `op_type`; a name ending in "/" is used as it is.
          attrs: (Optional.) A dictionary from attr name to its value, an `AttrValue`
            proto (or the Python value flowgraph's own attrs hold).
          op_def: (Optional.) The `OpDef` proto of `op_type`; ignored (the registered one
            is used).
          compute_shapes: (Optional.) Deprecated; shapes are always computed.
          compute_device: (Optional.) If True, device functions will be executed to
            compute the device property of the Operation.

        Returns:
          An `Operation` object.

        Raises:
          TypeError: if an input is not a `Tensor`, or does not match `input_types`.
          ValueError: if the op does not match its OpDef (an attr of the wrong type, a
            missing attr, the wrong number of inputs).
          NotFoundError: if no op type `op_type` is registered.
        """
        del dtypes, op_def, compute_shapes
        inputs = list(inputs)
        _check_input_types(op_type, inputs, input_types)
        attrs = {k: _attr_python(k, v) for k, v in (attrs or {}).items()}
        return _build_op(self, op_type, inputs, name, attrs, True, compute_device)

    def _add_op(
        self, op: Operation, input_ops: list[Operation], compute_device: bool = True
    ) -> None:
        local = self._local
        if local.control_controllers:
            op._control_inputs.extend(
                c
                for c in self._control_dependencies_for_inputs(input_ops)
                if c not in op._control_inputs
            )
        if compute_device:
            self._apply_device_functions(op)
        if local.colocation_stack:
            self._apply_colocation(op)
        with self._lock:
            self._check_not_finalized()
            if op._name in self._ops_by_name:
                raise ValueError(f"Duplicate node name in graph: '{op._name}'")
            self._ops.append(op)
            self._ops_by_name[op._name] = op
            self._ir = None
        for t in op._inputs:
            t._consumers.append(op)
        for controller in local.control_controllers:
            controller.seen.add(op)

    # -- collections --------------------------------------------------------------

    def add_to_collection(self, name: str, value) -> None:
        """Appends `value` to the collection `name`."""
        self._check_not_finalized()
        with self._lock:
            self._collections.setdefault(name, []).append(value)

    def add_to_collections(self, names, value) -> None:
        """Appends `value` to each collection in `names` (once per distinct name)."""
        names = (names,) if isinstance(names, str) else set(names)
        for name in names:
            self.add_to_collection(name, value)

    def get_collection_ref(self, name: str) -> list:
        """The collection's list itself (created empty if missing): changes stick."""
        with self._lock:
            return self._collections.setdefault(name, [])

    def get_collection(self, name: str, scope: str | None = None) -> list:
        """A copy of the collection, filtered to items whose `name` matches `scope`."""
        with self._lock:
            items = list(self._collections.get(name, ()))
        if scope is None:
            return items
        pattern = re.compile(scope)
        return [i for i in items if hasattr(i, "name") and pattern.match(i.name)]

    def get_all_collection_keys(self) -> list[str]:
        """The names of all non-empty... and empty collections created so far."""
        with self._lock:
            return [k for k in self._collections if isinstance(k, str)]

    def clear_collection(self, name: str) -> None:
        """Removes the collection `name`."""
        self._check_not_finalized()
        with self._lock:
            self._collections.pop(name, None)

    # -- control dependencies -------------------------------------------------------

    def switch_to_thread_local(self) -> None:
        """Make device, colocation and dependencies stacks thread-local.

        In TF1 a graph shares these stacks between threads until this is called. Here they
        are kept per thread from the start (each thread building into the graph opens its
        own scopes), so the call only confirms that behaviour.
        """

    def control_dependencies(self, control_inputs):
        """Ops created in the block run after `control_inputs`; `None` clears them."""
        if control_inputs is None:
            return _ControlDependencies(self, None)
        current = self._current_control_dependencies()
        ops = []
        for c in control_inputs:
            if isinstance(c, Tensor) and c.graph is not self and c.graph.outside is not None:
                c = self._branch_value_control(c)
            c = self.as_graph_element(c)  # names too; TypeError/ValueError as in TF1
            if isinstance(c, Tensor):
                c = c.op
            if c not in current:
                ops.append(c)
                current.add(c)
        return _ControlDependencies(self, ops)

    def _branch_value_control(self, t: Tensor) -> Operation:
        """A tensor of a built cond branch as a control input (TF1's v1 cond allows it): an
        Identity of its value outside the branch, dead (and so are the ops it orders) when
        the branch did not run."""
        value = branch_value_outside(t, self)
        if value is t:
            return t  # not reachable from here: as_graph_element reports it
        with self.control_dependencies(None):
            return apply_op("Identity", [value]).op

    def _current_control_dependencies(self) -> set[Operation]:
        return {op for c in self._local.control_controllers for op in c.control_inputs}

    def _control_dependencies_for_inputs(self, input_ops: list[Operation]) -> list[Operation]:
        out: list[Operation] = []
        for controller in self._local.control_controllers:
            if any(op in controller.seen for op in input_ops):
                continue  # already ordered through an input created inside this block
            out.extend(c for c in controller.control_inputs if c not in input_ops)
        return out

    # -- devices ------------------------------------------------------------------

    @contextlib.contextmanager
    def device(self, device_name_or_function):
        """Ops created in the block request this device (a string, DeviceSpec, function
        or None, which clears enclosing requests)."""
        fn = device_name_or_function
        if fn is not None and not callable(fn):
            fn = _merge_device(fn)
        stack = self._local.device_functions
        stack.append(fn)
        try:
            yield
        finally:
            stack.pop()

    def _apply_device_functions(self, op: Operation) -> None:
        for fn in reversed(self._local.device_functions):
            if fn is None:
                break
            device = fn(op)
            op._device = (
                device.to_string()
                if isinstance(device, DeviceSpec)
                else (DeviceSpec.from_string(device).to_string() if device else "")
            )

    @contextlib.contextmanager
    def colocate_with(self, op, ignore_existing: bool = False):
        """Ops created in the block are placed with `op` (an Operation, Tensor or Variable).

        They get its device and the `_class` attr `loc:@<op name>`; enclosing device scopes
        do not apply inside the block (scopes opened inside it do, until colocation wins).
        `ignore_existing` drops enclosing colocations; `op=None` with it clears them.
        """
        if op is None and not ignore_existing:
            raise ValueError(
                "Trying to reset colocation (op is None) but ignore_existing is not True"
            )
        op = None if op is None else self.as_graph_element(op.op if hasattr(op, "op") else op)
        local = self._local
        saved = local.device_functions, local.colocation_stack
        local.device_functions = []
        if ignore_existing:
            local.colocation_stack = []
        if op is not None:
            local.colocation_stack = local.colocation_stack + [op]
        try:
            yield
        finally:
            local.device_functions, local.colocation_stack = saved

    def _colocate_with_for_gradient(self, op, gradient_uid=None, ignore_existing=False):
        """`colocate_with` for gradient ops (TF's name; the uid serves control flow there)."""
        return self.colocate_with(op, ignore_existing)

    def _apply_colocation(self, op: Operation) -> None:
        # The innermost colocation with a device decides it; every group is recorded.
        groups = set()
        device_set = False
        for target in reversed(self._local.colocation_stack):
            groups.update(target.colocation_groups())
            if target._device and not device_set:
                op._device = target._device
                device_set = True
        op._attrs = {**op._attrs, "_class": tuple(sorted(groups))}

    # -- feeding and fetching --------------------------------------------------------

    def prevent_feeding(self, tensor: Tensor) -> None:
        """Marks `tensor` as not feedable (cached runs are re-planned)."""
        self._unfeedable.add(tensor)
        self._mutated()

    def is_feedable(self, tensor: Tensor) -> bool:
        return tensor not in self._unfeedable

    def prevent_fetching(self, op: Operation) -> None:
        """Marks `op` as not fetchable (cached runs are re-planned)."""
        self._unfetchable.add(op)
        self._mutated()

    def is_fetchable(self, tensor_or_op) -> bool:
        op = tensor_or_op.op if isinstance(tensor_or_op, Tensor) else tensor_or_op
        return op not in self._unfetchable

    # -- gradients (the override map is read by the gradients module) ---------------------

    @contextlib.contextmanager
    def gradient_override_map(self, op_type_map: dict[str, str]):
        """Uses other gradient functions for the given op types within the block."""
        saved = dict(self._gradient_override_map)
        self._gradient_override_map.update(op_type_map)
        try:
            yield
        finally:
            self._gradient_override_map = saved

    # -- serialisation --------------------------------------------------------------

    def as_graph_def(self, from_version=None, add_shapes=False):
        """This graph as a `GraphDef` proto (see `flowgraph.framework.graph_def`).

        Args:
          from_version: only ops added since `self.version` had this value.
          add_shapes: record each op's output shapes in its `_output_shapes` attr.
        """
        with self._lock:
            return graph_def.as_graph_def(self, from_version, add_shapes)

    # -- the runtime's view ----------------------------------------------------------

    def _as_ir(self) -> ir.GraphIR:
        with self._lock:
            if self._ir is None:
                self._ir = ir.GraphIR(tuple(op._as_node() for op in self._ops))
            return self._ir


def _merge_device(spec) -> Callable[[Operation], DeviceSpec]:
    base = spec if isinstance(spec, DeviceSpec) else DeviceSpec.from_string(spec or "")

    def merge(op: Operation) -> DeviceSpec:
        # The op's own (inner) device wins over the enclosing scope's fields.
        return base.make_merged_spec(DeviceSpec.from_string(op._device))

    return merge


class _ControlDependencies:
    """The context manager behind `Graph.control_dependencies`."""

    def __init__(self, graph: Graph, control_inputs: list[Operation] | None):
        self.graph = graph
        self.control_inputs = control_inputs or []
        self.clears = control_inputs is None
        self.seen: set[Operation] = set()
        self._saved: list | None = None

    def __enter__(self):
        local = self.graph._local
        if self.clears:
            self._saved = local.control_controllers
            local.control_controllers = []
        local.control_controllers.append(self)
        return self

    def __exit__(self, *exc):
        local = self.graph._local
        local.control_controllers.pop()
        if self.clears:
            local.control_controllers = self._saved
        return False


def _remove_last(stack: list, item) -> None:
    for i in range(len(stack) - 1, -1, -1):
        if stack[i] is item:
            del stack[i]
            return


class _DefaultGraphStack(threading.local):
    def __init__(self):
        self.stack: list[Graph] = []


_default_graphs = _DefaultGraphStack()
_global_default_graph: Graph | None = None


def get_default_graph() -> Graph:
    """The innermost graph made default by `as_default`, else the global default graph."""
    stack = _default_graphs.stack
    if stack:
        return stack[-1]
    global _global_default_graph
    if _global_default_graph is None:
        _global_default_graph = Graph()
    return _global_default_graph


def encloses(graph: Graph, inner: Graph) -> bool:
    """Whether `inner` is `graph` or a function body built (at any depth) inside it."""
    while inner is not None:
        if inner is graph:
            return True
        inner = getattr(inner, "outer_graph", None)
    return False


@contextlib.contextmanager
def init_scope():
    """Builds ops in the outermost graph, without control dependencies, keeping the name
    scope: variables and their initializers created inside a cond branch or loop body
    belong to the graph the loop runs in, as in TF1."""
    inner = get_default_graph()
    outer = inner
    while getattr(outer, "outer_graph", None) is not None:
        outer = outer.outer_graph
    if outer is inner:
        with inner.control_dependencies(None):
            yield inner
        return
    saved = outer._local.name_stack
    outer._local.name_stack = inner._local.name_stack
    try:
        with outer.as_default(), outer.control_dependencies(None):
            yield outer
    finally:
        outer._local.name_stack = saved


def reset_default_graph() -> None:
    """Clears the global default graph; AssertionError inside a `with g.as_default()`."""
    if _default_graphs.stack:
        raise AssertionError(
            "Do not use tf.reset_default_graph() to clear nested graphs. If you need a "
            "cleared graph, exit the nesting and create a new graph."
        )
    global _global_default_graph
    _global_default_graph = None


# -- building ops ---------------------------------------------------------------------------


def _graph_of(inputs: list[Tensor], op_type: str = "", name: str | None = None) -> Graph:
    graph = None
    current = get_default_graph()
    for t in inputs:
        if t.graph is not current and t.graph.control_flow and not encloses(t.graph, current):
            if branch_value_outside(t, current) is not t:
                raise _BranchValue()
            op_name = (
                name[:-1]
                if name and name[-1] == "/"
                else current.unique_name(name or op_type, False)
            )
            raise ValueError(_context_error(t, current, op_name))
        if graph is None:
            graph = t.graph
        elif t.graph is not graph:
            if encloses(graph, t.graph):  # a body's tensor and one it captures: the body
                graph = t.graph
            elif not encloses(t.graph, graph):
                raise ValueError(f"Tensor {t} must be from the same graph as {inputs[0]}.")
    if graph is not None and graph is not current and encloses(graph, current):
        return current  # a function body built inside `graph`: its inputs get captured
    if graph is not None and graph is not current and _default_graphs.stack:
        raise ValueError(
            f"Tensor {inputs[0]} must be from the same graph as the default "
            "graph of this `with` block."
        )
    return graph or current


class _BranchValue(Exception):
    """An input was made in a cond branch that ended: it becomes an output of the cond."""


def branch_value_outside(t: Tensor, current: Graph) -> Tensor:
    """`t`, or where `t` was made in built cond branches (nested ones too) that `current`
    is outside of, `t` as an output of the outermost such cond op (TF1's v1 cond: the
    branch's value when it ran)."""
    graph = t.graph
    while graph.outside is not None and not encloses(graph, current):
        graph = graph.outer_graph
    if not encloses(graph, current):
        return t  # not reachable from `current` (a loop's body): the caller reports it
    while t.graph is not graph:
        t = t.graph.outside(t)
    return t


def _context_error(t: Tensor, current: Graph, op_name: str) -> str:
    """TF1's message for a tensor of a loop body or cond branch used outside it."""
    inner, source = t.op.name, t.op._source()
    where = f" ({inner} defined at {source})" if source else ""
    loops = [g for g in _graphs_out_to(t.graph, current) if g.control_flow == "while"]
    if loops and current.control_flow == "while":
        why = "they are in different while loops."
    elif loops:  # (a cond branch in) a loop body
        why = f"'{inner}' is in a while loop."
    else:
        why = f"'{inner}' is in a cond branch; return it from the branch instead."
    return f"Cannot use '{inner}' as input to '{op_name}' because {why}{where}"


def _graphs_out_to(graph: Graph, current: Graph) -> list[Graph]:
    """`graph` and the graphs it is built in, up to (not with) one enclosing `current`."""
    out = []
    while graph is not None and not encloses(graph, current):
        out.append(graph)
        graph = getattr(graph, "outer_graph", None)
    return out


def apply_op(op_type: str, inputs: list[Tensor], name: str | None = None, **attrs):
    """Adds an op and returns its output: a Tensor, a tuple of Tensors, or the Operation.

    The op is checked against the OpDef of `op_type` (an attr it does not declare is an
    error), and its attrs are completed as TensorFlow's NodeDefs carry them.
    """
    try:  # an API boundary, inlined: building ops is the hot path
        try:
            graph = _graph_of(inputs, op_type, name)
        except _BranchValue:
            current = get_default_graph()
            inputs = [branch_value_outside(t, current) for t in inputs]
            graph = _graph_of(inputs, op_type, name)
        op = _build_op(graph, op_type, inputs, name, attrs, strict=True)
    except Exception as e:
        raise at_boundary(e)  # noqa: B904  (its own cause and context stay as they were)
    outputs = op._outputs
    if not outputs:
        return op
    return outputs[0] if len(outputs) == 1 else outputs


def _check_input_types(op_type: str, inputs: list, input_types) -> None:
    for t in inputs:
        if not isinstance(t, Tensor):
            raise TypeError(f"Input #{inputs.index(t)} is not a tensor: {t!r}")
    if input_types is None:
        return
    expected = [dtypes.as_dtype(d) for d in input_types]
    if len(expected) != len(inputs) or not all(
        x.is_compatible_with(t.dtype) for t, x in zip(inputs, expected)
    ):
        raise TypeError(
            f"In op '{op_type}', input types ({[t.dtype for t in inputs]}) are not compatible "
            f"with expected types ({expected})"
        )


def _attr_python(name: str, value):
    if isinstance(value, attr_value_pb2.AttrValue):
        return graph_def.attr_python(value, name)
    return value


def _build_op(
    graph: Graph,
    op_type: str,
    inputs: list[Tensor],
    name: str | None,
    attrs: dict,
    strict: bool,
    compute_device: bool = True,
) -> Operation:
    graph._check_not_finalized()
    if graph._building_function:
        inputs = [t if t._op._graph is graph else graph.capture(t) for t in inputs]
    frames = _user_frames()
    kernel, sig = _definition(op_type, frames)
    full_name = _op_name(graph, name or op_type)
    attrs = _checked_attrs(sig, kernel, inputs, attrs, strict, full_name, frames)
    specs = tuple(Spec(t._shape_tuple, t._dtype.numpy_dtype) for t in inputs)
    static = [
        constant_value(t) if kernel.is_static_input(i, attrs) else None
        for i, t in enumerate(inputs)
    ]
    override = graph._gradient_override_map.get(op_type)
    if override is not None:
        attrs = {**attrs, "_gradient_op_type": override}
    kernel_attrs = {k: v for k, v in attrs.items() if k in kernel.attr_names}
    try:
        out_specs = infer(kernel, specs, kernel_attrs, static)
    except ValueError as e:
        raise ValueError(_build_error(op_type, full_name, e, specs, frames)) from None
    op_def_library.bind_outputs(sig, out_specs, attrs)
    op = Operation(graph, full_name, op_type, inputs, attrs, out_specs, [], frames)
    for i, dtype in sig.handle_outputs:
        op._outputs[i]._dtype = dtype
    refs = kernel.refs_of(attrs)
    if refs:  # an op updating a variable sits with it (TF's op_def_library does the same)
        with contextlib.ExitStack() as stack:
            for i, _ in refs:
                stack.enter_context(graph.colocate_with(inputs[i]._op))
            graph._add_op(op, [t._op for t in inputs], compute_device)
        return op
    graph._add_op(op, [t._op for t in inputs], compute_device)
    return op


def _checked_attrs(sig, kernel, inputs, attrs, strict, name, frames) -> dict:
    """The node's attrs, checked against its OpDef and completed (errors name the node)."""
    try:
        return op_def_library.bind(sig, inputs, attrs, strict, kernel.attr_names)
    except (op_def_library.OpDefError, op_def_library.OpDefTypeError) as e:
        cls = TypeError if isinstance(e, TypeError) else ValueError
        raise cls(f"{e}; NodeDef: {{{{node {name}}}}}{_defined_at(frames)}") from None


def _definition(op_type: str, frames) -> tuple[registry.Kernel, op_def_library.Signature]:
    """The kernel and compiled OpDef of `op_type`; NotFoundError if it has either not."""
    found = _definitions.get(op_type)
    if found is None:
        found = _definitions[op_type] = _find_definition(op_type, frames)
    return found


_definitions: dict[str, tuple[registry.Kernel, op_def_library.Signature]] = {}


def _find_definition(op_type: str, frames) -> tuple[registry.Kernel, op_def_library.Signature]:
    try:
        sig = op_def_library.signature(op_type)
    except errors.NotFoundError:
        raise op_def_registry.not_registered([op_type], _defined_at(frames)) from None
    try:
        return registry.lookup(op_type), sig
    except KeyError:
        raise errors.NotFoundError(
            None,
            None,
            f"No kernel is registered for TensorFlow op type '{op_type}' in flowgraph (the op "
            f"exists in TensorFlow; flowgraph does not implement it).{_defined_at(frames)}",
        ) from None


def _op_name(graph: Graph, name: str) -> str:
    # TF1 opens `name_scope(name)` around each op, so inside a scope the looser rule applies.
    pattern = _VALID_SCOPE_NAME if graph._local.name_stack else _VALID_OP_NAME
    if not pattern.match(name):
        raise ValueError(f"'{name}' is not a valid node name")
    if name[-1] == "/":
        return name[:-1]
    return graph.unique_name(name)


def _build_error(op_type, name, error, specs, frames) -> str:
    shapes = ", ".join(_format_shape(s.shape) for s in specs)
    return (
        f"{error} for '{name}' (op: '{op_type}') with input shapes: {shapes}.{_defined_at(frames)}"
    )


def _defined_at(frames) -> str:
    if not frames:
        return ""
    f, line, func = frames[-1]
    return f" (defined at {os.path.basename(f)}:{line} in {func})"


def _format_shape(shape) -> str:
    if shape is None:
        return "?"
    return "[" + ",".join("?" if d is None else str(d) for d in shape) + "]"


def constant_value(tensor: Tensor):
    """The value of `tensor` if it can be computed while building the graph, else None."""
    op = tensor._op
    if op._type == "Const":
        return op._attrs["value"]
    if op._type in ("Shape", "Size", "Rank"):
        shape = op._inputs[0]._shape_tuple
        if shape is None or (op._type != "Rank" and None in shape):
            return None
        out_type = op._attrs.get("out_type", np.dtype(np.int32))
        if op._type == "Shape":
            return np.asarray(shape, dtype=out_type)
        if op._type == "Size":
            return np.asarray(np.prod(shape, dtype=np.int64), dtype=out_type)
        return np.asarray(len(shape), dtype=np.int32)
    return _fold(op, tensor._value_index)


_FOLDABLE_MAX_INPUTS = 8


def _fold(op: Operation, index: int):
    """Evaluates a small op whose inputs are all constant (e.g. `tf.shape(x)[0] * 2`)."""
    kernel = registry.lookup(op._type)
    if kernel.stateful or kernel.kind != registry.XLA or len(op._inputs) > _FOLDABLE_MAX_INPUTS:
        return None
    if op._type in ("Placeholder", "PlaceholderWithDefault"):
        return None
    values = []
    for t in op._inputs:
        v = constant_value(t)
        if v is None or np.size(v) > 1024:
            return None
        values.append(v)
    try:
        import jax

        with jax.default_device(jax.devices("cpu")[0]):
            outs = fold(op._as_node(), values)  # the runtime's folder, run now
    except Exception:  # not foldable here; the runtime will report any real error
        return None
    return np.asarray(outs[index])
