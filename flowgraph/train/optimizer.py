"""The optimizer base class (`tf.train.Optimizer`): gradients, slots and the update step."""

from __future__ import annotations

from flowgraph.distribute import allreduce
from flowgraph.framework import dtypes
from flowgraph.framework.indexed_slices import IndexedSlices
from flowgraph.framework.ops import GraphKeys, Operation, Tensor, apply_op, get_default_graph
from flowgraph.framework.scopes import name_scope
from flowgraph.ops import array_ops, control_flow_ops, init_ops, state_ops, variable_scope
from flowgraph.ops.constant_op import convert_to_tensor
from flowgraph.ops.partitioned_variables import SaveSliceInfo
from flowgraph.ops.variables import Variable, trainable_variables
from kernels import registry

# -- helpers shared by the optimizers -------------------------------------------------------


def _var_key(var):
    """The key of `var` in the slot dictionaries."""
    return (var.op.graph, var.op.name)


def colocate_with(var):
    """Ops built in the block are colocated with `var` (its device and `loc:@` group)."""
    return get_default_graph().colocate_with(var)


def init_scope():
    """Builds outside any enclosing control dependencies (TF1's `ops.init_scope`)."""
    return get_default_graph().control_dependencies(None)


def training_op(op_type: str, refs: list, inputs: list, use_locking=False, **attrs) -> Tensor:
    """Adds a training op (`ApplyAdam`, `SparseApplyFtrl`, ...) updating `refs` in place.

    `refs` are the variable and its slots (the op's first inputs, in TF's order); `inputs`
    the other inputs. Returns the op's output: the variable's ref after the update.
    """
    ref_tensors = [state_ops._ref_tensor(r) for r in refs]
    base = ref_tensors[0].dtype.base_dtype
    tensors = [convert_to_tensor(x) for x in inputs]
    input_names = registry.lookup(op_type).input_names
    if "indices" in input_names:
        indices = tensors[input_names.index("indices") - len(refs)]
        attrs["Tindices"] = indices.dtype.numpy_dtype
    out = apply_op(
        op_type, ref_tensors + tensors, T=base.numpy_dtype, use_locking=bool(use_locking), **attrs
    )
    out._dtype = ref_tensors[0].dtype
    return out


def _deduplicate_indexed_slices(values, indices):
    """Sums `values` associated with any non-unique `indices`.

    Returns `(summed_values, unique_indices)`, as long as the inputs: each distinct index
    once with the sum of its rows, then padding (zero rows at an index past the variable's
    first dimension, which scatter and sparse training ops leave alone).
    """
    return apply_op("DeduplicateIndexedSlices", [values, indices])


def _to_tensor_or_indexed_slices(value):
    if isinstance(value, IndexedSlices):
        return value
    return convert_to_tensor(value)


def _gate(grads: list) -> list:
    """`tf.tuple` over gradients that may be IndexedSlices (GATE_GRAPH)."""
    parts = [g.values if isinstance(g, IndexedSlices) else g for g in grads]
    gate = control_flow_ops.group(*[p for p in parts if p is not None])
    with get_default_graph().control_dependencies([gate]):
        return [_gated(g) for g in grads]


def _gated(grad):
    if grad is None:
        return None
    if isinstance(grad, IndexedSlices):
        return IndexedSlices(array_ops.identity(grad.values), grad.indices, grad.dense_shape)
    return array_ops.identity(grad)


# -- slots -----------------------------------------------------------------------------------


def _create_slot_var(primary, initializer, op_name, shape=None, dtype=None):
    """A slot variable named `<primary op name>/<op_name>`, like TF1's slot_creator: never
    partitioned by the enclosing scope, and a slot of a slice is the same slice of the
    slot of the full variable (so checkpoints name it as TF does)."""
    scope = variable_scope.get_variable_scope()
    partitioner = scope.partitioner
    scope.set_partitioner(None)
    try:
        with variable_scope.variable_scope(None, primary.op.name + "/" + op_name):
            with colocate_with(primary):
                slot = variable_scope.get_variable(
                    "",
                    initializer=initializer,
                    shape=shape,
                    dtype=dtype,
                    trainable=False,
                    validate_shape=shape is None or shape.is_fully_defined(),
                )
    finally:
        scope.set_partitioner(partitioner)
    _slice_like(slot, primary)
    return slot


