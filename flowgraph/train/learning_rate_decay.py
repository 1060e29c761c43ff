"""Learning-rate schedules of the global step (`tf.train.exponential_decay`, …), TF1's formulas."""

from __future__ import annotations

import math

from flowgraph.framework import dtypes
from flowgraph.framework.scopes import name_scope
from flowgraph.ops import array_ops, math_ops, random_ops
from flowgraph.ops.constant_op import constant, convert_to_tensor


def _require_step(global_step, what: str) -> None:
    if global_step is None:
        raise ValueError(f"global_step is required for {what}.")


def _as_float(learning_rate, global_step, *args):
    """`learning_rate` as a float tensor, then `global_step` and `args` cast to its dtype."""
    lr = convert_to_tensor(learning_rate, name="learning_rate")
    dtype = lr.dtype.base_dtype
    return (lr, *(math_ops.cast(a, dtype) for a in (global_step, *args)))


def _pi(like):
    return constant(math.pi, dtype=like.dtype.base_dtype)


def _decay_fraction(global_step, decay_steps, staircase: bool):
    p = global_step / decay_steps
    return math_ops.floor(p) if staircase else p


def exponential_decay(
    learning_rate, global_step, decay_steps, decay_rate, staircase=False, name=None
):
    """Applies exponential decay to the learning rate.

    The function returns the decayed learning rate. It is computed as:

        decayed_learning_rate = learning_rate * decay_rate ^ (global_step / decay_steps)

    If the argument `staircase` is `True`, then `global_step / decay_steps` is an integer
    division and the decayed learning rate follows a staircase function.

    Example: decay every 100000 steps with a base of 0.96:
      >>> global_step = tf.train.get_or_create_global_step()
      >>> lr = tf.train.exponential_decay(0.1, global_step, 100000, 0.96, staircase=True)

    Args:
      learning_rate: A scalar `float32` or `float64` `Tensor` or a Python number. The
        initial learning rate.
      global_step: A scalar `int32` or `int64` `Tensor` or a Python number. Global step to
        use for the decay computation. Must not be negative.
      decay_steps: A scalar `int32` or `int64` `Tensor` or a Python number. Must be
        positive.
      decay_rate: A scalar `float32` or `float64` `Tensor` or a Python number.
      staircase: Boolean. If `True` decay the learning rate at discrete intervals.
      name: String. Optional name of the operation. Defaults to 'ExponentialDecay'.

    Returns:
      A scalar `Tensor` of the same type as `learning_rate`.

    Raises:
      ValueError: if `global_step` is not supplied.
    """
    _require_step(global_step, "exponential_decay")
    values = [learning_rate, global_step, decay_steps, decay_rate]
    with name_scope(name, "ExponentialDecay", values) as scope:
        lr, step, steps, rate = _as_float(learning_rate, global_step, decay_steps, decay_rate)
        p = _decay_fraction(step, steps, staircase)
        return math_ops.multiply(lr, math_ops.pow(rate, p), name=scope)


def natural_exp_decay(
    learning_rate, global_step, decay_steps, decay_rate, staircase=False, name=None
):
    """Applies natural exponential decay to the initial learning rate.

    The function returns the decayed learning rate. It is computed as:

        decayed_learning_rate = learning_rate * exp(-decay_rate * global_step / decay_steps)

    with `global_step / decay_steps` floored if `staircase` is `True`.

    Args:
      learning_rate: A scalar `float32` or `float64` `Tensor` or a Python number.
      global_step: A scalar integer `Tensor` or a Python number. Must not be negative.
      decay_steps: How often to apply decay.
      decay_rate: A Python number. The decay rate.
      staircase: Whether to apply decay in a discrete staircase, as opposed to continuous,
        fashion.
      name: String. Optional name of the operation. Defaults to 'NaturalExpDecay'.

    Returns:
      A scalar `Tensor` of the same type as `learning_rate`.

    Raises:
      ValueError: if `global_step` is not supplied.
    """
    _require_step(global_step, "natural_exp_decay")
    with name_scope(name, "NaturalExpDecay", [learning_rate, global_step, decay_rate]) as scope:
        lr, step, steps, rate = _as_float(learning_rate, global_step, decay_steps, decay_rate)
        p = _decay_fraction(step, steps, staircase)
        exponent = math_ops.exp(math_ops.multiply(math_ops.negative(rate), p))
        return math_ops.multiply(lr, exponent, name=scope)


