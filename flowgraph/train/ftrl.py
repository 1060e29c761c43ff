"""FtrlOptimizer: FTRL-Proximal (McMahan et al., 2013), with online and shrinkage L2."""

from __future__ import annotations

from flowgraph.ops import array_ops, math_ops
from flowgraph.ops.constant_op import convert_to_tensor
from flowgraph.train import optimizer


class FtrlOptimizer(optimizer.Optimizer):
    """Optimizer that implements the FTRL algorithm.

    This version has support for both online L2 (McMahan et al., 2013) and shrinkage-type
    L2, which is the addition of an L2 penalty to the loss function.

    See [McMahan et al., 2013](https://dl.acm.org/citation.cfm?id=2488200).

    Example:
      >>> opt = tf.train.FtrlOptimizer(0.1, l1_regularization_strength=0.001)
    """

    def __init__(
        self,
        learning_rate,
        learning_rate_power=-0.5,
        initial_accumulator_value=0.1,
        l1_regularization_strength=0.0,
        l2_regularization_strength=0.0,
        use_locking=False,
        name="Ftrl",
        accum_name=None,
        linear_name=None,
        l2_shrinkage_regularization_strength=0.0,
        beta=None,
    ):
        r"""Construct a new FTRL optimizer.

        Args:
          learning_rate: A float value or a constant float `Tensor`.
          learning_rate_power: A float value, must be less or equal to zero. Controls how
            the learning rate decreases during training. Use zero for a fixed learning
            rate.
          initial_accumulator_value: The starting value for accumulators. Only zero or
            positive values are allowed.
          l1_regularization_strength: A float value, must be greater than or equal to zero.
          l2_regularization_strength: A float value, must be greater than or equal to zero.
          use_locking: If `True` use locks for update operations.
          name: Optional name prefix for the operations created when applying gradients.
            Defaults to "Ftrl".
          accum_name: The suffix for the variable that keeps the gradient squared
            accumulator. If not present, defaults to name.
          linear_name: The suffix for the variable that keeps the linear gradient
            accumulator. If not present, defaults to name + "_1".
          l2_shrinkage_regularization_strength: A float value, must be greater than or
            equal to zero. This differs from L2 above in that the L2 above is a
            stabilization penalty, whereas this L2 shrinkage is a magnitude penalty: the
            gradient used is `g + 2 * l2_shrinkage * w`. When input is sparse shrinkage
            will only happen on the active weights.
          beta: A float value; corresponds to the beta parameter in the paper.

        Raises:
          ValueError: If one of the arguments is invalid.
        """
        super().__init__(use_locking, name)
        _check(
            initial_accumulator_value >= 0.0,
            "initial_accumulator_value %f needs to be positive or zero",
            initial_accumulator_value,
        )
        _check(
            learning_rate_power <= 0.0,
            "learning_rate_power %f needs to be negative or zero",
            learning_rate_power,
        )
        for arg, value in (
            ("l1_regularization_strength", l1_regularization_strength),
            ("l2_regularization_strength", l2_regularization_strength),
            ("l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength),
        ):
            _check(value >= 0.0, arg + " %f needs to be positive or zero", value)
        self._learning_rate = learning_rate
        self._learning_rate_power = learning_rate_power
        self._initial_accumulator_value = initial_accumulator_value
        self._l1_regularization_strength = l1_regularization_strength
        self._l2_regularization_strength = l2_regularization_strength
        self._beta = 0.0 if beta is None else beta
        self._l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self._accum_name = accum_name
        self._linear_name = linear_name

    def _create_slots(self, var_list):
        def accum_initializer(shape, dtype=None, partition_info=None):
            return array_ops.ones(shape, dtype=dtype) * self._initial_accumulator_value

        for v in var_list:
            dtype = v.dtype.base_dtype
            self._get_or_make_slot_with_initializer(
                v, accum_initializer, v.get_shape(), dtype, "accum", self._accum_name or self._name
            )
            self._zeros_slot(v, "linear", self._linear_name or self._name)

    def _prepare(self):
        self._learning_rate_tensor = convert_to_tensor(self._learning_rate, name="learning_rate")
        self._l1_regularization_strength_tensor = convert_to_tensor(
            self._l1_regularization_strength, name="l1_regularization_strength"
        )
        # L2 with beta folded in, so that the ops need no beta input.
        l2 = self._l2_regularization_strength
        if self._beta:
            l2 = l2 + self._beta / (2.0 * math_ops.maximum(self._learning_rate, 1e-36))
        self._adjusted_l2_regularization_strength_tensor = convert_to_tensor(
            l2, name="adjusted_l2_regularization_strength"
        )
        self._l2_shrinkage_regularization_strength_tensor = convert_to_tensor(
            self._l2_shrinkage_regularization_strength, name="l2_shrinkage_regularization_strength"
        )
        self._learning_rate_power_tensor = convert_to_tensor(
            self._learning_rate_power, name="learning_rate_power"
        )

    @property
    def _shrinks(self) -> bool:
        return self._l2_shrinkage_regularization_strength > 0.0

    def _hyper(self, var):
        dtype = var.dtype.base_dtype
        values = [
            self._learning_rate_tensor,
            self._l1_regularization_strength_tensor,
            self._adjusted_l2_regularization_strength_tensor,
        ]
        if self._shrinks:
            values.append(self._l2_shrinkage_regularization_strength_tensor)
        values.append(self._learning_rate_power_tensor)
        return [math_ops.cast(x, dtype) for x in values]

    def _refs(self, var):
        return [var, self.get_slot(var, "accum"), self.get_slot(var, "linear")]

    def _apply_dense(self, grad, var):
        op_type = "ApplyFtrlV2" if self._shrinks else "ApplyFtrl"
        return optimizer.training_op(
            op_type, self._refs(var), [grad, *self._hyper(var)], self._use_locking
        ).op

    def _apply_sparse(self, grad, var):
        op_type = "SparseApplyFtrlV2" if self._shrinks else "SparseApplyFtrl"
        return optimizer.training_op(
            op_type,
            self._refs(var),
            [grad.values, grad.indices, *self._hyper(var)],
            self._use_locking,
        ).op


def _check(ok: bool, message: str, value) -> None:
    if not ok:
        raise ValueError(message % value)
