"""Variable scopes and `tf.get_variable`: variables shared by name, as in TF1."""

from __future__ import annotations

import contextlib
import enum
import functools
import inspect
import threading
import traceback

from flowgraph.framework import dtypes, tensor_shape
from flowgraph.framework.ops import GraphKeys, Tensor, get_default_graph
from flowgraph.framework.scopes import _graph_of
from flowgraph.ops import array_ops, partitioned_variables, variables
from flowgraph.ops.constant_op import convert_to_tensor, to_numpy

# Graph collections holding the per-graph stores (tuple keys, as TF1: never exported).
_VARSTORE_KEY = ("__variable_store",)
_VARSCOPESTORE_KEY = ("__varscope",)
_store_lock = threading.Lock()


class _ReuseMode(enum.Enum):
    """Mode for variable access within a variable scope."""

    AUTO_REUSE = 1


AUTO_REUSE = _ReuseMode.AUTO_REUSE


def no_regularizer(_):
    """Use this function to prevent regularization of variables."""
    return None


# -- the variable store ----------------------------------------------------------------------


class _VariableStore:
    """The variables of one graph created by `get_variable`, by full name."""

    def __init__(self):
        self._vars: dict[str, variables.Variable] = {}
        self._partitioned_vars: dict[str, partitioned_variables.PartitionedVariable] = {}

    def get_variable(
        self,
        name,
        shape=None,
        dtype=dtypes.float32,
        initializer=None,
        regularizer=None,
        reuse=None,
        trainable=None,
        collections=None,
        caching_device=None,
        partitioner=None,
        validate_shape=True,
        use_resource=None,
        custom_getter=None,
        constraint=None,
        synchronization=None,
        aggregation=None,
    ):
        """Gets or creates the variable `name`, through `custom_getter` if given."""
        if custom_getter is not None and not callable(custom_getter):
            raise ValueError(f"Passed a custom_getter which is not callable: {custom_getter}")
        dtype = getattr(dtype, "base_dtype", dtype)
        kwargs = dict(
            name=name,
            shape=shape,
            dtype=dtype,
            initializer=initializer,
            regularizer=regularizer,
            reuse=reuse,
            trainable=True if trainable is None else trainable,
            collections=collections,
            caching_device=caching_device,
            partitioner=partitioner,
            validate_shape=validate_shape,
            use_resource=use_resource,
            synchronization=synchronization,
            aggregation=aggregation,
        )
        if custom_getter is None:
            return self._true_getter(constraint=constraint, **kwargs)
        if _takes_argument(custom_getter, "constraint", or_kwargs=True):
            kwargs["constraint"] = constraint
        return custom_getter(getter=self._true_getter, **kwargs)

    def _true_getter(
        self,
        name,
        shape=None,
        dtype=dtypes.float32,
        initializer=None,
        regularizer=None,
        reuse=None,
        trainable=None,
        collections=None,
        caching_device=None,
        partitioner=None,
        validate_shape=True,
        use_resource=None,
        constraint=None,
        synchronization=None,
        aggregation=None,
    ):
        is_scalar = isinstance(shape, (list, tuple)) and not shape
        if partitioner is not None and not is_scalar:
            if not callable(partitioner):
                raise ValueError(f"Partitioner must be callable, but received: {partitioner}")
            single = dict(
                regularizer=regularizer,
                trainable=trainable,
                collections=collections,
                caching_device=caching_device,
                validate_shape=validate_shape,
                use_resource=use_resource,
                constraint=constraint,
                synchronization=synchronization,
                aggregation=aggregation,
            )
            with get_default_graph().name_scope(None):
                return self._partitioned_variable(
                    name, partitioner, shape, dtype, initializer, reuse, single
                )
        return self._single_variable(
            name,
            shape,
            dtype,
            initializer,
            regularizer,
            reuse,
            trainable,
            collections,
            caching_device,
            validate_shape,
            use_resource,
            constraint,
            synchronization,
            aggregation,
        )

    def _single_variable(
        self,
        name,
        shape,
        dtype,
        initializer,
        regularizer,
        reuse,
        trainable,
        collections,
        caching_device,
        validate_shape,
        use_resource,
        constraint,
        synchronization,
        aggregation,
        partition_info=None,
    ):
        if initializer is not None and not callable(initializer) and shape is not None:
            raise ValueError("If initializer is a constant, do not specify shape.")
        dtype = dtypes.as_dtype(dtype)
        shape = tensor_shape.as_shape(shape)
        if name in self._vars:
            return self._existing_variable(name, shape, dtype, reuse)
        if reuse is True:
            raise ValueError(
                f"Variable {name} does not exist, or was not created with "
                "tf.get_variable(). Did you mean to set reuse=tf.AUTO_REUSE in "
                "VarScope?"
            )
        init_val, variable_dtype = _initial_value(initializer, name, shape, dtype, partition_info)
        graph = get_default_graph()
        with graph.control_dependencies(None):  # TF1's init_scope: no enclosing control deps
            v = variables.Variable(
                initial_value=init_val,
                name=name,
                trainable=trainable,
                collections=collections,
                caching_device=caching_device,
                dtype=variable_dtype,
                validate_shape=validate_shape,
                constraint=constraint,
                use_resource=use_resource,
                synchronization=synchronization,
                aggregation=aggregation,
            )
            self._vars[name] = v
            if regularizer:
                _regularize(graph, v, name, regularizer)
        return v

    def _partitioned_variable(self, name, partitioner, shape, dtype, initializer, reuse, single):
        """Gets or creates the slices `name/part_<i>` of the variable `name` (TF1's rules)."""
        if name in self._vars:
            raise ValueError(
                f"A partitioner was provided, but an unpartitioned version of the variable was "
                f"found: {name}.  Perhaps a variable of the same name was already created "
                "without partitioning?"
            )
        dtype = dtypes.as_dtype(dtype)
        shape = tensor_shape.as_shape(shape)
        if isinstance(initializer, Tensor):
            shape = shape.merge_with(initializer.get_shape())
        slicing = partitioned_variables.slicing_of(partitioner, shape, dtype)
        if name in self._partitioned_vars:
            return self._existing_partitioned(name, shape, dtype, reuse, slicing)
        if reuse is True:
            raise ValueError(
                f"PartitionedVariable {name} does not exist, or was not created with "
                "tf.get_variable(). Did you mean to set reuse=False or reuse=tf.AUTO_REUSE in "
                "VarScope?"
            )
        parts = []
        for offset, part_shape in partitioned_variables.slices(shape.as_list(), slicing):
            part_name = f"{name}/part_{len(parts)}"
            init, init_shape = _slice_initializer(initializer, part_name, offset, part_shape, dtype)
            info = partitioned_variables.PartitionInfo(shape.as_list(), offset)
            part = self._single_variable(
                part_name, init_shape, dtype, init, reuse=reuse, partition_info=info, **single
            )
            part._save_slice_info = partitioned_variables.SaveSliceInfo(
                name, shape.as_list(), offset, part_shape
            )
            parts.append(part)
        found = partitioned_variables.PartitionedVariable(name, shape, dtype, parts, slicing)
        self._partitioned_vars[name] = found
        return found

    def _existing_partitioned(self, name, shape, dtype, reuse, slicing):
        found = self._partitioned_vars[name]
        if reuse is False:
            raise ValueError(
                f"Partitioned variable with name {name} already exists. Did you mean to set "
                "reuse=True or reuse=tf.AUTO_REUSE in VarScope?"
            )
        if not shape.is_compatible_with(found.get_shape()):
            raise ValueError(
                f"Trying to reuse partitioned variable {name}, but specified shape {shape} "
                f"and found shape {found.get_shape()}."
            )
        if not dtype.is_compatible_with(found.dtype):
            raise ValueError(
                f"Trying to reuse partitioned variable {name}, but specified dtype "
                f"{dtype.name} and found dtype {found.dtype.name}."
            )
        if slicing != found._get_partitions():
            raise ValueError(
                f"Trying to reuse partitioned variable {name}, but specified partitions "
                f"{slicing} and found partitions {found._get_partitions()}."
            )
        return found

    def _existing_variable(self, name, shape, dtype, reuse):
        found = self._vars[name]
        if reuse is False:
            raise ValueError(
                f"Variable {name} already exists, disallowed. Did you mean to set "
                f"reuse=True or reuse=tf.AUTO_REUSE in VarScope? Originally "
                f"defined at:\n\n{_format_traceback(found)}"
            )
        if not shape.is_compatible_with(found.get_shape()):
            raise ValueError(
                f"Trying to share variable {name}, but specified shape {shape} "
                f"and found shape {found.get_shape()}."
            )
        if not dtype.is_compatible_with(found.dtype):
            raise ValueError(
                f"Trying to share variable {name}, but specified dtype "
                f"{dtype.name} and found dtype {found.dtype.name}."
            )
        return found