def inverse_time_decay(
    learning_rate, global_step, decay_steps, decay_rate, staircase=False, name=None
):
    """Applies inverse time decay to the initial learning rate.

    The function returns the decayed learning rate. It is computed as:

        decayed_learning_rate = learning_rate / (1 + decay_rate * global_step / decay_steps)

    with `global_step / decay_steps` floored if `staircase` is `True`.

    Args:
      learning_rate: A scalar `float32` or `float64` `Tensor` or a Python number.
      global_step: A scalar integer `Tensor` or a Python number. Must not be negative.
      decay_steps: How often to apply decay.
      decay_rate: A Python number. The decay rate.
      staircase: Whether to apply decay in a discrete staircase, as opposed to continuous,
        fashion.
      name: String. Optional name of the operation. Defaults to 'InverseTimeDecay'.

    Returns:
      A scalar `Tensor` of the same type as `learning_rate`.

    Raises:
      ValueError: if `global_step` is not supplied.
    """
    _require_step(global_step, "inverse_time_decay")
    with name_scope(name, "InverseTimeDecay", [learning_rate, global_step, decay_rate]) as scope:
        lr, step, steps, rate = _as_float(learning_rate, global_step, decay_steps, decay_rate)
        p = _decay_fraction(step, steps, staircase)
        one = math_ops.cast(constant(1), lr.dtype)
        denom = math_ops.add(one, math_ops.multiply(rate, p))
        return math_ops.div(lr, denom, name=scope)


def piecewise_constant(x, boundaries, values, name=None):
    """Piecewise constant from boundaries and interval values.

    Example: a learning rate of 1.0 for the first 100001 steps, 0.5 for the next 10000
    steps, and 0.1 for any additional steps:
      >>> lr = tf.train.piecewise_constant(global_step, [100000, 110000], [1.0, 0.5, 0.1])

    Args:
      x: A 0-D scalar `Tensor`: `float32`, `float64`, `uint8`, `int8`, `int16`, `int32` or
        `int64`.
      boundaries: A list of `Tensor`s or `int`s or `float`s with strictly increasing
        entries, and with all elements having the same type as `x` (int32 boundaries are
        promoted to an int64 `x`).
      values: A list of `Tensor`s or `float`s or `int`s for the intervals defined by
        `boundaries`: one more element than `boundaries`, all of the same type.
      name: A string. Optional name of the operation. Defaults to 'PiecewiseConstant'.

    Returns:
      A 0-D Tensor: `values[0]` when `x <= boundaries[0]`, `values[1]` when
      `x > boundaries[0]` and `x <= boundaries[1]`, ..., and `values[-1]` when
      `x > boundaries[-1]`.

    Raises:
      ValueError: if types of `x` and `boundaries` do not match, or types of all `values`
        do not match, or the number of elements in the lists does not match.
    """
    if len(boundaries) != len(values) - 1:
        raise ValueError("The length of boundaries should be 1 less than the length of values")
    with name_scope(name, "PiecewiseConstant", [x, *boundaries, *values]) as scope:
        x = convert_to_tensor(x)
        boundaries = [_boundary(b, x.dtype.base_dtype) for b in boundaries]
        values = _same_dtype_values(values)
        # TF1's exclusive tf.case, as selects: every predicate false (x NaN) gives values[0].
        pairs = [(x <= boundaries[0], values[0]), (x > boundaries[-1], values[-1])]
        for low, high, v in zip(boundaries[:-1], boundaries[1:], values[1:-1]):
            pairs.append((math_ops.logical_and(x > low, x <= high), v))
        out = values[0]
        for i, (pred, v) in enumerate(pairs):
            last = i == len(pairs) - 1
            out = array_ops.where(pred, v, out, name=scope if last else None)
        return out


def _boundary(b, dtype: dtypes.DType):
    b = convert_to_tensor(b)
    if b.dtype.base_dtype == dtype:
        return b
    if b.dtype.base_dtype == dtypes.int32 and dtype == dtypes.int64:
        return math_ops.cast(b, dtype)  # Python ints come as int32: promote without loss
    raise ValueError(f"Boundaries ({b.dtype.base_dtype}) must have the same dtype as x ({dtype}).")


