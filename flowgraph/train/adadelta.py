"""AdadeltaOptimizer: Adadelta (Zeiler, 2012), an adaptive learning rate without tuning."""

from __future__ import annotations

from flowgraph.ops import math_ops
from flowgraph.ops.constant_op import convert_to_tensor
from flowgraph.train import optimizer


class AdadeltaOptimizer(optimizer.Optimizer):
    """Optimizer that implements the Adadelta algorithm.

    See [M. D. Zeiler](http://arxiv.org/abs/1212.5701)
    ([pdf](http://arxiv.org/pdf/1212.5701v1.pdf)).

    ```
    accum = rho * accum + (1 - rho) * grad ** 2
    update = sqrt(accum_update + epsilon) / sqrt(accum + epsilon) * grad
    var -= learning_rate * update
    accum_update = rho * accum_update + (1 - rho) * update ** 2
    ```

    Example:
      >>> train_op = tf.train.AdadeltaOptimizer(1.0).minimize(loss)
    """

    def __init__(
        self, learning_rate=0.001, rho=0.95, epsilon=1e-8, use_locking=False, name="Adadelta"
    ):
        """Construct a new Adadelta optimizer.

        Args:
          learning_rate: A `Tensor` or a floating point value. The learning rate. To match
            the exact form in the original paper use 1.0.
          rho: A `Tensor` or a floating point value. The decay rate.
          epsilon: A `Tensor` or a floating point value. A constant epsilon used to better
            conditioning the grad update.
          use_locking: If `True` use locks for update operations.
          name: Optional name prefix for the operations created when applying gradients.
            Defaults to "Adadelta".
        """
        super().__init__(use_locking, name)
        self._lr = learning_rate
        self._rho = rho
        self._epsilon = epsilon

    def _create_slots(self, var_list):
        for v in var_list:
            self._zeros_slot(v, "accum", self._name)
            self._zeros_slot(v, "accum_update", self._name)

    def _prepare(self):
        self._lr_t = convert_to_tensor(self._call_if_callable(self._lr), name="lr")
        self._rho_t = convert_to_tensor(self._call_if_callable(self._rho), name="rho")
        self._epsilon_t = convert_to_tensor(self._call_if_callable(self._epsilon), name="epsilon")

    def _refs(self, var):
        return [var, self.get_slot(var, "accum"), self.get_slot(var, "accum_update")]

    def _hyper(self, var):
        dtype = var.dtype.base_dtype
        return [math_ops.cast(x, dtype) for x in (self._lr_t, self._rho_t, self._epsilon_t)]

    def _apply_dense(self, grad, var):
        return optimizer.training_op(
            "ApplyAdadelta", self._refs(var), [*self._hyper(var), grad], self._use_locking
        ).op

    def _apply_sparse(self, grad, var):
        return optimizer.training_op(
            "SparseApplyAdadelta",
            self._refs(var),
            [*self._hyper(var), grad.values, grad.indices],
            self._use_locking,
        ).op