def _slice_like(slot, primary):
    info = getattr(primary, "_save_slice_info", None)
    if info is None:
        return
    slot_name = slot.op.name[len(primary.op.name + "/") :]
    slot._save_slice_info = SaveSliceInfo(
        info.full_name + "/" + slot_name, info.full_shape, info.var_offset, info.var_shape
    )


def create_slot(primary, val, op_name):
    """A slot for `primary` initialized to the tensor `val`."""
    return _create_slot_var(primary, val, op_name)


def create_slot_with_initializer(primary, initializer, shape, dtype, op_name):
    """A slot for `primary` initialized by `initializer(shape, dtype)`."""
    return _create_slot_var(primary, initializer, op_name, shape, dtypes.as_dtype(dtype))


def create_zeros_slot(primary, op_name, dtype=None):
    """A slot for `primary` initialized to zeros of its shape."""
    dtype = dtypes.as_dtype(dtype or primary.dtype).base_dtype
    shape = primary.get_shape()
    if shape.is_fully_defined():
        return create_slot_with_initializer(
            primary, init_ops.zeros_initializer(), shape, dtype, op_name
        )
    return create_slot(primary, array_ops.zeros_like(primary.value()), op_name)


# -- variables and gradients as the optimizer sees them ---------------------------------------


class _RefVariableProcessor:
    """Updates a `tf.Variable` with a dense or sparse gradient."""

    def __init__(self, v):
        self._v = v

    def target(self):
        return self._v._ref()

    def update_op(self, optimizer, g):
        if isinstance(g, Tensor):
            update_op = optimizer._apply_dense(g, self._v)
            if self._v.constraint is None:
                return update_op
            # A fresh read: TF1's `var/read` aliases the buffer the update wrote; ours is a
            # value taken before the update.
            with get_default_graph().control_dependencies([update_op]):
                return self._v.assign(self._v.constraint(self._v.read_value()))
        if self._v.constraint is not None:
            raise RuntimeError("Cannot use a constraint function on a sparse variable.")
        return optimizer._apply_sparse_duplicate_indices(g, self._v)


class _TensorProcessor:
    """A plain tensor: its gradient can be computed but it cannot be updated."""

    def __init__(self, v):
        self._v = v

    def target(self):
        return self._v

    def update_op(self, optimizer, g):
        raise NotImplementedError("Trying to update a Tensor ", self._v)


def _get_processor(v):
    if isinstance(v, Variable):
        return _RefVariableProcessor(v)
    if isinstance(v, Tensor):
        return _TensorProcessor(v)
    raise NotImplementedError("Trying to optimize unsupported type ", v)


# -- the base class --------------------------------------------------------------------------


