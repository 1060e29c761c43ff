"""AdamOptimizer: Adam (Kingma & Ba, 2014) with TF1's bias-corrected learning rate."""

from __future__ import annotations

from flowgraph.framework.ops import get_default_graph
from flowgraph.ops import control_flow_ops, math_ops, state_ops
from flowgraph.ops.constant_op import convert_to_tensor
from flowgraph.train import optimizer


class AdamOptimizer(optimizer.Optimizer):
    """Optimizer that implements the Adam algorithm.

    See [Kingma et al., 2014](http://arxiv.org/abs/1412.6980). The update rule for
    `variable` with gradient `g` (t counts the steps, from 1):

    ```
    lr_t = learning_rate * sqrt(1 - beta2^t) / (1 - beta1^t)
    m_t = beta1 * m_{t-1} + (1 - beta1) * g
    v_t = beta2 * v_{t-1} + (1 - beta2) * g * g
    variable -= lr_t * m_t / (sqrt(v_t) + epsilon)
    ```

    The sparse implementation (for `IndexedSlices` gradients, e.g. through `tf.gather`)
    decays `m` and `v` of every row and updates every row of the variable, so that it
    matches the dense algorithm.

    Example:
      >>> train_op = tf.train.AdamOptimizer(learning_rate=0.001).minimize(loss)
    """

    def __init__(
        self,
        learning_rate=0.001,
        beta1=0.9,
        beta2=0.999,
        epsilon=1e-8,
        use_locking=False,
        name="Adam",
    ):
        """Construct a new Adam optimizer.

        Args:
          learning_rate: A Tensor or a floating point value. The learning rate.
          beta1: A float value or a constant float tensor. The exponential decay rate for
            the 1st moment estimates.
          beta2: A float value or a constant float tensor. The exponential decay rate for
            the 2nd moment estimates.
          epsilon: A small constant for numerical stability. This epsilon is "epsilon hat"
            in the Kingma and Ba paper (in the formula just before Section 2.1), not the
            epsilon in Algorithm 1 of the paper.
          use_locking: If True use locks for update operations.
          name: Optional name for the operations created when applying gradients.
            Defaults to "Adam".
        """
        super().__init__(use_locking, name)
        self._lr = learning_rate
        self._beta1 = beta1
        self._beta2 = beta2
        self._epsilon = epsilon

    def _get_beta_accumulators(self):
        graph = get_default_graph()
        return (
            self._get_non_slot_variable("beta1_power", graph=graph),
            self._get_non_slot_variable("beta2_power", graph=graph),
        )

    def _create_slots(self, var_list):
        # The power accumulators sit with the first variable by name, so that every worker
        # puts them on the same device.
        first_var = min(var_list, key=lambda x: x.name)
        self._create_non_slot_variable(self._beta1, "beta1_power", first_var)
        self._create_non_slot_variable(self._beta2, "beta2_power", first_var)
        for v in var_list:
            self._zeros_slot(v, "m", self._name)
            self._zeros_slot(v, "v", self._name)

    def _prepare(self):
        self._lr_t = convert_to_tensor(self._call_if_callable(self._lr), name="learning_rate")
        self._beta1_t = convert_to_tensor(self._call_if_callable(self._beta1), name="beta1")
        self._beta2_t = convert_to_tensor(self._call_if_callable(self._beta2), name="beta2")
        self._epsilon_t = convert_to_tensor(self._call_if_callable(self._epsilon), name="epsilon")

    def _hyper(self, var):
        dtype = var.dtype.base_dtype
        beta1_power, beta2_power = self._get_beta_accumulators()
        values = (
            beta1_power,
            beta2_power,
            self._lr_t,
            self._beta1_t,
            self._beta2_t,
            self._epsilon_t,
        )
        return [math_ops.cast(x, dtype) for x in values]

    def _apply_dense(self, grad, var):
        slots = [self.get_slot(var, "m"), self.get_slot(var, "v")]
        return optimizer.training_op(
            "ApplyAdam", [var, *slots], [*self._hyper(var), grad], self._use_locking
        ).op

    def _apply_sparse(self, grad, var):
        # As TF1: decay all of m and v, add the rows of the gradient, update every row.
        beta1_power, beta2_power, lr_t, beta1_t, beta2_t, epsilon_t = self._hyper(var)
        lr = lr_t * math_ops.sqrt(1 - beta2_power) / (1 - beta1_power)
        m_t = self._decay_and_add(
            self.get_slot(var, "m"), beta1_t, grad.indices, grad.values * (1 - beta1_t)
        )
        v_t = self._decay_and_add(
            self.get_slot(var, "v"),
            beta2_t,
            grad.indices,
            (grad.values * grad.values) * (1 - beta2_t),
        )
        v_sqrt = math_ops.sqrt(v_t)
        var_update = state_ops.assign_sub(
            var, lr * m_t / (v_sqrt + epsilon_t), use_locking=self._use_locking
        )
        return control_flow_ops.group(var_update, m_t, v_t)

    def _decay_and_add(self, slot, beta, indices, scaled_values):
        decayed = state_ops.assign(slot, slot * beta, use_locking=self._use_locking)
        with get_default_graph().control_dependencies([decayed]):
            return state_ops.scatter_add(
                slot, indices, scaled_values, use_locking=self._use_locking
            )

    def _finish(self, update_ops, name_scope):
        # Update the power accumulators after every variable's update.
        with get_default_graph().control_dependencies(update_ops):
            beta1_power, beta2_power = self._get_beta_accumulators()
            with optimizer.colocate_with(beta1_power):
                update_beta1 = beta1_power.assign(
                    beta1_power * self._beta1_t, use_locking=self._use_locking
                )
                update_beta2 = beta2_power.assign(
                    beta2_power * self._beta2_t, use_locking=self._use_locking
                )
        return control_flow_ops.group(*update_ops, update_beta1, update_beta2, name=name_scope)