def _slice_initializer(initializer, part_name, offset, part_shape, dtype):
    """The initializer of one slice and the shape to pass with it: a callable is called
    per slice (with `partition_info`); a value is sliced."""
    if initializer is None or callable(initializer):
        return initializer, part_shape
    graph = get_default_graph()
    with graph.name_scope(part_name + "/PartitionedInitializer/"):
        value = convert_to_tensor(initializer, dtype=dtype)
        return array_ops.slice(value, offset, part_shape), None


def _format_traceback(var) -> str:
    return "".join(traceback.format_list(var.op.traceback[::-1][:5]))


def _initial_value(initializer, name, shape, dtype, partition_info=None):
    """The `initial_value` and `dtype` to build the Variable with (TF1's rules)."""
    if initializer is None and shape.ndims is None:
        raise ValueError(
            f"Variable {name} did not get an initializer, so its `shape` argument must be "
            "specified."
        )
    if initializer is None:
        initializer = _default_initializer(name, dtype)
    if not callable(initializer):
        return initializer, None
    if inspect.isclass(initializer):
        initializer = initializer()
    if shape.is_fully_defined():
        kwargs = {"dtype": dtype}
        if _takes_argument(initializer, "partition_info"):
            kwargs["partition_info"] = partition_info
        return functools.partial(initializer, shape.as_list(), **kwargs), dtype.base_dtype
    if _needs_no_arguments(initializer):
        return initializer, None
    raise ValueError(
        "The initializer passed is not valid. It should be a callable with no "
        "arguments and the shape should not be provided or an instance of "
        "`tf.keras.initializers.*' and `shape` should be fully defined."
    )


