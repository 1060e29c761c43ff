"""GradientDescentOptimizer: `var -= learning_rate * grad`."""

from __future__ import annotations

from flowgraph.ops import math_ops, state_ops
from flowgraph.ops.constant_op import convert_to_tensor
from flowgraph.train import optimizer


class GradientDescentOptimizer(optimizer.Optimizer):
    """Optimizer that implements the gradient descent algorithm.

    Example:
      >>> train_op = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    """

    def __init__(self, learning_rate, use_locking=False, name="GradientDescent"):
        """Construct a new gradient descent optimizer.

        Args:
          learning_rate: A Tensor or a floating point value. The learning rate to use.
          use_locking: If True use locks for update operations.
          name: Optional name prefix for the operations created when applying gradients.
            Defaults to "GradientDescent".
        """
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._learning_rate_tensor = None

    def _prepare(self):
        learning_rate = self._call_if_callable(self._learning_rate)
        self._learning_rate_tensor = convert_to_tensor(learning_rate, name="learning_rate")

    def _lr(self, var):
        return math_ops.cast(self._learning_rate_tensor, var.dtype.base_dtype)

    def _apply_dense(self, grad, var):
        return optimizer.training_op(
            "ApplyGradientDescent", [var], [self._lr(var), grad], self._use_locking
        ).op

    def _apply_sparse_duplicate_indices(self, grad, var):
        # Subtracting is linear: repeated indices need no summing first.
        delta = grad.values * self._lr(var)
        return state_ops.scatter_sub(var, grad.indices, delta, use_locking=self._use_locking).op
