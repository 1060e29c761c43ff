"""Variables (`tf.Variable`), their collections and initializers, as in TF1."""

from __future__ import annotations

import numpy as np
from tensorboard.compat.proto import variable_pb2

from flowgraph.framework import dtypes, meta_graph, tensor_shape
from flowgraph.framework.ops import (
    GraphKeys,
    Operation,
    Tensor,
    get_default_graph,
    init_scope,
)
from flowgraph.framework.scopes import name_scope
from flowgraph.ops import array_ops, control_flow_ops, math_ops, state_ops
from flowgraph.ops.constant_op import convert_to_tensor, register_tensor_conversion_function


class Variable:
    """A tensor whose value persists across `Session.run` calls, held by each session.

    Creating one adds a `VariableV2` op `name`, its initializer `name/Assign`, the read
    snapshot `name/read` and the initial value, all under the variable's name scope.

    Example:
      >>> v = tf.Variable([1.0, 2.0], name="v")
      >>> sess.run(v.initializer); sess.run(v.assign_add([1.0, 1.0]))
      array([2., 3.], dtype=float32)
    """

    def __init__(
        self,
        initial_value=None,
        trainable=True,
        collections=None,
        validate_shape=True,
        caching_device=None,
        name=None,
        variable_def=None,
        dtype=None,
        expected_shape=None,
        import_scope=None,
        constraint=None,
        use_resource=None,
        synchronization=None,
        aggregation=None,
        shape=None,
    ):
        if variable_def is not None:
            if initial_value is not None:
                raise ValueError("variable_def and initial_value are mutually exclusive.")
            self._init_from_proto(variable_def, import_scope)
            return
        if initial_value is None:
            raise ValueError("initial_value must be specified.")
        if collections is None:
            collections = [GraphKeys.GLOBAL_VARIABLES]
        if not isinstance(collections, (list, tuple, set)):
            raise ValueError(
                f"collections argument to Variable constructor must be a list, "
                f"tuple, or set. Got {collections!r} of type {type(collections)}"
            )
        if trainable and GraphKeys.TRAINABLE_VARIABLES not in collections:
            collections = list(collections) + [GraphKeys.TRAINABLE_VARIABLES]
        self._trainable = trainable
        self._constraint = constraint
        # A variable never inherits enclosing control dependencies, and one created inside
        # a cond branch or loop body belongs to the graph the loop runs in (TF1's init_scope).
        with init_scope() as graph, name_scope(name, "Variable") as scope:
            var_name = scope[:-1]
            if callable(initial_value):
                with name_scope("Initializer"):
                    initial_value = initial_value()
            self._initial_value = convert_to_tensor(
                initial_value, name="initial_value", dtype=dtype
            )
            var_shape = (
                self._initial_value.shape
                if validate_shape
                else (
                    tensor_shape.unknown_shape() if shape is None else tensor_shape.as_shape(shape)
                )
            )
            if validate_shape and not var_shape.is_fully_defined():
                raise ValueError(
                    f"initial_value must have a shape specified: {self._initial_value}"
                )
            self._variable = state_ops.variable_op_v2(
                var_shape, self._initial_value.dtype.base_dtype, name=var_name + "/"
            )
            self._initializer_op = state_ops._assign_op(
                self._variable,
                _guarded(var_name, self._initial_value),
                validate_shape,
                None,
                "Assign",
            ).op
            with graph.name_scope(None), graph.colocate_with(self._variable.op):
                self._snapshot = array_ops.identity(self._variable, name=var_name + "/read")
        graph.add_to_collections(collections, self)
        self._graph = graph

    def _init_from_proto(self, variable_def, import_scope=None) -> None:
        """Binds this Variable to the existing ops a `VariableDef` names (a MetaGraph's)."""
        graph = get_default_graph()

        def element(name):
            return graph.as_graph_element(meta_graph.prepend_name_scope(name, import_scope))

        self._variable = element(variable_def.variable_name)
        self._initializer_op = element(variable_def.initializer_name)
        self._snapshot = element(variable_def.snapshot_name)
        initial = variable_def.initial_value_name
        self._initial_value = element(initial) if initial else None
        self._trainable = variable_def.trainable
        self._constraint = None
        self._graph = graph

    def to_proto(self, export_scope=None):
        """This variable as a `VariableDef` (names relative to `export_scope`), or None if
        it is not under `export_scope`."""
        if export_scope is not None and not self._variable.name.startswith(export_scope):
            return None
        names = (self._variable, self._initializer_op, self._snapshot, self._initial_value)
        variable, initializer, snapshot, initial = (
            "" if x is None else meta_graph.strip_name_scope(x.name, export_scope) for x in names
        )
        return variable_pb2.VariableDef(
            variable_name=variable,
            initial_value_name=initial,
            initializer_name=initializer,
            snapshot_name=snapshot,
            trainable=self._trainable,
        )

    @staticmethod
    def from_proto(variable_def, import_scope=None) -> "Variable":
        """The Variable a `VariableDef` describes, bound to ops already in the graph."""
        return Variable(variable_def=variable_def, import_scope=import_scope)

    # -- identity -------------------------------------------------------------------------

    @property
    def name(self) -> str:
        """The variable's tensor name, e.g. "v:0"."""
        return self._variable.name

    @property
    def op(self) -> Operation:
        """The `VariableV2` op."""
        return self._variable.op

    @property
    def dtype(self) -> dtypes.DType:
        """The ref dtype, e.g. `float32_ref`."""
        return self._variable.dtype

    @property
    def shape(self) -> tensor_shape.TensorShape:
        return self._variable.shape

    def get_shape(self) -> tensor_shape.TensorShape:
        return self.shape

    @property
    def device(self) -> str:
        return self._variable.device

    @property
    def graph(self):
        return self._graph

    @property
    def trainable(self) -> bool:
        return self._trainable

    @property
    def constraint(self):
        return self._constraint

    @property
    def initializer(self) -> Operation:
        """The op that assigns the initial value."""
        return self._initializer_op

    @property
    def initial_value(self) -> Tensor:
        return self._initial_value

    def _as_graph_element(self) -> Tensor:
        return self._variable

    def _ref(self) -> Tensor:
        return self._variable

    # -- values ---------------------------------------------------------------------------

    def value(self) -> Tensor:
        """The snapshot `name/read`: the value at the time it is read in a run."""
        return self._snapshot

    def read_value(self) -> Tensor:
        """A new read of the variable's value."""
        return array_ops.identity(self._variable, name="read")

    def initialized_value(self) -> Tensor:
        """Returns the value of the initialized variable.

        Use this instead of the variable itself to initialize another variable with a
        value that depends on the value of this variable: it is the variable's value once
        it is initialized, and its initial value before.

        Example:
          >>> v = tf.Variable(tf.random_normal([20, 40]))
          >>> w = tf.Variable(v.initialized_value() * 2.0)
        """
        with init_scope():
            return control_flow_ops.cond(
                state_ops.is_variable_initialized(self._variable),
                self.read_value,
                lambda: self._initial_value,
            )

    def eval(self, session=None):
        """The variable's value in `session` (default: the default session)."""
        return self._variable.eval(session=session)

    def load(self, value, session=None) -> None:
        """Sets the variable to `value` in `session` without adding ops."""
        from flowgraph.client.session import get_default_session

        session = session or get_default_session()
        if session is None:
            raise ValueError(
                "Either session argument should be provided or default session "
                "should be established"
            )
        session.run(self._initializer_op, {self._initializer_op.inputs[1]: value})

    # -- updates --------------------------------------------------------------------------

    def assign(self, value, use_locking=False, name=None, read_value=True):
        """Assigns `value`; returns the updated ref tensor (or the op if not `read_value`)."""
        out = state_ops._assign_op(self._variable, value, None, use_locking, name)
        return out if read_value else out.op

    def assign_add(self, delta, use_locking=False, name=None, read_value=True):
        """Adds `delta`; returns the updated ref tensor (or the op if not `read_value`)."""
        out = state_ops._update(
            "AssignAdd", self._variable, delta, name, use_locking=bool(use_locking)
        )
        return out if read_value else out.op

    def assign_sub(self, delta, use_locking=False, name=None, read_value=True):
        """Subtracts `delta`; returns the updated ref tensor (or the op if not `read_value`)."""
        out = state_ops._update(
            "AssignSub", self._variable, delta, name, use_locking=bool(use_locking)
        )
        return out if read_value else out.op

    def set_shape(self, shape) -> None:
        self._variable.set_shape(shape)
        self._snapshot.set_shape(shape)

    def __repr__(self) -> str:
        return f"<tf.Variable '{self.name}' shape={self.shape} dtype={self.dtype.name}>"

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other) -> bool:
        return self is other

    def __bool__(self):
        raise TypeError("Using a `tf.Variable` as a Python `bool` is not allowed.")

    def __iter__(self):
        raise TypeError("'Variable' object is not iterable.")