def _same_dtype_values(values):
    values = [convert_to_tensor(v) for v in values]
    first = values[0].dtype.base_dtype
    for v in values[1:]:
        if v.dtype.base_dtype != first:
            raise ValueError(
                f"Values must have elements all with the same dtype ({first} vs "
                f"{v.dtype.base_dtype})."
            )
    return values


def polynomial_decay(
    learning_rate,
    global_step,
    decay_steps,
    end_learning_rate=0.0001,
    power=1.0,
    cycle=False,
    name=None,
):
    """Applies a polynomial decay to the learning rate.

    The function returns the decayed learning rate. It is computed as:

        global_step = min(global_step, decay_steps)
        decayed_learning_rate = (learning_rate - end_learning_rate) *
                                (1 - global_step / decay_steps) ^ (power) +
                                end_learning_rate

    If `cycle` is True then a multiple of `decay_steps` is used, the first one that is
    bigger than `global_steps` (1 at step 0):

        decay_steps = decay_steps * ceil(global_step / decay_steps)

    Example: decay from 0.1 to 0.01 in 10000 steps using sqrt (i.e. power=0.5):
      >>> lr = tf.train.polynomial_decay(0.1, global_step, 10000, 0.01, power=0.5)

    Args:
      learning_rate: A scalar `float32` or `float64` `Tensor` or a Python number.
      global_step: A scalar integer `Tensor` or a Python number. Must not be negative.
      decay_steps: A scalar integer `Tensor` or a Python number. Must be positive.
      end_learning_rate: A scalar float `Tensor` or a Python number. The minimal end
        learning rate.
      power: A scalar float `Tensor` or a Python number. The power of the polynomial.
        Defaults to linear, 1.0.
      cycle: A boolean, whether or not it should cycle beyond decay_steps.
      name: String. Optional name of the operation. Defaults to 'PolynomialDecay'.

    Returns:
      A scalar `Tensor` of the same type as `learning_rate`.

    Raises:
      ValueError: if `global_step` is not supplied.
    """
    _require_step(global_step, "polynomial_decay")
    values = [learning_rate, global_step, decay_steps, end_learning_rate, power]
    with name_scope(name, "PolynomialDecay", values) as scope:
        lr, step, steps, end_lr, power = _as_float(
            learning_rate, global_step, decay_steps, end_learning_rate, power
        )
        if cycle:
            one = constant(1.0, dtype=lr.dtype.base_dtype)
            multiplier = array_ops.where(math_ops.equal(step, 0), one, math_ops.ceil(step / steps))
            steps = math_ops.multiply(steps, multiplier)
        else:
            step = math_ops.minimum(step, steps)
        p = math_ops.div(step, steps)
        # p <= 1, but XLA turns `step / 20.0` into `step * 0.05` and may fuse `1 - p` into an
        # FMA, giving 1 - p = -1.5e-8 at the last step: a NaN for a fractional power.
        remaining = math_ops.maximum(1 - p, constant(0.0, dtype=lr.dtype.base_dtype))
        decayed = math_ops.multiply(lr - end_lr, math_ops.pow(remaining, power))
        return math_ops.add(decayed, end_lr, name=scope)