class Optimizer:
    """Base class for optimizers.

    This class defines the API to add Ops to train a model. You never use this class
    directly, but instead instantiate one of its subclasses such as
    `GradientDescentOptimizer`, `AdagradOptimizer`, or `MomentumOptimizer`.

    Example:
      >>> opt = tf.train.GradientDescentOptimizer(learning_rate=0.1)
      >>> opt_op = opt.minimize(cost, var_list=[w, b])
      >>> sess.run(opt_op)   # one step of training

    To process the gradients before applying them, call `compute_gradients()`, change the
    gradients as you wish, then `apply_gradients()`:

      >>> grads_and_vars = opt.compute_gradients(loss)
      >>> capped = [(tf.clip_by_norm(g, 5.0), v) for g, v in grads_and_vars]
      >>> train_op = opt.apply_gradients(capped)

    `gate_gradients` controls the parallelism of gradient application: `GATE_NONE`,
    `GATE_OP` (each op's gradients are all computed before any is used) or `GATE_GRAPH`
    (all gradients are computed before any is used).

    Some optimizers keep slots, variables next to each trained variable (Momentum's
    "momentum", Adam's "m" and "v"); `get_slot_names()` and `get_slot()` give access to
    them.
    """

    GATE_NONE = 0
    GATE_OP = 1
    GATE_GRAPH = 2

    def __init__(self, use_locking, name):
        """Create a new Optimizer.

        This must be called by the constructors of subclasses.

        Args:
          use_locking: Bool. If True apply use locks to prevent concurrent updates to
            variables.
          name: A non-empty string. The name to use for accumulators created for the
            optimizer.

        Raises:
          ValueError: If name is malformed.
        """
        if not name:
            raise ValueError("Must specify the optimizer name")
        self._use_locking = use_locking
        self._name = name
        self._slots: dict[str, dict] = {}
        self._non_slot_dict: dict = {}

    def get_name(self) -> str:
        return self._name

    # -- the public API ----------------------------------------------------------------------

    def minimize(
        self,
        loss,
        global_step=None,
        var_list=None,
        gate_gradients=GATE_OP,
        aggregation_method=None,
        colocate_gradients_with_ops=False,
        name=None,
        grad_loss=None,
    ) -> Operation:
        """Add operations to minimize `loss` by updating `var_list`.

        This method simply combines calls `compute_gradients()` and `apply_gradients()`.

        Args:
          loss: A `Tensor` containing the value to minimize.
          global_step: Optional `Variable` to increment by one after the variables have
            been updated.
          var_list: Optional list or tuple of `Variable` objects to update to minimize
            `loss`. Defaults to the list of variables collected in the graph under the key
            `GraphKeys.TRAINABLE_VARIABLES`.
          gate_gradients: How to gate the computation of gradients. Can be `GATE_NONE`,
            `GATE_OP`, or `GATE_GRAPH`.
          aggregation_method: Specifies the method used to combine gradient terms.
          colocate_gradients_with_ops: If True, try colocating gradients with the
            corresponding op.
          name: Optional name for the returned operation.
          grad_loss: Optional. A `Tensor` holding the gradient computed for `loss`.

        Returns:
          An Operation that updates the variables in `var_list`. If `global_step` was not
          `None`, that operation also increments `global_step`.

        Raises:
          ValueError: If some of the variables are not `Variable` objects.
        """
        grads_and_vars = self.compute_gradients(
            loss,
            var_list=var_list,
            gate_gradients=gate_gradients,
            aggregation_method=aggregation_method,
            colocate_gradients_with_ops=colocate_gradients_with_ops,
            grad_loss=grad_loss,
        )
        vars_with_grad = [v for g, v in grads_and_vars if g is not None]
        if not vars_with_grad:
            raise ValueError(
                "No gradients provided for any variable, check your graph for ops that do "
                f"not support gradients, between variables {[str(v) for _, v in grads_and_vars]}"
                f" and loss {loss}."
            )
        return self.apply_gradients(grads_and_vars, global_step=global_step, name=name)

    def compute_gradients(
        self,
        loss,
        var_list=None,
        gate_gradients=GATE_OP,
        aggregation_method=None,
        colocate_gradients_with_ops=False,
        grad_loss=None,
    ) -> list[tuple]:
        """Compute gradients of `loss` for the variables in `var_list`.

        This is the first part of `minimize()`. It returns a list of (gradient, variable)
        pairs where "gradient" is the gradient for "variable". Note that "gradient" can be
        a `Tensor`, an `IndexedSlices`, or `None` if there is no gradient for the given
        variable.

        Args:
          loss: A Tensor containing the value to minimize or a callable taking no
            arguments which returns the value to minimize.
          var_list: Optional list or tuple of `tf.Variable` to update to minimize `loss`.
            Defaults to the list of variables collected in the graph under the key
            `GraphKeys.TRAINABLE_VARIABLES`.
          gate_gradients: How to gate the computation of gradients. Can be `GATE_NONE`,
            `GATE_OP`, or `GATE_GRAPH`.
          aggregation_method: Specifies the method used to combine gradient terms.
          colocate_gradients_with_ops: If True, try colocating gradients with the
            corresponding op.
          grad_loss: Optional. A `Tensor` holding the gradient computed for `loss`.

        Returns:
          A list of (gradient, variable) pairs. Variable is always present, but gradient
          can be `None`.

        Raises:
          TypeError: If `var_list` contains anything else than `Variable` objects.
          ValueError: If some arguments are invalid.
        """
        from flowgraph.ops import gradients

        if callable(loss):
            loss = loss()
        if gate_gradients not in (Optimizer.GATE_NONE, Optimizer.GATE_OP, Optimizer.GATE_GRAPH):
            raise ValueError(
                "gate_gradients must be one of: Optimizer.GATE_NONE, Optimizer.GATE_OP, "
                f"Optimizer.GATE_GRAPH.  Not {gate_gradients}"
            )
        self._assert_valid_dtypes([loss])
        if grad_loss is not None:
            self._assert_valid_dtypes([grad_loss])
        var_list = self._default_var_list() if var_list is None else _flatten(var_list)
        if not var_list:
            raise ValueError("No variables to optimize.")
        var_refs = [_get_processor(v).target() for v in var_list]
        grads = gradients.gradients(
            loss,
            var_refs,
            grad_ys=grad_loss,
            gate_gradients=(gate_gradients == Optimizer.GATE_OP),
            aggregation_method=aggregation_method,
            colocate_gradients_with_ops=colocate_gradients_with_ops,
        )
        if gate_gradients == Optimizer.GATE_GRAPH:
            grads = _gate(grads)
        grads_and_vars = list(zip(grads, var_list))
        self._assert_valid_dtypes([v for g, v in grads_and_vars if g is not None])
        return grads_and_vars

    @staticmethod
    def _default_var_list() -> list:
        graph = get_default_graph()
        return trainable_variables() + graph.get_collection(GraphKeys.TRAINABLE_RESOURCE_VARIABLES)

    def apply_gradients(self, grads_and_vars, global_step=None, name=None) -> Operation:
        """Apply gradients to variables.

        This is the second part of `minimize()`. It returns an `Operation` that applies
        gradients.

        Args:
          grads_and_vars: List of (gradient, variable) pairs as returned by
            `compute_gradients()`.
          global_step: Optional `Variable` to increment by one after the variables have
            been updated.
          name: Optional name for the returned operation. Default to the name passed to
            the `Optimizer` constructor.

        Returns:
          An `Operation` that applies the specified gradients. If `global_step` was not
          None, that operation also increments `global_step`.

        Raises:
          TypeError: If `grads_and_vars` is malformed.
          ValueError: If none of the variables have gradients.
        """
        converted = self._convert_grads_and_vars(allreduce.average_gradients(grads_and_vars))
        var_list = [v for g, v, _ in converted if g is not None]
        if not var_list:
            raise ValueError(
                f"No gradients provided for any variable: {[str(v) for _, v, _ in converted]}."
            )
        with init_scope():
            self._create_slots(var_list)
        with name_scope(name, self._name) as name:
            self._prepare()
            update_ops = [
                self._update(grad, var, processor)
                for grad, var, processor in converted
                if grad is not None
            ]
            apply_updates = self._finish_step(update_ops, global_step, name)
        train_ops = get_default_graph().get_collection_ref(GraphKeys.TRAIN_OP)
        if apply_updates not in train_ops:
            train_ops.append(apply_updates)
        return apply_updates

    @staticmethod
    def _convert_grads_and_vars(grads_and_vars) -> tuple:
        grads_and_vars = tuple(grads_and_vars)
        if not grads_and_vars:
            raise ValueError("No variables provided.")
        converted = []
        for g, v in grads_and_vars:
            if g is not None:
                try:
                    g = _to_tensor_or_indexed_slices(g)
                except TypeError:
                    raise TypeError(
                        f"Gradient must be convertible to a Tensor or IndexedSlices, or None: {g}"
                    ) from None
            converted.append((g, v, _get_processor(v)))
        return tuple(converted)

    def _update(self, grad, var, processor):
        # All ops of one variable's update sit with the variable.
        with name_scope("update_" + var.op.name), colocate_with(var):
            return processor.update_op(self, grad)

    def _finish_step(self, update_ops, global_step, name) -> Operation:
        if global_step is None:
            out = self._finish(update_ops, name)
        else:
            with get_default_graph().control_dependencies([self._finish(update_ops, "update")]):
                with colocate_with(global_step):
                    out = state_ops.assign_add(global_step, 1, name=name)
        return out.op if isinstance(out, Tensor) else out

    def get_slot(self, var, name):
        """Return a slot named `name` created for `var` by the Optimizer.

        Some `Optimizer` subclasses use additional variables. For example `Momentum` and
        `Adagrad` use variables to accumulate updates. This method gives access to these
        `Variable` objects if for some reason you need them.

        Use `get_slot_names()` to get the list of slot names created by the `Optimizer`.

        Args:
          var: A variable passed to `minimize()` or `apply_gradients()`.
          name: A string.

        Returns:
          The `Variable` for the slot if it was created, `None` otherwise.
        """
        named_slots = self._slots.get(name)
        if not named_slots:
            return None
        return named_slots.get(_var_key(var))

    def get_slot_names(self) -> list[str]:
        """Return a list of the names of slots created by the `Optimizer`.

        See `get_slot()`.

        Returns:
          A list of strings.
        """
        return sorted(self._slots.keys())

    def variables(self) -> list:
        """A list of variables which encode the current state of `Optimizer`.

        Includes slot variables and additional global variables created by the optimizer in
        the current default graph.

        Returns:
          A list of variables.
        """
        graph = get_default_graph()
        found = [v for v in self._non_slot_variables() if v.op.graph is graph]
        for slots in self._slots.values():
            found.extend(v for v in slots.values() if v.op.graph is graph)
        return sorted(found, key=lambda v: v.name)

    # -- what subclasses implement -----------------------------------------------------------

    def _valid_dtypes(self) -> set:
        """Valid types for loss, variables and gradients."""
        return {dtypes.float16, dtypes.bfloat16, dtypes.float32, dtypes.float64}

    def _assert_valid_dtypes(self, tensors) -> None:
        valid = self._valid_dtypes()
        for t in tensors:
            dtype = t.dtype.base_dtype
            if dtype not in valid:
                raise ValueError(
                    f"Invalid type {dtype!r} for {t.name}, expected: {sorted(valid, key=str)}."
                )

    def _create_slots(self, var_list) -> None:
        """Create all slots needed by the variables (none by default)."""

    def _prepare(self) -> None:
        """Create all needed tensors before applying gradients (under the step's scope)."""

    def _apply_dense(self, grad, var):
        """Add ops to apply dense gradients to `var`; returns an `Operation`."""
        raise NotImplementedError()

    def _apply_sparse_duplicate_indices(self, grad, var):
        """Add ops to apply sparse gradients to `var`, with repeated sparse indices.

        Repeated indices mean their rows add up (`values=[1, 1], indices=[0, 0]` is
        `values=[2], indices=[0]`). Many update rules are wrong on repeated indices
        (summing squares rather than squaring the sum), so by default the rows of each
        index are summed first and `_apply_sparse` gets unique indices. Optimizers that
        handle repeated indices correctly may override this method to skip the summing.
        """
        summed_values, unique_indices = _deduplicate_indexed_slices(grad.values, grad.indices)
        return self._apply_sparse(
            IndexedSlices(summed_values, unique_indices, grad.dense_shape), var
        )

    def _apply_sparse(self, grad, var):
        """Add ops to apply the sparse gradient `grad` (unique indices) to `var`."""
        raise NotImplementedError()

    def _finish(self, update_ops, name_scope) -> Operation:
        """Do what is needed to finish the update; returns the op that applies them."""
        return control_flow_ops.group(*update_ops, name=name_scope)

    # -- utilities for subclasses ------------------------------------------------------------

    def _call_if_callable(self, param):
        """Call the function if param is callable."""
        return param() if callable(param) else param

    def _slot_dict(self, slot_name: str) -> dict:
        return self._slots.setdefault(slot_name, {})

    def _get_or_make_slot(self, var, val, slot_name, op_name):
        """Find or create a slot for `var` initialized to the tensor `val`."""
        named_slots = self._slot_dict(slot_name)
        if _var_key(var) not in named_slots:
            named_slots[_var_key(var)] = create_slot(var, val, op_name)
        return named_slots[_var_key(var)]

    def _get_or_make_slot_with_initializer(
        self, var, initializer, shape, dtype, slot_name, op_name
    ):
        """Find or create a slot for `var` initialized by `initializer`."""
        named_slots = self._slot_dict(slot_name)
        if _var_key(var) not in named_slots:
            named_slots[_var_key(var)] = create_slot_with_initializer(
                var, initializer, shape, dtype, op_name
            )
        return named_slots[_var_key(var)]

    def _zeros_slot(self, var, slot_name, op_name):
        """Find or create a slot for `var` initialized with 0.0."""
        named_slots = self._slot_dict(slot_name)
        if _var_key(var) not in named_slots:
            named_slots[_var_key(var)] = create_zeros_slot(var, op_name)
        return named_slots[_var_key(var)]

    def _create_non_slot_variable(self, initial_value, name, colocate_with_var):
        """Add an extra variable, not associated with a slot (e.g. Adam's beta1_power)."""
        key = (name, colocate_with_var.graph)
        v = self._non_slot_dict.get(key)
        if v is None:
            with colocate_with(colocate_with_var):
                v = Variable(initial_value, name=name, trainable=False)
            self._non_slot_dict[key] = v
        return v

    def _get_non_slot_variable(self, name, graph=None):
        return self._non_slot_dict.get((name, graph))

    def _non_slot_variables(self):
        return self._non_slot_dict.values()


def _flatten(var_list) -> list:
    out = []
    for v in var_list:
        out.extend(_flatten(v) if isinstance(v, (list, tuple)) else [v])
    return out
