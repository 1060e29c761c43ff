"""ProximalGradientDescentOptimizer: gradient descent with FOBOS l1/l2 shrinkage."""

from __future__ import annotations

from flowgraph.ops import math_ops
from flowgraph.ops.constant_op import convert_to_tensor
from flowgraph.train import optimizer


class ProximalGradientDescentOptimizer(optimizer.Optimizer):
    """Optimizer that implements the proximal gradient descent algorithm.

    See this [paper](http://papers.nips.cc/paper/3793-efficient-learning-using-forward-backward-splitting.pdf).

    ```
    prox_v = var - learning_rate * grad
    var = sign(prox_v) * max(|prox_v| - learning_rate * l1, 0) / (1 + learning_rate * l2)
    ```

    Example:
      >>> opt = tf.train.ProximalGradientDescentOptimizer(0.1, l1_regularization_strength=0.01)
    """

    def __init__(
        self,
        learning_rate,
        l1_regularization_strength=0.0,
        l2_regularization_strength=0.0,
        use_locking=False,
        name="ProximalGradientDescent",
    ):
        """Construct a new proximal gradient descent optimizer.

        Args:
          learning_rate: A Tensor or a floating point value. The learning rate to use.
          l1_regularization_strength: A float value, must be greater than or equal to zero.
          l2_regularization_strength: A float value, must be greater than or equal to zero.
          use_locking: If True use locks for update operations.
          name: Optional name prefix for the operations created when applying gradients.
            Defaults to "ProximalGradientDescent".
        """
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._l1_regularization_strength = l1_regularization_strength
        self._l2_regularization_strength = l2_regularization_strength

    def _prepare(self):
        self._learning_rate_tensor = convert_to_tensor(self._learning_rate, name="learning_rate")
        self._l1_regularization_strength_tensor = convert_to_tensor(
            self._l1_regularization_strength, name="l1_regularization_strength"
        )
        self._l2_regularization_strength_tensor = convert_to_tensor(
            self._l2_regularization_strength, name="l2_regularization_strength"
        )

    def _hyper(self, var):
        dtype = var.dtype.base_dtype
        values = (
            self._learning_rate_tensor,
            self._l1_regularization_strength_tensor,
            self._l2_regularization_strength_tensor,
        )
        return [math_ops.cast(x, dtype) for x in values]

    def _apply_dense(self, grad, var):
        return optimizer.training_op(
            "ApplyProximalGradientDescent", [var], [*self._hyper(var), grad], self._use_locking
        ).op

    def _apply_sparse(self, grad, var):
        return optimizer.training_op(
            "SparseApplyProximalGradientDescent",
            [var],
            [*self._hyper(var), grad.values, grad.indices],
            self._use_locking,
        ).op