def cosine_decay(learning_rate, global_step, decay_steps, alpha=0.0, name=None):
    """Applies cosine decay to the learning rate.

    See [Loshchilov & Hutter, ICLR2016], SGDR: Stochastic Gradient Descent with Warm
    Restarts. https://arxiv.org/abs/1608.03983

    The function returns the decayed learning rate. It is computed as:

        global_step = min(global_step, decay_steps)
        cosine_decay = 0.5 * (1 + cos(pi * global_step / decay_steps))
        decayed = (1 - alpha) * cosine_decay + alpha
        decayed_learning_rate = learning_rate * decayed

    Args:
      learning_rate: A scalar `float32` or `float64` Tensor or a Python number.
      global_step: A scalar integer `Tensor` or a Python number.
      decay_steps: A scalar integer `Tensor` or a Python number. Number of steps to decay
        over.
      alpha: A scalar float Tensor or a Python number. Minimum learning rate value as a
        fraction of learning_rate.
      name: String. Optional name of the operation. Defaults to 'CosineDecay'.

    Returns:
      A scalar `Tensor` of the same type as `learning_rate`.

    Raises:
      ValueError: if `global_step` is not supplied.
    """
    if global_step is None:
        raise ValueError("cosine decay requires global_step")
    with name_scope(name, "CosineDecay", [learning_rate, global_step]) as scope:
        lr, step, steps = _as_float(learning_rate, global_step, decay_steps)
        step = math_ops.minimum(step, steps)
        completed_fraction = step / steps
        cosine_decayed = 0.5 * (1.0 + math_ops.cos(_pi(lr) * completed_fraction))
        decayed = (1 - alpha) * cosine_decayed + alpha
        return math_ops.multiply(lr, decayed, name=scope)


def cosine_decay_restarts(
    learning_rate, global_step, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0, name=None
):
    """Applies cosine decay with restarts to the learning rate.

    See [Loshchilov & Hutter, ICLR2016], SGDR: Stochastic Gradient Descent with Warm
    Restarts. https://arxiv.org/abs/1608.03983

    The learning rate multiplier first decays from 1 to `alpha` for `first_decay_steps`
    steps. Then, a warm restart is performed. Each new warm restart runs for `t_mul` times
    more steps and with `m_mul` times smaller initial learning rate.

    Args:
      learning_rate: A scalar `float32` or `float64` Tensor or a Python number.
      global_step: A scalar integer `Tensor` or a Python number.
      first_decay_steps: A scalar integer `Tensor` or a Python number. Number of steps to
        decay over.
      t_mul: A scalar float `Tensor` or a Python number. Used to derive the number of
        iterations in the i-th period.
      m_mul: A scalar float `Tensor` or a Python number. Used to derive the initial
        learning rate of the i-th period.
      alpha: A scalar float Tensor or a Python number. Minimum learning rate value as a
        fraction of the learning_rate.
      name: String. Optional name of the operation. Defaults to 'SGDRDecay'.

    Returns:
      A scalar `Tensor` of the same type as `learning_rate`.

    Raises:
      ValueError: if `global_step` is not supplied.
    """
    if global_step is None:
        raise ValueError("cosine decay restarts requires global_step")
    with name_scope(name, "SGDRDecay", [learning_rate, global_step]) as scope:
        lr = convert_to_tensor(learning_rate, name="initial_learning_rate")
        _, step, steps, alpha, t_mul, m_mul = _as_float(
            lr, global_step, first_decay_steps, alpha, t_mul, m_mul
        )
        i_restart, completed_fraction = _restart(step / steps, t_mul)
        m_fac = m_mul**i_restart
        cosine_decayed = 0.5 * m_fac * (1.0 + math_ops.cos(_pi(lr) * completed_fraction))
        decayed = (1 - alpha) * cosine_decayed + alpha
        return math_ops.multiply(lr, decayed, name=scope)


def _restart(completed_fraction, t_mul):
    """(index of the current period, fraction of it completed); periods grow by `t_mul`."""
    i_uniform = math_ops.floor(completed_fraction)
    uniform = (i_uniform, completed_fraction - i_uniform)
    i_geo = math_ops.floor(
        math_ops.log(1.0 - completed_fraction * (1.0 - t_mul)) / math_ops.log(t_mul)
    )
    sum_r = (1.0 - t_mul**i_geo) / (1.0 - t_mul)
    geometric = (i_geo, (completed_fraction - sum_r) / t_mul**i_geo)
    is_uniform = math_ops.equal(t_mul, 1.0)  # TF1's tf.cond, as selects
    return tuple(array_ops.where(is_uniform, u, g) for u, g in zip(uniform, geometric))