def _default_initializer(name, dtype):
    """Glorot uniform for floats; zeros for integers, bools and strings."""
    from flowgraph.ops import init_ops

    if dtype.is_floating:
        return init_ops.glorot_uniform_initializer()
    if dtype.is_integer or dtype.is_unsigned or dtype.is_bool or dtype == dtypes.string:
        return init_ops.zeros_initializer()
    raise ValueError(f"An initializer for variable {name} of {dtype.base_dtype} is required")


def _regularize(graph, var, name, regularizer) -> None:
    with graph.name_scope(name + "/Regularizer/"):
        loss = regularizer(var)
    if loss is not None:
        graph.add_to_collection(GraphKeys.REGULARIZATION_LOSSES, loss)


def _parameters(fn):
    try:
        return inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):  # builtins without a signature
        return ()


def _takes_argument(fn, arg: str, or_kwargs: bool = False) -> bool:
    for p in _parameters(fn):
        if p.name == arg and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
            return True
        if or_kwargs and p.kind == p.VAR_KEYWORD:
            return True
    return False


def _needs_no_arguments(fn) -> bool:
    return all(
        p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        for p in _parameters(fn)
    )


def _value_dtype(value) -> dtypes.DType:
    """The dtype `convert_to_tensor(value)` would have, without adding an op."""
    if isinstance(value, (Tensor, variables.Variable)):
        return value.dtype.base_dtype
    return dtypes.as_dtype(to_numpy(value, None).dtype)


def _get_default_variable_store() -> _VariableStore:
    return _graph_singleton(_VARSTORE_KEY, _VariableStore)


def _graph_singleton(key, make):
    graph = get_default_graph()
    with _store_lock:
        found = graph.get_collection(key)
        if found:
            return found[0]
        store = make()
        graph.add_to_collection(key, store)
        return store


# -- VariableScope ---------------------------------------------------------------------------