def _to_tensor(var: Variable, dtype=None, name=None, as_ref=False) -> Tensor:
    return var._variable if as_ref else var.value()


register_tensor_conversion_function(Variable, _to_tensor)


def _overload(name: str) -> None:
    def method(self, *args):
        return getattr(Tensor, name)(self.value(), *args)

    setattr(Variable, name, method)


for _name in (
    "__add__",
    "__radd__",
    "__sub__",
    "__rsub__",
    "__mul__",
    "__rmul__",
    "__truediv__",
    "__rtruediv__",
    "__floordiv__",
    "__rfloordiv__",
    "__mod__",
    "__rmod__",
    "__pow__",
    "__rpow__",
    "__matmul__",
    "__rmatmul__",
    "__and__",
    "__rand__",
    "__or__",
    "__ror__",
    "__xor__",
    "__rxor__",
    "__lt__",
    "__le__",
    "__gt__",
    "__ge__",
    "__neg__",
    "__abs__",
    "__invert__",
    "__getitem__",
):
    _overload(_name)
del _name


# -- collections and initializers ----------------------------------------------------------


def global_variables(scope=None) -> list[Variable]:
    """Variables in `GraphKeys.GLOBAL_VARIABLES` (shared across machines, saved)."""
    return get_default_graph().get_collection(GraphKeys.GLOBAL_VARIABLES, scope)


