"""`tf.train.ExponentialMovingAverage` and `assign_moving_average` (with zero debiasing)."""

from __future__ import annotations

from flowgraph.framework import dtypes
from flowgraph.framework.ops import GraphKeys, get_default_graph, init_scope
from flowgraph.framework.scopes import add_to_collection, name_scope
from flowgraph.ops import control_flow_ops, init_ops, math_ops, state_ops, variable_scope as vs
from flowgraph.ops.constant_op import convert_to_tensor
from flowgraph.ops.variables import (
    Variable,
    global_variables,
    moving_average_variables,
    trainable_variables,
)
from flowgraph.train import optimizer

_FLOATS = (dtypes.float16, dtypes.float32, dtypes.float64)


def assign_moving_average(variable, value, decay, zero_debias=True, name=None):
    """Computes the moving average of a variable: `variable -= (variable - value) * (1 - decay)`.

    With `zero_debias`, the average is kept in a `biased` variable (started at zero) and
    `variable` is set to it divided by `1 - decay ** steps` (Adam's correction), so early
    averages are not pulled towards the variable's initial value.

    Returns:
      A tensor which, when run, updates `variable` and yields its new value.
    """
    with name_scope(name, "AssignMovingAvg", [variable, value, decay]) as scope:
        decay = convert_to_tensor(1.0 - decay, name="decay")
        if decay.dtype != variable.dtype.base_dtype:
            decay = math_ops.cast(decay, variable.dtype.base_dtype)
        if zero_debias:
            return _zero_debias(variable, value, decay, scope)
        return state_ops.assign_sub(variable, (variable - value) * decay, name=scope)


def _zero_debias(variable, value, one_minus_decay, scope):
    """TF1's `_zero_debias`: `biased` and `local_step` variables under the variable's name."""
    with vs.variable_scope(variable.op.name, values=[variable, value, one_minus_decay]):
        with init_scope(), optimizer.colocate_with(variable):
            biased = _unique_variable("biased", variable.get_shape(), variable.dtype)
            local_step = _unique_variable("local_step", [], variable.dtype)
        update_biased = state_ops.assign_sub(biased, (biased - value) * one_minus_decay)
        update_local_step = state_ops.assign_add(local_step, 1.0)
        bias_factor = 1.0 - math_ops.pow(1.0 - one_minus_decay, update_local_step)
        return state_ops.assign(variable, update_biased / bias_factor, name=scope)


def _unique_variable(name, shape, dtype):
    """A zero-initialized non-trainable variable, `name_1`, ... if `name` is taken."""
    scope = vs.get_variable_scope()
    taken = {v.op.name for v in global_variables()}
    unique, index = name, 1
    while not scope.reuse and f"{scope.name}/{unique}" in taken:
        unique, index = f"{name}_{index}", index + 1
    return vs.get_variable(unique, shape=shape, dtype=dtype.base_dtype,
                           initializer=init_ops.zeros_initializer(), trainable=False)  # fmt: skip


class ExponentialMovingAverage:
    """Maintains moving averages of variables by employing an exponential decay.

    `apply()` makes a shadow variable for each variable (`<var>/ExponentialMovingAverage`,
    initialized to the variable's value; for a tensor, to zeros) and returns an op that
    updates them: `shadow -= (1 - decay) * (shadow - variable)`. With `num_updates`, the
    decay is `min(decay, (1 + num_updates) / (10 + num_updates))`.

    Example:
      >>> ema = tf.train.ExponentialMovingAverage(decay=0.9999)
      >>> with tf.control_dependencies([opt_op]):
      ...     training_op = ema.apply([var0, var1])
      >>> saver = tf.train.Saver(ema.variables_to_restore())   # evaluate with the averages

    Args:
      decay: the decay to use (a float or a scalar tensor).
      num_updates: optional count of updates applied to the variables.
      zero_debias: if True, zero-debias the averages of tensors (not variables), as TF1.
      name: the name of the returned op and the suffix of the shadow variables.
    """

    def __init__(self, decay, num_updates=None, zero_debias=False,
                 name="ExponentialMovingAverage"):  # fmt: skip
        self._decay = decay
        self._num_updates = num_updates
        self._zero_debias = zero_debias
        self._name = name
        self._averages = {}

    @property
    def name(self):
        """The name of this ExponentialMovingAverage object."""
        return self._name

    def apply(self, var_list=None):
        """Maintains moving averages of variables (default: the trainable ones).

        Returns:
          An op that updates all shadow variables from the current values.

        Raises:
          TypeError: if a variable is not half, float or double.
          ValueError: if the moving average of a variable is already computed.
        """
        var_list = trainable_variables() if var_list is None else list(var_list)
        for var in var_list:
            self._shadow(var)
        with name_scope(self._name) as scope:
            decay = self._decay_tensor()
            updates = [
                assign_moving_average(self._averages[v], v, decay, self._debiases(v))
                for v in var_list
            ]
            return control_flow_ops.group(*updates, name=scope)

    def _debiases(self, var):
        return self._zero_debias and not isinstance(var, Variable)

    def _shadow(self, var):
        """Creates the shadow variable of `var` (once)."""
        if var.dtype.base_dtype not in _FLOATS:
            raise TypeError(f"The variables must be half, float, or double: {var.name}")
        if var in self._averages:
            raise ValueError(f"Moving average already computed for: {var.name}")
        with init_scope():
            if isinstance(var, Variable):
                average = optimizer.create_slot(var, var.initialized_value(), self._name)
                add_to_collection(GraphKeys.MOVING_AVERAGE_VARIABLES, var)
            else:
                average = optimizer.create_zeros_slot(var, self._name)
        self._averages[var] = average

    def _decay_tensor(self):
        decay = convert_to_tensor(self._decay, name="decay")
        if self._num_updates is None:
            return decay
        num_updates = math_ops.cast(self._num_updates, dtypes.float32, name="num_updates")
        return math_ops.minimum(decay, (1.0 + num_updates) / (10.0 + num_updates))

    def average(self, var):
        """The shadow variable of `var`, or None if `apply` did not average it."""
        return self._averages.get(var)

    def average_name(self, var):
        """The name of the shadow variable of `var` (also before `apply` made it).

        Example:
          >>> ema.average_name(w)   # 'w/ExponentialMovingAverage'
        """
        if var in self._averages:
            return self._averages[var].op.name
        return get_default_graph().unique_name(f"{var.op.name}/{self._name}", mark_as_used=False)

    def variables_to_restore(self, moving_avg_variables=None):
        """A map of names to variables to restore, for a `Saver` that loads the averages.

        Each averaged variable (default: the trainable and moving-average ones) is restored
        from its average's name; every other global variable from its own name.
        """
        if moving_avg_variables is None:
            moving_avg_variables = trainable_variables() + moving_average_variables()
        averaged = list(dict.fromkeys(moving_avg_variables))
        name_map = {self.average_name(v): v for v in averaged}
        averaged_names = {v.name for v in averaged}
        for v in global_variables():
            if v.name not in averaged_names and v.op.name not in name_map:
                name_map[v.op.name] = v
        return name_map