class VariableScope:
    """Variable scope object to carry defaults to provide to `get_variable`.

    Many of the arguments we need for `get_variable` in a variable store are most
    easily handled with a context. This object is used for the defaults.

    Attributes:
      name: name of the current scope, used as prefix in get_variable.
      initializer: default initializer passed to get_variable.
      regularizer: default regularizer passed to get_variable.
      reuse: Boolean, None, or tf.AUTO_REUSE, setting the reuse in get_variable.
      caching_device: string, callable, or None: the caching device passed to get_variable.
      partitioner: callable or `None`: the partitioner passed to `get_variable`.
      custom_getter: default custom getter passed to get_variable.
      name_scope: The name passed to `tf.name_scope`.
      dtype: default type passed to get_variable (defaults to DT_FLOAT).
      use_resource: if False, create a normal Variable; if True create a resource variable.
      constraint: An optional projection function applied to the variable after being
        updated by an `Optimizer`.

    Example:
      >>> with tf.variable_scope("foo") as scope:
      ...     scope.name, scope.original_name_scope, scope.reuse
      ('foo', 'foo/', False)
    """

    def __init__(
        self,
        reuse,
        name="",
        initializer=None,
        regularizer=None,
        caching_device=None,
        partitioner=None,
        custom_getter=None,
        name_scope="",
        dtype=dtypes.float32,
        use_resource=None,
        constraint=None,
    ):
        self._name = name
        self._initializer = initializer
        self._regularizer = regularizer
        self._reuse = reuse
        self._caching_device = caching_device
        self._partitioner = partitioner
        self._custom_getter = custom_getter
        self._name_scope = name_scope
        self._dtype = dtype
        self._use_resource = use_resource
        self._constraint = constraint

    @property
    def name(self):
        return self._name

    @property
    def original_name_scope(self):
        """The name scope opened when this variable scope was first entered, e.g. "foo/"."""
        return self._name_scope

    @property
    def reuse(self):
        return self._reuse

    @property
    def initializer(self):
        return self._initializer

    @property
    def dtype(self):
        return self._dtype

    @property
    def use_resource(self):
        return self._use_resource

    @property
    def regularizer(self):
        return self._regularizer

    @property
    def caching_device(self):
        return self._caching_device

    @property
    def partitioner(self):
        return self._partitioner

    @property
    def custom_getter(self):
        return self._custom_getter

    @property
    def constraint(self):
        return self._constraint

    def reuse_variables(self):
        """Reuse variables in this scope."""
        self._reuse = True

    def set_initializer(self, initializer):
        """Set initializer for this scope."""
        self._initializer = initializer

    def set_dtype(self, dtype):
        """Set data type for this scope."""
        self._dtype = dtype

    def set_use_resource(self, use_resource):
        """Sets whether to use ResourceVariables for this scope."""
        self._use_resource = use_resource

    def set_regularizer(self, regularizer):
        """Set regularizer for this scope."""
        self._regularizer = regularizer

    def set_caching_device(self, caching_device):
        """Set caching_device for this scope."""
        self._caching_device = caching_device

    def set_partitioner(self, partitioner):
        """Set partitioner for this scope."""
        self._partitioner = partitioner

    def set_custom_getter(self, custom_getter):
        """Set custom getter for this scope."""
        self._custom_getter = custom_getter

    def get_collection(self, name):
        """Get this scope's variables in collection `name`."""
        scope = self._name + "/" if self._name else ""
        return get_default_graph().get_collection(name, scope)

    def trainable_variables(self):
        """Get this scope's trainable variables."""
        return self.get_collection(GraphKeys.TRAINABLE_VARIABLES)

    def global_variables(self):
        """Get this scope's global variables."""
        return self.get_collection(GraphKeys.GLOBAL_VARIABLES)

    def local_variables(self):
        """Get this scope's local variables."""
        return self.get_collection(GraphKeys.LOCAL_VARIABLES)

    def get_variable(
        self,
        var_store,
        name,
        shape=None,
        dtype=None,
        initializer=None,
        regularizer=None,
        reuse=None,
        trainable=None,
        collections=None,
        caching_device=None,
        partitioner=None,
        validate_shape=True,
        use_resource=None,
        custom_getter=None,
        constraint=None,
        synchronization=None,
        aggregation=None,
    ):
        """Gets an existing variable with this name or create a new one."""
        regularizer = self._regularizer if regularizer is None else regularizer
        caching_device = self._caching_device if caching_device is None else caching_device
        partitioner = self._partitioner if partitioner is None else partitioner
        custom_getter = self._custom_getter if custom_getter is None else custom_getter
        reuse = self._reuse if reuse is None else reuse
        use_resource = self._use_resource if use_resource is None else use_resource
        full_name = self.name + "/" + name if self.name else name
        # Variable names depend on the variable scope only, not on the name scope.
        with get_default_graph().name_scope(None):
            if dtype is not None and initializer is not None and not callable(initializer):
                init_dtype = _value_dtype(initializer)
                if init_dtype != dtype:
                    raise ValueError(
                        f"Initializer type '{init_dtype}' and explicit dtype "
                        f"'{dtypes.as_dtype(dtype)}' don't match."
                    )
            return var_store.get_variable(
                full_name,
                shape=shape,
                dtype=self._dtype if dtype is None else dtype,
                initializer=self._initializer if initializer is None else initializer,
                regularizer=regularizer,
                reuse=reuse,
                trainable=trainable,
                collections=collections,
                caching_device=caching_device,
                partitioner=partitioner,
                validate_shape=validate_shape,
                use_resource=use_resource,
                custom_getter=custom_getter,
                constraint=self._constraint if constraint is None else constraint,
                synchronization=synchronization,
                aggregation=aggregation,
            )


