"""RMSPropOptimizer: gradients scaled by a moving root-mean-square, with momentum."""

from __future__ import annotations

from flowgraph.ops import array_ops, init_ops, math_ops
from flowgraph.ops.constant_op import convert_to_tensor
from flowgraph.train import optimizer


class RMSPropOptimizer(optimizer.Optimizer):
    """Optimizer that implements the RMSProp algorithm (Tieleman & Hinton, 2012).

    ```
    mean_square = decay * mean_square{t-1} + (1-decay) * gradient ** 2
    mom = momentum * mom{t-1} + learning_rate * g_t / sqrt(mean_square + epsilon)
    delta = - mom
    ```

    The centered version additionally maintains a moving average of the gradients and
    uses it to estimate the variance: the denominator is
    `sqrt(mean_square - mean_grad ** 2 + epsilon)`.

    The dense implementation updates the variable and its accumulators even where the
    gradient is zero; the sparse one (`IndexedSlices` gradients) touches only the rows
    that were used in the forward pass.

    Example:
      >>> train_op = tf.train.RMSPropOptimizer(0.001, momentum=0.9).minimize(loss)
    """

    def __init__(
        self,
        learning_rate,
        decay=0.9,
        momentum=0.0,
        epsilon=1e-10,
        use_locking=False,
        centered=False,
        name="RMSProp",
    ):
        """Construct a new RMSProp optimizer.

        Args:
          learning_rate: A Tensor or a floating point value. The learning rate.
          decay: Discounting factor for the history/coming gradient.
          momentum: A scalar tensor.
          epsilon: Small value to avoid zero denominator.
          use_locking: If True use locks for update operation.
          centered: If True, gradients are normalized by the estimated variance of the
            gradient; if False, by the uncentered second moment. Setting this to True may
            help with training, but is slightly more expensive in terms of computation
            and memory. Defaults to False.
          name: Optional name prefix for the operations created when applying gradients.
            Defaults to "RMSProp".
        """
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._decay = decay
        self._momentum = momentum
        self._epsilon = epsilon
        self._centered = centered

    def _create_slots(self, var_list):
        for v in var_list:
            dtype = v.dtype.base_dtype
            if v.get_shape().is_fully_defined():
                self._get_or_make_slot_with_initializer(
                    v,
                    init_ops.ones_initializer(dtype=dtype),
                    v.get_shape(),
                    dtype,
                    "rms",
                    self._name,
                )
            else:
                self._get_or_make_slot(v, array_ops.ones_like(v.value()), "rms", self._name)
            if self._centered:
                self._zeros_slot(v, "mg", self._name)
            self._zeros_slot(v, "momentum", self._name)

    def _prepare(self):
        def tensor(value, name):
            return convert_to_tensor(self._call_if_callable(value), name=name)

        self._learning_rate_tensor = tensor(self._learning_rate, "learning_rate")
        self._decay_tensor = tensor(self._decay, "decay")
        self._momentum_tensor = tensor(self._momentum, "momentum")
        self._epsilon_tensor = tensor(self._epsilon, "epsilon")

    def _refs(self, var):
        mg = [self.get_slot(var, "mg")] if self._centered else []
        return [var, *mg, self.get_slot(var, "rms"), self.get_slot(var, "momentum")]

    def _hyper(self, var):
        dtype = var.dtype.base_dtype
        values = (
            self._learning_rate_tensor,
            self._decay_tensor,
            self._momentum_tensor,
            self._epsilon_tensor,
        )
        return [math_ops.cast(x, dtype) for x in values]

    def _op_type(self, sparse: bool) -> str:
        op_type = "ApplyCenteredRMSProp" if self._centered else "ApplyRMSProp"
        return "Sparse" + op_type if sparse else op_type

    def _apply_dense(self, grad, var):
        return optimizer.training_op(
            self._op_type(False), self._refs(var), [*self._hyper(var), grad], self._use_locking
        ).op

    def _apply_sparse(self, grad, var):
        return optimizer.training_op(
            self._op_type(True),
            self._refs(var),
            [*self._hyper(var), grad.values, grad.indices],
            self._use_locking,
        ).op