all_variables = global_variables


def local_variables(scope=None) -> list[Variable]:
    """Variables in `GraphKeys.LOCAL_VARIABLES` (per process, e.g. epoch counters)."""
    return get_default_graph().get_collection(GraphKeys.LOCAL_VARIABLES, scope)


def trainable_variables(scope=None) -> list[Variable]:
    """Variables created with `trainable=True`."""
    return get_default_graph().get_collection(GraphKeys.TRAINABLE_VARIABLES, scope)


def model_variables(scope=None) -> list[Variable]:
    return get_default_graph().get_collection(GraphKeys.MODEL_VARIABLES, scope)


def moving_average_variables(scope=None) -> list[Variable]:
    return get_default_graph().get_collection(GraphKeys.MOVING_AVERAGE_VARIABLES, scope)


def variables_initializer(var_list, name="init") -> Operation:
    """One op that runs the initializers of `var_list` (a no-op for an empty list)."""
    if var_list:
        return control_flow_ops.group(*[v.initializer for v in var_list], name=name)
    return control_flow_ops.no_op(name=name)


def global_variables_initializer() -> Operation:
    """`variables_initializer(global_variables())`, named "init"."""
    return variables_initializer(global_variables())


initialize_all_variables = global_variables_initializer


def local_variables_initializer() -> Operation:
    """`variables_initializer(local_variables())`, named "init"."""
    return variables_initializer(local_variables())


initialize_local_variables = local_variables_initializer


def is_variable_initialized(variable) -> Tensor:
    """A bool scalar: whether `variable` is initialized in the session that runs it."""
    return state_ops.is_variable_initialized(variable)


def assert_variables_initialized(var_list=None) -> Tensor | None:
    """An op that fails with FailedPreconditionError if any of `var_list` is uninitialized."""
    if var_list is None:
        var_list = global_variables() + local_variables()
    if not var_list:
        return None
    ranks = [array_ops.rank(v._variable) for v in var_list]
    return ranks[0] if len(ranks) == 1 else array_ops.stack(ranks)


def report_uninitialized_variables(var_list=None, name="report_uninitialized_variables"):
    """A 1-D string tensor: the names of the variables in `var_list` not yet initialized."""
    if var_list is None:
        var_list = global_variables() + local_variables()
    with name_scope(name):
        if not var_list:
            return convert_to_tensor(np.array([], dtype=object), dtype=dtypes.string)
        mask = math_ops.logical_not(
            array_ops.stack([state_ops.is_variable_initialized(v) for v in var_list])
        )
        names = convert_to_tensor([v.op.name for v in var_list], dtype=dtypes.string)
        return array_ops.boolean_mask(names, mask)


def _guarded(name: str, value: Tensor) -> Tensor:
    """TF's `_try_guard_against_uninitialized_dependencies`: `value` with each variable it
    reads replaced by that variable's `initialized_value()`, so that an initializer run
    alone, or before the other variable's, uses the other's initial value."""
    return _guarded_tensor(name, value, {})


def _guarded_tensor(name: str, t: Tensor, done: dict) -> Tensor:
    op = done.get(t.op)
    if op is None:
        op = done[t.op] = _guarded_op(name, t.op, done)
    return op.outputs[t.value_index]


def _guarded_op(name: str, op: Operation, done: dict) -> Operation:
    if op.type in ("IsVariableInitialized", "VarIsInitializedOp", "ReadVariableOp", "If"):
        return op
    if op.type in ("VariableV2", "VarHandleOp"):
        variable = _variable_of(op)
        return op if variable is None else variable.initialized_value().op
    inputs = [_guarded_tensor(name, t, done) for t in op.inputs]
    if all(a is b for a, b in zip(inputs, op.inputs)):
        return op
    copy_name = f"{op.name}_{name}".replace(":", "_")
    return op.graph.create_op(op.type, inputs, name=copy_name, attrs=dict(op._attrs))


def _variable_of(op: Operation):
    for key in (GraphKeys.GLOBAL_VARIABLES, GraphKeys.LOCAL_VARIABLES):
        for variable in op.graph.get_collection(key):
            if isinstance(variable, Variable) and variable._variable.op is op:
                return variable
    return None