class _VariableScopeStore(threading.local):
    """The current variable scope and the use counts of scope names, per thread."""

    def __init__(self):
        self.current_scope = VariableScope(False)
        self.variable_scopes_count: dict[str, int] = {}

    def open_variable_scope(self, scope_name):
        self.variable_scopes_count[scope_name] = self.variable_scopes_count.get(scope_name, 0) + 1

    def close_variable_subscopes(self, scope_name):
        for k in self.variable_scopes_count:
            if scope_name is None or k.startswith(scope_name + "/"):
                self.variable_scopes_count[k] = 0

    def variable_scope_count(self, scope_name):
        return self.variable_scopes_count.get(scope_name, 0)


def _get_variable_scope_store() -> _VariableScopeStore:
    return _graph_singleton(_VARSCOPESTORE_KEY, _VariableScopeStore)


def get_variable_scope() -> VariableScope:
    """Returns the current variable scope (of the default graph, in this thread).

    Example:
      >>> with tf.variable_scope("foo") as foo:
      ...     tf.get_variable_scope() is foo
      True
    """
    return _get_variable_scope_store().current_scope


def _get_unique_variable_scope(prefix: str) -> str:
    """`prefix`, or `prefix_N` if already opened under the current variable scope."""
    store = _get_variable_scope_store()
    current = store.current_scope
    name = current.name + "/" + prefix if current.name else prefix
    if store.variable_scope_count(name) == 0:
        return prefix
    idx = 1
    while store.variable_scope_count(f"{name}_{idx}") > 0:
        idx += 1
    return f"{prefix}_{idx}"


# -- get_variable ---------------------------------------------------------------------------


