"""MomentumOptimizer: `accum = momentum * accum + grad; var -= lr * accum` (or Nesterov)."""

from __future__ import annotations

from flowgraph.ops import math_ops
from flowgraph.ops.constant_op import convert_to_tensor
from flowgraph.train import optimizer


class MomentumOptimizer(optimizer.Optimizer):
    """Optimizer that implements the Momentum algorithm.

    Computes (if `use_nesterov = False`):

    ```
    accumulation = momentum * accumulation + gradient
    variable -= learning_rate * accumulation
    ```

    Note that in the dense version of this algorithm, `accumulation` is updated and
    applied regardless of a gradient's value, whereas the sparse version (when the
    gradient is an `IndexedSlices`, typically because of `tf.gather` or an embedding)
    only updates variable slices and corresponding `accumulation` terms when that part of
    the variable was used in the forward pass.

    Example:
      >>> opt = tf.train.MomentumOptimizer(learning_rate=0.1, momentum=0.9)
    """

    def __init__(
        self, learning_rate, momentum, use_locking=False, name="Momentum", use_nesterov=False
    ):
        """Construct a new Momentum optimizer.

        Args:
          learning_rate: A `Tensor` or a floating point value. The learning rate.
          momentum: A `Tensor` or a floating point value. The momentum.
          use_locking: If `True` use locks for update operations.
          name: Optional name prefix for the operations created when applying gradients.
            Defaults to "Momentum".
          use_nesterov: If `True` use Nesterov Momentum. See (Sutskever et al., 2013).
            This implementation always computes gradients at the value of the variable(s)
            passed to the optimizer.
        """
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._momentum = momentum
        self._use_nesterov = use_nesterov

    def _create_slots(self, var_list):
        for v in var_list:
            self._zeros_slot(v, "momentum", self._name)

    def _prepare(self):
        learning_rate = self._call_if_callable(self._learning_rate)
        self._learning_rate_tensor = convert_to_tensor(learning_rate, name="learning_rate")
        momentum = self._call_if_callable(self._momentum)
        self._momentum_tensor = convert_to_tensor(momentum, name="momentum")

    def _hyper(self, var):
        dtype = var.dtype.base_dtype
        return (
            math_ops.cast(self._learning_rate_tensor, dtype),
            math_ops.cast(self._momentum_tensor, dtype),
        )

    def _apply_dense(self, grad, var):
        lr, momentum = self._hyper(var)
        return optimizer.training_op(
            "ApplyMomentum",
            [var, self.get_slot(var, "momentum")],
            [lr, grad, momentum],
            self._use_locking,
            use_nesterov=self._use_nesterov,
        ).op

    def _apply_sparse(self, grad, var):
        lr, momentum = self._hyper(var)
        return optimizer.training_op(
            "SparseApplyMomentum",
            [var, self.get_slot(var, "momentum")],
            [lr, grad.values, grad.indices, momentum],
            self._use_locking,
            use_nesterov=self._use_nesterov,
        ).op
