"""ProximalAdagradOptimizer: Adagrad learning rates with FOBOS l1/l2 shrinkage."""

from __future__ import annotations

from flowgraph.ops.constant_op import constant
from flowgraph.train import optimizer
from flowgraph.train.proximal_gradient_descent import ProximalGradientDescentOptimizer


class ProximalAdagradOptimizer(optimizer.Optimizer):
    """Optimizer that implements the Proximal Adagrad algorithm.

    See this [paper](http://papers.nips.cc/paper/3793-efficient-learning-using-forward-backward-splitting.pdf).

    ```
    accum += grad ** 2
    rate = learning_rate / sqrt(accum)
    prox_v = var - rate * grad
    var = sign(prox_v) * max(|prox_v| - rate * l1, 0) / (1 + rate * l2)
    ```

    Example:
      >>> opt = tf.train.ProximalAdagradOptimizer(0.1, l2_regularization_strength=0.01)
    """

    def __init__(
        self,
        learning_rate,
        initial_accumulator_value=0.1,
        l1_regularization_strength=0.0,
        l2_regularization_strength=0.0,
        use_locking=False,
        name="ProximalAdagrad",
    ):
        """Construct a new ProximalAdagrad optimizer.

        Args:
          learning_rate: A `Tensor` or a floating point value. The learning rate.
          initial_accumulator_value: A floating point value. Starting value for the
            accumulators, must be positive.
          l1_regularization_strength: A float value, must be greater than or equal to zero.
          l2_regularization_strength: A float value, must be greater than or equal to zero.
          use_locking: If `True` use locks for update operations.
          name: Optional name prefix for the operations created when applying gradients.
            Defaults to "ProximalAdagrad".

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
        self._l1_regularization_strength = l1_regularization_strength
        self._l2_regularization_strength = l2_regularization_strength

    def _create_slots(self, var_list):
        for v in var_list:
            with optimizer.colocate_with(v):
                val = constant(
                    self._initial_accumulator_value,
                    shape=v.get_shape().as_list(),
                    dtype=v.dtype.base_dtype,
                )
            self._get_or_make_slot(v, val, "accumulator", self._name)

    # The same hyper-parameters as proximal gradient descent, prepared the same way.
    _prepare = ProximalGradientDescentOptimizer._prepare
    _hyper = ProximalGradientDescentOptimizer._hyper

    def _apply_dense(self, grad, var):
        return optimizer.training_op(
            "ApplyProximalAdagrad",
            [var, self.get_slot(var, "accumulator")],
            [*self._hyper(var), grad],
            self._use_locking,
        ).op

    def _apply_sparse(self, grad, var):
        return optimizer.training_op(
            "SparseApplyProximalAdagrad",
            [var, self.get_slot(var, "accumulator")],
            [*self._hyper(var), grad.values, grad.indices],
            self._use_locking,
        ).op