def get_variable(
    name,
    shape=None,
    dtype=None,
    initializer=None,
    regularizer=None,
    trainable=None,
    collections=None,
    caching_device=None,
    partitioner=None,
    validate_shape=True,
    use_resource=None,
    custom_getter=None,
    constraint=None,
    synchronization=None,
    aggregation=None,
):
    """Gets an existing variable with these parameters or create a new one.

    The variable is named by the current variable scope (not the name scope) and checked
    for reuse: with the scope's `reuse` False an existing name is a ValueError; with True a
    missing one is; with `tf.AUTO_REUSE` it is created if missing and returned otherwise.

    If initializer is `None` (the default), the default initializer passed in the variable
    scope will be used. If that one is `None` too, a `glorot_uniform_initializer` will be
    used for floating-point variables and zeros for integer and boolean ones. The
    initializer can also be a Tensor or a Python/numpy value, in which case the variable
    is initialized to this value and shape and takes its shape.

    Args:
      name: The name of the new or existing variable.
      shape: Shape of the new or existing variable.
      dtype: Type of the new or existing variable (defaults to the scope's, `float32`).
      initializer: Initializer for the variable if one is created. Can either be an
        initializer object, a callable `(shape, dtype, partition_info)` or a Tensor. If
        it's a Tensor, its shape must be known unless validate_shape is False.
      regularizer: A (Tensor -> Tensor or None) function; the result of applying it on a
        newly created variable will be added to `GraphKeys.REGULARIZATION_LOSSES`.
      trainable: If `True` (the default) also add the variable to
        `GraphKeys.TRAINABLE_VARIABLES`.
      collections: List of graph collections keys to add the Variable to. Defaults to
        `[GraphKeys.GLOBAL_VARIABLES]`.
      caching_device: Accepted for compatibility.
      partitioner: Optional callable `(shape, dtype) -> partitions per axis` (e.g.
        `tf.fixed_size_partitioner(3)`); a non-scalar variable then becomes a
        `PartitionedVariable` of slices `name/part_<i>` along one axis.
      validate_shape: If False, allows the variable to be initialized with a value of
        unknown shape.
      use_resource: Accepted for compatibility; variables are always TF1 ref variables.
      custom_getter: Callable that takes as a first argument the true getter, and allows
        overwriting the internal get_variable method:
        `def custom_getter(getter, name, *args, **kwargs): return getter(name + "_suffix",
        *args, **kwargs)`.
      constraint: An optional projection function applied to the variable after being
        updated by an `Optimizer`.
      synchronization: Accepted for compatibility.
      aggregation: Accepted for compatibility.

    Returns:
      The created or existing `Variable` (a `PartitionedVariable` with a partitioner).

    Raises:
      ValueError: when creating a new variable and shape is not declared, when violating
        reuse during variable creation, or when `initializer` dtype and `dtype` don't match.

    Example:
      >>> with tf.variable_scope("foo"):
      ...     v = tf.get_variable("v", [1])      # v.name == "foo/v:0"
      >>> with tf.variable_scope("foo", reuse=True):
      ...     v1 = tf.get_variable("v")          # v1 is v
    """
    return get_variable_scope().get_variable(
        _get_default_variable_store(),
        name,
        shape=shape,
        dtype=dtype,
        initializer=initializer,
        regularizer=regularizer,
        trainable=trainable,
        collections=collections,
        caching_device=caching_device,
        partitioner=partitioner,
        validate_shape=validate_shape,
        use_resource=use_resource,
        custom_getter=custom_getter,
        constraint=constraint,
        synchronization=synchronization,
        aggregation=aggregation,
    )


def get_local_variable(
    name,
    shape=None,
    dtype=None,
    initializer=None,
    regularizer=None,
    trainable=False,
    collections=None,
    caching_device=None,
    partitioner=None,
    validate_shape=True,
    use_resource=None,
    custom_getter=None,
    constraint=None,
    synchronization=None,
    aggregation=None,
):
    """Gets an existing *local* variable or creates a new one.

    Behavior is the same as in `get_variable`, except that variables are added to the
    `LOCAL_VARIABLES` collection (besides `collections`) and `trainable` is set to False.

    Example:
      >>> count = tf.get_local_variable("count", [], dtype=tf.int64)
      >>> sess.run(tf.local_variables_initializer())
    """
    del trainable  # always False, as TF1
    collections = list(collections or []) + [GraphKeys.LOCAL_VARIABLES]
    return get_variable(
        name,
        shape=shape,
        dtype=dtype,
        initializer=initializer,
        regularizer=regularizer,
        trainable=False,
        collections=collections,
        caching_device=caching_device,
        partitioner=partitioner,
        validate_shape=validate_shape,
        use_resource=use_resource,
        custom_getter=custom_getter,
        constraint=constraint,
        synchronization=synchronization,
        aggregation=aggregation,
    )


# -- variable_scope -------------------------------------------------------------------------


def _maybe_wrap_custom_getter(custom_getter, old_getter):
    """A getter calling `custom_getter` with `old_getter` (wrapping the true getter)."""
    if old_getter is None:
        return custom_getter

    def wrapped_custom_getter(getter, *args, **kwargs):
        return custom_getter(functools.partial(old_getter, getter), *args, **kwargs)

    return wrapped_custom_getter