def linear_cosine_decay(
    learning_rate, global_step, decay_steps, num_periods=0.5, alpha=0.0, beta=0.001, name=None
):
    """Applies linear cosine decay to the learning rate.

    See [Bello et al., ICML2017] Neural Optimizer Search with RL.
    https://arxiv.org/abs/1709.07417

    The function returns the decayed learning rate. It is computed as:

        global_step = min(global_step, decay_steps)
        linear_decay = (decay_steps - global_step) / decay_steps)
        cosine_decay = 0.5 * (1 + cos(pi * 2 * num_periods * global_step / decay_steps))
        decayed = (alpha + linear_decay) * cosine_decay + beta
        decayed_learning_rate = learning_rate * decayed

    Args:
      learning_rate: A scalar `float32` or `float64` Tensor or a Python number.
      global_step: A scalar integer `Tensor` or a Python number.
      decay_steps: A scalar integer `Tensor` or a Python number. Number of steps to decay
        over.
      num_periods: Number of periods in the cosine part of the decay.
      alpha: See computation above.
      beta: See computation above.
      name: String. Optional name of the operation. Defaults to 'LinearCosineDecay'.

    Returns:
      A scalar `Tensor` of the same type as `learning_rate`.

    Raises:
      ValueError: if `global_step` is not supplied.
    """
    if global_step is None:
        raise ValueError("linear cosine decay requires global_step")
    with name_scope(name, "LinearCosineDecay", [learning_rate, global_step]) as scope:
        lr, step, steps, periods, alpha, beta = _as_float(
            learning_rate, global_step, decay_steps, num_periods, alpha, beta
        )
        step = math_ops.minimum(step, steps)
        linear_decayed = (steps - step) / steps
        decayed = (alpha + linear_decayed) * _periodic(lr, step, steps, periods) + beta
        return math_ops.multiply(lr, decayed, name=scope)


def _periodic(lr, step, steps, num_periods):
    fraction = 2.0 * num_periods * (step / steps)
    return 0.5 * (1.0 + math_ops.cos(_pi(lr) * fraction))


def noisy_linear_cosine_decay(
    learning_rate,
    global_step,
    decay_steps,
    initial_variance=1.0,
    variance_decay=0.55,
    num_periods=0.5,
    alpha=0.0,
    beta=0.001,
    name=None,
):
    """Applies noisy linear cosine decay to the learning rate.

    See [Bello et al., ICML2017] Neural Optimizer Search with RL.
    https://arxiv.org/abs/1709.07417

    The function returns the decayed learning rate. It is computed as:

        global_step = min(global_step, decay_steps)
        linear_decay = (decay_steps - global_step) / decay_steps)
        cosine_decay = 0.5 * (1 + cos(pi * 2 * num_periods * global_step / decay_steps))
        decayed = (alpha + linear_decay + eps_t) * cosine_decay + beta
        decayed_learning_rate = learning_rate * decayed

    where eps_t is 0-centered gaussian noise with variance
    initial_variance / (1 + global_step) ** variance_decay.

    Args:
      learning_rate: A scalar `float32` or `float64` Tensor or a Python number.
      global_step: A scalar integer `Tensor` or a Python number.
      decay_steps: A scalar integer `Tensor` or a Python number. Number of steps to decay
        over.
      initial_variance: initial variance for the noise. See computation above.
      variance_decay: decay for the noise's variance. See computation above.
      num_periods: Number of periods in the cosine part of the decay.
      alpha: See computation above.
      beta: See computation above.
      name: String. Optional name of the operation. Defaults to 'NoisyLinearCosineDecay'.

    Returns:
      A scalar `Tensor` of the same type as `learning_rate`.

    Raises:
      ValueError: if `global_step` is not supplied.
    """
    if global_step is None:
        raise ValueError("noisy linear cosine decay requires global_step")
    with name_scope(name, "NoisyLinearCosineDecay", [learning_rate, global_step]) as scope:
        lr, step, steps, variance0, var_decay, periods, alpha, beta = _as_float(
            learning_rate,
            global_step,
            decay_steps,
            initial_variance,
            variance_decay,
            num_periods,
            alpha,
            beta,
        )
        step = math_ops.minimum(step, steps)
        linear_decayed = (steps - step) / steps
        std = math_ops.sqrt(variance0 / math_ops.pow(1.0 + step, var_decay))
        noise = random_ops.random_normal([], stddev=std, dtype=lr.dtype.base_dtype)
        decayed = (alpha + linear_decayed + noise) * _periodic(lr, step, steps, periods) + beta
        return math_ops.multiply(lr, decayed, name=scope)
