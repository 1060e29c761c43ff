"""AdagradDAOptimizer: Adagrad Dual Averaging, for sparse linear models."""

from __future__ import annotations

from flowgraph.ops import array_ops, math_ops
from flowgraph.ops.constant_op import constant, convert_to_tensor
from flowgraph.train import optimizer


class AdagradDAOptimizer(optimizer.Optimizer):
    """Adagrad Dual Averaging algorithm for sparse linear models.

    See this [paper](http://www.jmlr.org/papers/volume12/duchi11a/duchi11a.pdf).

    This optimizer takes care of regularization of unseen features in a mini batch by
    updating them when they are seen with a closed form update rule that is equivalent to
    having updated them on every mini-batch.

    AdagradDA is typically used when there is a need for large sparsity in the trained
    model. This optimizer only guarantees sparsity for linear models. Be careful when
    using AdagradDA for deep networks as it will require careful initialization of the
    gradient accumulators for it to train.

    Example:
      >>> step = tf.train.get_or_create_global_step()
      >>> opt = tf.train.AdagradDAOptimizer(0.1, global_step=step)
      >>> train_op = opt.minimize(loss, global_step=step)
    """

    def __init__(
        self,
        learning_rate,
        global_step,
        initial_gradient_squared_accumulator_value=0.1,
        l1_regularization_strength=0.0,
        l2_regularization_strength=0.0,
        use_locking=False,
        name="AdagradDA",
    ):
        """Construct a new AdagradDA optimizer.

        Args:
          learning_rate: A `Tensor` or a floating point value. The learning rate.
          global_step: A `Tensor` containing the current training step number.
          initial_gradient_squared_accumulator_value: A floating point value. Starting
            value for the accumulators, must be positive.
          l1_regularization_strength: A float value, must be greater than or equal to zero.
          l2_regularization_strength: A float value, must be greater than or equal to zero.
          use_locking: If `True` use locks for update operations.
          name: Optional name prefix for the operations created when applying gradients.
            Defaults to "AdagradDA".

        Raises:
          ValueError: If the `initial_gradient_squared_accumulator_value` is invalid.
        """
        if initial_gradient_squared_accumulator_value <= 0.0:
            raise ValueError(
                "initial_gradient_squared_accumulator_value must be positive: "
                f"{initial_gradient_squared_accumulator_value}"
            )
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._initial_gradient_squared_accumulator_value = (
            initial_gradient_squared_accumulator_value
        )
        self._l1_regularization_strength = l1_regularization_strength
        self._l2_regularization_strength = l2_regularization_strength
        self._global_step = global_step

    def _create_slots(self, var_list):
        for v in var_list:
            dtype = v.dtype.base_dtype
            with optimizer.colocate_with(v):
                g_val = constant(0.0, shape=v.get_shape().as_list(), dtype=dtype)
                gg_val = constant(
                    self._initial_gradient_squared_accumulator_value,
                    shape=v.get_shape().as_list(),
                    dtype=dtype,
                )
            self._get_or_make_slot(v, g_val, "gradient_accumulator", self._name)
            self._get_or_make_slot(v, gg_val, "gradient_squared_accumulator", self._name)

    def _prepare(self):
        self._learning_rate_tensor = convert_to_tensor(self._learning_rate, name="learning_rate")
        # Each worker reads the step once (it counts from 1 in the update rule).
        with optimizer.colocate_with(self._learning_rate_tensor):
            self._global_step_on_worker = array_ops.identity(self._global_step) + 1

    def _inputs(self, var):
        dtype = var.dtype.base_dtype
        global_step = array_ops.identity(self._global_step_on_worker)  # on var's device
        return [
            math_ops.cast(self._learning_rate_tensor, dtype),
            math_ops.cast(self._l1_regularization_strength, dtype),
            math_ops.cast(self._l2_regularization_strength, dtype),
            global_step,
        ]

    def _slots_of(self, var):
        return [
            var,
            self.get_slot(var, "gradient_accumulator"),
            self.get_slot(var, "gradient_squared_accumulator"),
        ]

    def _apply_dense(self, grad, var):
        return optimizer.training_op(
            "ApplyAdagradDA", self._slots_of(var), [grad, *self._inputs(var)], self._use_locking
        ).op

    def _apply_sparse(self, grad, var):
        return optimizer.training_op(
            "SparseApplyAdagradDA",
            self._slots_of(var),
            [grad.values, grad.indices, *self._inputs(var)],
            self._use_locking,
        ).op