class _pure_variable_scope:  # TF1's lower-case class name
    """Enters a variable scope (no name scope): the scope object that `variable_scope`
    yields, inheriting from the enclosing one (or the re-entered `VariableScope`)."""

    def __init__(
        self, name_or_scope, reuse=None, old_name_scope=None, constraint=None, **overrides
    ):
        self._name_or_scope = name_or_scope
        self._reuse = reuse
        self._old_name_scope = old_name_scope
        self._constraint = constraint
        self._overrides = overrides  # initializer, regularizer, …: set when not None
        self._store = _get_variable_scope_store()
        self._scope = None

    def __enter__(self) -> VariableScope:
        self._old = self._store.current_scope
        reentered = isinstance(self._name_or_scope, VariableScope)
        scope = self._reentered_scope() if reentered else self._extended_scope()
        self._store.open_variable_scope(scope.name)
        if reentered:  # leaving restores these counts, as TF1
            self._old_subscopes = dict(self._store.variable_scopes_count)
        self._store.current_scope = self._scope = scope
        return scope

    def _reentered_scope(self) -> VariableScope:
        src = self._name_or_scope
        return self._apply_overrides(
            src,
            VariableScope(
                src.reuse if not self._reuse else self._reuse,
                name=src.name,
                initializer=src.initializer,
                regularizer=src.regularizer,
                caching_device=src.caching_device,
                partitioner=src.partitioner,
                custom_getter=src.custom_getter,
                name_scope=src.original_name_scope,
                dtype=src.dtype,
                use_resource=src.use_resource,
                constraint=self._constraint,
            ),
        )

    def _extended_scope(self) -> VariableScope:
        old, name = self._old, self._name_or_scope
        return self._apply_overrides(
            old,
            VariableScope(
                self._reuse or old.reuse,  # reuse is inherited by sub-scopes
                name=old.name + "/" + name if old.name else name,
                initializer=old.initializer,
                regularizer=old.regularizer,
                caching_device=old.caching_device,
                partitioner=old.partitioner,
                custom_getter=old.custom_getter,
                name_scope=name if self._old_name_scope is None else self._old_name_scope,
                dtype=old.dtype,
                use_resource=old.use_resource,
                constraint=self._constraint,
            ),
        )

    def _apply_overrides(self, base: VariableScope, scope: VariableScope) -> VariableScope:
        for attr, value in self._overrides.items():
            if value is None:
                continue
            if attr == "custom_getter":
                value = _maybe_wrap_custom_getter(value, base.custom_getter)
            getattr(scope, "set_" + attr)(value)
        return scope

    def __exit__(self, *exc):
        if self._store.current_scope is not self._scope:
            raise RuntimeError("Improper nesting of variable_scope.")
        if isinstance(self._name_or_scope, VariableScope):
            self._store.variable_scopes_count = self._old_subscopes
        else:
            self._store.close_variable_subscopes(self._scope.name)
        self._store.current_scope = self._old


