"""AdagradOptimizer: `accum += grad^2; var -= lr * grad / sqrt(accum)`."""

from __future__ import annotations

from flowgraph.ops import array_ops, init_ops, math_ops
from flowgraph.ops.constant_op import convert_to_tensor
from flowgraph.train import optimizer


class AdagradOptimizer(optimizer.Optimizer):
    """Optimizer that implements the Adagrad algorithm.

    See this [paper](http://www.jmlr.org/papers/volume12/duchi11a/duchi11a.pdf).

    Example:
      >>> train_op = tf.train.AdagradOptimizer(0.1).minimize(loss)
    """

    def __init__(
        self, learning_rate, initial_accumulator_value=0.1, use_locking=False, name="Adagrad"
    ):
        """Construct a new Adagrad optimizer.

        Args:
          learning_rate: A `Tensor` or a floating point value. The learning rate.
          initial_accumulator_value: A floating point value. Starting value for the
            accumulators, must be positive.
          use_locking: If `True` use locks for update operations.
          name: Optional name prefix for the operations created when applying gradients.
            Defaults to "Adagrad".

        Raises:
          ValueError: If the `initial_accumulator_value` is invalid.
        """
        if initial_accumulator_value <= 0.0:
            raise ValueError(
                f"initial_accumulator_value must be positive: {initial_accumulator_value}"
            )
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._initial_accumulator_value = initial_accumulator_value

    def _create_slots(self, var_list):
        for v in var_list:
            dtype = v.dtype.base_dtype
            if v.get_shape().is_fully_defined():
                init = init_ops.constant_initializer(self._initial_accumulator_value, dtype=dtype)
                self._get_or_make_slot_with_initializer(
                    v, init, v.get_shape(), dtype, "accumulator", self._name
                )
            else:
                value = array_ops.ones_like(v.value()) * self._initial_accumulator_value
                self._get_or_make_slot(v, value, "accumulator", self._name)

    def _prepare(self):
        learning_rate = self._call_if_callable(self._learning_rate)
        self._learning_rate_tensor = convert_to_tensor(learning_rate, name="learning_rate")

    def _lr(self, var):
        return math_ops.cast(self._learning_rate_tensor, var.dtype.base_dtype)

    def _apply_dense(self, grad, var):
        return optimizer.training_op(
            "ApplyAdagrad",
            [var, self.get_slot(var, "accumulator")],
            [self._lr(var), grad],
            self._use_locking,
        ).op

    def _apply_sparse(self, grad, var):
        return optimizer.training_op(
            "SparseApplyAdagrad",
            [var, self.get_slot(var, "accumulator")],
            [self._lr(var), grad.values, grad.indices],
            self._use_locking,
        ).op