class variable_scope:  # TF1's lower-case class name
    """A context manager for defining ops that creates variables (layers).

    This context manager validates that the (optional) `values` are from the same graph,
    ensures that graph is the default graph, and pushes a name scope and a variable scope.

    If `name_or_scope` is not None, it is used as is. If `name_or_scope` is None, then
    `default_name` is used. In that case, if the same name has been previously used in
    the same scope, it will be made unique by appending `_N` to it.

    Variable scope allows you to create new variables and to share already created ones
    while providing checks to not create or share by accident. Reuse is inherited by
    sub-scopes: once a scope reuses, all its sub-scopes do too (`reuse=False` there is the
    same as None). Re-entering a `VariableScope` object enters the same variable scope
    (its variables keep their names) under a new, unique name scope for ops.

    Example:
      >>> with tf.variable_scope("foo"):
      ...     with tf.variable_scope("bar"):
      ...         v = tf.get_variable("v", [1])        # v.name == "foo/bar/v:0"
      >>> with tf.variable_scope("foo") as scope:
      ...     v = tf.get_variable("w", [1])
      ...     scope.reuse_variables()
      ...     v1 = tf.get_variable("w")                 # v1 is v

    Args:
      name_or_scope: `string` or `VariableScope`: the scope to open.
      default_name: The default name to use if the `name_or_scope` argument is `None`,
        this name will be uniquified.
      values: The list of `Tensor` arguments that are passed to the op function.
      initializer: default initializer for variables within this scope.
      regularizer: default regularizer for variables within this scope.
      caching_device: default caching device for variables within this scope.
      partitioner: default partitioner for variables within this scope.
      custom_getter: default custom getter for variables within this scope (wrapping the
        enclosing scope's getter, if any).
      reuse: `True`, None, or tf.AUTO_REUSE; if `True`, we go into reuse mode for this
        scope as well as all sub-scopes; if tf.AUTO_REUSE, we create variables if they do
        not exist, and return them otherwise; if None, we inherit the parent scope's reuse
        flag.
      dtype: type of variables created in this scope (defaults to the type in the passed
        scope, or inherited from parent scope).
      use_resource: accepted for compatibility (variables are TF1 ref variables).
      constraint: An optional projection function applied to the variable after being
        updated by an `Optimizer` (for this scope only; not inherited, as TF1).
      auxiliary_name_scope: If `True`, we create an auxiliary name scope with the scope.
        If `False`, we don't create it.

    Returns:
      A scope that can be captured and reused.

    Raises:
      ValueError: when trying to reuse within a create scope, or create within a reuse
        scope.
      TypeError: when the types of some arguments are not appropriate.
    """

    def __init__(
        self,
        name_or_scope,
        default_name=None,
        values=None,
        initializer=None,
        regularizer=None,
        caching_device=None,
        partitioner=None,
        custom_getter=None,
        reuse=None,
        dtype=None,
        use_resource=None,
        constraint=None,
        auxiliary_name_scope=True,
    ):
        if default_name is None and name_or_scope is None:
            raise TypeError("If default_name is None then name_or_scope is required")
        if reuse is False:
            reuse = None  # we don't allow non-inheriting scopes: False = None here
        if not (reuse is True or reuse is None or reuse is AUTO_REUSE):
            raise ValueError("The reuse parameter must be True or False or None.")
        if not isinstance(auxiliary_name_scope, bool):
            raise TypeError(
                f"The auxiliary_name_scope must be `True` or `False`, while get "
                f"{auxiliary_name_scope}"
            )
        if name_or_scope is not None and not isinstance(name_or_scope, (VariableScope, str)):
            raise TypeError("VariableScope: name_or_scope must be a string or VariableScope.")
        self._name_or_scope = name_or_scope
        self._default_name = default_name
        self._reuse = reuse
        self._auxiliary_name_scope = auxiliary_name_scope
        self._overrides = dict(
            initializer=initializer,
            regularizer=regularizer,
            caching_device=caching_device,
            partitioner=partitioner,
            custom_getter=custom_getter,
            dtype=dtype,
            use_resource=use_resource,
        )
        self._constraint = constraint
        self._graph = _graph_of(values) or get_default_graph()
        self._exit_stack = None

    def __enter__(self) -> VariableScope:
        with contextlib.ExitStack() as stack:
            stack.enter_context(self._graph.as_default())
            scope = self._enter_scopes(stack)
            self._exit_stack = stack.pop_all()
        return scope

    def __exit__(self, *exc):
        stack, self._exit_stack = self._exit_stack, None
        return stack.__exit__(*exc)

    def _enter_scopes(self, stack: contextlib.ExitStack) -> VariableScope:
        graph, name = self._graph, self._name_or_scope
        if not self._auxiliary_name_scope:
            current = graph.get_name_scope()
            name_scope = graph.name_scope(current + "/" if current else "")
        elif name is None:
            name_scope = graph.name_scope(self._default_name)
        elif isinstance(name, VariableScope):
            name_scope = graph.name_scope(name.name.split("/")[-1] or None)
        else:
            name_scope = graph.name_scope(name or None)
        if name is None:
            if self._reuse:
                raise ValueError("reuse=True cannot be used without a name_or_scope")
            opened = stack.enter_context(name_scope)
            name = _get_unique_variable_scope(self._default_name)
        elif self._auxiliary_name_scope and not (name if isinstance(name, str) else name.name):
            opened = None  # entering the root variable scope: no name scope
        else:
            opened = stack.enter_context(name_scope)
            if isinstance(name, VariableScope):
                opened = name.original_name_scope
        return stack.enter_context(
            _pure_variable_scope(
                name,
                reuse=self._reuse,
                old_name_scope=opened,
                constraint=self._constraint,
                **self._overrides,
            )
        )
